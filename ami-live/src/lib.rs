//! A live model of an Asterisk PBX, kept from AMI events: channels, calls,
//! bridges, queues (members, callers), parked calls, ConfBridge
//! conferences, device states, hints, agents and peers.
//!
//! Sans I/O, like [`ami_proto`]: [`Live`] takes decoded events and the
//! answers of the list actions it asks for, and gives back its
//! [`State`] and a stream of [`Change`]s. The runtime crates wrap it in a
//! handle that connects, syncs, follows events and re-syncs after a
//! reconnect.
//!
//! What belongs in this crate: the objects, how each event and list entry
//! changes them, how a sync merges with the events that race it. What does
//! not: sockets, clocks, threads (the caller passes the time in with
//! [`Live::set_now`]), the client.
//!
//! # How it stays right
//!
//! * Every event is applied in the order it came. Events carry full
//!   snapshots (a channel's name, state, caller ID …), so an event about a
//!   channel the model missed creates it, and a repeated one changes
//!   nothing.
//! * A sync asks for each part's list (`CoreShowChannels`, `QueueStatus`,
//!   …). Its answer upserts what it lists — unless an event touched the
//!   object after the request was sent (the event is newer) or removed it
//!   (the entry is older than the removal) — and removes what it does not
//!   list and no event touched since the request. So events racing a sync
//!   leave no ghost and lose no object, whatever the interleaving. A
//!   channel's fields go by group (the snapshot every event carries, the
//!   application `Newexten` sets, the bridge `BridgeEnter`/`Leave` set):
//!   an event newer than the list holds its group only.
//! * The requests can all be sent at once (pipelined); answers that bring
//!   more to ask for (each conference's participants, a bridge known only
//!   by a channel's `BridgeId`) return the follow-up requests.
//! * After a reconnect, [`Live::disconnected`] marks everything stale and
//!   the next [`Live::start_sync`] removes what vanished meanwhile
//!   (reported as [`Change::Removed`]).
//! * A list the server refuses (no ConfBridge module, no permission) marks
//!   its part [`PartStatus::Unavailable`]; the rest syncs.
//! * Nothing is kept that is not live: a removed object leaves, and the
//!   only history is a bounded set of recently hung-up uniqueids (so a
//!   late event does not bring a channel back).
//! * Events it cannot use are counted in [`Stats`], never a panic.
//!
//! # What AMI does not say, and what the model does about it
//!
//! Learnt against a real Asterisk 22.10.1:
//!
//! * No list says whether a channel is on hold, and `ConfbridgeJoin` does
//!   not say whether a participant is marked: [`Channel::on_hold`] and
//!   [`Participant::marked`] are `Option`s, `None` until an event (hold) or
//!   a list (marked) tells.
//! * A queue member's `InCall` and `CallsTaken` and the queue's
//!   `Completed`, `Holdtime` and `TalkTime` change with no
//!   `QueueMemberStatus`: the model counts them on from `AgentConnect` and
//!   `AgentComplete` as app_queue does, and takes a list's values when no
//!   event moved them since the request (or after events were missed).
//! * `DeviceStateList` lists only cachable device states: `Local/…` and
//!   `CBAnn/…` devices send `DeviceStateChange` events but are never
//!   listed, so the model keeps them as their events say.
//! * ConfBridge's announcer channels (`CBAnn/…`) appear in
//!   `core show channels` but in no AMI list or event.
//! * A list action of a module that is not running is refused
//!   (`Invalid/unknown command: Agents.` from the test server, whose
//!   app_agent_pool did not load): that part is
//!   [`PartStatus::Unavailable`], with Asterisk's message; the rest syncs.
//!
//! # On a runtime
//!
//! `ami_tokio::Live` and `ami_smol::Live` (`client.live()`) run this model
//! in a task (written once, `ami_client::live`): sync, events, re-sync
//! after a reconnect, [`State`] snapshots, a change stream, waiting for a
//! condition, and tracked originates ([`Originate`]) that work whatever
//! the login's event mask. `ami_blocking::Live` does the same on the
//! caller's thread. [`EVENTS`] lists the events the model reads, for a
//! server-side `Filter`.
//!
//! # A queue wallboard
//!
//! ```
//! use ami_live::{Live, Part};
//! use ami_proto::{Decoded, Decoder, Response};
//!
//! fn wallboard(live: &Live) -> String {
//!     let mut out = String::new();
//!     for q in live.state().queues() {
//!         let free = q.members.values().filter(|m| !m.in_call && !m.paused).count();
//!         out += &format!("{}: {} waiting, {} of {} free\n", q.name, q.callers.len(), free, q.members.len());
//!         for c in &q.callers {
//!             out += &format!("  {}. {}\n", c.position, c.channel);
//!         }
//!     }
//!     out
//! }
//!
//! let mut live = Live::new();
//! // 1. Sync: the model asks for its lists; answer the one for queues here.
//! let requests = live.start_sync();
//! let queues = requests.iter().find(|r| r.part == Part::Queues).unwrap();
//! assert_eq!(queues.action.name(), b"QueueStatus");
//! let answer = b"Event: QueueParams\r\nQueue: support\r\nStrategy: ringall\r\nCalls: 0\r\n\r\n\
//!                Event: QueueMember\r\nQueue: support\r\nName: Alice\r\nLocation: PJSIP/alice\r\n\
//!                InCall: 0\r\nPaused: 0\r\nStatus: 1\r\n\r\n";
//! let mut decoder = Decoder::new();
//! decoder.feed(answer);
//! let mut entries = Vec::new();
//! while let Some(Decoded::Message(m)) = decoder.decode() {
//!     entries.push(m);
//! }
//! decoder.feed(b"Response: Success\r\nEventList: start\r\n\r\n");
//! let Some(Decoded::Message(head)) = decoder.decode() else { unreachable!() };
//! live.sync_response(queues, &Response::from_parts(head, entries, None));
//!
//! // 2. Follow events.
//! decoder.feed(b"Event: QueueCallerJoin\r\nChannel: PJSIP/bob-01\r\nChannelState: 6\r\n\
//!                Uniqueid: 1700000000.7\r\nLinkedid: 1700000000.7\r\nQueue: support\r\n\
//!                Position: 1\r\nCount: 1\r\n\r\n");
//! while let Some(Decoded::Message(m)) = decoder.decode() {
//!     live.apply(&m);
//! }
//! assert_eq!(wallboard(&live), "support: 1 waiting, 1 of 1 free\n  1. PJSIP/bob-01\n");
//! ```

mod change;
mod headers;
mod model;
mod objects;
pub mod originate;
mod state;
mod sync;
mod values;

pub use change::{Change, Field, Fields, Key, Removed};
pub use model::{EVENTS, Live, Problem, Stats};
pub use objects::{
    Agent, Bridge, Call, Channel, Conference, Device, Dial, DialRole, Hangup, Hint, ParkedCall,
    Participant, Party, Peer, Queue, QueueCaller, QueueMember, Unparked,
};
pub use originate::{Failure, Originate, Progress};
pub use state::State;
pub use sync::{Part, PartStatus, SyncRequest};
pub use values::{ChannelState, DeviceState, HangupCause};
