//! Peak memory under an event flood with a consumer slower than the flood.
//!
//! `ami-testkit`'s fake Asterisk (in this process, on loopback) sends
//! `Fault::Flood(EVENTS)` — Newchannel / Newstate / Hangup events as fast
//! as the socket takes them — to one adapter whose consumer sleeps 1 ms
//! every 100 events (at most ~100 000 events/s, far slower than the flood).
//! A thread samples the process's resident set (`/proc/self/statm`) every
//! 100 ms. The consumer stops after 3 s without events; the program prints
//! the events delivered, those the `Lost` notices report, and the RSS
//! before the connection, at its peak and at the end.
//!
//! ```text
//! cargo run --release -p ami-benches --bin flood_memory -- [blocking|tokio|smol] [EVENTS] [BUFFER]
//! ```
//!
//! The RSS includes the server (its pre-encoded flood chunk, ~0.7 MiB, and
//! its socket buffers), which is constant.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ami_client::Incoming;
use ami_testkit::{Fault, Server};

/// Idle time after which the flood is taken to be over.
const IDLE: Duration = Duration::from_secs(3);

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

#[derive(Debug, Default)]
struct Count {
    events: u64,
    lost: u64,
}

impl Count {
    /// Counts an item, then sleeps 1 ms every 100 events: the slow consumer.
    fn add(&mut self, incoming: &Incoming) {
        match incoming {
            Incoming::Event(_) => {
                self.events += 1;
                if self.events.is_multiple_of(100) {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            Incoming::Lost(n) => self.lost += n,
            _ => {}
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let adapter = args.next().unwrap_or_else(|| "tokio".into());
    let events: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let buffer: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);

    let server = Server::builder().fault(Fault::Flood(events)).start();
    let options = ami_client::ClientOptions::new(&server.url())
        .expect("the test server's URL")
        .event_buffer(buffer);

    let before = rss_bytes();
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sampler = {
        let (peak, done, samples) = (Arc::clone(&peak), Arc::clone(&done), Arc::clone(&samples));
        std::thread::spawn(move || {
            let start = Instant::now();
            while !done.load(Ordering::Relaxed) {
                let rss = rss_bytes();
                peak.fetch_max(rss, Ordering::Relaxed);
                samples.lock().unwrap().push((start.elapsed(), rss));
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    let start = Instant::now();
    let mut count = Count::default();
    match adapter.as_str() {
        "blocking" => {
            let mut client = ami_blocking::Client::connect_with(options).expect("login");
            while let Ok(Some(incoming)) = client.next_event(IDLE) {
                count.add(&incoming);
            }
        }
        "tokio" => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let client = ami_tokio::Client::connect_with(options)
                    .await
                    .expect("login");
                let mut sub = client.events();
                while let Ok(Some(incoming)) = tokio::time::timeout(IDLE, sub.recv()).await {
                    count.add(&incoming);
                }
            });
        }
        "smol" => futures_lite::future::block_on(async {
            let client = ami_smol::Client::connect_with(options)
                .await
                .expect("login");
            let mut sub = client.events();
            loop {
                let next = futures_lite::future::or(sub.recv(), async {
                    async_io::Timer::after(IDLE).await;
                    None
                });
                match next.await {
                    Some(incoming) => count.add(&incoming),
                    None => break,
                }
            }
        }),
        other => panic!("unknown adapter {other:?}: blocking, tokio or smol"),
    }
    let elapsed = start.elapsed() - IDLE;
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let after = rss_bytes();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    // A sample per second, to show whether memory stays flat.
    let series: Vec<String> = samples
        .lock()
        .unwrap()
        .iter()
        .step_by(10)
        .map(|(_, rss)| format!("{:.0}", mib(*rss)))
        .collect();
    println!(
        "{adapter}: {events} flood events, buffer {buffer}: delivered {} + lost {} = {} \
         (FullyBooted included) in {:.2} s; RSS before {:.1} MiB, peak {:.1} MiB, end {:.1} MiB; \
         per second (MiB): {}",
        count.events,
        count.lost,
        count.events + count.lost,
        elapsed.as_secs_f64(),
        mib(before),
        mib(peak.load(Ordering::Relaxed)),
        mib(after),
        series.join(" "),
    );
}
