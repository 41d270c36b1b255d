//! The blocking client behind the shared test `Session`
//! (`testdata/client_tests/session.rs`).
#![allow(dead_code)] // Each test binary uses part of it.

use std::time::Duration;

use ami_blocking::{Client, ClientOptions, Error, Incoming};
use ami_proto::{Action, Response, SendOptions};

#[path = "../../../testdata/client_tests/session.rs"]
mod session_trait;
pub(crate) use session_trait::Session;

pub(crate) struct Blocking(Client);

impl Session for Blocking {
    const RUNTIME: &'static str = "blocking";
    const RECONNECTS: bool = false;
    type Pending = String;

    fn connect(options: ClientOptions) -> Result<Self, Error> {
        Client::connect_with(options).map(Blocking)
    }
    fn send_with(&mut self, action: Action, options: SendOptions) -> Result<Response, Error> {
        self.0.action_with(action, options)
    }
    fn command(&mut self, command: &str) -> Result<Vec<String>, Error> {
        self.0.command(command)
    }
    fn next(&mut self, timeout: Duration) -> Option<Incoming> {
        match self.0.next_event(timeout) {
            Ok(incoming) => incoming,
            Err(Error::Closed(reason)) => {
                // Let the caller see the drop the way the async clients
                // report it, then wait out the rest of the time.
                Some(Incoming::Disconnected(reason))
            }
            Err(e) => panic!("blocking: next_event: {e}"),
        }
    }
    fn start(&mut self, action: Action) -> String {
        self.0.send_action(action).expect("sent")
    }
    fn finish(&mut self, id: String) -> Result<Response, Error> {
        self.0.response(&id, Duration::from_secs(60))
    }
    fn version(&self) -> Option<String> {
        self.0.version()
    }
    fn close(self) {
        let _ = self.0.disconnect();
    }
}
