//! The Tokio live handle against a real Asterisk (`AMI_TEST_URL`); see
//! `testdata/real_asterisk/live_scenarios.rs`. Skipped without it.

use std::time::Duration;

use ami_live::State;
use ami_proto::{Action, Response};
use ami_tokio::{Client, ClientOptions, Error, Live};

#[macro_use]
#[path = "../../testdata/real_asterisk/live_scenarios.rs"]
mod live_scenarios;

use live_scenarios::{LiveSession, Tracked};

struct Tokio {
    runtime: tokio::runtime::Runtime,
    client: Client,
    live: Live,
}

impl LiveSession for Tokio {
    const RUNTIME: &'static str = "tokio";
    const RECONNECTS: bool = true;

    fn connect(options: ClientOptions) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let client = runtime.block_on(Client::connect_with(options))?;
        let live = runtime.block_on(async { client.live() })?;
        Ok(Self {
            runtime,
            client,
            live,
        })
    }

    fn with_state<T>(&mut self, f: impl FnOnce(&State) -> T) -> T {
        self.live.with_state(f)
    }

    fn wait_for(&mut self, condition: impl FnMut(&State) -> bool, timeout: Duration) -> bool {
        self.runtime
            .block_on(self.live.wait_for(condition, timeout))
            .is_ok()
    }

    fn originate(&mut self, action: Action) -> Tracked {
        let mut call = self.live.originate(action).expect("the live task runs");
        let outcome = self.runtime.block_on(call.outcome());
        Tracked {
            id: call.channel_id().to_owned(),
            other: call.other_channel_id().to_owned(),
            outcome,
            channels: call.channels().to_vec(),
        }
    }

    fn send(&mut self, action: Action) -> Result<Response, Error> {
        self.runtime.block_on(self.client.send(action))
    }

    fn command(&mut self, command: &str) -> Vec<String> {
        self.runtime
            .block_on(self.client.command(command))
            .expect("the command runs")
    }

    fn missing_events(&self) -> Vec<&'static str> {
        self.live.missing_events().to_vec()
    }

    fn close(self) {
        self.runtime.block_on(self.client.close());
    }
}

live_tests!(Tokio);
