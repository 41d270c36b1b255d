//! What every thread of a server shares: its settings, the sessions and
//! threads it started, what clients sent, the handlers and CLI outputs,
//! the PBX, the fault modes and the timer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ami_proto::{Message, ServerMessage};

use crate::fault::{Fault, FaultModes};
use crate::pbx::Pbx;
use crate::reply::Handler;
use crate::scheduler::Scheduler;
use crate::session::Session;
use crate::settings::Settings;
use crate::sync::lock;
use crate::wire::{decode_all, decode_server_message};

/// Mutable state behind one lock, watched by the `wait_*` methods.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) received: Vec<Message>,
    pub(crate) sessions: Vec<Arc<Session>>,
    pub(crate) threads: Vec<JoinHandle<()>>,
    pub(crate) pending_faults: Vec<Fault>,
    pub(crate) stopped: bool,
}

/// What every thread of the server shares.
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    pub(crate) addr: SocketAddr,
    pub(crate) shutdown: AtomicBool,
    pub(crate) state: Mutex<State>,
    pub(crate) changed: Condvar,
    pub(crate) handlers: RwLock<HashMap<String, Handler>>,
    pub(crate) commands: RwLock<HashMap<String, String>>,
    pub(crate) pbx: Mutex<Pbx>,
    pub(crate) faults: FaultModes,
    pub(crate) scheduler: Scheduler,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::Identity>,
}

impl Shared {
    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Wakes the `wait_*` methods.
    pub(crate) fn notify(&self) {
        let _state = lock(&self.state);
        self.changed.notify_all();
    }

    /// Records a message received from a client.
    pub(crate) fn record(&self, message: Message) {
        lock(&self.state).received.push(message);
        self.changed.notify_all();
    }

    pub(crate) fn handler(&self, name: &str) -> Option<Handler> {
        self.handlers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    pub(crate) fn command_output(&self, command: &str) -> Option<String> {
        self.commands
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(command)
            .cloned()
    }

    pub(crate) fn take_pending_faults(&self) -> Vec<Fault> {
        std::mem::take(&mut lock(&self.state).pending_faults)
    }

    pub(crate) fn live_sessions(&self) -> Vec<Arc<Session>> {
        let mut state = lock(&self.state);
        state.sessions.retain(|s| !s.is_closed());
        state.sessions.clone()
    }

    /// Sends an event to every logged-in session whose event mask admits
    /// it; returns how many.
    pub(crate) fn broadcast(&self, event: &ServerMessage) -> usize {
        match decode_server_message(event) {
            Some(message) => self.broadcast_message(&message),
            None => 0,
        }
    }

    /// Sends every event encoded in `bytes` as [`broadcast`](Self::broadcast) does.
    pub(crate) fn broadcast_bytes(&self, bytes: &[u8]) {
        for message in decode_all(bytes) {
            self.broadcast_message(&message);
        }
    }

    fn broadcast_message(&self, message: &Message) -> usize {
        let mut count = 0;
        for session in self.live_sessions() {
            let admitted = {
                let status = lock(&session.status);
                status.logged_in && status.filter.admits(message) && status.passes_filters(message)
            };
            if admitted {
                session.send(message.as_bytes().clone());
                count += 1;
            }
        }
        count
    }

    /// Sleeps `delay`, or less if the server shuts down.
    pub(crate) fn sleep(&self, delay: Duration) {
        let deadline = Instant::now() + delay;
        let mut state = lock(&self.state);
        while !state.stopped {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// Waits until `f` gives a value, or `timeout` passes.
    pub(crate) fn wait_until<T>(
        &self,
        timeout: Duration,
        mut f: impl FnMut(&mut State) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut state = lock(&self.state);
        loop {
            if let Some(value) = f(&mut state) {
                return Some(value);
            }
            let now = Instant::now();
            if now >= deadline || state.stopped {
                return None;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }
}
