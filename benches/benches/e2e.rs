//! End to end over loopback: events per second delivered to the
//! application by `ami-blocking`, `ami-tokio` and `ami-smol`, from a server
//! thread writing the benchmark corpus (`gen_corpus.py --messages 200000
//! --seed 1`, generated in memory) as fast as the socket takes it, beside
//! the baseline: a raw `TcpStream` read of the same bytes, counting message
//! ends with `memchr::memmem`.
//!
//! Criterion's sampling of a 106 MB stream would take minutes per
//! function, so this is a plain harness: `RUNS` runs of every function
//! (interleaved, the order rotating), medians printed as a Markdown table.
//! Every run checks that the events delivered plus those the `Lost` notices
//! report add up to the corpus's messages.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench cargo bench -p ami-benches --bench e2e
//! E2E_RUNS=5 E2E_MESSAGES=200000 … (defaults: 5 runs, 200 000 messages)
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use ami_benches::adapters::{self, Tally};
use ami_benches::loopback::{self, CorpusServer};

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

/// One contender: a name and a run that returns what it saw.
type Run<'a> = Box<dyn Fn() -> Result<Tally, String> + 'a>;

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

    let contenders: Vec<(&str, Run<'_>)> = vec![
        (
            "raw `TcpStream` read + `memmem` (baseline)",
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
            Box::new(|| adapters::blocking(adapters::options(&url, EVENT_BUFFER))),
        ),
        (
            "`ami-tokio` `events().recv()`, multi-thread (2 workers)",
            Box::new(|| adapters::tokio(&tokio_mt, adapters::options(&url, EVENT_BUFFER))),
        ),
        (
            "`ami-tokio` `events().recv()`, current-thread",
            Box::new(|| adapters::tokio(&tokio_ct, adapters::options(&url, EVENT_BUFFER))),
        ),
        (
            "`ami-smol` `events().recv()`",
            Box::new(|| adapters::smol(adapters::options(&url, EVENT_BUFFER))),
        ),
    ];

    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); contenders.len()];
    let mut tallies: Vec<Vec<Tally>> = vec![Vec::new(); contenders.len()];
    for run in 0..runs {
        for k in 0..contenders.len() {
            let i = (k + run) % contenders.len();
            let (name, f) = &contenders[i];
            eprintln!("run {run}: {name}");
            let tally = f().unwrap_or_else(|e| panic!("{name}: {e}"));
            let elapsed = tally.elapsed;
            assert_eq!(
                tally.events + tally.lost,
                messages as u64,
                "{name}: delivered + lost must be every message"
            );
            assert!(tally.sentinel, "{name}: the sentinel never came");
            times[i].push(elapsed);
            tallies[i].push(tally);
        }
    }

    let median = |v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort();
        v[v.len() / 2]
    };
    let raw = median(&times[0]).as_secs_f64();
    println!(
        "\n| contender | median time | events/s | MB/s (10⁶ B) | vs raw read | delivered | lost | delivered + lost |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for (i, (name, _)) in contenders.iter().enumerate() {
        let t = median(&times[i]).as_secs_f64();
        let (min, max) = (
            times[i].iter().min().unwrap().as_secs_f64(),
            times[i].iter().max().unwrap().as_secs_f64(),
        );
        let delivered: Vec<u64> = tallies[i].iter().map(|t| t.events).collect();
        let lost: Vec<u64> = tallies[i].iter().map(|t| t.lost).collect();
        println!(
            "| {name} | {:.1} ms ({:.1}–{:.1}) | {:.2} M | {:.0} | {:.0} % | {} | {} | = {messages} in every run |",
            t * 1e3,
            min * 1e3,
            max * 1e3,
            messages as f64 / t / 1e6,
            bytes as f64 / t / 1e6,
            raw / t * 100.0,
            summarize(&delivered),
            summarize(&lost),
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
