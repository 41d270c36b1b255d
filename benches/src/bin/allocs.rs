//! Allocations per message: `ami_proto::Decoder` in memory over the
//! benchmark corpus, and each adapter end to end over loopback (the
//! [`CorpusServer`] of the e2e bench, which allocates nothing per message),
//! counted by `stats_alloc` as the global allocator over the whole run —
//! connection and login included, divided by the corpus's messages.
//!
//! ```text
//! cargo run --release -p ami-benches --bin allocs -- [MESSAGES]
//! ```

use std::alloc::System;
use std::sync::Arc;

use ami_benches::adapters::{self, Tally};
use ami_benches::loopback::CorpusServer;
use ami_proto::{Decoded, Decoder};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, Stats, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn decode_all(corpus: &[u8]) -> usize {
    let mut decoder = Decoder::new();
    let mut messages = 0;
    for chunk in corpus.chunks(64 * 1024) {
        decoder.feed(chunk);
        while let Some(item) = decoder.decode() {
            if let Decoded::Message(m) = item {
                messages += 1;
                std::hint::black_box(m);
            }
        }
    }
    messages
}

fn row(name: &str, stats: &Stats, messages: usize) {
    let m = messages as f64;
    println!(
        "| {name} | {:.3} | {:.3} | {:.0} |",
        stats.allocations as f64 / m,
        stats.reallocations as f64 / m,
        stats.bytes_allocated as f64 / m,
    );
}

fn main() {
    let messages: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);
    let corpus: Arc<[u8]> = ami_benches::generate(messages, 1).into();
    let server = CorpusServer::start(Arc::clone(&corpus)).expect("a loopback server");
    let url = server.url();
    let buffer = messages + 16;

    println!(
        "| what | allocations / message | reallocations / message | bytes allocated / message |"
    );
    println!("|---|---:|---:|---:|");

    let region = Region::new(GLOBAL);
    assert_eq!(decode_all(&corpus), messages);
    row(
        "`ami_proto::Decoder`, in memory, 64 KiB chunks",
        &region.change(),
        messages,
    );

    let check = |name: &str, tally: Result<Tally, String>| {
        let tally = tally.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(tally.events + tally.lost, messages as u64, "{name}");
    };

    let region = Region::new(GLOBAL);
    check(
        "blocking",
        adapters::blocking(adapters::options(&url, buffer)),
    );
    row(
        "`ami-blocking`, loopback, end to end",
        &region.change(),
        messages,
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let region = Region::new(GLOBAL);
    check(
        "tokio",
        adapters::tokio(&runtime, adapters::options(&url, buffer)),
    );
    row(
        "`ami-tokio` (multi-thread), loopback, end to end",
        &region.change(),
        messages,
    );

    let region = Region::new(GLOBAL);
    check("smol", adapters::smol(adapters::options(&url, buffer)));
    row(
        "`ami-smol`, loopback, end to end",
        &region.change(),
        messages,
    );
}
