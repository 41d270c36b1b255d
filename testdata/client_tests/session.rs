//! One runtime's client behind one synchronous interface, so that test
//! scenarios (`testdata/real_asterisk/scenarios.rs`,
//! `testdata/client_tests/hostile.rs`) are written once for the blocking,
//! Tokio and smol clients. Each crate implements it in `tests/session/`.

use std::time::Duration;

use ami_client::{ClientError, ClientOptions, Incoming};
use ami_proto::{Action, Response, SendOptions};

/// One runtime's client, driven synchronously.
pub(crate) trait Session: Sized {
    /// `blocking`, `tokio` or `smol`: part of every id a test makes.
    const RUNTIME: &'static str;
    /// Whether the client reconnects by itself (the async ones).
    const RECONNECTS: bool;
    /// An action started and not yet waited for.
    type Pending;

    fn connect(options: ClientOptions) -> Result<Self, ClientError>;
    fn send_with(&mut self, action: Action, options: SendOptions) -> Result<Response, ClientError>;
    fn command(&mut self, command: &str) -> Result<Vec<String>, ClientError>;
    /// The next event (or notice), or `None` after `timeout`.
    fn next(&mut self, timeout: Duration) -> Option<Incoming>;
    /// Sends `action` without waiting for its outcome.
    fn start(&mut self, action: Action) -> Self::Pending;
    /// Waits for the outcome of [`start`](Self::start).
    fn finish(&mut self, pending: Self::Pending) -> Result<Response, ClientError>;
    fn version(&self) -> Option<String>;
    fn close(self);

    fn send(&mut self, action: Action) -> Result<Response, ClientError> {
        self.send_with(action, SendOptions::default())
    }
}
