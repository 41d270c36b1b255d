//! [`Sim`]: a simulated PBX, sans IO and deterministic, whose events and
//! list answers describe the same PBX at every moment.
//!
//! A seed fixes everything: the random choices, the uniqueids
//! (`1700000000.N`), the bridge ids. Time is a fake clock that only
//! [`Sim::advance`] moves; nothing reads the system clock.
//!
//! Three inputs, two outputs:
//!
//! * [`Sim::step`] performs one random PBX operation (a call starts, is
//!   answered, queued, parked, joins a conference, hangs up; a member
//!   pauses; a device changes state …) and returns the bytes of the events
//!   it caused, in Asterisk's order;
//! * [`Sim::action`] answers an action as Asterisk 22 does — list actions
//!   with `EventList: start` … `…Complete` — and returns the bytes of that
//!   answer; the events an action causes (Originate's channels, a Hangup's
//!   `Hangup` events, a `QueuePause`'s `QueueMemberPause`) queue up for
//!   [`Sim::take_events`];
//! * [`Sim::advance`] moves the clock (durations, wait times, parking
//!   timeouts: a parked call whose time is up times out, its events wait
//!   in [`Sim::take_events`] too).
//!
//! [`Sim::truth`] is the simulator's own state, to compare with what a
//! client rebuilt from the events and the list answers.
//!
//! ```
//! use ami_testkit::sim::Sim;
//!
//! let mut sim = Sim::new(7);
//! let mut bytes = Vec::new();
//! for _ in 0..50 {
//!     bytes.extend(sim.step());
//!     sim.advance(2);
//!     bytes.extend(sim.take_events());
//! }
//! assert!(bytes.starts_with(b"Event: "));
//! let answer = sim.action_headers(&[("Action", "CoreShowChannels"), ("ActionID", "1")]);
//! assert!(answer.starts_with(b"Response: Success\r\nActionID: 1\r\nEventList: start\r\n"));
//! let channels = sim.truth().channels.len();
//! let listed = String::from_utf8_lossy(&answer).matches("Event: CoreShowChannel\r\n").count();
//! assert_eq!(channels, listed);
//! ```
//!
//! Deviations from a real Asterisk, on purpose: channels are `PJSIP/…`
//! (no SIP stack behind them) and `Local/…`; the ConfBridge announcer
//! channel (`CBAnn/…`) is not simulated; `DeviceStateChange` is sent for
//! the devices `DeviceStateList` lists (desk phones `Custom:desk…`, the
//! queue members' state interfaces `Local/10x@default`, `confbridge:…`,
//! `park:…`), not for every channel's device; an Originate's `;1` channel
//! announces the application it runs with a `Newexten` (a real Asterisk
//! sets it silently); the parking timeout is 45 s.

mod answer;
mod render;
mod truth;

use std::collections::BTreeMap;

use ami_proto::ServerMessage;

use crate::wire::{Rng, decode_one, encode_all};

pub use truth::{
    BridgeTruth, ChannelTruth, ConferenceTruth, HintTruth, MemberTruth, ParkedTruth,
    ParticipantTruth, QueueCallerTruth, QueueTruth, Truth,
};

/// The epoch second the fake clock starts at (uniqueids, `LoginTime`).
const EPOCH: u64 = 1_700_000_000;
/// At most this many calls at once.
const MAX_CALLS: usize = 10;
/// Seconds a parked call may stay parked.
const PARKING_TIMEOUT: u64 = 45;
/// The parking lot.
const LOT: &str = "default";
/// The parking spaces.
const SPACES: std::ops::RangeInclusive<u32> = 701..=720;
/// Caller names of the phones 101…108.
const NAMES: &[&str] = &[
    "Alice", "Bruno", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana",
];
/// Device states a desk phone or an agent goes through.
const DESK_STATES: &[&str] = &[
    "NOT_INUSE",
    "INUSE",
    "BUSY",
    "UNAVAILABLE",
    "RINGING",
    "ONHOLD",
];

/// `Cause-txt` of a hangup cause.
pub(crate) fn cause_text(cause: u8) -> &'static str {
    match cause {
        1 => "Unallocated (unassigned) number",
        16 => "Normal Clearing",
        17 => "User busy",
        19 => "No answer",
        21 => "Call Rejected",
        34 => "Circuit/channel congestion",
        _ => "Unknown",
    }
}

/// `ChannelStateDesc` for a `ChannelState`.
pub(crate) fn state_desc(state: u8) -> &'static str {
    match state {
        0 => "Down",
        1 => "Rsrvd",
        2 => "OffHook",
        3 => "Dialing",
        4 => "Ring",
        5 => "Ringing",
        6 => "Up",
        7 => "Busy",
        8 => "Dialing Offhook",
        9 => "Pre-ring",
        _ => "Unknown",
    }
}

/// A queue member's `Status` for a device state.
fn member_status(device_state: &str) -> u8 {
    match device_state {
        "NOT_INUSE" => 1,
        "INUSE" => 2,
        "BUSY" => 3,
        "INVALID" => 4,
        "UNAVAILABLE" => 5,
        "RINGING" => 6,
        "RINGINUSE" => 7,
        "ONHOLD" => 8,
        _ => 0,
    }
}

/// A hint's `Status` and `StatusText` for a device state.
fn extension_state(device_state: &str) -> (i32, &'static str) {
    match device_state {
        "NOT_INUSE" => (0, "Idle"),
        "INUSE" => (1, "InUse"),
        "BUSY" => (2, "Busy"),
        "UNAVAILABLE" => (4, "Unavailable"),
        "RINGING" => (8, "Ringing"),
        "ONHOLD" => (16, "Hold"),
        _ => (-1, "Unknown"),
    }
}

/// One channel.
#[derive(Debug, Clone)]
pub(crate) struct Chan {
    pub(crate) seq: u64,
    pub(crate) uniqueid: String,
    pub(crate) name: String,
    pub(crate) linkedid: String,
    pub(crate) state: u8,
    pub(crate) caller_num: String,
    pub(crate) caller_name: String,
    pub(crate) connected_num: String,
    pub(crate) connected_name: String,
    pub(crate) context: String,
    pub(crate) exten: String,
    pub(crate) priority: u32,
    pub(crate) app: String,
    pub(crate) data: String,
    pub(crate) bridge: Option<String>,
    pub(crate) hold: bool,
    /// Clock second it was created.
    pub(crate) created: u64,
}

/// One bridge.
#[derive(Debug, Clone)]
pub(crate) struct Bridge {
    pub(crate) kind: &'static str,
    pub(crate) tech: &'static str,
    pub(crate) creator: String,
    pub(crate) name: String,
    pub(crate) members: Vec<String>,
}

/// A queue member.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) interface: String,
    pub(crate) state_interface: String,
    pub(crate) dynamic: bool,
    pub(crate) penalty: u32,
    pub(crate) calls_taken: u32,
    pub(crate) last_call: u64,
    pub(crate) last_pause: u64,
    pub(crate) login_time: u64,
    pub(crate) in_call: bool,
    pub(crate) status: u8,
    pub(crate) paused: bool,
    pub(crate) reason: String,
}

/// A caller waiting in a queue.
#[derive(Debug, Clone)]
pub(crate) struct Waiting {
    pub(crate) uniqueid: String,
    pub(crate) joined: u64,
    pub(crate) original_position: usize,
}

/// A queue.
#[derive(Debug, Clone)]
pub(crate) struct Queue {
    pub(crate) strategy: &'static str,
    pub(crate) completed: u32,
    pub(crate) abandoned: u32,
    pub(crate) members: Vec<Member>,
    pub(crate) callers: Vec<Waiting>,
}

/// A parked call.
#[derive(Debug, Clone)]
pub(crate) struct Parked {
    pub(crate) space: u32,
    pub(crate) timeout: u64,
    pub(crate) since: u64,
    pub(crate) parker: String,
}

/// A conference participant.
#[derive(Debug, Clone)]
pub(crate) struct Participant {
    pub(crate) uniqueid: String,
    pub(crate) admin: bool,
    pub(crate) muted: bool,
    pub(crate) marked: bool,
    pub(crate) joined: u64,
}

/// An active conference.
#[derive(Debug, Clone)]
pub(crate) struct Conference {
    pub(crate) bridge: String,
    pub(crate) participants: Vec<Participant>,
}

/// What a call is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// A dials B, B rings.
    Ringing { caller: String, callee: String },
    /// Its channels talk in a bridge.
    Talking,
    /// The caller waits in a queue.
    Queued,
    /// The caller is in a conference.
    Conference,
    /// The caller is parked.
    Parked,
    /// Channels in the dialplan, in no bridge (after a redirect, an
    /// Originate).
    Alone,
}

/// The member a queue call is connected to.
#[derive(Debug, Clone)]
struct Agent {
    queue: String,
    interface: String,
    /// The member's `;1` channel.
    channel: String,
    since: u64,
    hold_time: u64,
}

/// A call: channels that come and go together.
#[derive(Debug, Clone)]
struct Call {
    channels: Vec<String>,
    phase: Phase,
    agent: Option<Agent>,
}

/// The simulated PBX. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Sim {
    rng: Rng,
    now: u64,
    next_uid: u64,
    next_seq: u64,
    next_suffix: u32,
    pub(crate) channels: BTreeMap<String, Chan>,
    pub(crate) bridges: BTreeMap<String, Bridge>,
    pub(crate) queues: BTreeMap<String, Queue>,
    pub(crate) parked: BTreeMap<String, Parked>,
    pub(crate) conferences: BTreeMap<String, Conference>,
    pub(crate) devices: BTreeMap<String, String>,
    /// (exten, context) → hint device.
    pub(crate) hints: BTreeMap<(String, String), String>,
    parking_bridge: String,
    calls: Vec<Call>,
    /// Events of the operation under way.
    out: Vec<ServerMessage>,
    /// Events caused by actions, for `take_events`.
    pending: Vec<u8>,
    pub(crate) calls_processed: u64,
    /// The Unix second the fake clock starts at (uniqueids, `LoginTime`).
    epoch: u64,
}

impl Sim {
    /// Like [`new`](Self::new), with the fake clock starting at `epoch`
    /// (Unix seconds) instead of 1700000000: the networked server starts it
    /// at the wall clock, so that the times in uniqueids are real ones.
    #[must_use]
    pub fn with_epoch(seed: u64, epoch: u64) -> Self {
        Self::new_at(seed, epoch)
    }

    /// A PBX at rest: no calls; queue `support` (ringall) with the static
    /// members `Local/100@default` and `Local/101@default` ("Bob",
    /// penalty 5); the parking lot `default` (spaces 701–720) with its
    /// holding bridge; hints `900@default` and `901@default` on
    /// `Custom:desk900` / `Custom:desk901`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self::new_at(seed, EPOCH)
    }

    fn new_at(seed: u64, epoch: u64) -> Self {
        let mut sim = Self {
            rng: Rng::seeded(seed),
            now: 0,
            next_uid: 0,
            next_seq: 0,
            next_suffix: 0,
            channels: BTreeMap::new(),
            bridges: BTreeMap::new(),
            queues: BTreeMap::new(),
            parked: BTreeMap::new(),
            conferences: BTreeMap::new(),
            devices: BTreeMap::new(),
            hints: BTreeMap::new(),
            parking_bridge: String::new(),
            calls: Vec::new(),
            out: Vec::new(),
            pending: Vec::new(),
            calls_processed: 0,
            epoch,
        };
        let member = |name: &str, interface: &str, agent: &str, penalty| Member {
            name: name.into(),
            interface: interface.into(),
            state_interface: agent.into(),
            dynamic: false,
            penalty,
            calls_taken: 0,
            last_call: 0,
            last_pause: 0,
            login_time: epoch,
            in_call: false,
            status: 1,
            paused: false,
            reason: String::new(),
        };
        sim.queues.insert(
            "support".into(),
            Queue {
                strategy: "ringall",
                completed: 0,
                abandoned: 0,
                members: vec![
                    member("Bob", "Local/101@default", "Local/101@default", 5),
                    member(
                        "Local/100@default",
                        "Local/100@default",
                        "Local/100@default",
                        0,
                    ),
                ],
                callers: Vec::new(),
            },
        );
        for device in [
            "Local/100@default",
            "Local/101@default",
            "Local/102@default",
            "Local/103@default",
            "Custom:desk900",
            "Custom:desk901",
        ] {
            sim.devices.insert(device.into(), "NOT_INUSE".into());
        }
        for exten in ["900", "901"] {
            sim.hints.insert(
                (exten.into(), "default".into()),
                format!("Custom:desk{exten}"),
            );
        }
        let id = sim.bridge_id();
        sim.bridges.insert(
            id.clone(),
            Bridge {
                kind: "parking",
                tech: "holding_bridge",
                creator: "Parking".into(),
                name: LOT.into(),
                members: Vec::new(),
            },
        );
        sim.parking_bridge = id;
        sim
    }

    /// Seconds on the fake clock since the PBX started.
    #[must_use]
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Moves the fake clock on by `secs` seconds. Parked calls whose time
    /// is up time out now; their events wait in
    /// [`take_events`](Self::take_events).
    pub fn advance(&mut self, secs: u64) {
        self.now += secs;
        self.out.clear();
        self.expire_parked();
        self.flush_to_pending();
    }

    /// Performs one random PBX operation; returns the wire bytes of the
    /// events it caused, in Asterisk's order.
    pub fn step(&mut self) -> Vec<u8> {
        self.out.clear();
        for _ in 0..64 {
            let op = self.rng.below(100);
            if self.run(op) {
                break;
            }
        }
        if self.out.is_empty() {
            self.desk_change();
        }
        encode_all(&std::mem::take(&mut self.out))
    }

    /// Answers an action given as `(key, value)` headers (the first one
    /// `Action`); see [`action`](Self::action).
    pub fn action_headers(&mut self, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut block = ServerMessage::new(
            headers.first().map_or("Action", |h| h.0),
            headers.first().map_or("", |h| h.1),
        );
        for (key, value) in headers.iter().skip(1) {
            block = block.header(key, value);
        }
        let message = block.to_bytes().ok().and_then(|b| decode_one(&b));
        match message {
            Some(message) => self.action(&message),
            None => Vec::new(),
        }
    }

    /// The events caused by actions (and by [`advance`](Self::advance))
    /// since the last call, as wire bytes
    /// (what a real Asterisk would send to every session with events on:
    /// Originate's channels and its `OriginateResponse`, a Hangup's
    /// `Hangup` events, …).
    pub fn take_events(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }

    /// The PBX as it is now.
    #[must_use]
    pub fn truth(&self) -> Truth {
        let channels = self
            .channels
            .values()
            .map(|c| {
                (
                    c.uniqueid.clone(),
                    ChannelTruth {
                        name: c.name.clone(),
                        linkedid: c.linkedid.clone(),
                        state: c.state,
                        caller_num: c.caller_num.clone(),
                        caller_name: c.caller_name.clone(),
                        connected_num: c.connected_num.clone(),
                        connected_name: c.connected_name.clone(),
                        context: c.context.clone(),
                        exten: c.exten.clone(),
                        priority: c.priority,
                        application: c.app.clone(),
                        application_data: c.data.clone(),
                        bridge: c.bridge.clone(),
                        on_hold: c.hold,
                    },
                )
            })
            .collect();
        let bridges = self
            .bridges
            .iter()
            .map(|(id, b)| {
                (
                    id.clone(),
                    BridgeTruth {
                        kind: b.kind.into(),
                        technology: b.tech.into(),
                        creator: b.creator.clone(),
                        name: b.name.clone(),
                        members: b.members.clone(),
                    },
                )
            })
            .collect();
        let queues = self
            .queues
            .iter()
            .map(|(name, q)| {
                let members = q
                    .members
                    .iter()
                    .map(|m| {
                        (
                            m.interface.clone(),
                            MemberTruth {
                                name: m.name.clone(),
                                state_interface: m.state_interface.clone(),
                                status: m.status,
                                paused: m.paused,
                                paused_reason: m.reason.clone(),
                                penalty: m.penalty,
                                calls_taken: m.calls_taken,
                                in_call: m.in_call,
                            },
                        )
                    })
                    .collect();
                let callers = q
                    .callers
                    .iter()
                    .zip(1..)
                    .map(|(w, position)| QueueCallerTruth {
                        uniqueid: w.uniqueid.clone(),
                        channel: self.name_of(&w.uniqueid),
                        position,
                    })
                    .collect();
                (
                    name.clone(),
                    QueueTruth {
                        strategy: q.strategy.into(),
                        completed: q.completed,
                        abandoned: q.abandoned,
                        members,
                        callers,
                    },
                )
            })
            .collect();
        let parked = self
            .parked
            .iter()
            .map(|(uid, p)| {
                (
                    uid.clone(),
                    ParkedTruth {
                        channel: self.name_of(uid),
                        lot: LOT.into(),
                        space: p.space.to_string(),
                        timeout: p.timeout,
                    },
                )
            })
            .collect();
        let conferences = self
            .conferences
            .iter()
            .map(|(name, c)| {
                let participants = c
                    .participants
                    .iter()
                    .map(|p| {
                        (
                            p.uniqueid.clone(),
                            ParticipantTruth {
                                admin: p.admin,
                                muted: p.muted,
                                marked: p.marked,
                            },
                        )
                    })
                    .collect();
                (name.clone(), ConferenceTruth { participants })
            })
            .collect();
        let hints = self
            .hints
            .iter()
            .map(|(key, hint)| {
                (
                    key.clone(),
                    HintTruth {
                        hint: hint.clone(),
                        status: extension_state(self.device_state(hint)).0,
                    },
                )
            })
            .collect();
        Truth {
            channels,
            bridges,
            queues,
            parked,
            conferences,
            devices: self.devices.clone(),
            hints,
        }
    }

    // ---- small helpers -----------------------------------------------------

    fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            return None;
        }
        let index = usize::try_from(self.rng.below(items.len() as u64)).unwrap_or(0);
        items.get(index).cloned()
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.rng.below(100) < percent
    }

    fn name_of(&self, uid: &str) -> String {
        self.channels
            .get(uid)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    }

    pub(crate) fn device_state(&self, device: &str) -> &str {
        self.devices.get(device).map_or("UNKNOWN", String::as_str)
    }

    fn uniqueid(&mut self) -> String {
        let id = format!("{}.{}", self.epoch, self.next_uid);
        self.next_uid += 1;
        id
    }

    fn suffix(&mut self) -> String {
        let n = self.next_suffix;
        self.next_suffix += 1;
        format!("{n:08x}")
    }

    fn bridge_id(&mut self) -> String {
        let a = self.rng.next_u64();
        let b = self.rng.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }

    pub(crate) fn wall(&self) -> u64 {
        self.epoch + self.now
    }

    /// A new channel, not yet announced.
    #[allow(clippy::too_many_arguments)]
    fn make_channel(
        &mut self,
        name: String,
        uniqueid: Option<String>,
        linkedid: Option<&str>,
        state: u8,
        caller: (&str, &str),
        location: (&str, &str),
    ) -> String {
        let uniqueid = uniqueid.unwrap_or_else(|| self.uniqueid());
        let or_unknown = |s: &str| {
            if s.is_empty() {
                "<unknown>".to_owned()
            } else {
                s.to_owned()
            }
        };
        let chan = Chan {
            seq: self.next_seq,
            uniqueid: uniqueid.clone(),
            name,
            linkedid: linkedid.map_or_else(|| uniqueid.clone(), str::to_owned),
            state,
            caller_num: or_unknown(caller.0),
            caller_name: or_unknown(caller.1),
            connected_num: "<unknown>".into(),
            connected_name: "<unknown>".into(),
            context: location.0.into(),
            exten: location.1.into(),
            priority: 1,
            app: String::new(),
            data: String::new(),
            bridge: None,
            hold: false,
            created: self.now,
        };
        self.next_seq += 1;
        self.channels.insert(uniqueid.clone(), chan);
        let event = self.chan_event("Newchannel", &uniqueid);
        self.out.push(event);
        uniqueid
    }

    /// Moves a channel in the dialplan and announces it (`Newexten`).
    fn newexten(&mut self, uid: &str, location: Option<(&str, &str, u32)>, app: &str, data: &str) {
        let Some(chan) = self.channels.get_mut(uid) else {
            return;
        };
        if let Some((context, exten, priority)) = location {
            chan.context = context.into();
            chan.exten = exten.into();
            chan.priority = priority;
        }
        chan.app = app.into();
        chan.data = data.into();
        let event = self
            .chan_event_as("Newexten", "dialplan,all", uid)
            .header("Extension", chan_exten(self, uid))
            .header("Application", app)
            .header("AppData", data);
        self.out.push(event);
    }

    fn set_state(&mut self, uid: &str, state: u8) {
        if let Some(chan) = self.channels.get_mut(uid) {
            chan.state = state;
            let event = self.chan_event("Newstate", uid);
            self.out.push(event);
        }
    }

    fn set_connected(&mut self, uid: &str, num: &str, name: &str) {
        if let Some(chan) = self.channels.get_mut(uid) {
            chan.connected_num = num.into();
            chan.connected_name = name.into();
            let event = self.chan_event("NewConnectedLine", uid);
            self.out.push(event);
        }
    }

    fn set_device(&mut self, device: &str, state: &str) {
        self.devices.insert(device.into(), state.into());
        let hinted: Vec<(String, String)> = self
            .hints
            .iter()
            .filter(|(_, hint)| hint.as_str() == device)
            .map(|(key, _)| key.clone())
            .collect();
        for (exten, context) in hinted {
            let (status, text) = extension_state(state);
            self.out.push(
                ServerMessage::event("ExtensionStatus")
                    .header("Privilege", "call,all")
                    .header("Exten", &exten)
                    .header("Context", &context)
                    .header("Hint", device)
                    .header("Status", status.to_string())
                    .header("StatusText", text),
            );
        }
        self.out.push(
            ServerMessage::event("DeviceStateChange")
                .header("Privilege", "call,all")
                .header("Device", device)
                .header("State", state),
        );
        // Members whose state interface this is follow it.
        let names: Vec<String> = self.queues.keys().cloned().collect();
        for queue in names {
            let changed: Vec<usize> = self.queues[&queue]
                .members
                .iter()
                .enumerate()
                .filter(|(_, m)| m.state_interface == device)
                .map(|(i, _)| i)
                .collect();
            for index in changed {
                if let Some(member) = self
                    .queues
                    .get_mut(&queue)
                    .and_then(|q| q.members.get_mut(index))
                {
                    member.status = member_status(state);
                }
                let event = self.member_event("QueueMemberStatus", &queue, index);
                self.out.push(event);
            }
        }
    }

    fn bridge_create(
        &mut self,
        kind: &'static str,
        tech: &'static str,
        creator: &str,
        name: &str,
    ) -> String {
        let id = self.bridge_id();
        self.bridges.insert(
            id.clone(),
            Bridge {
                kind,
                tech,
                creator: creator.into(),
                name: name.into(),
                members: Vec::new(),
            },
        );
        let event = self.bridge_event("BridgeCreate", &id);
        self.out.push(event);
        id
    }

    fn bridge_enter(&mut self, bridge: &str, uid: &str) {
        if let Some(b) = self.bridges.get_mut(bridge) {
            b.members.push(uid.into());
        }
        if let Some(c) = self.channels.get_mut(uid) {
            c.bridge = Some(bridge.into());
        }
        let event = self.bridge_chan_event("BridgeEnter", bridge, uid);
        self.out.push(event);
    }

    /// The channel leaves its bridge; an emptied Dial bridge goes.
    fn bridge_leave(&mut self, uid: &str) {
        let Some(bridge) = self.channels.get_mut(uid).and_then(|c| c.bridge.take()) else {
            return;
        };
        if let Some(b) = self.bridges.get_mut(&bridge) {
            b.members.retain(|m| m != uid);
        }
        let event = self.bridge_chan_event("BridgeLeave", &bridge, uid);
        self.out.push(event);
        let empty_basic = self
            .bridges
            .get(&bridge)
            .is_some_and(|b| b.members.is_empty() && b.kind == "basic");
        if empty_basic {
            self.bridge_destroy(&bridge);
        }
    }

    fn bridge_destroy(&mut self, bridge: &str) {
        let event = self.bridge_event("BridgeDestroy", bridge);
        self.out.push(event);
        self.bridges.remove(bridge);
    }

    fn call_of(&self, uid: &str) -> Option<usize> {
        self.calls
            .iter()
            .position(|c| c.channels.iter().any(|u| u == uid))
    }

    /// Takes a channel out of whatever holds it — a queue, a conference,
    /// the parking lot, a bridge — with the events. Returns the events to
    /// send after its `Hangup` (a parked call's `ParkedCallGiveUp`).
    fn detach(&mut self, uid: &str, abandon: bool) -> Vec<ServerMessage> {
        let mut later = Vec::new();
        let queued: Vec<String> = self
            .queues
            .iter()
            .filter(|(_, q)| q.callers.iter().any(|w| w.uniqueid == uid))
            .map(|(name, _)| name.clone())
            .collect();
        for queue in queued {
            self.queue_leave(&queue, uid, abandon);
        }
        let room = self
            .conferences
            .iter()
            .find(|(_, c)| c.participants.iter().any(|p| p.uniqueid == uid))
            .map(|(name, _)| name.clone());
        if let Some(room) = room {
            self.conference_leave(&room, uid);
        }
        if self.parked.contains_key(uid) {
            let space = self.parked[uid].space;
            self.set_device(&format!("park:{space}@parkedcalls"), "NOT_INUSE");
            self.bridge_leave(uid);
            later.push(self.parked_event("ParkedCallGiveUp", uid));
            self.parked.remove(uid);
        }
        self.bridge_leave(uid);
        later
    }

    fn queue_leave(&mut self, queue: &str, uid: &str, abandon: bool) {
        let Some(q) = self.queues.get(queue) else {
            return;
        };
        let Some(index) = q.callers.iter().position(|w| w.uniqueid == uid) else {
            return;
        };
        let waiting = q.callers[index].clone();
        let position = (index + 1).to_string();
        if abandon {
            let event = self
                .chan_event_as("QueueCallerAbandon", "agent,all", uid)
                .header("Queue", queue)
                .header("Position", &position)
                .header("OriginalPosition", waiting.original_position.to_string())
                .header("HoldTime", (self.now - waiting.joined).to_string());
            self.out.push(event);
        }
        let q = self
            .queues
            .get_mut(queue)
            .expect("the queue is there: looked up above");
        q.callers.remove(index);
        if abandon {
            q.abandoned += 1;
        }
        let count = q.callers.len().to_string();
        let event = self
            .chan_event_as("QueueCallerLeave", "agent,all", uid)
            .header("Queue", queue)
            .header("Count", count)
            .header("Position", position);
        self.out.push(event);
    }

    fn conference_leave(&mut self, room: &str, uid: &str) {
        let Some(conference) = self.conferences.get(room) else {
            return;
        };
        let bridge = conference.bridge.clone();
        let admin = conference
            .participants
            .iter()
            .find(|p| p.uniqueid == uid)
            .is_some_and(|p| p.admin);
        // Leave the softmix bridge first (it is not destroyed by that).
        if let Some(b) = self.bridges.get_mut(&bridge) {
            b.members.retain(|m| m != uid);
        }
        if let Some(c) = self.channels.get_mut(uid) {
            c.bridge = None;
        }
        let event = self.bridge_chan_event("BridgeLeave", &bridge, uid);
        self.out.push(event);
        let event = self
            .conference_chan_event("ConfbridgeLeave", room, uid)
            .header("Admin", yes_no(admin));
        self.out.push(event);
        let conference = self.conferences.get_mut(room).expect("looked up above");
        conference.participants.retain(|p| p.uniqueid != uid);
        if conference.participants.is_empty() {
            let event = self.conference_event("ConfbridgeEnd", room);
            self.out.push(event);
            self.conferences.remove(room);
            self.set_device(&format!("confbridge:{room}"), "NOT_INUSE");
            self.bridge_destroy(&bridge);
        }
    }

    /// Ends a whole call: `initiator` hangs up with `cause`, the other
    /// channels follow with 16.
    fn end_call(&mut self, call: usize, initiator: &str, cause: u8) {
        let Some(mut c) = self.calls.get(call).cloned() else {
            return;
        };
        c.channels.retain(|u| u != initiator);
        c.channels.insert(0, initiator.into());
        let event = self
            .chan_event("HangupRequest", initiator)
            .header("Cause", cause.to_string());
        self.out.push(event);
        if let Some(agent) = c.agent.take() {
            self.agent_complete(&c, &agent, "caller");
        }
        let mut later = Vec::new();
        for uid in &c.channels {
            later.extend(self.detach(uid, true));
        }
        for uid in c.channels.iter().skip(1) {
            let event = self
                .chan_event("SoftHangupRequest", uid)
                .header("Cause", "16");
            self.out.push(event);
        }
        for (index, uid) in c.channels.iter().enumerate() {
            let cause = if index == 0 { cause } else { 16 };
            let event = self
                .chan_event("Hangup", uid)
                .header("Cause", cause.to_string())
                .header("Cause-txt", cause_text(cause));
            self.out.push(event);
            self.channels.remove(uid);
        }
        self.out.extend(later);
        self.calls.remove(call);
        self.calls_processed += 1;
    }

    /// One channel hangs up, the rest of its call stays.
    fn hangup_one(&mut self, uid: &str, cause: u8) {
        let later = self.detach(uid, true);
        let event = self
            .chan_event("Hangup", uid)
            .header("Cause", cause.to_string())
            .header("Cause-txt", cause_text(cause));
        self.out.push(event);
        self.out.extend(later);
        self.channels.remove(uid);
        if let Some(call) = self.call_of(uid) {
            self.calls[call].channels.retain(|u| u != uid);
            if self.calls[call].channels.is_empty() {
                self.calls.remove(call);
                self.calls_processed += 1;
            }
        }
    }

    fn agent_complete(&mut self, call: &Call, agent: &Agent, reason: &str) {
        let caller = call
            .channels
            .iter()
            .find(|u| {
                self.channels
                    .get(*u)
                    .is_some_and(|c| !c.name.starts_with("Local/"))
            })
            .cloned()
            .unwrap_or_default();
        let Some(index) = self.member_index(&agent.queue, &agent.interface) else {
            return;
        };
        if self.channels.contains_key(&caller) && self.channels.contains_key(&agent.channel) {
            let member = &self.queues[&agent.queue].members[index];
            let event = self
                .agent_event(
                    "AgentComplete",
                    &caller,
                    &agent.channel,
                    &agent.queue,
                    member,
                )
                .header("HoldTime", agent.hold_time.to_string())
                .header("TalkTime", (self.now - agent.since).to_string())
                .header("Reason", reason);
            self.out.push(event);
        }
        let state_interface = {
            let q = self
                .queues
                .get_mut(&agent.queue)
                .expect("the member's queue");
            q.completed += 1;
            let member = &mut q.members[index];
            member.in_call = false;
            member.state_interface.clone()
        };
        self.set_device(&state_interface, "NOT_INUSE");
    }

    fn member_index(&self, queue: &str, interface: &str) -> Option<usize> {
        self.queues
            .get(queue)?
            .members
            .iter()
            .position(|m| m.interface == interface)
    }

    // ---- the operations of `step` ----------------------------------------

    /// Runs operation `op` (0–99, by weight); whether it did anything.
    fn run(&mut self, op: u64) -> bool {
        let before = self.out.len();
        match op {
            0..=9 => self.start_dial(),
            10..=15 => self.start_queue_call(),
            16..=20 => self.start_conference_call(),
            21..=30 => self.answer(),
            31..=33 => self.reject(),
            34..=39 => self.agent_answers(),
            40..=42 => self.abandon(),
            43..=45 => self.caller_id_change(),
            46..=50 => self.hold_toggle(),
            51..=54 => self.park(),
            55..=57 => self.unpark(),
            58..=59 => self.give_up_parked(),
            60..=63 => self.mute_toggle(),
            64..=67 => self.pause_toggle(),
            68..=70 => self.member_device_change(),
            71..=74 => self.member_add_remove(),
            75..=78 => self.desk_change(),
            79..=82 => self.redirect_random(),
            _ => self.hangup_random(),
        }
        self.out.len() > before
    }

    fn phone(&mut self) -> (String, &'static str) {
        let who = usize::try_from(self.rng.below(NAMES.len() as u64)).unwrap_or(0);
        (format!("{}", 101 + who), NAMES[who])
    }

    fn new_phone_channel(&mut self, exten: &str) -> String {
        let (num, name) = self.phone();
        let chan_name = format!("PJSIP/{num}-{}", self.suffix());
        self.make_channel(
            chan_name,
            None,
            None,
            4,
            (&num, name),
            ("from-internal", exten),
        )
    }

    fn start_dial(&mut self) {
        if self.calls.len() >= MAX_CALLS {
            return;
        }
        let target = format!("{}", 201 + self.rng.below(8));
        let caller = self.new_phone_channel(&target);
        let dial = format!("PJSIP/{target}");
        self.newexten(&caller, None, "Dial", &format!("{dial},30"));
        let (num, name) = {
            let c = &self.channels[&caller];
            (c.caller_num.clone(), c.caller_name.clone())
        };
        let linkedid = self.channels[&caller].linkedid.clone();
        let callee_name = format!("{dial}-{}", self.suffix());
        let callee = self.make_channel(
            callee_name,
            None,
            Some(&linkedid),
            0,
            (&target, ""),
            ("from-internal", &target),
        );
        if let Some(c) = self.channels.get_mut(&callee) {
            c.connected_num = num;
            c.connected_name = name;
        }
        self.newexten(&callee, None, "AppDial", "(Outgoing Line)");
        let event = self
            .dial_event("DialBegin", Some(&caller), &callee)
            .header("DialString", &target);
        self.out.push(event);
        self.set_state(&callee, 5);
        self.calls.push(Call {
            channels: vec![caller.clone(), callee.clone()],
            phase: Phase::Ringing { caller, callee },
            agent: None,
        });
    }

    fn start_queue_call(&mut self) {
        if self.calls.len() >= MAX_CALLS {
            return;
        }
        let caller = self.new_phone_channel("600");
        self.newexten(&caller, None, "Answer", "");
        self.set_state(&caller, 6);
        self.newexten(
            &caller,
            Some(("from-internal", "600", 2)),
            "Queue",
            "support",
        );
        self.queue_join("support", &caller);
        self.calls.push(Call {
            channels: vec![caller],
            phase: Phase::Queued,
            agent: None,
        });
    }

    fn queue_join(&mut self, queue: &str, uid: &str) {
        let Some(q) = self.queues.get_mut(queue) else {
            return;
        };
        let position = q.callers.len() + 1;
        q.callers.push(Waiting {
            uniqueid: uid.into(),
            joined: self.now,
            original_position: position,
        });
        let event = self
            .chan_event_as("QueueCallerJoin", "agent,all", uid)
            .header("Queue", queue)
            .header("Position", position.to_string())
            .header("Count", position.to_string());
        self.out.push(event);
    }

    fn start_conference_call(&mut self) {
        if self.calls.len() >= MAX_CALLS {
            return;
        }
        let room = if self.chance(70) { "1" } else { "2" };
        let exten = if room == "1" { "800" } else { "801" };
        let caller = self.new_phone_channel(exten);
        self.newexten(&caller, None, "Answer", "");
        self.set_state(&caller, 6);
        self.newexten(
            &caller,
            Some(("from-internal", exten, 2)),
            "ConfBridge",
            room,
        );
        let admin = self.chance(25);
        let marked = self.chance(20);
        self.conference_join(room, &caller, admin, marked);
        self.calls.push(Call {
            channels: vec![caller],
            phase: Phase::Conference,
            agent: None,
        });
    }

    fn conference_join(&mut self, room: &str, uid: &str, admin: bool, marked: bool) {
        if !self.conferences.contains_key(room) {
            let bridge = self.bridge_create("base", "softmix", "ConfBridge", room);
            self.conferences.insert(
                room.into(),
                Conference {
                    bridge,
                    participants: Vec::new(),
                },
            );
            let event = self.conference_event("ConfbridgeStart", room);
            self.out.push(event);
            self.set_device(&format!("confbridge:{room}"), "INUSE");
        }
        let bridge = self.conferences[room].bridge.clone();
        self.bridge_enter(&bridge, uid);
        if let Some(c) = self.conferences.get_mut(room) {
            c.participants.push(Participant {
                uniqueid: uid.into(),
                admin,
                muted: false,
                marked,
                joined: self.now,
            });
        }
        let event = self
            .conference_chan_event("ConfbridgeJoin", room, uid)
            .header("Admin", yes_no(admin))
            .header("Muted", "No");
        self.out.push(event);
    }

    fn calls_in(&self, wanted: fn(&Phase) -> bool) -> Vec<usize> {
        (0..self.calls.len())
            .filter(|&i| wanted(&self.calls[i].phase))
            .collect()
    }

    fn answer(&mut self) {
        let ringing = self.calls_in(|p| matches!(p, Phase::Ringing { .. }));
        let Some(call) = self.pick(&ringing) else {
            return;
        };
        let Phase::Ringing { caller, callee } = self.calls[call].phase.clone() else {
            return;
        };
        self.set_state(&callee, 6);
        let event = self
            .dial_event("DialEnd", Some(&caller), &callee)
            .header("DialStatus", "ANSWER");
        self.out.push(event);
        self.set_state(&caller, 6);
        let (num, name) = {
            let c = &self.channels[&callee];
            (c.caller_num.clone(), c.caller_name.clone())
        };
        self.set_connected(&caller, &num, &name);
        let bridge = self.bridge_create("basic", "simple_bridge", "<unknown>", "<unknown>");
        self.bridge_enter(&bridge, &callee);
        self.bridge_enter(&bridge, &caller);
        self.calls[call].phase = Phase::Talking;
    }

    fn reject(&mut self) {
        let ringing = self.calls_in(|p| matches!(p, Phase::Ringing { .. }));
        let Some(call) = self.pick(&ringing) else {
            return;
        };
        let Phase::Ringing { caller, callee } = self.calls[call].phase.clone() else {
            return;
        };
        let (status, cause) = match self.rng.below(3) {
            0 => ("BUSY", 17),
            1 => ("NOANSWER", 19),
            _ => ("CANCEL", 16),
        };
        let event = self
            .dial_event("DialEnd", Some(&caller), &callee)
            .header("DialStatus", status);
        if status == "CANCEL" {
            // The caller gave up.
            self.out.push(event);
            self.end_call(call, &caller, 16);
        } else {
            self.out.push(event);
            self.end_call(call, &callee, cause);
        }
    }

    fn agent_answers(&mut self) {
        let queued = self.calls_in(|p| *p == Phase::Queued);
        let Some(call) = self.pick(&queued) else {
            return;
        };
        let caller = self.calls[call].channels[0].clone();
        let queue = "support".to_owned();
        if !self.queues[&queue]
            .callers
            .iter()
            .any(|w| w.uniqueid == caller)
        {
            return;
        }
        let free: Vec<usize> = self.queues[&queue]
            .members
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.in_call && !m.paused && matches!(m.status, 0 | 1))
            .map(|(i, _)| i)
            .collect();
        let Some(index) = self.pick(&free) else {
            return;
        };
        let interface = self.queues[&queue].members[index].interface.clone();
        let (exten, context) = interface
            .strip_prefix("Local/")
            .and_then(|r| r.split_once('@'))
            .unwrap_or(("100", "default"));
        let (exten, context) = (exten.to_owned(), context.to_owned());
        let (num, name, linkedid) = {
            let c = &self.channels[&caller];
            (
                c.caller_num.clone(),
                c.caller_name.clone(),
                c.linkedid.clone(),
            )
        };
        let base = format!("{interface}-{}", self.suffix());
        let one = self.make_channel(
            format!("{base};1"),
            None,
            Some(&linkedid),
            0,
            (&num, &name),
            (&context, &exten),
        );
        let two = self.make_channel(
            format!("{base};2"),
            None,
            Some(&linkedid),
            4,
            ("", ""),
            (&context, &exten),
        );
        self.newexten(&one, None, "AppQueue", "(Outgoing Line)");
        let member = self.queues[&queue].members[index].clone();
        let event = self.agent_event("AgentCalled", &caller, &one, &queue, &member);
        self.out.push(event);
        let event = self
            .dial_event("DialBegin", Some(&caller), &one)
            .header("DialString", &interface);
        self.out.push(event);
        self.newexten(&two, None, "Wait", "600");
        self.set_state(&two, 6);
        self.set_state(&one, 6);
        let event = self
            .dial_event("DialEnd", Some(&caller), &one)
            .header("DialStatus", "ANSWER");
        self.out.push(event);
        let state_interface = member.state_interface.clone();
        {
            let now = self.wall();
            let m = &mut self.queues.get_mut(&queue).expect("support").members[index];
            m.in_call = true;
            m.calls_taken += 1;
            m.last_call = now;
        }
        self.set_device(&state_interface, "INUSE");
        let hold_time = self.queues[&queue]
            .callers
            .iter()
            .find(|w| w.uniqueid == caller)
            .map_or(0, |w| self.now - w.joined);
        self.queue_leave(&queue, &caller, false);
        let member = self.queues[&queue].members[index].clone();
        let event = self
            .agent_event("AgentConnect", &caller, &one, &queue, &member)
            .header("HoldTime", hold_time.to_string())
            .header("RingTime", "0");
        self.out.push(event);
        let bridge = self.bridge_create("basic", "simple_bridge", "<unknown>", "<unknown>");
        self.bridge_enter(&bridge, &one);
        self.bridge_enter(&bridge, &caller);
        let c = &mut self.calls[call];
        c.channels.push(one.clone());
        c.channels.push(two);
        c.phase = Phase::Talking;
        c.agent = Some(Agent {
            queue,
            interface,
            channel: one,
            since: self.now,
            hold_time,
        });
    }

    fn abandon(&mut self) {
        let queued = self.calls_in(|p| *p == Phase::Queued);
        let Some(call) = self.pick(&queued) else {
            return;
        };
        let caller = self.calls[call].channels[0].clone();
        self.end_call(call, &caller, 16);
    }

    fn caller_id_change(&mut self) {
        let uids: Vec<String> = self.channels.keys().cloned().collect();
        let Some(uid) = self.pick(&uids) else {
            return;
        };
        let (num, name) = self.phone();
        if let Some(c) = self.channels.get_mut(&uid) {
            c.caller_num = num;
            c.caller_name = name.into();
        }
        let event = self
            .chan_event("NewCallerid", &uid)
            .header("CID-CallingPres", "0 (Presentation Allowed, Not Screened)");
        self.out.push(event);
    }

    fn talking_channels(&self) -> Vec<String> {
        self.calls
            .iter()
            .filter(|c| c.phase == Phase::Talking)
            .flat_map(|c| c.channels.iter())
            .filter(|u| self.channels.get(*u).is_some_and(|c| c.bridge.is_some()))
            .cloned()
            .collect()
    }

    fn hold_toggle(&mut self) {
        let talking = self.talking_channels();
        let Some(uid) = self.pick(&talking) else {
            return;
        };
        let hold = !self.channels[&uid].hold;
        if let Some(c) = self.channels.get_mut(&uid) {
            c.hold = hold;
        }
        let event = if hold {
            self.chan_event("Hold", &uid)
                .header("MusicClass", "default")
        } else {
            self.chan_event("Unhold", &uid)
        };
        self.out.push(event);
    }

    /// A two-party Dial call: the callee parks the caller and hangs up.
    fn park(&mut self) {
        let candidates: Vec<usize> = (0..self.calls.len())
            .filter(|&i| {
                let c = &self.calls[i];
                c.phase == Phase::Talking && c.agent.is_none() && c.channels.len() == 2
            })
            .collect();
        let Some(call) = self.pick(&candidates) else {
            return;
        };
        let parkee = self.calls[call].channels[0].clone();
        let parker = self.calls[call].channels[1].clone();
        if self
            .park_channel(&parkee, &parker, PARKING_TIMEOUT)
            .is_none()
        {
            return;
        }
        let c = &mut self.calls[call];
        c.channels.retain(|u| *u != parker);
        c.phase = Phase::Parked;
        self.hangup_one(&parker, 16);
    }

    /// Parks `parkee` (`parker` is whoever parked it, for the dial
    /// string); returns the space.
    fn park_channel(&mut self, parkee: &str, parker: &str, timeout: u64) -> Option<u32> {
        let space = SPACES
            .clone()
            .find(|s| !self.parked.values().any(|p| p.space == *s))?;
        let parker = self
            .channels
            .get(parker)
            .map(|c| {
                c.name
                    .rsplit_once('-')
                    .map_or(c.name.clone(), |(n, _)| n.to_owned())
            })
            .unwrap_or_default();
        self.bridge_leave(parkee);
        self.newexten(
            parkee,
            Some(("parkedcalls", &space.to_string(), 1)),
            "Park",
            "",
        );
        self.parked.insert(
            parkee.into(),
            Parked {
                space,
                timeout,
                since: self.now,
                parker,
            },
        );
        let event = self.parked_event("ParkedCall", parkee);
        self.out.push(event);
        self.set_device(&format!("park:{space}@parkedcalls"), "INUSE");
        let bridge = self.parking_bridge.clone();
        self.bridge_enter(&bridge, parkee);
        Some(space)
    }

    fn parkee_of(&self, call: usize) -> Option<String> {
        self.calls[call]
            .channels
            .iter()
            .find(|u| self.parked.contains_key(*u))
            .cloned()
    }

    fn parked_calls(&self) -> Vec<usize> {
        self.calls_in(|p| *p == Phase::Parked)
    }

    fn unpark(&mut self) {
        let parked = self.parked_calls();
        let Some(call) = self.pick(&parked) else {
            return;
        };
        let Some(parkee) = self.parkee_of(call) else {
            return;
        };
        let Some(space) = self.parked.get(&parkee).map(|p| p.space) else {
            return;
        };
        let retriever = self.new_phone_channel(&space.to_string());
        self.newexten(&retriever, None, "ParkedCall", &format!("{LOT},{space}"));
        self.set_state(&retriever, 6);
        let event = self.parked_event("UnParkedCall", &parkee);
        let event = snapshot(event, "Retriever", &self.channels[&retriever]);
        self.out.push(event);
        self.parked.remove(&parkee);
        self.set_device(&format!("park:{space}@parkedcalls"), "NOT_INUSE");
        self.bridge_leave(&parkee);
        let bridge = self.bridge_create("basic", "simple_bridge", "<unknown>", "<unknown>");
        self.bridge_enter(&bridge, &retriever);
        self.bridge_enter(&bridge, &parkee);
        let c = &mut self.calls[call];
        c.channels.push(retriever);
        c.phase = Phase::Talking;
    }

    fn give_up_parked(&mut self) {
        let parked = self.parked_calls();
        let Some(call) = self.pick(&parked) else {
            return;
        };
        let Some(parkee) = self.parkee_of(call) else {
            return;
        };
        self.end_call(call, &parkee, 16);
    }

    /// Times out the parked calls whose time is up; whether any did.
    fn expire_parked(&mut self) -> bool {
        let expired: Vec<String> = self
            .parked
            .iter()
            .filter(|(_, p)| self.now >= p.since + p.timeout)
            .map(|(uid, _)| uid.clone())
            .collect();
        for parkee in &expired {
            let space = self.parked[parkee].space;
            let event = self.parked_event("ParkedCallTimeOut", parkee);
            self.out.push(event);
            self.parked.remove(parkee);
            self.set_device(&format!("park:{space}@parkedcalls"), "NOT_INUSE");
            self.bridge_leave(parkee);
            self.newexten(parkee, Some(("parkedcallstimeout", "s", 1)), "Hangup", "");
            if let Some(call) = self.call_of(parkee) {
                self.end_call(call, parkee, 16);
            }
        }
        !expired.is_empty()
    }

    fn mute_toggle(&mut self) {
        let rooms: Vec<String> = self.conferences.keys().cloned().collect();
        let Some(room) = self.pick(&rooms) else {
            return;
        };
        let people: Vec<String> = self.conferences[&room]
            .participants
            .iter()
            .map(|p| p.uniqueid.clone())
            .collect();
        let Some(uid) = self.pick(&people) else {
            return;
        };
        let muted = self.conferences[&room]
            .participants
            .iter()
            .find(|p| p.uniqueid == uid)
            .is_some_and(|p| p.muted);
        self.set_muted(&room, &uid, !muted);
    }

    pub(crate) fn set_muted(&mut self, room: &str, uid: &str, muted: bool) {
        let Some(p) = self
            .conferences
            .get_mut(room)
            .and_then(|c| c.participants.iter_mut().find(|p| p.uniqueid == uid))
        else {
            return;
        };
        p.muted = muted;
        let admin = p.admin;
        let name = if muted {
            "ConfbridgeMute"
        } else {
            "ConfbridgeUnmute"
        };
        let event = self
            .conference_chan_event(name, room, uid)
            .header("Admin", yes_no(admin));
        self.out.push(event);
    }

    fn pause_toggle(&mut self) {
        let members: Vec<(String, usize)> = self
            .queues
            .iter()
            .flat_map(|(name, q)| (0..q.members.len()).map(move |i| (name.clone(), i)))
            .collect();
        let Some((queue, index)) = self.pick(&members) else {
            return;
        };
        let paused = !self.queues[&queue].members[index].paused;
        let reason = if paused {
            self.pick(&["", "lunch", "break"]).unwrap_or_default()
        } else {
            ""
        };
        self.set_paused(&queue, index, paused, reason);
    }

    pub(crate) fn set_paused(&mut self, queue: &str, index: usize, paused: bool, reason: &str) {
        let now = self.wall();
        let Some(m) = self
            .queues
            .get_mut(queue)
            .and_then(|q| q.members.get_mut(index))
        else {
            return;
        };
        m.paused = paused;
        m.reason = if paused { reason.into() } else { String::new() };
        if paused {
            m.last_pause = now;
        }
        let event = self.member_event("QueueMemberPause", queue, index);
        self.out.push(event);
    }

    fn member_device_change(&mut self) {
        let idle: Vec<String> = self
            .queues
            .values()
            .flat_map(|q| q.members.iter())
            .filter(|m| !m.in_call)
            .map(|m| m.state_interface.clone())
            .collect();
        let Some(device) = self.pick(&idle) else {
            return;
        };
        let state = self
            .pick(&["NOT_INUSE", "NOT_INUSE", "UNAVAILABLE", "INUSE"])
            .unwrap_or("NOT_INUSE");
        if self.device_state(&device) == state {
            return;
        }
        self.set_device(&device, state);
    }

    fn member_add_remove(&mut self) {
        const DYNAMIC: &[(&str, &str, &str)] = &[
            ("Local/102@default", "Carol", "Local/102@default"),
            ("Local/103@default", "Dave", "Local/103@default"),
        ];
        let Some((interface, name, state_interface)) = self.pick(DYNAMIC) else {
            return;
        };
        match self.member_index("support", interface) {
            Some(index) => {
                if !self.queues["support"].members[index].in_call {
                    self.remove_member("support", index);
                }
            }
            None => {
                let penalty = u32::try_from(self.rng.below(3)).unwrap_or(0);
                self.add_member("support", interface, name, state_interface, penalty, false);
            }
        }
    }

    pub(crate) fn add_member(
        &mut self,
        queue: &str,
        interface: &str,
        name: &str,
        state_interface: &str,
        penalty: u32,
        paused: bool,
    ) {
        let status = member_status(self.device_state(state_interface));
        let status = if self.devices.contains_key(state_interface) {
            status
        } else {
            4
        };
        let now = self.wall();
        let Some(q) = self.queues.get_mut(queue) else {
            return;
        };
        q.members.push(Member {
            name: name.into(),
            interface: interface.into(),
            state_interface: state_interface.into(),
            dynamic: true,
            penalty,
            calls_taken: 0,
            last_call: 0,
            last_pause: 0,
            login_time: now,
            in_call: false,
            status,
            paused,
            reason: String::new(),
        });
        let index = q.members.len() - 1;
        let event = self.member_event("QueueMemberAdded", queue, index);
        self.out.push(event);
    }

    pub(crate) fn remove_member(&mut self, queue: &str, index: usize) {
        let event = self.member_event("QueueMemberRemoved", queue, index);
        self.out.push(event);
        if let Some(q) = self.queues.get_mut(queue) {
            q.members.remove(index);
        }
    }

    fn desk_change(&mut self) {
        let device = if self.chance(50) {
            "Custom:desk900"
        } else {
            "Custom:desk901"
        };
        let current = self.device_state(device).to_owned();
        let choices: Vec<&str> = DESK_STATES
            .iter()
            .copied()
            .filter(|s| *s != current)
            .collect();
        let state = self.pick(&choices).unwrap_or("INUSE");
        self.set_device(device, state);
    }

    fn redirect_random(&mut self) {
        let talking = self.talking_channels();
        let Some(uid) = self.pick(&talking) else {
            return;
        };
        self.redirect(&uid, "from-internal", "200", 1);
    }

    /// Sends a channel elsewhere in the dialplan: it leaves what holds it;
    /// a bridge partner left alone (or a callee still ringing) hangs up.
    pub(crate) fn redirect(&mut self, uid: &str, context: &str, exten: &str, priority: u32) {
        let Some(call) = self.call_of(uid) else {
            return;
        };
        let phase = self.calls[call].phase.clone();
        if let Some(agent) = self.calls[call].agent.take() {
            let c = self.calls[call].clone();
            self.agent_complete(&c, &agent, "transfer");
        }
        if let Phase::Ringing { caller, callee } = &phase {
            let event = self
                .dial_event("DialEnd", Some(caller), callee)
                .header("DialStatus", "CANCEL");
            self.out.push(event);
        }
        let later = self.detach(uid, false);
        self.out.extend(later);
        let (app, data) = dialplan(exten);
        self.newexten(uid, Some((context, exten, priority)), app, data);
        if matches!(phase, Phase::Talking | Phase::Ringing { .. }) {
            let others: Vec<String> = self.calls[call]
                .channels
                .iter()
                .filter(|u| *u != uid)
                .cloned()
                .collect();
            for other in others {
                self.hangup_one(&other, 16);
            }
        }
        if let Some(call) = self.call_of(uid) {
            self.calls[call].phase = Phase::Alone;
        }
    }

    fn hangup_random(&mut self) {
        let n = self.calls.len() as u64;
        if n == 0 || (n < 3 && self.chance(70)) {
            return;
        }
        let call = usize::try_from(self.rng.below(n)).unwrap_or(0);
        let channels = self.calls[call].channels.clone();
        let Some(initiator) = self.pick(&channels) else {
            return;
        };
        self.end_call(call, &initiator, 16);
    }

    /// Hangs up the call of channel `uid`, `uid` with `cause`, the rest of
    /// the call with 16; whether there was such a channel.
    pub(crate) fn hangup_channel(&mut self, uid: &str, cause: u8) -> bool {
        match self.call_of(uid) {
            Some(call) => {
                self.end_call(call, uid, cause);
                true
            }
            None => false,
        }
    }

    /// Moves the current operation's events to the queue `take_events`
    /// drains.
    fn flush_to_pending(&mut self) {
        let events = std::mem::take(&mut self.out);
        self.pending.extend(encode_all(&events));
    }

    /// Finds a channel by name.
    pub(crate) fn uid_by_name(&self, name: &str) -> Option<String> {
        self.channels
            .values()
            .find(|c| c.name == name)
            .map(|c| c.uniqueid.clone())
    }

    /// Channels in creation order.
    pub(crate) fn channels_in_order(&self) -> Vec<&Chan> {
        let mut list: Vec<&Chan> = self.channels.values().collect();
        list.sort_by_key(|c| c.seq);
        list
    }
}

/// What the simulated dialplan runs at an extension.
fn dialplan(exten: &str) -> (&'static str, &'static str) {
    match exten {
        "200" => ("Echo", ""),
        _ => ("Wait", "600"),
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "Yes" } else { "No" }
}

fn chan_exten(sim: &Sim, uid: &str) -> String {
    sim.channels
        .get(uid)
        .map(|c| c.exten.clone())
        .unwrap_or_default()
}

/// The channel snapshot block (`Channel` … `Linkedid`), keys prefixed.
pub(crate) fn snapshot(msg: ServerMessage, prefix: &str, c: &Chan) -> ServerMessage {
    let key = |name: &str| format!("{prefix}{name}");
    msg.header(key("Channel"), &c.name)
        .header(key("ChannelState"), c.state.to_string())
        .header(key("ChannelStateDesc"), state_desc(c.state))
        .header(key("CallerIDNum"), &c.caller_num)
        .header(key("CallerIDName"), &c.caller_name)
        .header(key("ConnectedLineNum"), &c.connected_num)
        .header(key("ConnectedLineName"), &c.connected_name)
        .header(key("Language"), "en")
        .header(key("AccountCode"), "")
        .header(key("Context"), &c.context)
        .header(key("Exten"), &c.exten)
        .header(key("Priority"), c.priority.to_string())
        .header(key("Uniqueid"), &c.uniqueid)
        .header(key("Linkedid"), &c.linkedid)
}
