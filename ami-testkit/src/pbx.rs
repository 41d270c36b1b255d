//! The simulated PBX: channels, a queue, queue rules, and the busy-PBX
//! script that makes calls come and go. Every message is built with
//! [`ServerMessage`] in the shapes Asterisk 22 sends.

use std::fmt::Write as _;
use std::time::Instant;

use ami_proto::ServerMessage;

use crate::wire::{Rng, epoch_secs, with_id};

/// One channel, with the fields Newchannel, CoreShowChannel and Status carry.
#[derive(Debug, Clone)]
pub(crate) struct Channel {
    pub(crate) name: String,
    pub(crate) state: u8,
    pub(crate) caller_num: String,
    pub(crate) caller_name: String,
    pub(crate) connected_num: String,
    pub(crate) connected_name: String,
    pub(crate) context: String,
    pub(crate) exten: String,
    pub(crate) priority: u32,
    pub(crate) uniqueid: String,
    pub(crate) linkedid: String,
    pub(crate) application: String,
    pub(crate) app_data: String,
    pub(crate) created: Instant,
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

impl Channel {
    /// The standard channel snapshot block (`Channel` … `Linkedid`).
    fn snapshot(&self, msg: ServerMessage) -> ServerMessage {
        msg.header("Channel", &self.name)
            .header("ChannelState", self.state.to_string())
            .header("ChannelStateDesc", state_desc(self.state))
            .header("CallerIDNum", &self.caller_num)
            .header("CallerIDName", &self.caller_name)
            .header("ConnectedLineNum", &self.connected_num)
            .header("ConnectedLineName", &self.connected_name)
            .header("Language", "en")
            .header("AccountCode", "")
            .header("Context", &self.context)
            .header("Exten", &self.exten)
            .header("Priority", self.priority.to_string())
            .header("Uniqueid", &self.uniqueid)
            .header("Linkedid", &self.linkedid)
    }

    fn call_event(&self, name: &str) -> ServerMessage {
        self.snapshot(ServerMessage::event(name).header("Privilege", "call,all"))
    }

    pub(crate) fn newchannel(&self) -> ServerMessage {
        self.call_event("Newchannel")
    }

    pub(crate) fn newstate(&self) -> ServerMessage {
        self.call_event("Newstate")
    }

    pub(crate) fn hangup(&self, cause: u8) -> ServerMessage {
        let text = match cause {
            1 => "Unallocated (unassigned) number",
            16 => "Normal Clearing",
            17 => "User busy",
            19 => "No answer",
            21 => "Call Rejected",
            34 => "Circuit/channel congestion",
            _ => "Unknown",
        };
        self.call_event("Hangup")
            .header("Cause", cause.to_string())
            .header("Cause-txt", text)
    }

    fn duration(&self) -> (u64, String) {
        let secs = self.created.elapsed().as_secs();
        (
            secs,
            format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60),
        )
    }

    /// A `CoreShowChannel` list item.
    pub(crate) fn core_show_channel(&self, id: Option<&[u8]>) -> ServerMessage {
        let msg = with_id(ServerMessage::event("CoreShowChannel"), id);
        self.snapshot(msg)
            .header("Application", &self.application)
            .header("ApplicationData", &self.app_data)
            .header("Duration", self.duration().1)
            .header("BridgeId", "")
    }

    /// A `Status` list item.
    pub(crate) fn status(&self, id: Option<&[u8]>) -> ServerMessage {
        let tech = self.name.split('/').next().unwrap_or_default();
        let msg = ServerMessage::event("Status").header("Privilege", "Call");
        let msg = self
            .snapshot(msg)
            .header("Type", tech)
            .header("DNID", "")
            .header("EffectiveConnectedLineNum", &self.connected_num)
            .header("EffectiveConnectedLineName", &self.connected_name)
            .header("TimeToHangup", "0")
            .header("BridgeID", "")
            .header("Application", &self.application)
            .header("Data", &self.app_data)
            .header("Nativeformats", "(ulaw)")
            .header("Readformat", "ulaw")
            .header("Readtrans", "")
            .header("Writeformat", "ulaw")
            .header("Writetrans", "")
            .header("Callgroup", "0")
            .header("Pickupgroup", "0")
            .header("Seconds", self.duration().0.to_string());
        with_id(msg, id)
    }

    fn location(&self) -> String {
        format!("{}@{}:{}", self.exten, self.context, self.priority)
    }

    fn app_and_data(&self) -> String {
        format!("{}({})", self.application, self.app_data)
    }
}

/// A member of a queue.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) location: String,
    pub(crate) penalty: u32,
    pub(crate) calls_taken: u32,
    pub(crate) last_call: u64,
    pub(crate) in_call: bool,
    pub(crate) paused: bool,
    pub(crate) login_time: u64,
}

impl Member {
    /// Device state: 1 not in use, 2 in use.
    fn status(&self) -> u8 {
        if self.in_call { 2 } else { 1 }
    }

    fn fields(&self, msg: ServerMessage, queue: &str, name_key: &str) -> ServerMessage {
        msg.header("Queue", queue)
            .header(name_key, &self.name)
            .header(
                if name_key == "Name" {
                    "Location"
                } else {
                    "Interface"
                },
                &self.location,
            )
            .header("StateInterface", &self.location)
            .header("Membership", "static")
            .header("Penalty", self.penalty.to_string())
            .header("CallsTaken", self.calls_taken.to_string())
            .header("LastCall", self.last_call.to_string())
            .header("LastPause", "0")
            .header("LoginTime", self.login_time.to_string())
            .header("InCall", u8::from(self.in_call).to_string())
            .header("Status", self.status().to_string())
            .header("Paused", u8::from(self.paused).to_string())
            .header("PausedReason", "")
    }

    /// A `QueueMember` list item.
    pub(crate) fn queue_member(&self, queue: &str, id: Option<&[u8]>) -> ServerMessage {
        let msg = self
            .fields(ServerMessage::event("QueueMember"), queue, "Name")
            .header("Wrapuptime", "0");
        with_id(msg, id)
    }

    /// The `QueueMemberStatus` event.
    pub(crate) fn member_status(&self, queue: &str) -> ServerMessage {
        let msg = ServerMessage::event("QueueMemberStatus").header("Privilege", "agent,all");
        self.fields(msg, queue, "MemberName")
            .header("Ringinuse", "0")
            .header("Wrapuptime", "0")
    }
}

/// A caller waiting in a queue.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) channel: String,
    pub(crate) joined: Instant,
}

/// The one queue of the simulated PBX.
#[derive(Debug, Clone)]
pub(crate) struct Queue {
    pub(crate) name: String,
    pub(crate) members: Vec<Member>,
    pub(crate) callers: Vec<Caller>,
    pub(crate) completed: u32,
    pub(crate) abandoned: u32,
}

impl Queue {
    fn new(login_time: u64) -> Self {
        let member = |name: &str, location: &str, penalty| Member {
            name: name.into(),
            location: location.into(),
            penalty,
            calls_taken: 0,
            last_call: 0,
            in_call: false,
            paused: false,
            login_time,
        };
        Self {
            name: "support".into(),
            members: vec![
                member("Bob", "Local/101@default", 5),
                member("Local/100@default", "Local/100@default", 0),
            ],
            callers: Vec::new(),
            completed: 0,
            abandoned: 0,
        }
    }

    /// The `QueueParams` list item.
    pub(crate) fn params(&self, id: Option<&[u8]>) -> ServerMessage {
        let msg = ServerMessage::event("QueueParams")
            .header("Queue", &self.name)
            .header("Max", "0")
            .header("Strategy", "ringall")
            .header("Calls", self.callers.len().to_string())
            .header("Holdtime", "0")
            .header("TalkTime", "0")
            .header("Completed", self.completed.to_string())
            .header("Abandoned", self.abandoned.to_string())
            .header("ServiceLevel", "0")
            .header("ServicelevelPerf", "0.0")
            .header("ServicelevelPerf2", "0.0")
            .header("Weight", "0");
        with_id(msg, id)
    }

    /// The `QueueEntry` list item of the caller at `index`.
    pub(crate) fn entry(&self, index: usize, pbx: &Pbx, id: Option<&[u8]>) -> ServerMessage {
        let caller = &self.callers[index];
        let channel = pbx.channel(&caller.channel);
        let get = |f: fn(&Channel) -> &str| channel.map_or("", f).to_owned();
        let msg = ServerMessage::event("QueueEntry")
            .header("Queue", &self.name)
            .header("Position", (index + 1).to_string())
            .header("Channel", &caller.channel)
            .header("Uniqueid", get(|c| &c.uniqueid))
            .header("CallerIDNum", get(|c| &c.caller_num))
            .header("CallerIDName", get(|c| &c.caller_name))
            .header("ConnectedLineNum", get(|c| &c.connected_num))
            .header("ConnectedLineName", get(|c| &c.connected_name))
            .header("Wait", caller.joined.elapsed().as_secs().to_string())
            .header("Priority", "0");
        with_id(msg, id)
    }

    /// The `QueueSummary` list item.
    pub(crate) fn summary(&self, id: Option<&[u8]>) -> ServerMessage {
        let available = self
            .members
            .iter()
            .filter(|m| !m.in_call && !m.paused)
            .count();
        let longest = self
            .callers
            .iter()
            .map(|c| c.joined.elapsed().as_secs())
            .max()
            .unwrap_or(0);
        let msg = ServerMessage::event("QueueSummary")
            .header("Queue", &self.name)
            .header("LoggedIn", self.members.len().to_string())
            .header("Available", available.to_string())
            .header("Callers", self.callers.len().to_string())
            .header("HoldTime", "0")
            .header("TalkTime", "0")
            .header("LongestHoldTime", longest.to_string());
        with_id(msg, id)
    }
}

/// The queue rules of the recorded server (capture 14).
pub(crate) const QUEUE_RULES: &[(&str, &[&str])] = &[
    ("myrule", &["30,+3,+0", "60,10,5"]),
    ("other", &["20,-1,0"]),
];

/// What the busy-PBX script remembers of a call in progress.
#[derive(Debug, Clone)]
struct Call {
    caller: String,
    callee: Option<String>,
    queued: bool,
}

/// The whole simulated PBX.
#[derive(Debug)]
pub(crate) struct Pbx {
    pub(crate) channels: Vec<Channel>,
    pub(crate) queue: Queue,
    pub(crate) calls_processed: u64,
    started: Instant,
    epoch: u64,
    next_channel: u32,
    next_uid: u64,
    calls: Vec<Call>,
    rng: Rng,
}

const NAMES: &[&str] = &[
    "Alice", "Bruno", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana",
];

impl Pbx {
    pub(crate) fn new() -> Self {
        let epoch = epoch_secs();
        Self {
            channels: Vec::new(),
            queue: Queue::new(epoch),
            calls_processed: 0,
            started: Instant::now(),
            epoch,
            next_channel: 0,
            next_uid: 0,
            calls: Vec::new(),
            rng: Rng::new(),
        }
    }

    /// Seconds since the PBX started (FullyBooted's `Uptime`).
    pub(crate) fn uptime(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    pub(crate) fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }

    pub(crate) fn next_uniqueid(&mut self) -> String {
        let id = format!("{}.{}", self.epoch, self.next_uid);
        self.next_uid += 1;
        id
    }

    /// The `-0000002a` suffix of the next channel name.
    pub(crate) fn next_channel_suffix(&mut self) -> String {
        let n = self.next_channel;
        self.next_channel += 1;
        format!("{n:08x}")
    }

    /// Adds a channel; returns its `Newchannel` event.
    pub(crate) fn add(&mut self, channel: Channel) -> ServerMessage {
        let event = channel.newchannel();
        self.channels.push(channel);
        event
    }

    /// Sets a channel's state; returns its `Newstate` event.
    fn set_state(&mut self, name: &str, state: u8) -> Option<ServerMessage> {
        let channel = self.channels.iter_mut().find(|c| c.name == name)?;
        channel.state = state;
        Some(channel.newstate())
    }

    /// Hangs up every channel of the call `name` belongs to (same
    /// `Linkedid`); returns the `Hangup` events, none if no such channel.
    /// As in Asterisk, `name` itself ends with `cause` (0 when the AMI
    /// `Hangup` gave none) and the channels it takes down with 16.
    pub(crate) fn hangup_call(&mut self, name: &str, cause: u8) -> Vec<ServerMessage> {
        let Some(linkedid) = self.channel(name).map(|c| c.linkedid.clone()) else {
            return Vec::new();
        };
        let mut events = Vec::new();
        let mut kept = Vec::with_capacity(self.channels.len());
        for channel in std::mem::take(&mut self.channels) {
            if channel.linkedid == linkedid {
                events.push(channel.hangup(if channel.name == name { cause } else { 16 }));
            } else {
                kept.push(channel);
            }
        }
        self.channels = kept;
        let gone = |n: &str| !self.channels.iter().any(|c| c.name == n);
        let before = self.queue.callers.len();
        self.queue.callers.retain(|c| !gone(&c.channel));
        self.queue.abandoned += u32::try_from(before - self.queue.callers.len()).unwrap_or(0);
        self.calls.retain(|c| !gone(&c.caller));
        self.calls_processed += 1;
        events
    }

    // ---- the busy-PBX script ----------------------------------------------

    /// One step of the busy PBX: a call starts, is answered, joins or
    /// leaves the queue, or ends. Returns the events it caused.
    pub(crate) fn busy_step(&mut self) -> Vec<ServerMessage> {
        let roll = self.rng.below(100);
        if self.calls.len() < 2 || (roll < 30 && self.calls.len() < 8) {
            return self.start_call();
        }
        let index = usize::try_from(self.rng.below(self.calls.len() as u64)).unwrap_or(0);
        let call = self.calls[index].clone();
        match (call.queued, &call.callee) {
            // Ringing: answer it.
            (false, Some(callee))
                if self.channel(callee).is_some_and(|c| c.state != 6) && roll < 80 =>
            {
                let mut events: Vec<_> = self.set_state(callee, 6).into_iter().collect();
                events.extend(self.set_state(&call.caller, 6));
                events
            }
            // Waiting in the queue: a member takes it.
            (true, _) if roll < 70 => self.queue_answer(index),
            _ => {
                let mut events = self.hangup_call(&call.caller, 16);
                let member_call = call.queued
                    || call
                        .callee
                        .as_deref()
                        .is_some_and(|c| c.starts_with("Local/"));
                if let Some(member) = self
                    .queue
                    .members
                    .iter_mut()
                    .find(|m| m.in_call)
                    .filter(|_| member_call)
                {
                    member.in_call = false;
                    events.push(member.member_status(&self.queue.name));
                }
                events
            }
        }
    }

    fn new_channel(&mut self, name: String, exten: &str, caller: (&str, &str)) -> Channel {
        let uniqueid = self.next_uniqueid();
        Channel {
            name,
            state: 4,
            caller_num: caller.0.into(),
            caller_name: caller.1.into(),
            connected_num: "<unknown>".into(),
            connected_name: "<unknown>".into(),
            context: "from-internal".into(),
            exten: exten.into(),
            priority: 1,
            linkedid: uniqueid.clone(),
            uniqueid,
            application: "Dial".into(),
            app_data: String::new(),
            created: Instant::now(),
        }
    }

    fn start_call(&mut self) -> Vec<ServerMessage> {
        let who = usize::try_from(self.rng.below(NAMES.len() as u64)).unwrap_or(0);
        let num = format!("{}", 100 + who);
        let caller_name = format!("PJSIP/{num}-{}", self.next_channel_suffix());
        let to_queue = self.rng.below(3) == 0;
        let exten = if to_queue {
            "600".to_owned()
        } else {
            format!("{}", 200 + self.rng.below(8))
        };
        let mut caller = self.new_channel(caller_name.clone(), &exten, (&num, NAMES[who]));
        let mut events = Vec::new();
        if to_queue {
            caller.application = "Queue".into();
            caller.app_data = self.queue.name.clone();
            caller.state = 6;
            events.push(self.add(caller.clone()));
            self.queue.callers.push(Caller {
                channel: caller_name.clone(),
                joined: Instant::now(),
            });
            events.push(
                caller
                    .call_event("QueueCallerJoin")
                    .header("Queue", &self.queue.name)
                    .header("Position", self.queue.callers.len().to_string())
                    .header("Count", self.queue.callers.len().to_string()),
            );
            self.calls.push(Call {
                caller: caller_name,
                callee: None,
                queued: true,
            });
        } else {
            caller.app_data = format!("PJSIP/{exten},30");
            events.push(self.add(caller.clone()));
            let callee_name = format!("PJSIP/{exten}-{}", self.next_channel_suffix());
            let mut callee = self.new_channel(callee_name.clone(), &num, (&exten, ""));
            callee.state = 0;
            callee.linkedid = caller.linkedid.clone();
            callee.connected_num = num.clone();
            callee.connected_name = NAMES[who].into();
            callee.context = "from-internal".into();
            callee.application = "AppDial".into();
            callee.app_data = "(Outgoing Line)".into();
            events.push(self.add(callee));
            events.extend(self.set_state(&callee_name, 5));
            self.calls.push(Call {
                caller: caller_name,
                callee: Some(callee_name),
                queued: false,
            });
        }
        events
    }

    fn queue_answer(&mut self, index: usize) -> Vec<ServerMessage> {
        let caller = self.calls[index].caller.clone();
        let Some(position) = self.queue.callers.iter().position(|c| c.channel == caller) else {
            return Vec::new();
        };
        let Some(member) = self.queue.members.iter().position(|m| !m.in_call) else {
            return Vec::new();
        };
        let mut events = Vec::new();
        self.queue.callers.remove(position);
        if let Some(channel) = self.channel(&caller) {
            events.push(
                channel
                    .call_event("QueueCallerLeave")
                    .header("Queue", &self.queue.name)
                    .header("Position", (position + 1).to_string())
                    .header("Count", self.queue.callers.len().to_string()),
            );
        }
        let now = epoch_secs();
        let m = &mut self.queue.members[member];
        m.in_call = true;
        m.calls_taken += 1;
        m.last_call = now;
        events.push(m.member_status(&self.queue.name));
        self.queue.completed += 1;
        let call = &mut self.calls[index];
        call.queued = false;
        call.callee = Some(self.queue.members[member].location.clone());
        events
    }

    // ---- CLI output -------------------------------------------------------

    /// `core show channels`, in the widths of the given personality.
    pub(crate) fn cli_channels(&self, legacy: bool) -> String {
        let mut out = String::new();
        let row = |out: &mut String, a: &str, b: &str, c: &str, d: &str| {
            let _ = if legacy {
                writeln!(out, "{a:<20.20} {b:<20.20} {c:<7.7} {d:<30.30}")
            } else {
                writeln!(out, "{a:<64.64} {b:<32.32} {c:<7.7} {d:<30.30}")
            };
        };
        row(
            &mut out,
            "Channel",
            "Location",
            "State",
            "Application(Data)",
        );
        for c in &self.channels {
            row(
                &mut out,
                &c.name,
                &c.location(),
                state_desc(c.state),
                &c.app_and_data(),
            );
        }
        let n = self.channels.len();
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let _ = writeln!(out, "{n} active channel{}", plural(n));
        let _ = writeln!(out, "{n} active call{}", plural(n));
        let processed = self.calls_processed;
        let _ = writeln!(
            out,
            "{processed} call{} processed",
            if processed == 1 { "" } else { "s" }
        );
        out
    }

    /// `core show channels concise`.
    pub(crate) fn cli_channels_concise(&self) -> String {
        let mut out = String::new();
        for c in &self.channels {
            let _ = writeln!(
                out,
                "{}!{}!{}!{}!{}!{}!{}!{}!!!3!{}!(None)!{}",
                c.name,
                c.context,
                c.exten,
                c.priority,
                state_desc(c.state),
                c.application,
                c.app_data,
                c.caller_num,
                c.created.elapsed().as_secs(),
                c.uniqueid
            );
        }
        out
    }

    /// `queue show [name]`.
    pub(crate) fn cli_queue_show(&self) -> String {
        let q = &self.queue;
        let mut out = format!(
            "{} has {} calls (max unlimited) in 'ringall' strategy (0s holdtime, 0s talktime), W:0, C:{}, A:{}, SL:0.0%, SL2:0.0% within 0s\n",
            q.name,
            q.callers.len(),
            q.completed,
            q.abandoned
        );
        out.push_str("   Members: \n");
        for m in &q.members {
            let _ = writeln!(
                out,
                "      {} ({}) with penalty {} ({}) has taken {} calls",
                m.name,
                m.location,
                m.penalty,
                if m.in_call { "In use" } else { "Not in use" },
                m.calls_taken
            );
        }
        if q.callers.is_empty() {
            out.push_str("   No Callers\n");
        } else {
            out.push_str("   Callers: \n");
            for (i, c) in q.callers.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "      {}. {} (wait: {}s, prio: 0)",
                    i + 1,
                    c.channel,
                    c.joined.elapsed().as_secs()
                );
            }
        }
        out.push('\n');
        out
    }
}

/// Channels for the flood fault: `count` Newchannel / Newstate / Hangup
/// triples with distinct names and ids.
pub(crate) fn flood_events(count: usize) -> Vec<ServerMessage> {
    let mut pbx = Pbx::new();
    let mut events = Vec::with_capacity(count * 3);
    for i in 0..count {
        let num = format!("{}", 100 + i % 50);
        let name = format!("PJSIP/{num}-{}", pbx.next_channel_suffix());
        let mut channel = pbx.new_channel(name, "200", (&num, NAMES[i % NAMES.len()]));
        events.push(channel.newchannel());
        channel.state = 6;
        events.push(channel.newstate());
        events.push(channel.hangup(16));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_pbx_keeps_going() {
        let mut pbx = Pbx::new();
        let mut names = std::collections::HashSet::new();
        for _ in 0..500 {
            for event in pbx.busy_step() {
                let bytes = event.to_bytes().unwrap();
                let text = String::from_utf8(bytes).unwrap();
                names.insert(text.lines().next().unwrap().to_owned());
            }
            assert!(pbx.channels.len() <= 16);
        }
        for name in ["Newchannel", "Newstate", "Hangup", "QueueCallerJoin"] {
            assert!(
                names.contains(&format!("Event: {name}")),
                "{name}: {names:?}"
            );
        }
    }

    #[test]
    fn channel_table_widths() {
        let mut pbx = Pbx::new();
        pbx.start_call();
        let text = pbx.cli_channels(false);
        let first = text.lines().next().unwrap();
        assert_eq!(first.len(), 136);
        assert!(first.starts_with("Channel "));
        assert_eq!(pbx.cli_channels(true).lines().next().unwrap().len(), 80);
    }
}
