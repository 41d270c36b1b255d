//! Steady-state decoding costs no allocation per message: the buffer is
//! read in 64 KiB chunks, messages are zero-copy slices of it whose lines
//! are read when asked for, and the decoder's scratch space is reused. Only
//! a legacy `Command` answer owns a line table (one allocation), and the
//! buffer is replaced now and then, a small fraction of an allocation per
//! message.
//!
//! This is its own test binary because it counts every allocation of the
//! process through a counting global allocator (`stats_alloc`); a single
//! test keeps other tests' allocations out of the count.

mod common;

use std::alloc::System;

use ami_proto::{Decoded, Decoder, Message};
use common::{capture, capture_names};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CHUNK: usize = 64 * 1024;

/// The server side of every capture, banner lines removed, repeated until
/// the stream holds at least `min_messages` messages. Returns the stream
/// and its message count.
fn realistic_stream(min_messages: usize) -> (Vec<u8>, usize) {
    let mut once = Vec::new();
    for name in capture_names().iter().filter(|n| n.ends_with(".bin")) {
        let bytes = capture(name);
        let body = match bytes.strip_prefix(b"Asterisk Call Manager/") {
            Some(rest) => &rest[rest.iter().position(|&b| b == b'\n').unwrap() + 1..],
            None => &bytes[..],
        };
        once.extend_from_slice(body);
    }
    let per_copy = count_messages(&once);
    let copies = min_messages.div_ceil(per_copy);
    (once.repeat(copies), per_copy * copies)
}

fn count_messages(bytes: &[u8]) -> usize {
    let mut d = Decoder::new();
    d.feed(bytes);
    let mut n = 0;
    while let Some(item) = d.decode() {
        assert!(matches!(item, Decoded::Message(_)), "{item:?}");
        n += 1;
    }
    assert_eq!(d.buffered_len(), 0);
    n
}

/// Feeds `stream` in 64 KiB chunks; `consume` sees every message.
fn decode_stream(decoder: &mut Decoder, stream: &[u8], mut consume: impl FnMut(Message)) -> usize {
    let mut n = 0;
    for chunk in stream.chunks(CHUNK) {
        decoder.feed(chunk);
        while let Some(item) = decoder.decode() {
            match item {
                Decoded::Message(m) => {
                    consume(m);
                    n += 1;
                }
                other => panic!("{other:?}"),
            }
        }
    }
    n
}

#[test]
fn at_most_one_allocation_per_message() {
    let (stream, expected) = realistic_stream(5_000);
    assert!(stream.len() > 4 * CHUNK, "{} bytes", stream.len());

    // A consumer that looks at each message and drops it, as an event loop
    // dispatching responses and events does.
    let mut decoder = Decoder::new();
    let mut seen_ids = 0usize;
    let mut legacy = 0usize;
    let mut handle = |m: Message| {
        if m.action_id().is_some() {
            seen_ids += 1;
        }
        if m.is_legacy_command() {
            legacy += 1;
        }
        std::hint::black_box(m.get("Response"));
        std::hint::black_box(m.headers().count());
    };
    // Warm-up: the buffer and the scratch line table reach their size.
    assert_eq!(decode_stream(&mut decoder, &stream, &mut handle), expected);
    let region = Region::new(GLOBAL);
    let n = decode_stream(&mut decoder, &stream, &mut handle);
    let stats = region.change();
    assert_eq!(n, expected);
    assert!(seen_ids > n / 2);
    let per_message = (stats.allocations + stats.reallocations) as f64 / n as f64;
    println!(
        "dropping consumer: {n} messages, {} bytes, {} allocations + {} reallocations \
         = {per_message:.4} per message",
        stream.len(),
        stats.allocations,
        stats.reallocations
    );
    assert!(
        per_message <= 0.05,
        "{per_message:.4} allocations per message: {stats:?}"
    );
    // The legacy answers own their tables: the count sees them, so it is
    // not a counter that sees nothing.
    let legacy_per_pass = legacy / 2;
    assert!(legacy_per_pass > 0);
    assert!(stats.allocations >= legacy_per_pass, "{stats:?}");

    // A consumer that keeps every message alive (a list collected whole):
    // the buffers they share cannot be reused, so new ones are allocated
    // every 64 KiB, a small fraction per message.
    let mut decoder = Decoder::new();
    let mut kept: Vec<Message> = Vec::with_capacity(2 * expected);
    decode_stream(&mut decoder, &stream, |m| kept.push(m));
    let region = Region::new(GLOBAL);
    let n = decode_stream(&mut decoder, &stream, |m| kept.push(m));
    let stats = region.change();
    assert_eq!(n, expected);
    let per_message_kept = (stats.allocations + stats.reallocations) as f64 / n as f64;
    println!(
        "keeping consumer: {n} messages, {} allocations + {} reallocations \
         = {per_message_kept:.4} per message",
        stats.allocations, stats.reallocations
    );
    assert!(
        per_message_kept <= 0.1,
        "{per_message_kept:.4} allocations per message: {stats:?}"
    );
    // Every kept message is intact.
    assert_eq!(kept.len(), 2 * expected);
    assert_eq!(kept[0].as_bytes(), kept[expected].as_bytes());
    assert_eq!(kept[expected - 1], kept[2 * expected - 1]);
}
