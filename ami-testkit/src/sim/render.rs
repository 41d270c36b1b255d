//! The events of the simulated PBX, built from its state in the shapes
//! (field names, order, value forms) the real Asterisk 22 sends.

use ami_proto::ServerMessage;

use super::{Member, Sim, snapshot};

impl Sim {
    /// `Event: <name>`, `Privilege: call,all` and the channel's snapshot.
    pub(super) fn chan_event(&self, name: &str, uid: &str) -> ServerMessage {
        self.chan_event_as(name, "call,all", uid)
    }

    /// An event with the channel's snapshot and the given privilege.
    pub(super) fn chan_event_as(&self, name: &str, privilege: &str, uid: &str) -> ServerMessage {
        let msg = ServerMessage::event(name).header("Privilege", privilege);
        match self.channels.get(uid) {
            Some(c) => snapshot(msg, "", c),
            None => msg,
        }
    }

    /// The bridge snapshot block (`BridgeUniqueid` … `BridgeVideoSourceMode`).
    pub(crate) fn bridge_snapshot(&self, msg: ServerMessage, id: &str) -> ServerMessage {
        let Some(b) = self.bridges.get(id) else {
            return msg;
        };
        msg.header("BridgeUniqueid", id)
            .header("BridgeType", b.kind)
            .header("BridgeTechnology", b.tech)
            .header("BridgeCreator", &b.creator)
            .header("BridgeName", &b.name)
            .header("BridgeNumChannels", b.members.len().to_string())
            .header("BridgeVideoSourceMode", "none")
    }

    pub(super) fn bridge_event(&self, name: &str, id: &str) -> ServerMessage {
        self.bridge_snapshot(
            ServerMessage::event(name).header("Privilege", "call,all"),
            id,
        )
    }

    pub(super) fn bridge_chan_event(&self, name: &str, id: &str, uid: &str) -> ServerMessage {
        let msg = self.bridge_event(name, id);
        match self.channels.get(uid) {
            Some(c) => snapshot(msg, "", c),
            None => msg,
        }
    }

    pub(super) fn conference_event(&self, name: &str, room: &str) -> ServerMessage {
        let msg = ServerMessage::event(name)
            .header("Privilege", "call,all")
            .header("Conference", room);
        match self.conferences.get(room) {
            Some(c) => self.bridge_snapshot(msg, &c.bridge),
            None => msg,
        }
    }

    pub(super) fn conference_chan_event(&self, name: &str, room: &str, uid: &str) -> ServerMessage {
        let msg = self.conference_event(name, room);
        match self.channels.get(uid) {
            Some(c) => snapshot(msg, "", c),
            None => msg,
        }
    }

    /// `ParkedCall`, `ParkedCallTimeOut`, `ParkedCallGiveUp`,
    /// `UnParkedCall` (without the retriever), or the `ParkedCall` list
    /// item (without `Privilege`: see `answer`).
    pub(crate) fn parked_fields(&self, msg: ServerMessage, uid: &str) -> ServerMessage {
        let (Some(c), Some(p)) = (self.channels.get(uid), self.parked.get(uid)) else {
            return msg;
        };
        let duration = self.now.saturating_sub(p.since);
        snapshot(msg, "Parkee", c)
            .header("ParkerDialString", &p.parker)
            .header("Parkinglot", super::LOT)
            .header("ParkingSpace", p.space.to_string())
            .header(
                "ParkingTimeout",
                p.timeout.saturating_sub(duration).to_string(),
            )
            .header("ParkingDuration", duration.to_string())
    }

    pub(super) fn parked_event(&self, name: &str, uid: &str) -> ServerMessage {
        self.parked_fields(
            ServerMessage::event(name).header("Privilege", "call,all"),
            uid,
        )
    }

    /// `DialBegin` / `DialEnd`: the caller's snapshot (if any), then the
    /// `Dest…` one.
    pub(super) fn dial_event(&self, name: &str, caller: Option<&str>, dest: &str) -> ServerMessage {
        let mut msg = ServerMessage::event(name).header("Privilege", "call,all");
        if let Some(c) = caller.and_then(|u| self.channels.get(u)) {
            msg = snapshot(msg, "", c);
        }
        match self.channels.get(dest) {
            Some(c) => snapshot(msg, "Dest", c),
            None => msg,
        }
    }

    /// `AgentCalled`, `AgentConnect`, `AgentComplete`: caller, member
    /// channel, queue and member.
    pub(super) fn agent_event(
        &self,
        name: &str,
        caller: &str,
        dest: &str,
        queue: &str,
        member: &Member,
    ) -> ServerMessage {
        let msg = ServerMessage::event(name).header("Privilege", "agent,all");
        let msg = match self.channels.get(caller) {
            Some(c) => snapshot(msg, "", c),
            None => msg,
        };
        let msg = match self.channels.get(dest) {
            Some(c) => snapshot(msg, "Dest", c),
            None => msg,
        };
        msg.header("Queue", queue)
            .header("Interface", &member.interface)
            .header("MemberName", &member.name)
    }

    /// `QueueMemberStatus`, `QueueMemberPause`, `QueueMemberAdded`,
    /// `QueueMemberRemoved` for the member at `index`.
    pub(super) fn member_event(&self, name: &str, queue: &str, index: usize) -> ServerMessage {
        let msg = ServerMessage::event(name).header("Privilege", "agent,all");
        let Some(m) = self.queues.get(queue).and_then(|q| q.members.get(index)) else {
            return msg;
        };
        member_fields(msg, queue, m, false)
            .header("Ringinuse", "1")
            .header("Wrapuptime", "0")
    }
}

/// A member's fields: events name them `MemberName` / `Interface`, the
/// `QueueMember` list item `Name` / `Location`.
pub(crate) fn member_fields(
    msg: ServerMessage,
    queue: &str,
    m: &Member,
    list: bool,
) -> ServerMessage {
    let (name_key, interface_key) = if list {
        ("Name", "Location")
    } else {
        ("MemberName", "Interface")
    };
    msg.header("Queue", queue)
        .header(name_key, &m.name)
        .header(interface_key, &m.interface)
        .header("StateInterface", &m.state_interface)
        .header("Membership", if m.dynamic { "dynamic" } else { "static" })
        .header("Penalty", m.penalty.to_string())
        .header("CallsTaken", m.calls_taken.to_string())
        .header("LastCall", m.last_call.to_string())
        .header("LastPause", m.last_pause.to_string())
        .header("LoginTime", m.login_time.to_string())
        .header("InCall", u8::from(m.in_call).to_string())
        .header("Status", m.status.to_string())
        .header("Paused", u8::from(m.paused).to_string())
        .header("PausedReason", &m.reason)
}
