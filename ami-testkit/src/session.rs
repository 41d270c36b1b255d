//! One connected client as the server sees it: its output queue (what
//! its writer thread is to write), its login status and `Filter` filters,
//! and how a one-shot fault hits it. The threads that serve it are in
//! `reader.rs` and `writer.rs`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use ami_proto::{Message, ServerMessage};
use bytes::Bytes;

use crate::fault::Fault;
use crate::sync::lock;
use crate::transport::Transport;
use crate::wire::{self, EventFilter};

/// What the writer thread writes, in order.
#[derive(Debug)]
pub(crate) enum Item {
    Bytes(Bytes),
    Flood(u64),
    Endless(Option<u64>),
    /// Cut the next message in half, then close.
    CutNext,
    /// Close gracefully once everything before it is written.
    Close,
}

/// What the writer thread has yet to do: the queue, and a stall in force.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub(crate) queue: VecDeque<Item>,
    pub(crate) stall_until: Option<Instant>,
}

/// The login state of a session.
#[derive(Debug)]
pub(crate) struct Status {
    pub(crate) logged_in: bool,
    pub(crate) filter: EventFilter,
    /// The `Filter` action's filters: (exclude, pattern), in order added.
    pub(crate) filters: Vec<(bool, regex::bytes::Regex)>,
    pub(crate) challenge: Option<String>,
}

impl Status {
    /// Whether the `Filter` filters let `event` through, as Asterisk
    /// applies them: with any including filter, one of them must match;
    /// then no excluding (`!`) filter may match. The patterns are matched
    /// against the event's text.
    pub(crate) fn passes_filters(&self, event: &Message) -> bool {
        if self.filters.is_empty() {
            return true;
        }
        let text = event.as_bytes();
        let mut includes = self
            .filters
            .iter()
            .filter(|(exclude, _)| !exclude)
            .peekable();
        let included = includes.peek().is_none() || includes.any(|(_, re)| re.is_match(text));
        included
            && !self
                .filters
                .iter()
                .any(|(exclude, re)| *exclude && re.is_match(text))
    }
}

/// A connected client.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) transport: Transport,
    pub(crate) output: Mutex<Output>,
    pub(crate) wake: Condvar,
    closed: AtomicBool,
    pub(crate) status: Mutex<Status>,
}

impl Session {
    pub(crate) fn new(transport: Transport) -> Self {
        Self {
            transport,
            output: Mutex::new(Output::default()),
            wake: Condvar::new(),
            closed: AtomicBool::new(false),
            status: Mutex::new(Status {
                logged_in: false,
                filter: EventFilter::Off,
                filters: Vec::new(),
                challenge: None,
            }),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    pub(crate) fn is_logged_in(&self) -> bool {
        !self.is_closed() && lock(&self.status).logged_in
    }

    fn push(&self, item: Item) {
        lock(&self.output).queue.push_back(item);
        self.wake.notify_all();
    }

    /// Queues bytes for the writer.
    pub(crate) fn send(&self, bytes: impl Into<Bytes>) {
        let bytes = bytes.into();
        if !bytes.is_empty() {
            self.push(Item::Bytes(bytes));
        }
    }

    /// Queues messages for the writer, as one write.
    pub(crate) fn send_messages(&self, messages: &[ServerMessage]) {
        self.send(wire::encode_all(messages));
    }

    /// Closes gracefully after what is queued.
    pub(crate) fn close_after(&self) {
        self.push(Item::Close);
    }

    /// Marks the session closed and wakes its writer.
    pub(crate) fn mark_closed(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _guard = lock(&self.output);
        self.wake.notify_all();
    }

    /// Wakes the writer to look at the stall modes again.
    pub(crate) fn nudge(&self) {
        let _guard = lock(&self.output);
        self.wake.notify_all();
    }

    /// Applies a one-shot fault.
    pub(crate) fn apply(&self, fault: &Fault) {
        match fault {
            Fault::CloseMidMessage => self.push(Item::CutNext),
            Fault::Stall(d) => lock(&self.output).stall_until = Some(Instant::now() + *d),
            Fault::Garbage(bytes) => self.push(Item::Bytes(Bytes::from(bytes.clone()))),
            Fault::EndlessLine { limit } => self.push(Item::Endless(*limit)),
            Fault::Flood(n) => self.push(Item::Flood(*n)),
            Fault::Disconnect => {
                self.mark_closed();
                self.transport.abort();
            }
            Fault::StallForever | Fault::ByteAtATime | Fault::RefuseLogin | Fault::IgnorePings => {}
        }
        self.nudge();
    }
}
