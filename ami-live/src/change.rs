//! What the model reports as it changes: [`Change`]s in event order.

use std::fmt;

use crate::objects::{
    Agent, Bridge, Call, Channel, Conference, Device, Hint, ParkedCall, Participant, Peer, Queue,
    QueueCaller, QueueMember, Unparked,
};
use crate::sync::Part;

/// Which object a change is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// A channel, by uniqueid.
    Channel(String),
    /// A call, by linkedid.
    Call(String),
    /// A bridge, by id.
    Bridge(String),
    /// A queue, by name.
    Queue(String),
    /// A queue member: queue and interface.
    Member(String, String),
    /// A queue caller: queue and uniqueid.
    Caller(String, String),
    /// A parked call, by the parkee's uniqueid.
    Parked(String),
    /// A conference, by name.
    Conference(String),
    /// A participant: conference and uniqueid.
    Participant(String, String),
    /// A device, by name.
    Device(String),
    /// A hint: exten and context.
    Hint(String, String),
    /// An agent, by id.
    Agent(String),
    /// A peer or contact, by name.
    Peer(String),
}

impl Key {
    /// The name of the kind of object: `channel`, `call`, `bridge`,
    /// `queue`, `member`, `caller`, `parked`, `conference`, `participant`,
    /// `device`, `hint`, `agent`, `peer`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Channel(_) => "channel",
            Self::Call(_) => "call",
            Self::Bridge(_) => "bridge",
            Self::Queue(_) => "queue",
            Self::Member(..) => "member",
            Self::Caller(..) => "caller",
            Self::Parked(_) => "parked",
            Self::Conference(_) => "conference",
            Self::Participant(..) => "participant",
            Self::Device(_) => "device",
            Self::Hint(..) => "hint",
            Self::Agent(_) => "agent",
            Self::Peer(_) => "peer",
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Channel(k)
            | Self::Call(k)
            | Self::Bridge(k)
            | Self::Queue(k)
            | Self::Parked(k)
            | Self::Conference(k)
            | Self::Device(k)
            | Self::Agent(k)
            | Self::Peer(k) => write!(f, "{} {k}", self.kind()),
            Self::Member(a, b) | Self::Caller(a, b) | Self::Participant(a, b) => {
                write!(f, "{} {a}/{b}", self.kind())
            }
            Self::Hint(exten, context) => write!(f, "hint {exten}@{context}"),
        }
    }
}

macro_rules! fields {
    ($($variant:ident = $name:literal,)*) => {
        /// A field of an object that can change.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        #[non_exhaustive]
        pub enum Field {
            $(#[doc = concat!("`", $name, "`")] $variant,)*
        }

        impl Field {
            const ALL: &'static [Field] = &[$(Field::$variant,)*];

            /// The field's name (snake case, as in the JSON of `ami live`).
            #[must_use]
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

fields! {
    Name = "name",
    Linkedid = "linkedid",
    State = "state",
    CallerId = "caller_id",
    ConnectedLine = "connected_line",
    AccountCode = "account_code",
    Language = "language",
    Location = "location",
    Application = "application",
    Created = "created",
    Bridge = "bridge",
    Hold = "hold",
    Dial = "dial",
    Type = "type",
    Technology = "technology",
    Creator = "creator",
    Channels = "channels",
    Strategy = "strategy",
    Max = "max",
    Calls = "calls",
    Holdtime = "holdtime",
    TalkTime = "talk_time",
    Completed = "completed",
    Abandoned = "abandoned",
    ServiceLevel = "service_level",
    Weight = "weight",
    StateInterface = "state_interface",
    Membership = "membership",
    Penalty = "penalty",
    CallsTaken = "calls_taken",
    LastCall = "last_call",
    LastPause = "last_pause",
    LoginTime = "login_time",
    InCall = "in_call",
    Status = "status",
    Paused = "paused",
    RingInUse = "ring_in_use",
    Wrapup = "wrapup_time",
    Position = "position",
    Since = "since",
    Channel = "channel",
    Lot = "lot",
    Space = "space",
    Timeout = "timeout",
    Parker = "parker",
    Locked = "locked",
    Admin = "admin",
    Muted = "muted",
    Marked = "marked",
    Talking = "talking",
    Waiting = "waiting",
    Hint = "hint",
    Address = "address",
}

/// A set of [`Field`]s: which fields a change changed.
///
/// ```
/// use ami_live::{Field, Fields};
/// let mut f = Fields::default();
/// f.insert(Field::State);
/// f.insert(Field::Bridge);
/// assert!(f.contains(Field::State));
/// assert_eq!(f.iter().map(Field::name).collect::<Vec<_>>(), ["state", "bridge"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Fields(u64);

impl Fields {
    /// Adds a field.
    pub fn insert(&mut self, field: Field) {
        self.0 |= 1 << field as u8;
    }

    /// Whether the set has `field`.
    #[must_use]
    pub fn contains(self, field: Field) -> bool {
        self.0 & (1 << field as u8) != 0
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The fields, in [`Field`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL
            .iter()
            .copied()
            .filter(move |f| self.contains(*f))
    }
}

impl fmt::Display for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for field in self.iter() {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            f.write_str(field.name())?;
        }
        Ok(())
    }
}

/// An object as it was when it left the model.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // travels boxed, in Change::Removed
pub enum Removed {
    /// A channel hung up (its [`hangup`](Channel::hangup) says how, `None`
    /// when a sync found it gone).
    Channel(Channel),
    /// A call's last channel left.
    Call(Call),
    /// A bridge was destroyed.
    Bridge(Bridge),
    /// A queue is no longer listed.
    Queue(Queue),
    /// A member left a queue: the queue's name and the member.
    Member(String, QueueMember),
    /// A caller left a queue: the queue's name and the caller (its
    /// [`abandoned`](QueueCaller::abandoned) says whether it hung up
    /// while waiting).
    Caller(String, QueueCaller),
    /// A parked call left its space, and why.
    Parked(ParkedCall, Unparked),
    /// A conference ended.
    Conference(Conference),
    /// A participant left: the conference's name and the participant.
    Participant(String, Participant),
    /// A device is no longer listed.
    Device(Device),
    /// A hint was removed.
    Hint(Hint),
    /// An agent is no longer listed.
    Agent(Agent),
    /// A peer is no longer known.
    Peer(Peer),
}

impl Removed {
    /// The key the object had.
    #[must_use]
    pub fn key(&self) -> Key {
        match self {
            Self::Channel(c) => Key::Channel(c.uniqueid.clone()),
            Self::Call(c) => Key::Call(c.linkedid.clone()),
            Self::Bridge(b) => Key::Bridge(b.id.clone()),
            Self::Queue(q) => Key::Queue(q.name.clone()),
            Self::Member(q, m) => Key::Member(q.clone(), m.interface.clone()),
            Self::Caller(q, c) => Key::Caller(q.clone(), c.uniqueid.clone()),
            Self::Parked(p, _) => Key::Parked(p.uniqueid.clone()),
            Self::Conference(c) => Key::Conference(c.name.clone()),
            Self::Participant(c, p) => Key::Participant(c.clone(), p.uniqueid.clone()),
            Self::Device(d) => Key::Device(d.name.clone()),
            Self::Hint(h) => Key::Hint(h.exten.clone(), h.context.clone()),
            Self::Agent(a) => Key::Agent(a.id.clone()),
            Self::Peer(p) => Key::Peer(p.name.clone()),
        }
    }
}

/// One change of the model, in event order.
///
/// Added and changed objects are read from the model (it holds their
/// current values); a removed one travels in the change, since the model
/// no longer has it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// A new object.
    Added(Key),
    /// Fields of an object changed.
    Changed(Key, Fields),
    /// An object left (boxed: a channel is large, the other changes small).
    Removed(Box<Removed>),
    /// A part of the model finished syncing: it now matches the server.
    Synced(Part),
    /// A part cannot be synced (the server refused its list action: module
    /// not loaded, permission denied), with Asterisk's message.
    Unavailable(Part, String),
}

impl Change {
    /// The object's key (`None` for [`Synced`](Self::Synced) and
    /// [`Unavailable`](Self::Unavailable)).
    #[must_use]
    pub fn key(&self) -> Option<Key> {
        match self {
            Self::Added(k) | Self::Changed(k, _) => Some(k.clone()),
            Self::Removed(r) => Some(r.key()),
            Self::Synced(_) | Self::Unavailable(..) => None,
        }
    }

    /// The change's name as `ami live --json` prints it:
    /// `channel_added`, `member_changed`, `parked_removed`, `synced`, …
    ///
    /// ```
    /// use ami_live::{Change, Key};
    /// assert_eq!(Change::Added(Key::Channel("1.1".into())).name(), "channel_added");
    /// ```
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Self::Added(k) => format!("{}_added", k.kind()),
            Self::Changed(k, _) => format!("{}_changed", k.kind()),
            Self::Removed(r) => format!("{}_removed", r.key().kind()),
            Self::Synced(_) => "synced".into(),
            Self::Unavailable(..) => "unavailable".into(),
        }
    }
}
