//! The typed values of the model's fields.

use std::fmt;

/// A channel's state (`ChannelState`, with `ChannelStateDesc`'s names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChannelState {
    /// 0 `Down`: no activity yet.
    #[default]
    Down,
    /// 1 `Rsrvd`: reserved.
    Reserved,
    /// 2 `OffHook`.
    OffHook,
    /// 3 `Dialing`: digits being dialed.
    Dialing,
    /// 4 `Ring`: the line is ringing (the calling side).
    Ring,
    /// 5 `Ringing`: the remote end is ringing.
    Ringing,
    /// 6 `Up`: answered.
    Up,
    /// 7 `Busy`.
    Busy,
    /// 8 `Dialing Offhook`.
    DialingOffhook,
    /// 9 `Pre-ring`.
    PreRing,
    /// Any other number.
    Other(u8),
}

impl ChannelState {
    /// The state of a `ChannelState` number.
    #[must_use]
    pub fn from_code(code: u64) -> Self {
        match code {
            0 => Self::Down,
            1 => Self::Reserved,
            2 => Self::OffHook,
            3 => Self::Dialing,
            4 => Self::Ring,
            5 => Self::Ringing,
            6 => Self::Up,
            7 => Self::Busy,
            8 => Self::DialingOffhook,
            9 => Self::PreRing,
            n => Self::Other(u8::try_from(n).unwrap_or(u8::MAX)),
        }
    }

    /// The `ChannelState` number.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Down => 0,
            Self::Reserved => 1,
            Self::OffHook => 2,
            Self::Dialing => 3,
            Self::Ring => 4,
            Self::Ringing => 5,
            Self::Up => 6,
            Self::Busy => 7,
            Self::DialingOffhook => 8,
            Self::PreRing => 9,
            Self::Other(n) => n,
        }
    }

    /// Asterisk's name (`ChannelStateDesc`): `Up`, `Ringing`, …
    ///
    /// ```
    /// use ami_live::ChannelState;
    /// assert_eq!(ChannelState::from_code(6).as_str(), "Up");
    /// assert_eq!(ChannelState::from_code(42).as_str(), "Unknown");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Down => "Down",
            Self::Reserved => "Rsrvd",
            Self::OffHook => "OffHook",
            Self::Dialing => "Dialing",
            Self::Ring => "Ring",
            Self::Ringing => "Ringing",
            Self::Up => "Up",
            Self::Busy => "Busy",
            Self::DialingOffhook => "Dialing Offhook",
            Self::PreRing => "Pre-ring",
            Self::Other(_) => "Unknown",
        }
    }
}

impl fmt::Display for ChannelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A device's state: the `State` of `DeviceStateChange` (`INUSE`) and the
/// numeric `Status` of a queue member (`2`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum DeviceState {
    /// 0 `UNKNOWN`.
    #[default]
    Unknown,
    /// 1 `NOT_INUSE`: idle.
    NotInUse,
    /// 2 `INUSE`.
    InUse,
    /// 3 `BUSY`.
    Busy,
    /// 4 `INVALID`.
    Invalid,
    /// 5 `UNAVAILABLE`.
    Unavailable,
    /// 6 `RINGING`.
    Ringing,
    /// 7 `RINGINUSE`.
    RingInUse,
    /// 8 `ONHOLD`.
    OnHold,
    /// A value Asterisk 22 does not send, as sent.
    Other(String),
}

impl DeviceState {
    /// The state of a name (`INUSE`, `NOT_INUSE`; ASCII case ignored).
    #[must_use]
    pub fn from_name(name: &[u8]) -> Self {
        const NAMES: [&[u8]; 9] = [
            b"UNKNOWN",
            b"NOT_INUSE",
            b"INUSE",
            b"BUSY",
            b"INVALID",
            b"UNAVAILABLE",
            b"RINGING",
            b"RINGINUSE",
            b"ONHOLD",
        ];
        match NAMES.iter().position(|n| name.eq_ignore_ascii_case(n)) {
            Some(i) => Self::from_code(i as u64),
            None => Self::Other(String::from_utf8_lossy(name).into_owned()),
        }
    }

    /// The state of a queue member's numeric `Status`.
    #[must_use]
    pub fn from_code(code: u64) -> Self {
        match code {
            0 => Self::Unknown,
            1 => Self::NotInUse,
            2 => Self::InUse,
            3 => Self::Busy,
            4 => Self::Invalid,
            5 => Self::Unavailable,
            6 => Self::Ringing,
            7 => Self::RingInUse,
            8 => Self::OnHold,
            n => Self::Other(n.to_string()),
        }
    }

    /// The number (a queue member's `Status`), `None` for
    /// [`Other`](Self::Other).
    ///
    /// ```
    /// use ami_live::DeviceState;
    /// assert_eq!(DeviceState::from_code(6).code(), Some(6));
    /// ```
    #[must_use]
    pub fn code(&self) -> Option<u8> {
        Some(match self {
            Self::Unknown => 0,
            Self::NotInUse => 1,
            Self::InUse => 2,
            Self::Busy => 3,
            Self::Invalid => 4,
            Self::Unavailable => 5,
            Self::Ringing => 6,
            Self::RingInUse => 7,
            Self::OnHold => 8,
            Self::Other(_) => return None,
        })
    }

    /// Asterisk's name: `INUSE`, `NOT_INUSE`, …
    ///
    /// ```
    /// use ami_live::DeviceState;
    /// assert_eq!(DeviceState::from_code(2).as_str(), "INUSE");
    /// assert_eq!(DeviceState::from_name(b"not_inuse"), DeviceState::NotInUse);
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unknown => "UNKNOWN",
            Self::NotInUse => "NOT_INUSE",
            Self::InUse => "INUSE",
            Self::Busy => "BUSY",
            Self::Invalid => "INVALID",
            Self::Unavailable => "UNAVAILABLE",
            Self::Ringing => "RINGING",
            Self::RingInUse => "RINGINUSE",
            Self::OnHold => "ONHOLD",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for DeviceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hangup cause (Q.850), as the typed layer of `ami-proto` names it.
pub use ami_proto::typed::field::HangupCause;
