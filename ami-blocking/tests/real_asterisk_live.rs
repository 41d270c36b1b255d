//! The blocking live model against a real Asterisk (`AMI_TEST_URL`); see
//! `testdata/real_asterisk/live_scenarios.rs`. Skipped without it.

use std::time::Duration;

use ami_blocking::{Client, ClientOptions, Error, Live};
use ami_live::State;
use ami_proto::{Action, Response};

#[macro_use]
#[path = "../../testdata/real_asterisk/live_scenarios.rs"]
mod live_scenarios;

use live_scenarios::{LiveSession, Tracked};

struct Blocking {
    live: Live,
}

impl LiveSession for Blocking {
    const RUNTIME: &'static str = "blocking";
    const RECONNECTS: bool = false;

    fn connect(options: ClientOptions) -> Result<Self, Error> {
        Ok(Self {
            live: Live::start(Client::connect_with(options)?)?,
        })
    }

    fn with_state<T>(&mut self, f: impl FnOnce(&State) -> T) -> T {
        // What came meanwhile first.
        let _ = self.live.wait_for(|_| false, Duration::from_millis(50));
        f(self.live.state())
    }

    fn wait_for(&mut self, condition: impl FnMut(&State) -> bool, timeout: Duration) -> bool {
        self.live.wait_for(condition, timeout).unwrap_or(false)
    }

    fn originate(&mut self, action: Action) -> Tracked {
        let o = self.live.originate(action).expect("originates");
        Tracked {
            id: o.channel_id,
            other: o.other_channel_id,
            outcome: o.outcome,
            channels: o.channels,
        }
    }

    fn send(&mut self, action: Action) -> Result<Response, Error> {
        self.live.client().action(action)
    }

    fn command(&mut self, command: &str) -> Vec<String> {
        self.live
            .client()
            .command(command)
            .expect("the command runs")
    }

    fn missing_events(&self) -> Vec<&'static str> {
        self.live.missing_events().to_vec()
    }

    fn close(self) {
        let _ = self.live.into_client().disconnect();
    }
}

live_tests!(Blocking);
