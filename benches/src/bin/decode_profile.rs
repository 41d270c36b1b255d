//! Decodes the benchmark corpus once, for profilers that count
//! instructions (`valgrind --tool=callgrind --toggle-collect=*decode_all*`),
//! where a criterion loop would only add noise.
//!
//! `cargo run --release -p ami-benches --bin decode_profile -- [MESSAGES|real] [frame|lines|get] [REPS]`
//!
//! With `lines`, every line of every message is also read through
//! `Message::lines()` (what `ami_proto_decoder_every_line_64k_chunks`
//! measures); with `get`, one lookup, `get("Channel")`. With `REPS`, the decode runs that many times, interleaved
//! with a `memmem` pass over the same bytes, and the fastest and median
//! times are printed: a quick A/B on a shared machine, where the fastest
//! run is the one least disturbed.

use ami_proto::{Decoded, Decoder};

/// What is done with each message besides decoding it.
#[derive(Clone, Copy)]
enum Mode {
    /// Nothing.
    Frame,
    /// Every line read through `Message::lines()`.
    Lines,
    /// One lookup past the first line, `get("Channel")` (what the
    /// `loss_runs` consumer does).
    Get,
}

#[inline(never)]
fn decode_all(corpus: &[u8], mode: Mode) -> (usize, usize) {
    let mut decoder = Decoder::new();
    let (mut messages, mut errors) = (0, 0);
    for chunk in corpus.chunks(64 * 1024) {
        decoder.feed(chunk);
        while let Some(item) = decoder.decode() {
            match item {
                Decoded::Message(m) => {
                    messages += 1;
                    match mode {
                        Mode::Frame => {}
                        Mode::Lines => {
                            for line in m.lines() {
                                std::hint::black_box(line);
                            }
                        }
                        Mode::Get => {
                            std::hint::black_box(m.get("Channel"));
                        }
                    }
                    std::hint::black_box(m);
                }
                Decoded::Error(_) => errors += 1,
                Decoded::Banner(_) => {}
            }
        }
    }
    (messages, errors)
}

fn main() {
    let messages = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    // `MESSAGES` of `real` decodes the real stream (100 MB) instead.
    let corpus = match std::env::args().nth(1).as_deref() {
        Some("real") => ami_benches::real_stream::generate(100_000_000),
        _ => ami_benches::generate(messages, 1),
    };
    let mode = match std::env::args().nth(2).as_deref() {
        Some("lines") => Mode::Lines,
        Some("get") => Mode::Get,
        _ => Mode::Frame,
    };
    let reps: usize = std::env::args()
        .nth(3)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if reps > 0 {
        let finder = memchr::memmem::Finder::new(b"\r\n\r\n");
        let (mut ours, mut base) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let t = std::time::Instant::now();
            std::hint::black_box(decode_all(&corpus, mode));
            ours.push(t.elapsed().as_secs_f64());
            let t = std::time::Instant::now();
            std::hint::black_box(finder.find_iter(&corpus).count());
            base.push(t.elapsed().as_secs_f64());
        }
        for (name, times) in [("decode", &mut ours), ("memmem", &mut base)] {
            times.sort_by(f64::total_cmp);
            let gbs = |t: f64| corpus.len() as f64 / t / 1e9;
            println!(
                "{name}: fastest {:.2} ms ({:.2} GB/s), median {:.2} ms ({:.2} GB/s)",
                times[0] * 1e3,
                gbs(times[0]),
                times[reps / 2] * 1e3,
                gbs(times[reps / 2])
            );
        }
    }
    let (decoded, errors) = decode_all(&corpus, mode);
    println!(
        "{} bytes, {decoded} messages, {errors} errors",
        corpus.len()
    );
}
