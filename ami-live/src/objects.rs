//! The live objects: what the model knows of each channel, bridge, queue,
//! parked call, conference, device and hint.
//!
//! Every object is plain data ([`Clone`], [`PartialEq`]); the model hands
//! out references to the ones it holds and moves a removed one into its
//! [`Change::Removed`](crate::Change::Removed). Text fields keep the
//! value as Asterisk sent it (`<unknown>` caller ids included); numbers,
//! flags and states are parsed.

use std::collections::BTreeMap;

use std::fmt;

use crate::values::{ChannelState, DeviceState, HangupCause};

/// What the sync needs to know of an object: the last event that touched
/// it and the last sync that listed it. It takes no part in comparisons.
#[derive(Clone, Copy, Default)]
pub(crate) struct Meta {
    pub(crate) touched: u64,
    pub(crate) confirmed: u32,
    /// Channels: the last event that set the application (`Newexten`)…
    pub(crate) app: u64,
    /// … and the bridge (`BridgeEnter`, `BridgeLeave`, `BridgeMerge`).
    pub(crate) bridge: u64,
    /// Queues: events were missed since the last list (a disconnect), so
    /// the counters counted on from events are off.
    pub(crate) missed: bool,
}

impl Meta {
    /// The meta of an object an event made (event `seq`; 0 for none).
    pub(crate) fn touched_at(seq: u64) -> Self {
        Self {
            touched: seq,
            ..Self::default()
        }
    }

    /// The meta of an object the list of sync `generation` made.
    pub(crate) fn listed(generation: u32) -> Self {
        Self {
            confirmed: generation,
            ..Self::default()
        }
    }

    /// Whether a sweep after the list of sync `generation` (sent when
    /// `req_seq` events had been applied) removes the object: the list did
    /// not show it and no event touched it since the request.
    pub(crate) fn unlisted(&self, generation: u32, req_seq: u64) -> bool {
        self.confirmed != generation && self.touched <= req_seq
    }
}

/// An object a sync lists: it has a [`Meta`].
pub(crate) trait Tracked {
    fn meta(&self) -> &Meta;
}

macro_rules! tracked {
    ($($t:ty),*) => {
        $(impl Tracked for $t {
            fn meta(&self) -> &Meta {
                &self.meta
            }
        })*
    };
}

tracked!(
    Channel,
    Bridge,
    Queue,
    QueueMember,
    QueueCaller,
    ParkedCall,
    Conference,
    Participant,
    Device,
    Hint,
    Agent
);

/// Whether a list entry may overwrite the object (absent, or no event
/// touched it after the request sent when `req_seq` events had been
/// applied).
pub(crate) fn listable<T: Tracked>(object: Option<&T>, req_seq: u64) -> bool {
    object.is_none_or(|o| o.meta().touched <= req_seq)
}

/// The keys of the objects a sweep after the list of sync `generation`
/// removes ([`Meta::unlisted`]).
pub(crate) fn unlisted<'a, K: Clone + 'a, T: Tracked + 'a>(
    objects: impl IntoIterator<Item = (&'a K, &'a T)>,
    generation: u32,
    req_seq: u64,
) -> Vec<K> {
    objects
        .into_iter()
        .filter(|(_, o)| o.meta().unlisted(generation, req_seq))
        .map(|(k, _)| k.clone())
        .collect()
}

impl PartialEq for Meta {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Meta {}

impl fmt::Debug for Meta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "touched #{}, listed by sync {}",
            self.touched, self.confirmed
        )
    }
}

/// A caller ID or connected line: number and name, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Party {
    /// `CallerIDNum` / `ConnectedLineNum`.
    pub num: String,
    /// `CallerIDName` / `ConnectedLineName`.
    pub name: String,
}

impl Party {
    /// Whether Asterisk knows neither number nor name (`<unknown>` or empty).
    ///
    /// ```
    /// let p = ami_live::Party { num: "<unknown>".into(), name: String::new() };
    /// assert!(p.is_unknown());
    /// ```
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        let unknown = |s: &str| s.is_empty() || s == "<unknown>";
        unknown(&self.num) && unknown(&self.name)
    }
}

/// Which side of a dial a channel is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialRole {
    /// The channel that dials (`Channel` of `DialBegin`).
    Caller,
    /// The channel being dialed (`DestChannel`).
    Callee,
}

/// A dial the channel is part of (`DialBegin` … `DialState` … `DialEnd`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    /// This channel's side.
    pub role: DialRole,
    /// The uniqueid of the channel on the other side, when the event named
    /// one (an originated call's first dial has no caller).
    pub peer: Option<String>,
    /// `DialString` (`PJSIP/200`), empty when not sent.
    pub dial_string: String,
    /// The last `DialStatus`: `RINGING`, `PROCEEDING`, `PROGRESS` while it
    /// goes on, then `ANSWER`, `BUSY`, `NOANSWER`, `CANCEL`, `CONGESTION`,
    /// `CHANUNAVAIL`, … when it ended; `None` right after `DialBegin`.
    pub status: Option<String>,
    /// Whether `DialEnd` came.
    pub ended: bool,
}

/// How a channel ended (`Hangup`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hangup {
    /// `Cause`.
    pub cause: HangupCause,
    /// `Cause-txt`, as sent.
    pub text: String,
}

/// A channel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Channel {
    /// `Uniqueid`: the key.
    pub uniqueid: String,
    /// `Channel`: `PJSIP/100-0000002a`. Can change (masquerades); the
    /// uniqueid does not.
    pub name: String,
    /// `Linkedid`: the call it belongs to.
    pub linkedid: String,
    /// `ChannelState`.
    pub state: ChannelState,
    /// Caller ID.
    pub caller_id: Party,
    /// Connected line.
    pub connected_line: Party,
    /// `AccountCode`.
    pub account_code: String,
    /// `Language`.
    pub language: String,
    /// Dialplan location: `Context`.
    pub context: String,
    /// Dialplan location: `Exten`.
    pub exten: String,
    /// Dialplan location: `Priority`.
    pub priority: u32,
    /// The application running (`Newexten`'s `Application`, a list's
    /// `Application`), empty before the first.
    pub application: String,
    /// Its argument (`AppData` / `ApplicationData`).
    pub application_data: String,
    /// When it was created (Unix seconds): from the uniqueid's time part,
    /// else from a list's `Duration` and the model's clock.
    pub created: Option<i64>,
    /// The bridge it is in.
    pub bridge: Option<String>,
    /// On hold (`Hold` / `Unhold`); `None` when not known: no list says
    /// it, so a channel the model first met in a list (at a sync, after a
    /// reconnect) is `None` until its next `Hold` or `Unhold`.
    pub on_hold: Option<bool>,
    /// The music class of the hold, as sent.
    pub music_class: String,
    /// The dials it takes part in (the ended ones are kept until the next
    /// `DialBegin` of the channel).
    pub dials: Vec<Dial>,
    /// How it ended; set on the channel a removal reports.
    pub hangup: Option<Hangup>,
    pub(crate) meta: Meta,
}

/// A bridge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bridge {
    /// `BridgeUniqueid`: the key.
    pub id: String,
    /// `BridgeType`: `basic`, `parking`, `base` (ConfBridge), …
    pub bridge_type: String,
    /// `BridgeTechnology`: `simple_bridge`, `softmix`, `holding_bridge`, …
    pub technology: String,
    /// `BridgeCreator`: `Parking`, `ConfBridge`, `<unknown>`, …
    pub creator: String,
    /// `BridgeName`.
    pub name: String,
    /// The uniqueids of its channels, in the order they entered.
    pub channels: Vec<String>,
    pub(crate) meta: Meta,
}

/// A call: the channels sharing a `Linkedid`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Call {
    /// The shared `Linkedid`: the key.
    pub linkedid: String,
    /// The uniqueids of its channels, oldest first.
    pub channels: Vec<String>,
}

/// A queue (`QueueParams`, with its members and callers).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Queue {
    /// `Queue`: the key.
    pub name: String,
    /// `Strategy`: `ringall`, `leastrecent`, …
    pub strategy: String,
    /// `Max` callers (0: no limit).
    pub max: u64,
    /// `Calls`: callers waiting.
    pub calls: u64,
    /// `Holdtime`: average seconds (as Asterisk last reported it).
    pub holdtime: u64,
    /// `TalkTime`: average seconds (as Asterisk last reported it).
    pub talk_time: u64,
    /// `Completed` calls (counted on from events).
    pub completed: u64,
    /// `Abandoned` calls (counted on from events).
    pub abandoned: u64,
    /// `ServiceLevel` seconds.
    pub service_level: u64,
    /// `ServicelevelPerf`, as sent (`0.0`).
    pub service_level_perf: String,
    /// `Weight`.
    pub weight: u64,
    /// The members, by interface.
    pub members: BTreeMap<String, QueueMember>,
    /// The callers waiting, by position (1 first).
    pub callers: Vec<QueueCaller>,
    pub(crate) meta: Meta,
}

/// A member of a queue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueMember {
    /// `Interface` (`Location` in `QueueStatus`): the key within the queue.
    pub interface: String,
    /// `MemberName` (`Name` in `QueueStatus`).
    pub name: String,
    /// `StateInterface`.
    pub state_interface: String,
    /// `Membership`: `static`, `dynamic`, `realtime`.
    pub membership: String,
    /// `Penalty`.
    pub penalty: u64,
    /// `CallsTaken`.
    pub calls_taken: u64,
    /// `LastCall` (Unix seconds, 0: never).
    pub last_call: u64,
    /// `LastPause` (Unix seconds, 0: never).
    pub last_pause: u64,
    /// `LoginTime` (Unix seconds).
    pub login_time: u64,
    /// `InCall`.
    pub in_call: bool,
    /// `Status`: the device state of the member.
    pub status: DeviceState,
    /// `Paused`.
    pub paused: bool,
    /// `PausedReason`.
    pub paused_reason: String,
    /// `Ringinuse`, when sent (events send it, `QueueStatus` does not).
    pub ring_in_use: Option<bool>,
    /// `Wrapuptime` seconds.
    pub wrapup_time: u64,
    pub(crate) meta: Meta,
}

/// A caller waiting in a queue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueCaller {
    /// `Uniqueid` of its channel: the key within the queue.
    pub uniqueid: String,
    /// `Channel`.
    pub channel: String,
    /// `Position` (1 first).
    pub position: u32,
    /// Waiting since (Unix seconds): the join's time by the model's clock
    /// (`QueueEntry`'s `Wait` counted back).
    pub since: Option<i64>,
    /// Whether it abandoned: `QueueCallerAbandon` came (it hung up while
    /// waiting), just before it leaves.
    pub abandoned: bool,
    pub(crate) meta: Meta,
}

/// A parked call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParkedCall {
    /// `ParkeeUniqueid`: the key.
    pub uniqueid: String,
    /// `ParkeeChannel`.
    pub channel: String,
    /// `Parkinglot`.
    pub lot: String,
    /// `ParkingSpace`.
    pub space: String,
    /// `ParkerDialString`: who parked it.
    pub parker_dial_string: String,
    /// The seconds it may stay parked, in all (`ParkingTimeout`, what is
    /// left, plus `ParkingDuration`, what passed): it times out at
    /// `since + timeout`.
    pub timeout: u64,
    /// Parked since (Unix seconds, from `ParkingDuration` and the model's
    /// clock).
    pub since: Option<i64>,
    pub(crate) meta: Meta,
}

/// Why a parked call left its space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unparked {
    /// `ParkedCallTimeOut`.
    TimedOut,
    /// `ParkedCallGiveUp`: the parkee hung up.
    GaveUp,
    /// `UnParkedCall`: retrieved, by this channel.
    Retrieved(String),
    /// Not listed by a sync any more.
    Vanished,
}

/// A ConfBridge conference.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conference {
    /// `Conference`: the key.
    pub name: String,
    /// `Locked`.
    pub locked: bool,
    /// Its bridge (`BridgeUniqueid` of `ConfbridgeStart`/`Join`).
    pub bridge: Option<String>,
    /// The participants, by uniqueid.
    pub participants: BTreeMap<String, Participant>,
    pub(crate) meta: Meta,
}

/// A participant of a conference.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Participant {
    /// `Uniqueid`: the key within the conference.
    pub uniqueid: String,
    /// `Channel`.
    pub channel: String,
    /// `Admin`.
    pub admin: bool,
    /// `Muted`.
    pub muted: bool,
    /// `MarkedUser`; `None` when not known: `ConfbridgeJoin` does not
    /// say, `ConfbridgeList` does (the next sync fills it in).
    pub marked: Option<bool>,
    /// Talking (`ConfbridgeTalking`, `Talking`).
    pub talking: bool,
    /// `Waiting` for a marked user.
    pub waiting: bool,
    pub(crate) meta: Meta,
}

/// A device and its state (`DeviceStateChange`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Device {
    /// `Device`: `PJSIP/100`, `Custom:desk900`, `Queue:support_avail`, …
    pub name: String,
    /// `State`.
    pub state: DeviceState,
    pub(crate) meta: Meta,
}

/// A hint (`ExtensionStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hint {
    /// `Exten`.
    pub exten: String,
    /// `Context`.
    pub context: String,
    /// `Hint`: the devices it watches.
    pub hint: String,
    /// `Status`: -1 deactivated, 0 idle, 1 in use, 2 busy, 4 unavailable,
    /// 8 ringing, 16 on hold, sums for combinations.
    pub status: i64,
    /// `StatusText`: `Idle`, `InUse`, …
    pub status_text: String,
    pub(crate) meta: Meta,
}

/// An agent of app_agent_pool (`AgentLogin`/`AgentLogoff`, `Agents`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Agent {
    /// `Agent`: the key.
    pub id: String,
    /// `Name`, when listed.
    pub name: String,
    /// `Status` as listed (`AGENT_IDLE`, `AGENT_ONCALL`, …); `AGENT_IDLE`
    /// after a login event.
    pub status: String,
    /// The uniqueid of the channel it is logged in on.
    pub channel: Option<String>,
    pub(crate) meta: Meta,
}

/// An endpoint's reachability: a peer (`PeerStatus`) or a PJSIP contact
/// (`ContactStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Peer {
    /// `Peer` (`PJSIP/100`), or a contact's `URI`: the key.
    pub name: String,
    /// `ChannelType` (`PJSIP`, `IAX2`), or the `EndpointName` of a contact.
    pub channel_type: String,
    /// `PeerStatus` (`Reachable`, `Unreachable`, `Registered`, …) or
    /// `ContactStatus`.
    pub status: String,
    /// `Address`, or a contact's `AOR`.
    pub address: String,
    pub(crate) meta: Meta,
}
