//! Reading into the decoder's buffer (`Decoder::read_buf` / `filled`,
//! `Connection::read_buf` / `handle_read`) gives exactly the items of
//! `feed()`, whatever the read sizes, however reads and feeds mix, and
//! whichever messages are kept or dropped along the way; kept messages
//! stay intact when blocks are reused.

mod common;

use std::time::Instant;

use ami_proto::{Config, Connection, Decoded, Decoder, Event, Limits};
use common::*;
use proptest::prelude::*;

const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\n",
    b"\r\n\r\n",
    b": ",
    b"Response: Success\r\n",
    b"Response: Follows\r\nPrivilege: Command\r\n",
    b"ActionID: 42\r\n",
    b"Event: Hangup\r\nChannel: SIP/1-0001\r\n",
    b"--END COMMAND--\r\n\r\n",
    b"Asterisk Call Manager/11.0.0\r\n",
    b"Output: x\r\n",
];

fn stream() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => prop::sample::select(TOKENS).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 0..12),
        1 => (1usize..300).prop_map(|n| vec![b'x'; n]),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        2 => Just(Limits::default()),
        1 => (0usize..48, 0usize..160, 0usize..10).prop_map(|(line, message, headers)| Limits {
            max_line_len: line,
            max_message_len: message,
            max_headers: headers,
        }),
    ]
}

/// One step of the reader.
#[derive(Debug, Clone)]
enum Op {
    /// Ask for room of `max` bytes and read up to `take` bytes into it;
    /// `again`: first read garbage into a room and forget it.
    Read {
        max: usize,
        take: usize,
        again: bool,
    },
    /// `feed()` the next `len` bytes.
    Feed { len: usize },
    /// Decode what is there; keep the messages (`keep`) or drop them.
    Decode { keep: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (prop_oneof![0usize..40, 0usize..5000, Just(64 * 1024)], 0usize..6000, prop::bool::weighted(0.1))
            .prop_map(|(max, take, again)| Op::Read { max, take, again }),
        1 => (0usize..50).prop_map(|len| Op::Feed { len }),
        3 => any::<bool>().prop_map(|keep| Op::Decode { keep }),
    ]
}

/// Runs `ops` (then reads the rest) over `bytes`; returns the items and
/// the messages kept, which must still hold their bytes at the end.
fn read_with(limits: Limits, bytes: &[u8], ops: &[Op]) -> (Vec<Decoded>, Vec<Decoded>) {
    let mut decoder = Decoder::with_limits(limits);
    let mut at = 0;
    let mut items = Vec::new();
    // Kept items, alongside a copy of what they held when decoded.
    let mut kept = Vec::new();
    let mut drain = |decoder: &mut Decoder, keep: bool, items: &mut Vec<Decoded>| {
        while let Some(item) = decoder.decode() {
            if keep {
                kept.push(item.clone());
            }
            items.push(item);
        }
    };
    for op in ops.iter().cloned().chain(std::iter::repeat(Op::Read {
        max: 700,
        take: 700,
        again: false,
    })) {
        if at == bytes.len() {
            break;
        }
        match op {
            Op::Read { max, take, again } => {
                if again {
                    decoder.read_buf(max).fill(b'#');
                }
                let into = decoder.read_buf(max);
                assert!(into.len() <= max);
                assert!(max == 0 || !into.is_empty());
                let n = into.len().min(take).min(bytes.len() - at);
                into[..n].copy_from_slice(&bytes[at..at + n]);
                decoder.filled(n);
                at += n;
            }
            Op::Feed { len } => {
                let n = len.min(bytes.len() - at);
                decoder.feed(&bytes[at..at + n]);
                at += n;
            }
            Op::Decode { keep } => drain(&mut decoder, keep, &mut items),
        }
    }
    drain(&mut decoder, true, &mut items);
    items.extend(decoder.finish());
    (items, kept)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 800, ..ProptestConfig::default() })]

    #[test]
    fn reading_into_the_decoder_gives_the_items_of_feed(
        bytes in stream(),
        ops in prop::collection::vec(op(), 0..40),
        limits in limits(),
    ) {
        let whole = decode_chunks_with(limits, [&bytes[..]]);
        let (items, kept) = read_with(limits, &bytes, &ops);
        prop_assert_eq!(&items, &whole);
        // Every kept item is one of the items, intact.
        let mut rest = whole.iter();
        for k in &kept {
            prop_assert!(rest.any(|w| w == k), "kept item changed: {:?}", k);
        }
    }
}

/// The captures, back to back and many times over, read in large reads
/// (several blocks, reused as their messages are dropped) and in odd
/// sizes, give the items of one feed; messages kept all along are intact.
#[test]
fn captures_read_in_any_size_give_the_items_of_feed() {
    let mut all = Vec::new();
    for name in capture_names() {
        all.extend_from_slice(&capture(name.as_str()));
    }
    let bytes = all.repeat(8);
    let whole = decode_whole(&bytes);
    for max in [1, 7, 1000, 4096, 64 * 1024, 100_000, 512 * 1024] {
        for keep_every in [1, 3, usize::MAX] {
            let mut decoder = Decoder::new();
            let (mut items, mut kept) = (Vec::new(), Vec::new());
            let mut at = 0;
            let mut reads = 0usize;
            while at < bytes.len() {
                let into = decoder.read_buf(max);
                // Reads that fill the room, and reads that do not.
                let n = if reads.is_multiple_of(2) {
                    into.len()
                } else {
                    into.len() / 3 + 1
                }
                .min(bytes.len() - at);
                into[..n].copy_from_slice(&bytes[at..at + n]);
                decoder.filled(n);
                at += n;
                reads += 1;
                while let Some(item) = decoder.decode() {
                    if items.len() % keep_every == 0 {
                        kept.push((items.len(), item.clone()));
                    }
                    items.push(item);
                }
            }
            items.extend(decoder.finish());
            assert_eq!(items.len(), whole.len(), "max {max}");
            assert!(items == whole, "max {max}, keep every {keep_every}");
            for (i, item) in &kept {
                assert_eq!(item, &whole[*i], "kept item {i}, max {max}");
            }
        }
    }
}

/// `Connection::handle_read` is `handle_input` without the copy: the same
/// events for a capture read in any size.
#[test]
fn handle_read_gives_the_events_of_handle_input() {
    let t0 = Instant::now();
    let config = || Config {
        action_id_prefix: Some("t".into()),
        ..Config::default()
    };
    let events =
        |conn: &mut Connection| std::iter::from_fn(|| conn.poll_event()).collect::<Vec<Event>>();
    let mut messages = 0;
    for name in capture_names() {
        let bytes = capture(name.as_str());
        let mut fed = Connection::new(config(), t0);
        fed.handle_input(t0, &bytes);
        fed.handle_disconnect(t0);
        let expected = events(&mut fed);
        messages += expected
            .iter()
            .filter(|e| matches!(e, Event::Message(_)))
            .count();
        for max in [1, 13, 4096, 512 * 1024] {
            let mut read = Connection::new(config(), t0);
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                let n = std::io::Read::read(&mut rest, read.read_buf(max)).unwrap();
                read.handle_read(t0, n);
            }
            read.handle_disconnect(t0);
            assert_eq!(events(&mut read), expected, "{name}, reads of {max}");
        }
    }
    assert!(messages > 100, "only {messages} messages in the captures");
}
