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
}
