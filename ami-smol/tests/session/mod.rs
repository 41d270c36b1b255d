//! The smol client behind the shared test `Session`
//! (`testdata/client_tests/session.rs`).
#![allow(dead_code)] // Each test binary uses part of it.

use std::time::Duration;

use ami_proto::{Action, Response, SendOptions};
use ami_smol::{Client, ClientOptions, Error, Incoming, Subscription};
use async_io::Timer;
use futures_lite::FutureExt;

#[path = "../../../testdata/client_tests/session.rs"]
mod session_trait;
pub(crate) use session_trait::Session;

/// The client under `smol::block_on` (its connection runs on a thread of
/// its own).
pub(crate) struct Smol {
    client: Client,
    events: Subscription,
}

impl Session for Smol {
    const RUNTIME: &'static str = "smol";
    const RECONNECTS: bool = true;
    type Pending = smol::Task<Result<Response, Error>>;

    fn connect(options: ClientOptions) -> Result<Self, Error> {
        let client = smol::block_on(Client::connect_with(options))?;
        let events = client.events();
        Ok(Smol { client, events })
    }
    fn send_with(&mut self, action: Action, options: SendOptions) -> Result<Response, Error> {
        smol::block_on(self.client.send_with(action, options))
    }
    fn command(&mut self, command: &str) -> Result<Vec<String>, Error> {
        smol::block_on(self.client.command(command))
    }
    fn next(&mut self, timeout: Duration) -> Option<Incoming> {
        let events = &mut self.events;
        smol::block_on(async { events.recv().await }.or(async {
            Timer::after(timeout).await;
            None
        }))
    }
    fn start(&mut self, action: Action) -> Self::Pending {
        let client = self.client.clone();
        smol::spawn(async move { client.send(action).await })
    }
    fn finish(&mut self, pending: Self::Pending) -> Result<Response, Error> {
        smol::block_on(pending)
    }
    fn version(&self) -> Option<String> {
        self.client.version()
    }
    fn close(self) {
        smol::block_on(self.client.close());
    }
}
