//! The table of actions in flight, keyed by handle and by ActionID.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use bytes::Bytes;

use crate::message::Message;
use crate::outcome::ActionHandle;

/// Who is waiting for an action: the user, or the connection itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    User,
    Challenge,
    Login,
    KeepalivePing,
    Logoff,
}

/// How far an action has got.
#[derive(Debug)]
pub(crate) enum Stage {
    /// Given before the login completed; not sent yet. `logoff` marks a
    /// user `Logoff`, which ends the session once sent.
    Queued { bytes: Vec<u8>, logoff: bool },
    /// Sent; no response yet.
    AwaitingResponse,
    /// `EventList: start` received; collecting events up to `…Complete`.
    List {
        response: Message,
        events: Vec<Message>,
    },
    /// An async Originate's response received; waiting for its
    /// `OriginateResponse` event.
    Originate { response: Message },
    /// The list outgrew its limit and the action has failed; its remaining
    /// events are swallowed up to the completion.
    Discarding,
}

#[derive(Debug)]
pub(crate) struct InFlight {
    pub(crate) id: Bytes,
    pub(crate) role: Role,
    pub(crate) deadline: Option<Instant>,
    pub(crate) stage: Stage,
    pub(crate) expect_list: bool,
    pub(crate) wait_originate: bool,
}

/// In-flight actions in the order they were given (handles increase), with
/// an index by ActionID and one by deadline.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    entries: BTreeMap<ActionHandle, InFlight>,
    by_id: HashMap<Bytes, ActionHandle>,
    deadlines: BTreeSet<(Instant, ActionHandle)>,
}

impl Pending {
    pub(crate) fn contains_id(&self, id: &[u8]) -> bool {
        self.by_id.contains_key(id)
    }

    pub(crate) fn insert(&mut self, handle: ActionHandle, entry: InFlight) {
        if let Some(deadline) = entry.deadline {
            self.deadlines.insert((deadline, handle));
        }
        self.by_id.insert(entry.id.clone(), handle);
        self.entries.insert(handle, entry);
    }

    pub(crate) fn remove(&mut self, handle: ActionHandle) -> Option<InFlight> {
        let entry = self.entries.remove(&handle)?;
        if let Some(deadline) = entry.deadline {
            self.deadlines.remove(&(deadline, handle));
        }
        self.by_id.remove(&entry.id);
        Some(entry)
    }

    pub(crate) fn get(&self, handle: ActionHandle) -> Option<&InFlight> {
        self.entries.get(&handle)
    }

    pub(crate) fn get_mut(&mut self, handle: ActionHandle) -> Option<&mut InFlight> {
        self.entries.get_mut(&handle)
    }

    pub(crate) fn by_id(&self, id: &[u8]) -> Option<ActionHandle> {
        self.by_id.get(id).copied()
    }

    /// The oldest sent action still waiting for its response: where a
    /// response without ActionID may belong, since Asterisk answers in
    /// order (the connection decides whether it does).
    pub(crate) fn oldest_awaiting_response(&self) -> Option<ActionHandle> {
        self.entries
            .iter()
            .find(|(_, e)| matches!(e.stage, Stage::AwaitingResponse))
            .map(|(h, _)| *h)
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(d, _)| *d)
    }

    /// The first action whose deadline is at or before `now`.
    pub(crate) fn first_expired(&self, now: Instant) -> Option<ActionHandle> {
        self.deadlines
            .first()
            .filter(|(d, _)| *d <= now)
            .map(|(_, h)| *h)
    }

    /// Takes the queued (not yet sent) actions, oldest first, leaving them in
    /// the table as sent. Each comes with its `logoff` mark. Stops after a
    /// user `Logoff`: what was queued behind it is never sent, so it stays
    /// queued (no response may complete it) until it times out or the
    /// connection closes.
    pub(crate) fn take_queued(&mut self) -> Vec<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        for entry in self.entries.values_mut() {
            if let Stage::Queued { bytes, logoff } = &mut entry.stage {
                let logoff = *logoff;
                out.push((std::mem::take(bytes), logoff));
                entry.stage = Stage::AwaitingResponse;
                if logoff {
                    break;
                }
            }
        }
        out
    }

    /// Whether any user action is still in flight or queued.
    pub(crate) fn has_user_actions(&self) -> bool {
        self.entries.values().any(|e| e.role == Role::User)
    }

    /// Removes everything, oldest first.
    pub(crate) fn drain(&mut self) -> Vec<(ActionHandle, InFlight)> {
        self.by_id.clear();
        self.deadlines.clear();
        std::mem::take(&mut self.entries).into_iter().collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}
