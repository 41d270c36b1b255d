//! The smol live handle against a real Asterisk (`AMI_TEST_URL`); see
//! `testdata/real_asterisk/live_scenarios.rs`. Skipped without it.

use std::time::Duration;

use ami_live::State;
use ami_proto::{Action, Response};
use ami_smol::{Client, ClientOptions, Error, Live};

#[macro_use]
#[path = "../../testdata/real_asterisk/live_scenarios.rs"]
mod live_scenarios;

use live_scenarios::{LiveSession, Tracked};

struct Smol {
    client: Client,
    live: Live,
}

impl LiveSession for Smol {
    const RUNTIME: &'static str = "smol";
    const RECONNECTS: bool = true;

    fn connect(options: ClientOptions) -> Result<Self, Error> {
        let client = smol::block_on(Client::connect_with(options))?;
        let live = client.live()?;
        Ok(Self { client, live })
    }

    fn with_state<T>(&mut self, f: impl FnOnce(&State) -> T) -> T {
        self.live.with_state(f)
    }

    fn wait_for(&mut self, condition: impl FnMut(&State) -> bool, timeout: Duration) -> bool {
        smol::block_on(self.live.wait_for(condition, timeout)).is_ok()
    }

    fn originate(&mut self, action: Action) -> Tracked {
        let mut call = self.live.originate(action).expect("the live task runs");
        let outcome = smol::block_on(call.outcome());
        Tracked {
            id: call.channel_id().to_owned(),
            other: call.other_channel_id().to_owned(),
            outcome,
            channels: call.channels().to_vec(),
        }
    }

    fn send(&mut self, action: Action) -> Result<Response, Error> {
        smol::block_on(self.client.send(action))
    }

    fn command(&mut self, command: &str) -> Vec<String> {
        smol::block_on(self.client.command(command)).expect("the command runs")
    }

    fn missing_events(&self) -> Vec<&'static str> {
        self.live.missing_events().to_vec()
    }

    fn close(self) {
        smol::block_on(self.client.close());
    }
}

live_tests!(Smol);
