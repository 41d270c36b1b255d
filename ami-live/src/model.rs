//! [`Live`]: the model, fed events and list answers.

use std::collections::{HashMap, HashSet, VecDeque};

use ami_proto::{Action, Message, Response};

use crate::change::{Change, Field, Fields, Key, Removed};
use crate::headers::{Headers, Snapshot, boolean, int, text, uint};
use crate::objects::{
    Agent, Bridge, Call, Channel, Conference, Device, Dial, DialRole, Hangup, Hint, Meta,
    ParkedCall, Participant, Peer, Queue, QueueCaller, QueueMember, Unparked, listable, unlisted,
};
use crate::state::State;
use crate::sync::{Part, PartStatus, SyncRequest, Target};
use crate::values::{ChannelState, DeviceState, HangupCause};

/// How many uniqueids of hung-up channels the model remembers, so that a
/// late event naming one does not bring it back.
const RECENT_HANGUPS: usize = 4096;

/// How many of the last unapplied events [`Stats::recent`] keeps.
const RECENT_PROBLEMS: usize = 16;

/// What the model did with the events it was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events given to [`Live::apply`].
    pub events: u64,
    /// Events that changed the model or confirmed what it held.
    pub applied: u64,
    /// Events the model has no use for (`VarSet`, `Cdr`, `UserEvent`, …).
    pub ignored: u64,
    /// Events about an object the model does not know (a `BridgeLeave` of
    /// a channel not in that bridge, a `QueueCallerLeave` of a caller it
    /// never saw, a late event of a hung-up channel): nothing to change.
    pub unknown_object: u64,
    /// Events lacking a header the model needs, or with one that does not
    /// parse (a `Newchannel` without `Uniqueid`): skipped.
    pub malformed: u64,
    /// List entries given to [`Live::sync_response`].
    pub listed: u64,
    /// The last few events that could not be applied, and why (oldest
    /// first).
    pub recent: VecDeque<Problem>,
}

/// An event the model could not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The event's name.
    pub event: String,
    /// What was wrong.
    pub reason: &'static str,
}

/// How a sync part is doing inside the model.
#[derive(Debug, Clone, Copy, Default)]
struct PartSync {
    generation: u32,
    /// Requests of the current generation not answered yet.
    pending: u32,
}

/// A live model of the PBX, sans I/O: feed it every event
/// ([`apply`](Self::apply)) and the answers of the list actions it asks
/// for ([`start_sync`](Self::start_sync),
/// [`sync_response`](Self::sync_response)); read it with
/// [`state`](Self::state) and take what changed with
/// [`poll_change`](Self::poll_change).
///
/// ```
/// use ami_live::{Change, Key, Live};
/// use ami_proto::{Decoded, Decoder};
///
/// let mut live = Live::new();
/// let mut decoder = Decoder::new();
/// decoder.feed(b"Event: Newchannel\r\nChannel: PJSIP/100-00000001\r\nChannelState: 4\r\n\
///                ChannelStateDesc: Ring\r\nCallerIDNum: 100\r\nCallerIDName: Alice\r\n\
///                Uniqueid: 1700000000.1\r\nLinkedid: 1700000000.1\r\n\r\n\
///                Event: Newstate\r\nChannel: PJSIP/100-00000001\r\nChannelState: 6\r\n\
///                Uniqueid: 1700000000.1\r\nLinkedid: 1700000000.1\r\n\r\n");
/// while let Some(Decoded::Message(msg)) = decoder.decode() {
///     live.apply(&msg);
/// }
/// let channel = live.state().channel_by_name("PJSIP/100-00000001").unwrap();
/// assert_eq!(channel.state.as_str(), "Up");
/// assert_eq!(channel.caller_id.name, "Alice");
/// assert_eq!(live.state().call("1700000000.1").unwrap().channels, ["1700000000.1"]);
///
/// assert_eq!(live.poll_change(), Some(Change::Added(Key::Channel("1700000000.1".into()))));
/// assert_eq!(live.poll_change(), Some(Change::Added(Key::Call("1700000000.1".into()))));
/// assert!(matches!(live.poll_change(), Some(Change::Changed(Key::Channel(_), f)) if f.contains(ami_live::Field::State)));
/// assert_eq!(live.poll_change(), None);
/// ```
#[derive(Debug, Clone)]
pub struct Live {
    state: State,
    /// The number of events applied: each object remembers the last that
    /// touched it.
    seq: u64,
    now: Option<i64>,
    sync: [PartSync; Part::ALL.len()],
    /// Objects removed by events while a sync was in flight, with the
    /// event's number: a list entry older than the removal must not bring
    /// them back. Emptied when no sync is in flight.
    tombstones: HashMap<Key, u64>,
    recent_hangups: VecDeque<String>,
    hung_up: HashSet<String>,
    changes: VecDeque<Change>,
    record: bool,
    stats: Stats,
    /// Bridges known by id only (a channel's `BridgeId`), to ask about.
    placeholders: Vec<String>,
    /// Names more than one channel has (a masquerade), with how many more.
    shared_names: HashMap<String, u32>,
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

/// Sets `dst` from a header value when it differs, noting `field`.
fn set_text(dst: &mut String, v: Option<&[u8]>, field: Field, changed: &mut Fields) {
    if let Some(v) = v
        && dst.as_bytes() != v
    {
        *dst = text(v).into_owned();
        changed.insert(field);
    }
}

/// Sets `dst` when `v` is some and differs, noting `field`.
fn set<T: PartialEq>(dst: &mut T, v: Option<T>, field: Field, changed: &mut Fields) {
    if let Some(v) = v
        && *dst != v
    {
        *dst = v;
        changed.insert(field);
    }
}

/// The creation time in a uniqueid (`1700000000.12`,
/// `systemname-1700000000.12`).
fn uniqueid_time(uid: &str) -> Option<i64> {
    let tail = uid.rsplit('-').next().unwrap_or(uid);
    let secs = tail.split('.').next()?;
    let secs: i64 = secs.parse().ok()?;
    // Only a plausible Unix time (2001 … 2286) is one.
    (1_000_000_000..10_000_000_000)
        .contains(&secs)
        .then_some(secs)
}

/// A `Duration` as `CoreShowChannel` sends it (`01:02:03`), in seconds.
fn hms(v: Option<&[u8]>) -> Option<i64> {
    let v = std::str::from_utf8(v?).ok()?;
    let mut secs = 0i64;
    for part in v.split(':') {
        secs = secs
            .checked_mul(60)?
            .checked_add(part.parse::<i64>().ok()?)?;
    }
    Some(secs)
}

fn non_empty(v: Option<&[u8]>) -> Option<&[u8]> {
    v.filter(|v| !v.is_empty())
}

/// Applies the channel-snapshot fields of an event to a channel.
fn apply_snapshot(ch: &mut Channel, s: &Snapshot<'_>, changed: &mut Fields) {
    set_text(&mut ch.name, s.channel, Field::Name, changed);
    set(
        &mut ch.state,
        uint(s.channel_state).map(ChannelState::from_code),
        Field::State,
        changed,
    );
    let mut cid = Fields::default();
    set_text(
        &mut ch.caller_id.num,
        s.caller_id_num,
        Field::CallerId,
        &mut cid,
    );
    set_text(
        &mut ch.caller_id.name,
        s.caller_id_name,
        Field::CallerId,
        &mut cid,
    );
    set_text(
        &mut ch.connected_line.num,
        s.connected_line_num,
        Field::ConnectedLine,
        &mut cid,
    );
    set_text(
        &mut ch.connected_line.name,
        s.connected_line_name,
        Field::ConnectedLine,
        &mut cid,
    );
    for f in cid.iter() {
        changed.insert(f);
    }
    set_text(
        &mut ch.account_code,
        s.account_code,
        Field::AccountCode,
        changed,
    );
    set_text(&mut ch.language, s.language, Field::Language, changed);
    set_text(&mut ch.context, s.context, Field::Location, changed);
    set_text(&mut ch.exten, s.exten, Field::Location, changed);
    set(
        &mut ch.priority,
        uint(s.priority).and_then(|p| u32::try_from(p).ok()),
        Field::Location,
        changed,
    );
    set_text(&mut ch.linkedid, s.linkedid, Field::Linkedid, changed);
}

impl Live {
    /// An empty model: nothing known, every part
    /// [`Unsynced`](PartStatus::Unsynced), changes recorded.
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: State::default(),
            seq: 0,
            now: None,
            sync: [PartSync::default(); Part::ALL.len()],
            tombstones: HashMap::new(),
            recent_hangups: VecDeque::new(),
            hung_up: HashSet::new(),
            changes: VecDeque::new(),
            record: true,
            stats: Stats::default(),
            placeholders: Vec::new(),
            shared_names: HashMap::new(),
        }
    }

    /// Whether [`Change`]s are recorded for [`poll_change`](Self::poll_change)
    /// (on by default). A reader of [`state`](Self::state) alone turns them
    /// off and saves their cost.
    pub fn record_changes(&mut self, on: bool) {
        self.record = on;
        if !on {
            self.changes.clear();
        }
    }

    /// Tells the model the wall-clock time (Unix seconds), for the times it
    /// derives from durations (`Wait`, `ParkingDuration`, `Duration`). The
    /// model never reads a clock itself.
    pub fn set_now(&mut self, unix_secs: i64) {
        self.now = Some(unix_secs);
    }

    /// The model's data.
    #[must_use]
    pub fn state(&self) -> &State {
        &self.state
    }

    /// What was done with the events so far.
    #[must_use]
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The next change, oldest first.
    pub fn poll_change(&mut self) -> Option<Change> {
        self.changes.pop_front()
    }

    /// Changes not taken yet.
    #[must_use]
    pub fn pending_changes(&self) -> usize {
        self.changes.len()
    }

    /// Which of the event classes the model needs a login's `Events:` value
    /// leaves out (`on` and `off` included): what the model will not see.
    ///
    /// ```
    /// use ami_live::Live;
    /// assert!(Live::missing_classes("on").is_empty());
    /// assert_eq!(Live::missing_classes("off"), ["call", "dialplan", "agent"]);
    /// assert_eq!(Live::missing_classes("call,agent"), ["dialplan"]);
    /// ```
    #[must_use]
    pub fn missing_classes(events: &str) -> Vec<&'static str> {
        const NEEDED: [&str; 3] = ["call", "dialplan", "agent"];
        let events = events.trim();
        if events.eq_ignore_ascii_case("on") || events.eq_ignore_ascii_case("all") {
            return Vec::new();
        }
        let has = |class: &str| {
            events
                .split(',')
                .map(str::trim)
                .any(|c| c.eq_ignore_ascii_case(class) || c.eq_ignore_ascii_case("all"))
        };
        NEEDED.into_iter().filter(|c| !has(c)).collect()
    }

    fn push(&mut self, change: Change) {
        if self.record {
            self.changes.push_back(change);
        }
    }

    fn changed(&mut self, key: impl FnOnce() -> Key, fields: Fields) {
        if self.record && !fields.is_empty() {
            self.changes.push_back(Change::Changed(key(), fields));
        }
    }

    fn syncing(&self) -> bool {
        self.sync.iter().any(|s| s.pending > 0)
    }

    fn tombstone(&mut self, key: impl FnOnce() -> Key) {
        if self.syncing() {
            self.tombstones.insert(key(), self.seq);
        }
    }

    fn problem(&mut self, msg_name: &[u8], reason: &'static str) {
        if self.stats.recent.len() == RECENT_PROBLEMS {
            self.stats.recent.pop_front();
        }
        self.stats.recent.push_back(Problem {
            event: text(msg_name).into_owned(),
            reason,
        });
    }

    fn malformed(&mut self, name: &[u8], reason: &'static str) {
        self.stats.malformed += 1;
        self.problem(name, reason);
    }

    fn unknown(&mut self, name: &[u8], reason: &'static str) {
        self.stats.unknown_object += 1;
        self.problem(name, reason);
    }

    // ---- channels, calls, bridges ------------------------------------

    /// Creates or updates the channel a snapshot describes. `create`: the
    /// event shows the channel exists (not a late one of a hung-up
    /// channel). Returns its uniqueid when the model has it afterwards.
    fn upsert_channel<'a>(&mut self, s: &Snapshot<'a>, touch: bool) -> Option<&'a str> {
        let uid = std::str::from_utf8(non_empty(s.uniqueid)?).ok()?;
        let seq = self.seq;
        if let Some(ch) = self.state.channels.get_mut(uid) {
            // Copies only when they change (rare): the common event changes
            // nothing, or a state.
            let old_name = s
                .channel
                .is_some_and(|n| n != ch.name.as_bytes())
                .then(|| ch.name.clone());
            let old_linkedid = s
                .linkedid
                .is_some_and(|l| l != ch.linkedid.as_bytes())
                .then(|| ch.linkedid.clone());
            let mut changed = Fields::default();
            apply_snapshot(ch, s, &mut changed);
            if touch {
                ch.meta.touched = seq;
            }
            if let Some(old_name) = old_name {
                let new_name = ch.name.clone();
                self.unindex_name(&old_name, uid);
                self.index_name(new_name, uid);
            }
            if let Some(old_linkedid) = old_linkedid {
                let new = self.state.channels[uid].linkedid.clone();
                self.leave_call(&old_linkedid, uid);
                self.join_call(&new, uid);
            }
            self.changed(|| Key::Channel(uid.to_owned()), changed);
            return Some(uid);
        }
        // A new channel: only from an event that shows it exists.
        if s.channel.is_none() || s.linkedid.is_none() || self.hung_up.contains(uid) {
            return None;
        }
        let mut ch = Channel {
            uniqueid: uid.to_owned(),
            created: uniqueid_time(uid),
            ..Channel::default()
        };
        apply_snapshot(&mut ch, s, &mut Fields::default());
        ch.meta.touched = if touch { seq } else { 0 };
        let linkedid = ch.linkedid.clone();
        let name = ch.name.clone();
        self.state.channels.insert(uid.to_owned(), ch);
        self.index_name(name, uid);
        self.push(Change::Added(Key::Channel(uid.to_owned())));
        self.join_call(&linkedid, uid);
        Some(uid)
    }

    /// Makes `name` find the channel `uid` (the newer of two that share a
    /// name, as during a masquerade; the other is remembered).
    fn index_name(&mut self, name: String, uid: &str) {
        if let Some(other) = self.state.names.insert(name.clone(), uid.to_owned())
            && other != uid
        {
            *self.shared_names.entry(name).or_default() += 1;
        }
    }

    /// The channel `uid` no longer has `name`: the name finds another
    /// channel of that name if there is one, else nothing.
    fn unindex_name(&mut self, name: &str, uid: &str) {
        let pointed_here = self.state.names.get(name).is_some_and(|u| u == uid);
        let Some(shared) = self.shared_names.get_mut(name) else {
            if pointed_here {
                self.state.names.remove(name);
            }
            return;
        };
        *shared -= 1;
        if *shared == 0 {
            self.shared_names.remove(name);
        }
        if pointed_here {
            // Rare (two channels of one name): find the other.
            let other = self
                .state
                .channels
                .values()
                .find(|c| c.name == name && c.uniqueid != uid)
                .map(|c| c.uniqueid.clone());
            match other {
                Some(other) => {
                    self.state.names.insert(name.to_owned(), other);
                }
                None => {
                    self.state.names.remove(name);
                }
            }
        }
    }

    fn join_call(&mut self, linkedid: &str, uid: &str) {
        if let Some(call) = self.state.calls.get_mut(linkedid) {
            if !call.channels.iter().any(|c| c == uid) {
                call.channels.push(uid.to_owned());
                let key = linkedid.to_owned();
                let mut f = Fields::default();
                f.insert(Field::Channels);
                self.changed(|| Key::Call(key), f);
            }
            return;
        }
        self.state.calls.insert(
            linkedid.to_owned(),
            Call {
                linkedid: linkedid.to_owned(),
                channels: vec![uid.to_owned()],
            },
        );
        self.push(Change::Added(Key::Call(linkedid.to_owned())));
    }

    fn leave_call(&mut self, linkedid: &str, uid: &str) {
        let Some(call) = self.state.calls.get_mut(linkedid) else {
            return;
        };
        call.channels.retain(|c| c != uid);
        if call.channels.is_empty() {
            if let Some(call) = self.state.calls.remove(linkedid) {
                self.push(Change::Removed(Box::new(Removed::Call(call))));
            }
        } else {
            let key = linkedid.to_owned();
            let mut f = Fields::default();
            f.insert(Field::Channels);
            self.changed(|| Key::Call(key), f);
        }
    }

    /// Removes a channel and every reference to it.
    fn remove_channel(&mut self, uid: &str, hangup: Option<Hangup>) {
        let Some(mut ch) = self.state.channels.remove(uid) else {
            return;
        };
        self.unindex_name(&ch.name, uid);
        if let Some(bridge) = ch.bridge.take() {
            self.bridge_remove_member(&bridge, uid);
        }
        // A caller that hangs up in a queue leaves it (Asterisk says so
        // first; this covers a missed QueueCallerLeave).
        let queues: Vec<String> = self
            .state
            .queues
            .values()
            .filter(|q| q.callers.iter().any(|c| c.uniqueid == uid))
            .map(|q| q.name.clone())
            .collect();
        for q in queues {
            self.remove_caller(&q, uid);
        }
        if let Some(p) = self.state.parked.remove(uid) {
            self.push(Change::Removed(Box::new(Removed::Parked(
                p,
                Unparked::GaveUp,
            ))));
        }
        let confs: Vec<String> = self
            .state
            .conferences
            .values()
            .filter(|c| c.participants.contains_key(uid))
            .map(|c| c.name.clone())
            .collect();
        for c in confs {
            if let Some(p) = self
                .state
                .conferences
                .get_mut(&c)
                .and_then(|conf| conf.participants.remove(uid))
            {
                self.push(Change::Removed(Box::new(Removed::Participant(c, p))));
            }
        }
        ch.hangup = hangup;
        let linkedid = ch.linkedid.clone();
        self.remember_hangup(uid);
        self.tombstone(|| Key::Channel(uid.to_owned()));
        self.push(Change::Removed(Box::new(Removed::Channel(ch))));
        self.leave_call(&linkedid, uid);
    }

    fn remember_hangup(&mut self, uid: &str) {
        if self.recent_hangups.len() == RECENT_HANGUPS
            && let Some(old) = self.recent_hangups.pop_front()
        {
            self.hung_up.remove(&old);
        }
        self.recent_hangups.push_back(uid.to_owned());
        self.hung_up.insert(uid.to_owned());
    }

    /// Creates or updates a bridge from the `Bridge*` headers.
    fn upsert_bridge(&mut self, h: &Headers<'_>, touch: bool) -> Option<String> {
        let id = std::str::from_utf8(non_empty(h.bridge_uniqueid)?).ok()?;
        let seq = self.seq;
        let (bridge, added) = match self.state.bridges.get_mut(id) {
            Some(b) => (b, false),
            None => {
                self.state.bridges.insert(
                    id.to_owned(),
                    Bridge {
                        id: id.to_owned(),
                        ..Bridge::default()
                    },
                );
                (self.state.bridges.get_mut(id).expect("just inserted"), true)
            }
        };
        let mut changed = Fields::default();
        set_text(
            &mut bridge.bridge_type,
            h.bridge_type,
            Field::Type,
            &mut changed,
        );
        set_text(
            &mut bridge.technology,
            h.bridge_technology,
            Field::Technology,
            &mut changed,
        );
        set_text(
            &mut bridge.creator,
            h.bridge_creator,
            Field::Creator,
            &mut changed,
        );
        set_text(&mut bridge.name, h.bridge_name, Field::Name, &mut changed);
        if touch {
            bridge.meta.touched = seq;
        }
        let id = id.to_owned();
        if added {
            self.push(Change::Added(Key::Bridge(id.clone())));
        } else {
            let key = id.clone();
            self.changed(|| Key::Bridge(key), changed);
        }
        Some(id)
    }

    /// A placeholder for a bridge known only by id (a channel's
    /// `BridgeId`); the next `BridgeList` fills it in.
    fn ensure_bridge(&mut self, id: &str) {
        if !self.state.bridges.contains_key(id) {
            self.state.bridges.insert(
                id.to_owned(),
                Bridge {
                    id: id.to_owned(),
                    meta: Meta::touched_at(self.seq),
                    ..Bridge::default()
                },
            );
            self.placeholders.push(id.to_owned());
            self.push(Change::Added(Key::Bridge(id.to_owned())));
        }
    }

    fn bridge_remove_member(&mut self, id: &str, uid: &str) {
        if let Some(b) = self.state.bridges.get_mut(id) {
            let before = b.channels.len();
            b.channels.retain(|c| c != uid);
            if b.channels.len() != before {
                let mut f = Fields::default();
                f.insert(Field::Channels);
                let key = id.to_owned();
                self.changed(|| Key::Bridge(key), f);
            }
        }
    }

    /// Puts a channel in a bridge (or none), on both sides.
    fn set_channel_bridge(&mut self, uid: &str, bridge: Option<&str>, from_event: bool) {
        let seq = self.seq;
        let Some(ch) = self.state.channels.get_mut(uid) else {
            return;
        };
        if from_event {
            ch.meta.bridge = seq;
        }
        if ch.bridge.as_deref() == bridge {
            return;
        }
        let old = std::mem::replace(&mut ch.bridge, bridge.map(str::to_owned));
        let mut f = Fields::default();
        f.insert(Field::Bridge);
        let key = uid.to_owned();
        self.changed(|| Key::Channel(key), f);
        if let Some(old) = old {
            self.bridge_remove_member(&old, uid);
        }
        if let Some(new) = bridge {
            self.ensure_bridge(new);
            if let Some(b) = self.state.bridges.get_mut(new)
                && !b.channels.iter().any(|c| c == uid)
            {
                b.channels.push(uid.to_owned());
                let mut f = Fields::default();
                f.insert(Field::Channels);
                let key = new.to_owned();
                self.changed(|| Key::Bridge(key), f);
            }
        }
    }

    fn remove_bridge(&mut self, id: &str) {
        let Some(bridge) = self.state.bridges.remove(id) else {
            return;
        };
        self.placeholders.retain(|p| p != id);
        for uid in &bridge.channels {
            if let Some(ch) = self.state.channels.get_mut(uid)
                && ch.bridge.as_deref() == Some(id)
            {
                ch.bridge = None;
                let mut f = Fields::default();
                f.insert(Field::Bridge);
                if self.record {
                    self.changes
                        .push_back(Change::Changed(Key::Channel(uid.clone()), f));
                }
            }
        }
        self.tombstone(|| Key::Bridge(id.to_owned()));
        self.push(Change::Removed(Box::new(Removed::Bridge(bridge))));
    }

    // ---- queues --------------------------------------------------------

    fn ensure_queue(&mut self, name: &str) {
        if !self.state.queues.contains_key(name) {
            self.state.queues.insert(
                name.to_owned(),
                Queue {
                    name: name.to_owned(),
                    meta: Meta::touched_at(self.seq),
                    ..Queue::default()
                },
            );
            self.push(Change::Added(Key::Queue(name.to_owned())));
        }
    }

    /// Creates or updates a member from an event's or a list's headers.
    fn upsert_member(&mut self, queue: &str, h: &Headers<'_>, listed: bool, touch: bool) -> bool {
        let iface = if listed {
            h.location.or(h.interface)
        } else {
            h.interface.or(h.location)
        };
        let Some(iface) = non_empty(iface).and_then(|i| std::str::from_utf8(i).ok()) else {
            return false;
        };
        self.ensure_queue(queue);
        let seq = self.seq;
        let q = self.state.queues.get_mut(queue).expect("ensured");
        let added = !q.members.contains_key(iface);
        let m = q
            .members
            .entry(iface.to_owned())
            .or_insert_with(|| QueueMember {
                interface: iface.to_owned(),
                ..QueueMember::default()
            });
        let mut c = Fields::default();
        let name = if listed {
            h.name.or(h.member_name)
        } else {
            h.member_name.or(h.name)
        };
        set_text(&mut m.name, name, Field::Name, &mut c);
        set_text(
            &mut m.state_interface,
            h.state_interface,
            Field::StateInterface,
            &mut c,
        );
        set_text(&mut m.membership, h.membership, Field::Membership, &mut c);
        set(&mut m.penalty, uint(h.penalty), Field::Penalty, &mut c);
        set(
            &mut m.calls_taken,
            uint(h.calls_taken),
            Field::CallsTaken,
            &mut c,
        );
        set(&mut m.last_call, uint(h.last_call), Field::LastCall, &mut c);
        set(
            &mut m.last_pause,
            uint(h.last_pause),
            Field::LastPause,
            &mut c,
        );
        set(
            &mut m.login_time,
            uint(h.login_time),
            Field::LoginTime,
            &mut c,
        );
        set(&mut m.in_call, boolean(h.in_call), Field::InCall, &mut c);
        set(
            &mut m.status,
            uint(h.status).map(DeviceState::from_code),
            Field::Status,
            &mut c,
        );
        set(&mut m.paused, boolean(h.paused), Field::Paused, &mut c);
        set_text(&mut m.paused_reason, h.paused_reason, Field::Paused, &mut c);
        set(
            &mut m.ring_in_use,
            boolean(h.ringinuse).map(Some),
            Field::RingInUse,
            &mut c,
        );
        set(
            &mut m.wrapup_time,
            uint(h.wrapuptime),
            Field::Wrapup,
            &mut c,
        );
        if touch {
            m.meta.touched = seq;
        }
        let key = || Key::Member(queue.to_owned(), iface.to_owned());
        if added {
            self.push(Change::Added(key()));
        } else {
            self.changed(key, c);
        }
        true
    }

    fn renumber(q: &mut Queue) -> Vec<String> {
        let mut moved = Vec::new();
        for (i, caller) in q.callers.iter_mut().enumerate() {
            let pos = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if caller.position != pos {
                caller.position = pos;
                moved.push(caller.uniqueid.clone());
            }
        }
        moved
    }

    fn note_moved(&mut self, queue: &str, moved: Vec<String>) {
        for uid in moved {
            let mut f = Fields::default();
            f.insert(Field::Position);
            let queue = queue.to_owned();
            self.changed(|| Key::Caller(queue, uid), f);
        }
    }

    fn remove_caller(&mut self, queue: &str, uid: &str) -> bool {
        let Some(q) = self.state.queues.get_mut(queue) else {
            return false;
        };
        let Some(i) = q.callers.iter().position(|c| c.uniqueid == uid) else {
            return false;
        };
        let caller = q.callers.remove(i);
        let moved = Self::renumber(q);
        self.tombstone(|| Key::Caller(queue.to_owned(), uid.to_owned()));
        self.push(Change::Removed(Box::new(Removed::Caller(
            queue.to_owned(),
            caller,
        ))));
        self.note_moved(queue, moved);
        true
    }

    // ---- events --------------------------------------------------------

    /// Applies one event (any message: responses and list entries are
    /// ignored here — list answers go to
    /// [`sync_response`](Self::sync_response)). Never fails: what cannot be
    /// applied is counted in [`stats`](Self::stats).
    pub fn apply(&mut self, msg: &Message) {
        self.stats.events += 1;
        self.seq += 1;
        let Some(name) = msg.name().map(|n| n.as_bytes()) else {
            self.stats.ignored += 1;
            return;
        };
        if msg.kind() != ami_proto::MessageKind::Event || !handled(name) {
            self.stats.ignored += 1;
            return;
        }
        let h = Headers::read(msg);
        // List entries (with an ActionID of a list) reach the model through
        // sync_response; the same events unsolicited are live ones.
        let applied = self.apply_event(name, msg, &h);
        match applied {
            Applied::Yes => self.stats.applied += 1,
            Applied::Ignored => self.stats.ignored += 1,
            Applied::Unknown(reason) => self.unknown(name, reason),
            Applied::Malformed(reason) => self.malformed(name, reason),
        }
    }

    fn apply_event(&mut self, name: &[u8], msg: &Message, h: &Headers<'_>) -> Applied {
        let plain = Snapshot::plain(h);
        match name {
            b"Newstate"
            | b"NewCallerid"
            | b"NewConnectedLine"
            | b"NewAccountCode"
            | b"HangupRequest"
            | b"SoftHangupRequest"
            | b"ChannelTalkingStart"
            | b"ChannelTalkingStop"
            | b"MusicOnHoldStart"
            | b"MusicOnHoldStop" => self.channel_event(&plain),
            b"Newchannel" => {
                let applied = self.channel_event(&plain);
                // Born now: not on hold (later events say otherwise).
                let uid = std::str::from_utf8(h.uniqueid.unwrap_or_default()).unwrap_or("");
                if let Some(ch) = self.state.channels.get_mut(uid) {
                    ch.on_hold.get_or_insert(false);
                }
                applied
            }
            b"Newexten" => match self.channel_event(&plain) {
                Applied::Yes => {
                    let uid = std::str::from_utf8(h.uniqueid.unwrap_or_default()).unwrap_or("");
                    if let Some(ch) = self.state.channels.get_mut(uid) {
                        let mut c = Fields::default();
                        set_text(
                            &mut ch.application,
                            h.application,
                            Field::Application,
                            &mut c,
                        );
                        set_text(
                            &mut ch.application_data,
                            h.app_data,
                            Field::Application,
                            &mut c,
                        );
                        self.changed(|| Key::Channel(uid.to_owned()), c);
                    }
                    Applied::Yes
                }
                other => other,
            },
            b"Hold" | b"Unhold" => match self.channel_event(&plain) {
                Applied::Yes => {
                    let uid = std::str::from_utf8(h.uniqueid.unwrap_or_default()).unwrap_or("");
                    if let Some(ch) = self.state.channels.get_mut(uid) {
                        let mut c = Fields::default();
                        set(
                            &mut ch.on_hold,
                            Some(Some(name == b"Hold")),
                            Field::Hold,
                            &mut c,
                        );
                        if name == b"Hold" {
                            set_text(&mut ch.music_class, h.music_class, Field::Hold, &mut c);
                        }
                        self.changed(|| Key::Channel(uid.to_owned()), c);
                    }
                    Applied::Yes
                }
                other => other,
            },
            b"Hangup" => {
                let Some(uid) = non_empty(h.uniqueid) else {
                    return Applied::Malformed("no Uniqueid");
                };
                let uid = text(uid).into_owned();
                if !self.state.channels.contains_key(&uid) {
                    self.remember_hangup(&uid);
                    return Applied::Unknown("hangup of a channel not known");
                }
                let cause = uint(h.cause)
                    .and_then(|c| u32::try_from(c).ok())
                    .map_or(HangupCause::Other(0), HangupCause::from_code);
                let hangup = Hangup {
                    cause,
                    text: text(h.cause_txt.unwrap_or_default()).into_owned(),
                };
                self.remove_channel(&uid, Some(hangup));
                Applied::Yes
            }
            b"DialBegin" | b"DialState" | b"DialEnd" => self.dial_event(name, msg, h, &plain),
            b"BridgeCreate" => match self.upsert_bridge(h, true) {
                Some(_) => Applied::Yes,
                None => Applied::Malformed("no BridgeUniqueid"),
            },
            b"BridgeDestroy" => {
                let Some(id) = non_empty(h.bridge_uniqueid) else {
                    return Applied::Malformed("no BridgeUniqueid");
                };
                let id = text(id).into_owned();
                if !self.state.bridges.contains_key(&id) {
                    return Applied::Unknown("bridge not known");
                }
                self.remove_bridge(&id);
                Applied::Yes
            }
            b"BridgeEnter" | b"BridgeLeave" => {
                let Some(bridge) = self.upsert_bridge(h, true) else {
                    return Applied::Malformed("no BridgeUniqueid");
                };
                let Some(uid) = self.upsert_channel(&plain, true) else {
                    return Applied::Unknown("channel not known");
                };
                if name == b"BridgeEnter" {
                    self.set_channel_bridge(uid, Some(&bridge), true);
                } else if self.state.channels[uid].bridge.as_deref() == Some(bridge.as_str()) {
                    self.set_channel_bridge(uid, None, true);
                } else {
                    return Applied::Unknown("channel not in that bridge");
                }
                Applied::Yes
            }
            b"BridgeMerge" => {
                let (Some(to), Some(from)) = (
                    non_empty(h.to_bridge_uniqueid),
                    non_empty(h.from_bridge_uniqueid),
                ) else {
                    return Applied::Malformed("no ToBridgeUniqueid or FromBridgeUniqueid");
                };
                let (to, from) = (text(to).into_owned(), text(from).into_owned());
                let members = self
                    .state
                    .bridges
                    .get(&from)
                    .map(|b| b.channels.clone())
                    .unwrap_or_default();
                for uid in members {
                    self.set_channel_bridge(&uid, Some(&to), true);
                }
                Applied::Yes
            }
            b"QueueCallerJoin" => self.caller_join(h, &plain),
            b"QueueCallerLeave" => {
                let (Some(queue), Some(uid)) = (non_empty(h.queue), non_empty(h.uniqueid)) else {
                    return Applied::Malformed("no Queue or Uniqueid");
                };
                let (queue, uid) = (text(queue).into_owned(), text(uid).into_owned());
                self.channel_event(&plain);
                if !self.remove_caller(&queue, &uid) {
                    return Applied::Unknown("caller not in that queue");
                }
                self.set_queue_calls(&queue, uint(h.count));
                Applied::Yes
            }
            b"QueueCallerAbandon" => {
                let (Some(queue), Some(uid)) = (non_empty(h.queue), non_empty(h.uniqueid)) else {
                    return Applied::Malformed("no Queue or Uniqueid");
                };
                let (queue, uid) = (text(queue).into_owned(), text(uid).into_owned());
                let seq = self.seq;
                let Some(q) = self.state.queues.get_mut(&queue) else {
                    return Applied::Unknown("queue not known");
                };
                q.abandoned += 1;
                q.meta.touched = seq;
                if let Some(c) = q.callers.iter_mut().find(|c| c.uniqueid == uid) {
                    c.abandoned = true;
                }
                let mut f = Fields::default();
                f.insert(Field::Abandoned);
                self.changed(|| Key::Queue(queue), f);
                Applied::Yes
            }
            b"QueueMemberAdded"
            | b"QueueMemberPause"
            | b"QueueMemberPenalty"
            | b"QueueMemberRinginuse"
            | b"QueueMemberStatus"
            | b"QueueMemberPaused" => {
                let Some(queue) = non_empty(h.queue) else {
                    return Applied::Malformed("no Queue");
                };
                let queue = text(queue).into_owned();
                if self.upsert_member(&queue, h, false, true) {
                    Applied::Yes
                } else {
                    Applied::Malformed("no Interface")
                }
            }
            b"QueueMemberRemoved" => {
                let (Some(queue), Some(iface)) = (non_empty(h.queue), non_empty(h.interface))
                else {
                    return Applied::Malformed("no Queue or Interface");
                };
                let (queue, iface) = (text(queue).into_owned(), text(iface).into_owned());
                let Some(m) = self
                    .state
                    .queues
                    .get_mut(&queue)
                    .and_then(|q| q.members.remove(&iface))
                else {
                    return Applied::Unknown("member not in that queue");
                };
                self.tombstone(|| Key::Member(queue.clone(), iface));
                self.push(Change::Removed(Box::new(Removed::Member(queue, m))));
                Applied::Yes
            }
            b"AgentConnect" | b"AgentComplete" => self.agent_event(name, h),
            b"ParkedCall" => self.parked_call(msg, h, true),
            b"ParkedCallTimeOut" | b"ParkedCallGiveUp" | b"UnParkedCall" => {
                let Some(uid) = non_empty(h.parkee_uniqueid) else {
                    return Applied::Malformed("no ParkeeUniqueid");
                };
                let uid = text(uid).into_owned();
                let Some(p) = self.state.parked.remove(&uid) else {
                    return Applied::Unknown("parked call not known");
                };
                let why = match name {
                    b"ParkedCallTimeOut" => Unparked::TimedOut,
                    b"ParkedCallGiveUp" => Unparked::GaveUp,
                    _ => Unparked::Retrieved(
                        text(h.retriever_channel.unwrap_or_default()).into_owned(),
                    ),
                };
                self.tombstone(|| Key::Parked(uid));
                self.push(Change::Removed(Box::new(Removed::Parked(p, why))));
                Applied::Yes
            }
            b"ParkedCallSwap" => {
                // Another channel takes the space: the old parkee leaves it.
                let (lot, space) = (
                    h.parkinglot.unwrap_or_default(),
                    h.parking_space.unwrap_or_default(),
                );
                let old: Vec<String> = self
                    .state
                    .parked
                    .values()
                    .filter(|p| p.lot.as_bytes() == lot && p.space.as_bytes() == space)
                    .map(|p| p.uniqueid.clone())
                    .collect();
                for uid in old {
                    if let Some(p) = self.state.parked.remove(&uid) {
                        self.push(Change::Removed(Box::new(Removed::Parked(
                            p,
                            Unparked::Vanished,
                        ))));
                    }
                }
                self.parked_call(msg, h, true)
            }
            b"ConfbridgeStart" => {
                let Some(conf) = non_empty(h.conference) else {
                    return Applied::Malformed("no Conference");
                };
                let conf = text(conf).into_owned();
                self.ensure_conference(&conf, h, true);
                Applied::Yes
            }
            b"ConfbridgeEnd" => {
                let Some(conf) = non_empty(h.conference) else {
                    return Applied::Malformed("no Conference");
                };
                let conf = text(conf).into_owned();
                let Some(c) = self.state.conferences.remove(&conf) else {
                    return Applied::Unknown("conference not known");
                };
                self.tombstone(|| Key::Conference(conf));
                self.push(Change::Removed(Box::new(Removed::Conference(c))));
                Applied::Yes
            }
            b"ConfbridgeJoin" | b"ConfbridgeLeave" | b"ConfbridgeMute" | b"ConfbridgeUnmute"
            | b"ConfbridgeTalking" => self.participant_event(name, h, &plain),
            b"ConfbridgeLock" | b"ConfbridgeUnlock" => {
                let Some(conf) = non_empty(h.conference) else {
                    return Applied::Malformed("no Conference");
                };
                let conf = text(conf).into_owned();
                self.ensure_conference(&conf, h, true);
                let c = self.state.conferences.get_mut(&conf).expect("ensured");
                let mut f = Fields::default();
                set(
                    &mut c.locked,
                    Some(name == b"ConfbridgeLock"),
                    Field::Locked,
                    &mut f,
                );
                self.changed(|| Key::Conference(conf), f);
                Applied::Yes
            }
            b"DeviceStateChange" => self.device_state(h, true),
            b"ExtensionStatus" => self.extension_status(h, true),
            b"AgentLogin" | b"AgentLogoff" => {
                let Some(agent) = non_empty(h.agent) else {
                    return Applied::Malformed("no Agent");
                };
                let agent = text(agent).into_owned();
                let uid = self.upsert_channel(&plain, true);
                let seq = self.seq;
                let added = !self.state.agents.contains_key(&agent);
                let a = self
                    .state
                    .agents
                    .entry(agent.clone())
                    .or_insert_with(|| Agent {
                        id: agent.clone(),
                        ..Agent::default()
                    });
                a.meta.touched = seq;
                let mut f = Fields::default();
                let (status, channel) = if name == b"AgentLogin" {
                    ("AGENT_IDLE", uid.map(str::to_owned))
                } else {
                    ("AGENT_LOGGEDOFF", None)
                };
                set(
                    &mut a.status,
                    Some(status.to_owned()),
                    Field::Status,
                    &mut f,
                );
                set(&mut a.channel, Some(channel), Field::Channel, &mut f);
                if added {
                    self.push(Change::Added(Key::Agent(agent)));
                } else {
                    self.changed(|| Key::Agent(agent), f);
                }
                Applied::Yes
            }
            b"PeerStatus" | b"ContactStatus" => self.peer_status(name, h),
            _ => Applied::Ignored,
        }
    }

    /// An event about one channel: create or update it.
    fn channel_event(&mut self, s: &Snapshot<'_>) -> Applied {
        if non_empty(s.uniqueid).is_none() {
            return Applied::Malformed("no Uniqueid");
        }
        match self.upsert_channel(s, true) {
            Some(_) => Applied::Yes,
            None => {
                Applied::Unknown("channel not known (hung up, or the event lacks Channel/Linkedid)")
            }
        }
    }

    fn dial_event(
        &mut self,
        name: &[u8],
        msg: &Message,
        h: &Headers<'_>,
        plain: &Snapshot<'_>,
    ) -> Applied {
        let dest = Snapshot::prefixed(msg, b"Dest");
        let caller = if non_empty(plain.uniqueid).is_some() {
            self.upsert_channel(plain, true)
        } else {
            None
        };
        let Some(callee) = self.upsert_channel(&dest, true) else {
            return if non_empty(dest.uniqueid).is_none() {
                Applied::Malformed("no DestUniqueid")
            } else {
                Applied::Unknown("dialed channel not known")
            };
        };
        let status = non_empty(h.dial_status).map(|s| text(s).into_owned());
        let dial_string = text(h.dial_string.unwrap_or_default()).into_owned();
        let sides = [
            (caller, DialRole::Caller, Some(callee.to_owned())),
            (Some(callee), DialRole::Callee, caller.map(str::to_owned)),
        ];
        for (uid, role, peer) in sides {
            let Some(uid) = uid else { continue };
            let Some(ch) = self.state.channels.get_mut(uid) else {
                continue;
            };
            let found = ch
                .dials
                .iter()
                .position(|d| d.role == role && d.peer == peer);
            if name == b"DialBegin" {
                ch.dials.retain(|d| !d.ended);
                ch.dials.push(Dial {
                    role,
                    peer,
                    dial_string: dial_string.clone(),
                    status: None,
                    ended: false,
                });
            } else {
                let i = match found {
                    Some(i) => i,
                    None => {
                        ch.dials.push(Dial {
                            role,
                            peer,
                            dial_string: dial_string.clone(),
                            status: None,
                            ended: false,
                        });
                        ch.dials.len() - 1
                    }
                };
                let d = &mut ch.dials[i];
                d.status.clone_from(&status);
                d.ended = name == b"DialEnd";
            }
            let mut f = Fields::default();
            f.insert(Field::Dial);
            self.changed(|| Key::Channel(uid.to_owned()), f);
        }
        Applied::Yes
    }

    fn set_queue_calls(&mut self, queue: &str, count: Option<u64>) {
        let seq = self.seq;
        if let Some(q) = self.state.queues.get_mut(queue) {
            q.meta.touched = seq;
            let mut f = Fields::default();
            set(&mut q.calls, count, Field::Calls, &mut f);
            let key = queue.to_owned();
            self.changed(|| Key::Queue(key), f);
        }
    }

    /// A member answered a queue caller (`AgentConnect`) or finished the
    /// call (`AgentComplete`). Asterisk sends no `QueueMemberStatus` for
    /// either (22.10 does not), yet changes the member's `InCall` and
    /// `CallsTaken` and the queue's `Completed`, `Holdtime` and `TalkTime`:
    /// done here the way app_queue does it (a running average: three
    /// quarters of the old value, a quarter of the new).
    fn agent_event(&mut self, name: &[u8], h: &Headers<'_>) -> Applied {
        let (Some(queue), Some(iface)) = (non_empty(h.queue), non_empty(h.interface)) else {
            return Applied::Malformed("no Queue or Interface");
        };
        let (queue, iface) = (text(queue).into_owned(), text(iface).into_owned());
        let now = self.now;
        let seq = self.seq;
        let Some(q) = self.state.queues.get_mut(&queue) else {
            return Applied::Unknown("queue not known");
        };
        let average = |old: u64, new: u64| ((old << 2) - old + new) >> 2;
        let mut qf = Fields::default();
        let mut mf = Fields::default();
        let connect = name == b"AgentConnect";
        if connect {
            if let Some(hold) = uint(h.hold_time) {
                let v = average(q.holdtime, hold);
                set(&mut q.holdtime, Some(v), Field::Holdtime, &mut qf);
            }
        } else {
            q.completed += 1;
            qf.insert(Field::Completed);
            if let Some(talk) = uint(h.talk_time) {
                let v = average(q.talk_time, talk);
                set(&mut q.talk_time, Some(v), Field::TalkTime, &mut qf);
            }
        }
        q.meta.touched = seq;
        let known = match q.members.get_mut(&iface) {
            Some(m) => {
                set(&mut m.in_call, Some(connect), Field::InCall, &mut mf);
                if !connect {
                    m.calls_taken += 1;
                    mf.insert(Field::CallsTaken);
                    if let Some(now) = now.and_then(|n| u64::try_from(n).ok()) {
                        set(&mut m.last_call, Some(now), Field::LastCall, &mut mf);
                    }
                }
                m.meta.touched = seq;
                true
            }
            None => false,
        };
        let q2 = queue.clone();
        self.changed(|| Key::Queue(q2), qf);
        if !known {
            return Applied::Unknown("member not in that queue");
        }
        self.changed(|| Key::Member(queue, iface), mf);
        Applied::Yes
    }

    fn caller_join(&mut self, h: &Headers<'_>, plain: &Snapshot<'_>) -> Applied {
        let (Some(queue), Some(_)) = (non_empty(h.queue), non_empty(h.uniqueid)) else {
            return Applied::Malformed("no Queue or Uniqueid");
        };
        let queue = text(queue).into_owned();
        let Some(uid) = self.upsert_channel(plain, true).map(str::to_owned) else {
            return Applied::Unknown("channel not known");
        };
        self.ensure_queue(&queue);
        let now = self.now;
        let seq = self.seq;
        let q = self.state.queues.get_mut(&queue).expect("ensured");
        if let Some(i) = q.callers.iter().position(|c| c.uniqueid == uid) {
            q.callers.remove(i);
        }
        let at = uint(h.position)
            .and_then(|p| usize::try_from(p).ok())
            .map_or(q.callers.len(), |p| {
                p.saturating_sub(1).min(q.callers.len())
            });
        let channel = self.state.channels[&uid].name.clone();
        q.callers.insert(
            at,
            QueueCaller {
                uniqueid: uid.clone(),
                channel,
                position: 0,
                since: now,
                abandoned: false,
                meta: Meta::touched_at(seq),
            },
        );
        let mut moved = Self::renumber(q);
        moved.retain(|m| *m != uid);
        self.push(Change::Added(Key::Caller(queue.clone(), uid)));
        self.note_moved(&queue, moved);
        self.set_queue_calls(&queue, uint(h.count));
        Applied::Yes
    }

    fn parked_call(&mut self, msg: &Message, h: &Headers<'_>, touch: bool) -> Applied {
        let parkee = Snapshot::prefixed(msg, b"Parkee");
        let Some(uid) = non_empty(parkee.uniqueid) else {
            return Applied::Malformed("no ParkeeUniqueid");
        };
        let uid = text(uid).into_owned();
        if touch {
            self.upsert_channel(&parkee, true);
        }
        if self.hung_up.contains(&uid) {
            return Applied::Unknown("parkee hung up");
        }
        let now = self.now;
        let seq = self.seq;
        let added = !self.state.parked.contains_key(&uid);
        let p = self
            .state
            .parked
            .entry(uid.clone())
            .or_insert_with(|| ParkedCall {
                uniqueid: uid.clone(),
                ..ParkedCall::default()
            });
        let mut f = Fields::default();
        set_text(&mut p.channel, parkee.channel, Field::Channel, &mut f);
        set_text(&mut p.lot, h.parkinglot, Field::Lot, &mut f);
        set_text(&mut p.space, h.parking_space, Field::Space, &mut f);
        set_text(
            &mut p.parker_dial_string,
            h.parker_dial_string,
            Field::Parker,
            &mut f,
        );
        // What is left plus what passed: the whole time allowed, the same
        // in the event (just parked) and in any later list.
        let total = uint(h.parking_timeout).map(|t| t + uint(h.parking_duration).unwrap_or(0));
        set(&mut p.timeout, total, Field::Timeout, &mut f);
        if added {
            p.since = match (now, int(h.parking_duration)) {
                (Some(now), Some(d)) => Some(now - d),
                (now, _) => now,
            };
        }
        if touch {
            p.meta.touched = seq;
        }
        if added {
            self.push(Change::Added(Key::Parked(uid)));
        } else {
            self.changed(|| Key::Parked(uid), f);
        }
        Applied::Yes
    }

    fn ensure_conference(&mut self, conf: &str, h: &Headers<'_>, touch: bool) {
        let seq = self.seq;
        let bridge = non_empty(h.bridge_uniqueid).map(|b| text(b).into_owned());
        let added = !self.state.conferences.contains_key(conf);
        let c = self
            .state
            .conferences
            .entry(conf.to_owned())
            .or_insert_with(|| Conference {
                name: conf.to_owned(),
                ..Conference::default()
            });
        let mut f = Fields::default();
        if bridge.is_some() {
            set(&mut c.bridge, Some(bridge), Field::Bridge, &mut f);
        }
        if touch {
            c.meta.touched = seq;
        }
        if added {
            self.push(Change::Added(Key::Conference(conf.to_owned())));
        } else {
            self.changed(|| Key::Conference(conf.to_owned()), f);
        }
    }

    fn participant_event(&mut self, name: &[u8], h: &Headers<'_>, plain: &Snapshot<'_>) -> Applied {
        let (Some(conf), Some(uid)) = (non_empty(h.conference), non_empty(h.uniqueid)) else {
            return Applied::Malformed("no Conference or Uniqueid");
        };
        let (conf, uid) = (text(conf).into_owned(), text(uid).into_owned());
        let known = self.upsert_channel(plain, true).is_some();
        if name == b"ConfbridgeLeave" {
            let Some(p) = self
                .state
                .conferences
                .get_mut(&conf)
                .and_then(|c| c.participants.remove(&uid))
            else {
                return Applied::Unknown("participant not in that conference");
            };
            self.tombstone(|| Key::Participant(conf.clone(), uid));
            self.push(Change::Removed(Box::new(Removed::Participant(conf, p))));
            return Applied::Yes;
        }
        if !known {
            return Applied::Unknown("channel not known");
        }
        self.ensure_conference(&conf, h, true);
        let seq = self.seq;
        let channel = self.state.channels[&uid].name.clone();
        let c = self.state.conferences.get_mut(&conf).expect("ensured");
        let added = !c.participants.contains_key(&uid);
        // A mute or talking event of someone the model never saw join adds
        // them all the same: they are there.
        let p = c
            .participants
            .entry(uid.clone())
            .or_insert_with(|| Participant {
                uniqueid: uid.clone(),
                ..Participant::default()
            });
        let mut f = Fields::default();
        set(&mut p.channel, Some(channel), Field::Channel, &mut f);
        set(&mut p.admin, boolean(h.admin), Field::Admin, &mut f);
        match name {
            b"ConfbridgeJoin" => set(&mut p.muted, boolean(h.muted), Field::Muted, &mut f),
            b"ConfbridgeMute" => set(&mut p.muted, Some(true), Field::Muted, &mut f),
            b"ConfbridgeUnmute" => set(&mut p.muted, Some(false), Field::Muted, &mut f),
            _ => set(
                &mut p.talking,
                h.talking_status.map(|t| t.eq_ignore_ascii_case(b"on")),
                Field::Talking,
                &mut f,
            ),
        }
        p.meta.touched = seq;
        let key = || Key::Participant(conf, uid);
        if added {
            self.push(Change::Added(key()));
        } else {
            self.changed(key, f);
        }
        Applied::Yes
    }

    fn device_state(&mut self, h: &Headers<'_>, touch: bool) -> Applied {
        let (Some(device), Some(state)) = (non_empty(h.device), h.state) else {
            return Applied::Malformed("no Device or State");
        };
        let seq = self.seq;
        let device =
            std::str::from_utf8(device).map_or_else(|_| text(device).into_owned(), str::to_owned);
        let state = DeviceState::from_name(state);
        match self.state.devices.get_mut(&device) {
            Some(d) => {
                if touch {
                    d.meta.touched = seq;
                }
                if d.state != state {
                    d.state = state;
                    let mut f = Fields::default();
                    f.insert(Field::State);
                    self.changed(|| Key::Device(device), f);
                }
            }
            None => {
                self.state.devices.insert(
                    device.clone(),
                    Device {
                        name: device.clone(),
                        state,
                        meta: Meta::touched_at(if touch { seq } else { 0 }),
                    },
                );
                self.push(Change::Added(Key::Device(device)));
            }
        }
        Applied::Yes
    }

    fn extension_status(&mut self, h: &Headers<'_>, touch: bool) -> Applied {
        let (Some(exten), Some(context)) = (non_empty(h.exten), h.context) else {
            return Applied::Malformed("no Exten or Context");
        };
        let Some(status) = int(h.status) else {
            return Applied::Malformed("no Status");
        };
        let key = (text(exten).into_owned(), text(context).into_owned());
        if status == -2 {
            // The hint was removed.
            return match self.state.hints.remove(&key) {
                Some(hint) => {
                    self.tombstone(|| Key::Hint(key.0, key.1));
                    self.push(Change::Removed(Box::new(Removed::Hint(hint))));
                    Applied::Yes
                }
                None => Applied::Unknown("hint not known"),
            };
        }
        let seq = self.seq;
        let added = !self.state.hints.contains_key(&key);
        let hint = self.state.hints.entry(key.clone()).or_insert_with(|| Hint {
            exten: key.0.clone(),
            context: key.1.clone(),
            ..Hint::default()
        });
        let mut f = Fields::default();
        set_text(&mut hint.hint, h.hint, Field::Hint, &mut f);
        set(&mut hint.status, Some(status), Field::Status, &mut f);
        set_text(&mut hint.status_text, h.status_text, Field::Status, &mut f);
        if touch {
            hint.meta.touched = seq;
        }
        let k = || Key::Hint(key.0, key.1);
        if added {
            self.push(Change::Added(k()));
        } else {
            self.changed(k, f);
        }
        Applied::Yes
    }

    fn peer_status(&mut self, name: &[u8], h: &Headers<'_>) -> Applied {
        let (peer, kind, status, address) = if name == b"PeerStatus" {
            (
                h.peer,
                h.channel_type.or(h.channeltype),
                h.peer_status,
                h.address,
            )
        } else {
            (h.uri, h.endpoint_name, h.contact_status, h.aor)
        };
        let Some(peer) = non_empty(peer) else {
            return Applied::Malformed("no Peer or URI");
        };
        let peer = text(peer).into_owned();
        if name == b"ContactStatus" && status.is_some_and(|s| s == b"Removed") {
            return match self.state.peers.remove(&peer) {
                Some(p) => {
                    self.push(Change::Removed(Box::new(Removed::Peer(p))));
                    Applied::Yes
                }
                None => Applied::Unknown("contact not known"),
            };
        }
        let added = !self.state.peers.contains_key(&peer);
        let p = self
            .state
            .peers
            .entry(peer.clone())
            .or_insert_with(|| Peer {
                name: peer.clone(),
                ..Peer::default()
            });
        let mut f = Fields::default();
        set_text(&mut p.channel_type, kind, Field::Type, &mut f);
        set_text(&mut p.status, status, Field::Status, &mut f);
        set_text(&mut p.address, address, Field::Address, &mut f);
        if added {
            self.push(Change::Added(Key::Peer(peer)));
        } else {
            self.changed(|| Key::Peer(peer), f);
        }
        Applied::Yes
    }

    // ---- sync ------------------------------------------------------------

    /// Starts syncing every part: returns the list actions to send, in
    /// order. Call it after login (the model may already hold what events
    /// told it), and again after a reconnect (after
    /// [`disconnected`](Self::disconnected)). Objects no list mentions and
    /// no event touched since are removed when their part's answer comes;
    /// events that arrive meanwhile are applied as usual and win over list
    /// entries older than them.
    pub fn start_sync(&mut self) -> Vec<SyncRequest> {
        Part::ALL.iter().map(|&p| self.start_part(p)).collect()
    }

    /// Starts syncing one part (after [`sync_failed`](Self::sync_failed),
    /// say): returns the action to send.
    pub fn start_part(&mut self, part: Part) -> SyncRequest {
        let s = &mut self.sync[part as usize];
        s.generation += 1;
        s.pending = 1;
        let generation = s.generation;
        self.state.parts[part as usize] = PartStatus::Syncing;
        SyncRequest {
            part,
            action: Action::new(part.action_name()),
            target: Target::List,
            generation,
            seq: self.seq,
        }
    }

    /// The connection dropped: every part becomes
    /// [`Stale`](PartStatus::Stale) (its objects stay, as last known, until
    /// the next [`start_sync`](Self::start_sync) confirms or removes them)
    /// and answers still awaited are forgotten.
    pub fn disconnected(&mut self) {
        for (i, s) in self.sync.iter_mut().enumerate() {
            s.generation += 1;
            s.pending = 0;
            self.state.parts[i] = PartStatus::Stale;
        }
        self.tombstones.clear();
        // Counters are counted on from events: after missing some, the next
        // list's are better than the model's.
        for q in self.state.queues.values_mut() {
            q.meta.missed = true;
        }
        // No list says whether a channel is on hold: what the model knew
        // may have changed while it could not see.
        let mut unknown = Vec::new();
        for ch in self.state.channels.values_mut() {
            if ch.on_hold.take().is_some() {
                unknown.push(ch.uniqueid.clone());
            }
        }
        for uid in unknown {
            let mut f = Fields::default();
            f.insert(Field::Hold);
            self.changed(|| Key::Channel(uid), f);
        }
    }

    /// A request could not be answered (the connection dropped, it timed
    /// out): the part stays as it is, [`Unsynced`](PartStatus::Unsynced)
    /// or [`Stale`](PartStatus::Stale), for a later
    /// [`start_part`](Self::start_part).
    pub fn sync_failed(&mut self, request: &SyncRequest) {
        let s = &mut self.sync[request.part as usize];
        if s.generation != request.generation {
            return;
        }
        s.pending = 0;
        s.generation += 1;
        self.state.parts[request.part as usize] = PartStatus::Stale;
        self.end_sync_if_idle();
    }

    fn end_sync_if_idle(&mut self) {
        if !self.syncing() {
            self.tombstones.clear();
        }
    }

    /// Hands the model the answer to one of its requests. Returns the
    /// requests it needs next (the participants of each conference listed).
    /// An error answer marks the part [`Unavailable`](PartStatus::Unavailable),
    /// except the ones that mean an empty list (`No active conferences.`).
    pub fn sync_response(
        &mut self,
        request: &SyncRequest,
        response: &Response,
    ) -> Vec<SyncRequest> {
        let part = request.part;
        if self.sync[part as usize].generation != request.generation {
            return Vec::new(); // an answer from before a reconnect
        }
        let mut next = Vec::new();
        if response.is_error() {
            let message = response
                .text()
                .map(|t| t.to_str_lossy().into_owned())
                .unwrap_or_default();
            let empty = message.starts_with("No active conferences")
                || message.starts_with("No Conference by that name");
            if let Target::BridgeInfo(id) = &request.target {
                // Gone before it could be asked about.
                let gone = self
                    .state
                    .bridges
                    .get(id)
                    .is_some_and(|b| b.meta.touched <= request.seq && b.bridge_type.is_empty());
                if gone {
                    self.remove_bridge(id);
                }
                self.finish(request);
                return next;
            }
            if !empty {
                if request.target == Target::List {
                    self.state.parts[part as usize] = PartStatus::Unavailable(message.clone());
                    self.push(Change::Unavailable(part, message));
                }
                self.finish(request);
                return next;
            }
        }
        self.stats.listed += response.events().len() as u64;
        let generation = request.generation;
        let req_seq = request.seq;
        match (&request.target, part) {
            (Target::Participants(conf), _) => self.list_participants(conf, response, request),
            (Target::BridgeInfo(id), _) => self.bridge_info(id, response, request),
            (Target::List, Part::Bridges) => {
                for e in response.events() {
                    let h = Headers::read(e);
                    if h.event != Some(b"BridgeListItem") {
                        continue;
                    }
                    let Some(id) = non_empty(h.bridge_uniqueid) else {
                        continue;
                    };
                    let key = text(id).into_owned();
                    if self.stale(&Key::Bridge(key.clone()), req_seq) {
                        continue;
                    }
                    let fresh = listable(self.state.bridges.get(&key), req_seq);
                    if fresh {
                        self.upsert_bridge(&h, false);
                    }
                    if let Some(b) = self.state.bridges.get_mut(&key) {
                        b.meta.confirmed = generation;
                    }
                }
                let gone = unlisted(&self.state.bridges, generation, req_seq);
                for id in gone {
                    self.remove_bridge(&id);
                }
            }
            (Target::List, Part::Channels) => {
                self.list_channels(response, request);
                // Bridges a channel is in that no bridge list or event
                // described: ask about each.
                for id in std::mem::take(&mut self.placeholders) {
                    if self
                        .state
                        .bridges
                        .get(&id)
                        .is_none_or(|b| !b.bridge_type.is_empty())
                    {
                        continue;
                    }
                    let s = &mut self.sync[Part::Bridges as usize];
                    s.pending += 1;
                    let generation = s.generation;
                    self.state.parts[Part::Bridges as usize] = PartStatus::Syncing;
                    next.push(SyncRequest {
                        part: Part::Bridges,
                        action: Action::new("BridgeInfo").header("BridgeUniqueid", &id),
                        target: Target::BridgeInfo(id),
                        generation,
                        seq: self.seq,
                    });
                }
            }
            (Target::List, Part::Queues) => self.list_queues(response, request),
            (Target::List, Part::Parking) => {
                for e in response.events() {
                    let h = Headers::read(e);
                    if h.event != Some(b"ParkedCall") {
                        continue;
                    }
                    let Some(uid) = non_empty(h.parkee_uniqueid) else {
                        continue;
                    };
                    let uid = text(uid).into_owned();
                    if self.stale(&Key::Parked(uid.clone()), req_seq) {
                        continue;
                    }
                    let fresh = listable(self.state.parked.get(&uid), req_seq);
                    if fresh {
                        self.parked_call(e, &h, false);
                    }
                    if let Some(p) = self.state.parked.get_mut(&uid) {
                        p.meta.confirmed = generation;
                    }
                }
                let gone = unlisted(&self.state.parked, generation, req_seq);
                for uid in gone {
                    if let Some(p) = self.state.parked.remove(&uid) {
                        self.push(Change::Removed(Box::new(Removed::Parked(
                            p,
                            Unparked::Vanished,
                        ))));
                    }
                }
            }
            (Target::List, Part::Conferences) => {
                let mut listed = Vec::new();
                for e in response.events() {
                    let h = Headers::read(e);
                    if h.event != Some(b"ConfbridgeListRooms") {
                        continue;
                    }
                    let Some(conf) = non_empty(h.conference) else {
                        continue;
                    };
                    let conf = text(conf).into_owned();
                    if self.stale(&Key::Conference(conf.clone()), req_seq) {
                        continue;
                    }
                    let fresh = listable(self.state.conferences.get(&conf), req_seq);
                    self.ensure_conference(&conf, &h, false);
                    let c = self.state.conferences.get_mut(&conf).expect("ensured");
                    if fresh {
                        let mut f = Fields::default();
                        set(&mut c.locked, boolean(h.locked), Field::Locked, &mut f);
                        self.changed(|| Key::Conference(conf.clone()), f);
                    }
                    if let Some(c) = self.state.conferences.get_mut(&conf) {
                        c.meta.confirmed = generation;
                    }
                    listed.push(conf);
                }
                let gone = unlisted(&self.state.conferences, generation, req_seq);
                for conf in gone {
                    if let Some(c) = self.state.conferences.remove(&conf) {
                        self.push(Change::Removed(Box::new(Removed::Conference(c))));
                    }
                }
                for conf in listed {
                    self.sync[part as usize].pending += 1;
                    next.push(SyncRequest {
                        part,
                        action: Action::new("ConfbridgeList").header("Conference", &conf),
                        target: Target::Participants(conf),
                        generation,
                        seq: self.seq,
                    });
                }
            }
            (Target::List, Part::Devices) => {
                for e in response.events() {
                    let h = Headers::read(e);
                    if h.event != Some(b"DeviceStateChange") {
                        continue;
                    }
                    let Some(dev) = non_empty(h.device) else {
                        continue;
                    };
                    let dev = text(dev).into_owned();
                    if listable(self.state.devices.get(&dev), req_seq) {
                        self.device_state(&h, false);
                    }
                    if let Some(d) = self.state.devices.get_mut(&dev) {
                        d.meta.confirmed = generation;
                    }
                }
                let gone: Vec<String> = self
                    .state
                    .devices
                    .values()
                    // Asterisk lists only the cachable device states: a
                    // device never listed (Local/…, whose states are not
                    // cachable) is kept as its events say.
                    .filter(|d| d.meta.confirmed != 0 && d.meta.unlisted(generation, req_seq))
                    .map(|d| d.name.clone())
                    .collect();
                for dev in gone {
                    if let Some(d) = self.state.devices.remove(&dev) {
                        self.push(Change::Removed(Box::new(Removed::Device(d))));
                    }
                }
            }
            (Target::List, Part::Hints) => {
                for e in response.events() {
                    let h = Headers::read(e);
                    if h.event != Some(b"ExtensionStatus") {
                        continue;
                    }
                    let (Some(exten), Some(context)) = (non_empty(h.exten), h.context) else {
                        continue;
                    };
                    let key = (text(exten).into_owned(), text(context).into_owned());
                    if self.stale(&Key::Hint(key.0.clone(), key.1.clone()), req_seq) {
                        continue;
                    }
                    if listable(self.state.hints.get(&key), req_seq) {
                        self.extension_status(&h, false);
                    }
                    if let Some(x) = self.state.hints.get_mut(&key) {
                        x.meta.confirmed = generation;
                    }
                }
                let gone = unlisted(&self.state.hints, generation, req_seq);
                for key in gone {
                    if let Some(x) = self.state.hints.remove(&key) {
                        self.push(Change::Removed(Box::new(Removed::Hint(x))));
                    }
                }
            }
            (Target::List, Part::Agents) => {
                for e in response.events() {
                    let h = Headers::read(e);
                    if h.event != Some(b"Agents") {
                        continue;
                    }
                    let Some(agent) = non_empty(h.agent) else {
                        continue;
                    };
                    let agent = text(agent).into_owned();
                    let fresh = listable(self.state.agents.get(&agent), req_seq);
                    let added = !self.state.agents.contains_key(&agent);
                    let uid = non_empty(h.uniqueid).map(|u| text(u).into_owned());
                    let a = self
                        .state
                        .agents
                        .entry(agent.clone())
                        .or_insert_with(|| Agent {
                            id: agent.clone(),
                            ..Agent::default()
                        });
                    let mut f = Fields::default();
                    if fresh {
                        set_text(&mut a.name, h.name, Field::Name, &mut f);
                        set_text(&mut a.status, h.status, Field::Status, &mut f);
                        set(&mut a.channel, Some(uid), Field::Channel, &mut f);
                    }
                    a.meta.confirmed = generation;
                    if added {
                        self.push(Change::Added(Key::Agent(agent)));
                    } else {
                        self.changed(|| Key::Agent(agent), f);
                    }
                }
                let gone = unlisted(&self.state.agents, generation, req_seq);
                for id in gone {
                    if let Some(a) = self.state.agents.remove(&id) {
                        self.push(Change::Removed(Box::new(Removed::Agent(a))));
                    }
                }
            }
        }
        self.finish(request);
        next
    }

    /// Whether an event removed the object after the request was sent: its
    /// list entry is older than the removal.
    fn stale(&self, key: &Key, req_seq: u64) -> bool {
        self.tombstones.get(key).is_some_and(|&at| at > req_seq)
    }

    fn finish(&mut self, request: &SyncRequest) {
        let part = request.part;
        let s = &mut self.sync[part as usize];
        s.pending = s.pending.saturating_sub(1);
        if s.pending == 0 {
            if !matches!(self.state.parts[part as usize], PartStatus::Unavailable(_)) {
                self.state.parts[part as usize] = PartStatus::Synced;
                self.push(Change::Synced(part));
            }
            self.end_sync_if_idle();
        }
    }

    fn list_channels(&mut self, response: &Response, request: &SyncRequest) {
        let (generation, req_seq) = (request.generation, request.seq);
        let now = self.now;
        for e in response.events() {
            let h = Headers::read(e);
            if h.event != Some(b"CoreShowChannel") {
                continue;
            }
            let Some(uid) = non_empty(h.uniqueid) else {
                continue;
            };
            let uid = text(uid).into_owned();
            if self.stale(&Key::Channel(uid.clone()), req_seq) {
                continue;
            }
            // Each group of fields is taken from the list unless an event
            // changed it after the request (the event is newer): the
            // snapshot (every channel event carries it), the application
            // (Newexten), the bridge (BridgeEnter/Leave).
            let (fresh, app_fresh, bridge_fresh) = match self.state.channels.get(&uid) {
                None => (true, true, true),
                Some(c) => (
                    c.meta.touched <= req_seq,
                    c.meta.app <= req_seq,
                    c.meta.bridge <= req_seq,
                ),
            };
            if fresh {
                // A list entry re-creates what a Hangup event removed only if
                // that Hangup came after the request (the tombstone above).
                self.hung_up.remove(&uid);
                if self.upsert_channel(&Snapshot::plain(&h), false).is_none() {
                    continue;
                }
            }
            let Some(ch) = self.state.channels.get_mut(&uid) else {
                continue;
            };
            let mut f = Fields::default();
            if app_fresh {
                set_text(
                    &mut ch.application,
                    h.application,
                    Field::Application,
                    &mut f,
                );
                set_text(
                    &mut ch.application_data,
                    h.application_data,
                    Field::Application,
                    &mut f,
                );
            }
            if ch.created.is_none()
                && let (Some(now), Some(d)) = (now, hms(h.duration))
            {
                ch.created = Some(now - d);
                f.insert(Field::Created);
            }
            ch.meta.confirmed = generation;
            let key = uid.clone();
            self.changed(|| Key::Channel(key), f);
            if bridge_fresh {
                let bridge = non_empty(h.bridge_id).map(|b| text(b).into_owned());
                self.set_channel_bridge(&uid, bridge.as_deref(), false);
            }
        }
        let gone = unlisted(&self.state.channels, generation, req_seq);
        for uid in gone {
            self.remove_channel(&uid, None);
        }
    }

    fn list_queues(&mut self, response: &Response, request: &SyncRequest) {
        let (generation, req_seq) = (request.generation, request.seq);
        let now = self.now;
        let mut listed_queues: HashSet<String> = HashSet::new();
        // The callers each queue's list names, in its order.
        let mut order: HashMap<String, Vec<String>> = HashMap::new();
        for e in response.events() {
            let h = Headers::read(e);
            let Some(queue) = non_empty(h.queue) else {
                continue;
            };
            let queue = text(queue).into_owned();
            match h.event {
                Some(b"QueueParams") => {
                    if self.stale(&Key::Queue(queue.clone()), req_seq) {
                        continue;
                    }
                    let fresh = listable(self.state.queues.get(&queue), req_seq);
                    self.ensure_queue(&queue);
                    let q = self.state.queues.get_mut(&queue).expect("ensured");
                    let mut f = Fields::default();
                    q.meta.confirmed = generation;
                    listed_queues.insert(queue.clone());
                    set_text(&mut q.strategy, h.strategy, Field::Strategy, &mut f);
                    if !fresh && !q.meta.missed {
                        // Its counters moved with events after the request:
                        // they are newer than the list's. (After missed
                        // events the list's are the better guess.)
                        self.changed(|| Key::Queue(queue), f);
                        continue;
                    }
                    q.meta.missed = false;
                    set(&mut q.max, uint(h.max), Field::Max, &mut f);
                    set(&mut q.calls, uint(h.calls), Field::Calls, &mut f);
                    set(&mut q.holdtime, uint(h.holdtime), Field::Holdtime, &mut f);
                    set(&mut q.talk_time, uint(h.talk_time), Field::TalkTime, &mut f);
                    set(
                        &mut q.completed,
                        uint(h.completed),
                        Field::Completed,
                        &mut f,
                    );
                    set(
                        &mut q.abandoned,
                        uint(h.abandoned),
                        Field::Abandoned,
                        &mut f,
                    );
                    set(
                        &mut q.service_level,
                        uint(h.service_level),
                        Field::ServiceLevel,
                        &mut f,
                    );
                    set_text(
                        &mut q.service_level_perf,
                        h.service_level_perf,
                        Field::ServiceLevel,
                        &mut f,
                    );
                    set(&mut q.weight, uint(h.weight), Field::Weight, &mut f);
                    q.meta.confirmed = generation;
                    listed_queues.insert(queue.clone());
                    self.changed(|| Key::Queue(queue), f);
                }
                Some(b"QueueMember") => {
                    let Some(iface) = non_empty(h.location.or(h.interface)) else {
                        continue;
                    };
                    let iface = text(iface).into_owned();
                    let key = Key::Member(queue.clone(), iface.clone());
                    if self.stale(&key, req_seq) {
                        continue;
                    }
                    let member = self
                        .state
                        .queues
                        .get(&queue)
                        .and_then(|q| q.members.get(&iface));
                    let fresh = listable(member, req_seq);
                    if fresh {
                        self.upsert_member(&queue, &h, true, false);
                    }
                    if let Some(m) = self
                        .state
                        .queues
                        .get_mut(&queue)
                        .and_then(|q| q.members.get_mut(&iface))
                    {
                        m.meta.confirmed = generation;
                    }
                }
                Some(b"QueueEntry") => {
                    let Some(uid) = non_empty(h.uniqueid) else {
                        continue;
                    };
                    let uid = text(uid).into_owned();
                    if self.stale(&Key::Caller(queue.clone(), uid.clone()), req_seq)
                        || self.stale(&Key::Channel(uid.clone()), req_seq)
                    {
                        continue;
                    }
                    self.ensure_queue(&queue);
                    let channel = text(h.channel.unwrap_or_default()).into_owned();
                    let since = match (now, int(h.wait)) {
                        (Some(now), Some(w)) => Some(now - w),
                        (now, _) => now,
                    };
                    let q = self.state.queues.get_mut(&queue).expect("ensured");
                    match q.callers.iter_mut().find(|c| c.uniqueid == uid) {
                        Some(c) => c.meta.confirmed = generation,
                        None => {
                            // Put in place below, with the list's order.
                            q.callers.push(QueueCaller {
                                uniqueid: uid.clone(),
                                channel,
                                position: 0,
                                since,
                                abandoned: false,
                                meta: Meta::listed(generation),
                            });
                            self.push(Change::Added(Key::Caller(queue.clone(), uid.clone())));
                        }
                    }
                    order.entry(queue).or_default().push(uid);
                }
                _ => {}
            }
        }
        // Sweep: queues not listed; members and callers not listed in the
        // queues that were.
        let gone = unlisted(&self.state.queues, generation, req_seq);
        for name in gone {
            if let Some(q) = self.state.queues.remove(&name) {
                self.push(Change::Removed(Box::new(Removed::Queue(q))));
            }
        }
        for name in listed_queues {
            let Some(q) = self.state.queues.get_mut(&name) else {
                continue;
            };
            let members = unlisted(&q.members, generation, req_seq);
            let callers: Vec<String> = q
                .callers
                .iter()
                .filter(|c| c.meta.unlisted(generation, req_seq))
                .map(|c| c.uniqueid.clone())
                .collect();
            for iface in members {
                if let Some(m) = self
                    .state
                    .queues
                    .get_mut(&name)
                    .and_then(|q| q.members.remove(&iface))
                {
                    self.push(Change::Removed(Box::new(Removed::Member(name.clone(), m))));
                }
            }
            for uid in callers {
                self.remove_caller(&name, &uid);
            }
            // The listed callers in the list's order (a position in a list
            // counts callers that may have left since); after them, those
            // that joined after the list was made.
            let Some(listed) = order.remove(&name) else {
                continue;
            };
            let Some(q) = self.state.queues.get_mut(&name) else {
                continue;
            };
            let mut rest = std::mem::take(&mut q.callers);
            for uid in &listed {
                if let Some(i) = rest.iter().position(|c| c.uniqueid == *uid) {
                    q.callers.push(rest.remove(i));
                }
            }
            q.callers.extend(rest);
            let moved = Self::renumber(q);
            self.note_moved(&name, moved);
        }
    }

    /// A `BridgeInfo` answer: the bridge's fields (in its completing
    /// event) and its channels.
    fn bridge_info(&mut self, id: &str, response: &Response, request: &SyncRequest) {
        let req_seq = request.seq;
        let fresh = self
            .state
            .bridges
            .get(id)
            .is_none_or(|b| b.meta.touched <= req_seq || b.bridge_type.is_empty());
        if let Some(done) = response.completion()
            && fresh
            && !self.stale(&Key::Bridge(id.to_owned()), req_seq)
        {
            let h = Headers::read(done);
            if h.bridge_uniqueid == Some(id.as_bytes()) {
                self.upsert_bridge(&h, false);
            }
        }
        if !self.state.bridges.contains_key(id) {
            return;
        }
        for e in response.events() {
            let h = Headers::read(e);
            let Some(uid) = non_empty(h.uniqueid).and_then(|u| std::str::from_utf8(u).ok()) else {
                continue;
            };
            let fresh = self
                .state
                .channels
                .get(uid)
                .is_some_and(|c| c.meta.bridge <= req_seq);
            if fresh {
                self.set_channel_bridge(uid, Some(id), false);
            }
        }
    }

    fn list_participants(&mut self, conf: &str, response: &Response, request: &SyncRequest) {
        let (generation, req_seq) = (request.generation, request.seq);
        if !self.state.conferences.contains_key(conf) {
            return;
        }
        for e in response.events() {
            let h = Headers::read(e);
            if h.event != Some(b"ConfbridgeList") {
                continue;
            }
            let Some(uid) = non_empty(h.uniqueid) else {
                continue;
            };
            let uid = text(uid).into_owned();
            if self.stale(&Key::Participant(conf.to_owned(), uid.clone()), req_seq)
                || self.stale(&Key::Channel(uid.clone()), req_seq)
            {
                continue;
            }
            let Some(c) = self.state.conferences.get_mut(conf) else {
                return;
            };
            let fresh = listable(c.participants.get(&uid), req_seq);
            let added = !c.participants.contains_key(&uid);
            let p = c
                .participants
                .entry(uid.clone())
                .or_insert_with(|| Participant {
                    uniqueid: uid.clone(),
                    ..Participant::default()
                });
            let mut f = Fields::default();
            if fresh || p.marked.is_none() {
                // No event says who is marked: the list always may.
                let marked = boolean(h.marked_user).map(Some);
                set(&mut p.marked, marked, Field::Marked, &mut f);
            }
            if fresh {
                set_text(&mut p.channel, h.channel, Field::Channel, &mut f);
                set(&mut p.admin, boolean(h.admin), Field::Admin, &mut f);
                set(&mut p.muted, boolean(h.muted), Field::Muted, &mut f);
                set(&mut p.talking, boolean(h.talking), Field::Talking, &mut f);
                set(&mut p.waiting, boolean(h.waiting), Field::Waiting, &mut f);
            }
            p.meta.confirmed = generation;
            let key = || Key::Participant(conf.to_owned(), uid);
            if added {
                self.push(Change::Added(key()));
            } else {
                self.changed(key, f);
            }
        }
        let Some(c) = self.state.conferences.get_mut(conf) else {
            return;
        };
        let gone = unlisted(&c.participants, generation, req_seq);
        for uid in gone {
            if let Some(p) = c.participants.remove(&uid)
                && self.record
            {
                self.changes
                    .push_back(Change::Removed(Box::new(Removed::Participant(
                        conf.to_owned(),
                        p,
                    ))));
            }
        }
    }
}

/// The events [`Live::apply`] reads; the others are counted as ignored
/// without a look at their headers (much of a stream: `VarSet`, `Cdr`,
/// `LocalBridge`, …). A server-side `Filter` can let only these through.
///
/// ```
/// assert!(ami_live::EVENTS.contains(&"Newchannel"));
/// assert!(!ami_live::EVENTS.contains(&"VarSet"));
/// ```
pub const EVENTS: &[&str] = &[
    "Newchannel",
    "Newstate",
    "NewCallerid",
    "NewConnectedLine",
    "NewAccountCode",
    "HangupRequest",
    "SoftHangupRequest",
    "ChannelTalkingStart",
    "ChannelTalkingStop",
    "MusicOnHoldStart",
    "MusicOnHoldStop",
    "Newexten",
    "Hold",
    "Unhold",
    "Hangup",
    "DialBegin",
    "DialState",
    "DialEnd",
    "BridgeCreate",
    "BridgeDestroy",
    "BridgeEnter",
    "BridgeLeave",
    "BridgeMerge",
    "QueueCallerJoin",
    "QueueCallerLeave",
    "QueueCallerAbandon",
    "QueueMemberAdded",
    "QueueMemberPause",
    "QueueMemberPenalty",
    "QueueMemberRinginuse",
    "QueueMemberStatus",
    "QueueMemberPaused",
    "QueueMemberRemoved",
    "AgentConnect",
    "AgentComplete",
    "ParkedCall",
    "ParkedCallTimeOut",
    "ParkedCallGiveUp",
    "UnParkedCall",
    "ParkedCallSwap",
    "ConfbridgeStart",
    "ConfbridgeEnd",
    "ConfbridgeJoin",
    "ConfbridgeLeave",
    "ConfbridgeMute",
    "ConfbridgeUnmute",
    "ConfbridgeTalking",
    "ConfbridgeLock",
    "ConfbridgeUnlock",
    "DeviceStateChange",
    "ExtensionStatus",
    "AgentLogin",
    "AgentLogoff",
    "PeerStatus",
    "ContactStatus",
];

/// Whether [`Live::apply`] reads events of this name.
fn handled(name: &[u8]) -> bool {
    EVENTS.iter().any(|h| h.as_bytes() == name)
}

/// What [`Live::apply`] did with an event.
enum Applied {
    Yes,
    Ignored,
    Unknown(&'static str),
    Malformed(&'static str),
}
