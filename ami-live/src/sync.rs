//! Syncing: the list actions the model asks for, and where each part of
//! the model stands.

use std::fmt;

use ami_proto::Action;

/// A part of the model that one list action fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// Bridges (`BridgeList`).
    Bridges,
    /// Channels, and so calls and bridge membership (`CoreShowChannels`).
    Channels,
    /// Queues, members and callers (`QueueStatus`).
    Queues,
    /// Parked calls (`ParkedCalls`).
    Parking,
    /// ConfBridge conferences (`ConfbridgeListRooms`, then
    /// `ConfbridgeList` for each).
    Conferences,
    /// Device states (`DeviceStateList`).
    Devices,
    /// Hints (`ExtensionStateList`).
    Hints,
    /// app_agent_pool agents (`Agents`).
    Agents,
}

impl Part {
    /// Every part, in the order a sync asks for them.
    pub const ALL: [Part; 8] = [
        Part::Bridges,
        Part::Channels,
        Part::Queues,
        Part::Parking,
        Part::Conferences,
        Part::Devices,
        Part::Hints,
        Part::Agents,
    ];

    /// The list action that syncs it.
    #[must_use]
    pub fn action_name(self) -> &'static str {
        match self {
            Part::Bridges => "BridgeList",
            Part::Channels => "CoreShowChannels",
            Part::Queues => "QueueStatus",
            Part::Parking => "ParkedCalls",
            Part::Conferences => "ConfbridgeListRooms",
            Part::Devices => "DeviceStateList",
            Part::Hints => "ExtensionStateList",
            Part::Agents => "Agents",
        }
    }

    /// Its name: `bridges`, `channels`, `queues`, `parking`,
    /// `conferences`, `devices`, `hints`, `agents`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Part::Bridges => "bridges",
            Part::Channels => "channels",
            Part::Queues => "queues",
            Part::Parking => "parking",
            Part::Conferences => "conferences",
            Part::Devices => "devices",
            Part::Hints => "hints",
            Part::Agents => "agents",
        }
    }

    /// The event classes (`manager.conf` read classes, the login's
    /// `Events:` mask) whose events keep the part up to date.
    #[must_use]
    pub fn classes(self) -> &'static [&'static str] {
        match self {
            Part::Channels => &["call", "dialplan"],
            Part::Queues | Part::Agents => &["agent"],
            _ => &["call"],
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a part of the model stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PartStatus {
    /// Never synced: what it holds came from events only.
    #[default]
    Unsynced,
    /// Its list action is in flight.
    Syncing,
    /// Synced, and kept up to date by events since.
    Synced,
    /// The connection dropped: what it holds is the last known state,
    /// until the next sync confirms or removes it.
    Stale,
    /// The server refused the list action (its module is not loaded, the
    /// user may not), with Asterisk's message. Events may still fill it.
    Unavailable(String),
}

/// A list action the model needs answered.
///
/// Send [`action`](Self::action) (any client: it carries no `ActionID`, the
/// connection assigns one), then hand the answer back with
/// [`Live::sync_response`](crate::Live::sync_response) — or the failure
/// with [`Live::sync_failed`](crate::Live::sync_failed).
#[derive(Debug, Clone)]
pub struct SyncRequest {
    /// The part it syncs.
    pub part: Part,
    /// The action to send.
    pub action: Action,
    pub(crate) target: Target,
    pub(crate) generation: u32,
    pub(crate) seq: u64,
}

/// What a request's answer fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// The part's whole list.
    List,
    /// The participants of one conference.
    Participants(String),
    /// One bridge known only by id (`BridgeInfo`).
    BridgeInfo(String),
}
