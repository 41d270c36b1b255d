//! The Rust port of `gen_corpus.py` gives the script's bytes: checked
//! against fixtures made with CPython 3.11.7 and committed beside this file
//! (`fixtures/`), so the test needs neither Python nor the shared folder.

use ami_benches::corpus::{ChanvarStyle, Generator};
use ami_benches::generate_with;
use ami_benches::meta::Stats;
use sha2::{Digest, Sha256};

const M100_S1: &[u8] = include_bytes!("fixtures/m100_s1.bin");
const M300_S1_META: &str = include_str!("fixtures/m300_s1.meta.json");
const SHA256SUMS: &str = include_str!("fixtures/SHA256SUMS");

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Panics with the first differing offset and the text around it.
fn assert_same_bytes(ours: &[u8], python: &[u8]) {
    if ours == python {
        return;
    }
    let at = ours
        .iter()
        .zip(python)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(python.len()));
    let context = |b: &[u8]| {
        String::from_utf8_lossy(&b[at.saturating_sub(200)..(at + 80).min(b.len())]).into_owned()
    };
    panic!(
        "outputs differ at byte {at} (ours {} bytes, Python {} bytes)\n--- ours:\n{}\n--- Python:\n{}",
        ours.len(),
        python.len(),
        context(ours),
        context(python)
    );
}

/// The fixture lines: (hash, messages, seed, style).
fn sums() -> Vec<(&'static str, usize, u64, ChanvarStyle)> {
    SHA256SUMS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let style = match f[3] {
                "legacy" => ChanvarStyle::Legacy,
                _ => ChanvarStyle::Modern,
            };
            (f[0], f[1].parse().unwrap(), f[2].parse().unwrap(), style)
        })
        .collect()
}

fn check_sum(messages: usize, seed: u64, style: ChanvarStyle) {
    let (expected, ..) = sums()
        .into_iter()
        .find(|&(_, m, s, st)| (m, s, st) == (messages, seed, style))
        .expect("a fixture line for these arguments");
    let corpus = generate_with(messages, seed, style);
    assert_eq!(
        hex(&Sha256::digest(&corpus)),
        expected,
        "--messages {messages} --seed {seed} --chanvar-style {}",
        style.as_str()
    );
}

#[test]
fn hundred_messages_seed_1_byte_for_byte() {
    assert_same_bytes(&generate_with(100, 1, ChanvarStyle::Modern), M100_S1);
}

#[test]
fn three_hundred_messages_seed_1_sha256() {
    check_sum(300, 1, ChanvarStyle::Modern);
}

/// Long enough for every kind of message: bridged calls, RTCP, hang-ups,
/// unanswered calls, all three event lists, Command output.
#[test]
fn four_thousand_messages_seed_2_sha256() {
    check_sum(4000, 2, ChanvarStyle::Modern);
}

#[test]
fn legacy_chanvars_seed_7_sha256() {
    check_sum(4000, 7, ChanvarStyle::Legacy);
}

/// The benchmark corpus itself (106 MB): slow in a debug build, so run it
/// with `cargo test -p ami-benches --release -- --ignored`.
#[test]
#[ignore = "106 MB; run with --release -- --ignored"]
fn bench_corpus_200k_seed_1_sha256() {
    check_sum(200_000, 1, ChanvarStyle::Modern);
}

#[test]
fn meta_json_as_python_writes_it() {
    let mut stats = Stats::default();
    let mut bytes = ami_benches::corpus::BANNER.len() as u64;
    let mut buf = Vec::new();
    for message in Generator::new(1, ChanvarStyle::Modern, 300) {
        stats.add(&message);
        ami_benches::corpus::write_message(&message, &mut buf);
    }
    bytes += buf.len() as u64;
    assert!(stats.ends_well());
    assert_eq!(
        stats.meta_json("corpus.ami", 1, ChanvarStyle::Modern, bytes),
        M300_S1_META
    );
}
