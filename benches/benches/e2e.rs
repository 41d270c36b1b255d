//! End to end over loopback: events per second delivered to the
//! application by `ami-blocking`, `ami-tokio` and `ami-smol`, and by the
//! Rust peers a user would pick instead (`asterisk-rs-ami`,
//! `asterisk-manager`, `asterisk-ami`, through their own Tokio clients: see
//! `e2e/peers.rs`), from a server thread writing the benchmark corpus
//! (`gen_corpus.py --messages 200000 --seed 1`, generated in memory) as
//! fast as the socket takes it, beside the baseline: a raw `TcpStream` read
//! of the same bytes, counting message ends with `memchr::memmem`.
//!
//! Criterion's sampling of a 106 MB stream would take minutes per
//! function, so this is a plain harness: `RUNS` runs of every function
//! (interleaved, the order rotating), medians printed as a Markdown table.
//! Every run of an adapter checks that the events delivered plus those the
//! `Lost` notices report add up to the corpus's messages, and that the
//! sentinel came. The peers are not held to that: their table rows report
//! what they delivered, what their API said was lost, and whether the
//! sentinel came, and a peer's run ends at the latest after a deadline.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench cargo bench -p ami-benches --bench e2e
//! E2E_RUNS=5 E2E_MESSAGES=200000 … (defaults: 5 runs, 200 000 messages)
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use ami_benches::adapters::{self, Tally};
use ami_benches::loopback::{self, CorpusServer};

#[path = "e2e/peers.rs"]
mod peers;

/// The corpus seed, as everywhere figures are quoted.
const SEED: u64 = 1;
/// Unread events the adapters may hold: the whole corpus, so that a
/// consumer that keeps up on average never loses any.
const EVENT_BUFFER: usize = 1 << 20;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A contender's run, returning what it saw.
type Run<'a> = Box<dyn Fn() -> Result<Tally, String> + 'a>;

/// What a contender is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The raw read, and this workspace's adapters: every message is
    /// delivered or reported lost, and the sentinel comes.
    Ours,
    /// A peer: reported as it behaves.
    Peer,
}

/// Messages of the corpus (after its banner) that are events, i.e. have an
/// `Event` header (the rest are responses).
fn count_events(corpus: &[u8]) -> u64 {
    let (_, body) = loopback::split_banner(corpus);
    let mut decoder = ami_proto::Decoder::new();
    decoder.feed(body);
    let mut events = 0;
    while let Some(item) = decoder.decode() {
        if let ami_proto::Decoded::Message(m) = item
            && m.get("Event").is_some()
        {
            events += 1;
        }
    }
    events
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // and only wants the build to work: run one tiny round then.
    let bench = std::env::args().any(|a| a == "--bench");
    let messages = if bench {
        env_or("E2E_MESSAGES", 200_000)
    } else {
        2_000
    };
    let runs = if bench {
        env_or("E2E_RUNS", 5).max(1)
    } else {
        1
    };

    let corpus: Arc<[u8]> = ami_benches::generate(messages, SEED).into();
    let bytes = corpus.len();
    let events = count_events(&corpus);
    let server = CorpusServer::start(Arc::clone(&corpus)).expect("a loopback server");
    let addr = server.addr();
    let url = server.url();
    eprintln!("corpus: {messages} messages, {bytes} bytes (seed {SEED}); {runs} runs each");

    let tokio_mt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let tokio_ct = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");

    let contenders: Vec<(&str, Kind, Run<'_>)> = vec![
        (
            "raw `TcpStream` read + `memmem` (baseline)",
            Kind::Ours,
            Box::new(|| {
                let start = Instant::now();
                let (_, ends) = loopback::raw_read(addr, messages).map_err(|e| e.to_string())?;
                Ok(Tally {
                    events: ends as u64,
                    lost: 0,
                    sentinel: true,
                    elapsed: start.elapsed(),
                })
            }),
        ),
        (
            "`ami-blocking` `next_event`",
            Kind::Ours,
            Box::new(|| adapters::blocking(adapters::options(&url, EVENT_BUFFER))),
        ),
        (
            "`ami-tokio` `events().recv()`, multi-thread (2 workers)",
            Kind::Ours,
            Box::new(|| adapters::tokio(&tokio_mt, adapters::options(&url, EVENT_BUFFER))),
        ),
        (
            "`ami-tokio` `events().recv()`, current-thread",
            Kind::Ours,
            Box::new(|| adapters::tokio(&tokio_ct, adapters::options(&url, EVENT_BUFFER))),
        ),
        (
            "`ami-smol` `events().recv()`",
            Kind::Ours,
            Box::new(|| adapters::smol(adapters::options(&url, EVENT_BUFFER))),
        ),
        (
            "peer `asterisk-rs-ami` 0.8.0, `subscribe().recv()`",
            Kind::Peer,
            Box::new(|| peers::asterisk_rs_ami(addr)),
        ),
        (
            "peer `asterisk-manager` 2.1.3, `all_events_stream()`",
            Kind::Peer,
            Box::new(|| peers::asterisk_manager(addr)),
        ),
        (
            "peer `asterisk-ami` 0.1.8, `events().recv()`",
            Kind::Peer,
            Box::new(|| peers::asterisk_ami(addr)),
        ),
    ];

    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); contenders.len()];
    let mut tallies: Vec<Vec<Tally>> = vec![Vec::new(); contenders.len()];
    for run in 0..runs {
        for k in 0..contenders.len() {
            let i = (k + run) % contenders.len();
            let (name, kind, f) = &contenders[i];
            let tally = f().unwrap_or_else(|e| panic!("{name}: {e}"));
            eprintln!(
                "run {run}: {name}: {:.1} ms, delivered {}, reported lost {}, sentinel {}",
                tally.elapsed.as_secs_f64() * 1e3,
                tally.events,
                tally.lost,
                tally.sentinel
            );
            if *kind == Kind::Ours {
                assert_eq!(
                    tally.events + tally.lost,
                    messages as u64,
                    "{name}: delivered + lost must be every message"
                );
                assert!(tally.sentinel, "{name}: the sentinel never came");
            }
            times[i].push(tally.elapsed);
            tallies[i].push(tally);
        }
    }

    let median = |v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort();
        v[v.len() / 2]
    };
    let median_count = |v: &[u64]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v[v.len() / 2]
    };
    let raw = median(&times[0]).as_secs_f64();
    println!(
        "\ncorpus: {messages} messages, {events} of them events (an `Event` header), \
         {responses} responses; {runs} runs each\n",
        responses = messages as u64 - events
    );
    println!(
        "| contender | median time (min–max) | events/s | MB/s (10⁶ B) | vs raw read | delivered | reported lost | sentinel |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for (i, (name, kind, _)) in contenders.iter().enumerate() {
        let t = median(&times[i]).as_secs_f64();
        let (min, max) = (
            times[i].iter().min().unwrap().as_secs_f64(),
            times[i].iter().max().unwrap().as_secs_f64(),
        );
        let delivered: Vec<u64> = tallies[i].iter().map(|t| t.events).collect();
        let lost: Vec<u64> = tallies[i].iter().map(|t| t.lost).collect();
        let sentinels = tallies[i].iter().filter(|t| t.sentinel).count();
        let of = match kind {
            Kind::Ours => messages as u64,
            Kind::Peer => events,
        };
        println!(
            "| {name} | {:.1} ms ({:.1}–{:.1}) | {:.2} M | {:.0} | {:.0} % | {} of {of} | {} | {} |",
            t * 1e3,
            min * 1e3,
            max * 1e3,
            median_count(&delivered) as f64 / t / 1e6,
            bytes as f64 / t / 1e6,
            raw / t * 100.0,
            summarize(&delivered),
            summarize(&lost),
            if sentinels == runs {
                "every run".to_owned()
            } else {
                format!("{sentinels} of {runs} runs")
            },
        );
    }
}

/// `n` when every run saw `n`, else `min–max`.
fn summarize(v: &[u64]) -> String {
    let (min, max) = (v.iter().min().unwrap(), v.iter().max().unwrap());
    if min == max {
        min.to_string()
    } else {
        format!("{min}–{max}")
    }
}
