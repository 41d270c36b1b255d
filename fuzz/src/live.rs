//! The `live` target: the live model (`ami_live::Live`) under a script of
//! events, syncs, list answers, failures, disconnects and clock steps.
//!
//! Input layout: segments separated by [`SEP`] (`\xff\xfe`); each segment
//! is an op byte and a payload:
//!
//! | op % 6 | does |
//! |---|---|
//! | 0 | decode the payload, `apply` every message |
//! | 1 | `start_sync`; its requests wait for answers |
//! | 2 | answer the oldest waiting request with the payload: its first message is the response (any, error answers included), the rest the list's entries |
//! | 3 | `sync_failed` on the oldest waiting request |
//! | 4 | `disconnected` (the waiting requests stay: their answers must be ignored) |
//! | 5 | `set_now` to the payload's first 8 bytes |
//!
//! After every op: no panic; `State::check` holds (channels, calls,
//! bridges, names, queue positions, keys agree); the stats add up (every
//! event applied, ignored, about an unknown object or malformed); nothing
//! is kept for a removed object.

use std::collections::VecDeque;

use ami_live::{Live, SyncRequest};
use ami_proto::{Decoded, Decoder, Message, Response};

/// Separates the segments of the input.
pub const SEP: &[u8] = b"\xff\xfe";

fn messages(bytes: &[u8]) -> Vec<Message> {
    let mut d = Decoder::new();
    d.feed(bytes);
    let mut out = Vec::new();
    while let Some(item) = d.decode() {
        if let Decoded::Message(m) = item {
            out.push(m);
        }
    }
    if let Some(Decoded::Message(m)) = d.finish() {
        out.push(m);
    }
    out
}

/// The segments of an input.
#[must_use]
pub fn split_segments(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(i) = memchr_sep(rest) {
        out.push(&rest[..i]);
        rest = &rest[i + SEP.len()..];
    }
    out.push(rest);
    out
}

fn memchr_sep(hay: &[u8]) -> Option<usize> {
    hay.windows(SEP.len()).position(|w| w == SEP)
}

/// The target body.
///
/// # Panics
/// On a finding.
pub fn live(data: &[u8]) {
    let mut live = Live::new();
    let mut waiting: VecDeque<SyncRequest> = VecDeque::new();
    for segment in split_segments(data) {
        let Some((&op, payload)) = segment.split_first() else {
            continue;
        };
        match op % 6 {
            0 => {
                for m in messages(payload) {
                    live.apply(&m);
                }
            }
            1 => waiting.extend(live.start_sync()),
            2 => {
                if let Some(request) = waiting.pop_front() {
                    let mut all = messages(payload).into_iter();
                    if let Some(head) = all.next() {
                        let entries: Vec<Message> = all.collect();
                        let response = Response::from_parts(head, entries, None);
                        waiting.extend(live.sync_response(&request, &response));
                    }
                }
            }
            3 => {
                if let Some(request) = waiting.pop_front() {
                    live.sync_failed(&request);
                }
            }
            4 => live.disconnected(),
            _ => {
                let mut secs = [0u8; 8];
                let n = payload.len().min(8);
                secs[..n].copy_from_slice(&payload[..n]);
                live.set_now(i64::from_le_bytes(secs) >> 16);
            }
        }
        if let Err(e) = live.state().check() {
            panic!("inconsistent model: {e}");
        }
        let s = live.stats();
        assert_eq!(
            s.events,
            s.applied + s.ignored + s.unknown_object + s.malformed,
            "stats do not add up: {s:?}"
        );
        // Changes are taken as they come, like a consumer would.
        while live.poll_change().is_some() {}
        assert_eq!(live.pending_changes(), 0);
    }
}
