//! Runtime-neutral glue for async adapters: the bookkeeping every driver
//! task does the same way whatever its runtime — which waiter gets which
//! outcome, where events go, when to reconnect, how to end. An adapter
//! keeps only its I/O loop (read, write, commands, timer) and its channel
//! types, plugged in through [`Reply`] and [`Publish`]. [`Publisher`] is a
//! [`Publish`] for them: a bounded broadcast to their subscribers, the same
//! on every runtime.

mod fanout;

use std::collections::HashMap;
use std::time::Instant;

use crate::options::{ClientError, Incoming, Reconnect};
use ami_proto::Action;
use ami_proto::{ActionHandle, CloseReason, Event, Response, Violation};
use ami_proto::{Connection, SendOptions};

pub use fanout::{BATCH, Hub, Publisher, Subscriber, event_cost};

/// A one-shot answer channel of the adapter's runtime.
pub trait Reply<T> {
    /// Sends the answer; a waiter that went away (a dropped future) is
    /// ignored.
    fn reply(self, value: T);
}

/// The adapter's event fan-out (a bounded broadcast).
pub trait Publish {
    /// Hands an item to every subscriber, never waiting for one.
    fn publish(&self, item: Incoming);

    /// Hands every item of `items` to every subscriber, in order, and
    /// empties it: one socket read's worth of events at a time. Default:
    /// [`publish`](Self::publish) each.
    fn publish_all(&self, items: &mut Vec<Incoming>) {
        for item in items.drain(..) {
            self.publish(item);
        }
    }

    /// Hands every item `items` gives to every subscriber, in order: one
    /// run of a connection's events, pulled as they are published (no
    /// batch in between). Default: [`publish`](Self::publish) each.
    fn publish_iter(&self, items: impl Iterator<Item = Incoming>)
    where
        Self: Sized,
    {
        for item in items {
            self.publish(item);
        }
    }

    /// Reports a non-fatal protocol violation (to a log). Default: ignored.
    fn violation(&self, violation: Violation) {
        let _ = violation;
    }
}

/// What an adapter's handle asks its driver to do.
#[derive(Debug)]
pub enum Command<R, C> {
    /// Send an action; its outcome goes to `reply`.
    Send {
        /// The action.
        action: Action,
        /// Its options.
        options: SendOptions,
        /// Where the outcome goes.
        reply: R,
    },
    /// Close (`soft`: after the pending actions); `reply` once closed.
    Close {
        /// Let pending actions finish first.
        soft: bool,
        /// Answered once the client has closed for good.
        reply: C,
    },
}

impl Publish for Publisher {
    fn publish(&self, item: Incoming) {
        let _ = Publisher::publish(self, item);
    }

    fn publish_all(&self, items: &mut Vec<Incoming>) {
        let _ = Publisher::publish_all(self, items);
    }

    fn publish_iter(&self, items: impl Iterator<Item = Incoming>) {
        let _ = Publisher::publish_iter(self, items);
    }
}

/// The per-client bookkeeping of an async adapter's driver: waiters by
/// handle, pending closers, and whether the user is closing.
#[derive(Debug)]
pub struct Driver<R, C> {
    waiters: HashMap<ActionHandle, R>,
    closers: Vec<C>,
    stopping: bool,
}

impl<R, C> Default for Driver<R, C> {
    fn default() -> Self {
        Self {
            waiters: HashMap::new(),
            closers: Vec::new(),
            stopping: false,
        }
    }
}

/// Where a login stands, from the connection's events.
#[derive(Debug)]
pub enum LoginProgress {
    /// Not done yet.
    Pending,
    /// Logged in: actions flow.
    Ready,
    /// The login failed, or the connection closed.
    Failed(ClientError),
}

/// Drains the events of a connection that is logging in: events go to
/// `events`, violations to the log; tells whether the login is done.
pub fn login_progress(conn: &mut Connection, events: &impl Publish) -> LoginProgress {
    while let Some(event) = conn.poll_event() {
        match event {
            Event::Authenticated => return LoginProgress::Ready,
            Event::Closed(reason) => {
                return LoginProgress::Failed(ClientError::from_login_close(reason));
            }
            Event::Message(message) => events.publish(Incoming::Event(message)),
            Event::Violation(violation) => events.violation(violation),
            _ => {}
        }
    }
    LoginProgress::Pending
}

impl<R, C> Driver<R, C>
where
    R: Reply<Result<Response, ClientError>>,
    C: Reply<()>,
{
    /// A driver with nothing pending.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the user asked to close (or dropped every handle).
    #[must_use]
    pub fn is_stopping(&self) -> bool {
        self.stopping
    }

    /// Applies a handle's command to the connection; `None` (every handle
    /// dropped) logs off.
    pub fn command(&mut self, conn: &mut Connection, command: Option<Command<R, C>>, now: Instant) {
        match command {
            Some(Command::Send {
                action,
                options,
                reply,
            }) => {
                let handle = conn.send_action_with(action, options, now);
                self.waiters.insert(handle, reply);
            }
            Some(Command::Close { soft, reply }) => {
                self.stopping = true;
                self.closers.push(reply);
                if soft {
                    conn.end(now);
                } else {
                    conn.close(now);
                }
            }
            None => {
                self.stopping = true;
                conn.close(now);
            }
        }
    }

    /// Hands the connection's events out: outcomes to their waiters,
    /// messages to the subscribers — each run of messages between two
    /// outcomes published at once, pulled from the connection as it is
    /// ([`publish_iter`](Publish::publish_iter)), so that a waiter never
    /// hears its answer before the events that came ahead of it are
    /// published.
    pub fn dispatch(&mut self, conn: &mut Connection, events: &impl Publish) {
        let mut next = conn.poll_event();
        while let Some(event) = next.take() {
            match event {
                Event::ActionCompleted { handle, outcome } => {
                    if let Some(waiter) = self.waiters.remove(&handle) {
                        waiter.reply(outcome.map_err(ClientError::from));
                    }
                }
                Event::Message(message) => {
                    // This message and those right after it; the first
                    // other event ends the run and is handled next.
                    let mut first = Some(Incoming::Event(message));
                    let run = std::iter::from_fn(|| {
                        if let Some(first) = first.take() {
                            return Some(first);
                        }
                        match conn.poll_event()? {
                            Event::Message(message) => Some(Incoming::Event(message)),
                            other => {
                                next = Some(other);
                                None
                            }
                        }
                    });
                    events.publish_iter(run);
                }
                Event::Violation(violation) => events.violation(violation),
                _ => {}
            }
            if next.is_none() {
                next = conn.poll_event();
            }
        }
    }

    /// After a connection closed for `reason`: the policy to reconnect with,
    /// or `None` to end (the user is closing, reconnection is off, or the
    /// login was refused). Announces the disconnection when reconnecting.
    pub fn reconnect_policy(
        &self,
        policy: Option<Reconnect>,
        reason: &CloseReason,
        events: &impl Publish,
    ) -> Option<Reconnect> {
        let policy = policy
            .filter(|_| !self.stopping)
            .filter(|_| !matches!(reason, CloseReason::AuthenticationFailed(_)))?;
        events.publish(Incoming::Disconnected(reason.clone()));
        Some(policy)
    }

    /// A command that arrives while waiting to reconnect: an action fails
    /// at once (it is never queued for the next connection); a close stops
    /// reconnecting. Returns `false` when the driver should end.
    pub fn command_while_disconnected(
        &mut self,
        command: Option<Command<R, C>>,
        reason: &CloseReason,
    ) -> bool {
        match command {
            Some(Command::Send { reply, .. }) => {
                reply.reply(Err(ClientError::Closed(reason.clone())));
                true
            }
            Some(Command::Close { reply, .. }) => {
                self.closers.push(reply);
                self.stopping = true;
                false
            }
            None => false,
        }
    }

    /// Ends for good: subscribers hear why, every waiter and every command
    /// still queued (`leftover`) fails, closers are answered.
    pub fn finish(
        &mut self,
        reason: &CloseReason,
        events: &impl Publish,
        leftover: impl IntoIterator<Item = Command<R, C>>,
    ) {
        events.publish(Incoming::Disconnected(reason.clone()));
        for command in leftover {
            match command {
                Command::Send { reply, .. } => {
                    reply.reply(Err(ClientError::Closed(reason.clone())))
                }
                Command::Close { reply, .. } => self.closers.push(reply),
            }
        }
        for (_, waiter) in self.waiters.drain() {
            waiter.reply(Err(ClientError::Closed(reason.clone())));
        }
        for closer in self.closers.drain(..) {
            closer.reply(());
        }
    }
}
