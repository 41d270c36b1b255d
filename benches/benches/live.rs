//! Events per second through the live model (`ami_live::Live::apply`),
//! beside decoding alone, on two workloads: the generated bench corpus
//! (`gen_corpus.py --messages 200000 --seed 1`: random events, mostly of
//! kinds the model does not read) and a PBX's life (ami-testkit's simulated
//! PBX, seed 1, 300 000 events: calls that start, ring, bridge, queue, park,
//! conference and end, every event one the model reads or a sibling of
//! one). The other benches' real-stream workload is made of list answers,
//! which the model takes through its sync, not `apply`.
//!
//! Rows, per workload (all messages/s, `Throughput::Elements`):
//! * `decode`: the decoder alone, fed 64 KiB chunks (the baseline);
//! * `decode_apply`: the same, each message applied to a [`Live`] that
//!   records changes (what a `changes()` consumer gets);
//! * `decode_apply_no_changes`: the same without recording changes (a
//!   reader of the state alone);
//! * `apply_only`: the messages decoded beforehand, only `apply` timed.
//!
//! ```text
//! CARGO_TARGET_DIR=target/bench cargo bench -p ami-benches --bench live
//! ```

use std::hint::black_box;
use std::time::Duration;

use ami_live::Live;
use ami_proto::{Decoded, Decoder, Message};
use criterion::{Criterion, SamplingMode, Throughput};

const CHUNK: usize = 64 * 1024;

fn decode(workload: &[u8], mut each: impl FnMut(&Message)) -> usize {
    let mut decoder = Decoder::new();
    let mut n = 0;
    for chunk in workload.chunks(CHUNK) {
        decoder.feed(chunk);
        while let Some(item) = decoder.decode() {
            if let Decoded::Message(m) = &item {
                n += 1;
                each(m);
            }
        }
    }
    n
}

fn bench_workload(c: &mut Criterion, name: &str, workload: &[u8]) {
    let messages = decode(workload, |_| {});
    let mut decoded = Vec::with_capacity(messages);
    decode(workload, |m| decoded.push(m.clone()));
    // What the model holds at the end: it follows the live objects only.
    let mut live = Live::new();
    for m in &decoded {
        live.apply(m);
        while live.poll_change().is_some() {}
    }
    let s = live.state();
    eprintln!(
        "{name}: {messages} messages, {} bytes; model at the end: {} channels, {} bridges, {} queues; stats {:?}",
        workload.len(),
        s.channels().count(),
        s.bridges().count(),
        s.queues().count(),
        (
            live.stats().applied,
            live.stats().ignored,
            live.stats().unknown_object,
            live.stats().malformed
        ),
    );

    let mut group = c.benchmark_group(format!("live_{name}"));
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6))
        .throughput(Throughput::Elements(messages as u64));
    group.bench_function("decode", |b| {
        b.iter(|| {
            decode(workload, |m| {
                black_box(m);
            })
        });
    });
    group.bench_function("decode_apply", |b| {
        b.iter(|| {
            let mut live = Live::new();
            let n = decode(workload, |m| {
                live.apply(m);
                while let Some(change) = live.poll_change() {
                    black_box(change);
                }
            });
            black_box(live);
            n
        });
    });
    group.bench_function("decode_apply_no_changes", |b| {
        b.iter(|| {
            let mut live = Live::new();
            live.record_changes(false);
            let n = decode(workload, |m| live.apply(m));
            black_box(live);
            n
        });
    });
    group.bench_function("apply_only", |b| {
        b.iter(|| {
            let mut live = Live::new();
            for m in &decoded {
                live.apply(m);
                while let Some(change) = live.poll_change() {
                    black_box(change);
                }
            }
            black_box(live);
        });
    });
    group.finish();
}

/// `events` events of the simulated PBX, from its start.
fn pbx_life(events: usize) -> Vec<u8> {
    let mut sim = ami_testkit::sim::Sim::new(1);
    let mut out = b"Asterisk Call Manager/11.0.0\r\n".to_vec();
    let mut n = 0;
    let mut step = 0u64;
    while n < events {
        let mut bytes = sim.step();
        step += 1;
        if step.is_multiple_of(8) {
            sim.advance(2);
            bytes.extend(sim.take_events());
        }
        n += memchr::memmem::find_iter(&bytes, b"\r\n\r\n").count();
        out.extend(bytes);
    }
    out
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let corpus = ami_benches::generate(200_000, 1);
    bench_workload(&mut criterion, "corpus", &corpus);
    drop(corpus);
    let pbx = pbx_life(300_000);
    bench_workload(&mut criterion, "pbx_life", &pbx);
    criterion.final_summary();
}
