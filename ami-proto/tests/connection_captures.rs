//! The client state machine replayed against the captures of a real
//! Asterisk 22 (and the Asterisk 13 format transcripts in `legacy/`).
//!
//! Each test drives a [`Connection`](ami_proto::Connection) with the
//! capture's client actions and feeds it the server's bytes with our
//! ActionIDs written in (see `replay/mod.rs`), whole, byte by byte, in odd
//! chunk sizes and across message boundaries, all of which must come out the
//! same; then it checks what the user sees.

mod replay;

use ami_proto::{
    Action, ActionError, CloseReason, Decoded, Decoder, Event, EventMask, Login, Message,
    PenaltyChange, Response, SendOptions, ServerMessage, md5_key, queue_rules,
};
use proptest::prelude::*;
use replay::{
    Chunking, Planned, Run, Scenario, WireAction, check_cut_off, read_capture, replay, replay_all,
    replay_stream, rewritten_stream,
};

// ---- helpers -----------------------------------------------------------------

fn output(r: &Response) -> Vec<String> {
    r.output().map(|v| v.to_string()).collect()
}

fn get(m: &Message, key: &str) -> String {
    m.get(key)
        .unwrap_or_else(|| panic!("no {key} in {m:?}"))
        .to_string()
}

fn text(r: &Response) -> String {
    r.text().map(|v| v.to_string()).unwrap_or_default()
}

/// The values of the `Output:` lines of the raw capture's response block
/// with `ActionID: <id>`, by plain string handling.
fn raw_output(stem: &str, id: &str) -> Vec<String> {
    let bin = String::from_utf8(read_capture(&format!("{stem}.bin"))).unwrap();
    let block = bin
        .split("\r\n\r\n")
        .find(|b| b.lines().any(|l| l == format!("ActionID: {id}")))
        .unwrap_or_else(|| panic!("{stem}: no block with ActionID {id}"));
    block
        .split("\r\n")
        .filter_map(|l| l.strip_prefix("Output:"))
        .map(|v| v.strip_prefix(' ').unwrap_or(v).to_string())
        .collect()
}

/// The events of a list response: (name, our ActionID).
fn list_events(r: &Response) -> Vec<(String, String)> {
    r.events()
        .iter()
        .map(|e| (get(e, "Event"), get(e, "ActionID")))
        .collect()
}

/// Checks a completed list: `count` events named `item`, all with our
/// ActionID, completed by `complete` whose ListItems is `count`.
fn assert_list(run: &Run, i: usize, capture_id: &str, item: &str, complete: &str, count: usize) {
    let r = run.ok(i);
    let ours = run.our_id(capture_id);
    assert_eq!(get(r.message(), "EventList"), "start");
    assert_eq!(
        list_events(r),
        vec![(item.to_string(), ours.to_string()); count]
    );
    let completion = r.completion().expect("list without completion");
    assert_eq!(completion.name().unwrap(), complete);
    assert_eq!(get(completion, "ActionID"), ours);
    assert!(
        completion
            .get("EventList")
            .unwrap()
            .eq_ignore_ascii_case("Complete")
    );
    assert_eq!(get(completion, "ListItems"), r.events().len().to_string());
}

fn closed_reason(run: &Run) -> &CloseReason {
    match run.events.last() {
        Some(Event::Closed(reason)) => reason,
        other => panic!("{}: last event is {other:?}", run.name),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_string()).collect()
}

const GOODBYE: &str = "Ok Goodbye \"Thanks for all the fish.\"";

// ---- scenarios shared by tests and properties ---------------------------------

/// 03 with a Ping queued before the (failing) login.
fn scenario_03() -> Scenario {
    let mut s = Scenario::capture("03-login-bad-secret");
    s.plan.push(Planned {
        wire: None,
        user: Some((Action::new("Ping"), SendOptions::default())),
        at_segment: 0,
    });
    s
}

/// 29 with the two garbage sends replaced by stand-in user actions: the
/// message without Action (decoded from `.sent` as a header-less message)
/// and the stray empty line after it (which the decoder skips, so it is not
/// in the decoded `.sent` at all).
fn scenario_29() -> Scenario {
    let mut s = Scenario::capture("29-errors");
    let garbage = s.plan[4].wire.as_ref().unwrap();
    assert_eq!(
        garbage.name, "",
        "plan[4] should be the header-less garbage"
    );
    assert!(garbage.headers.is_empty() && garbage.id.is_none());
    s.plan[4] = Planned::stand_in("JustGarbageNoColon (no Action)");
    s.plan.insert(5, Planned::stand_in("stray empty line"));
    // Two `Action` headers in one message: the encoder refuses that, so a
    // stand-in under the capture's ActionID takes its place (Asterisk
    // answered the first, Ping).
    let dup = s.plan_index("29-dupaction");
    assert_eq!(
        s.plan[dup].wire.as_ref().unwrap().headers,
        [("Action".to_string(), "CoreStatus".to_string())]
    );
    s.plan[dup] = Planned::user(WireAction::new(
        "StandIn",
        Some("29-dupaction"),
        &[("For", "Action: Ping + Action: CoreStatus")],
    ));
    s
}

/// A synthetic `OriginateResponse` for capture 18's call (its session had
/// events off, so the real one never came): what Asterisk 22 sends, with the
/// capture's ActionID (rewritten like the rest).
fn originate_response(status: &str, reason: &str) -> Vec<u8> {
    ServerMessage::event("OriginateResponse")
        .header("Privilege", "call,all")
        .header("ActionID", "18-orig")
        .header("Response", status)
        .header("Channel", "Local/100@default-00000000;1")
        .header("Context", "default")
        .header("Exten", "200")
        .header("Reason", reason)
        .header("Uniqueid", "1795381487.0")
        .header("CallerIDNum", "555")
        .header("CallerIDName", "Test")
        .to_bytes()
        .unwrap()
}

/// 18, optionally with an OriginateResponse injected right after the
/// CoreShowChannels list (so that the Originate, if it waits for it,
/// completes after the CoreShowChannels action), and optionally with the
/// Originate waiting for its OriginateResponse.
fn scenario_18(inject: Option<Vec<u8>>, wait: bool) -> Scenario {
    let mut s = Scenario::capture("18-call-coreshowchannels-status");
    let orig = s.plan_index("18-orig");
    let wire = s.plan[orig].wire.as_ref().unwrap();
    assert_eq!(wire.name, "Originate");
    assert_eq!(wire.get("Async"), Some("true"), "18's Originate is Async");
    if wait {
        s.plan[orig].user.as_mut().unwrap().1 = SendOptions::originate_response();
    }
    if let Some(event) = inject {
        let at = s.segment_index("Event: CoreShowChannelsComplete") + 1;
        s.segments.insert(at, event);
    }
    s
}

/// A legacy (Asterisk 13 format) transcript, with the client side it was
/// built for: Login (ActionID 1), Command (2), and optionally Ping (3).
fn scenario_legacy(stem: &str, command: &str, ping: bool) -> Scenario {
    let bin = read_capture(&format!("legacy/{stem}.bin"));
    let mut sent = vec![
        WireAction::new(
            "Login",
            Some("1"),
            &[
                ("Username", "admin"),
                ("Secret", "amp111"),
                ("Events", "off"),
            ],
        ),
        WireAction::new("Command", Some("2"), &[("Command", command)]),
    ];
    if ping {
        sent.push(WireAction::new("Ping", Some("3"), &[]));
    }
    Scenario::from_parts(stem, &bin, sent)
}

fn scenario_l1() -> Scenario {
    scenario_legacy("L1-command-version", "core show version", true)
}

fn scenario_l2() -> Scenario {
    scenario_legacy("L2-command-blank-lines", "core show channels", false)
}

// ---- login ------------------------------------------------------------------

#[test]
fn banner_01_without_login() {
    let s = Scenario::capture("01-banner");
    assert!(s.plan.is_empty());
    assert_eq!(s.config.login, None);
    let run = replay_all(&s);
    assert_eq!(
        run.summary(),
        ["Connected 11.0.0", "Authenticated", "Closed PeerClosed"]
    );
    assert!(run.transmits.is_empty());
}

#[test]
fn login_plain_ok_02() {
    let s = Scenario::capture("02-login-plain-ok");
    assert_eq!(s.config.login, Some(Login::new("admin", "amp111")));
    assert_eq!(s.config.events, EventMask::Off);
    let run = replay_all(&s);
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            &format!("a1 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );
    let Event::Connected(banner) = &run.events[0] else {
        panic!()
    };
    assert_eq!(banner.version().unwrap(), "11.0.0");
    assert_eq!(banner.line(), "Asterisk Call Manager/11.0.0");

    // The Login went out first, with the queued Logoff after the answer.
    let login = &run.sent[0].1;
    assert_eq!(
        login,
        &WireAction::new(
            "Login",
            Some(run.our_id("2-login")),
            &[
                ("Username", "admin"),
                ("Secret", "amp111"),
                ("Events", "off")
            ]
        )
    );
    assert_eq!(run.transmits.len(), 2);
    assert_eq!(
        run.transmits[1],
        format!(
            "Action: Logoff\r\nActionID: {}\r\n\r\n",
            run.our_id("2-logoff")
        )
        .into_bytes()
    );

    let logoff = run.ok(1);
    assert_eq!(logoff.status(), "Goodbye");
    assert!(!logoff.is_error());
    assert_eq!(get(logoff.message(), "ActionID"), run.our_id("2-logoff"));
    assert_eq!(closed_reason(&run), &CloseReason::LoggedOff);
}

#[test]
fn login_bad_secret_03() {
    let s = scenario_03();
    assert_eq!(s.config.login, Some(Login::new("admin", "wrong")));
    let run = replay_all(&s);
    let failed = CloseReason::AuthenticationFailed("Authentication failed".into());
    assert_eq!(
        run.summary(),
        [
            "Connected 11.0.0",
            "a1 Err ConnectionClosed AuthenticationFailed(\"Authentication failed\")",
            "Closed AuthenticationFailed(\"Authentication failed\")",
        ]
    );
    // Exactly once (`outcome` panics on zero or two), and never sent.
    assert_eq!(
        run.outcome(1),
        &Err(ActionError::ConnectionClosed(failed.clone()))
    );
    assert_eq!(run.sent.len(), 1);
    assert_eq!(run.sent[0].1.name, "Login");
    assert_eq!(run.sent[0].1.get("Secret"), Some("wrong"));
    assert_eq!(closed_reason(&run), &failed);
}

#[test]
fn login_md5_challenge_04() {
    let s = Scenario::capture("04-login-md5-challenge");
    assert_eq!(s.config.login, Some(Login::md5("admin", "amp111")));
    let run = replay_all(&s);
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            "a2 Ok Success",
            &format!("a3 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );

    // Challenge, then the MD5 Login with the capture's very Key: same
    // challenge, same secret.
    let capture_key = "b5690284deaa1036140f53d2aae2d859";
    assert_eq!(md5_key(b"205883911", b"amp111"), capture_key);
    let challenge = &run.sent[0].1;
    assert_eq!(challenge.name, "Challenge");
    assert_eq!(challenge.get("AuthType"), Some("MD5"));
    let login = &run.sent[1].1;
    assert_eq!(login.name, "Login");
    assert_eq!(login.get("AuthType"), Some("MD5"));
    assert_eq!(login.get("Username"), Some("admin"));
    assert_eq!(login.get("Key"), Some(capture_key));
    assert_eq!(login.get("Secret"), None);
    assert_eq!(login.get("Events"), Some("off"));

    let ping = run.ok(2);
    assert_eq!(get(ping.message(), "Ping"), "Pong");
    assert_eq!(get(ping.message(), "Timestamp"), "1795381480.153902");
    assert_eq!(get(ping.message(), "ActionID"), run.our_id("4-ping"));
}

#[test]
fn login_events_on_fullybooted_36() {
    let s = Scenario::capture("36-login-events-on-fullybooted");
    // No Events header in the capture's Login: events on (ours says so).
    assert_eq!(s.config.events, EventMask::On);
    let run = replay_all(&s);
    assert_eq!(run.sent[0].1.get("Events"), Some("on"));
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            "Message event FullyBooted",
            "Message event SuccessfulAuth",
            "Message event SuccessfulAuth",
            &format!("a1 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );
    let messages = run.messages();
    assert_eq!(get(messages[0], "Status"), "Fully Booted");
    // Our own login and a second connection's.
    assert_eq!(get(messages[1], "SessionID"), "0x7f3ff4001fa0");
    assert_eq!(get(messages[2], "SessionID"), "0x7f3ff0000ea0");
}

#[test]
fn logoff_32() {
    let s = Scenario::capture("32-logoff");
    let run = replay_all(&s);
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            &format!("a1 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );
    assert_eq!(text(run.ok(1)), "Thanks for all the fish.");
}

// ---- ping, correlation -----------------------------------------------------

#[test]
fn ping_05() {
    let s = Scenario::capture("05-ping");
    // The capture's second Ping had no ActionID; ours always has one.
    assert_eq!(s.plan[2].wire.as_ref().unwrap().id, None);
    let run = replay_all(&s);
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            "a1 Ok Success",
            "a2 Ok Success",
            &format!("a3 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );
    let second_id = run.sent[2].1.id.as_deref().unwrap();
    assert!(second_id.starts_with("t-"));
    assert!(!run.id_map.values().any(|v| v == second_id));

    let first = run.ok(1);
    assert_eq!(get(first.message(), "ActionID"), run.our_id("5-ping"));
    assert_eq!(get(first.message(), "Timestamp"), "1795381480.455677");
    // The ID-less answer went to the oldest action awaiting one.
    let second = run.ok(2);
    assert!(second.message().action_id().is_none());
    assert_eq!(get(second.message(), "Ping"), "Pong");
    assert_eq!(get(second.message(), "Timestamp"), "1795381480.455730");
}

#[test]
fn pipeline_50_pings_34() {
    let s = Scenario::capture("34-pipeline-50-pings");
    assert_eq!(s.plan.len(), 52);
    let run = replay_all(&s);
    let mut expected = vec!["Connected 11.0.0".to_string(), "Authenticated".into()];
    expected.extend((1..=50).map(|i| format!("a{i} Ok Success")));
    expected.push(format!("a51 {GOODBYE}"));
    expected.push("Closed LoggedOff".into());
    assert_eq!(run.summary(), expected);

    // Each Pong went to its own handle, in order.
    let mut last_ts = String::new();
    for i in 1..=50 {
        let id = format!("p{:02}", i - 1);
        let r = run.ok(i);
        assert_eq!(get(r.message(), "ActionID"), run.our_id(&id), "{id}");
        assert_eq!(run.sent[i].1.id.as_deref(), Some(run.our_id(&id)));
        assert_eq!(get(r.message(), "Ping"), "Pong");
        let ts = get(r.message(), "Timestamp");
        assert!(ts >= last_ts, "{id}: timestamps out of order");
        last_ts = ts;
    }
    // The 50 pings (and the Logoff) went out in one write after the login.
    assert_eq!(run.transmits.len(), 2);
    let mut d = Decoder::new();
    d.feed(&run.transmits[1]);
    let mut n = 0;
    while let Some(Decoded::Message(_)) = d.decode() {
        n += 1;
    }
    assert_eq!(n, 51);
}

#[test]
fn lf_only_31() {
    let s = Scenario::capture("31-lf-only");
    let expected = strings(&[
        "Connected 11.0.0",
        "Authenticated",
        "a1 Ok Success",
        "a2 Ok Success",
        &format!("a3 {GOODBYE}"),
        "Closed LoggedOff",
    ]);
    let run = replay_all(&s);
    assert_eq!(run.summary(), expected);
    assert_eq!(get(run.ok(1).message(), "Timestamp"), "1795381518.125767");
    assert_eq!(get(run.ok(2).message(), "Timestamp"), "1795381518.125845");

    // The same server stream with bare LF endings gives the same outcomes.
    let mut lf = s.clone();
    for segment in &mut lf.segments {
        *segment = String::from_utf8(segment.clone())
            .unwrap()
            .replace("\r\n", "\n")
            .into_bytes();
    }
    let lf_run = replay_all(&lf);
    assert_eq!(lf_run.summary(), expected);
    assert_eq!(get(lf_run.ok(2).message(), "Ping"), "Pong");
}

// ---- Command ------------------------------------------------------------------

#[test]
fn command_core_show_version_06() {
    let run = replay_all(&Scenario::capture("06-command-core-show-version"));
    let r = run.ok(1);
    assert_eq!(r.status(), "Success");
    assert_eq!(text(r), "Command output follows");
    assert_eq!(
        output(r),
        [
            "Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-22 20:58:54 UTC"
        ]
    );
    assert_eq!(run.outcome(2).as_ref().unwrap().status(), "Goodbye");
}

#[test]
fn command_long_output_07() {
    let stem = "07-command-core-show-help";
    let run = replay_all(&Scenario::capture(stem));
    let r = run.ok(1);
    let lines = output(r);
    let bin = read_capture(&format!("{stem}.bin"));
    let raw_count = bin
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"Output:"))
        .count();
    assert_eq!(raw_count, 174);
    assert_eq!(lines.len(), raw_count);
    assert_eq!(lines, raw_output(stem, "7"));
    assert_eq!(
        lines.first().unwrap(),
        "!                              -- Execute a shell command"
    );
    assert_eq!(
        lines.last().unwrap(),
        "xmldoc reload                  -- Reload the XML docs"
    );
}

#[test]
fn command_bad_09() {
    let run = replay_all(&Scenario::capture("09-command-bad"));
    let r = run.rejected(1);
    assert!(r.is_error());
    assert_eq!(r.status(), "Error");
    assert_eq!(text(r), "Command output follows");
    assert_eq!(
        output(r),
        [
            "No such command 'foo bar baz' (type 'core show help foo bar' for other possible commands)"
        ]
    );
    // The session goes on.
    assert_eq!(run.outcome(2).as_ref().unwrap().status(), "Goodbye");
}

#[test]
fn command_blank_lines_and_indentation_10() {
    let stem = "10-command-dialplan-show-default";
    let run = replay_all(&Scenario::capture(stem));
    let lines = output(run.ok(1));
    assert_eq!(lines, raw_output(stem, "10"));
    assert_eq!(lines.len(), 17);
    assert_eq!(lines[0], "[ Context 'default' created by 'pbx_config' ]");
    assert_eq!(
        lines[1],
        "  '100' =>          1. Answer()                                   [extensions.conf:8]"
    );
    assert_eq!(
        lines[2],
        "                    2. Wait(2)                                    [extensions.conf:9]"
    );
    assert_eq!(lines[15], "");
    assert_eq!(
        lines[16],
        "-= 5 extensions (14 priorities) in 1 context. =-"
    );
}

#[test]
fn command_empty_output_12() {
    let run = replay_all(&Scenario::capture("12-command-empty-output"));
    let r = run.ok(1);
    assert_eq!(r.status(), "Success");
    // Asterisk 22 sends one empty `Output: ` line for empty CLI output.
    assert_eq!(output(r), [""]);
}

#[test]
fn legacy_command_l1() {
    let run = replay_all(&scenario_l1());
    assert_eq!(
        run.summary(),
        [
            "Connected 2.10.6",
            "Authenticated",
            "a1 Ok Follows output=1",
            "a2 Ok Success",
            "Closed PeerClosed",
        ]
    );
    let r = run.ok(1);
    assert!(r.message().is_legacy_command());
    assert!(!r.is_error());
    assert_eq!(get(r.message(), "ActionID"), run.our_id("2"));
    assert_eq!(
        output(r),
        [
            "Asterisk 13.38.3 built by root @ build on a x86_64 running Linux on 2021-06-01 10:00:00 UTC"
        ]
    );
    assert_eq!(get(run.ok(2).message(), "Ping"), "Pong");
}

#[test]
fn legacy_command_l2() {
    let run = replay_all(&scenario_l2());
    assert_eq!(
        run.summary(),
        [
            "Connected 2.10.6",
            "Authenticated",
            "a1 Ok Follows output=6",
            "Message event Hangup",
            "Closed PeerClosed",
        ]
    );
    let r = run.ok(1);
    assert!(r.message().is_legacy_command());
    assert_eq!(
        output(r),
        [
            "Channel              Location             State   Application(Data)             ",
            "SIP/1001-00000001    s@default:1          Up      Echo()                        ",
            "",
            "1 active channel",
            "1 active call",
            "Status: 1 calls processed",
        ]
    );
    // A body line with a colon is output, not a header.
    assert!(r.get("Status").is_none());
    let hangup = run.messages()[0];
    assert_eq!(get(hangup, "Channel"), "SIP/1001-00000001");
    assert_eq!(get(hangup, "Cause-txt"), "Normal Clearing");
    assert!(hangup.action_id().is_none());
}

// ---- QueueRule, lists ---------------------------------------------------------

/// A rule list as (name, [(seconds, max penalty, min penalty)]).
type Rules = Vec<(String, Vec<(u32, PenaltyChange, PenaltyChange)>)>;

fn rules(r: &Response) -> Rules {
    queue_rules(r.message())
        .unwrap()
        .into_iter()
        .map(|l| {
            (
                l.name.to_string(),
                l.rules
                    .iter()
                    .map(|r| (r.seconds, r.max_penalty, r.min_penalty))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn queuerule_14() {
    use PenaltyChange::{Relative, Set};
    let s = Scenario::capture("14-queuerule");
    let run = replay_all(&s);
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            "a1 Ok Success",
            "a2 Ok Success",
            "a3 Ok Success",
            "a4 Ok Success",
            &format!("a5 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );
    let myrule = (
        "myrule".to_string(),
        vec![(30, Relative(3), Relative(0)), (60, Set(10), Set(5))],
    );
    let other = ("other".to_string(), vec![(20, Relative(-1), Set(0))]);
    assert_eq!(rules(run.ok(1)), vec![myrule.clone(), other]);
    assert_eq!(rules(run.ok(2)), vec![myrule]);
    assert_eq!(rules(run.ok(3)), vec![]);
    assert_eq!(get(run.ok(3).message(), "ActionID"), run.our_id("14-none"));
    assert_eq!(get(run.ok(4).message(), "Ping"), "Pong");
}

#[test]
fn queuestatus_15() {
    let run = replay_all(&Scenario::capture("15-queuestatus"));
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            "a1 Ok Success \"Queue status will follow\" events=3 completion=QueueStatusComplete",
            "a2 Ok Success \"Queue status will follow\" events=2 completion=QueueStatusComplete",
            &format!("a3 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );
    let all = run.ok(1);
    let names: Vec<_> = list_events(all).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["QueueParams", "QueueMember", "QueueMember"]);
    assert_eq!(get(&all.events()[1], "Name"), "Bob");
    assert_eq!(get(&all.events()[1], "PausedReason"), "");
    assert_eq!(
        get(all.completion().unwrap(), "ListItems"),
        all.events().len().to_string()
    );
    let one = run.ok(2);
    let names: Vec<_> = list_events(one).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["QueueParams", "QueueMember"]);
    assert_eq!(get(&one.events()[1], "Location"), "Local/100@default");
    assert_eq!(
        get(one.completion().unwrap(), "ListItems"),
        one.events().len().to_string()
    );
    assert_eq!(
        get(one.completion().unwrap(), "ActionID"),
        run.our_id("15-one")
    );
}

/// What capture 18 gives whatever the Originate does: the lists and the
/// command.
fn check_18_lists(run: &Run) {
    assert_list(
        run,
        2,
        "18-csc",
        "CoreShowChannel",
        "CoreShowChannelsComplete",
        2,
    );
    let csc = run.ok(2);
    assert_eq!(get(&csc.events()[1], "Application"), "Echo");
    assert_eq!(get(&csc.events()[0], "AccountCode"), "");
    assert_list(run, 3, "18-status", "Status", "StatusComplete", 2);
    let status = run.ok(3);
    assert_eq!(get(status.completion().unwrap(), "Items"), "2");
    let cmd = output(run.ok(4));
    assert_eq!(cmd, raw_output("18-call-coreshowchannels-status", "18-cmd"));
    assert_eq!(cmd.len(), 6);
    assert_eq!(cmd[5], "2 calls processed");
    assert_eq!(run.outcome(5).as_ref().unwrap().status(), "Goodbye");
}

#[test]
fn originate_async_and_lists_18() {
    // As captured (events off, so no OriginateResponse ever came).
    let run = replay_all(&scenario_18(None, false));
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            "a1 Ok Success \"Originate successfully queued\"",
            "a2 Ok Success \"Channels will follow\" events=2 completion=CoreShowChannelsComplete",
            "a3 Ok Success \"Channel status will follow\" events=2 completion=StatusComplete",
            "a4 Ok Success \"Command output follows\" output=6",
            &format!("a5 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );
    check_18_lists(&run);
    assert!(run.ok(1).completion().is_none());
}

#[test]
fn originate_async_plain_gets_originate_response_as_message_18() {
    let run = replay_all(&scenario_18(
        Some(originate_response("Success", "4")),
        false,
    ));
    let summary = run.summary();
    let ours = run.our_id("18-orig").to_string();
    assert_eq!(
        summary[2],
        "a1 Ok Success \"Originate successfully queued\""
    );
    assert_eq!(
        summary[4],
        format!("Message event OriginateResponse id={ours}")
    );
    assert_eq!(summary.len(), 9);
    check_18_lists(&run);
    assert!(run.ok(1).completion().is_none());
    let event = run.messages()[0];
    assert_eq!(get(event, "Response"), "Success");
}

#[test]
fn originate_async_waiting_for_originate_response_18() {
    let run = replay_all(&scenario_18(Some(originate_response("Success", "4")), true));
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            "a2 Ok Success \"Channels will follow\" events=2 completion=CoreShowChannelsComplete",
            "a1 Ok Success \"Originate successfully queued\" events=0 completion=OriginateResponse",
            "a3 Ok Success \"Channel status will follow\" events=2 completion=StatusComplete",
            "a4 Ok Success \"Command output follows\" output=6",
            &format!("a5 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );
    check_18_lists(&run);
    let r = run.ok(1);
    let completion = r.completion().unwrap();
    assert_eq!(get(completion, "ActionID"), run.our_id("18-orig"));
    assert_eq!(get(completion, "Reason"), "4");
    assert_eq!(get(completion, "Uniqueid"), "1795381487.0");
    assert!(!r.is_error());
    assert!(run.messages().is_empty());
}

#[test]
fn originate_async_failure_is_rejected_18() {
    let run = replay_all(&scenario_18(Some(originate_response("Failure", "0")), true));
    assert_eq!(
        run.summary()[3],
        "a1 Err Rejected Success \"Originate successfully queued\" events=0 completion=OriginateResponse"
    );
    let r = run.rejected(1);
    assert!(r.is_error());
    assert_eq!(get(r.completion().unwrap(), "Response"), "Failure");
    check_18_lists(&run);
}

#[test]
fn originate_async_waiting_without_events_ends_with_the_connection_18() {
    // Events off: the OriginateResponse never comes; the Logoff's Goodbye
    // closes the connection, and the Originate ends with it, once.
    let run = replay_all(&scenario_18(None, true));
    let summary = run.summary();
    assert_eq!(
        summary[summary.len() - 3..],
        strings(&[
            &format!("a5 {GOODBYE}"),
            "a1 Err ConnectionClosed LoggedOff",
            "Closed LoggedOff",
        ])
    );
    check_18_lists(&run);
}

#[test]
fn originate_sync_and_hangup_list_40() {
    let s = Scenario::capture("40-originate-sync-ok");
    assert_eq!(s.plan[1].wire.as_ref().unwrap().get("Async"), None);
    let run = replay_all(&s);
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            "a1 Ok Success \"Originate successfully queued\"",
            "a2 Ok Success \"Channels hung up will follow\" events=2 completion=ChannelsHungupListComplete",
            "a3 Err Rejected Error \"No such channel\"",
            &format!("a4 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );
    assert!(run.ok(1).completion().is_none());
    assert_list(
        &run,
        2,
        "40-hangup",
        "ChannelHungup",
        "ChannelsHungupListComplete",
        2,
    );
    assert_eq!(
        get(&run.ok(2).events()[1], "Channel"),
        "Local/101@default-00000007;2"
    );
    assert_eq!(text(run.rejected(3)), "No such channel");
    assert_eq!(
        run.sent[2].1.get("Channel"),
        Some("/^Local/101@default-.*$/")
    );
}

#[test]
fn list_commands_20() {
    let stem = "20-list-commands";
    let run = replay_all(&Scenario::capture(stem));
    let r = run.ok(1);
    assert!(r.events().is_empty() && r.completion().is_none());
    assert_eq!(
        get(r.message(), "Ping"),
        "Keepalive command.  (Priv: <none>)"
    );
    assert_eq!(
        get(r.message(), "QueueRule"),
        "Queue Rules.  (Priv: <none>)"
    );
    assert!(get(r.message(), "SendText").contains('\t'));
    // Every line of the raw answer is one header.
    let bin = String::from_utf8(read_capture(&format!("{stem}.bin"))).unwrap();
    let block = bin
        .split("\r\n\r\n")
        .find(|b| b.contains("ActionID: 20-lc"))
        .unwrap();
    assert_eq!(r.message().header_count(), block.split("\r\n").count());
    assert_eq!(r.message().header_count(), 78);
}

#[test]
fn db_23() {
    let run = replay_all(&Scenario::capture("23-db"));
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            "a1 Ok Success \"Updated database successfully\"",
            "a2 Ok Success \"Updated database successfully\"",
            "a3 Ok Success \"Result will follow\" events=1 completion=DBGetComplete",
            "a4 Ok Success \"Result will follow\" events=2 completion=DBGetTreeComplete",
            "a5 Ok Success \"Key deleted successfully\"",
            "a6 Err Rejected Error \"Database entry not found\"",
            "a7 Err Rejected Error \"Database entry could not be deleted\"",
            "a8 Ok Success \"Key tree deleted successfully\"",
            &format!("a9 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );
    assert_list(&run, 3, "23-get", "DBGetResponse", "DBGetComplete", 1);
    let get_1 = &run.ok(3).events()[0];
    assert_eq!(get(get_1, "Family"), "amitest");
    assert_eq!(get(get_1, "Key"), "k1");
    assert_eq!(get(get_1, "Val"), "value one");
    assert_list(
        &run,
        4,
        "23-gettree",
        "DBGetTreeResponse",
        "DBGetTreeComplete",
        2,
    );
    let keys: Vec<_> = run
        .ok(4)
        .events()
        .iter()
        .map(|e| (get(e, "Key"), get(e, "Val")))
        .collect();
    assert_eq!(
        keys,
        [
            ("/amitest/k1".to_string(), "value one".to_string()),
            ("/amitest/sub/k2".to_string(), "v2".to_string())
        ]
    );
    let gone = run.rejected(6);
    assert_eq!(text(gone), "Database entry not found");
    assert_eq!(get(gone.message(), "ActionID"), run.our_id("23-get-gone"));
    let missing = run.outcome(7);
    let Err(e @ ActionError::Rejected(_)) = missing else {
        panic!("{missing:?}")
    };
    assert_eq!(
        e.to_string(),
        "rejected by Asterisk: Database entry could not be deleted"
    );
}

#[test]
fn userevent_26() {
    let s = Scenario::capture("26-userevent");
    assert_eq!(s.config.events, EventMask::On);
    let run = replay_all(&s);
    let ue = run.our_id("26-ue").to_string();
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            "Message event FullyBooted",
            "Message event SuccessfulAuth",
            "a1 Ok Success \"Event Sent\"",
            &format!("Message event UserEvent id={ue}"),
            &format!("a2 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );
    // What we sent: every header in order, the repeated and the empty one
    // included.
    let sent = &run.sent[1].1;
    assert_eq!(
        sent.headers,
        WireAction::new(
            "UserEvent",
            None,
            &[
                ("UserEvent", "MyEvent"),
                ("Header1", "one"),
                ("Repeated", "first"),
                ("Repeated", "second"),
                ("Empty", ""),
                ("WithColon", "a: b: c"),
            ]
        )
        .headers
    );
    let messages = run.messages();
    assert_eq!(get(messages[0], "Status"), "Fully Booted");
    assert_eq!(get(messages[1], "AccountID"), "admin");
    let event = messages[2];
    assert_eq!(get(event, "ActionID"), ue);
    assert_eq!(get(event, "UserEvent"), "MyEvent");
    let repeated: Vec<_> = event.get_all("Repeated").map(|v| v.to_string()).collect();
    assert_eq!(repeated, ["first", "second"]);
    assert_eq!(get(event, "Empty"), "");
    assert_eq!(get(event, "WithColon"), "a: b: c");
}

#[test]
fn errors_29() {
    let s = scenario_29();
    let run = replay_all(&s);
    assert_eq!(
        run.summary(),
        strings(&[
            "Connected 11.0.0",
            "Authenticated",
            "a1 Err Rejected Error \"Channel not specified\"",
            "a2 Err Rejected Error \"Invalid/unknown command: NoSuchThing. Use Action: ListCommands to show available commands.\"",
            "a3 Ok Success",
            "a4 Err Rejected Error \"Missing action in request\"",
            "a5 Err Rejected Error \"Missing action in request\"",
            "a6 Ok Success",
            "a7 Ok Success",
            "a8 Ok Success",
            &format!("a9 {GOODBYE}"),
            "Closed LoggedOff",
        ])
    );
    // The stand-ins are the ones rejected for the ID-less answers.
    for i in [4, 5] {
        assert_eq!(run.sent[i].1.name, "StandIn");
        let r = run.rejected(i);
        assert_eq!(text(r), "Missing action in request");
        assert!(r.message().action_id().is_none());
    }
    // The odd but valid actions went out as the capture's client sent
    // them (less the colon-less line, which an Action cannot carry); the
    // second `Action` header is refused before sending.
    assert_eq!(run.sent[6].1.name, "Ping");
    assert_eq!(run.sent[7].1.name, "ping");
    assert_eq!(run.sent[8].1.name, "StandIn");
    assert_eq!(
        Action::new("Ping")
            .header("Action", "CoreStatus")
            .to_bytes(),
        Err(ami_proto::EncodeError::SecondAction {
            second: "CoreStatus".into()
        })
    );
    for (i, id) in [
        (3, "29-nocolon"),
        (6, "29-nospace"),
        (7, "29-lower"),
        (8, "29-dupaction"),
    ] {
        let r = run.ok(i);
        assert_eq!(get(r.message(), "Ping"), "Pong", "{id}");
        assert_eq!(get(r.message(), "ActionID"), run.our_id(id), "{id}");
    }
}

// ---- cut off -------------------------------------------------------------------

/// Cuts the stream of `s` at every byte (or every `step`th), disconnects, and
/// checks the outcomes against the full run.
fn cut_everywhere(s: &Scenario, step: usize) {
    let full = replay(s, &Chunking::Whole);
    let (stream, _) = rewritten_stream(s, &full.id_map);
    for n in (0..=stream.len()).step_by(step) {
        let cut = replay_stream(s, &full, &Chunking::Whole, Some(n));
        check_cut_off(&full, &cut);
    }
}

#[test]
fn cut_off_anywhere_every_action_ends_once() {
    for i in 0..PROP_SCENARIOS {
        cut_everywhere(&prop_scenario(i), 1);
    }
    for s in [
        Scenario::capture("01-banner"),
        Scenario::capture("02-login-plain-ok"),
        Scenario::capture("06-command-core-show-version"),
        Scenario::capture("09-command-bad"),
        Scenario::capture("10-command-dialplan-show-default"),
        Scenario::capture("12-command-empty-output"),
        Scenario::capture("31-lf-only"),
        Scenario::capture("32-logoff"),
        Scenario::capture("36-login-events-on-fullybooted"),
        scenario_18(Some(originate_response("Success", "4")), false),
        scenario_18(None, true),
    ] {
        cut_everywhere(&s, 1);
    }
    for s in [
        Scenario::capture("07-command-core-show-help"),
        Scenario::capture("20-list-commands"),
    ] {
        cut_everywhere(&s, 11);
    }
}

#[test]
fn cut_off_inside_a_list_fails_it_once() {
    let s = Scenario::capture("15-queuestatus");
    let full = replay(&s, &Chunking::Whole);
    let (stream, ends) = rewritten_stream(&s, &full.id_map);
    // Cut right after the second QueueMember event of the first list.
    let k = s.segment_index("Event: QueueStatusComplete");
    let cut = replay_stream(&s, &full, &Chunking::Whole, Some(ends[k - 1]));
    check_cut_off(&full, &cut);
    assert!(ends[k - 1] < stream.len());
    assert_eq!(
        cut.summary(),
        [
            "Connected 11.0.0",
            "Authenticated",
            "a1 Err ConnectionClosed LoggedOff",
            "a2 Err ConnectionClosed LoggedOff",
            "a3 Err ConnectionClosed LoggedOff",
            "Closed LoggedOff",
        ]
    );
    // Cut inside the completion event itself: that list reports the cut.
    let cut = replay_stream(&s, &full, &Chunking::Whole, Some(ends[k] - 5));
    check_cut_off(&full, &cut);
    assert_eq!(
        cut.summary()[2..],
        [
            "a1 Err Malformed Truncated",
            "a2 Err ConnectionClosed LoggedOff",
            "a3 Err ConnectionClosed LoggedOff",
            "Closed LoggedOff",
        ]
    );
}

/// 32 with the server closing after our Logoff went out but before its
/// Goodbye; the Logoff given at `at_segment`.
fn logoff_then_server_closes(at_segment: usize) -> Run {
    let mut s = Scenario::capture("32-logoff");
    let goodbye = s.segment_index("Response: Goodbye");
    s.plan[1].at_segment = at_segment;
    let full = replay(&s, &Chunking::Whole);
    let (_, ends) = rewritten_stream(&s, &full.id_map);
    let run = replay_stream(&s, &full, &Chunking::Whole, Some(ends[goodbye - 1]));
    assert_eq!(run.sent.len(), 2, "the Logoff went out");
    run
}

#[test]
fn server_closes_after_logoff_sent_when_ready() {
    // Logoff given once logged in (before the next segment, the Goodbye).
    let s = Scenario::capture("32-logoff");
    let run = logoff_then_server_closes(s.segment_index("Response: Goodbye"));
    assert_eq!(closed_reason(&run), &CloseReason::LoggedOff);
    assert_eq!(
        run.outcome(1),
        &Err(ActionError::ConnectionClosed(CloseReason::LoggedOff))
    );
}

#[test]
fn server_closes_after_logoff_queued_before_login() {
    let run = logoff_then_server_closes(0);
    assert_eq!(closed_reason(&run), &CloseReason::LoggedOff);
    assert_eq!(
        run.outcome(1),
        &Err(ActionError::ConnectionClosed(CloseReason::LoggedOff))
    );
}

#[test]
fn action_after_flushed_logoff_is_refused() {
    let mut s = Scenario::capture("32-logoff");
    let goodbye = s.segment_index("Response: Goodbye");
    // The capture's Logoff queued before login, then a Ping given once the
    // login is done (and the Logoff sent): it must be refused.
    s.plan.push(Planned {
        wire: None,
        user: Some((Action::new("Ping"), SendOptions::default())),
        at_segment: goodbye,
    });
    let run = replay(&s, &Chunking::Whole);
    assert_eq!(run.outcome(2), &Err(ActionError::Closing));
    assert_eq!(run.sent.len(), 2);
}

#[test]
fn action_after_logoff_sent_when_ready_is_refused() {
    let mut s = Scenario::capture("32-logoff");
    let goodbye = s.segment_index("Response: Goodbye");
    s.plan[1].at_segment = goodbye;
    s.plan.push(Planned {
        wire: None,
        user: Some((Action::new("Ping"), SendOptions::default())),
        at_segment: goodbye,
    });
    let run = replay_all(&s);
    assert_eq!(run.outcome(2), &Err(ActionError::Closing));
    assert_eq!(run.ok(1).status(), "Goodbye");
}

// ---- properties ---------------------------------------------------------------

const PROP_SCENARIOS: usize = 13;

fn prop_scenario(i: usize) -> Scenario {
    match i {
        0 => scenario_03(),
        1 => Scenario::capture("04-login-md5-challenge"),
        2 => Scenario::capture("05-ping"),
        3 => Scenario::capture("14-queuerule"),
        4 => Scenario::capture("15-queuestatus"),
        5 => scenario_18(Some(originate_response("Success", "4")), true),
        6 => Scenario::capture("23-db"),
        7 => Scenario::capture("26-userevent"),
        8 => scenario_29(),
        9 => Scenario::capture("34-pipeline-50-pings"),
        10 => scenario_l1(),
        11 => scenario_l2(),
        _ => Scenario::capture("40-originate-sync-ok"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Any chunking of the server stream, within messages or across them,
    /// gives the same events, the same transmitted actions, the same IDs.
    #[test]
    fn any_chunking_gives_the_same_outcomes(
        which in 0..PROP_SCENARIOS,
        sizes in prop::collection::vec(1usize..200, 1..12),
        across in any::<bool>(),
    ) {
        let s = prop_scenario(which);
        let reference = replay(&s, &Chunking::Whole);
        let chunking = Chunking::Sizes(sizes);
        let other = if across {
            replay_stream(&s, &reference, &chunking, None)
        } else {
            replay(&s, &chunking)
        };
        replay::assert_same(&reference, &other, &format!("{chunking:?}, across: {across}"));
    }

    /// Cut off anywhere and disconnected: every handle still ends exactly
    /// once, the ones left open with ConnectionClosed (or Malformed for the
    /// one whose answer was cut).
    #[test]
    fn cut_off_then_disconnect_every_action_ends_once(
        which in 0..PROP_SCENARIOS,
        sizes in prop::collection::vec(1usize..200, 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let s = prop_scenario(which);
        let full = replay(&s, &Chunking::Whole);
        let (stream, _) = rewritten_stream(&s, &full.id_map);
        let n = cut.index(stream.len() + 1);
        let run = replay_stream(&s, &full, &Chunking::Sizes(sizes), Some(n));
        check_cut_off(&full, &run);
    }
}
