//! The tokio client behind the shared test `Session`
//! (`testdata/client_tests/session.rs`).
#![allow(dead_code)] // Each test binary uses part of it.

use std::time::Duration;

use ami_proto::{Action, Response, SendOptions};
use ami_tokio::{Client, ClientOptions, Error, Incoming, Subscription};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

#[path = "../../../testdata/client_tests/session.rs"]
mod session_trait;
pub(crate) use session_trait::Session;

/// The client on a runtime of its own, whose worker drives the connection
/// while the test thread waits.
pub(crate) struct Tokio {
    runtime: Runtime,
    client: Client,
    events: Subscription,
}

impl Session for Tokio {
    const RUNTIME: &'static str = "tokio";
    const RECONNECTS: bool = true;
    type Pending = JoinHandle<Result<Response, Error>>;

    fn connect(options: ClientOptions) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a Tokio runtime");
        let client = runtime.block_on(Client::connect_with(options))?;
        let events = client.events();
        Ok(Tokio {
            runtime,
            client,
            events,
        })
    }
    fn send_with(&mut self, action: Action, options: SendOptions) -> Result<Response, Error> {
        self.runtime
            .block_on(self.client.send_with(action, options))
    }
    fn command(&mut self, command: &str) -> Result<Vec<String>, Error> {
        self.runtime.block_on(self.client.command(command))
    }
    fn next(&mut self, timeout: Duration) -> Option<Incoming> {
        let events = &mut self.events;
        self.runtime
            .block_on(async { tokio::time::timeout(timeout, events.recv()).await })
            .ok()
            .flatten()
    }
    fn start(&mut self, action: Action) -> Self::Pending {
        let client = self.client.clone();
        self.runtime.spawn(async move { client.send(action).await })
    }
    fn finish(&mut self, pending: Self::Pending) -> Result<Response, Error> {
        self.runtime.block_on(pending).expect("the task ran")
    }
    fn version(&self) -> Option<String> {
        self.client.version()
    }
    fn close(self) {
        self.runtime.block_on(self.client.close());
    }
}
