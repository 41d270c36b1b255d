//! Known-answer tests on the raw captures from a live Asterisk 22 and the
//! Asterisk 13-format transcripts in `testdata/captures`.
//!
//! Every capture must decode to its golden file (`tests/golden/<capture>.jsonl`,
//! the decode tool's JSON, reviewed by hand against `cat -A` of the capture)
//! in one piece, split at every point, and byte by byte. The tricky captures
//! also get explicit assertions below, independent of the golden files.

mod common;

use ami_proto::{Decoded, Line, MessageKind, PenaltyChange, Value, queue_rules};
use common::*;
use serde_json::Value as Json;

fn golden(name: &str) -> Vec<Json> {
    let path = golden_dir().join(format!("{name}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (every capture needs a hand-reviewed golden file)",
            path.display()
        )
    });
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {l}: {e}")))
        .collect()
}

#[test]
fn every_capture_has_a_golden_and_no_golden_is_stale() {
    let captures = capture_names();
    // 22 scenarios × (.bin, .sent) + 2 legacy transcripts.
    assert_eq!(captures.len(), 46, "{captures:?}");
    let mut goldens = Vec::new();
    for sub in ["", "legacy"] {
        for entry in std::fs::read_dir(golden_dir().join(sub)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if let Some(stem) = name.strip_suffix(".jsonl") {
                goldens.push(if sub.is_empty() {
                    stem.to_owned()
                } else {
                    format!("{sub}/{stem}")
                });
            }
        }
    }
    goldens.sort();
    assert_eq!(goldens, captures);
}

#[test]
fn captures_match_golden_in_one_piece() {
    for name in capture_names() {
        let bytes = capture(&name);
        let items = decode_whole(&bytes);
        let got: Vec<Json> = items.iter().map(item_json).collect();
        let want = golden(&name);
        assert_eq!(got.len(), want.len(), "{name}: item count");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{name}: item {i}");
        }
        // The JSON rendering is lossy only for invalid UTF-8; the captures
        // are plain ASCII, so the comparison above is exact.
        for item in &items {
            if let Decoded::Message(m) = item {
                for line in m.lines() {
                    let (Line::Header(_, v) | Line::Text(v)) = line;
                    assert!(v.as_str().is_ok(), "{name}: {v:?}");
                }
            }
        }
        // Everything was consumed: no error item, nothing left.
        assert!(
            !items.iter().any(|i| matches!(i, Decoded::Error(_))),
            "{name}"
        );
        let mut d = ami_proto::Decoder::new();
        d.feed(&bytes);
        while d.decode().is_some() {}
        assert_eq!(d.buffered_len(), 0, "{name}");
        assert_eq!(d.stream_offset(), bytes.len() as u64, "{name}");
    }
}

#[test]
fn captures_decode_the_same_at_every_split_point() {
    for name in capture_names() {
        let bytes = capture(&name);
        let whole = decode_whole(&bytes);
        for i in 0..=bytes.len() {
            let split = decode_chunks([&bytes[..i], &bytes[i..]]);
            assert!(split == whole, "{name}: split at {i} differs");
        }
    }
}

#[test]
fn captures_decode_the_same_byte_by_byte() {
    for name in capture_names() {
        let bytes = capture(&name);
        assert_eq!(decode_bytewise(&bytes), decode_whole(&bytes), "{name}");
    }
}

#[test]
fn captures_decode_the_same_in_odd_chunk_sizes() {
    for name in capture_names() {
        let bytes = capture(&name);
        let whole = decode_whole(&bytes);
        for size in [2, 3, 7, 13, 64, 1000, 4096] {
            assert_eq!(decode_chunks(bytes.chunks(size)), whole, "{name}: {size}");
        }
    }
}

/// Each message's `as_bytes` is exactly its wire bytes, so the banner line,
/// the messages and the skipped stray empty lines make up the capture.
#[test]
fn captures_as_bytes_are_the_wire_bytes() {
    for name in capture_names() {
        let bytes = capture(&name);
        let mut rest = &bytes[..];
        for item in decode_whole(&bytes) {
            let skipped = rest
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            rest = &rest[skipped..];
            match item {
                Decoded::Banner(b) => {
                    let line = b.line().as_bytes();
                    assert!(rest.starts_with(line), "{name}");
                    rest = &rest[line.len()..];
                    rest = rest.strip_prefix(b"\r\n").unwrap();
                }
                Decoded::Message(m) => {
                    let wire = m.as_bytes();
                    assert!(rest.starts_with(wire), "{name}: {m:?}");
                    assert!(
                        wire.ends_with(b"\n\n") || wire.ends_with(b"\n\r\n"),
                        "{name}"
                    );
                    rest = &rest[wire.len()..];
                }
                Decoded::Error(e) => panic!("{name}: {e}"),
            }
        }
        assert!(rest.iter().all(|&b| b == b'\r' || b == b'\n'), "{name}");
    }
}

fn capture_messages(name: &str) -> (Option<ami_proto::Banner>, Vec<ami_proto::Message>) {
    let mut items = decode_whole(&capture(name));
    let banner = match items.first() {
        Some(Decoded::Banner(b)) => Some(b.clone()),
        _ => None,
    };
    if banner.is_some() {
        items.remove(0);
    }
    (banner, messages(items))
}

fn names(msgs: &[ami_proto::Message]) -> Vec<String> {
    msgs.iter()
        .map(|m| {
            m.name()
                .map(|n| n.to_str_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn banner_01() {
    let (banner, msgs) = capture_messages("01-banner.bin");
    let banner = banner.expect("banner");
    assert_eq!(banner.version().unwrap(), "11.0.0");
    assert_eq!(banner.product(), "Asterisk Call Manager");
    assert_eq!(banner.line(), "Asterisk Call Manager/11.0.0");
    assert!(msgs.is_empty());
    assert!(decode_whole(&capture("01-banner.sent")).is_empty());
    // Every live capture starts with the same banner.
    for name in capture_names()
        .iter()
        .filter(|n| n.ends_with(".bin") && !n.starts_with("legacy/"))
    {
        let (banner, _) = capture_messages(name);
        assert_eq!(banner.unwrap().version().unwrap(), "11.0.0", "{name}");
    }
}

#[test]
fn queuerule_14() {
    let bytes = capture("14-queuerule.bin");
    let (_, msgs) = capture_messages("14-queuerule.bin");
    // Banner aside: login, three QueueRule answers, ping, logoff. The extra
    // CRLF after each QueueRule answer is no message of its own.
    assert_eq!(msgs.len(), 6, "{msgs:?}");
    let ids: Vec<_> = msgs
        .iter()
        .map(|m| m.action_id().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "14-login",
            "14-all",
            "14-myrule",
            "14-none",
            "14-ping",
            "14-logoff"
        ]
    );
    assert!(msgs.iter().all(|m| m.kind() == MessageKind::Response));
    assert!(msgs.iter().all(|m| m.text_lines().count() == 0));
    // The extra CRLF is not part of either neighbour.
    assert!(msgs[1].as_bytes().ends_with(b"Rule: 20,-1,0\r\n\r\n"));
    assert!(msgs[2].as_bytes().starts_with(b"Response: Success\r\n"));
    assert_eq!(
        bytes
            .windows(8)
            .filter(|w| w == b"\r\n\r\n\r\n\r\n")
            .count(),
        0
    );
    assert_eq!(bytes.windows(6).filter(|w| w == b"\r\n\r\n\r\n").count(), 3);

    // Wire order of the RuleList / Rule headers.
    let all: Vec<_> = msgs[1].headers().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(
        all,
        [
            "Response=Success",
            "ActionID=14-all",
            "RuleList=myrule",
            "Rule=30,+3,+0",
            "Rule=60,10,5",
            "RuleList=other",
            "Rule=20,-1,0"
        ]
    );
    let rules: Vec<_> = msgs[1].get_all("rule").collect();
    assert_eq!(rules, ["30,+3,+0", "60,10,5", "20,-1,0"]);

    // Grouping.
    use PenaltyChange::{Relative, Set};
    let lists = queue_rules(&msgs[1]).unwrap();
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[0].name, "myrule");
    let myrule: Vec<_> = lists[0]
        .rules
        .iter()
        .map(|r| {
            (
                r.raw,
                r.seconds,
                r.max_penalty,
                r.min_penalty,
                r.raise_penalty,
            )
        })
        .collect();
    assert_eq!(
        myrule,
        [
            (Value::new(b"30,+3,+0"), 30, Relative(3), Relative(0), None),
            (Value::new(b"60,10,5"), 60, Set(10), Set(5), None),
        ]
    );
    assert_eq!(lists[1].name, "other");
    assert_eq!(lists[1].rules.len(), 1);
    let other = &lists[1].rules[0];
    assert_eq!(
        (
            other.raw,
            other.seconds,
            other.max_penalty,
            other.min_penalty
        ),
        (Value::new(b"20,-1,0"), 20, Relative(-1), Set(0))
    );

    let one = queue_rules(&msgs[2]).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].name, "myrule");
    assert_eq!(one[0].rules, lists[0].rules);

    // Unknown rule: an empty answer, no lists.
    assert_eq!(msgs[3].header_count(), 2);
    assert!(queue_rules(&msgs[3]).unwrap().is_empty());
    // Messages that are no QueueRule answer have no lists either.
    assert!(queue_rules(&msgs[4]).unwrap().is_empty());
}

#[test]
fn errors_29_sent() {
    let (banner, msgs) = capture_messages("29-errors.sent");
    assert!(banner.is_none());
    assert_eq!(
        names(&msgs),
        [
            "Login",
            "Originate",
            "NoSuchThing",
            "Ping",
            "",
            "Ping",
            "ping",
            "Ping",
            "Logoff"
        ]
    );

    // A colon-less line inside an action is kept, in wire order.
    let nocolon = &msgs[3];
    assert_eq!(nocolon.kind(), MessageKind::Action);
    let lines: Vec<_> = nocolon.lines().collect();
    assert_eq!(
        lines,
        [
            Line::Header(Value::new(b"Action"), Value::new(b"Ping")),
            Line::Text(Value::new(b"ThisLineHasNoColon")),
            Line::Header(Value::new(b"ActionID"), Value::new(b"29-nocolon")),
        ]
    );
    assert_eq!(nocolon.header_count(), 2);
    assert!(nocolon.get("ThisLineHasNoColon").is_none());

    // A message of only a colon-less line: no header, kind Other. The stray
    // blank line after it is skipped.
    let garbage = &msgs[4];
    assert_eq!(garbage.kind(), MessageKind::Other);
    assert_eq!(garbage.header_count(), 0);
    assert!(garbage.name().is_none());
    assert!(garbage.action_id().is_none());
    assert_eq!(text_lines(garbage), [b"JustGarbageNoColon".to_vec()]);
    assert_eq!(garbage.as_bytes().as_ref(), b"JustGarbageNoColon\r\n\r\n");

    // `Action:Ping`: no space after the colon, nothing to drop.
    let nospace = &msgs[5];
    assert_eq!(nospace.kind(), MessageKind::Action);
    assert_eq!(
        fields(nospace),
        [
            (b"Action".to_vec(), b"Ping".to_vec()),
            (b"ActionID".to_vec(), b"29-nospace".to_vec())
        ]
    );

    // Lowercase keys: kind still Action, case kept, lookup ignores case.
    let lower = &msgs[6];
    assert_eq!(lower.kind(), MessageKind::Action);
    assert_eq!(
        fields(lower),
        [
            (b"action".to_vec(), b"ping".to_vec()),
            (b"actionid".to_vec(), b"29-lower".to_vec())
        ]
    );
    assert_eq!(lower.get("Action").unwrap(), "ping");
    assert_eq!(lower.action_id().unwrap(), "29-lower");

    // Duplicate Action: both kept in order; the first names the message.
    let dup = &msgs[7];
    assert_eq!(dup.name().unwrap(), "Ping");
    assert_eq!(dup.get("action").unwrap(), "Ping");
    let actions: Vec<_> = dup.get_all("ACTION").collect();
    assert_eq!(actions, ["Ping", "CoreStatus"]);
    assert_eq!(dup.action_id().unwrap(), "29-dupaction");
}

#[test]
fn errors_29_bin() {
    let (_, msgs) = capture_messages("29-errors.bin");
    assert_eq!(msgs.len(), 10);
    let ids: Vec<_> = msgs
        .iter()
        .map(|m| m.action_id().map(|v| v.to_string()))
        .collect();
    assert_eq!(
        ids,
        [
            Some("29-login"),
            Some("29-orig-nochan"),
            Some("29-unknown"),
            Some("29-nocolon"),
            None,
            None,
            Some("29-nospace"),
            Some("29-lower"),
            Some("29-dupaction"),
            Some("29-logoff"),
        ]
        .map(|s| s.map(String::from))
    );
    for m in &msgs[4..6] {
        assert_eq!(m.kind(), MessageKind::Response);
        assert_eq!(m.name().unwrap(), "Error");
        assert_eq!(m.get("Message").unwrap(), "Missing action in request");
        assert_eq!(m.header_count(), 2);
    }
    // A value holding `Action: ...` and a period stays one value.
    assert_eq!(
        msgs[2].get("message").unwrap(),
        "Invalid/unknown command: NoSuchThing. Use Action: ListCommands to show available commands."
    );
}

#[test]
fn lf_only_31() {
    let bytes = capture("31-lf-only.sent");
    let (_, msgs) = capture_messages("31-lf-only.sent");
    assert_eq!(names(&msgs), ["Login", "Ping", "Ping", "Logoff"]);
    // Bare LF: the login block has no CR at all.
    assert_eq!(
        msgs[0].as_bytes().as_ref(),
        b"Action: Login\nUsername: admin\nSecret: amp111\nEvents: off\nActionID: 31-login\n\n"
    );
    assert_eq!(msgs[0].get("Secret").unwrap(), "amp111");
    assert_eq!(msgs[1].action_id().unwrap(), "31-ping-lf");
    // Mixed: CRLF, then LF, then a CRLF empty line.
    assert_eq!(
        msgs[2].as_bytes().as_ref(),
        b"Action: Ping\r\nActionID: 31-ping-mixed\n\r\n"
    );
    assert_eq!(msgs[2].name().unwrap(), "Ping");
    assert_eq!(msgs[2].action_id().unwrap(), "31-ping-mixed");
    assert_eq!(msgs[3].action_id().unwrap(), "31-logoff");
    for m in &msgs {
        for (k, v) in m.headers() {
            assert!(!k.as_bytes().contains(&b'\r') && !v.as_bytes().contains(&b'\r'));
        }
    }
    assert_eq!(bytes.iter().filter(|&&b| b == b'\r').count(), 5);
    // The server's side answers both pings.
    let (_, answers) = capture_messages("31-lf-only.bin");
    let ids: Vec<_> = answers
        .iter()
        .map(|m| m.action_id().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        ["31-login", "31-ping-lf", "31-ping-mixed", "31-logoff"]
    );
}

#[test]
fn userevent_26() {
    for name in ["26-userevent.bin", "26-userevent.sent"] {
        let (_, msgs) = capture_messages(name);
        let ue = msgs
            .iter()
            .find(|m| m.get("UserEvent").is_some_and(|v| v == "MyEvent"))
            .unwrap_or_else(|| panic!("{name}: no UserEvent"));
        assert_eq!(ue.get("Header1").unwrap(), "one");
        assert_eq!(ue.get("repeated").unwrap(), "first");
        let repeated: Vec<_> = ue.get_all("Repeated").collect();
        assert_eq!(repeated, ["first", "second"], "{name}");
        let empty = ue.get("Empty").unwrap();
        assert!(empty.is_empty(), "{name}");
        assert!(ue.contains("empty"));
        assert_eq!(ue.get("WithColon").unwrap(), "a: b: c", "{name}");
        assert_eq!(ue.get_bytes("withcolon").unwrap(), &b"a: b: c"[..]);
        assert_eq!(ue.action_id().unwrap(), "26-ue");
    }
    let (_, msgs) = capture_messages("26-userevent.bin");
    assert_eq!(
        msgs.iter().map(|m| m.kind()).collect::<Vec<_>>(),
        [
            MessageKind::Response,
            MessageKind::Event,
            MessageKind::Event,
            MessageKind::Response,
            MessageKind::Event,
            MessageKind::Response
        ]
    );
    assert_eq!(msgs[4].name().unwrap(), "UserEvent");
    assert_eq!(msgs[4].header_count(), 9);
}

#[test]
fn legacy_l1() {
    let (banner, msgs) = capture_messages("legacy/L1-command-version.bin");
    assert_eq!(banner.unwrap().version().unwrap(), "2.10.6");
    assert_eq!(msgs.len(), 3);
    let cmd = &msgs[1];
    assert_eq!(cmd.kind(), MessageKind::Response);
    assert!(cmd.is_legacy_command());
    assert_eq!(cmd.name().unwrap(), "Follows");
    assert_eq!(cmd.action_id().unwrap(), "2");
    assert_eq!(cmd.get("Privilege").unwrap(), "Command");
    assert_eq!(cmd.header_count(), 3);
    assert_eq!(
        text_lines(cmd),
        [b"Asterisk 13.38.3 built by root @ build on a x86_64 running Linux on 2021-06-01 10:00:00 UTC".to_vec()]
    );
    // The message after the body decodes normally.
    let ping = &msgs[2];
    assert!(!ping.is_legacy_command());
    assert_eq!(ping.action_id().unwrap(), "3");
    assert_eq!(ping.get("Ping").unwrap(), "Pong");
    assert!(!msgs[0].is_legacy_command());
}

#[test]
fn legacy_l2() {
    let (_, msgs) = capture_messages("legacy/L2-command-blank-lines.bin");
    assert_eq!(msgs.len(), 3);
    let cmd = &msgs[1];
    assert!(cmd.is_legacy_command());
    // Only the three real headers; `Status: 1 calls processed` is output.
    assert_eq!(
        fields(cmd),
        [
            (b"Response".to_vec(), b"Follows".to_vec()),
            (b"Privilege".to_vec(), b"Command".to_vec()),
            (b"ActionID".to_vec(), b"2".to_vec()),
        ]
    );
    assert!(cmd.get("Status").is_none());
    let output: Vec<_> = cmd.text_lines().map(|l| l.to_string()).collect();
    assert_eq!(
        output,
        [
            "Channel              Location             State   Application(Data)             ",
            "SIP/1001-00000001    s@default:1          Up      Echo()                        ",
            "",
            "1 active channel",
            "1 active call",
            "Status: 1 calls processed",
        ]
    );
    // The event after it decodes normally.
    let hangup = &msgs[2];
    assert_eq!(hangup.kind(), MessageKind::Event);
    assert!(!hangup.is_legacy_command());
    assert_eq!(hangup.name().unwrap(), "Hangup");
    assert_eq!(hangup.get("Cause-txt").unwrap(), "Normal Clearing");
    assert_eq!(hangup.header_count(), 6);
    assert!(hangup.as_bytes().starts_with(b"Event: Hangup\r\n"));
}

#[test]
fn empty_output_12() {
    let (_, msgs) = capture_messages("12-command-empty-output.bin");
    assert_eq!(msgs.len(), 3);
    let cmd = &msgs[1];
    assert!(!cmd.is_legacy_command());
    let output: Vec<_> = cmd.get_all("Output").collect();
    assert_eq!(output, [""]);
    assert!(cmd.get("output").unwrap().is_empty());
    assert_eq!(cmd.header_count(), 4);
    assert_eq!(cmd.text_lines().count(), 0);
}

#[test]
fn dialplan_10_keeps_indentation() {
    let (_, msgs) = capture_messages("10-command-dialplan-show-default.bin");
    assert_eq!(msgs.len(), 3);
    let output: Vec<_> = msgs[1].get_all("Output").map(|v| v.to_string()).collect();
    assert_eq!(output.len(), 17);
    assert_eq!(output[0], "[ Context 'default' created by 'pbx_config' ]");
    assert_eq!(
        output[1],
        "  '100' =>          1. Answer()                                   [extensions.conf:8]"
    );
    assert_eq!(
        output[2],
        "                    2. Wait(2)                                    [extensions.conf:9]"
    );
    assert_eq!(
        output[10],
        "  '300' =>          1. UserEvent(MyEvent,Foo: bar)                [extensions.conf:20]"
    );
    assert_eq!(output[15], "");
    assert_eq!(
        output[16],
        "-= 5 extensions (14 priorities) in 1 context. =-"
    );
    // Trailing blanks are kept too (18: `core show channels`).
    let (_, msgs) = capture_messages("18-call-coreshowchannels-status.bin");
    let cmd = msgs
        .iter()
        .find(|m| m.action_id().unwrap() == "18-cmd")
        .unwrap();
    let first = cmd.get("Output").unwrap().to_string();
    assert!(first.starts_with("Channel ") && first.ends_with("Application(Data)             "));
}

#[test]
fn kinds_36_first_header_decides() {
    let (_, msgs) = capture_messages("36-login-events-on-fullybooted.bin");
    let kinds: Vec<_> = msgs.iter().map(|m| m.kind()).collect();
    assert_eq!(
        kinds,
        [
            MessageKind::Response,
            MessageKind::Event,
            MessageKind::Event,
            MessageKind::Event,
            MessageKind::Response
        ]
    );
    assert_eq!(
        names(&msgs),
        [
            "Success",
            "FullyBooted",
            "SuccessfulAuth",
            "SuccessfulAuth",
            "Goodbye"
        ]
    );
    // FullyBooted carries a Status header and still is an event; events
    // carry no ActionID here.
    assert_eq!(msgs[1].get("Status").unwrap(), "Fully Booted");
    assert!(msgs[1..4].iter().all(|m| m.action_id().is_none()));
    assert_ne!(msgs[2].get("SessionID"), msgs[3].get("SessionID"));

    // The same rule on every message of every capture: the kind is what its
    // first header says, whatever comes after.
    for name in capture_names() {
        for item in decode_whole(&capture(&name)) {
            if let Decoded::Message(m) = item {
                let first = m.headers().next().map(|(k, _)| k.as_bytes().to_vec());
                let want = first.map_or(MessageKind::Other, |k| MessageKind::from_first_header(&k));
                assert_eq!(m.kind(), want, "{name}: {m:?}");
            }
        }
    }
}

#[test]
fn pipeline_34_keeps_order() {
    let (_, msgs) = capture_messages("34-pipeline-50-pings.bin");
    assert_eq!(msgs.len(), 52);
    for (i, m) in msgs[1..51].iter().enumerate() {
        assert_eq!(m.action_id().unwrap().to_string(), format!("p{i:02}"));
        assert_eq!(m.get("Ping").unwrap(), "Pong");
    }
    let (_, actions) = capture_messages("34-pipeline-50-pings.sent");
    assert_eq!(actions.len(), 52);
    assert!(actions.iter().all(|m| m.kind() == MessageKind::Action));
}

#[test]
fn long_command_output_07() {
    let (_, msgs) = capture_messages("07-command-core-show-help.bin");
    assert_eq!(msgs.len(), 3);
    let out: Vec<_> = msgs[1].get_all("Output").collect();
    let on_wire = capture("07-command-core-show-help.bin")
        .windows(9)
        .filter(|w| w == b"\nOutput: ")
        .count();
    assert_eq!(out.len(), on_wire);
    assert_eq!(out.len(), 174);
    assert_eq!(
        out[0],
        "!                              -- Execute a shell command"
    );
    assert_eq!(
        *out.last().unwrap(),
        "xmldoc reload                  -- Reload the XML docs"
    );
}
