//! The one reviewed table of what the schema does not say: which event
//! headers are integers, booleans, times or durations, and names for the
//! values of numeric enumerations.
//!
//! The schema gives enumerations (`enum` lists); a list that is a boolean
//! pair (`Yes`/`No`, `0`/`1`, `True`/`False`, `on`/`off`,
//! `enabled`/`disabled`) becomes a `bool`, every other list an enum in
//! `ami_proto::typed::values`. Everything else is here, read off the docs'
//! wording and checked against Asterisk 22's sources where the docs are
//! wrong (noted per row). `ami-proto/tests/typed.rs` parses every typed
//! header of every capture in `testdata/captures`: a row that does not hold
//! on real traffic fails there.

/// The Rust type of a header, and how it is parsed (`ami_proto::typed::field::Kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    /// `u32`.
    U32,
    /// `i32`.
    I32,
    /// `bool`: `0/1`, `yes/no`, `true/false`, `on/off`, any case.
    Bool,
    /// `Timestamp` from whole epoch seconds.
    Epoch,
    /// `EventTime` from `2026-11-22T21:05:02.105+0000`.
    EventTime,
    /// `Duration` from whole seconds.
    Secs,
    /// `Duration` from milliseconds.
    Millis,
    /// `Duration` from microseconds.
    Micros,
    /// `Duration` from `HH:MM:SS` (or seconds).
    Clock,
    /// `HangupCause` from its Q.850 number.
    Cause,
}

impl Ty {
    /// The accessor's Rust type.
    pub(crate) fn rust(self) -> &'static str {
        match self {
            Self::U32 => "u32",
            Self::I32 => "i32",
            Self::Bool => "bool",
            Self::Epoch => "Timestamp",
            Self::EventTime => "EventTime",
            Self::Secs | Self::Millis | Self::Micros | Self::Clock => "Duration",
            Self::Cause => "HangupCause",
        }
    }

    /// The `Kind` that parses it.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Self::U32 => "Kind::Unsigned",
            Self::I32 => "Kind::Signed",
            Self::Bool => "Kind::Bool",
            Self::Epoch => "Kind::Epoch",
            Self::EventTime => "Kind::EventTime",
            Self::Secs => "Kind::Secs",
            Self::Millis => "Kind::Millis",
            Self::Micros => "Kind::Micros",
            Self::Clock => "Kind::Clock",
            Self::Cause => "Kind::Cause",
        }
    }
}

/// `(event, header, type)`. `event` `*` is every event; a header starting
/// with `*` matches every header ending with the rest (the snapshot
/// prefixes: `DestChannelState`, `TransfererPriority`, …). The first
/// matching row wins, so event-specific rows come first.
pub(crate) const FIELD_TYPES: &[(&str, &str, Ty)] = &[
    // Event-specific rows, where a name means something else elsewhere.
    // Docs: "in seconds since 00:00, Jan 1, 1970"; app_queue.c sends
    // `time(NULL) - qe->start`, a duration.
    ("AgentComplete", "HoldTime", Ty::Secs),
    ("AgentConnect", "HoldTime", Ty::Secs),
    ("AgentConnect", "RingTime", Ty::Secs),
    ("AgentComplete", "TalkTime", Ty::Secs),
    ("QueueCallerAbandon", "HoldTime", Ty::Secs),
    ("AgentRingNoAnswer", "RingTime", Ty::Secs),
    // CoreShowChannel's `Duration: 00:00:00` (capture 18).
    ("CoreShowChannel", "Duration", Ty::Clock),
    ("MeetmeListRooms", "Activity", Ty::Clock),
    ("Cdr", "Duration", Ty::Secs),
    ("DTMFEnd", "DurationMs", Ty::Millis),
    ("QueueParams", "Holdtime", Ty::Secs),
    ("QueueParams", "TalkTime", Ty::Secs),
    ("QueueParams", "Max", Ty::U32),
    ("QueueParams", "Calls", Ty::U32),
    ("QueueParams", "Completed", Ty::U32),
    ("QueueParams", "Abandoned", Ty::U32),
    ("Status", "Seconds", Ty::Secs),
    ("StatusComplete", "Items", Ty::U32),
    ("AgentLogoff", "Logintime", Ty::Secs),
    ("Agents", "CallStarted", Ty::Epoch),
    ("Agents", "LoggedInTime", Ty::Epoch),
    ("ConfbridgeList", "AnsweredTime", Ty::Secs),
    ("QueueEntry", "Wait", Ty::Secs),
    ("ParkedCall", "ParkingDuration", Ty::Secs),
    ("FullyBooted", "Uptime", Ty::Secs),
    ("FullyBooted", "LastReload", Ty::Secs),
    ("SuccessfulAuth", "UsingPassword", Ty::Bool),
    ("Hangup", "TechCause", Ty::I32),
    ("AGIExecEnd", "ResultCode", Ty::U32),
    ("MessageWaiting", "New", Ty::U32),
    ("MessageWaiting", "Old", Ty::U32),
    ("MWIGet", "NewMessages", Ty::U32),
    ("MWIGet", "OldMessages", Ty::U32),
    ("ContactList", "RoundtripUsec", Ty::Micros),
    ("ContactStatus", "RoundtripUsec", Ty::Micros),
    ("ContactStatusDetail", "RoundtripUsec", Ty::Micros),
    // Headers of one meaning wherever they appear.
    ("*", "*ChannelState", Ty::U32),
    ("*", "*Priority", Ty::U32),
    ("*", "*BridgeNumChannels", Ty::U32),
    ("*", "Cause", Ty::Cause),
    ("*", "EventTV", Ty::EventTime),
    ("*", "SessionTV", Ty::EventTime),
    ("*", "Count", Ty::U32),
    ("*", "Position", Ty::U32),
    ("*", "OriginalPosition", Ty::U32),
    ("*", "CallsTaken", Ty::U32),
    ("*", "Penalty", Ty::I32),
    ("*", "Wrapuptime", Ty::Secs),
    ("*", "LastCall", Ty::Epoch),
    ("*", "LastPause", Ty::Epoch),
    ("*", "LoginTime", Ty::Epoch),
    ("*", "ListItems", Ty::U32),
    ("*", "Parties", Ty::U32),
    ("*", "Marked", Ty::U32),
    ("*", "BillableSeconds", Ty::Secs),
    ("*", "ParkingTimeout", Ty::Secs),
    ("*", "ActiveChannels", Ty::U32),
    ("*", "TotalContacts", Ty::U32),
    ("*", "ContactsRegistered", Ty::U32),
    ("*", "PagesTransferred", Ty::U32),
    ("*", "Total", Ty::U32),
];

/// `(wire value, variant)` pairs.
pub(crate) type VariantNames = &'static [(&'static str, &'static str)];

/// Variant names for enumerations whose values are numbers or symbols:
/// `(listed values, [(value, variant)])`. Every listed value needs one.
pub(crate) const VALUE_NAMES: &[(&[&str], VariantNames)] = &[
    // QueueMember*'s `Status`: the device state (`enum ast_device_state`).
    (
        &["0", "1", "2", "3", "4", "5", "6", "7", "8"],
        &[
            ("0", "Unknown"),
            ("1", "NotInUse"),
            ("2", "InUse"),
            ("3", "Busy"),
            ("4", "Invalid"),
            ("5", "Unavailable"),
            ("6", "Ringing"),
            ("7", "RingInUse"),
            ("8", "OnHold"),
        ],
    ),
    // ExtensionStatus's `Status`: the extension state (`enum ast_extension_states`).
    (
        &["-2", "-1", "0", "1", "2", "4", "8", "9", "16", "17"],
        &[
            ("-2", "Removed"),
            ("-1", "Deactivated"),
            ("0", "NotInUse"),
            ("1", "InUse"),
            ("2", "Busy"),
            ("4", "Unavailable"),
            ("8", "Ringing"),
            ("9", "InUseRinging"),
            ("16", "OnHold"),
            ("17", "InUseOnHold"),
        ],
    ),
    // Reload's `Status` (`enum ast_module_reload_result`).
    (
        &["0", "1", "2", "3", "4", "5", "6"],
        &[
            ("0", "NotFound"),
            ("1", "Success"),
            ("2", "Queued"),
            ("3", "Error"),
            ("4", "InProgress"),
            ("5", "Uninitialized"),
            ("6", "NotImplemented"),
        ],
    ),
    // AOC's `Multiplier`.
    (
        &["1/1000", "1/100", "1/10", "1", "10", "100", "1000"],
        &[
            ("1/1000", "OneThousandth"),
            ("1/100", "OneHundredth"),
            ("1/10", "OneTenth"),
            ("1", "One"),
            ("10", "Ten"),
            ("100", "Hundred"),
            ("1000", "Thousand"),
        ],
    ),
    // RTCP's `PT`.
    (
        &["200(SR)", "201(RR)"],
        &[("200(SR)", "SenderReport"), ("201(RR)", "ReceiverReport")],
    ),
];

/// Names for enumerations whose field name alone is ambiguous (several
/// lists under one name): `(event, header, type name)`; the other events
/// with the same list share the type.
pub(crate) const ENUM_NAMES: &[(&str, &str, &str)] = &[
    ("QueueMemberStatus", "Status", "DeviceState"),
    ("ExtensionStatus", "Status", "ExtensionState"),
    ("Reload", "Status", "ReloadStatus"),
    ("Agents", "Status", "AgentStatus"),
    ("ContactList", "Status", "ContactListStatus"),
    ("Load", "Status", "LoadStatus"),
    ("Unload", "Status", "UnloadStatus"),
    ("Registry", "Status", "RegistryStatus"),
    (
        "OutboundRegistrationDetail",
        "Status",
        "OutboundRegistrationStatus",
    ),
    ("DialState", "DialStatus", "DialProgress"),
    ("DialEnd", "DialStatus", "DialStatus"),
    ("FAXSession", "Operation", "FaxSessionOperation"),
    ("FAXStatus", "Operation", "FaxStatusOperation"),
    ("AOC-D", "Type", "AocChargeType"),
    ("OriginateResponse", "Response", "OriginateResult"),
];

/// Whether a listed set of values is a boolean pair.
pub(crate) fn is_bool_pair(values: &[String]) -> bool {
    const PAIRS: &[[&str; 2]] = &[
        ["yes", "no"],
        ["0", "1"],
        ["true", "false"],
        ["on", "off"],
        ["enabled", "disabled"],
    ];
    let mut lower: Vec<String> = values.iter().map(|v| v.to_ascii_lowercase()).collect();
    lower.sort();
    PAIRS.iter().any(|pair| {
        let mut p: Vec<&str> = pair.to_vec();
        p.sort_unstable();
        lower == p
    })
}
