//! Bad input: each case ends in a typed error item (or a clean skip), and
//! decoding goes on with the next message. Nothing may panic, and the
//! decoder's buffer stays bounded whatever the peer sends.

mod common;

use ami_proto::{DecodeErrorKind, Decoded, Decoder, Limits, MessageKind};
use common::*;

const NEXT: &[u8] = b"Response: Success\r\nActionID: next\r\nPing: Pong\r\n\r\n";

fn assert_next(item: &Decoded) {
    let m = expect_message(item);
    assert_eq!(m.action_id().unwrap(), "next", "{m:?}");
    assert_eq!(m.get("Ping").unwrap(), "Pong");
    assert_eq!(m.header_count(), 3);
}

fn small(line: usize, message: usize, headers: usize) -> Limits {
    Limits {
        max_line_len: line,
        max_message_len: message,
        max_headers: headers,
    }
}

#[test]
fn long_line_with_small_limits() {
    let limits = small(64, 4096, 100);
    let mut input = b"Response: Success\r\nActionID: a1\r\nBig: ".to_vec();
    input.extend(std::iter::repeat_n(b'x', 100));
    input.extend_from_slice(b"\r\nMore: y\r\n\r\n");
    input.extend_from_slice(NEXT);
    let items = decode_all_ways_with(limits, &input);
    assert_eq!(items.len(), 2, "{items:?}");
    let e = expect_error(&items[0], DecodeErrorKind::LineTooLong);
    assert_eq!(e.action_id().unwrap(), &b"a1"[..]);
    assert_eq!(e.message_kind(), Some(MessageKind::Response));
    assert_eq!(e.limit(), 64);
    assert_eq!(e.offset(), 0);
    assert!(e.to_string().contains("ActionID a1"), "{e}");
    assert_next(&items[1]);
}

#[test]
fn line_length_limit_is_exact() {
    // `max_line_len` counts the line without its ending.
    let limits = small(10, 4096, 100);
    for (line, ok) in [(&b"Event: abc"[..], true), (b"Event: abcd", false)] {
        for ending in [&b"\r\n"[..], b"\n"] {
            let mut input = line.to_vec();
            input.extend_from_slice(ending);
            input.extend_from_slice(ending);
            input.extend_from_slice(b"Event: n\r\n\r\n");
            let items = decode_all_ways_with(limits, &input);
            assert_eq!(items.len(), 2, "{items:?}");
            if ok {
                assert_eq!(
                    expect_message(&items[0]).as_bytes().len(),
                    2 * ending.len() + 10
                );
            } else {
                expect_error(&items[0], DecodeErrorKind::LineTooLong);
            }
            assert_eq!(expect_message(&items[1]).name().unwrap(), "n");
        }
    }
    // The first line of a stream is checked like any other.
    // An overlong banner line is skipped alone: the message after it, which
    // broke no limit, is not lost.
    let items = decode_all_ways_with(limits, b"Asterisk Call Manager/11.0.0\r\nEvent: n\r\n\r\n");
    assert_eq!(items.len(), 2, "{items:?}");
    let e = expect_error(&items[0], DecodeErrorKind::LineTooLong);
    assert_eq!(e.message_kind(), None);
    assert_eq!(expect_message(&items[1]).name().unwrap(), "n");
    let items = decode_all_ways_with(limits, b"Event: ab\r\nX: 1\r\n\r\nEvent: n\r\n\r\n");
    assert_eq!(items.len(), 2, "{items:?}");
}

/// When a line breaks both the line and the message limit, the error must
/// not depend on how the bytes were chunked.
#[test]
fn line_and_message_limits_together() {
    for (line, message) in [(10, 20), (10, 12), (20, 10), (5, 30), (15, 15)] {
        let limits = small(line, message, 100);
        for input in [
            &b"Event: 0123456789012345678901234567890\r\n\r\nEvent: n\r\n\r\n"[..],
            b"A: 1\r\nEvent: 0123456789012345678901234567890\r\n\r\nEvent: n\r\n\r\n",
            b"0123456789012345678901234567890\r\n\r\nEvent: n\r\n\r\n",
            b"Asterisk Call Manager/11.0.0 and more\r\nEvent: n\r\n\r\n",
            b"\r\nEvent: 0123456789\r\r\r\r\r\r\r\r\r\r\r\r\r\r\n\r\nEvent: n\r\n\r\n",
        ] {
            let items = decode_all_ways_with(limits, input);
            assert!(
                matches!(items[0], Decoded::Error(_)),
                "{limits:?} {:?}: {items:?}",
                String::from_utf8_lossy(input)
            );
        }
    }
}

#[test]
fn endless_line_is_bounded() {
    // What follows the endless line: the end of its line, then of its
    // message (a banner is one line, not followed by an empty line).
    for (prefix, tail) in [
        (
            &b"Response: Success\r\nActionID: big\r\nX: "[..],
            &b"\r\nY: 1\r\n\r\n"[..],
        ),
        (b"Asterisk Call Manager/", b"\r\n"),
        (b"", b"\r\n\r\n"),
    ] {
        let mut d = Decoder::new();
        let max_line = d.limits().max_line_len;
        let chunk = vec![b'a'; 64 * 1024];
        let mut items = Vec::new();
        d.feed(prefix);
        items.extend(std::iter::from_fn(|| d.decode()));
        let mut max_buffered = 0;
        for _ in 0..(50 << 20) / chunk.len() {
            d.feed(&chunk);
            while let Some(item) = d.decode() {
                items.push(item);
            }
            max_buffered = max_buffered.max(d.buffered_len());
        }
        assert!(
            max_buffered <= max_line + 2 * chunk.len(),
            "{max_buffered} bytes buffered"
        );
        assert_eq!(items.len(), 1, "{items:?}");
        let e = expect_error(&items[0], DecodeErrorKind::LineTooLong);
        if !prefix.is_empty() && prefix.starts_with(b"Response") {
            assert_eq!(e.action_id().unwrap(), &b"big"[..]);
            assert_eq!(e.message_kind(), Some(MessageKind::Response));
        }
        assert_eq!(d.buffered_len(), 0, "a skipped line is not kept");
        // The line ends, then its message; the next one decodes.
        d.feed(tail);
        d.feed(NEXT);
        let item = d.decode().expect("the next message");
        assert_next(&item);
        assert!(d.decode().is_none());
        assert!(d.finish().is_none());
    }
}

#[test]
fn ten_thousand_headers() {
    let mut input = b"Event: Big\r\nActionID: many\r\n".to_vec();
    for i in 0..10_000 {
        input.extend_from_slice(format!("H{i}: v{i}\r\n").as_bytes());
    }
    input.extend_from_slice(b"\r\n");
    input.extend_from_slice(NEXT);

    // Default limits: it decodes, every header in order.
    let whole = decode_whole(&input);
    assert_eq!(whole.len(), 2);
    let big = expect_message(&whole[0]);
    assert_eq!(big.header_count(), 10_002);
    assert_eq!(big.get("h9999").unwrap(), "v9999");
    assert_eq!(big.headers().nth(2).unwrap().1, "v0");
    assert_next(&whole[1]);
    assert_eq!(decode_bytewise(&input), whole);
    for size in [5, 100, 4096] {
        assert_eq!(decode_chunks(input.chunks(size)), whole, "{size}");
    }

    // max_headers 100: an error, then the next message.
    let limits = small(1 << 20, 8 << 20, 100);
    let items = decode_chunks_with(limits, [&input[..]]);
    assert_eq!(items.len(), 2, "{items:?}");
    let e = expect_error(&items[0], DecodeErrorKind::TooManyHeaders);
    assert_eq!(e.limit(), 100);
    assert_eq!(e.action_id().unwrap(), &b"many"[..]);
    assert_eq!(e.message_kind(), Some(MessageKind::Event));
    assert_next(&items[1]);
    assert_eq!(decode_bytewise_with(limits, &input), items);
    for size in [7, 1000] {
        assert_eq!(
            decode_chunks_with(limits, input.chunks(size)),
            items,
            "{size}"
        );
    }
}

#[test]
fn header_count_limit_is_exact() {
    let limits = small(1 << 20, 8 << 20, 3);
    let ok = b"Event: X\r\nA: 1\r\ntext\r\n\r\n";
    let items = decode_all_ways_with(limits, ok);
    assert_eq!(expect_message(&items[0]).lines().count(), 3);
    let mut input = b"Event: X\r\nA: 1\r\ntext\r\nB: 2\r\n\r\n".to_vec();
    input.extend_from_slice(NEXT);
    let items = decode_all_ways_with(limits, &input);
    assert_eq!(items.len(), 2);
    expect_error(&items[0], DecodeErrorKind::TooManyHeaders);
    assert_next(&items[1]);
}

#[test]
fn nul_bytes_and_lone_cr_do_not_break_framing() {
    let mut input = b"Event: X\0\r\n\0\0\0\r\nA: \r\r\r\nB\rC: 1\r\n\r\n".to_vec();
    input.extend_from_slice(b"\r\r\r\r\n\r\n");
    input.extend_from_slice(b"\0\r\n\r\n");
    input.extend_from_slice(NEXT);
    let items = decode_all_ways(&input);
    assert_eq!(items.len(), 4, "{items:?}");
    let first = expect_message(&items[0]);
    assert_eq!(first.name().unwrap().as_bytes(), b"X\0");
    assert_eq!(text_lines(first), [b"\0\0\0".to_vec()]);
    assert_eq!(first.get("a").unwrap().as_bytes(), b"\r\r");
    assert_eq!(first.get("b\rc").unwrap(), "1");
    let crs = expect_message(&items[1]);
    assert_eq!(crs.kind(), MessageKind::Other);
    assert_eq!(text_lines(crs), [b"\r\r\r".to_vec()]);
    let nul = expect_message(&items[2]);
    assert_eq!(text_lines(nul), [b"\0".to_vec()]);
    assert_next(&items[3]);
}

#[test]
fn a_megabyte_of_bare_lf() {
    let lfs = vec![b'\n'; 1 << 20];
    for prefix in [&b""[..], b"Asterisk Call Manager/11.0.0\r\n", NEXT] {
        let mut d = Decoder::new();
        d.feed(prefix);
        let before: Vec<_> = std::iter::from_fn(|| d.decode()).collect();
        d.feed(&lfs);
        assert!(d.decode().is_none());
        assert_eq!(d.buffered_len(), 0);
        assert_eq!(d.stream_offset(), (prefix.len() + lfs.len()) as u64);
        assert!(before.len() <= 1);
        for chunk in lfs.chunks(4096) {
            d.feed(chunk);
            assert!(d.decode().is_none());
            assert_eq!(d.buffered_len(), 0);
        }
        d.feed(NEXT);
        assert_next(&d.decode().unwrap());
        assert!(d.finish().is_none());
    }
    // CRLF pairs and lone CRs between them: the same.
    let mut d = Decoder::new();
    for _ in 0..10_000 {
        d.feed(b"\r\n\n\r\n");
        assert!(d.decode().is_none());
    }
    assert!(d.buffered_len() <= 1);
    assert!(d.finish().is_none());
}

#[test]
fn truncated_input() {
    // (input, kind of the cut-off message, its ActionID)
    type Case<'a> = (&'a [u8], Option<MessageKind>, Option<&'a [u8]>);
    let cases: &[Case<'_>] = &[
        (
            b"Response: Success\r\nActionID: 7\r\nMessage: x",
            Some(MessageKind::Response),
            Some(b"7"),
        ),
        (
            b"Response: Success\r\nActionID: 7\r\n",
            Some(MessageKind::Response),
            Some(b"7"),
        ),
        (
            b"Response: Success\r\nActionID: 7\r\n\r",
            Some(MessageKind::Response),
            Some(b"7"),
        ),
        (b"Event: Hangup", None, None),
        (b"Event: Hangup\n", Some(MessageKind::Event), None),
        (b"Asterisk Call Manager/11.0", None, None),
        // No header yet: no kind yet either.
        (b"no colon\r\n", None, None),
        (b"x", None, None),
        (b"\r\r\n", None, None),
        (
            b"\r\nEvent: X\r\n\r\nEvent: Y\r\n",
            Some(MessageKind::Event),
            None,
        ),
        (
            b"Response: Follows\r\nPrivilege: Command\r\nActionID: L\r\nout\n\n",
            Some(MessageKind::Response),
            Some(b"L"),
        ),
    ];
    for (input, kind, id) in cases {
        let items = decode_all_ways(input);
        let e = match items.last() {
            Some(Decoded::Error(e)) => e,
            _ => panic!("{:?}: {items:?}", String::from_utf8_lossy(input)),
        };
        assert_eq!(
            e.kind(),
            DecodeErrorKind::Truncated,
            "{:?}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(
            e.message_kind(),
            *kind,
            "{:?}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(e.action_id().map(|b| b.to_vec()), id.map(<[u8]>::to_vec));
        assert!(e.limit() > 0);
        assert!(e.to_string().contains("stream ended"), "{e}");
    }
    // finish() resets: a new stream starts with its banner.
    let mut d = Decoder::new();
    d.feed(b"Asterisk Call Manager/11.0.0\r\nResponse: Succ");
    assert!(matches!(d.decode(), Some(Decoded::Banner(_))));
    let Some(Decoded::Error(e)) = d.finish() else {
        panic!()
    };
    assert_eq!(e.offset(), 30);
    assert_eq!(e.limit(), 14);
    assert_eq!(d.buffered_len(), 0);
    assert_eq!(d.stream_offset(), 0);
    d.feed(b"Asterisk Call Manager/2.10.6\r\n");
    let Some(Decoded::Banner(b)) = d.decode() else {
        panic!()
    };
    assert_eq!(b.version().unwrap(), "2.10.6");
    assert!(d.finish().is_none());
}

#[test]
fn message_over_max_message_len() {
    let limits = small(1024, 200, 1000);
    let mut input = b"Event: Big\r\nActionID: huge\r\n".to_vec();
    for i in 0..40 {
        input.extend_from_slice(format!("H{i}: v\r\n").as_bytes());
    }
    input.extend_from_slice(b"\r\n");
    input.extend_from_slice(NEXT);
    let items = decode_all_ways_with(limits, &input);
    assert_eq!(items.len(), 2, "{items:?}");
    let e = expect_error(&items[0], DecodeErrorKind::MessageTooLarge);
    assert_eq!(e.limit(), 200);
    assert_eq!(e.action_id().unwrap(), &b"huge"[..]);
    assert_next(&items[1]);

    // Exactly at the limit (line endings and the empty line included): fine.
    let exact = b"Event: X\r\nPad: 12345\r\n\r\n";
    let limits = small(1024, exact.len(), 1000);
    let items = decode_all_ways_with(limits, exact);
    expect_message(&items[0]);
    let limits = small(1024, exact.len() - 1, 1000);
    let items = decode_all_ways_with(limits, exact);
    expect_error(&items[0], DecodeErrorKind::MessageTooLarge);
    assert_eq!(items.len(), 1);
}

fn legacy_input(body_lines: usize, extra: &[u8]) -> Vec<u8> {
    let mut input = b"Response: Follows\r\nPrivilege: Command\r\nActionID: leg\r\n".to_vec();
    for i in 0..body_lines {
        // Empty lines and colons inside: a skipper that stops at the first
        // empty line would decode the rest of the body as messages.
        input.extend_from_slice(format!("line {i}: some output\n\n").as_bytes());
    }
    input.extend_from_slice(extra);
    input.extend_from_slice(b"done--END COMMAND--\r\n\r\n");
    input.extend_from_slice(b"Event: Hangup\r\nChannel: SIP/1\r\n\r\n");
    input
}

fn assert_oversized_legacy(limits: Limits, input: &[u8], kind: DecodeErrorKind) {
    let items = decode_all_ways_with(limits, input);
    assert_eq!(items.len(), 2, "{items:?}");
    let e = expect_error(&items[0], kind);
    assert_eq!(e.action_id().unwrap(), &b"leg"[..]);
    assert_eq!(e.message_kind(), Some(MessageKind::Response));
    let ev = expect_message(&items[1]);
    assert_eq!(ev.name().unwrap(), "Hangup");
    assert_eq!(ev.get("Channel").unwrap(), "SIP/1");
}

#[test]
fn oversized_legacy_body() {
    let input = legacy_input(60, b"");
    assert!(input.len() > 1000);
    assert_oversized_legacy(
        small(1024, 300, 1000),
        &input,
        DecodeErrorKind::MessageTooLarge,
    );
    // With a fake terminator (no line end after it) past the limit.
    let input = legacy_input(60, b"x--END COMMAND--x\n\nEvent: Fake\r\n\r\n");
    assert_oversized_legacy(
        small(1024, 300, 1000),
        &input,
        DecodeErrorKind::MessageTooLarge,
    );
    // Too many output lines.
    let input = legacy_input(60, b"");
    assert_oversized_legacy(
        small(1024, 1 << 20, 50),
        &input,
        DecodeErrorKind::TooManyHeaders,
    );
    // One output line too long.
    let input = legacy_input(3, &[b'x'; 200]);
    assert_oversized_legacy(
        small(100, 1 << 20, 1000),
        &input,
        DecodeErrorKind::LineTooLong,
    );
    // Within the limits it decodes.
    let input = legacy_input(60, b"");
    let items = decode_all_ways(&input);
    assert_eq!(items.len(), 2);
    let cmd = expect_message(&items[0]);
    assert!(cmd.is_legacy_command());
    assert_eq!(cmd.text_lines().count(), 121);
}

#[test]
fn endless_legacy_body_is_bounded() {
    let limits = small(1 << 20, 1 << 20, 100_000);
    let mut d = Decoder::with_limits(limits);
    d.feed(b"Response: Follows\r\nPrivilege: Command\r\nActionID: L\r\n");
    assert!(d.decode().is_none());
    let chunk = b"output line: with colon\n\n".repeat(2600);
    let mut items = Vec::new();
    for _ in 0..200 {
        d.feed(&chunk);
        items.extend(std::iter::from_fn(|| d.decode()));
        assert!(d.buffered_len() <= (1 << 20) + 2 * chunk.len());
    }
    assert_eq!(items.len(), 1, "{items:?}");
    let e = expect_error(&items[0], DecodeErrorKind::MessageTooLarge);
    assert_eq!(e.action_id().unwrap(), &b"L"[..]);
    d.feed(b"--END COMMAND--\r\n\r\n");
    d.feed(NEXT);
    assert_next(&d.decode().unwrap());
    assert!(d.decode().is_none());
}

#[test]
fn errors_carry_the_stream_offset() {
    let limits = small(20, 4096, 100);
    let mut input = NEXT.to_vec();
    let start = input.len();
    input.extend_from_slice(b"\r\nEvent: X\r\nLong: 0123456789012345678901234567890\r\n\r\n");
    input.extend_from_slice(NEXT);
    let items = decode_all_ways_with(limits, &input);
    assert_eq!(items.len(), 3);
    assert_next(&items[0]);
    let e = expect_error(&items[1], DecodeErrorKind::LineTooLong);
    assert_eq!(e.offset(), start as u64 + 2);
    assert_eq!(e.message_kind(), Some(MessageKind::Event));
    assert!(e.action_id().is_none());
    assert!(
        e.to_string().contains(&format!("offset {}", start + 2)),
        "{e}"
    );
    assert_next(&items[2]);
}

/// Skipping an oversized legacy body stops only at a terminator that ends
/// its line, as reading one does: `--END COMMAND--x` mid-line is output.
#[test]
fn skipped_legacy_body_ignores_a_fake_terminator() {
    let limits = small(1024, 100, 1000);
    let mut input = b"Response: Follows\r\nPrivilege: Command\r\nActionID: leg\r\n".to_vec();
    input.extend_from_slice(&[b'o'; 80]);
    input.extend_from_slice(
        b"\nx--END COMMAND--x\n\nEvent: Fake\r\n\r\nlast--END COMMAND--\r\n\r\n",
    );
    input.extend_from_slice(NEXT);
    // Cut past the limit, before the fake terminator.
    let cut = 150;
    assert!(input[..cut].windows(15).all(|w| w != b"--END COMMAND--"));
    let items = decode_chunks_with(limits, [&input[..cut], &input[cut..]]);
    assert_eq!(items.len(), 2, "{items:?}");
    let e = expect_error(&items[0], DecodeErrorKind::MessageTooLarge);
    assert_eq!(e.action_id().unwrap(), &b"leg"[..]);
    assert_next(&items[1]);
    assert_eq!(decode_all_ways_with(limits, &input), items);
}

/// A legacy body already over the limit whose terminator has arrived but
/// not its line ending is too large however the line ends.
#[test]
fn oversized_legacy_body_waiting_for_its_line_end() {
    let limits = small(1024, 100, 1000);
    let mut input = b"Response: Follows\r\nActionID: w\r\nfirst line\n".to_vec();
    input.extend_from_slice(&[b'o'; 120]);
    input.extend_from_slice(b"--END COMMAND--");
    for tail in [&b""[..], b"\r", b"\r\n\r\n"] {
        let mut input = input.clone();
        input.extend_from_slice(tail);
        let items = decode_all_ways_with(limits, &input);
        assert_eq!(items.len(), 1, "{tail:?}: {items:?}");
        let e = expect_error(&items[0], DecodeErrorKind::MessageTooLarge);
        assert_eq!(e.action_id().unwrap(), &b"w"[..]);
    }
    input.extend_from_slice(b"\r\n\r\n");
    input.extend_from_slice(NEXT);
    let items = decode_all_ways_with(limits, &input);
    assert_eq!(items.len(), 2, "{items:?}");
    assert_next(&items[1]);
}

/// Limits inside a legacy answer: whatever breaks, the skipper goes on to
/// `--END COMMAND--`, never to an empty line inside the raw body, however
/// the bytes were chunked.
#[test]
fn errors_in_a_legacy_answer_skip_its_whole_body() {
    let limits = small(50, 1 << 20, 1000);
    let body = b"\n\nEvent: Fake\r\n\r\nmore\n--END COMMAND--\r\n\r\n";
    let long = [b'x'; 100];
    let heads: [&[&[u8]]; 3] = [
        // The first output line is too long.
        &[
            b"Response: Follows\r\nPrivilege: Command\r\nActionID: 5\r\n",
            &long,
        ],
        // A header before the body is too long.
        &[
            b"Response: Follows\r\nActionID: 5\r\nPrivilege: ",
            &long,
            b"\r\nout",
        ],
        // The first output line is too long and starts like a header.
        &[b"Response: Follows\r\nActionID: 5\r\nActionI", &long],
    ];
    for head in heads {
        let mut input = head.concat();
        input.extend_from_slice(body);
        input.extend_from_slice(NEXT);
        let items = decode_all_ways_with(limits, &input);
        assert_eq!(
            items.len(),
            2,
            "{:?}: {items:?}",
            String::from_utf8_lossy(&input)
        );
        let e = expect_error(&items[0], DecodeErrorKind::LineTooLong);
        assert_eq!(e.action_id().unwrap(), &b"5"[..]);
        assert_next(&items[1]);
    }
}
