//! Events lost at the default settings, and throughput, on both workloads.
//!
//! For each workload — the generated corpus (`gen_corpus.py --messages
//! 200000 --seed 1`, in memory) and the real stream (the `Event` messages
//! of real Asterisk captures repeated to 100 MB, `src/real_stream.rs`) — a
//! loopback server (`src/loopback.rs`) writes the whole workload as fast as
//! the socket takes it right after the login, to each client in turn:
//! `ami-blocking`, `ami-tokio` on a current-thread runtime, `ami-tokio` on
//! a multi-thread runtime with 2 workers (what `#[tokio::main]` gives on 2
//! cores: the consumer runs in `block_on`, the client's tasks on the
//! workers), and `ami-smol`; and to the baseline, a raw `TcpStream` read of
//! the same bytes. Every client keeps **all of its default options**
//! (`ClientOptions::new(url)`), and the consumer keeps up on average: it
//! takes every event, reads one header of each, and counts the
//! `Incoming::Lost` notices (`src/loss.rs`).
//!
//! Runs interleave (run 1 of every contender, then run 2, …, the order
//! rotating), since the cores are shared. Per workload, a Markdown table:
//! losses (total, in how many runs, each losing run's count), whether
//! delivered + lost = sent in every run, median messages/s (min..max), the
//! ratio of medians to the raw read's, and the median over runs of the
//! ratio to the raw read of the same run.
//!
//! ```text
//! CARGO_TARGET_DIR=target/bench cargo run --release -p ami-benches --bin loss_runs -- \
//!     [--runs 20] [--workload corpus|real|both] [--messages 200000] [--real-bytes 100000000] \
//!     [--client raw|blocking|tokio-ct|tokio-mt|smol]...
//! ```
//!
//! `--client` (repeated) runs only those contenders, for a profiler or
//! `perf stat`; their rows still need the raw read's for the ratios.

use std::sync::Arc;
use std::time::Instant;

use ami_benches::adapters;
use ami_benches::loopback::{self, CorpusServer};
use ami_benches::loss::{Seen, default_options};
use ami_benches::real_stream;

/// The corpus seed, as everywhere figures are quoted.
const SEED: u64 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    Corpus,
    Real,
}

struct Args {
    runs: usize,
    workloads: Vec<Workload>,
    messages: usize,
    real_bytes: usize,
    /// The contenders to run (`--client`), by short name; empty: all.
    clients: Vec<String>,
}

/// The contenders' short names for `--client`, in table order.
const CLIENTS: [&str; 5] = ["raw", "blocking", "tokio-ct", "tokio-mt", "smol"];

fn usage() -> ! {
    eprintln!(
        "usage: loss_runs [--runs N (20)] [--workload corpus|real|both (both)] \
         [--messages N (200000, corpus)] [--real-bytes N (100000000)] \
         [--client raw|blocking|tokio-ct|tokio-mt|smol]..."
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = Args {
        runs: 20,
        workloads: vec![Workload::Corpus, Workload::Real],
        messages: 200_000,
        real_bytes: real_stream::DEFAULT_BYTES,
        clients: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        let number = |v: String| {
            v.replace('_', "")
                .parse::<usize>()
                .unwrap_or_else(|_| usage())
        };
        match flag.as_str() {
            "--runs" => args.runs = number(value()).max(1),
            "--messages" => args.messages = number(value()).max(1),
            "--real-bytes" => args.real_bytes = number(value()),
            "--client" => {
                let name = value();
                if !CLIENTS.contains(&name.as_str()) {
                    usage();
                }
                args.clients.push(name);
            }
            "--workload" => {
                args.workloads = match value().as_str() {
                    "corpus" => vec![Workload::Corpus],
                    "real" => vec![Workload::Real],
                    "both" => vec![Workload::Corpus, Workload::Real],
                    _ => usage(),
                }
            }
            _ => usage(),
        }
    }
    args
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// A contender's run.
type Run<'a> = Box<dyn Fn() -> Result<Seen, String> + 'a>;

/// One contender's runs: what each saw, or why it failed.
#[derive(Default)]
struct Record {
    /// By run: `None` where it failed.
    runs: Vec<Option<Seen>>,
    seen: Vec<Seen>,
    failures: Vec<String>,
}

fn main() {
    let args = parse_args();
    let wall = Instant::now();
    println!(
        "# loss_runs: {} runs per client and workload, default ClientOptions; load before: {}",
        args.runs,
        loadavg()
    );

    let tokio_mt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let tokio_ct = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");

    for &workload in &args.workloads {
        let (title, bytes): (String, Vec<u8>) = match workload {
            Workload::Corpus => (
                format!(
                    "generated corpus (`gen_corpus --messages {} --seed {SEED}`)",
                    args.messages
                ),
                ami_benches::generate(args.messages, SEED),
            ),
            Workload::Real => (
                format!(
                    "real stream (the `Event` messages of {} Asterisk 22 captures, repeated to {} bytes)",
                    real_stream::CAPTURES.len(),
                    args.real_bytes
                ),
                real_stream::generate(args.real_bytes),
            ),
        };
        let shape = real_stream::shape(&bytes);
        let workload: Arc<[u8]> = bytes.into();
        run_workload(&title, &workload, shape, &args, &tokio_ct, &tokio_mt);
    }
    println!(
        "\n# wall time {:.1} s; load after: {}",
        wall.elapsed().as_secs_f64(),
        loadavg()
    );
}

fn run_workload(
    title: &str,
    workload: &Arc<[u8]>,
    shape: real_stream::Shape,
    args: &Args,
    tokio_ct: &tokio::runtime::Runtime,
    tokio_mt: &tokio::runtime::Runtime,
) {
    let messages = shape.messages;
    let server = CorpusServer::start(Arc::clone(workload)).expect("a loopback server");
    let addr = server.addr();
    let url = server.url();

    let all: Vec<(&str, Run<'_>)> = vec![
        (
            "raw `TcpStream` read + `memmem` (baseline)",
            Box::new(|| {
                let start = Instant::now();
                let (_, ends) = loopback::raw_read(addr, messages).map_err(|e| e.to_string())?;
                Ok(Seen {
                    events: ends as u64,
                    sentinel: true,
                    elapsed: start.elapsed(),
                    ..Seen::default()
                })
            }),
        ),
        (
            "`ami-blocking`",
            Box::new(|| adapters::blocking_with(default_options(&url))),
        ),
        (
            "`ami-tokio` current-thread",
            Box::new(|| adapters::tokio_with(tokio_ct, default_options(&url))),
        ),
        (
            "`ami-tokio` multi-thread (2 workers)",
            Box::new(|| adapters::tokio_with(tokio_mt, default_options(&url))),
        ),
        (
            "`ami-smol`",
            Box::new(|| adapters::smol_with(default_options(&url))),
        ),
    ];

    let contenders: Vec<(&str, Run<'_>)> = all
        .into_iter()
        .zip(CLIENTS)
        .filter(|(_, short)| args.clients.is_empty() || args.clients.iter().any(|c| c == short))
        .map(|(contender, _)| contender)
        .collect();
    eprintln!("{title}: {messages} messages, {} bytes", shape.bytes);
    let mut records: Vec<Record> = contenders.iter().map(|_| Record::default()).collect();
    for run in 0..args.runs {
        for k in 0..contenders.len() {
            let i = (k + run) % contenders.len();
            let (name, f) = &contenders[i];
            match f() {
                Ok(seen) => {
                    eprintln!(
                        "run {run}: {name}: {:.1} ms, delivered {}, lost {} ({} notices){}",
                        seen.elapsed.as_secs_f64() * 1e3,
                        seen.events,
                        seen.lost,
                        seen.lost_notices,
                        if seen.events + seen.lost == messages as u64 {
                            ""
                        } else {
                            ", DELIVERED + LOST != SENT"
                        }
                    );
                    records[i].seen.push(seen);
                    records[i].runs.push(Some(seen));
                }
                Err(e) => {
                    eprintln!("run {run}: {name}: FAILED: {e}");
                    records[i].failures.push(e);
                    records[i].runs.push(None);
                }
            }
        }
    }

    println!(
        "\n## {title}\n\n{messages} messages (sentinel included), {} bytes, {:.1} B/message, \
         {:.1} headers/message; {} runs each, interleaved\n",
        shape.bytes, shape.bytes_per_message, shape.headers_per_message, args.runs
    );
    println!(
        "| client, default options | runs | lost, total | runs with loss | lost per losing run | \
         delivered + lost = sent | messages/s, median (min..max) | MB/s, median | × raw read | \
         × raw read, same run |"
    );
    println!("|---|---:|---:|---:|---|---|---:|---:|---:|---:|");
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let rate = |s: &Seen| messages as f64 / s.elapsed.as_secs_f64();
    // The raw read is the first contender, when it runs.
    let with_raw = args.clients.is_empty() || args.clients.iter().any(|c| c == "raw");
    let no_runs = Record::default();
    let raw = if with_raw { &records[0] } else { &no_runs };
    let raw_median = {
        let mut v: Vec<f64> = raw.seen.iter().map(rate).collect();
        if v.is_empty() {
            f64::NAN
        } else {
            median(&mut v)
        }
    };
    for ((name, _), record) in contenders.iter().zip(&records) {
        let ok = record.seen.len();
        let runs = if record.failures.is_empty() {
            ok.to_string()
        } else {
            format!("{ok} (+{} failed)", record.failures.len())
        };
        if ok == 0 {
            println!("| {name} | {runs} | — | — | — | — | — | — | — | — |");
            continue;
        }
        let total: u64 = record.seen.iter().map(|s| s.lost).sum();
        let losing: Vec<String> = record
            .seen
            .iter()
            .filter(|s| s.lost > 0)
            .map(|s| group(s.lost))
            .collect();
        let accounted = record
            .seen
            .iter()
            .filter(|s| s.events + s.lost == messages as u64 && s.sentinel)
            .count();
        let mut rates: Vec<f64> = record.seen.iter().map(rate).collect();
        let (min, max) = (
            rates.iter().copied().fold(f64::INFINITY, f64::min),
            rates.iter().copied().fold(0.0, f64::max),
        );
        let med = median(&mut rates);
        // The raw read's time over this client's in each run where both
        // finished (they ran within a second of each other): less
        // sensitive to load that comes and goes than the ratio of medians.
        let mut paired: Vec<f64> = record
            .runs
            .iter()
            .zip(&raw.runs)
            .filter_map(|(c, r)| {
                Some(r.as_ref()?.elapsed.as_secs_f64() / c.as_ref()?.elapsed.as_secs_f64())
            })
            .collect();
        let paired = if paired.is_empty() {
            f64::NAN
        } else {
            median(&mut paired)
        };
        println!(
            "| {name} | {runs} | {} | {} of {ok} | {} | {} | {:.2} M ({:.2}..{:.2}) | {:.0} | {:.2} | {:.2} |",
            group(total),
            losing.len(),
            if losing.is_empty() {
                "—".to_owned()
            } else {
                losing.join(", ")
            },
            if accounted == ok {
                "every run".to_owned()
            } else {
                format!("{accounted} of {ok} runs")
            },
            med / 1e6,
            min / 1e6,
            max / 1e6,
            med * shape.bytes as f64 / messages as f64 / 1e6,
            med / raw_median,
            paired,
        );
    }
    for (name, record) in contenders.iter().map(|c| c.0).zip(&records) {
        for e in &record.failures {
            println!("\n{name} failed: {e}");
        }
    }
}

/// `1234567` as `1 234 567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}
