//! [`Ctx`]: what answering one request can reach — the server, the
//! session, the session's replay progress — and the helpers the reader's
//! dispatch and the built-in actions share (send, close, log in).

use std::sync::Arc;
use std::time::Duration;

use ami_proto::{Message, ServerMessage};

use crate::replay::Cursor;
use crate::session::Session;
use crate::shared::Shared;
use crate::sync::lock;
use crate::wire::EventFilter;

/// Everything an action handler needs: the server, the session, and the
/// session's replay progress.
pub(crate) struct Ctx<'a> {
    pub(crate) shared: &'a Arc<Shared>,
    pub(crate) session: &'a Arc<Session>,
    pub(crate) replay: Option<Cursor>,
    /// Set once the session is to close: further input is ignored.
    pub(crate) closing: bool,
}

impl Ctx<'_> {
    /// Queues messages for this session.
    pub(crate) fn send(&self, messages: &[ServerMessage]) {
        self.session.send_messages(messages);
    }

    /// Queues a close after what is queued; ignores further input.
    pub(crate) fn close(&mut self) {
        self.closing = true;
        self.session.close_after();
    }

    /// The events a login asks for: its `Events` header, or the server's
    /// default.
    pub(crate) fn login_filter(&self, action: Option<&Message>) -> EventFilter {
        match action
            .and_then(|a| a.get("Events"))
            .filter(|e| !e.is_empty())
        {
            Some(events) => EventFilter::parse(&events.to_str_lossy()),
            None => EventFilter::from_mask(&self.shared.settings.events_default),
        }
    }

    /// Queues the login answer with `send_answer` and marks the session
    /// logged in, both under the status lock: a pushed event waits for the
    /// answer, so none overtakes it, and none is missed by a client that
    /// already holds the answer. Then plays pending faults.
    pub(crate) fn logged_in(&self, filter: EventFilter, send_answer: impl FnOnce()) {
        {
            let mut status = lock(&self.session.status);
            send_answer();
            status.logged_in = true;
            status.filter = filter;
        }
        self.shared.notify();
        for fault in self.shared.take_pending_faults() {
            self.session.apply(&fault);
        }
    }

    /// Sleeps, waking early if the server shuts down.
    pub(crate) fn sleep(&self, delay: Duration) {
        self.shared.sleep(delay);
    }
}
