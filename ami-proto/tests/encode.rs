//! The encoders: every refusal as a table, the ActionID intercept, and
//! property tests that whatever they accept decodes back to the same fields
//! and whatever breaks a rule gets the typed error for that rule.
// Table types are spelled out where the table is.
#![allow(clippy::type_complexity)]

mod common;

use ami_proto::{
    Action, EncodeError, MAX_ACTION_HEADERS, MAX_ACTION_LINE, MessageKind, ServerMessage,
};
use common::*;
use proptest::prelude::*;

fn bad_value(name: &str, byte: u8) -> EncodeError {
    EncodeError::BadValue {
        name: name.into(),
        byte,
    }
}

fn bad_name(name: &str, byte: u8) -> EncodeError {
    EncodeError::BadName {
        name: name.into(),
        byte,
    }
}

/// Encodes into a buffer that already holds bytes, and checks that the
/// buffer is untouched on error and `validate` agrees.
fn encode_action(action: &Action) -> Result<Vec<u8>, EncodeError> {
    let mut buf = b"previous bytes".to_vec();
    let result = action.encode(&mut buf);
    assert_eq!(action.validate(), result.clone());
    match result {
        Ok(()) => {
            assert!(buf.starts_with(b"previous bytes"));
            let wire = buf.split_off(14);
            assert_eq!(action.to_bytes().unwrap(), wire);
            Ok(wire)
        }
        Err(e) => {
            assert_eq!(buf, b"previous bytes", "buf touched on {e:?}");
            assert_eq!(action.to_bytes(), Err(e.clone()));
            Err(e)
        }
    }
}

fn encode_server(msg: &ServerMessage) -> Result<Vec<u8>, EncodeError> {
    let mut buf = b"previous".to_vec();
    match msg.encode(&mut buf) {
        Ok(()) => Ok(buf.split_off(8)),
        Err(e) => {
            assert_eq!(buf, b"previous", "buf touched on {e:?}");
            assert_eq!(msg.to_bytes(), Err(e.clone()));
            Err(e)
        }
    }
}

#[test]
fn action_refusals() {
    let long = |n: usize| vec![b'v'; n];
    let cases: Vec<(&str, Action, EncodeError)> = vec![
        (
            "CR in value",
            Action::new("Ping").header("X", "a\rb"),
            bad_value("X", b'\r'),
        ),
        (
            "LF in value",
            Action::new("Ping").header("X", "a\nb"),
            bad_value("X", b'\n'),
        ),
        (
            "CRLF injection",
            Action::new("Ping").header("X", "1\r\nAction: Logoff"),
            bad_value("X", b'\r'),
        ),
        (
            "NUL in value",
            Action::new("Ping").header("X", "a\0b"),
            bad_value("X", 0),
        ),
        (
            "LF at the end",
            Action::new("Ping").header("X", "a\n"),
            bad_value("X", b'\n'),
        ),
        (
            "CR in the action name",
            Action::new("Ping\r\nAction: Logoff"),
            bad_value("Action", b'\r'),
        ),
        (
            "NUL in the action name",
            Action::new("Pi\0ng"),
            bad_value("Action", 0),
        ),
        (
            "LF in the ActionID",
            Action::new("Ping").action_id("1\n"),
            bad_value("ActionID", b'\n'),
        ),
        (
            "CR in an intercepted ActionID",
            Action::new("Ping").header("actionid", "1\r"),
            bad_value("ActionID", b'\r'),
        ),
        (
            "colon in name",
            Action::new("Ping").header("X:Y", "1"),
            bad_name("X:Y", b':'),
        ),
        (
            "space in name",
            Action::new("Ping").header("X Y", "1"),
            bad_name("X Y", b' '),
        ),
        (
            "tab in name",
            Action::new("Ping").header("X\tY", "1"),
            bad_name("X\tY", b'\t'),
        ),
        (
            "CR in name",
            Action::new("Ping").header("X\r", "1"),
            bad_name("X\r", b'\r'),
        ),
        (
            "LF in name",
            Action::new("Ping").header("\nX", "1"),
            bad_name("\nX", b'\n'),
        ),
        (
            "NUL in name",
            Action::new("Ping").header("X\0", "1"),
            bad_name("X\0", 0),
        ),
        (
            "control in name",
            Action::new("Ping").header("X\x01", "1"),
            bad_name("X\x01", 1),
        ),
        (
            "DEL in name",
            Action::new("Ping").header("X\x7f", "1"),
            bad_name("X\x7f", 0x7f),
        ),
        (
            "escape in name",
            Action::new("Ping").header("\x1b[m", "1"),
            bad_name("\x1b[m", 0x1b),
        ),
        (
            "empty name",
            Action::new("Ping").header("", "1"),
            EncodeError::EmptyName,
        ),
        (
            "line of 1025 bytes",
            Action::new("Ping").header("X", long(MAX_ACTION_LINE - 5 + 1)),
            EncodeError::LineTooLong {
                name: "X".into(),
                len: 1025,
                max: 1024,
            },
        ),
        (
            "action line of 1025 bytes",
            Action::new(long(MAX_ACTION_LINE - 10 + 1)),
            EncodeError::LineTooLong {
                name: "Action".into(),
                len: 1025,
                max: 1024,
            },
        ),
        (
            "ActionID line of 1025 bytes",
            Action::new("Ping").action_id(long(MAX_ACTION_LINE - 12 + 1)),
            EncodeError::LineTooLong {
                name: "ActionID".into(),
                len: 1025,
                max: 1024,
            },
        ),
        (
            "129 headers with ActionID",
            (0..127).fold(Action::new("Ping").action_id("1"), |a, i| {
                a.header(format!("H{i}"), "v")
            }),
            EncodeError::TooManyHeaders {
                count: 129,
                max: 128,
            },
        ),
        (
            "129 headers without ActionID",
            (0..128).fold(Action::new("Ping"), |a, i| a.header(format!("H{i}"), "v")),
            EncodeError::TooManyHeaders {
                count: 129,
                max: 128,
            },
        ),
        (
            "the first offending header is reported",
            Action::new("Ping")
                .header("A", "ok")
                .header("B", "x\ny")
                .header("C:", "z"),
            bad_value("B", b'\n'),
        ),
    ];
    for (what, action, want) in cases {
        assert_eq!(encode_action(&action), Err(want.clone()), "{what}");
        // The message names the rule.
        assert!(!want.to_string().is_empty());
    }
}

#[test]
fn action_limits_accept_the_edge() {
    let v = |n: usize| "v".repeat(n);
    // `X: ` + value + CRLF is exactly 1024 bytes.
    let edge = Action::new("Ping").header("X", v(MAX_ACTION_LINE - 5));
    let wire = encode_action(&edge).unwrap();
    let line = wire.strip_prefix(b"Action: Ping\r\n").unwrap();
    let line_len = line.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    assert_eq!(line_len, MAX_ACTION_LINE);
    let msg = one_message_quick(&wire);
    assert_eq!(msg.get("X").unwrap().len(), MAX_ACTION_LINE - 5);

    let edge = Action::new(v(MAX_ACTION_LINE - 10));
    assert!(encode_action(&edge).is_ok());
    let edge = Action::new("Ping").action_id(v(MAX_ACTION_LINE - 12));
    assert!(encode_action(&edge).is_ok());

    // 128 headers, Action and ActionID included.
    let full = (0..126).fold(Action::new("Ping").action_id("1"), |a, i| {
        a.header(format!("H{i}"), "v")
    });
    let wire = encode_action(&full).unwrap();
    let msg = one_message_quick(&wire);
    assert_eq!(msg.header_count(), MAX_ACTION_HEADERS);
    let full = (0..127).fold(Action::new("Ping"), |a, i| a.header(format!("H{i}"), "v"));
    assert_eq!(
        one_message_quick(&encode_action(&full).unwrap()).header_count(),
        128
    );
}

#[test]
fn action_accepts_what_asterisk_reads() {
    let cases: Vec<(Action, &[u8])> = vec![
        (Action::new("Ping"), b"Action: Ping\r\n\r\n"),
        (Action::new(""), b"Action: \r\n\r\n"),
        (
            Action::new("UserEvent")
                .header("Empty", "")
                .header("WithColon", "a: b: c"),
            b"Action: UserEvent\r\nEmpty: \r\nWithColon: a: b: c\r\n\r\n",
        ),
        (
            Action::new("Setvar").header("Value", " lead\tand trail "),
            b"Action: Setvar\r\nValue:  lead\tand trail \r\n\r\n",
        ),
        (
            Action::new("X").header(b"N\xe9", b"Jos\xe9"),
            b"Action: X\r\nN\xe9: Jos\xe9\r\n\r\n",
        ),
        (
            Action::new("X").header("a-b_c.d(1)", "\x01\x7f"),
            b"Action: X\r\na-b_c.d(1): \x01\x7f\r\n\r\n",
        ),
    ];
    for (action, want) in cases {
        assert_eq!(encode_action(&action).unwrap(), want, "{action:?}");
    }
}

#[test]
fn action_id_header_is_intercepted() {
    let a = Action::new("Ping")
        .header("ActionID", "x")
        .header("Foo", "1");
    assert_eq!(a.get_action_id(), Some(&b"x"[..]));
    assert!(a.get("ActionID").is_none());
    assert_eq!(a.headers().count(), 1);
    assert_eq!(a.get("foo"), Some(&b"1"[..]));
    assert_eq!(a.name(), b"Ping");
    assert_eq!(
        encode_action(&a).unwrap(),
        b"Action: Ping\r\nActionID: x\r\nFoo: 1\r\n\r\n"
    );
    // Any case; the last one wins, and so does a later action_id().
    let a = Action::new("Ping")
        .header("actionid", "1")
        .header("ACTIONID", "2");
    assert_eq!(
        encode_action(&a).unwrap(),
        b"Action: Ping\r\nActionID: 2\r\n\r\n"
    );
    let a = Action::new("Ping").action_id("z").header("ActionId", "w");
    assert_eq!(a.get_action_id(), Some(&b"w"[..]));
    let mut a = Action::new("Ping").header("ActionID", "w");
    a.set_action_id("v");
    a.push_header("actionID", "u");
    a.push_header("Other", "o");
    assert_eq!(
        encode_action(&a).unwrap(),
        b"Action: Ping\r\nActionID: u\r\nOther: o\r\n\r\n"
    );
    // Only that name: `ActionIDs` is a header like any other.
    let a = Action::new("Ping").header("ActionIDs", "1");
    assert!(a.get_action_id().is_none());
    assert_eq!(
        encode_action(&a).unwrap(),
        b"Action: Ping\r\nActionIDs: 1\r\n\r\n"
    );
    // Without one, none is written.
    assert_eq!(
        encode_action(&Action::new("Ping")).unwrap(),
        b"Action: Ping\r\n\r\n"
    );
}

#[test]
fn action_debug_redacts_secrets() {
    let a = Action::new("Login")
        .header("Username", "admin")
        .header("Secret", "amp111")
        .header("key", "b5690284");
    let dbg = format!("{a:?}");
    assert!(
        !dbg.contains("amp111") && !dbg.contains("b5690284"),
        "{dbg}"
    );
    assert!(dbg.contains("admin"));
    assert_eq!(a.get("secret"), Some(&b"amp111"[..]));
}

#[test]
fn server_message_framing_only() {
    // Not bound by Asterisk's input limits: long lines, many headers.
    let long = "x".repeat(5000);
    let msg = ServerMessage::response("Success").header("Output", &long);
    let wire = encode_server(&msg).unwrap();
    assert_eq!(one_message_quick(&wire).get("Output").unwrap().len(), 5000);
    let many = (0..500).fold(ServerMessage::response("Success"), |m, i| {
        m.header("Output", format!("{i}"))
    });
    let decoded = one_message_quick(&encode_server(&many).unwrap());
    assert_eq!(decoded.header_count(), 501);
    assert_eq!(decoded.get_all("output").last().unwrap(), "499");

    // Still refuses what breaks the framing.
    let cases: Vec<(ServerMessage, EncodeError)> = vec![
        (
            ServerMessage::response("Success").header("X", "a\r\nEvent: Fake"),
            bad_value("X", b'\r'),
        ),
        (
            ServerMessage::event("Hangup").header("X", "a\n"),
            bad_value("X", b'\n'),
        ),
        (
            ServerMessage::event("Hangup").header("X", "a\0"),
            bad_value("X", 0),
        ),
        (ServerMessage::event("Hang\nup"), bad_value("Event", b'\n')),
        (
            ServerMessage::response("Success\r"),
            bad_value("Response", b'\r'),
        ),
        (
            ServerMessage::new("Bad Name", "x"),
            bad_name("Bad Name", b' '),
        ),
        (ServerMessage::new("", "x"), EncodeError::EmptyName),
        (
            ServerMessage::event("X").header("a:b", "x"),
            bad_name("a:b", b':'),
        ),
        (
            ServerMessage::event("X").header("", "x"),
            EncodeError::EmptyName,
        ),
        (
            ServerMessage::event("X").header("\x02", "x"),
            bad_name("\x02", 2),
        ),
        (
            ServerMessage::event("X")
                .header("Output", &long)
                .header("Y", "\r"),
            bad_value("Y", b'\r'),
        ),
    ];
    for (msg, want) in cases {
        assert_eq!(encode_server(&msg), Err(want), "{msg:?}");
    }

    // No ActionID intercept here: headers stay in the order given.
    let msg = ServerMessage::event("OriginateResponse")
        .header("Privilege", "call,all")
        .header("ActionID", "o1")
        .header("Response", "Success");
    let wire = encode_server(&msg).unwrap();
    assert_eq!(
        wire,
        b"Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: o1\r\nResponse: Success\r\n\r\n"
    );
    let decoded = one_message(&wire);
    assert_eq!(decoded.kind(), MessageKind::Event);
    assert_eq!(decoded.action_id().unwrap(), "o1");
    let mut m = ServerMessage::new("RuleList", "myrule");
    m.push_header("Rule", "30,+3,+0");
    assert_eq!(
        encode_server(&m).unwrap(),
        b"RuleList: myrule\r\nRule: 30,+3,+0\r\n\r\n"
    );
}

// ---- property tests -------------------------------------------------------

/// A byte allowed in a header name: printable ASCII but `:`, or any byte
/// from 0x80 up.
fn name_byte() -> impl Strategy<Value = u8> {
    prop_oneof![0x21u8..=0x39, 0x3bu8..=0x7e, 0x80u8..=0xff]
}

fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "Variable", "Channel", "Output", "Foo", "a", "X-Y.z", "Response", "Event", "action",
        ])
            .prop_map(|s| s.as_bytes().to_vec()),
        2 => prop::collection::vec(name_byte(), 1..16),
    ]
}

fn value_byte() -> impl Strategy<Value = u8> {
    prop_oneof![1u8..=9, 11u8..=12, 14u8..=0xff]
}

fn value(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(value_byte(), 0..max),
        prop::sample::select(vec![
            "",
            " ",
            "  lead",
            "a: b",
            "Follows",
            "--END COMMAND--"
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn action_name() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(value_byte(), 0..24)
}

type Headers = Vec<(Vec<u8>, Vec<u8>)>;

fn headers(max: usize, value_max: usize) -> impl Strategy<Value = Headers> {
    prop::collection::vec((name(), value(value_max)), 0..max).prop_map(|mut h| {
        // ActionID sets the id; a second Action is refused.
        h.retain(|(k, _)| {
            !k.eq_ignore_ascii_case(b"ActionID") && !k.eq_ignore_ascii_case(b"Action")
        });
        // Repeat some names on purpose.
        if h.len() > 2 {
            h[1].0 = h[0].0.clone();
        }
        h
    })
}

fn build_action(name: &[u8], id: Option<&[u8]>, headers: &Headers) -> Action {
    let mut action = Action::new(name);
    if let Some(id) = id {
        action.set_action_id(id);
    }
    for (k, v) in headers {
        action.push_header(k, v);
    }
    action
}

/// One way to break an otherwise valid action, and the error it must give.
#[derive(Debug, Clone)]
enum Fault {
    ValueByte { index: usize, at: usize, byte: u8 },
    NameByte { index: usize, at: usize, byte: u8 },
    EmptyName { index: usize },
    LongValue { index: usize },
    TooMany,
    ActionNameByte { at: usize, byte: u8 },
}

fn fault() -> impl Strategy<Value = Fault> {
    let bad_value = prop::sample::select(vec![b'\r', b'\n', 0u8]);
    let bad_name = prop_oneof![
        Just(b':'),
        Just(b' '),
        Just(b'\t'),
        Just(b'\r'),
        Just(b'\n'),
        Just(0x7f),
        0u8..0x20,
    ];
    prop_oneof![
        (any::<usize>(), any::<usize>(), bad_value.clone())
            .prop_map(|(index, at, byte)| Fault::ValueByte { index, at, byte }),
        (any::<usize>(), any::<usize>(), bad_name).prop_map(|(index, at, byte)| Fault::NameByte {
            index,
            at,
            byte
        }),
        any::<usize>().prop_map(|index| Fault::EmptyName { index }),
        any::<usize>().prop_map(|index| Fault::LongValue { index }),
        Just(Fault::TooMany),
        (any::<usize>(), bad_value).prop_map(|(at, byte)| Fault::ActionNameByte { at, byte }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn valid_actions_round_trip(
        name in action_name(),
        id in prop::option::of(value(20)),
        headers in headers(24, 60),
    ) {
        let action = build_action(&name, id.as_deref(), &headers);
        let wire = encode_action(&action).expect("a valid action");
        let msg = one_message_quick(&wire);
        prop_assert_eq!(msg.kind(), MessageKind::Action);
        prop_assert!(!msg.is_legacy_command());
        prop_assert_eq!(msg.text_lines().count(), 0);
        let mut want = vec![(b"Action".to_vec(), name.clone())];
        if let Some(id) = &id {
            want.push((b"ActionID".to_vec(), id.clone()));
        }
        want.extend(headers.iter().cloned());
        prop_assert_eq!(fields(&msg), want);
        prop_assert_eq!(msg.name().unwrap().as_bytes(), &name[..]);
        prop_assert_eq!(msg.action_id().map(|v| v.as_bytes().to_vec()), id);
        prop_assert_eq!(msg.as_bytes().as_ref(), &wire[..]);
    }

    #[test]
    fn invalid_actions_get_the_typed_error(
        name in prop::collection::vec(value_byte().prop_filter("ascii", u8::is_ascii), 1..16),
        headers in headers(12, 30).prop_filter("some headers", |h| !h.is_empty()),
        fault in fault(),
    ) {
        let mut name = name;
        let mut headers = headers;
        let name_of = |h: &Headers, i: usize| String::from_utf8_lossy(&h[i].0).into_owned();
        let want = match fault {
            Fault::ValueByte { index, at, byte } => {
                let i = index % headers.len();
                let v = &mut headers[i].1;
                v.insert(at % (v.len() + 1), byte);
                // Earlier headers are valid, so this one is reported.
                bad_value(&name_of(&headers, i), byte)
            }
            Fault::NameByte { index, at, byte } => {
                let i = index % headers.len();
                let k = &mut headers[i].0;
                k.insert(at % (k.len() + 1), byte);
                // Report the first offending byte of the name.
                let first = *k
                    .iter()
                    .find(|&&b| b == b':' || b.is_ascii_whitespace() || b.is_ascii_control())
                    .unwrap();
                EncodeError::BadName { name: name_of(&headers, i), byte: first }
            }
            Fault::EmptyName { index } => {
                let i = index % headers.len();
                headers[i].0.clear();
                EncodeError::EmptyName
            }
            Fault::LongValue { index } => {
                let i = index % headers.len();
                let len = headers[i].0.len() + 2 + MAX_ACTION_LINE + 2;
                headers[i].1 = vec![b'v'; MAX_ACTION_LINE];
                EncodeError::LineTooLong { name: name_of(&headers, i), len, max: MAX_ACTION_LINE }
            }
            Fault::TooMany => {
                while headers.len() < MAX_ACTION_HEADERS {
                    headers.push((b"Pad".to_vec(), b"x".to_vec()));
                }
                EncodeError::TooManyHeaders { count: headers.len() + 1, max: MAX_ACTION_HEADERS }
            }
            Fault::ActionNameByte { at, byte } => {
                name.insert(at % (name.len() + 1), byte);
                bad_value("Action", byte)
            }
        };
        let action = build_action(&name, None, &headers);
        prop_assert_eq!(encode_action(&action), Err(want));
    }

}

proptest! {
    // Large messages: fewer cases.
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn server_messages_round_trip(
        first in (name(), value(40)).prop_filter("no legacy Follows answer", |(k, v)| {
            !(k.eq_ignore_ascii_case(b"Response") && v.eq_ignore_ascii_case(b"Follows"))
        }),
        headers in headers(140, 40),
        long in (any::<usize>(), prop::collection::vec(value_byte(), 1000..3000)),
    ) {
        // Past Asterisk's input limits: up to 140 headers, one long line.
        let mut headers = headers;
        let at = long.0 % (headers.len() + 1);
        headers.insert(at, (b"Long".to_vec(), long.1));
        let mut msg = ServerMessage::new(&first.0, &first.1);
        for (k, v) in &headers {
            msg.push_header(k, v);
        }
        let wire = encode_server(&msg).expect("valid");
        let decoded = decode_whole(&wire);
        prop_assert_eq!(decode_chunks(wire.chunks(97)), decoded.clone());
        prop_assert_eq!(decoded.len(), 1);
        let decoded = expect_message(&decoded[0]).clone();
        let mut want = vec![first.clone()];
        want.extend(headers.iter().cloned());
        prop_assert_eq!(fields(&decoded), want);
        prop_assert_eq!(decoded.kind(), MessageKind::from_first_header(&first.0));
        prop_assert_eq!(decoded.text_lines().count(), 0);
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn invalid_server_messages_get_the_typed_error(
        headers in headers(8, 20).prop_filter("some", |h| !h.is_empty()),
        index in any::<usize>(),
        at in any::<usize>(),
        byte in prop::sample::select(vec![b'\r', b'\n', 0u8]),
    ) {
        let mut headers = headers;
        let i = index % headers.len();
        let v = &mut headers[i].1;
        v.insert(at % (v.len() + 1), byte);
        let mut msg = ServerMessage::event("Test");
        for (k, v) in &headers {
            msg.push_header(k, v);
        }
        let name = String::from_utf8_lossy(&headers[i].0).into_owned();
        prop_assert_eq!(encode_server(&msg), Err(bad_value(&name, byte)));
    }

    #[test]
    fn legacy_commands_round_trip(
        id in prop::option::of(value(20)),
        lines in prop::collection::vec(prop::collection::vec(
            any::<u8>().prop_filter("no LF", |&b| b != b'\n'), 0..40), 0..12),
        final_newline in any::<bool>(),
    ) {
        let mut output = lines.join(&b'\n');
        if final_newline && !output.is_empty() {
            output.push(b'\n');
        }
        let mut buf = Vec::new();
        let result = ami_proto::encode_legacy_command(&mut buf, id.as_deref(), &output);
        if output.windows(15).any(|w| w == b"--END COMMAND--") {
            prop_assert_eq!(result, Err(EncodeError::OutputHoldsTerminator));
            prop_assert!(buf.is_empty());
            return Ok(());
        }
        result.unwrap();
        // A first output line that reads as `Privilege:` or `ActionID:` is
        // a header to any decoder (Asterisk 13 wrote it the same way).
        let first = output.split(|&b| b == b'\n').next().unwrap_or_default();
        let colon = first.iter().position(|&b| b == b':');
        prop_assume!(!colon.is_some_and(|c| {
            first[..c].eq_ignore_ascii_case(b"Privilege") || first[..c].eq_ignore_ascii_case(b"ActionID")
        }));
        let msg = one_message_quick(&buf);
        prop_assert!(msg.is_legacy_command());
        prop_assert_eq!(msg.action_id().map(|v| v.as_bytes().to_vec()), id);
        // Output lines lose their line ending ('\n', or "\r\n"), nothing else.
        let mut want: Vec<Vec<u8>> = Vec::new();
        if !output.is_empty() {
            let body = output.strip_suffix(b"\n").unwrap_or(&output);
            let n = body.split(|&b| b == b'\n').count();
            for (i, line) in body.split(|&b| b == b'\n').enumerate() {
                let ended = i + 1 < n || output.ends_with(b"\n");
                let line = if ended { line.strip_suffix(b"\r").unwrap_or(line) } else { line };
                want.push(line.to_vec());
            }
        }
        prop_assert_eq!(text_lines(&msg), want);
    }
}
