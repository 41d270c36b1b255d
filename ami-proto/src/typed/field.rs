//! Parsed header values: what the typed accessors of [`events`](super::events)
//! return, and the error for a value that does not parse.
//!
//! Which header parses as what comes from the schema (its enumerations) and
//! from one reviewed table in `ami-codegen` (`ami-codegen/src/types.rs`) for
//! what the docs only say in words: integers, booleans, timestamps,
//! durations and the Q.850 hangup cause. A typed accessor returns
//! `Result<Option<T>, FieldError>`: `Ok(None)` when the header is absent,
//! `Err` when it is there but does not parse; the raw bytes stay in the
//! error and behind the `…_raw` accessor beside it.
//!
//! ```
//! use std::time::Duration;
//! use ami_proto::typed::{Event, field::HangupCause, values::ChannelStateDesc};
//! use ami_proto::{Decoded, Decoder};
//!
//! let mut decoder = Decoder::new();
//! decoder.feed(b"Event: Hangup\r\nChannel: PJSIP/100-00000001\r\nChannelState: 6\r\n\
//!                ChannelStateDesc: Up\r\nCause: 17\r\nCause-txt: User busy\r\n\r\n\
//!                Event: FullyBooted\r\nUptime: 37\r\nLastReload: x\r\n\r\n");
//! let Some(Decoded::Message(hangup)) = decoder.decode() else { panic!() };
//! let Event::Hangup(h) = Event::from_message(&hangup) else { panic!() };
//! assert_eq!(h.cause().unwrap(), Some(HangupCause::UserBusy));
//! assert_eq!(h.cause().unwrap().unwrap().code(), 17);
//! assert_eq!(h.channel_state().unwrap(), Some(6));
//! assert_eq!(h.channel_state_desc().unwrap(), Some(ChannelStateDesc::Up));
//! assert_eq!(h.tech_cause().unwrap(), None); // not sent
//! assert_eq!(h.cause_raw().unwrap(), "17");
//!
//! let Some(Decoded::Message(booted)) = decoder.decode() else { panic!() };
//! let Event::FullyBooted(b) = Event::from_message(&booted) else { panic!() };
//! assert_eq!(b.uptime().unwrap(), Some(Duration::from_secs(37)));
//! let error = b.last_reload().unwrap_err();
//! assert_eq!(error.field(), "LastReload");
//! assert_eq!(error.raw(), b"x");
//! ```

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{Message, Value};

/// A documented header that is there but does not parse as its type: the
/// header's name, its raw bytes and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    field: &'static str,
    raw: Vec<u8>,
    expected: &'static str,
}

impl FieldError {
    pub(crate) fn new(field: &'static str, raw: &[u8], expected: &'static str) -> Self {
        Self {
            field,
            raw: raw.to_vec(),
            expected,
        }
    }

    /// The header's name, as documented.
    #[must_use]
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The value exactly as it came off the wire.
    #[must_use]
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// What the value should have been (`"an integer"`, `"a boolean"`, …).
    #[must_use]
    pub fn expected(&self) -> &'static str {
        self.expected
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "header {}: {:?} is not {}",
            self.field,
            String::from_utf8_lossy(&self.raw),
            self.expected
        )
    }
}

impl std::error::Error for FieldError {}

/// A Unix time with microseconds: the envelope's `Timestamp: 1700000000.123456`
/// (manager.conf `timestampevents`), and the epoch seconds of queue members'
/// `LastCall` or `LoginTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    micros: u32,
}

impl Timestamp {
    /// `secs` seconds and `micros` microseconds (below one million) after
    /// the Unix epoch.
    #[must_use]
    pub fn new(secs: i64, micros: u32) -> Self {
        Self {
            secs: secs + i64::from(micros / 1_000_000),
            micros: micros % 1_000_000,
        }
    }

    /// Whole seconds since the Unix epoch.
    #[must_use]
    pub fn unix_secs(self) -> i64 {
        self.secs
    }

    /// The microseconds past [`unix_secs`](Self::unix_secs).
    #[must_use]
    pub fn subsec_micros(self) -> u32 {
        self.micros
    }

    /// Seconds since the epoch as a float, as Asterisk writes it.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn as_secs_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.micros) / 1e6
    }

    /// The time as a [`SystemTime`].
    #[must_use]
    pub fn to_system_time(self) -> SystemTime {
        let sub = Duration::from_micros(u64::from(self.micros));
        if self.secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(self.secs.unsigned_abs()) + sub
        } else {
            UNIX_EPOCH - Duration::from_secs(self.secs.unsigned_abs()) + sub
        }
    }

    /// `secs[.fraction]`, the fraction up to microseconds (more digits are
    /// cut off).
    fn parse(raw: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(raw).ok()?;
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let secs = parse_int::<i64>(whole.as_bytes())?;
        if !frac.bytes().all(|b| b.is_ascii_digit()) || (frac.is_empty() && text.contains('.')) {
            return None;
        }
        let mut micros = 0u32;
        for i in 0..6 {
            let digit = frac.as_bytes().get(i).map_or(0, |b| b - b'0');
            micros = micros * 10 + u32::from(digit);
        }
        Some(Self::new(secs, micros))
    }
}

/// A security event's `EventTV` or `SessionTV`
/// (`2026-11-22T21:05:02.105+0000`): the instant and the UTC offset it was
/// written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventTime {
    time: Timestamp,
    offset_minutes: i32,
}

impl EventTime {
    /// The instant.
    #[must_use]
    pub fn timestamp(self) -> Timestamp {
        self.time
    }

    /// The UTC offset the server wrote, in minutes east of UTC.
    #[must_use]
    pub fn utc_offset_minutes(self) -> i32 {
        self.offset_minutes
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](+|-)HHMM` (also `Z`, and a space for `T`).
    fn parse(raw: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(raw).ok()?;
        let b = text.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num =
            |r: std::ops::Range<usize>| -> Option<i64> { parse_int::<u32>(&b[r]).map(i64::from) };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut rest = &text[19..];
        let mut micros = 0u32;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            for i in 0..6 {
                let digit = frac.as_bytes()[..digits].get(i).map_or(0, |d| d - b'0');
                micros = micros * 10 + u32::from(digit);
            }
            rest = &frac[digits..];
        }
        let offset_minutes = match rest.as_bytes() {
            [b'Z'] => 0,
            [sign @ (b'+' | b'-'), hh @ ..]
                if hh.len() == 4 || (hh.len() == 5 && hh[2] == b':') =>
            {
                let h = parse_int::<u32>(&hh[..2])?;
                let m = parse_int::<u32>(&hh[hh.len() - 2..])?;
                let total = i32::try_from(h * 60 + m).ok()?;
                if *sign == b'-' { -total } else { total }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let local = days * 86_400 + hour * 3_600 + minute * 60 + second;
        Some(Self {
            time: Timestamp::new(local - i64::from(offset_minutes) * 60, micros),
            offset_minutes,
        })
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (the usual era-based
/// computation: 400-year eras of 146,097 days).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

macro_rules! hangup_causes {
    ($($variant:ident = $code:literal, $name:literal;)*) => {
        /// A Q.850 hangup cause, as Asterisk numbers and names them
        /// (`AST_CAUSE_*`, the names of `HANGUPCAUSE` and `core show hangupcauses`).
        ///
        /// The `Cause` header is the number; [`code`](Self::code) and
        /// [`name`](Self::name) give both, `Other` keeps a number Asterisk
        /// does not name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum HangupCause {
            $(
                #[doc = concat!("`", $code, "` `", $name, "`")]
                $variant,
            )*
            /// A number without a name.
            Other(u32),
        }

        impl HangupCause {
            /// The cause of a number.
            #[must_use]
            pub fn from_code(code: u32) -> Self {
                match code {
                    $($code => Self::$variant,)*
                    other => Self::Other(other),
                }
            }

            /// The cause of an Asterisk name (`NORMAL_CLEARING`, ASCII case
            /// ignored, with or without `AST_CAUSE_`).
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                let name = name.strip_prefix("AST_CAUSE_").unwrap_or(name);
                $(if name.eq_ignore_ascii_case($name) { return Some(Self::$variant); })*
                None
            }

            /// The Q.850 number.
            #[must_use]
            pub fn code(self) -> u32 {
                match self {
                    $(Self::$variant => $code,)*
                    Self::Other(code) => code,
                }
            }

            /// Asterisk's name (`NORMAL_CLEARING`), `None` for `Other`.
            #[must_use]
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $(Self::$variant => Some($name),)*
                    Self::Other(_) => None,
                }
            }
        }
    };
}

hangup_causes! {
    NotDefined = 0, "NOTDEFINED";
    Unallocated = 1, "UNALLOCATED";
    NoRouteTransitNet = 2, "NO_ROUTE_TRANSIT_NET";
    NoRouteDestination = 3, "NO_ROUTE_DESTINATION";
    MisdialledTrunkPrefix = 5, "MISDIALLED_TRUNK_PREFIX";
    ChannelUnacceptable = 6, "CHANNEL_UNACCEPTABLE";
    CallAwardedDelivered = 7, "CALL_AWARDED_DELIVERED";
    PreEmpted = 8, "PRE_EMPTED";
    NumberPortedNotHere = 14, "NUMBER_PORTED_NOT_HERE";
    NormalClearing = 16, "NORMAL_CLEARING";
    UserBusy = 17, "USER_BUSY";
    NoUserResponse = 18, "NO_USER_RESPONSE";
    NoAnswer = 19, "NO_ANSWER";
    SubscriberAbsent = 20, "SUBSCRIBER_ABSENT";
    CallRejected = 21, "CALL_REJECTED";
    NumberChanged = 22, "NUMBER_CHANGED";
    RedirectedToNewDestination = 23, "REDIRECTED_TO_NEW_DESTINATION";
    AnsweredElsewhere = 26, "ANSWERED_ELSEWHERE";
    DestinationOutOfOrder = 27, "DESTINATION_OUT_OF_ORDER";
    InvalidNumberFormat = 28, "INVALID_NUMBER_FORMAT";
    FacilityRejected = 29, "FACILITY_REJECTED";
    ResponseToStatusEnquiry = 30, "RESPONSE_TO_STATUS_ENQUIRY";
    NormalUnspecified = 31, "NORMAL_UNSPECIFIED";
    NormalCircuitCongestion = 34, "NORMAL_CIRCUIT_CONGESTION";
    NetworkOutOfOrder = 38, "NETWORK_OUT_OF_ORDER";
    NormalTemporaryFailure = 41, "NORMAL_TEMPORARY_FAILURE";
    SwitchCongestion = 42, "SWITCH_CONGESTION";
    AccessInfoDiscarded = 43, "ACCESS_INFO_DISCARDED";
    RequestedChanUnavail = 44, "REQUESTED_CHAN_UNAVAIL";
    FacilityNotSubscribed = 50, "FACILITY_NOT_SUBSCRIBED";
    OutgoingCallBarred = 52, "OUTGOING_CALL_BARRED";
    IncomingCallBarred = 54, "INCOMING_CALL_BARRED";
    BearerCapabilityNotAuth = 57, "BEARERCAPABILITY_NOTAUTH";
    BearerCapabilityNotAvail = 58, "BEARERCAPABILITY_NOTAVAIL";
    BearerCapabilityNotImpl = 65, "BEARERCAPABILITY_NOTIMPL";
    ChanNotImplemented = 66, "CHAN_NOT_IMPLEMENTED";
    FacilityNotImplemented = 69, "FACILITY_NOT_IMPLEMENTED";
    InvalidCallReference = 81, "INVALID_CALL_REFERENCE";
    IncompatibleDestination = 88, "INCOMPATIBLE_DESTINATION";
    InvalidMsgUnspecified = 95, "INVALID_MSG_UNSPECIFIED";
    MandatoryIeMissing = 96, "MANDATORY_IE_MISSING";
    MessageTypeNonexist = 97, "MESSAGE_TYPE_NONEXIST";
    WrongMessage = 98, "WRONG_MESSAGE";
    IeNonexist = 99, "IE_NONEXIST";
    InvalidIeContents = 100, "INVALID_IE_CONTENTS";
    WrongCallState = 101, "WRONG_CALL_STATE";
    RecoveryOnTimerExpire = 102, "RECOVERY_ON_TIMER_EXPIRE";
    MandatoryIeLengthError = 103, "MANDATORY_IE_LENGTH_ERROR";
    ProtocolError = 111, "PROTOCOL_ERROR";
    Interworking = 127, "INTERWORKING";
}

fn parse_int<T: std::str::FromStr>(raw: &[u8]) -> Option<T> {
    // `FromStr` for integers takes a leading `+`; the wire never has one.
    if raw.first() == Some(&b'+') {
        return None;
    }
    std::str::from_utf8(raw).ok()?.parse().ok()
}

fn parse_bool(raw: &[u8]) -> Option<bool> {
    const TRUE: &[&[u8]] = &[b"1", b"yes", b"true", b"on", b"y", b"t", b"enabled"];
    const FALSE: &[&[u8]] = &[b"0", b"no", b"false", b"off", b"n", b"f", b"disabled"];
    if TRUE.iter().any(|t| raw.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE.iter().any(|f| raw.eq_ignore_ascii_case(f)) {
        Some(false)
    } else {
        None
    }
}

/// `HH:MM:SS` (hours may exceed 24), or plain seconds.
fn parse_clock(raw: &[u8]) -> Option<Duration> {
    let text = std::str::from_utf8(raw).ok()?;
    let parts: Vec<&str> = text.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return parse_int::<u64>(raw).map(Duration::from_secs);
    };
    let h = parse_int::<u64>(h.as_bytes())?;
    let m = parse_int::<u64>(m.as_bytes()).filter(|m| *m < 60)?;
    let s = parse_int::<u64>(s.as_bytes()).filter(|s| *s < 61)?;
    Some(Duration::from_secs(h.checked_mul(3600)? + m * 60 + s))
}

/// How one header parses; the generated views list theirs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// An unsigned integer.
    Unsigned,
    /// A signed integer.
    Signed,
    /// A boolean in any of Asterisk's spellings.
    Bool,
    /// `secs.micros` since the epoch.
    Timestamp,
    /// Whole seconds since the epoch.
    Epoch,
    /// An ISO 8601 time with a UTC offset.
    EventTime,
    /// A number of seconds.
    Secs,
    /// A number of milliseconds.
    Millis,
    /// A number of microseconds.
    Micros,
    /// `HH:MM:SS` or seconds.
    Clock,
    /// A Q.850 cause number.
    Cause,
    /// One of the listed values (ASCII case ignored), else any other text;
    /// the values, then their variants' names.
    Enum(&'static [&'static str], &'static [&'static str]),
}

impl Kind {
    /// What a value of this kind looks like, for [`FieldError::expected`].
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Self::Unsigned => "an unsigned integer",
            Self::Signed => "an integer",
            Self::Bool => "a boolean",
            Self::Timestamp => "a Unix time (seconds.micros)",
            Self::Epoch => "a Unix time in seconds",
            Self::EventTime => "a date and time with UTC offset",
            Self::Secs => "a number of seconds",
            Self::Millis => "a number of milliseconds",
            Self::Micros => "a number of microseconds",
            Self::Clock => "a duration (HH:MM:SS or seconds)",
            Self::Cause => "a Q.850 cause number",
            Self::Enum(..) => "UTF-8 text",
        }
    }

    /// Parses `raw`.
    fn parse<'a>(self, raw: Value<'a>) -> Option<FieldValue<'a>> {
        let b = raw.as_bytes();
        Some(match self {
            Self::Unsigned => FieldValue::Unsigned(parse_int(b)?),
            Self::Signed => FieldValue::Signed(parse_int(b)?),
            Self::Bool => FieldValue::Bool(parse_bool(b)?),
            Self::Timestamp => FieldValue::Timestamp(Timestamp::parse(b)?),
            Self::Epoch => FieldValue::Timestamp(Timestamp::new(parse_int(b)?, 0)),
            Self::EventTime => FieldValue::EventTime(EventTime::parse(b)?),
            Self::Secs => FieldValue::Duration(Duration::from_secs(parse_int(b)?)),
            Self::Millis => FieldValue::Duration(Duration::from_millis(parse_int(b)?)),
            Self::Micros => FieldValue::Duration(Duration::from_micros(parse_int(b)?)),
            Self::Clock => FieldValue::Duration(parse_clock(b)?),
            Self::Cause => FieldValue::Cause(parse_cause(b)?),
            Self::Enum(values, names) => {
                let text = raw.as_str().ok()?;
                match values.iter().position(|v| v.eq_ignore_ascii_case(text)) {
                    Some(i) => FieldValue::Enum {
                        value: values[i],
                        name: names[i],
                    },
                    None => FieldValue::Text(raw),
                }
            }
        })
    }
}

fn parse_cause(raw: &[u8]) -> Option<HangupCause> {
    match parse_int::<u32>(raw) {
        Some(code) => Some(HangupCause::from_code(code)),
        None => HangupCause::from_name(std::str::from_utf8(raw).ok()?),
    }
}

/// One header's value, parsed by its documented type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldValue<'a> {
    /// An untyped header, or an enumerated one with a value the docs do not list.
    Text(Value<'a>),
    /// An unsigned integer.
    Unsigned(u64),
    /// A signed integer.
    Signed(i64),
    /// A boolean.
    Bool(bool),
    /// A listed value of an enumerated header.
    Enum {
        /// The value in the docs' spelling (`Dialing Offhook`, `6`).
        value: &'static str,
        /// Its variant's name in [`values`](super::values) (`DialingOffhook`, `Ringing`).
        name: &'static str,
    },
    /// A point in time.
    Timestamp(Timestamp),
    /// A point in time with the offset it was written with.
    EventTime(EventTime),
    /// A duration.
    Duration(Duration),
    /// A Q.850 hangup cause.
    Cause(HangupCause),
}

/// Parses header `key`'s `raw` value by `kind`, untyped when `kind` is `None`.
pub(crate) fn parse_dynamic<'a>(
    key: &'static str,
    kind: Option<Kind>,
    raw: Value<'a>,
) -> Result<FieldValue<'a>, FieldError> {
    match kind {
        None => Ok(FieldValue::Text(raw)),
        Some(kind) => kind
            .parse(raw)
            .ok_or_else(|| FieldError::new(key, raw.as_bytes(), kind.expected())),
    }
}

/// Every header of `msg` in wire order, each parsed by `kinds` (the
/// envelope's `Timestamp` too); other headers are [`FieldValue::Text`].
pub(crate) fn typed_headers<'a>(
    msg: &'a Message,
    kinds: &'static [(&'static str, Kind)],
) -> impl Iterator<Item = (Value<'a>, Result<FieldValue<'a>, FieldError>)> + 'a {
    const ENVELOPE: &[(&str, Kind)] = &[("Timestamp", Kind::Timestamp)];
    msg.headers().map(move |(key, value)| {
        let found = kinds
            .iter()
            .chain(ENVELOPE)
            .find(|(name, _)| key.eq_ignore_ascii_case(name));
        let parsed = match found {
            Some((name, kind)) => parse_dynamic(name, Some(*kind), value),
            None => Ok(FieldValue::Text(value)),
        };
        (key, parsed)
    })
}

/// What a typed accessor turns a header into.
pub(crate) trait FromField<'a>: Sized {
    /// From a parsed value of the header's kind.
    fn from_field(value: FieldValue<'a>) -> Option<Self>;
}

macro_rules! from_field {
    ($($ty:ty => |$v:ident| $body:expr;)*) => {
        $(impl<'a> FromField<'a> for $ty {
            fn from_field(value: FieldValue<'a>) -> Option<Self> {
                #[allow(clippy::match_wildcard_for_single_variants)]
                match value { $v => $body }
            }
        })*
    };
}

from_field! {
    u32 => |v| match v { FieldValue::Unsigned(n) => n.try_into().ok(), _ => None };
    u64 => |v| match v { FieldValue::Unsigned(n) => Some(n), _ => None };
    i32 => |v| match v { FieldValue::Signed(n) => n.try_into().ok(), _ => None };
    i64 => |v| match v { FieldValue::Signed(n) => Some(n), _ => None };
    bool => |v| match v { FieldValue::Bool(b) => Some(b), _ => None };
    Timestamp => |v| match v { FieldValue::Timestamp(t) => Some(t), _ => None };
    EventTime => |v| match v { FieldValue::EventTime(t) => Some(t), _ => None };
    Duration => |v| match v { FieldValue::Duration(d) => Some(d), _ => None };
    HangupCause => |v| match v { FieldValue::Cause(c) => Some(c), _ => None };
}

/// The typed accessors' one body: header `key` of `msg`, parsed by `kind`.
pub(crate) fn get<'a, T: FromField<'a>>(
    msg: &'a Message,
    key: &'static str,
    kind: Kind,
) -> Result<Option<T>, FieldError> {
    let Some(raw) = msg.get(key) else {
        return Ok(None);
    };
    let parsed = parse_dynamic(key, Some(kind), raw)?;
    T::from_field(parsed)
        .map(Some)
        .ok_or_else(|| FieldError::new(key, raw.as_bytes(), kind.expected()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_in_every_spelling() {
        for t in ["1", "yes", "YES", "True", "on", "On"] {
            assert_eq!(parse_bool(t.as_bytes()), Some(true), "{t}");
        }
        for f in ["0", "no", "No", "FALSE", "off"] {
            assert_eq!(parse_bool(f.as_bytes()), Some(false), "{f}");
        }
        assert_eq!(parse_bool(b"2"), None);
        assert_eq!(parse_bool(b""), None);
    }

    #[test]
    fn timestamps() {
        let t = Timestamp::parse(b"1700000000.123456").unwrap();
        assert_eq!((t.unix_secs(), t.subsec_micros()), (1_700_000_000, 123_456));
        assert_eq!(
            Timestamp::parse(b"1700000000.5").unwrap().subsec_micros(),
            500_000
        );
        assert_eq!(Timestamp::parse(b"17").unwrap().unix_secs(), 17);
        for bad in ["", "x", "1.", "1.2x", "+1", "1.-2"] {
            assert_eq!(Timestamp::parse(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn event_times() {
        let t = EventTime::parse(b"2026-11-22T21:05:02.105+0000").unwrap();
        assert_eq!(t.timestamp().unix_secs(), 1_795_381_502);
        assert_eq!(t.timestamp().subsec_micros(), 105_000);
        let east = EventTime::parse(b"2026-11-22T22:05:02.105+0100").unwrap();
        assert_eq!(east.timestamp(), t.timestamp());
        assert_eq!(east.utc_offset_minutes(), 60);
        let west = EventTime::parse(b"2015-02-17T12:28:04.434-0600").unwrap();
        assert_eq!(west.timestamp().unix_secs(), 1_424_197_684);
        assert_eq!(
            EventTime::parse(b"1970-01-01T00:00:00Z")
                .unwrap()
                .timestamp()
                .unix_secs(),
            0
        );
        for bad in [
            "",
            "2026-13-22T21:05:02+0000",
            "2026-11-22T21:05:02",
            "2026-11-22T21:05:02.+0000",
        ] {
            assert_eq!(EventTime::parse(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn clock_durations() {
        assert_eq!(parse_clock(b"00:00:00"), Some(Duration::ZERO));
        assert_eq!(
            parse_clock(b"26:01:02"),
            Some(Duration::from_secs(26 * 3600 + 62))
        );
        assert_eq!(parse_clock(b"42"), Some(Duration::from_secs(42)));
        assert_eq!(parse_clock(b"00:61:00"), None);
        assert_eq!(parse_clock(b"1:2"), None);
    }

    #[test]
    fn hangup_causes_by_number_and_name() {
        assert_eq!(HangupCause::from_code(16), HangupCause::NormalClearing);
        assert_eq!(HangupCause::NormalClearing.name(), Some("NORMAL_CLEARING"));
        assert_eq!(HangupCause::from_code(4), HangupCause::Other(4));
        assert_eq!(HangupCause::Other(4).code(), 4);
        assert_eq!(
            HangupCause::from_name("user_busy"),
            Some(HangupCause::UserBusy)
        );
        assert_eq!(
            HangupCause::from_name("AST_CAUSE_NO_ANSWER"),
            Some(HangupCause::NoAnswer)
        );
        assert_eq!(
            parse_cause(b"NORMAL_CLEARING"),
            Some(HangupCause::NormalClearing)
        );
        assert_eq!(parse_cause(b"x"), None);
        for code in 0..200 {
            assert_eq!(HangupCause::from_code(code).code(), code);
        }
    }

    #[test]
    fn enums_ignore_case_and_keep_unknown_values() {
        let kind = Kind::Enum(&["Up", "Pre-ring"], &["Up", "PreRing"]);
        assert_eq!(
            kind.parse(Value::new(b"pre-RING")),
            Some(FieldValue::Enum {
                value: "Pre-ring",
                name: "PreRing"
            })
        );
        assert_eq!(
            kind.parse(Value::new(b"Sideways")),
            Some(FieldValue::Text(Value::new(b"Sideways")))
        );
        assert_eq!(kind.parse(Value::new(b"\xff")), None);
    }
}
