//! Legacy (Asterisk ≤ 13) `Response: Follows` Command bodies, read up to
//! `--END COMMAND--`: edge cases as a table, each decoded in one piece, at
//! every split point and byte by byte.
// Table types are spelled out where the table is.
#![allow(clippy::type_complexity)]

mod common;

use ami_proto::{Decoded, Decoder, MessageKind, encode_legacy_command};
use common::*;

const HEAD: &[u8] = b"Response: Follows\r\nPrivilege: Command\r\nActionID: 9\r\n";
const NEXT: &[u8] = b"Event: Next\r\nA: 1\r\n\r\n";

#[test]
fn legacy_body_edge_cases() {
    let cases: &[(&str, &[u8], &[&[u8]])] = &[
        (
            "one line, own terminator line",
            b"hello\n--END COMMAND--\r\n\r\n",
            &[b"hello"],
        ),
        (
            "terminator glued to the last line",
            b"text--END COMMAND--\r\n\r\n",
            &[b"text"],
        ),
        (
            "glued after several lines",
            b"a\nb\nlast--END COMMAND--\r\n\r\n",
            &[b"a", b"b", b"last"],
        ),
        ("empty output", b"--END COMMAND--\r\n\r\n", &[]),
        (
            "body with CRLF endings",
            b"a\r\nb\r\n--END COMMAND--\r\n\r\n",
            &[b"a", b"b"],
        ),
        (
            "empty lines and colons inside",
            b"a: b\n\n\nStatus: 1 calls processed\nc:\n--END COMMAND--\r\n\r\n",
            &[b"a: b", b"", b"", b"Status: 1 calls processed", b"c:"],
        ),
        (
            "terminator mid-line is no terminator",
            b"x --END COMMAND--x y\nreal\n--END COMMAND--\r\n\r\n",
            &[b"x --END COMMAND--x y", b"real"],
        ),
        (
            "terminator followed by CR and text is no terminator",
            b"abc--END COMMAND--\rx\n--END COMMAND--\r\n\r\n",
            &[b"abc--END COMMAND--\rx"],
        ),
        (
            "terminator followed by a space is no terminator",
            b"--END COMMAND-- \n--END COMMAND--\r\n\r\n",
            &[b"--END COMMAND-- "],
        ),
        (
            "almost a terminator",
            b"-END COMMAND--\n--END COMMAND-\n---END COMMAND--\r\n\r\n",
            &[b"-END COMMAND--", b"--END COMMAND-", b"-"],
        ),
        (
            "terminator with bare LF endings",
            b"out\n--END COMMAND--\n\n",
            &[b"out"],
        ),
        (
            "body starting with an empty line",
            b"\nfoo\n--END COMMAND--\r\n\r\n",
            &[b"", b"foo"],
        ),
        ("only an empty line", b"\n--END COMMAND--\r\n\r\n", &[b""]),
        (
            "lone CR inside a body line",
            b"a\rb\nc\r\r\n--END COMMAND--\r\n\r\n",
            &[b"a\rb", b"c\r"],
        ),
        (
            "CR before a glued terminator stays",
            b"a\r--END COMMAND--\r\n\r\n",
            &[b"a\r"],
        ),
        (
            "header-like and banner-like lines",
            b"Response: Success\nAsterisk Call Manager/1.0\nActionID: 3\n--END COMMAND--\r\n\r\n",
            &[
                b"Response: Success",
                b"Asterisk Call Manager/1.0",
                b"ActionID: 3",
            ],
        ),
    ];
    for (what, body, want) in cases {
        let mut input = HEAD.to_vec();
        input.extend_from_slice(body);
        input.extend_from_slice(NEXT);
        let items = decode_all_ways(&input);
        assert_eq!(items.len(), 2, "{what}: {items:?}");
        let cmd = expect_message(&items[0]);
        assert!(cmd.is_legacy_command(), "{what}");
        assert_eq!(cmd.kind(), MessageKind::Response, "{what}");
        assert_eq!(cmd.header_count(), 3, "{what}");
        assert_eq!(cmd.action_id().unwrap(), "9", "{what}");
        let want: Vec<Vec<u8>> = want.iter().map(|l| l.to_vec()).collect();
        assert_eq!(text_lines(cmd), want, "{what}");
        assert_eq!(cmd.as_bytes().len(), HEAD.len() + body.len(), "{what}");
        // The message after it decodes normally.
        let next = expect_message(&items[1]);
        assert!(!next.is_legacy_command(), "{what}");
        assert_eq!(next.name().unwrap(), "Next", "{what}");
        assert_eq!(next.get("A").unwrap(), "1", "{what}");
    }
}

#[test]
fn legacy_header_variants() {
    let cases: &[(&[u8], &[(&str, &str)], &[&[u8]])] = &[
        // No ActionID (the action had none).
        (
            b"Response: Follows\r\nPrivilege: Command\r\nout\n--END COMMAND--\r\n\r\n",
            &[("Response", "Follows"), ("Privilege", "Command")],
            &[b"out"],
        ),
        // Lowercase, ActionID first.
        (
            b"response: follows\r\nactionid: 4\r\nprivilege: Command\r\nout\n--END COMMAND--\r\n\r\n",
            &[("response", "follows"), ("actionid", "4"), ("privilege", "Command")],
            &[b"out"],
        ),
        // Bare LF after the headers too.
        (
            b"Response: Follows\nPrivilege: Command\n--END COMMAND--\n\n",
            &[("Response", "Follows"), ("Privilege", "Command")],
            &[],
        ),
        // A header other than Privilege / ActionID starts the body.
        (
            b"Response: Follows\r\nMessage: x\r\n--END COMMAND--\r\n\r\n",
            &[("Response", "Follows")],
            &[b"Message: x"],
        ),
    ];
    for (input, headers, output) in cases {
        let msg = one_message(input);
        assert!(msg.is_legacy_command());
        let got: Vec<_> = msg
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let want: Vec<_> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(input));
        let output: Vec<Vec<u8>> = output.iter().map(|l| l.to_vec()).collect();
        assert_eq!(text_lines(&msg), output);
    }
    // `Response: Success` etc. never start a raw body.
    let msg = one_message(b"Response: Success\r\nPrivilege: Command\r\nhello\r\n\r\n");
    assert!(!msg.is_legacy_command());
    assert_eq!(text_lines(&msg), [b"hello".to_vec()]);
}

#[test]
fn terminator_split_across_feeds() {
    let mut input = HEAD.to_vec();
    input.extend_from_slice(b"line one\n\nline--END COMMAND--\r\n\r\n");
    input.extend_from_slice(NEXT);
    let term = input
        .windows(15)
        .position(|w| w == b"--END COMMAND--")
        .unwrap();
    // Cut inside the terminator, between it and its CR, and between CR and LF.
    for cut in [term + 1, term + 7, term + 14, term + 15, term + 16] {
        let mut d = Decoder::new();
        d.feed(&input[..cut]);
        assert!(d.decode().is_none(), "cut {cut}");
        d.feed(&input[cut..]);
        let Some(Decoded::Message(cmd)) = d.decode() else {
            panic!("cut {cut}")
        };
        assert_eq!(
            text_lines(&cmd),
            [b"line one".to_vec(), b"".to_vec(), b"line".to_vec()]
        );
        let Some(Decoded::Message(next)) = d.decode() else {
            panic!("cut {cut}")
        };
        assert_eq!(next.name().unwrap(), "Next");
        assert!(d.decode().is_none());
        assert_eq!(d.buffered_len(), 0);
    }
    // In three pieces: `--END`, ` COMMAND-`, `-\r\n\r\n`.
    let pieces = [
        &input[..term + 5],
        &input[term + 5..term + 14],
        &input[term + 14..],
    ];
    let items = decode_chunks(pieces);
    assert_eq!(items, decode_whole(&input));
    assert_eq!(items.len(), 2);
}

#[test]
fn legacy_body_cut_off_is_truncated() {
    let mut input = HEAD.to_vec();
    input.extend_from_slice(b"some output\n\nmore\n--END COMM");
    let items = decode_all_ways(&input);
    assert_eq!(items.len(), 1);
    let e = expect_error(&items[0], ami_proto::DecodeErrorKind::Truncated);
    assert_eq!(e.action_id().unwrap(), &b"9"[..]);
    assert_eq!(e.message_kind(), Some(MessageKind::Response));
    assert_eq!(e.offset(), 0);
    assert_eq!(e.limit(), input.len());
}

#[test]
fn encode_legacy_command_round_trips() {
    let cases: &[(Option<&[u8]>, &[u8], &[&[u8]])] = &[
        (
            Some(b"2"),
            b"line 1\n\nline: 3\n",
            &[b"line 1", b"", b"line: 3"],
        ),
        (None, b"no final newline", &[b"no final newline"]),
        (Some(b"x y"), b"", &[]),
        (Some(b""), b"\n", &[b""]),
        (None, b"a\r\nb\r\n", &[b"a", b"b"]),
        (
            Some(b"id"),
            b"Status: 1 calls processed\n--END COMMAND-",
            &[b"Status: 1 calls processed", b"--END COMMAND-"],
        ),
        (Some(b"id"), b"\n\n\n", &[b"", b"", b""]),
        (Some(b"\xe9"), b"Jos\xe9\n", &[b"Jos\xe9"]),
    ];
    for (id, output, lines) in cases {
        let mut buf = b"prefix".to_vec();
        encode_legacy_command(&mut buf, *id, output).unwrap();
        let wire = buf.strip_prefix(b"prefix").unwrap().to_vec();
        let msg = one_message(&wire);
        assert!(msg.is_legacy_command());
        assert_eq!(msg.name().unwrap(), "Follows");
        assert_eq!(msg.get("Privilege").unwrap(), "Command");
        assert_eq!(
            msg.action_id().map(|v| v.as_bytes().to_vec()),
            id.map(<[u8]>::to_vec)
        );
        let lines: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
        assert_eq!(
            text_lines(&msg),
            lines,
            "{:?}",
            String::from_utf8_lossy(output)
        );
        assert_eq!(msg.as_bytes().as_ref(), wire.as_slice());
    }
}

#[test]
fn encode_legacy_command_refusals() {
    use ami_proto::EncodeError;
    let cases: &[(Option<&[u8]>, &[u8], EncodeError)] = &[
        (
            None,
            b"a\n--END COMMAND--\n",
            EncodeError::OutputHoldsTerminator,
        ),
        (
            None,
            b"x--END COMMAND--x",
            EncodeError::OutputHoldsTerminator,
        ),
        (
            Some(b"1\r\nAction: Logoff"),
            b"",
            EncodeError::BadValue {
                name: "ActionID".into(),
                byte: b'\r',
            },
        ),
        (
            Some(b"1\n"),
            b"",
            EncodeError::BadValue {
                name: "ActionID".into(),
                byte: b'\n',
            },
        ),
        (
            Some(b"\0"),
            b"",
            EncodeError::BadValue {
                name: "ActionID".into(),
                byte: 0,
            },
        ),
    ];
    for (id, output, want) in cases {
        let mut buf = b"keep".to_vec();
        assert_eq!(
            encode_legacy_command(&mut buf, *id, output),
            Err(want.clone())
        );
        assert_eq!(buf, b"keep");
    }
}
