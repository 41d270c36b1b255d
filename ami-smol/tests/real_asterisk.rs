//! The smol client against a real Asterisk (`AMI_TEST_URL`); see
//! `testdata/real_asterisk/scenarios.rs`. Skipped without it.

use std::time::Duration;

use ami_proto::{Action, Response, SendOptions};
use ami_smol::{Client, ClientOptions, Error, Incoming, Subscription};
use async_io::Timer;
use futures_lite::FutureExt;

#[macro_use]
#[path = "../../testdata/real_asterisk/scenarios.rs"]
mod scenarios;

/// The client under `smol::block_on` (its connection runs on a thread of
/// its own).
struct Smol {
    client: Client,
    events: Subscription,
}

impl scenarios::Session for Smol {
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

real_asterisk_tests!(Smol);
