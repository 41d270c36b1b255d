//! The typed layer (`ami_proto::typed`) against the schema it was generated
//! from and against the real captures:
//!
//! * every event Asterisk sent in `testdata/captures` types as the event the
//!   schema documents, and every documented header it carried comes back,
//!   byte for byte, from the matching accessor; what the schema lacks is
//!   pinned below;
//! * every documented event, built with all its fields, types and reads back;
//! * every action builder encodes the docs' parameter names, in order, and
//!   decodes back; the enums send the listed values; the builders rebuild
//!   what a real client sent in the captures.
#![cfg(feature = "typed")]

mod common;
#[path = "typed/generated.rs"]
mod generated;

use std::collections::{BTreeMap, BTreeSet};

use ami_proto::typed::field::{FieldValue, HangupCause};
use ami_proto::typed::{Event, actions, events, values};
use ami_proto::{Action, Decoded, Decoder, Message, MessageKind, ServerMessage, Value};
use common::*;
use generated::Got;
use serde_json::Value as Json;

// ---- the schema ----------------------------------------------------------------

fn schema() -> Json {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/ami-asterisk-22.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn list<'a>(json: &'a Json, key: &str) -> &'a [Json] {
    json[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} array"))
}

fn str_of<'a>(json: &'a Json, key: &str) -> &'a str {
    json[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {json}"))
}

fn flag(json: &Json, key: &str) -> bool {
    json[key].as_bool().unwrap_or(false)
}

fn values(json: &Json) -> Vec<&str> {
    json["enum"]
        .as_array()
        .map(|v| v.iter().map(|v| v.as_str().unwrap()).collect())
        .unwrap_or_default()
}

/// Literal values of a docs enum, as opposed to descriptions of a form
/// (`system,call,log,...`, `<match_method>`, `Response code`).
fn is_literal(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The schema's events by lower-case name.
fn events_by_name(schema: &Json) -> BTreeMap<String, &Json> {
    list(schema, "events")
        .iter()
        .map(|e| (str_of(e, "name").to_ascii_lowercase(), e))
        .collect()
}

/// Parameters Asterisk reads every time they occur.
const REPEATED: &[(&str, &str)] = &[
    ("MessageSend", "Variable"),
    ("Originate", "Variable"),
    ("PJSIPNotify", "Variable"),
];
/// Parameters that stand for headers the user names.
const FREEFORM: &[(&str, &str)] = &[("UserEvent", "Header1"), ("UserEvent", "HeaderN")];

/// Decodes one message.
fn decode_one(bytes: &[u8]) -> Message {
    let mut decoder = Decoder::new();
    decoder.feed(bytes);
    match decoder.decode() {
        Some(Decoded::Message(msg)) => msg,
        other => panic!("expected a message, got {other:?}"),
    }
}

fn header_list(msg: &Message) -> Vec<(String, String)> {
    msg.headers()
        .map(|(k, v)| (k.to_str_lossy().into_owned(), v.to_str_lossy().into_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Encodes `action`, decodes it back, and returns its headers after
/// `Action`, checking the name on the way.
fn roundtrip(action: &Action) -> Vec<(String, String)> {
    let msg = decode_one(&action.to_bytes().expect("encodes"));
    assert_eq!(msg.kind(), MessageKind::Action);
    assert_eq!(msg.name().unwrap().as_bytes(), action.name());
    header_list(&msg)[1..].to_vec()
}

// ---- events in the captures ----------------------------------------------------

/// The documented field of `event` that header `key` is, and its index for a
/// numbered one (`Report1SourceSSRC` is `ReportXSourceSSRC`, entry 1).
fn documented_field<'a>(event: &'a Json, key: &str) -> Option<(&'a str, u32)> {
    for field in list(event, "fields") {
        let name = str_of(field, "name");
        if !flag(field, "templated") {
            if name.eq_ignore_ascii_case(key) {
                return Some((name, 0));
            }
            continue;
        }
        let rest = name
            .strip_prefix("ReportX")
            .expect("only ReportX… fields are numbered");
        let key_lower = key.to_ascii_lowercase();
        if let Some(tail) = key_lower.strip_prefix("report")
            && let Some(digits) = tail.strip_suffix(&rest.to_ascii_lowercase())
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Some((name, digits.parse().unwrap()));
        }
    }
    None
}

/// Checks every header of a typed event against its accessor; returns the
/// headers the schema does not document.
fn check_event_headers(ev: &Event<'_>, documented: &Json, context: &str) -> Vec<String> {
    let msg = ev.raw();
    let mut undocumented = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, (key, value)) in msg.headers().enumerate() {
        if i == 0 {
            continue; // `Event: <name>`
        }
        let key = key.as_str().unwrap();
        let Some((field, n)) = documented_field(documented, key) else {
            undocumented.push(key.to_owned());
            continue;
        };
        let got = generated::field(ev, field, n)
            .unwrap_or_else(|| panic!("{context}: no accessor for {field}"));
        match got {
            Got::One(got) => {
                // A single header: the accessor returns the first one, and
                // Asterisk sends these once.
                assert!(
                    seen.insert(key.to_ascii_lowercase()),
                    "{context}: {key} twice"
                );
                assert_eq!(got, Some(value), "{context}: {key}");
            }
            Got::Many(got) => {
                let want: Vec<Value<'_>> = msg.get_all(key).collect();
                assert_eq!(got, want, "{context}: {key}");
            }
        }
    }
    undocumented
}

#[test]
fn every_captured_event_types_and_reads_back_what_asterisk_sent() {
    let schema = schema();
    let by_name = events_by_name(&schema);
    let mut typed = 0;
    let mut names = BTreeSet::new();
    let mut missing_events: BTreeSet<String> = BTreeSet::new();
    let mut missing_fields: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let captures: Vec<String> = capture_names()
        .into_iter()
        .filter(|n| n.ends_with(".bin"))
        .collect();
    assert_eq!(captures.len(), 24, "{captures:?}");
    for capture_name in &captures {
        for (i, item) in decode_whole(&capture(capture_name)).iter().enumerate() {
            let Decoded::Message(msg) = item else {
                continue;
            };
            if msg.kind() != MessageKind::Event {
                assert!(matches!(Event::from_message(msg), Event::Unknown(_)));
                continue;
            }
            let context = format!("{capture_name} item {i}");
            let wire = msg.name().unwrap().as_str().unwrap().to_owned();
            let ev = Event::from_message(msg);
            assert!(
                std::ptr::eq(ev.raw(), msg),
                "{context}: raw is the message itself"
            );
            let Some(documented) = by_name.get(&wire.to_ascii_lowercase()) else {
                assert!(
                    matches!(ev, Event::Unknown(_)),
                    "{context}: {wire} is not in the schema"
                );
                assert_eq!(ev.name(), None);
                missing_events.insert(wire);
                continue;
            };
            assert_eq!(
                ev.name(),
                Some(str_of(documented, "name")),
                "{context}: {wire}"
            );
            typed += 1;
            names.insert(wire.clone());
            for key in check_event_headers(&ev, documented, &context) {
                // Still reachable: raw access never loses a header.
                assert!(ev.raw().get(&key).is_some());
                missing_fields.entry(wire.clone()).or_default().insert(key);
            }
        }
    }
    eprintln!("{typed} captured events typed, names: {names:?}");
    eprintln!("events not in the schema: {missing_events:?}");
    eprintln!("headers not in the schema: {missing_fields:?}");

    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "CoreShowChannel",
            "CoreShowChannelsComplete",
            "FullyBooted",
            "Hangup",
            "QueueParams",
            "Status",
            "StatusComplete",
            "SuccessfulAuth",
            "UserEvent",
        ]
    );
    assert!(typed >= 9, "{typed}");
    // Asterisk sends these list events without documenting them.
    let missing_events: Vec<&str> = missing_events.iter().map(String::as_str).collect();
    assert_eq!(
        missing_events,
        [
            "ChannelHungup",
            "ChannelsHungupListComplete",
            "DBGetComplete",
            "DBGetResponse",
            "DBGetTreeComplete",
            "DBGetTreeResponse",
            "QueueMember",
            "QueueStatusComplete",
        ]
    );
    // `Privilege` is the envelope of every event; list events carry their
    // ActionID; `UserEvent` carries the headers the user chose.
    let missing_fields: Vec<(&str, Vec<&str>)> = missing_fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        missing_fields,
        [
            ("FullyBooted", vec!["Privilege"]),
            ("Hangup", vec!["Privilege"]),
            (
                "QueueParams",
                vec!["ActionID", "Queue", "ServiceLevel", "Weight"]
            ),
            ("Status", vec!["Privilege"]),
            ("StatusComplete", vec!["ActionID", "EventList", "ListItems"]),
            ("SuccessfulAuth", vec!["Privilege"]),
            (
                "UserEvent",
                vec![
                    "ActionID",
                    "Empty",
                    "Header1",
                    "Privilege",
                    "Repeated",
                    "WithColon"
                ]
            ),
        ]
    );
}

/// The messages of a capture, banner aside.
fn capture_messages(name: &str) -> Vec<Message> {
    decode_whole(&capture(name))
        .into_iter()
        .filter_map(|item| match item {
            Decoded::Message(msg) => Some(msg),
            _ => None,
        })
        .collect()
}

/// Every typed header of every event in every capture parses: the
/// reviewed table in `ami-codegen/src/types.rs` holds on real traffic.
#[test]
fn every_typed_header_of_every_capture_parses() {
    let mut typed = BTreeSet::new();
    let mut through_accessors = 0;
    for name in capture_names() {
        for msg in capture_messages(&name) {
            let event = Event::from_message(&msg);
            // Through the generated accessor of every documented typed header.
            for (key, _) in msg.headers() {
                let key = key.to_str_lossy();
                if let Some(checked) = generated::typed_field(&event, &key) {
                    match checked {
                        Ok(present) => {
                            assert!(present, "{name}: {key} is there");
                            through_accessors += 1;
                        }
                        Err(e) => panic!("{name}: {}: {e}", event.name().unwrap_or("?")),
                    }
                }
            }
            // And through the dynamic view the JSON uses.
            for (key, parsed) in event.typed_fields() {
                match parsed {
                    Ok(FieldValue::Text(_)) => {}
                    Ok(_) => {
                        typed.insert(format!("{}.{}", event.name().unwrap_or("?"), key));
                    }
                    Err(e) => panic!("{name}: {}: {e}", event.name().unwrap_or("?")),
                }
            }
        }
    }
    assert!(
        through_accessors >= 47,
        "{through_accessors} accessor calls"
    );
    // What the captures exercise, so a table change that stops typing
    // them shows here.
    for expected in [
        "Hangup.Cause",
        "CoreShowChannel.ChannelState",
        "CoreShowChannel.ChannelStateDesc",
        "CoreShowChannel.Priority",
        "CoreShowChannel.Duration",
        "Status.Seconds",
        "FullyBooted.Uptime",
        "FullyBooted.LastReload",
        "SuccessfulAuth.EventTV",
        "SuccessfulAuth.SessionTV",
        "SuccessfulAuth.UsingPassword",
        "SuccessfulAuth.Severity",
        "QueueParams.Holdtime",
        "QueueParams.Max",
        "CoreShowChannelsComplete.ListItems",
    ] {
        assert!(
            typed.contains(expected),
            "{expected} not typed in {typed:?}"
        );
    }
}

#[test]
fn typed_accessors_parse_and_keep_what_does_not() {
    let msg = decode_one(
        b"Event: QueueMemberStatus\r\nQueue: q\r\nStatus: 6\r\nPaused: 1\r\n\
          Ringinuse: no\r\nInCall: x\r\nLastCall: 1700000000\r\nPenalty: -1\r\n\
          CallsTaken: 3\r\nWrapuptime: 15\r\n\r\n",
    );
    let Event::QueueMemberStatus(q) = Event::from_message(&msg) else {
        panic!()
    };
    assert_eq!(q.status(), Ok(Some(values::DeviceState::Ringing)));
    assert_eq!(q.paused(), Ok(Some(true)));
    // "0/1" in the docs; Asterisk's other spellings are accepted too.
    assert_eq!(q.ringinuse(), Ok(Some(false)));
    let error = q.in_call().unwrap_err();
    assert_eq!((error.field(), error.raw()), ("InCall", &b"x"[..]));
    assert_eq!(q.in_call_raw().unwrap(), "x");
    assert_eq!(q.last_call().unwrap().unwrap().unix_secs(), 1_700_000_000);
    assert_eq!(q.penalty(), Ok(Some(-1)));
    assert_eq!(q.calls_taken(), Ok(Some(3)));
    assert_eq!(q.wrapuptime(), Ok(Some(std::time::Duration::from_secs(15))));
    assert_eq!(q.login_time(), Ok(None));

    let msg = decode_one(
        b"Event: Newstate\r\nChannelStateDesc: Sideways\r\nChannelState: 99999999999\r\n\r\n",
    );
    let Event::Newstate(n) = Event::from_message(&msg) else {
        panic!()
    };
    assert_eq!(
        n.channel_state_desc(),
        Ok(Some(values::ChannelStateDesc::Other("Sideways".into())))
    );
    assert!(n.channel_state().is_err(), "does not fit a u32");
    let msg = decode_one(b"Event: Newstate\r\nChannelStateDesc: \xff\r\n\r\n");
    let Event::Newstate(n) = Event::from_message(&msg) else {
        panic!()
    };
    assert_eq!(n.channel_state_desc().unwrap_err().raw(), b"\xff");
    assert_eq!(
        values::ChannelStateDesc::parse("dialing offhook"),
        values::ChannelStateDesc::DialingOffhook
    );
    assert_eq!(
        values::ChannelStateDesc::DialingOffhook.as_str(),
        "Dialing Offhook"
    );

    let msg = decode_one(b"Event: Hangup\r\nTimestamp: 1700000000.250000\r\nCause: 255\r\n\r\n");
    let event = Event::from_message(&msg);
    assert_eq!(event.timestamp().unwrap().unwrap().subsec_micros(), 250_000);
    let Event::Hangup(h) = event else { panic!() };
    assert_eq!(h.cause(), Ok(Some(HangupCause::Other(255))));
}

#[test]
fn captured_events_read_through_their_views() {
    let msgs = capture_messages("18-call-coreshowchannels-status.bin");
    let status = msgs
        .iter()
        .find_map(|m| match Event::from_message(m) {
            Event::Status(s) => Some(s),
            _ => None,
        })
        .expect("a Status event");
    assert_eq!(
        status.channel().unwrap(),
        status.raw().get("Channel").unwrap()
    );
    assert!(
        status
            .channel()
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("Local/100@default-")
    );
    assert_eq!(status.context().unwrap(), "default");
    assert_eq!(events::Status::from_message(status.raw()), Some(status));
    assert_eq!(events::Hangup::from_message(status.raw()), None);
    assert_eq!(Event::from(status), Event::Status(status));

    let msgs = capture_messages("legacy/L2-command-blank-lines.bin");
    let hangup = msgs
        .iter()
        .find_map(events::Hangup::from_message)
        .expect("a Hangup");
    assert_eq!(hangup.channel().unwrap(), "SIP/1001-00000001");
    assert_eq!(hangup.uniqueid().unwrap(), "1622541600.1");
    assert_eq!(hangup.cause_raw().unwrap(), "16");
    assert_eq!(hangup.cause(), Ok(Some(HangupCause::NormalClearing)));
    assert_eq!(hangup.cause_txt().unwrap(), "Normal Clearing");
    assert_eq!(hangup.tech_cause(), Ok(None));
    assert_eq!(hangup.raw().get("Privilege").unwrap(), "call,all");

    let msgs = capture_messages("26-userevent.bin");
    let user = msgs
        .iter()
        .find_map(events::UserEvent::from_message)
        .expect("a UserEvent");
    assert_eq!(user.user_event().unwrap(), "MyEvent");
    let repeated: Vec<_> = user.raw().get_all("Repeated").collect();
    assert_eq!(repeated, ["first", "second"]);
    assert_eq!(user.raw().get("WithColon").unwrap(), "a: b: c");
    assert_eq!(user.raw().get("Empty").unwrap(), "");
}

// ---- every documented event, synthesised ---------------------------------------

#[test]
fn every_documented_event_types_and_reads_back_every_field() {
    let schema = schema();
    let events = list(&schema, "events");
    assert_eq!(events.len(), 181);
    let mut fields_checked = 0;
    for event in events {
        let name = str_of(event, "name");
        let mut server = ServerMessage::event(name);
        for field in list(event, "fields") {
            let f = str_of(field, "name");
            if flag(field, "templated") {
                let rest = f.strip_prefix("ReportX").unwrap();
                for n in [0, 1] {
                    server = server.header(format!("Report{n}{rest}"), format!("x-{n}-{f}"));
                }
            } else if flag(field, "multiple") {
                server = server
                    .header(f, format!("x-1-{f}"))
                    .header(f, format!("x-2-{f}"));
            } else {
                server = server.header(f, format!("x-{f}"));
            }
        }
        let server = server.header("X-Undocumented", "still here");
        let msg = decode_one(&server.to_bytes().unwrap());
        let ev = Event::from_message(&msg);
        assert_eq!(ev.name(), Some(name), "{name}");
        let documented: Vec<&str> = list(event, "fields")
            .iter()
            .map(|f| str_of(f, "name"))
            .collect();
        assert_eq!(ev.fields(), documented.as_slice(), "{name}: FIELDS");
        assert_eq!(ev.raw().get("X-Undocumented").unwrap(), "still here");

        for field in list(event, "fields") {
            let f = str_of(field, "name");
            fields_checked += 1;
            if flag(field, "templated") {
                for n in [0, 1] {
                    let want = format!("x-{n}-{f}");
                    let got = generated::field(&ev, f, n).unwrap();
                    assert_eq!(
                        got,
                        Got::One(Some(Value::new(want.as_bytes()))),
                        "{name} {f} {n}"
                    );
                }
                assert_eq!(generated::field(&ev, f, 2).unwrap(), Got::One(None));
            } else if flag(field, "multiple") {
                let (a, b) = (format!("x-1-{f}"), format!("x-2-{f}"));
                let got = generated::field(&ev, f, 0).unwrap();
                assert_eq!(
                    got,
                    Got::Many(vec![Value::new(a.as_bytes()), Value::new(b.as_bytes())])
                );
            } else {
                let want = format!("x-{f}");
                let got = generated::field(&ev, f, 0).unwrap();
                assert_eq!(
                    got,
                    Got::One(Some(Value::new(want.as_bytes()))),
                    "{name} {f}"
                );
            }
        }

        // Names match whatever their case; only events are typed.
        for spelling in [name.to_ascii_lowercase(), name.to_ascii_uppercase()] {
            let msg = decode_one(format!("Event: {spelling}\r\n\r\n").as_bytes());
            assert_eq!(Event::from_message(&msg).name(), Some(name));
        }
        let response = decode_one(format!("Response: Success\r\nEvent: {name}\r\n\r\n").as_bytes());
        assert!(matches!(Event::from_message(&response), Event::Unknown(_)));
        // A view of no field still types, and every accessor says `None`.
        let bare = decode_one(format!("Event: {name}\r\n\r\n").as_bytes());
        let bare = Event::from_message(&bare);
        for field in list(event, "fields") {
            let got = generated::field(&bare, str_of(field, "name"), 0).unwrap();
            assert!(matches!(got, Got::One(None)) || got == Got::Many(vec![]));
        }
    }
    assert_eq!(fields_checked, 2884);
}

#[test]
fn doc_names_and_odd_names_dispatch() {
    // Documented as `NewExten`, sent as `Newexten`.
    let msg = decode_one(b"Event: NewExten\r\nExtension: 100\r\n\r\n");
    let Event::Newexten(e) = Event::from_message(&msg) else {
        panic!()
    };
    assert_eq!(e.extension().unwrap(), "100");
    assert_eq!(events::Newexten::NAME, "Newexten");
    // Names that are no Rust identifiers.
    let msg = decode_one(b"Event: AOC-D\r\nType: Currency\r\n\r\n");
    let Event::AocD(aoc) = Event::from_message(&msg) else {
        panic!()
    };
    assert_eq!(aoc.type_raw().unwrap(), "Currency");
    assert_eq!(aoc.r#type(), Ok(Some(values::AocChargeType::Currency)));
    let msg = decode_one(b"Event: EndpointDetail\r\n100rel: required\r\n\r\n");
    let Event::EndpointDetail(d) = Event::from_message(&msg) else {
        panic!()
    };
    assert_eq!(d._100rel().unwrap(), "required");
    let msg = decode_one(b"Event: QueueParams\r\nServicelevelPerf: 98.5\r\n\r\n");
    let Event::QueueParams(q) = Event::from_message(&msg) else {
        panic!()
    };
    assert_eq!(q.servicelevel_perf().unwrap(), "98.5");
    // Unknown names, long names, empty names.
    let long = format!("Event: {}\r\n\r\n", "X".repeat(300));
    for bytes in [
        &b"Event: NoSuchEvent\r\n\r\n"[..],
        b"Event: \r\n\r\n",
        long.as_bytes(),
    ] {
        let msg = decode_one(bytes);
        let ev = Event::from_message(&msg);
        assert!(matches!(ev, Event::Unknown(m) if std::ptr::eq(m, &msg)));
        assert_eq!(ev.fields(), &[] as &[&str]);
    }
}

// ---- actions ---------------------------------------------------------------------

/// What a builder with every parameter set must send, from the schema alone.
fn expected_full(action: &Json, required_only: bool) -> Vec<(String, String)> {
    let name = str_of(action, "name");
    let params: Vec<&Json> = list(action, "params")
        .iter()
        .filter(|p| !str_of(p, "name").eq_ignore_ascii_case("ActionID"))
        .filter(|p| !FREEFORM.contains(&(name, str_of(p, "name"))))
        .collect();
    let value = |p: &Json, suffix: &str| {
        let literal: Vec<&str> = values(p).into_iter().filter(|v| is_literal(v)).collect();
        match literal.first() {
            Some(v) => (*v).to_owned(),
            None => format!("v-{}{suffix}", str_of(p, "name")),
        }
    };
    let mut want = Vec::new();
    for p in params.iter().filter(|p| flag(p, "required")) {
        want.push((str_of(p, "name").to_owned(), value(p, "")));
    }
    if required_only {
        return want;
    }
    for p in params.iter().filter(|p| !flag(p, "required")) {
        let pname = str_of(p, "name");
        if REPEATED.contains(&(name, pname)) {
            want.push((pname.to_owned(), value(p, "-1")));
            want.push((pname.to_owned(), value(p, "-2")));
        } else {
            // A numbered parameter at entry 0 is named as in the docs.
            want.push((pname.to_owned(), value(p, "")));
        }
    }
    want
}

#[test]
fn every_action_builder_encodes_the_documented_parameters_in_order() {
    let schema = schema();
    let actions = list(&schema, "actions");
    assert_eq!(actions.len(), 154);
    let mut headers = 0;
    for action in actions {
        let name = str_of(action, "name");
        let full = generated::build_full(name).unwrap_or_else(|| panic!("no builder for {name}"));
        assert_eq!(full.name(), name.as_bytes());
        assert_eq!(
            full.get_action_id(),
            None,
            "{name}: the connection assigns the ActionID"
        );
        let want = expected_full(action, false);
        assert_eq!(roundtrip(&full), want, "{name}");
        headers += want.len();

        let required = generated::build_required(name).unwrap();
        assert_eq!(
            roundtrip(&required),
            expected_full(action, true),
            "{name}: required"
        );
        assert!(required.validate().is_ok());
    }
    // 451 parameters: 140 ActionIDs and 2 free-form ones are not builder
    // methods; the 3 repeated ones are sent twice.
    assert_eq!(headers, 451 - 140 - 2 + 3);
}

#[test]
fn every_value_enum_sends_the_documented_values() {
    let schema = schema();
    let mut enums = 0;
    for action in list(&schema, "actions") {
        let name = str_of(action, "name");
        for p in list(action, "params") {
            let pname = str_of(p, "name");
            let vals = values(p);
            let has_literal = vals.iter().any(|v| is_literal(v));
            let other = generated::enum_roundtrip(name, pname, "zz-not-listed");
            if !has_literal {
                assert_eq!(other, None, "{name} {pname}: no literal value, no enum");
                continue;
            }
            enums += 1;
            assert_eq!(
                other,
                Some(("zz-not-listed".to_owned(), false)),
                "{name} {pname}"
            );
            for v in vals {
                let got = generated::enum_roundtrip(name, pname, v).unwrap();
                assert_eq!(got, (v.to_owned(), is_literal(v)), "{name} {pname} {v}");
            }
        }
    }
    assert_eq!(enums, 30);
}

#[test]
fn originate_with_variables() {
    let originate = actions::Originate::new("PJSIP/100")
        .context("default")
        .exten("200")
        .priority("1")
        .timeout("30000")
        .caller_id("\"Support\" <555>")
        .variable("A=1")
        .variable("B=two words")
        .account("acct")
        .r#async("true")
        .channel_id("chan-1");
    assert_eq!(actions::Originate::NAME, "Originate");
    let action: Action = originate.clone().into();
    assert_eq!(action, originate.into_action());
    assert_eq!(
        action.to_bytes().unwrap(),
        b"Action: Originate\r\nChannel: PJSIP/100\r\nContext: default\r\nExten: 200\r\n\
          Priority: 1\r\nTimeout: 30000\r\nCallerID: \"Support\" <555>\r\nVariable: A=1\r\n\
          Variable: B=two words\r\nAccount: acct\r\nAsync: true\r\nChannelId: chan-1\r\n\r\n"
    );
    // Setting a single parameter again replaces it in place.
    let again = actions::Originate::new("PJSIP/100")
        .exten("1")
        .variable("A=1")
        .exten("2")
        .variable("B=2");
    assert_eq!(
        roundtrip(again.as_action()),
        pairs(&[
            ("Channel", "PJSIP/100"),
            ("Exten", "2"),
            ("Variable", "A=1"),
            ("Variable", "B=2")
        ])
    );
    // An explicit ActionID through the escape hatch, and an extra header.
    let with_id = actions::Originate::new("PJSIP/100")
        .header("ActionID", "mine")
        .header("X-Extra", "1")
        .exten("3");
    assert_eq!(with_id.as_action().get_action_id(), Some(&b"mine"[..]));
    assert_eq!(
        with_id.as_action().to_bytes().unwrap(),
        b"Action: Originate\r\nActionID: mine\r\nChannel: PJSIP/100\r\nX-Extra: 1\r\nExten: 3\r\n\r\n"
    );
    // Injection is still refused by the encoder.
    let bad = actions::Originate::new("PJSIP/100\r\nAction: Logoff");
    assert!(bad.as_action().to_bytes().is_err());
}

#[test]
fn login_command_events_and_the_enums() {
    let login = actions::Login::new("admin")
        .auth_type(actions::LoginAuthType::Md5)
        .key("0123abcd")
        .events(actions::LoginEvents::Other("system,call".into()));
    assert_eq!(
        roundtrip(login.as_action()),
        pairs(&[
            ("Username", "admin"),
            ("AuthType", "MD5"),
            ("Key", "0123abcd"),
            ("Events", "system,call")
        ])
    );
    // The secret stays out of Debug output.
    let plain = actions::Login::new("admin")
        .secret("amp111")
        .events(actions::LoginEvents::Off);
    assert!(!format!("{plain:?}").contains("amp111"));
    assert_eq!(actions::LoginEvents::from("off"), actions::LoginEvents::Off);
    assert_eq!(
        actions::LoginEvents::from("OFF"),
        actions::LoginEvents::Other("OFF".into())
    );
    assert_eq!(actions::LoginEvents::On.to_string(), "on");

    let events = actions::Events::new(actions::EventsEventMask::On);
    assert_eq!(roundtrip(events.as_action()), pairs(&[("EventMask", "on")]));

    let command = actions::Command::new("core show channels concise");
    assert_eq!(
        command.as_action().to_bytes().unwrap(),
        b"Action: Command\r\nCommand: core show channels concise\r\n\r\n"
    );
    let mute = actions::MuteAudio::new(
        "PJSIP/100-00000001",
        actions::MuteAudioDirection::In,
        actions::MuteAudioState::On,
    );
    assert_eq!(
        roundtrip(mute.as_action()),
        pairs(&[
            ("Channel", "PJSIP/100-00000001"),
            ("Direction", "in"),
            ("State", "on")
        ])
    );
    let status = actions::Status::new()
        .channel("PJSIP/100-00000001")
        .all_variables(actions::StatusAllVariables::True);
    assert_eq!(
        roundtrip(status.as_action()),
        pairs(&[("Channel", "PJSIP/100-00000001"), ("AllVariables", "true")])
    );
    assert_eq!(actions::Ping::default().into_action(), Action::new("Ping"));
}

#[test]
fn queue_db_hangup_redirect_userevent() {
    assert_eq!(
        roundtrip(actions::QueueStatus::new().as_action()),
        pairs(&[])
    );
    assert_eq!(
        roundtrip(
            actions::QueueStatus::new()
                .queue("support")
                .member("Local/100@default")
                .as_action()
        ),
        pairs(&[("Queue", "support"), ("Member", "Local/100@default")])
    );
    assert_eq!(
        roundtrip(
            actions::DBPut::new("amitest", "k1")
                .val("value one")
                .as_action()
        ),
        pairs(&[("Family", "amitest"), ("Key", "k1"), ("Val", "value one")])
    );
    assert_eq!(
        roundtrip(
            actions::Hangup::new("/^PJSIP/100-.*$/")
                .cause("16")
                .as_action()
        ),
        pairs(&[("Channel", "/^PJSIP/100-.*$/"), ("Cause", "16")])
    );
    // Required parameters in the docs' order, whatever order optional ones
    // are interleaved with in the docs.
    let redirect = actions::Redirect::new("PJSIP/100-00000001", "300", "default", "1")
        .extra_channel("PJSIP/200-00000002")
        .extra_exten("301");
    assert_eq!(
        roundtrip(redirect.as_action()),
        pairs(&[
            ("Channel", "PJSIP/100-00000001"),
            ("Exten", "300"),
            ("Context", "default"),
            ("Priority", "1"),
            ("ExtraChannel", "PJSIP/200-00000002"),
            ("ExtraExten", "301"),
        ])
    );
    // UserEvent's headers are the user's: `header` adds them, repeats kept.
    let user = actions::UserEvent::new("MyEvent")
        .header("Header1", "one")
        .header("Repeated", "first")
        .header("Repeated", "second")
        .header("Empty", "")
        .header("WithColon", "a: b: c");
    assert_eq!(
        roundtrip(user.as_action()),
        pairs(&[
            ("UserEvent", "MyEvent"),
            ("Header1", "one"),
            ("Repeated", "first"),
            ("Repeated", "second"),
            ("Empty", ""),
            ("WithColon", "a: b: c"),
        ])
    );
}

#[test]
fn numbered_parameters() {
    let update = actions::UpdateConfig::new("a.conf", "b.conf")
        .action(0, actions::UpdateConfigAction::NewCat)
        .cat(0, "general")
        .action(1, actions::UpdateConfigAction::Append)
        .cat(1, "general")
        .var(1, "x")
        .value(1, "1")
        .action(12, actions::UpdateConfigAction::Other("Rename".into()))
        .cat(0, "renamed");
    assert_eq!(
        roundtrip(update.as_action()),
        pairs(&[
            ("SrcFilename", "a.conf"),
            ("DstFilename", "b.conf"),
            ("Action-000000", "NewCat"),
            ("Cat-000000", "renamed"),
            ("Action-000001", "Append"),
            ("Cat-000001", "general"),
            ("Var-000001", "x"),
            ("Value-000001", "1"),
            ("Action-000012", "Rename"),
        ])
    );
    let aoc = actions::AOCMessage::new(actions::AOCMessageMsgType::D)
        .channel("PJSIP/100-00000001")
        .charge_type(actions::AOCMessageChargeType::Unit)
        .unit_amount(0, "5")
        .unit_type(0, "1")
        .unit_amount(1, "7");
    assert_eq!(
        roundtrip(aoc.as_action()),
        pairs(&[
            ("MsgType", "D"),
            ("Channel", "PJSIP/100-00000001"),
            ("ChargeType", "Unit"),
            ("UnitAmount(0)", "5"),
            ("UnitType(0)", "1"),
            ("UnitAmount(1)", "7"),
        ])
    );
}

/// The actions a real client sent in the captures, rebuilt with the typed
/// builders in the same order: the same headers, ActionID aside (the
/// builders leave it to the connection, which sends it first).
#[test]
fn builders_rebuild_the_captured_actions() {
    let rebuilt: Vec<(&str, Action)> = vec![
        (
            "02-login-plain-ok",
            actions::Login::new("admin")
                .secret("amp111")
                .events(actions::LoginEvents::Off)
                .into(),
        ),
        ("02-login-plain-ok", actions::Logoff::new().into()),
        ("15-queuestatus", actions::QueueStatus::new().into()),
        (
            "15-queuestatus",
            actions::QueueStatus::new()
                .queue("support")
                .member("Local/100@default")
                .into(),
        ),
        (
            "18-call-coreshowchannels-status",
            actions::Originate::new("Local/100@default")
                .context("default")
                .exten("200")
                .priority("1")
                .r#async("true")
                .caller_id("Test <555>")
                .into(),
        ),
        (
            "18-call-coreshowchannels-status",
            actions::CoreShowChannels::new().into(),
        ),
        (
            "18-call-coreshowchannels-status",
            actions::Status::new().into(),
        ),
        (
            "18-call-coreshowchannels-status",
            actions::Command::new("core show channels").into(),
        ),
        (
            "23-db",
            actions::DBPut::new("amitest", "k1").val("value one").into(),
        ),
        ("23-db", actions::DBGet::new("amitest", "k1").into()),
        ("23-db", actions::DBGetTree::new().family("amitest").into()),
        ("23-db", actions::DBDel::new("amitest", "k1").into()),
        (
            "26-userevent",
            actions::Login::new("admin")
                .secret("amp111")
                .events(actions::LoginEvents::On)
                .into(),
        ),
        (
            "26-userevent",
            actions::UserEvent::new("MyEvent")
                .header("Header1", "one")
                .header("Repeated", "first")
                .header("Repeated", "second")
                .header("Empty", "")
                .header("WithColon", "a: b: c")
                .into(),
        ),
        (
            "40-originate-sync-ok",
            actions::Originate::new("Local/101@default")
                .application("Echo")
                .timeout("5000")
                .into(),
        ),
        (
            "40-originate-sync-ok",
            actions::Hangup::new("/^Local/101@default-.*$/").into(),
        ),
    ];
    for (capture_name, action) in rebuilt {
        let sent = capture_messages(&format!("{capture_name}.sent"));
        let want: Vec<Vec<(String, String)>> = sent
            .iter()
            .filter(|m| m.name().unwrap().as_bytes() == action.name())
            .map(|m| {
                header_list(m)[1..]
                    .iter()
                    .filter(|(k, _)| !k.eq_ignore_ascii_case("ActionID"))
                    .cloned()
                    .collect()
            })
            .collect();
        let got = roundtrip(&action);
        assert!(
            want.contains(&got),
            "{capture_name}: {got:?} not among {want:?}"
        );
    }
}
