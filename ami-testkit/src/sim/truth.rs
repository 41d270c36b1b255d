//! [`Truth`]: what the simulated PBX holds at one moment, as plain data.
//!
//! Values are in their wire form: a caller ID that is not set reads
//! `<unknown>`, as every channel snapshot in an event or a list shows it.

use std::collections::BTreeMap;

/// The whole simulated PBX at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Truth {
    /// Channels by `Uniqueid`.
    pub channels: BTreeMap<String, ChannelTruth>,
    /// Bridges by `BridgeUniqueid` (the parking lot's holding bridge too).
    pub bridges: BTreeMap<String, BridgeTruth>,
    /// Queues by name.
    pub queues: BTreeMap<String, QueueTruth>,
    /// Parked calls by the parkee's `Uniqueid`.
    pub parked: BTreeMap<String, ParkedTruth>,
    /// Active ConfBridge conferences by name.
    pub conferences: BTreeMap<String, ConferenceTruth>,
    /// Cached device states (`DeviceStateList`): device → state
    /// (`NOT_INUSE`, `INUSE`, …).
    pub devices: BTreeMap<String, String>,
    /// Hints by (exten, context).
    pub hints: BTreeMap<(String, String), HintTruth>,
}

/// One channel, as `CoreShowChannel` shows it (plus hold, which only the
/// `Hold` / `Unhold` events tell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelTruth {
    /// `Channel`, e.g. `PJSIP/101-00000003`.
    pub name: String,
    /// `Linkedid`.
    pub linkedid: String,
    /// `ChannelState`, the numeric state (4 Ring, 5 Ringing, 6 Up, …).
    pub state: u8,
    /// `CallerIDNum`.
    pub caller_num: String,
    /// `CallerIDName`.
    pub caller_name: String,
    /// `ConnectedLineNum`.
    pub connected_num: String,
    /// `ConnectedLineName`.
    pub connected_name: String,
    /// `Context`.
    pub context: String,
    /// `Exten`.
    pub exten: String,
    /// `Priority`.
    pub priority: u32,
    /// `Application` (`Newexten`'s `Application`).
    pub application: String,
    /// `ApplicationData` (`Newexten`'s `AppData`).
    pub application_data: String,
    /// `BridgeId`: the bridge the channel is in.
    pub bridge: Option<String>,
    /// Whether the channel is on hold.
    pub on_hold: bool,
}

/// One bridge, as `BridgeListItem` and `BridgeInfo` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeTruth {
    /// `BridgeType`: `basic`, `parking`, `base` (ConfBridge).
    pub kind: String,
    /// `BridgeTechnology`: `simple_bridge`, `holding_bridge`, `softmix`.
    pub technology: String,
    /// `BridgeCreator` (`<unknown>` for a Dial bridge).
    pub creator: String,
    /// `BridgeName` (`<unknown>` for a Dial bridge).
    pub name: String,
    /// The `Uniqueid`s of the channels in it.
    pub members: Vec<String>,
}

/// One queue, as `QueueStatus` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueTruth {
    /// `Strategy`.
    pub strategy: String,
    /// `Completed`.
    pub completed: u32,
    /// `Abandoned`.
    pub abandoned: u32,
    /// Members by interface (`Location` in the list, `Interface` in events).
    pub members: BTreeMap<String, MemberTruth>,
    /// Callers in position order.
    pub callers: Vec<QueueCallerTruth>,
}

/// One queue member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberTruth {
    /// `Name` in the list, `MemberName` in events.
    pub name: String,
    /// `StateInterface`.
    pub state_interface: String,
    /// `Status`: the numeric device state (1 not in use, 2 in use, 5
    /// unavailable, …).
    pub status: u8,
    /// `Paused`.
    pub paused: bool,
    /// `PausedReason`.
    pub paused_reason: String,
    /// `Penalty`.
    pub penalty: u32,
    /// `CallsTaken`.
    pub calls_taken: u32,
    /// `InCall`.
    pub in_call: bool,
}

/// A caller waiting in a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCallerTruth {
    /// The caller's `Uniqueid`.
    pub uniqueid: String,
    /// `Channel`.
    pub channel: String,
    /// `Position`, from 1.
    pub position: u32,
}

/// A parked call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedTruth {
    /// `ParkeeChannel`.
    pub channel: String,
    /// `Parkinglot`.
    pub lot: String,
    /// `ParkingSpace`.
    pub space: String,
    /// The seconds the call may stay parked in all:
    /// `ParkingTimeout` (what is left) + `ParkingDuration` (what passed).
    pub timeout: u64,
}

/// An active ConfBridge conference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConferenceTruth {
    /// Participants by `Uniqueid`.
    pub participants: BTreeMap<String, ParticipantTruth>,
}

/// A conference participant, as `ConfbridgeList` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantTruth {
    /// `Admin: Yes`.
    pub admin: bool,
    /// `Muted: Yes`.
    pub muted: bool,
    /// `MarkedUser: Yes`.
    pub marked: bool,
}

/// A hint, as `ExtensionStateList` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintTruth {
    /// `Hint`, the device(s) it watches.
    pub hint: String,
    /// `Status`, the numeric extension state (0 idle, 1 in use, 2 busy, 4
    /// unavailable, 8 ringing, 16 on hold).
    pub status: i32,
}
