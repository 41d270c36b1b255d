//! Decodes the benchmark corpus once, for profilers that count
//! instructions (`valgrind --tool=callgrind --toggle-collect=*decode_all*`),
//! where a criterion loop would only add noise.
//!
//! `cargo run --release -p ami-benches --bin decode_profile -- [MESSAGES] [lines]`
//!
//! With `lines`, every line of every message is also read through
//! `Message::lines()` (what `ami_proto_decoder_every_line_64k_chunks`
//! measures).

use ami_proto::{Decoded, Decoder};

#[inline(never)]
fn decode_all(corpus: &[u8], every_line: bool) -> (usize, usize) {
    let mut decoder = Decoder::new();
    let (mut messages, mut errors) = (0, 0);
    for chunk in corpus.chunks(64 * 1024) {
        decoder.feed(chunk);
        while let Some(item) = decoder.decode() {
            match item {
                Decoded::Message(m) => {
                    messages += 1;
                    if every_line {
                        for line in m.lines() {
                            std::hint::black_box(line);
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
    let corpus = ami_benches::generate(messages, 1);
    let every_line = std::env::args().nth(2).is_some_and(|a| a == "lines");
    let (decoded, errors) = decode_all(&corpus, every_line);
    println!(
        "{} bytes, {decoded} messages, {errors} errors",
        corpus.len()
    );
}
