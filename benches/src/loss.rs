//! Loss at the default settings: the consumer of `src/bin/loss_runs.rs`.
//!
//! Unlike the end-to-end bench (which gives the adapters an event buffer
//! of 2²⁰), the clients here keep **every default** of
//! [`ClientOptions::new`]: whatever event buffer and overflow policy the
//! library ships is what is measured. The consumer keeps up on average: it
//! takes every item, looks at one header of every event (counts the events
//! that have a `Channel` header, a lookup past the first line), and counts
//! the [`Incoming::Lost`] notices.

use std::time::{Duration, Instant};

use ami_client::{ClientOptions, Incoming};

use crate::adapters::{Consumer, is_sentinel};

/// What the consumer saw in one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    /// Events handed to the application (the sentinel included).
    pub events: u64,
    /// Events with a `Channel` header: the one header the consumer reads.
    pub with_channel: u64,
    /// Events reported dropped by `Incoming::Lost`.
    pub lost: u64,
    /// How many `Incoming::Lost` notices came.
    pub lost_notices: u64,
    /// Whether the `PerfEnd` sentinel was delivered.
    pub sentinel: bool,
    /// From before the connect to the sentinel.
    pub elapsed: Duration,
}

impl Consumer for Seen {
    fn add(&mut self, incoming: &Incoming, start: Instant) -> bool {
        match incoming {
            Incoming::Event(m) => {
                self.events += 1;
                if m.get("Channel").is_some() {
                    self.with_channel += 1;
                }
                if is_sentinel(m) {
                    self.sentinel = true;
                    self.elapsed = start.elapsed();
                }
            }
            Incoming::Lost(n) => {
                self.lost += n;
                self.lost_notices += 1;
            }
            _ => {}
        }
        self.sentinel
    }
}

/// The client options of every run: the defaults, and the URL's
/// credentials. Nothing else.
///
/// # Panics
/// If `url` is not an AMI address.
#[must_use]
pub fn default_options(url: &str) -> ClientOptions {
    ClientOptions::new(url).expect("a valid URL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_events_headers_and_losses() {
        let mut decoder = ami_proto::Decoder::new();
        decoder.feed(
            b"Event: Hangup\r\nChannel: Local/100@default-1;1\r\n\r\n\
              Event: FullyBooted\r\n\r\n\
              Event: UserEvent\r\nUserEvent: PerfEnd\r\n\r\n",
        );
        let mut events = Vec::new();
        while let Some(ami_proto::Decoded::Message(m)) = decoder.decode() {
            events.push(Incoming::Event(m));
        }
        let start = Instant::now();
        let mut seen = Seen::default();
        assert!(!seen.add(&events[0], start));
        assert!(!seen.add(&Incoming::Lost(7), start));
        assert!(!seen.add(&events[1], start));
        assert!(seen.add(&events[2], start));
        assert_eq!(
            (seen.events, seen.with_channel, seen.lost, seen.lost_notices),
            (3, 1, 7, 1)
        );
        assert!(seen.sentinel);
    }
}
