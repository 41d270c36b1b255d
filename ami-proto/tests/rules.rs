//! Table-driven tests, one table per decoding rule. Every input is decoded in
//! one piece, split at every point and byte by byte, which must all agree.
// Table types are spelled out where the table is.
#![allow(clippy::type_complexity)]

mod common;

use ami_proto::{Decoded, Line, MessageKind, Value};
use common::*;

type Fields = Vec<(Vec<u8>, Vec<u8>)>;

fn f(pairs: &[(&str, &[u8])]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.to_vec()))
        .collect()
}

#[test]
fn lookup_ignores_case_and_keeps_it() {
    let msg = one_message(b"Event: Newchannel\r\nCallerIDNum: 100\r\nuniqueid: 17.1\r\n\r\n");
    for key in ["CallerIDNum", "calleridnum", "CALLERIDNUM", "cAlLeRiDnUm"] {
        assert_eq!(msg.get(key).unwrap(), "100", "{key}");
        assert!(msg.contains(key));
        assert_eq!(msg.get_bytes(key).unwrap(), &b"100"[..]);
    }
    for key in ["Uniqueid", "UNIQUEID", "uniqueid"] {
        assert_eq!(msg.get(key).unwrap(), "17.1", "{key}");
    }
    for key in ["CallerID", "CallerIDNum ", "", "Num", "CallerIDNumX"] {
        assert!(msg.get(key).is_none(), "{key:?}");
        assert!(!msg.contains(key));
        assert!(msg.get_bytes(key).is_none());
    }
    let keys: Vec<_> = msg.headers().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["Event", "CallerIDNum", "uniqueid"]);
}

#[test]
fn get_all_keeps_wire_order() {
    let cases: &[(&[u8], &str, &[&str])] = &[
        (
            b"Event: X\r\nA: 1\r\nB: x\r\na: 2\r\nA: 3\r\n\r\n",
            "a",
            &["1", "2", "3"],
        ),
        (
            b"Event: X\r\nA: 1\r\nB: x\r\na: 2\r\nA: 3\r\n\r\n",
            "B",
            &["x"],
        ),
        (b"Event: X\r\nA: 1\r\n\r\n", "missing", &[]),
        (
            b"Event: Status\r\nChannelState: 6\r\nChannelState: 6\r\n\r\n",
            "channelstate",
            &["6", "6"],
        ),
        (
            b"Response: Success\r\nVariable: b=2\r\nVariable: a=1\r\nVariable: \r\n\r\n",
            "Variable",
            &["b=2", "a=1", ""],
        ),
        (
            b"Event: VarSet\r\nChanVariable(PJSIP/1-1): X=1\r\nChanVariable: Y=2\r\n\r\n",
            "ChanVariable",
            &["Y=2"],
        ),
        (
            b"Event: VarSet\r\nChanVariable(PJSIP/1-1): X=1\r\nChanVariable: Y=2\r\n\r\n",
            "chanvariable(pjsip/1-1)",
            &["X=1"],
        ),
    ];
    for (input, key, want) in cases {
        let msg = one_message(input);
        let got: Vec<_> = msg.get_all(key).collect();
        assert_eq!(got, *want, "{key} in {:?}", String::from_utf8_lossy(input));
        assert_eq!(
            msg.get(key).map(|v| v.to_string()),
            want.first().map(|s| s.to_string())
        );
    }
}

#[test]
fn exactly_one_space_is_dropped() {
    let cases: &[(&[u8], &str, &[u8])] = &[
        (b"Key: value", "Key", b"value"),
        (b"Key:  two spaces", "Key", b" two spaces"),
        (b"Key:   three", "Key", b"  three"),
        (b"Key:x", "Key", b"x"),
        (b"Key:", "Key", b""),
        (b"Key: ", "Key", b""),
        (b"Key:  ", "Key", b" "),
        (b"Key:\tx", "Key", b"\tx"),
        (b"Key: \tx", "Key", b"\tx"),
        (b"Key: trailing  ", "Key", b"trailing  "),
        (b"Key: a: b: c", "Key", b"a: b: c"),
        (b"Key::", "Key", b":"),
        (b"Key: :x", "Key", b":x"),
        (b"Key :v", "Key ", b"v"),
        (b" Key: v", " Key", b"v"),
        (
            b"Output:   '100' =>  1. Answer()",
            "Output",
            b"  '100' =>  1. Answer()",
        ),
    ];
    for (line, key, value) in cases {
        for ending in [&b"\r\n"[..], b"\n"] {
            let mut input = b"Event: X\r\n".to_vec();
            input.extend_from_slice(line);
            input.extend_from_slice(ending);
            input.extend_from_slice(ending);
            let msg = one_message(&input);
            let got = fields(&msg);
            assert_eq!(
                got[1],
                (key.as_bytes().to_vec(), value.to_vec()),
                "{:?}",
                String::from_utf8_lossy(line)
            );
            assert_eq!(got.len(), 2);
            assert_eq!(msg.text_lines().count(), 0);
        }
    }
}

#[test]
fn line_endings_bare_lf_and_mixed() {
    let want = f(&[
        ("Response", b"Success"),
        ("ActionID", b"1"),
        ("Ping", b"Pong"),
    ]);
    let cases: &[&[u8]] = &[
        b"Response: Success\r\nActionID: 1\r\nPing: Pong\r\n\r\n",
        b"Response: Success\nActionID: 1\nPing: Pong\n\n",
        b"Response: Success\r\nActionID: 1\nPing: Pong\r\n\n",
        b"Response: Success\nActionID: 1\r\nPing: Pong\n\r\n",
        b"Response: Success\nActionID: 1\nPing: Pong\n\r\n",
    ];
    for input in cases {
        let msg = one_message(input);
        assert_eq!(fields(&msg), want, "{:?}", String::from_utf8_lossy(input));
        assert_eq!(msg.as_bytes().as_ref(), *input);
    }
}

#[test]
fn stray_empty_lines_between_messages_are_skipped() {
    let cases: &[&[u8]] = &[
        b"Response: Success\r\n\r\nEvent: X\r\n\r\n",
        b"\r\nResponse: Success\r\n\r\n\r\nEvent: X\r\n\r\n\r\n",
        b"\n\n\nResponse: Success\n\n\n\nEvent: X\n\n\n",
        // CoreShowChannelMap's `\r\n\n`.
        b"Response: Success\r\n\r\n\nEvent: X\r\n\r\n\n",
        b"Response: Success\r\n\n\r\n\n\r\n\r\nEvent: X\r\n\n",
    ];
    for input in cases {
        let items = decode_all_ways(input);
        let msgs = messages(items);
        assert_eq!(msgs.len(), 2, "{:?}", String::from_utf8_lossy(input));
        assert_eq!(fields(&msgs[0]), f(&[("Response", b"Success")]));
        assert_eq!(fields(&msgs[1]), f(&[("Event", b"X")]));
        assert!(msgs.iter().all(|m| m.text_lines().count() == 0));
    }
    // Only empty lines: nothing at all, and no Truncated at the end.
    for input in [&b"\r\n"[..], b"\n", b"\r\n\n\r\n", b"\n\n\n\n\r\n"] {
        assert!(decode_all_ways(input).is_empty(), "{input:?}");
    }
}

#[test]
fn colon_less_lines_are_text() {
    let msg = one_message(b"Event: X\r\nno colon here\r\nA: 1\r\n   \r\nlast\r\n\r\n");
    let lines: Vec<_> = msg.lines().collect();
    assert_eq!(
        lines,
        [
            Line::Header(Value::new(b"Event"), Value::new(b"X")),
            Line::Text(Value::new(b"no colon here")),
            Line::Header(Value::new(b"A"), Value::new(b"1")),
            Line::Text(Value::new(b"   ")),
            Line::Text(Value::new(b"last")),
        ]
    );
    assert_eq!(msg.header_count(), 2);
    assert_eq!(
        text_lines(&msg),
        [b"no colon here".to_vec(), b"   ".to_vec(), b"last".to_vec()]
    );
    assert!(!msg.is_legacy_command());

    // `Action: Queues` answered raw text with no Response header (≤ 14).
    let queues = b"support has 0 calls (max unlimited) in 'ringall' strategy\r\n   Members: \r\n      Local/100@default (ringinuse enabled)\r\n   No Callers\r\n\r\n";
    let msg = one_message(queues);
    assert_eq!(msg.kind(), MessageKind::Other);
    // `   Members: ` has a colon: it is a header, and the first one.
    assert_eq!(msg.name().unwrap(), "");
    assert_eq!(fields(&msg), f(&[("   Members", b"")]));
    assert_eq!(
        text_lines(&msg),
        [
            b"support has 0 calls (max unlimited) in 'ringall' strategy".to_vec(),
            b"      Local/100@default (ringinuse enabled)".to_vec(),
            b"   No Callers".to_vec(),
        ]
    );
}

/// A colon at the very start leaves no name: the decoder keeps the line as a
/// text line (`Some(c) if c > start` in `decode_headers`), it is no header
/// with an empty key.
#[test]
fn line_starting_with_colon_is_text() {
    let cases: &[(&[u8], &[u8])] = &[
        (b":value", b":value"),
        (b": value", b": value"),
        (b":", b":"),
        (b"::", b"::"),
        (b": a: b", b": a: b"),
    ];
    for (line, text) in cases {
        let mut input = b"Event: X\r\n".to_vec();
        input.extend_from_slice(line);
        input.extend_from_slice(b"\r\n\r\n");
        let msg = one_message(&input);
        assert_eq!(fields(&msg), f(&[("Event", b"X")]), "{line:?}");
        assert_eq!(text_lines(&msg), [text.to_vec()], "{line:?}");
        assert!(msg.get("").is_none());
    }
    // As the first line it does not decide the kind either.
    let msg = one_message(b":x\r\nEvent: Y\r\n\r\n");
    assert_eq!(msg.kind(), MessageKind::Event);
    assert_eq!(msg.name().unwrap(), "Y");
}

#[test]
fn kinds_come_from_the_first_header() {
    let cases: &[(&[u8], MessageKind, Option<&str>)] = &[
        (
            b"Response: Success\r\n",
            MessageKind::Response,
            Some("Success"),
        ),
        (
            b"response: Success\r\n",
            MessageKind::Response,
            Some("Success"),
        ),
        (b"RESPONSE:Error\r\n", MessageKind::Response, Some("Error")),
        (b"Event: Hangup\r\n", MessageKind::Event, Some("Hangup")),
        (b"event: hangup\r\n", MessageKind::Event, Some("hangup")),
        (b"EvEnT: Hangup\r\n", MessageKind::Event, Some("Hangup")),
        (b"Action: Ping\r\n", MessageKind::Action, Some("Ping")),
        (b"action: ping\r\n", MessageKind::Action, Some("ping")),
        (
            b"ActionID: 1\r\nAction: Ping\r\n",
            MessageKind::Other,
            Some("1"),
        ),
        (b"RuleList: myrule\r\n", MessageKind::Other, Some("myrule")),
        (b"Responses: x\r\n", MessageKind::Other, Some("x")),
        (b"Response : x\r\n", MessageKind::Other, Some("x")),
        (b" Event: x\r\n", MessageKind::Other, Some("x")),
        (b"Events: on\r\n", MessageKind::Other, Some("on")),
        (
            b"Message: x\r\nResponse: Success\r\n",
            MessageKind::Other,
            Some("x"),
        ),
        (
            b"Event: X\r\nResponse: Success\r\n",
            MessageKind::Event,
            Some("X"),
        ),
        (
            b"Response: Success\r\nEvent: X\r\n",
            MessageKind::Response,
            Some("Success"),
        ),
        // A text line is no header: the first *header* decides.
        (b"garbage\r\nEvent: X\r\n", MessageKind::Event, Some("X")),
        (b"only text\r\n", MessageKind::Other, None),
    ];
    for (head, kind, name) in cases {
        let mut input = head.to_vec();
        input.extend_from_slice(b"\r\n");
        let msg = one_message(&input);
        assert_eq!(msg.kind(), *kind, "{:?}", String::from_utf8_lossy(head));
        assert_eq!(msg.name().map(|n| n.to_string()).as_deref(), *name);
    }
    assert_eq!(MessageKind::Response.as_str(), "response");
    assert_eq!(MessageKind::Event.as_str(), "event");
    assert_eq!(MessageKind::Action.as_str(), "action");
    assert_eq!(MessageKind::Other.as_str(), "message");
}

#[test]
fn originate_response_is_an_event() {
    let input = b"Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: o1\r\n\
                  Response: Success\r\nChannel: Local/100@default-00000001;1\r\nReason: 4\r\n\r\n";
    let msg = one_message(input);
    assert_eq!(msg.kind(), MessageKind::Event);
    assert_eq!(msg.name().unwrap(), "OriginateResponse");
    assert_eq!(msg.get("Response").unwrap(), "Success");
    assert_eq!(msg.action_id().unwrap(), "o1");
    // The failure shape too, lowercase.
    let msg = one_message(b"event: OriginateResponse\r\nresponse: Failure\r\nReason: 0\r\n\r\n");
    assert_eq!(msg.kind(), MessageKind::Event);
    assert_eq!(msg.get("RESPONSE").unwrap(), "Failure");
    // And a `Response: Follows` further down does not make it a legacy body.
    let msg = one_message(b"Event: OriginateResponse\r\nResponse: Follows\r\nX\r\n\r\n");
    assert!(!msg.is_legacy_command());
    assert_eq!(msg.text_lines().count(), 1);
}

#[test]
fn lone_cr_is_part_of_the_line() {
    let cases: &[(&[u8], Fields, Vec<&[u8]>)] = &[
        (
            b"Event: X\r\nA: 1\r2\r\n\r\n",
            f(&[("Event", b"X"), ("A", b"1\r2")]),
            vec![],
        ),
        (
            b"Event: X\r\nA: 1\r\r\n\r\n",
            f(&[("Event", b"X"), ("A", b"1\r")]),
            vec![],
        ),
        (
            b"Event: X\r\nA: \r\r\n\r\n",
            f(&[("Event", b"X"), ("A", b"\r")]),
            vec![],
        ),
        (
            b"Event: X\r\nA\r: 1\r\n\r\n",
            f(&[("Event", b"X"), ("A\r", b"1")]),
            vec![],
        ),
        (b"Event: X\rY\r\n\r\n", f(&[("Event", b"X\rY")]), vec![]),
        (
            b"Event: X\n\rA: 1\n\n",
            f(&[("Event", b"X"), ("\rA", b"1")]),
            vec![],
        ),
        // A line holding only `\r` (before its CRLF) is no empty line.
        (
            b"Event: X\r\n\r\r\nA: 1\r\n\r\n",
            f(&[("Event", b"X"), ("A", b"1")]),
            vec![b"\r"],
        ),
        (
            b"Event: X\r\n\r\r\n\r\n",
            f(&[("Event", b"X")]),
            vec![b"\r"],
        ),
    ];
    for (input, want, text) in cases {
        let msg = one_message(input);
        assert_eq!(fields(&msg), *want, "{:?}", String::from_utf8_lossy(input));
        let text: Vec<Vec<u8>> = text.iter().map(|t| t.to_vec()).collect();
        assert_eq!(text_lines(&msg), text);
    }
}

#[test]
fn nul_bytes_are_bytes() {
    let input = b"Event: X\r\nData: a\0b\0\r\n\0Key: \0\r\nTail: ok\r\n\r\n";
    let msg = one_message(input);
    assert_eq!(
        fields(&msg),
        f(&[
            ("Event", b"X"),
            ("Data", b"a\0b\0"),
            ("\0Key", b"\0"),
            ("Tail", b"ok")
        ])
    );
    assert_eq!(msg.get("data").unwrap().as_bytes(), b"a\0b\0");
    assert_eq!(msg.get("data").unwrap().as_str(), Ok("a\0b\0"));
    assert_eq!(msg.get("data").unwrap().len(), 4);
}

#[test]
fn invalid_utf8_is_kept_as_bytes() {
    let input = b"Event: Newchannel\r\nCallerIDName: Jos\xe9\r\nCallerIDNum: 100\r\n\r\n\
                  Event: Hangup\r\nCallerIDName: Ren\xc3\xa9\r\n\xff\xfe\r\n\r\n";
    let items = decode_all_ways(input);
    let msgs = messages(items);
    assert_eq!(msgs.len(), 2);
    let name = msgs[0].get("CallerIDName").unwrap();
    assert_eq!(name.as_bytes(), b"Jos\xe9");
    assert!(name.as_str().is_err());
    assert_eq!(name.to_str_lossy(), "Jos\u{fffd}");
    assert_eq!(name.to_string(), "Jos\u{fffd}");
    assert_eq!(msgs[0].get("CallerIDNum").unwrap(), "100");
    // Decoding went on: the next message is whole, valid UTF-8 and all.
    assert_eq!(msgs[1].name().unwrap(), "Hangup");
    assert_eq!(msgs[1].get("CallerIDName").unwrap().as_str(), Ok("René"));
    assert_eq!(text_lines(&msgs[1]), [b"\xff\xfe".to_vec()]);
    // A key may be invalid UTF-8 too.
    let msg = one_message(b"Event: X\r\nK\xe9y: v\r\n\r\n");
    assert_eq!(msg.get("K\u{e9}y"), None);
    let (k, v) = msg.headers().nth(1).unwrap();
    assert_eq!((k.as_bytes(), v.as_bytes()), (&b"K\xe9y"[..], &b"v"[..]));
    assert!(k.as_str().is_err());
}

#[test]
fn banner_only_on_the_first_line() {
    let cases: &[(&[u8], Option<&str>, usize)] = &[
        (b"Asterisk Call Manager/11.0.0\r\n", Some("11.0.0"), 0),
        (b"Asterisk Call Manager/1.0\n", Some("1.0"), 0),
        (b"\r\n\nAsterisk Call Manager/2.10.6\r\n", Some("2.10.6"), 0),
        (
            b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\n\r\n",
            Some("11.0.0"),
            1,
        ),
        (
            b"Response: Success\r\n\r\nAsterisk Call Manager/11.0.0\r\n\r\n",
            None,
            2,
        ),
        (b"Asterisk Manager/11.0.0\r\n\r\n", None, 1),
        (b"asterisk call manager/11.0.0\r\n\r\n", None, 1),
    ];
    for (input, version, count) in cases {
        let items = decode_all_ways(input);
        let (banner, rest) = match items.split_first() {
            Some((Decoded::Banner(b), rest)) => (Some(b), rest),
            _ => (None, &items[..]),
        };
        assert_eq!(
            banner.map(|b| b.version().unwrap().to_string()).as_deref(),
            *version,
            "{:?}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(rest.len(), *count, "{:?}", String::from_utf8_lossy(input));
        for item in rest {
            expect_message(item);
        }
    }
    // A late banner line is a text line of a message of kind Other.
    let items = decode_all_ways(b"Event: X\r\n\r\nAsterisk Call Manager/11.0.0\r\n\r\n");
    let late = expect_message(&items[1]);
    assert_eq!(late.kind(), MessageKind::Other);
    assert_eq!(text_lines(late), [b"Asterisk Call Manager/11.0.0".to_vec()]);
    // No slash: no version.
    let items = decode_all_ways(b"Asterisk Call Manager\r\n");
    let Decoded::Banner(b) = &items[0] else {
        panic!("{items:?}")
    };
    assert!(b.version().is_none());
    assert_eq!(b.product(), "Asterisk Call Manager");
}

#[test]
fn as_bytes_is_the_wire_message() {
    let input = b"\r\nEvent: X\r\nA: 1\n\r\n\n\nResponse: Y\n\n";
    let msgs = messages(decode_all_ways(input));
    assert_eq!(msgs[0].as_bytes().as_ref(), b"Event: X\r\nA: 1\n\r\n");
    assert_eq!(msgs[1].as_bytes().as_ref(), b"Response: Y\n\n");
    // get_bytes is a slice of it.
    let v = msgs[0].get_bytes("a").unwrap();
    assert_eq!(v, &b"1"[..]);
    let whole = msgs[0].as_bytes();
    let start = v.as_ptr() as usize - whole.as_ptr() as usize;
    assert_eq!(&whole[start..start + 1], b"1");
}

#[test]
fn debug_redacts_secrets() {
    let msg =
        one_message(b"Action: Login\r\nUsername: admin\r\nSecret: amp111\r\nkey: abc\r\n\r\n");
    let dbg = format!("{msg:?}");
    assert!(!dbg.contains("amp111") && !dbg.contains("abc"), "{dbg}");
    assert!(dbg.contains("admin") && dbg.contains("<redacted>"), "{dbg}");
    assert_eq!(msg.get("secret").unwrap(), "amp111");
}
