//! Property tests: arbitrary bytes, in arbitrary chunking, never panic and
//! decode to exactly the items of one whole feed — with the default limits
//! and with tiny ones, so that every limit is hit somewhere.

mod common;

use ami_proto::{Decoded, Limits};
use common::*;
use proptest::prelude::*;

/// Pieces that steer random input into every decoder state.
const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\n",
    b"\r",
    b"\r\n\r\n",
    b":",
    b": ",
    b"\0",
    b"\xe9",
    b"Response: Success\r\n",
    b"Response: Follows\r\n",
    b"response: follows\n",
    b"Privilege: Command\r\n",
    b"ActionID: 42\r\n",
    b"ActionI",
    b"Priv",
    b"Event: Hangup\r\n",
    b"Action: Ping\r\n",
    b"--END COMMAND--",
    b"--END COMMAND--\r\n\r\n",
    b"--END COMM",
    b"AND--",
    b"Asterisk Call Manager/11.0.0\r\n",
    b"Asterisk Call Man",
    b"Output:   indented\r\n",
];

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::sample::select(TOKENS).prop_map(<[u8]>::to_vec),
        2 => prop::collection::vec(any::<u8>(), 0..12),
        1 => prop::collection::vec(prop::sample::select(&b"ab: \r\n-"[..]), 0..12),
        1 => (1usize..200).prop_map(|n| vec![b'x'; n]),
    ]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(piece(), 0..24).prop_map(|pieces| pieces.concat())
}

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        1 => Just(Limits::default()),
        2 => (0usize..48, 0usize..160, 0usize..10).prop_map(|(line, message, headers)| Limits {
            max_line_len: line,
            max_message_len: message,
            max_headers: headers,
        }),
    ]
}

/// Splits `bytes` at the given points (taken modulo its length, sorted).
fn chunks_at(bytes: &[u8], mut cuts: Vec<usize>) -> Vec<&[u8]> {
    for c in &mut cuts {
        *c %= bytes.len() + 1;
    }
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut last = 0;
    for c in cuts {
        out.push(&bytes[last..c]);
        last = c;
    }
    out.push(&bytes[last..]);
    out
}

fn check_items(bytes: &[u8], items: &[Decoded]) {
    let mut offset = 0u64;
    for item in items {
        match item {
            Decoded::Message(m) => {
                assert!(!m.as_bytes().is_empty());
                assert!(m.lines().count() > 0, "a message has at least one line");
            }
            Decoded::Error(e) => {
                assert!(e.offset() >= offset && e.offset() <= bytes.len() as u64);
                offset = e.offset();
            }
            Decoded::Banner(_) => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_gives_the_items_of_one_feed(
        bytes in stream(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        limits in limits(),
    ) {
        let whole = decode_chunks_with(limits, [&bytes[..]]);
        check_items(&bytes, &whole);
        let chunked = decode_chunks_with(limits, chunks_at(&bytes, cuts));
        prop_assert_eq!(&chunked, &whole);
        let bytewise = decode_bytewise_with(limits, &bytes);
        prop_assert_eq!(&bytewise, &whole);
    }

    #[test]
    fn raw_random_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        limits in limits(),
    ) {
        let whole = decode_chunks_with(limits, [&bytes[..]]);
        let chunked = decode_chunks_with(limits, chunks_at(&bytes, cuts));
        prop_assert_eq!(&chunked, &whole);
    }

    /// Every split point of one input, not just a few random ones.
    #[test]
    fn every_split_point(bytes in stream(), limits in limits()) {
        let whole = decode_chunks_with(limits, [&bytes[..]]);
        for i in 0..=bytes.len() {
            let split = decode_chunks_with(limits, [&bytes[..i], &bytes[i..]]);
            prop_assert_eq!(&split, &whole, "split at {}", i);
        }
    }
}

/// Captures glued together with random garbage in between still decode
/// every capture message, whatever the chunking.
#[test]
fn captures_survive_garbage_between_them() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    });
    let names = capture_names();
    runner
        .run(
            &(
                prop::sample::subsequence(names, 1..6),
                prop::collection::vec(any::<usize>(), 0..16),
            ),
            |(names, cuts)| {
                let mut bytes = Vec::new();
                let mut want = 0;
                for name in &names {
                    let capture = capture(name);
                    want += decode_whole(&capture)
                        .iter()
                        .filter(|i| matches!(i, Decoded::Message(_)))
                        .count();
                    bytes.extend_from_slice(&capture);
                    // Garbage that ends its own message.
                    bytes.extend_from_slice(b"\xff\0garbage: x\r\n\r\n");
                    want += 1;
                }
                let whole = decode_whole(&bytes);
                let got = whole
                    .iter()
                    .filter(|i| matches!(i, Decoded::Message(_)))
                    .count();
                prop_assert_eq!(got, want);
                prop_assert_eq!(decode_chunks(chunks_at(&bytes, cuts)), whole);
                Ok(())
            },
        )
        .unwrap();
}
