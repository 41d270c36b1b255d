//! One client connection: a reader thread that frames and answers actions,
//! and a writer thread that drains the session's output queue and plays
//! the write faults (stall, byte at a time, cut, flood, endless line).

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use ami_proto::{DecodeErrorKind, Limits, Message, MessageKind, ServerMessage};
use bytes::Bytes;

use crate::actions;
use crate::fault::{Fault, flood_chunk};
use crate::framer::{Frame, Framer};
use crate::replay::{self, Cursor};
use crate::reply::Body;
use crate::shared::Shared;
use crate::sync::lock;
use crate::transport::Transport;
use crate::wire::{self, EventFilter};

/// What the writer thread writes, in order.
#[derive(Debug)]
enum Item {
    Bytes(Bytes),
    Flood(u64),
    Endless(Option<u64>),
    /// Cut the next message in half, then close.
    CutNext,
    /// Close gracefully once everything before it is written.
    Close,
}

#[derive(Debug, Default)]
struct Output {
    queue: VecDeque<Item>,
    stall_until: Option<Instant>,
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
    output: Mutex<Output>,
    wake: Condvar,
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

// ---- the writer -----------------------------------------------------------

/// Writes `data`, a byte at a time when that mode is on.
fn write(shared: &Shared, session: &Session, data: &[u8]) -> io::Result<()> {
    if shared.faults.byte_at_a_time.load(Ordering::SeqCst) {
        for byte in data {
            if session.is_closed() || shared.is_shutdown() {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            session.transport.write_all(std::slice::from_ref(byte))?;
        }
        Ok(())
    } else {
        session.transport.write_all(data)
    }
}

/// The writer thread: drains the output queue until the session closes.
pub(crate) fn run_writer(shared: &Shared, session: &Session) {
    let mut cut_pending = false;
    loop {
        let item = {
            let mut out = lock(&session.output);
            loop {
                if session.is_closed() || shared.is_shutdown() {
                    return;
                }
                let now = Instant::now();
                if let Some(until) = out.stall_until {
                    if now < until {
                        out = session
                            .wake
                            .wait_timeout(out, until - now)
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .0;
                        continue;
                    }
                    out.stall_until = None;
                }
                if shared.faults.stall_forever.load(Ordering::SeqCst) {
                    out = session
                        .wake
                        .wait(out)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    continue;
                }
                if let Some(item) = out.queue.pop_front() {
                    break item;
                }
                out = session
                    .wake
                    .wait(out)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        };
        let result = match item {
            Item::CutNext => {
                cut_pending = true;
                Ok(())
            }
            Item::Bytes(bytes) if cut_pending => {
                let half = (bytes.len() / 2).max(1).min(bytes.len());
                let _ = write(shared, session, &bytes[..half]);
                Err(io::ErrorKind::ConnectionAborted.into())
            }
            Item::Bytes(bytes) => write(shared, session, &bytes),
            Item::Flood(n) => flood(shared, session, n),
            Item::Endless(limit) => endless(shared, session, limit),
            Item::Close => Err(io::ErrorKind::ConnectionAborted.into()),
        };
        if result.is_err() {
            session.mark_closed();
            session.transport.close_write();
            shared.notify();
            return;
        }
    }
}

fn flood(shared: &Shared, session: &Session, n: u64) -> io::Result<()> {
    let chunk = flood_chunk();
    let per_chunk = chunk.ends.len() as u64;
    let mut left = n;
    while left > 0 {
        if session.is_closed() || shared.is_shutdown() {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let take = left.min(per_chunk);
        let end = chunk.ends[usize::try_from(take).unwrap_or(usize::MAX) - 1];
        write(shared, session, &chunk.bytes[..end])?;
        left -= take;
    }
    Ok(())
}

fn endless(shared: &Shared, session: &Session, limit: Option<u64>) -> io::Result<()> {
    let chunk = [b'x'; 64 * 1024];
    let mut written = 0u64;
    loop {
        if session.is_closed() || shared.is_shutdown() {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let n = match limit {
            Some(limit) if written >= limit => return Ok(()),
            Some(limit) => {
                usize::try_from(limit - written).map_or(chunk.len(), |l| l.min(chunk.len()))
            }
            None => chunk.len(),
        };
        write(shared, session, &chunk[..n])?;
        written += n as u64;
    }
}

// ---- the reader -----------------------------------------------------------

/// Everything an action handler needs: the server, the session, and the
/// session's replay progress.
pub(crate) struct Ctx<'a> {
    pub(crate) shared: &'a Arc<Shared>,
    pub(crate) session: &'a Arc<Session>,
    replay: Option<Cursor>,
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

    fn frame(&mut self, frame: Frame) {
        match frame {
            Frame::Banner(_) => {}
            Frame::Empty(_) => self.request(None),
            Frame::Message(message) => {
                self.shared.record(message.clone());
                self.request(Some(&message));
            }
            Frame::Error(error) => {
                let text = match error.kind() {
                    DecodeErrorKind::LineTooLong => "Failed to parse message: line too long",
                    _ => "Failed to parse message",
                };
                let mut response = ServerMessage::response("Error");
                if let Some(id) = error.action_id().filter(|id| !id.is_empty()) {
                    response = response.header("ActionID", id);
                }
                self.send(&[response.header("Message", text)]);
            }
        }
    }

    /// Answers one request: a message, or a lone empty line (`None`).
    fn request(&mut self, message: Option<&Message>) {
        if let Some(answer) = self.replay.as_mut().and_then(|r| r.answer(message)) {
            let closes = answer.closes;
            match answer.login {
                replay::Login::Accepted => {
                    let filter = self.login_filter(message);
                    let bytes = answer.bytes;
                    self.logged_in(filter, || self.session.send(bytes));
                }
                replay::Login::Refused | replay::Login::Unchanged => {
                    self.session.send(answer.bytes);
                }
            }
            if closes {
                self.close();
            }
            return;
        }
        let Some(action) = message else {
            // Asterisk answers an empty message; it has no ActionID.
            self.send(&[
                ServerMessage::response("Error").header("Message", "Missing action in request")
            ]);
            return;
        };
        let Some(name) = replay::action_name(action) else {
            self.send(&[wire::error(action, "Missing action in request")]);
            return;
        };
        let exempt = matches!(name.as_str(), "login" | "challenge" | "logoff");
        if !exempt && !lock(&self.session.status).logged_in {
            self.send(&[wire::error(action, "Permission denied")]);
            return;
        }
        if let Some(handler) = self.shared.handler(&name) {
            let reply = handler(action);
            if reply.body != Body::Builtin {
                if !reply.delay.is_zero() {
                    self.sleep(reply.delay);
                }
                match &reply.body {
                    Body::Messages(messages) => {
                        let accepted = messages
                            .first()
                            .and_then(wire::decode_server_message)
                            .is_some_and(|m| {
                                m.kind() == MessageKind::Response
                                    && m.name().is_some_and(|n| n.eq_ignore_ascii_case("Success"))
                            });
                        if name == "login" && accepted && !lock(&self.session.status).logged_in {
                            let filter = self.login_filter(Some(action));
                            self.logged_in(filter, || self.send(messages));
                        } else {
                            self.send(messages);
                        }
                    }
                    Body::Raw(bytes) => self.session.send(bytes.clone()),
                    Body::Nothing | Body::Builtin => {}
                }
                if reply.close {
                    self.close();
                }
                return;
            }
        }
        actions::builtin(self, &name, action);
    }
}

/// The reader thread: reads, frames and answers until the client leaves.
pub(crate) fn run_reader(shared: &Arc<Shared>, session: &Arc<Session>) {
    let limits = Limits {
        // Asterisk keeps 1024 bytes of a line, its CRLF included.
        max_line_len: ami_proto::MAX_ACTION_LINE - 2,
        ..Limits::default()
    };
    let mut framer = Framer::new(limits);
    let mut ctx = Ctx {
        shared,
        session,
        replay: shared.settings.replay.clone().map(Cursor::new),
        closing: false,
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match session.transport.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if ctx.closing || session.is_closed() || shared.is_shutdown() {
            // Closed: drain the socket until the client closes too, so
            // that the close is a FIN rather than a reset.
            continue;
        }
        framer.feed(&buf[..n]);
        while let Some(frame) = framer.next_frame() {
            // A panicking handler ends its session, not the test's wait.
            let handled =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ctx.frame(frame)));
            if handled.is_err() {
                ctx.closing = true;
                session.mark_closed();
                session.transport.abort();
            }
            if ctx.closing {
                break;
            }
        }
    }
    session.mark_closed();
    // The client left (or broke the stream): close our side too.
    session.transport.abort();
    shared.notify();
}

/// What a new session sends first: the banner, or the replay's prologue.
pub(crate) fn greeting(shared: &Shared) -> Bytes {
    if let Some(replay) = &shared.settings.replay {
        return Cursor::new(replay.clone()).prologue().clone();
    }
    if let Some(greeting) = &shared.settings.greeting {
        return Bytes::from(greeting.clone());
    }
    let mut banner = Vec::new();
    let _ = ami_proto::encode_banner(&mut banner, shared.settings.personality.ami_version());
    Bytes::from(banner)
}
