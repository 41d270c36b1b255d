//! Decode throughput of `ami_proto::Decoder` on the benchmark corpus
//! (`gen_corpus.py --messages 200000 --seed 1`, ~106 MB, generated in memory
//! by the port), beside the ceiling: a plain `memchr::memmem` pass over the
//! same bytes counting message ends (`\r\n\r\n`).
//!
//! `ami_proto_decoder_64k_chunks` frames every message (its lines are read
//! on demand, and nothing asks); `ami_proto_decoder_every_line_64k_chunks`
//! also reads every line of every message, the work the peer's codec does
//! for each message.
//!
//! Two groups measure the same functions: `decode_bytes` reports MB/s
//! (`Throughput::Bytes`), `decode_msgs` messages/s (`Throughput::Elements`).
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench cargo bench -p ami-benches --bench decode
//! ```

use std::hint::black_box;
use std::time::Duration;

use ami_proto::{Decoded, Decoder};
use criterion::{Criterion, SamplingMode, Throughput};
use memchr::memmem;

/// Messages in the corpus; the banner comes before them.
const MESSAGES: usize = 200_000;
/// The corpus seed, as everywhere figures are quoted.
const SEED: u64 = 1;
/// How much the decoder is fed at a time, like one socket read.
const CHUNK: usize = 64 * 1024;

/// Feeds the corpus in `CHUNK`-byte pieces and drains the decoder after
/// each; returns how many messages came out.
fn decode_chunked(corpus: &[u8]) -> usize {
    let mut decoder = Decoder::new();
    let mut messages = 0;
    for chunk in corpus.chunks(CHUNK) {
        decoder.feed(chunk);
        while let Some(item) = decoder.decode() {
            if let Decoded::Message(_) = &item {
                messages += 1;
            }
            black_box(item);
        }
    }
    assert!(decoder.finish().is_none(), "the corpus ends on a message");
    messages
}

/// Like [`decode_chunked`], and then reads every line of every message (as
/// the peers' codecs do for every message, into maps): what a consumer that
/// looks at every header pays. Returns the messages and the lines seen.
fn decode_every_line(corpus: &[u8]) -> (usize, usize) {
    let mut decoder = Decoder::new();
    let (mut messages, mut lines) = (0, 0);
    for chunk in corpus.chunks(CHUNK) {
        decoder.feed(chunk);
        while let Some(item) = decoder.decode() {
            if let Decoded::Message(message) = &item {
                messages += 1;
                for line in message.lines() {
                    lines += 1;
                    black_box(line);
                }
            }
        }
    }
    (messages, lines)
}

/// The fastest peer: `asterisk-rs-ami` 0.8.0's `AmiCodec` (a
/// `tokio_util::codec::Decoder`), fed the same 64 KiB chunks into a
/// `BytesMut` and drained after each, as its `FramedRead` would.
fn asterisk_rs_ami_chunked(corpus: &[u8]) -> usize {
    use tokio_util::codec::Decoder as _;
    let mut codec = asterisk_rs_ami::AmiCodec::new();
    let mut buf = bytes::BytesMut::with_capacity(2 * CHUNK);
    let mut messages = 0;
    for chunk in corpus.chunks(CHUNK) {
        buf.extend_from_slice(chunk);
        while let Some(message) = codec.decode(&mut buf).expect("the corpus decodes") {
            messages += 1;
            black_box(message);
        }
    }
    messages
}

/// Message ends (`\r\n\r\n`) found by a precompiled `memmem` finder.
fn memmem_count(finder: &memmem::Finder<'_>, corpus: &[u8]) -> usize {
    finder.find_iter(black_box(corpus)).count()
}

/// Message ends found by jumping from `\n` to `\n` with `memchr`: the
/// cheapest way to see lines, which is what a line-based decoder must do.
fn memchr_lines_count(corpus: &[u8]) -> usize {
    let corpus = black_box(corpus);
    let mut ends = 0;
    let mut line_start = 0;
    for nl in memchr::memchr_iter(b'\n', corpus) {
        if nl == line_start + 1 && corpus[line_start] == b'\r' {
            ends += 1;
        }
        line_start = nl + 1;
    }
    ends
}

fn bench(c: &mut Criterion) {
    let corpus = ami_benches::generate(MESSAGES, SEED);
    let finder = memmem::Finder::new(b"\r\n\r\n");
    // Every function counts the same messages, or the comparison is moot.
    assert_eq!(decode_chunked(&corpus), MESSAGES);
    let (messages, lines) = decode_every_line(&corpus);
    assert_eq!(messages, MESSAGES);
    // Every line but the empty ones that end messages, and the banner.
    assert_eq!(
        lines,
        memchr::memchr_iter(b'\n', &corpus).count() - MESSAGES - 1
    );
    assert_eq!(memmem_count(&finder, &corpus), MESSAGES);
    assert_eq!(memchr_lines_count(&corpus), MESSAGES);
    assert_eq!(asterisk_rs_ami_chunked(&corpus), MESSAGES);
    eprintln!(
        "corpus: {} messages, {} bytes (seed {SEED})",
        MESSAGES,
        corpus.len()
    );

    for (group_name, throughput) in [
        ("decode_bytes", Throughput::Bytes(corpus.len() as u64)),
        ("decode_msgs", Throughput::Elements(MESSAGES as u64)),
    ] {
        let mut group = c.benchmark_group(group_name);
        // One iteration reads ~106 MB: few, flat samples are plenty.
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_secs(2))
            .measurement_time(Duration::from_secs(8))
            .throughput(throughput);
        group.bench_function("ami_proto_decoder_64k_chunks", |b| {
            b.iter(|| decode_chunked(&corpus));
        });
        group.bench_function("ami_proto_decoder_every_line_64k_chunks", |b| {
            b.iter(|| decode_every_line(&corpus));
        });
        group.bench_function("peer_asterisk_rs_ami_0_8_codec_64k_chunks", |b| {
            b.iter(|| asterisk_rs_ami_chunked(&corpus));
        });
        group.bench_function("memchr_memmem_crlfcrlf", |b| {
            b.iter(|| memmem_count(&finder, &corpus));
        });
        group.bench_function("memchr_lines", |b| {
            b.iter(|| memchr_lines_count(&corpus));
        });
        group.finish();
    }
}

/// What `criterion_group!` + `criterion_main!` expand to, without the
/// undocumented `pub fn` the group macro would add.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
