//! The model's data, and its lookups.

use std::collections::{BTreeMap, HashMap};

use crate::objects::{
    Agent, Bridge, Call, Channel, Conference, Device, Hint, ParkedCall, Peer, Queue,
};
use crate::sync::{Part, PartStatus};

/// Everything the model knows of the PBX at one moment: the objects and
/// where each part's sync stands. [`Live::state`](crate::Live::state)
/// borrows it; a clone is a snapshot.
///
/// Maps are keyed as the objects are: channels by uniqueid, calls by
/// linkedid, bridges by id, queues and conferences by name, parked calls
/// by the parkee's uniqueid, hints by exten and context.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub(crate) channels: HashMap<String, Channel>,
    pub(crate) names: HashMap<String, String>,
    pub(crate) calls: HashMap<String, Call>,
    pub(crate) bridges: HashMap<String, Bridge>,
    pub(crate) queues: BTreeMap<String, Queue>,
    pub(crate) parked: HashMap<String, ParkedCall>,
    pub(crate) conferences: BTreeMap<String, Conference>,
    pub(crate) devices: HashMap<String, Device>,
    pub(crate) hints: BTreeMap<(String, String), Hint>,
    pub(crate) agents: BTreeMap<String, Agent>,
    pub(crate) peers: BTreeMap<String, Peer>,
    pub(crate) parts: [PartStatus; Part::ALL.len()],
}

impl State {
    /// Every channel (in no particular order).
    pub fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels.values()
    }

    /// The channel with this uniqueid.
    #[must_use]
    pub fn channel(&self, uniqueid: &str) -> Option<&Channel> {
        self.channels.get(uniqueid)
    }

    /// The channel with this name (`PJSIP/100-0000002a`).
    #[must_use]
    pub fn channel_by_name(&self, name: &str) -> Option<&Channel> {
        self.channels.get(self.names.get(name)?)
    }

    /// Every call (channels grouped by linkedid).
    pub fn calls(&self) -> impl Iterator<Item = &Call> {
        self.calls.values()
    }

    /// The call with this linkedid.
    #[must_use]
    pub fn call(&self, linkedid: &str) -> Option<&Call> {
        self.calls.get(linkedid)
    }

    /// The channels of a call, oldest first.
    pub fn channels_of_call<'a>(&'a self, linkedid: &str) -> impl Iterator<Item = &'a Channel> {
        self.calls
            .get(linkedid)
            .into_iter()
            .flat_map(|c| c.channels.iter())
            .filter_map(|u| self.channels.get(u))
    }

    /// The bridges joining a call's channels (each once, in the order its
    /// channels are).
    #[must_use]
    pub fn bridges_of_call(&self, linkedid: &str) -> Vec<&Bridge> {
        let mut out: Vec<&Bridge> = Vec::new();
        for channel in self.channels_of_call(linkedid) {
            if let Some(b) = channel.bridge.as_deref().and_then(|b| self.bridges.get(b))
                && !out.iter().any(|o| o.id == b.id)
            {
                out.push(b);
            }
        }
        out
    }

    /// Every bridge.
    pub fn bridges(&self) -> impl Iterator<Item = &Bridge> {
        self.bridges.values()
    }

    /// The bridge with this id.
    #[must_use]
    pub fn bridge(&self, id: &str) -> Option<&Bridge> {
        self.bridges.get(id)
    }

    /// The channels in a bridge, in the order they entered.
    pub fn channels_in_bridge<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a Channel> {
        self.bridges
            .get(id)
            .into_iter()
            .flat_map(|b| b.channels.iter())
            .filter_map(|u| self.channels.get(u))
    }

    /// Every queue, by name.
    pub fn queues(&self) -> impl Iterator<Item = &Queue> {
        self.queues.values()
    }

    /// The queue with this name.
    #[must_use]
    pub fn queue(&self, name: &str) -> Option<&Queue> {
        self.queues.get(name)
    }

    /// The channels of a queue's callers, by position.
    pub fn channels_in_queue<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Channel> {
        self.queues
            .get(name)
            .into_iter()
            .flat_map(|q| q.callers.iter())
            .filter_map(|c| self.channels.get(&c.uniqueid))
    }

    /// Every parked call.
    pub fn parked_calls(&self) -> impl Iterator<Item = &ParkedCall> {
        self.parked.values()
    }

    /// The parked call of this parkee uniqueid.
    #[must_use]
    pub fn parked_call(&self, uniqueid: &str) -> Option<&ParkedCall> {
        self.parked.get(uniqueid)
    }

    /// Every conference, by name.
    pub fn conferences(&self) -> impl Iterator<Item = &Conference> {
        self.conferences.values()
    }

    /// The conference with this name.
    #[must_use]
    pub fn conference(&self, name: &str) -> Option<&Conference> {
        self.conferences.get(name)
    }

    /// The channels of a conference's participants.
    pub fn channels_in_conference<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Channel> {
        self.conferences
            .get(name)
            .into_iter()
            .flat_map(|c| c.participants.keys())
            .filter_map(|u| self.channels.get(u))
    }

    /// Every device with a known state.
    pub fn devices(&self) -> impl Iterator<Item = &Device> {
        self.devices.values()
    }

    /// The device with this name (`Custom:desk900`).
    #[must_use]
    pub fn device(&self, name: &str) -> Option<&Device> {
        self.devices.get(name)
    }

    /// Every hint, by exten and context.
    pub fn hints(&self) -> impl Iterator<Item = &Hint> {
        self.hints.values()
    }

    /// The hint of `exten@context`.
    #[must_use]
    pub fn hint(&self, exten: &str, context: &str) -> Option<&Hint> {
        self.hints.get(&(exten.to_owned(), context.to_owned()))
    }

    /// Every agent, by id.
    pub fn agents(&self) -> impl Iterator<Item = &Agent> {
        self.agents.values()
    }

    /// Every peer or contact with a known status, by name.
    pub fn peers(&self) -> impl Iterator<Item = &Peer> {
        self.peers.values()
    }

    /// Where a part's sync stands.
    #[must_use]
    pub fn status(&self, part: Part) -> &PartStatus {
        &self.parts[part as usize]
    }

    /// Whether every part is [`Synced`](PartStatus::Synced) or
    /// [`Unavailable`](PartStatus::Unavailable): the model shows the
    /// server, not just what events told it.
    #[must_use]
    pub fn is_synced(&self) -> bool {
        self.parts
            .iter()
            .all(|p| matches!(p, PartStatus::Synced | PartStatus::Unavailable(_)))
    }

    /// Checks that the model agrees with itself, and says where it does
    /// not: every channel is in its call and, if it has a bridge, in that
    /// bridge (and each call or bridge lists only such channels), lookups
    /// by name find a channel of that name, queue callers are numbered 1, 2,
    /// … and every key matches its object. For tests and fuzzing: the model
    /// keeps this true whatever it is fed.
    ///
    /// ```
    /// assert_eq!(ami_live::Live::new().state().check(), Ok(()));
    /// ```
    pub fn check(&self) -> Result<(), String> {
        for (uid, c) in &self.channels {
            if *uid != c.uniqueid {
                return Err(format!("channel key {uid} holds {}", c.uniqueid));
            }
            let call = self
                .calls
                .get(&c.linkedid)
                .ok_or_else(|| format!("channel {uid}: no call {}", c.linkedid))?;
            if call.channels.iter().filter(|u| *u == uid).count() != 1 {
                return Err(format!("call {} lists channel {uid} not once", c.linkedid));
            }
            if let Some(b) = &c.bridge {
                let bridge = self
                    .bridges
                    .get(b)
                    .ok_or_else(|| format!("channel {uid}: no bridge {b}"))?;
                if bridge.channels.iter().filter(|u| *u == uid).count() != 1 {
                    return Err(format!("bridge {b} lists channel {uid} not once"));
                }
            }
            match self.channel_by_name(&c.name) {
                Some(found) if found.name == c.name => {}
                _ => return Err(format!("no channel found by the name {:?}", c.name)),
            }
        }
        for (name, uid) in &self.names {
            match self.channels.get(uid) {
                Some(c) if c.name == *name => {}
                _ => {
                    return Err(format!(
                        "name {name:?} points at {uid}, not a channel of that name"
                    ));
                }
            }
        }
        for (l, call) in &self.calls {
            if call.linkedid != *l || call.channels.is_empty() {
                return Err(format!("call {l} is empty or mis-keyed"));
            }
            for u in &call.channels {
                if self.channels.get(u).is_none_or(|c| c.linkedid != *l) {
                    return Err(format!("call {l} lists {u}, not a channel of it"));
                }
            }
        }
        for (id, b) in &self.bridges {
            if b.id != *id {
                return Err(format!("bridge key {id} holds {}", b.id));
            }
            for u in &b.channels {
                if self
                    .channels
                    .get(u)
                    .is_none_or(|c| c.bridge.as_deref() != Some(id))
                {
                    return Err(format!("bridge {id} lists {u}, not a channel in it"));
                }
            }
        }
        for (name, q) in &self.queues {
            if q.name != *name {
                return Err(format!("queue key {name} holds {}", q.name));
            }
            for (i, c) in q.callers.iter().enumerate() {
                if c.position as usize != i + 1 {
                    return Err(format!(
                        "queue {name}: caller {} at {} has position {}",
                        c.uniqueid,
                        i + 1,
                        c.position
                    ));
                }
                if q.callers
                    .iter()
                    .filter(|o| o.uniqueid == c.uniqueid)
                    .count()
                    != 1
                {
                    return Err(format!("queue {name}: caller {} twice", c.uniqueid));
                }
            }
            for (iface, m) in &q.members {
                if m.interface != *iface {
                    return Err(format!(
                        "queue {name}: member key {iface} holds {}",
                        m.interface
                    ));
                }
            }
        }
        for (u, p) in &self.parked {
            if p.uniqueid != *u {
                return Err(format!("parked key {u} holds {}", p.uniqueid));
            }
        }
        for (name, c) in &self.conferences {
            if c.name != *name {
                return Err(format!("conference key {name} holds {}", c.name));
            }
            for (u, p) in &c.participants {
                if p.uniqueid != *u {
                    return Err(format!(
                        "conference {name}: participant key {u} holds {}",
                        p.uniqueid
                    ));
                }
            }
        }
        for ((e, c), h) in &self.hints {
            if h.exten != *e || h.context != *c {
                return Err(format!("hint key {e}@{c} holds {}@{}", h.exten, h.context));
            }
        }
        Ok(())
    }
}
