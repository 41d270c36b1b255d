//! One pass over a message's headers, picking out the ones the model reads.
//!
//! The model reads up to twenty headers of an event; looking each up with
//! [`Message::get`] would scan the message twenty times. [`Headers::read`]
//! scans it once and keeps a slice per known key. Keys are matched in
//! Asterisk's spelling (the case it sends).

use ami_proto::Message;

macro_rules! headers {
    ($($field:ident = $wire:literal,)*) => {
        /// The values of the headers the model knows, borrowed from one
        /// message (the first value of each key).
        #[derive(Default, Debug, Clone, Copy)]
        pub(crate) struct Headers<'a> {
            $(pub(crate) $field: Option<&'a [u8]>,)*
        }

        impl<'a> Headers<'a> {
            /// Reads every header of `msg` once.
            pub(crate) fn read(msg: &'a Message) -> Self {
                let mut h = Self::default();
                for (key, value) in msg.headers() {
                    let slot = match key.as_bytes() {
                        $($wire => &mut h.$field,)*
                        _ => continue,
                    };
                    if slot.is_none() {
                        *slot = Some(value.as_bytes());
                    }
                }
                h
            }
        }
    };
}

headers! {
    event = b"Event",
    channel = b"Channel",
    channel_state = b"ChannelState",
    caller_id_num = b"CallerIDNum",
    caller_id_name = b"CallerIDName",
    connected_line_num = b"ConnectedLineNum",
    connected_line_name = b"ConnectedLineName",
    language = b"Language",
    account_code = b"AccountCode",
    context = b"Context",
    exten = b"Exten",
    priority = b"Priority",
    uniqueid = b"Uniqueid",
    linkedid = b"Linkedid",
    application = b"Application",
    app_data = b"AppData",
    application_data = b"ApplicationData",
    bridge_id = b"BridgeId",
    bridge_uniqueid = b"BridgeUniqueid",
    bridge_type = b"BridgeType",
    bridge_technology = b"BridgeTechnology",
    bridge_creator = b"BridgeCreator",
    bridge_name = b"BridgeName",
    bridge_num_channels = b"BridgeNumChannels",
    to_bridge_uniqueid = b"ToBridgeUniqueid",
    from_bridge_uniqueid = b"FromBridgeUniqueid",
    cause = b"Cause",
    cause_txt = b"Cause-txt",
    music_class = b"MusicClass",
    dest_uniqueid = b"DestUniqueid",
    dest_channel = b"DestChannel",
    dial_string = b"DialString",
    dial_status = b"DialStatus",
    queue = b"Queue",
    position = b"Position",
    count = b"Count",
    member_name = b"MemberName",
    name = b"Name",
    interface = b"Interface",
    location = b"Location",
    state_interface = b"StateInterface",
    membership = b"Membership",
    penalty = b"Penalty",
    calls_taken = b"CallsTaken",
    last_call = b"LastCall",
    last_pause = b"LastPause",
    login_time = b"LoginTime",
    in_call = b"InCall",
    status = b"Status",
    paused = b"Paused",
    paused_reason = b"PausedReason",
    ringinuse = b"Ringinuse",
    wrapuptime = b"Wrapuptime",
    strategy = b"Strategy",
    max = b"Max",
    calls = b"Calls",
    holdtime = b"Holdtime",
    talk_time = b"TalkTime",
    completed = b"Completed",
    abandoned = b"Abandoned",
    service_level = b"ServiceLevel",
    service_level_perf = b"ServicelevelPerf",
    weight = b"Weight",
    wait = b"Wait",
    parkee_uniqueid = b"ParkeeUniqueid",
    parkee_channel = b"ParkeeChannel",
    parker_dial_string = b"ParkerDialString",
    parkinglot = b"Parkinglot",
    parking_space = b"ParkingSpace",
    parking_timeout = b"ParkingTimeout",
    parking_duration = b"ParkingDuration",
    retriever_channel = b"RetrieverChannel",
    conference = b"Conference",
    admin = b"Admin",
    muted = b"Muted",
    marked_user = b"MarkedUser",
    talking = b"Talking",
    talking_status = b"TalkingStatus",
    waiting = b"Waiting",
    locked = b"Locked",
    device = b"Device",
    state = b"State",
    hint = b"Hint",
    status_text = b"StatusText",
    agent = b"Agent",
    talking_to_chan = b"TalkingToChan",
    channel_type = b"ChannelType",
    channeltype = b"Channeltype",
    peer = b"Peer",
    peer_status = b"PeerStatus",
    address = b"Address",
    uri = b"URI",
    contact_status = b"ContactStatus",
    aor = b"AOR",
    endpoint_name = b"EndpointName",
    roundtrip_usec = b"RoundtripUsec",
    timestamp = b"Timestamp",
    duration = b"Duration",
    hold_time = b"HoldTime",
}

/// The channel-snapshot headers under a prefix (`Dest`, `Parkee`,
/// `Retriever`, …): the fields of the second channel an event describes.
#[derive(Default, Debug, Clone, Copy)]
pub(crate) struct Snapshot<'a> {
    pub(crate) channel: Option<&'a [u8]>,
    pub(crate) channel_state: Option<&'a [u8]>,
    pub(crate) caller_id_num: Option<&'a [u8]>,
    pub(crate) caller_id_name: Option<&'a [u8]>,
    pub(crate) connected_line_num: Option<&'a [u8]>,
    pub(crate) connected_line_name: Option<&'a [u8]>,
    pub(crate) language: Option<&'a [u8]>,
    pub(crate) account_code: Option<&'a [u8]>,
    pub(crate) context: Option<&'a [u8]>,
    pub(crate) exten: Option<&'a [u8]>,
    pub(crate) priority: Option<&'a [u8]>,
    pub(crate) uniqueid: Option<&'a [u8]>,
    pub(crate) linkedid: Option<&'a [u8]>,
}

impl<'a> Snapshot<'a> {
    /// The unprefixed snapshot of an event already read into `h`.
    pub(crate) fn plain(h: &Headers<'a>) -> Self {
        Self {
            channel: h.channel,
            channel_state: h.channel_state,
            caller_id_num: h.caller_id_num,
            caller_id_name: h.caller_id_name,
            connected_line_num: h.connected_line_num,
            connected_line_name: h.connected_line_name,
            language: h.language,
            account_code: h.account_code,
            context: h.context,
            exten: h.exten,
            priority: h.priority,
            uniqueid: h.uniqueid,
            linkedid: h.linkedid,
        }
    }

    /// The snapshot whose keys start with `prefix` (a second pass, only for
    /// the events that carry two channels).
    pub(crate) fn prefixed(msg: &'a Message, prefix: &[u8]) -> Self {
        let mut s = Self::default();
        for (key, value) in msg.headers() {
            let Some(rest) = key.as_bytes().strip_prefix(prefix) else {
                continue;
            };
            let slot = match rest {
                b"Channel" => &mut s.channel,
                b"ChannelState" => &mut s.channel_state,
                b"CallerIDNum" => &mut s.caller_id_num,
                b"CallerIDName" => &mut s.caller_id_name,
                b"ConnectedLineNum" => &mut s.connected_line_num,
                b"ConnectedLineName" => &mut s.connected_line_name,
                b"Language" => &mut s.language,
                b"AccountCode" => &mut s.account_code,
                b"Context" => &mut s.context,
                b"Exten" => &mut s.exten,
                b"Priority" => &mut s.priority,
                b"Uniqueid" => &mut s.uniqueid,
                b"Linkedid" => &mut s.linkedid,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.as_bytes());
            }
        }
        s
    }
}

/// A value as text (lossy for bytes that are not UTF-8).
pub(crate) fn text(v: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(v)
}

/// An unsigned number, `None` when absent or not a number.
pub(crate) fn uint(v: Option<&[u8]>) -> Option<u64> {
    let v = v?;
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in v {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    Some(n)
}

/// A signed number (`-1`, `16`), `None` when absent or not a number.
pub(crate) fn int(v: Option<&[u8]>) -> Option<i64> {
    let v = v?;
    match v.strip_prefix(b"-") {
        Some(rest) => uint(Some(rest))
            .and_then(|n| i64::try_from(n).ok())
            .map(|n| -n),
        None => uint(Some(v)).and_then(|n| i64::try_from(n).ok()),
    }
}

/// Asterisk's booleans: `1`/`0`, `Yes`/`No`, `true`/`false`, `on`/`off`.
pub(crate) fn boolean(v: Option<&[u8]>) -> Option<bool> {
    let v = v?;
    let yes = [&b"1"[..], b"yes", b"true", b"on", b"y"];
    let no = [&b"0"[..], b"no", b"false", b"off", b"n"];
    if yes.iter().any(|y| v.eq_ignore_ascii_case(y)) {
        Some(true)
    } else if no.iter().any(|n| v.eq_ignore_ascii_case(n)) {
        Some(false)
    } else {
        None
    }
}
