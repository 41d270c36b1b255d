//! The built-in actions, handlers, pushed events and what the server
//! received, driven through `ami_proto::Connection` (and raw bytes where
//! the exact wire form matters).

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use ami_client::Endpoint;
use ami_proto::{
    Action, ActionError, CloseReason, Config, EventMask, Login, SendOptions, ServerMessage,
    md5_key, queue_rules,
};
use ami_testkit::{Personality, Reply, Server};
use common::{Client, TIMEOUT, capture, config, exchange, mask_timestamps, names, read_to_close};

#[test]
fn url_names_the_user_and_parses_as_an_endpoint() {
    let server = Server::builder().user("ops", "p@ss word").start();
    let endpoint: Endpoint = server.url().parse().unwrap();
    assert_eq!(endpoint.port, server.addr().port());
    assert_eq!(endpoint.host, "127.0.0.1");
    let login = endpoint.login.unwrap();
    assert_eq!(
        (login.username.as_str(), login.secret.expose()),
        ("ops", "p@ss word")
    );
    assert!(server.addr().ip().is_loopback());
    assert_eq!((server.username(), server.secret()), ("ops", "p@ss word"));
    assert!(!server.is_tls());

    let default = Server::start();
    assert_eq!(
        default.url(),
        format!("tcp://admin:amp111@127.0.0.1:{}", default.addr().port())
    );
}

#[test]
fn banners_of_both_personalities() {
    for (personality, banner) in [
        (Personality::Asterisk22, "Asterisk Call Manager/11.0.0\r\n"),
        (Personality::Asterisk13, "Asterisk Call Manager/2.10.6\r\n"),
    ] {
        let server = Server::builder().personality(personality).start();
        let got = exchange(server.addr(), b"", banner.len());
        assert_eq!(String::from_utf8(got).unwrap(), banner);
        let client = Client::connect(&server);
        assert_eq!(client.banner.as_deref(), Some(banner.trim_end()));
    }
}

/// The server answers a capture's `.sent` bytes exactly as the real
/// Asterisk did (`Timestamp` values aside).
#[test]
fn live_answers_match_the_captures() {
    for name in [
        "02-login-plain-ok",
        "03-login-bad-secret",
        "05-ping",
        "06-command-core-show-version",
        "09-command-bad",
        "12-command-empty-output",
        "14-queuerule",
        "29-errors",
        "31-lf-only",
        "32-logoff",
        "34-pipeline-50-pings",
    ] {
        let server = Server::start();
        let bin = capture(name, "bin");
        let got = exchange(server.addr(), &capture(name, "sent"), bin.len());
        assert_eq!(
            mask_timestamps(&got),
            mask_timestamps(&bin),
            "capture {name}"
        );
    }
}

#[test]
fn live_lists_have_the_captured_shape() {
    // 15-queuestatus, with this server's LoginTime.
    let server = Server::start();
    let bin = String::from_utf8(capture("15-queuestatus", "bin")).unwrap();
    let got = exchange(server.addr(), &capture("15-queuestatus", "sent"), bin.len());
    let got = String::from_utf8(got).unwrap();
    let mask = |s: &str| {
        s.lines()
            .map(|l| {
                if l.starts_with("LoginTime: ") {
                    "LoginTime: *"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(mask(&got), mask(&bin));
}

#[test]
fn ping_and_logoff() {
    let server = Server::start();
    let mut client = Client::connect(&server);
    let pong = client.send(Action::new("Ping")).unwrap();
    assert_eq!(pong.get("Ping").unwrap(), "Pong");
    let stamp = pong.get("Timestamp").unwrap().to_string();
    let (secs, micros) = stamp.split_once('.').unwrap();
    assert!(secs.parse::<u64>().unwrap() > 1_600_000_000);
    assert_eq!(micros.len(), 6);
    assert_eq!(client.logoff(), Some(CloseReason::LoggedOff));
    assert!(server.wait_sessions(0, TIMEOUT));
}

#[test]
fn md5_login() {
    let server = Server::start();
    let md5 = Config {
        login: Some(Login::md5("admin", "amp111")),
        events: EventMask::Off,
        ..Config::default()
    };
    let mut client = Client::connect_with(server.addr(), md5);
    assert!(client.send(Action::new("Ping")).is_ok());
    assert_eq!(names(&server.received()), ["Challenge", "Login", "Ping"]);

    // The key, checked by hand with ami_proto::md5_key.
    let mut socket = common::socket(server.addr());
    socket
        .write_all(b"Action: Challenge\r\nAuthType: MD5\r\nActionID: c\r\n\r\n")
        .unwrap();
    let got = String::from_utf8(common::read_until(
        &mut socket,
        10_000,
        Duration::from_millis(300),
    ))
    .unwrap();
    let challenge = got
        .lines()
        .find_map(|l| l.strip_prefix("Challenge: "))
        .unwrap()
        .to_owned();
    assert!(challenge.bytes().all(|b| b.is_ascii_digit()));
    let key = md5_key(challenge.as_bytes(), b"amp111");
    let login = format!(
        "Action: Login\r\nAuthType: MD5\r\nUsername: admin\r\nKey: {key}\r\nEvents: off\r\nActionID: l\r\n\r\n"
    );
    socket.write_all(login.as_bytes()).unwrap();
    let want = "Response: Success\r\nActionID: l\r\nMessage: Authentication accepted\r\n\r\n";
    let got = common::read_until(&mut socket, want.len(), TIMEOUT);
    assert_eq!(String::from_utf8(got).unwrap(), want);
}

#[test]
fn md5_login_with_a_wrong_key_fails() {
    let server = Server::start();
    let mut client = Client::over(
        Box::new(common::socket(server.addr())),
        Config {
            login: Some(Login::md5("admin", "wrong")),
            ..Config::default()
        },
    );
    assert!(!client.wait_ready());
    assert!(matches!(
        client.closed,
        Some(CloseReason::AuthenticationFailed(_))
    ));
}

#[test]
fn failed_login_answers_then_closes() {
    let server = Server::start();
    let mut socket = common::socket(server.addr());
    socket
        .write_all(b"Action: Login\r\nUsername: admin\r\nSecret: nope\r\nActionID: x\r\n\r\nAction: Ping\r\n\r\n")
        .unwrap();
    let (got, closed) = read_to_close(&mut socket, TIMEOUT);
    assert!(closed);
    assert_eq!(
        String::from_utf8(got).unwrap(),
        "Asterisk Call Manager/11.0.0\r\nResponse: Error\r\nActionID: x\r\nMessage: Authentication failed\r\n\r\n"
    );
    // An unknown user fails alike.
    let mut client = Client::over(
        Box::new(common::socket(server.addr())),
        Config {
            login: Some(Login::new("nobody", "amp111")),
            ..Config::default()
        },
    );
    assert!(!client.wait_ready());
    assert!(matches!(
        client.closed,
        Some(CloseReason::AuthenticationFailed(_))
    ));
}

#[test]
fn only_login_challenge_and_logoff_before_login() {
    let server = Server::start();
    let input = b"Action: Ping\r\nActionID: 1\r\n\r\n\
                  Action: CoreShowChannels\r\nActionID: 2\r\n\r\n\
                  Action: Challenge\r\nAuthType: plain\r\nActionID: 3\r\n\r\n\
                  Action: Logoff\r\nActionID: 4\r\n\r\n";
    let mut socket = common::socket(server.addr());
    socket.write_all(input).unwrap();
    let (got, closed) = read_to_close(&mut socket, TIMEOUT);
    assert!(closed);
    assert_eq!(
        String::from_utf8(got).unwrap(),
        "Asterisk Call Manager/11.0.0\r\n\
         Response: Error\r\nActionID: 1\r\nMessage: Permission denied\r\n\r\n\
         Response: Error\r\nActionID: 2\r\nMessage: Permission denied\r\n\r\n\
         Response: Error\r\nActionID: 3\r\nMessage: Must specify AuthType\r\n\r\n\
         Response: Goodbye\r\nActionID: 4\r\nMessage: Thanks for all the fish.\r\n\r\n"
    );
}

#[test]
fn overlong_lines_and_empty_action_ids() {
    let server = Server::start();
    let mut input =
        b"Action: Login\r\nUsername: admin\r\nSecret: amp111\r\nEvents: off\r\n\r\n".to_vec();
    input.extend_from_slice(b"Action: Ping\r\nActionID: long\r\nX: ");
    input.extend(std::iter::repeat_n(b'a', 2000));
    input.extend_from_slice(b"\r\n\r\nAction: Ping\r\nActionID: \r\n\r\n");
    let want = "Asterisk Call Manager/11.0.0\r\n\
                Response: Success\r\nMessage: Authentication accepted\r\n\r\n\
                Response: Error\r\nActionID: long\r\nMessage: Failed to parse message: line too long\r\n\r\n\
                Response: Success\r\nPing: Pong\r\nTimestamp: *\r\n\r\n";
    let got = exchange(server.addr(), &input, want.len());
    assert_eq!(mask_timestamps(&got), want);
}

#[test]
fn events_on_off_and_masks_at_login() {
    let server = Server::start();
    let mut on = Client::connect_events(&server);
    let booted = on.next_message(TIMEOUT).unwrap();
    assert_eq!(booted.name().unwrap(), "FullyBooted");
    assert_eq!(booted.get("Privilege").unwrap(), "system,all");
    assert_eq!(booted.get("Status").unwrap(), "Fully Booted");

    let mut off = Client::connect(&server);
    let mut calls = Client::connect_with(server.addr(), config(EventMask::Mask("call".into())));
    assert!(server.wait_logged_in(3, TIMEOUT));
    let newchannel = ServerMessage::event("Newchannel")
        .header("Privilege", "call,all")
        .header("Channel", "PJSIP/100-00000001");
    assert_eq!(server.push_event(newchannel), 2);
    assert_eq!(
        on.next_message(TIMEOUT).unwrap().name().unwrap(),
        "Newchannel"
    );
    // The "call" session got no FullyBooted: the Newchannel comes first.
    assert_eq!(
        calls.next_message(TIMEOUT).unwrap().name().unwrap(),
        "Newchannel"
    );
    let user = ServerMessage::event("UserEvent")
        .header("Privilege", "user,all")
        .header("UserEvent", "Hello");
    assert_eq!(server.push_event(user), 1);
    assert_eq!(
        on.next_message(TIMEOUT).unwrap().name().unwrap(),
        "UserEvent"
    );
    // Nothing reached the session with events off.
    assert!(off.send(Action::new("Ping")).is_ok());
    assert!(off.messages.is_empty());
    assert!(calls.send(Action::new("Ping")).is_ok());
    assert!(calls.messages.is_empty());
}

#[test]
fn events_default_applies_without_an_events_header() {
    let server = Server::builder().events_default(EventMask::Off).start();
    // A login without the Events header.
    let input = b"Action: Login\r\nUsername: admin\r\nSecret: amp111\r\nActionID: l\r\n\r\n";
    let want = "Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: l\r\nMessage: Authentication accepted\r\n\r\n";
    let mut socket = common::socket(server.addr());
    socket.write_all(input).unwrap();
    assert!(server.wait_logged_in(1, TIMEOUT));
    assert_eq!(server.push_event(ServerMessage::event("Custom")), 0);
    let got = common::read_until(&mut socket, want.len() + 1, Duration::from_millis(300));
    assert_eq!(String::from_utf8(got).unwrap(), want);
}

#[test]
fn events_action_switches_events() {
    let server = Server::start();
    let mut client = Client::connect(&server);
    let on = client
        .send(Action::new("Events").header("EventMask", "on"))
        .unwrap();
    assert_eq!(on.get("Events").unwrap(), "On");
    assert_eq!(server.push_event(ServerMessage::event("Custom")), 1);
    assert_eq!(
        client.next_message(TIMEOUT).unwrap().name().unwrap(),
        "Custom"
    );
    let off = client
        .send(Action::new("Events").header("EventMask", "off"))
        .unwrap();
    assert_eq!(off.get("Events").unwrap(), "Off");
    assert_eq!(server.push_event(ServerMessage::event("Custom")), 0);
    assert!(client.send(Action::new("Events")).is_err());
}

#[test]
fn modern_command_output() {
    let server = Server::start();
    let mut client = Client::connect(&server);
    let version = client
        .send(Action::new("Command").header("Command", "core show version"))
        .unwrap();
    assert_eq!(version.text().unwrap(), "Command output follows");
    let lines: Vec<_> = version.output().map(|l| l.to_string()).collect();
    assert_eq!(lines, [Personality::Asterisk22.version_line()]);

    let Err(ActionError::Rejected(bad)) =
        client.send(Action::new("Command").header("Command", "foo bar baz"))
    else {
        panic!("an unknown command is an error");
    };
    let lines: Vec<_> = bad.output().map(|l| l.to_string()).collect();
    assert_eq!(
        lines,
        [
            "No such command 'foo bar baz' (type 'core show help foo bar' for other possible commands)"
        ]
    );
    let Err(ActionError::Rejected(none)) = client.send(Action::new("Command")) else {
        panic!("no command is an error");
    };
    assert_eq!(none.text().unwrap(), "No command provided");

    let empty = client
        .send(Action::new("Command").header("Command", "core show channels concise"))
        .unwrap();
    assert_eq!(
        empty.output().map(|l| l.to_string()).collect::<Vec<_>>(),
        [""]
    );

    server.set_command("sip show peers", "Name/username  Host\n\n0 sip peers\n");
    let custom = client
        .send(Action::new("Command").header("Command", "SIP  show peers"))
        .unwrap();
    let lines: Vec<_> = custom.output().map(|l| l.to_string()).collect();
    assert_eq!(lines, ["Name/username  Host", "", "0 sip peers"]);
}

#[test]
fn legacy_command_output() {
    let server = Server::builder()
        .personality(Personality::Asterisk13)
        .command(
            "dialplan show",
            "[ Context 'default' ]\n  '100' => 1. Answer()\n\n-= 1 extension =-\n",
        )
        .start();
    let mut client = Client::connect(&server);
    let version = client
        .send(Action::new("Command").header("Command", "core show version"))
        .unwrap();
    assert!(version.message().is_legacy_command());
    assert_eq!(version.status(), "Follows");
    let lines: Vec<_> = version.output().map(|l| l.to_string()).collect();
    assert_eq!(lines, [Personality::Asterisk13.version_line()]);

    let plan = client
        .send(Action::new("Command").header("Command", "dialplan show"))
        .unwrap();
    let lines: Vec<_> = plan.output().map(|l| l.to_string()).collect();
    assert_eq!(
        lines,
        [
            "[ Context 'default' ]",
            "  '100' => 1. Answer()",
            "",
            "-= 1 extension =-"
        ]
    );

    // Byte for byte: capture L1's shape.
    let input =
        b"Action: Login\r\nUsername: admin\r\nSecret: amp111\r\nEvents: off\r\nActionID: 1\r\n\r\n\
                  Action: Command\r\nCommand: core show version\r\nActionID: 2\r\n\r\n";
    let bin = capture("legacy/L1-command-version", "bin");
    let cut = bin.windows(4).rposition(|w| w == b"\r\n\r\n").unwrap();
    let want = &bin[..bin[..cut]
        .windows(4)
        .rposition(|w| w == b"\r\n\r\n")
        .unwrap()
        + 4];
    let got = exchange(server.addr(), input, want.len());
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));

    // An unknown command still answers Follows.
    let unknown = client
        .send(Action::new("Command").header("Command", "nope"))
        .unwrap();
    assert_eq!(unknown.status(), "Follows");
    assert!(
        unknown
            .output()
            .next()
            .unwrap()
            .to_string()
            .starts_with("No such command 'nope'")
    );
}

#[test]
fn event_lists() {
    let server = Server::start();
    let mut client = Client::connect(&server);

    let channels = client.send(Action::new("CoreShowChannels")).unwrap();
    assert_eq!(channels.get("EventList").unwrap(), "start");
    assert_eq!(channels.text().unwrap(), "Channels will follow");
    assert!(channels.events().is_empty());
    let done = channels.completion().unwrap();
    assert_eq!(done.name().unwrap(), "CoreShowChannelsComplete");
    assert_eq!(done.get("EventList").unwrap(), "Complete");
    assert_eq!(done.get("ListItems").unwrap(), "0");

    let queue = client.send(Action::new("QueueStatus")).unwrap();
    assert_eq!(
        names(queue.events()),
        ["QueueParams", "QueueMember", "QueueMember"]
    );
    assert_eq!(queue.completion().unwrap().get("ListItems").unwrap(), "3");
    let one = client
        .send(
            Action::new("QueueStatus")
                .header("Queue", "support")
                .header("Member", "Local/100@default"),
        )
        .unwrap();
    assert_eq!(names(one.events()), ["QueueParams", "QueueMember"]);

    let summary = client.send(Action::new("QueueSummary")).unwrap();
    assert_eq!(names(summary.events()), ["QueueSummary"]);

    let status = client.send(Action::new("Status")).unwrap();
    let done = status.completion().unwrap();
    assert_eq!(done.name().unwrap(), "StatusComplete");
    assert_eq!(done.get("Items").unwrap(), "0");
    assert!(
        client
            .send(Action::new("Status").header("Channel", "PJSIP/nope-1"))
            .is_err()
    );
}

#[test]
fn queue_rule_answers_carry_the_extra_crlf() {
    let server = Server::start();
    let mut client = Client::connect(&server);
    let all = client.send(Action::new("QueueRule")).unwrap();
    let lists = queue_rules(all.message()).unwrap();
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[0].name, "myrule");
    assert_eq!(lists[0].rules.len(), 2);
    let none = client
        .send(Action::new("QueueRule").header("Rule", "nosuchrule"))
        .unwrap();
    assert!(queue_rules(none.message()).unwrap().is_empty());
    // The extra CRLF did not upset the client.
    assert!(client.violations.is_empty());
    assert!(client.send(Action::new("Ping")).is_ok());
}

#[test]
fn async_originate_then_originate_response() {
    let server = Server::start();
    let mut client = Client::connect_events(&server);
    let mut other = Client::connect_events(&server);
    let originate = Action::new("Originate")
        .header("Channel", "Local/100@default")
        .header("Context", "default")
        .header("Exten", "200")
        .header("Priority", "1")
        .header("Async", "true")
        .header("CallerID", "Test <555>")
        .action_id("orig-1");
    let done = client
        .send_with(originate, SendOptions::originate_response())
        .unwrap();
    assert_eq!(done.text().unwrap(), "Originate successfully queued");
    let event = done.completion().unwrap();
    assert_eq!(event.name().unwrap(), "OriginateResponse");
    assert_eq!(event.action_id().unwrap(), "orig-1");
    assert_eq!(event.get("Response").unwrap(), "Success");
    assert_eq!(event.get("CallerIDNum").unwrap(), "555");
    assert_eq!(
        event.get("Channel").unwrap().to_string(),
        server.channels()[0]
    );

    // Broadcast: the other session sees it, with the originator's ActionID.
    let seen = other
        .next_event_named("OriginateResponse", TIMEOUT)
        .unwrap();
    assert_eq!(seen.action_id().unwrap(), "orig-1");

    // The call's two Local channels are up.
    let channels = client.send(Action::new("CoreShowChannels")).unwrap();
    assert_eq!(channels.events().len(), 2);
    assert!(
        channels.events()[0]
            .get("Channel")
            .unwrap()
            .to_string()
            .ends_with(";1")
    );
    let hung = client
        .send(Action::new("Hangup").header("Channel", server.channels()[0].as_str()))
        .unwrap();
    assert_eq!(hung.text().unwrap(), "Channel Hungup");
    assert!(server.channels().is_empty());
    assert!(client.next_event_named("Hangup", TIMEOUT).is_some());

    // A failing call.
    let failing = Action::new("Originate")
        .header("Channel", "PJSIP/busy-1")
        .header("Application", "Echo")
        .header("Async", "yes");
    let Err(ActionError::Rejected(failed)) =
        client.send_with(failing, SendOptions::originate_response())
    else {
        panic!("a busy channel fails");
    };
    let event = failed.completion().unwrap();
    assert_eq!(event.get("Response").unwrap(), "Failure");
    assert_eq!(event.get("Reason").unwrap(), "5");
    assert_eq!(event.get("Application").unwrap(), "Echo");
}

/// As the real Asterisk 22 does (tests/real_asterisk.rs,
/// `hangup_a_live_channel`, `call_events_from_dial_to_hangup`): the channel
/// named in `Hangup` ends with its `Cause` (0 "Unknown" without one), the
/// channels it takes down with 16 "Normal Clearing".
#[test]
fn hangup_carries_its_cause() {
    let server = Server::start();
    let mut client = Client::connect_events(&server);
    for (cause, expected) in [(None, ("0", "Unknown")), (Some("17"), ("17", "User busy"))] {
        let originate = Action::new("Originate")
            .header("Channel", "Local/100@default")
            .header("Context", "default")
            .header("Exten", "200")
            .header("Priority", "1")
            .header("Async", "true");
        client
            .send_with(originate, SendOptions::originate_response())
            .unwrap();
        let channels = server.channels();
        assert_eq!(channels.len(), 2, "{channels:?}");
        let mut hangup = Action::new("Hangup").header("Channel", channels[0].as_str());
        if let Some(cause) = cause {
            hangup = hangup.header("Cause", cause);
        }
        client.send(hangup).unwrap();
        let mut causes = Vec::new();
        while causes.len() < 2 {
            let event = client.next_event_named("Hangup", TIMEOUT).expect("Hangup");
            causes.push((
                event.get("Channel").unwrap().to_string(),
                event.get("Cause").unwrap().to_string(),
                event.get("Cause-txt").unwrap().to_string(),
            ));
        }
        let named = causes.iter().find(|c| c.0 == channels[0]).unwrap();
        assert_eq!((named.1.as_str(), named.2.as_str()), expected);
        let other = causes.iter().find(|c| c.0 == channels[1]).unwrap();
        assert_eq!(
            (other.1.as_str(), other.2.as_str()),
            ("16", "Normal Clearing")
        );
    }
}

/// `Filter`, as the real Asterisk 22 answers and applies it
/// (tests/real_asterisk.rs, `filter_passes_only_matching_events`).
#[test]
fn filter_action_passes_only_matching_events() {
    let server = Server::start();
    let mut client = Client::connect_events(&server);
    let mut errors = Vec::new();
    for action in [
        Action::new("Filter").header("Filter", "Event: X"),
        Action::new("Filter")
            .header("Operation", "Remove")
            .header("Filter", "x"),
        Action::new("Filter").header("Operation", "Add"),
        Action::new("Filter")
            .header("Operation", "Add")
            .header("Filter", "(("),
    ] {
        let Err(ActionError::Rejected(response)) = client.send(action) else {
            panic!("refused");
        };
        errors.push(response.text().unwrap().to_string());
    }
    assert_eq!(
        errors,
        [
            "Unknown operation",
            "Unknown operation",
            "Filter was formatted incorrectly.  Check the syntax of the filter given.",
            "Filter did not compile.  Check the syntax of the filter given.",
        ]
    );
    for filter in ["UserEvent: keep", "!UserEvent: keep-not"] {
        let added = client
            .send(
                Action::new("Filter")
                    .header("Operation", "Add")
                    .header("Filter", filter),
            )
            .unwrap();
        assert_eq!(added.text().unwrap(), "Success");
    }
    // Another session without filters gets everything.
    let mut plain = Client::connect_events(&server);
    for name in ["drop", "keep-not", "keep-1", "keep-2"] {
        client
            .send(Action::new("UserEvent").header("UserEvent", name))
            .unwrap();
    }
    let mut got = Vec::new();
    while got.len() < 2 {
        let event = client
            .next_event_named("UserEvent", TIMEOUT)
            .expect("event");
        got.push(event.get("UserEvent").unwrap().to_string());
    }
    assert_eq!(got, ["keep-1", "keep-2"]);
    assert!(
        client
            .next_event_named("UserEvent", Duration::from_millis(200))
            .is_none()
    );
    let mut all = Vec::new();
    while all.len() < 4 {
        let event = plain.next_event_named("UserEvent", TIMEOUT).expect("event");
        all.push(event.get("UserEvent").unwrap().to_string());
    }
    assert_eq!(all, ["drop", "keep-not", "keep-1", "keep-2"]);
}

#[test]
fn sync_originate_answers_when_up() {
    let server = Server::builder()
        .originate_delay(Duration::from_millis(100))
        .start();
    let mut client = Client::connect(&server);
    let started = Instant::now();
    let done = client
        .send(
            Action::new("Originate")
                .header("Channel", "PJSIP/101")
                .header("Application", "Echo"),
        )
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(90));
    assert_eq!(done.text().unwrap(), "Originate successfully queued");
    assert_eq!(server.channels().len(), 1);
    let Err(ActionError::Rejected(no_channel)) = client.send(Action::new("Originate")) else {
        panic!("no channel is an error");
    };
    assert_eq!(no_channel.text().unwrap(), "Channel not specified");
    assert!(
        client
            .send(Action::new("Originate").header("Channel", "Local/fail@x"))
            .is_err()
    );
}

#[test]
fn user_event_is_broadcast() {
    let server = Server::start();
    let mut client = Client::connect_events(&server);
    let sent = client
        .send(
            Action::new("UserEvent")
                .header("UserEvent", "MyEvent")
                .header("Repeated", "first")
                .header("Repeated", "second")
                .action_id("ue"),
        )
        .unwrap();
    assert_eq!(sent.text().unwrap(), "Event Sent");
    let event = client.next_event_named("UserEvent", TIMEOUT).unwrap();
    assert_eq!(event.get("UserEvent").unwrap(), "MyEvent");
    assert_eq!(event.get_all("Repeated").count(), 2);
    assert_eq!(event.get("Privilege").unwrap(), "user,all");
}

#[test]
fn list_commands_and_unknown_actions() {
    let server = Server::start();
    let mut client = Client::connect(&server);
    let list = client.send(Action::new("ListCommands")).unwrap();
    assert!(
        list.get("Ping")
            .unwrap()
            .to_string()
            .starts_with("Keepalive command.")
    );
    let Err(ActionError::Rejected(unknown)) = client.send(Action::new("NoSuchThing")) else {
        panic!("unknown");
    };
    assert_eq!(
        unknown.text().unwrap(),
        "Invalid/unknown command: NoSuchThing. Use Action: ListCommands to show available commands."
    );
}

#[test]
fn handlers_override_the_built_ins() {
    let server = Server::start();
    server.on_action("DBGet", |action| {
        let family = action
            .get("Family")
            .map(|f| f.to_string())
            .unwrap_or_default();
        vec![
            ServerMessage::response_to(action, "Success")
                .header("EventList", "start")
                .header("Message", "Result will follow"),
            ServerMessage::event("DBGetResponse")
                .header("Family", family)
                .header("Val", "42")
                .header("ActionID", action.action_id().unwrap().as_bytes()),
            ServerMessage::event("DBGetComplete")
                .header("ActionID", action.action_id().unwrap().as_bytes())
                .header("EventList", "Complete")
                .header("ListItems", "1"),
        ]
    });
    server.on_action("ping", |action| Reply::success(action, "custom pong"));
    server.on_action("Hangup", |_| Reply::nothing());
    server.on_action("CoreShowChannels", |_| Reply::builtin());
    server.on_action("Reload", |action| {
        Reply::success(action, "Module Reloaded.").after(Duration::from_millis(100))
    });
    server.on_action("Bye", |action| Reply::error(action, "bye").then_close());

    let mut client = Client::connect(&server);
    let db = client
        .send(Action::new("DBGet").header("Family", "cid"))
        .unwrap();
    assert_eq!(db.events()[0].get("Val").unwrap(), "42");
    assert_eq!(
        client.send(Action::new("Ping")).unwrap().text().unwrap(),
        "custom pong"
    );
    let lost = client.send_with(
        Action::new("Hangup"),
        SendOptions {
            timeout: Some(Duration::from_millis(200)),
            ..SendOptions::default()
        },
    );
    assert!(matches!(lost, Err(ActionError::Timeout)));
    assert!(client.send(Action::new("CoreShowChannels")).is_ok());
    let started = Instant::now();
    assert!(client.send(Action::new("Reload")).is_ok());
    assert!(started.elapsed() >= Duration::from_millis(90));

    server.remove_action("Ping");
    assert_eq!(
        client
            .send(Action::new("Ping"))
            .unwrap()
            .get("Ping")
            .unwrap(),
        "Pong"
    );

    assert!(client.send(Action::new("Bye")).is_err());
    assert!(client.wait_closed(TIMEOUT).is_some());
}

#[test]
fn raw_replies_and_login_handlers() {
    let server = Server::builder()
        .on_action("Login", |action| {
            // Anyone may log in.
            Reply::success(action, "Authentication accepted")
        })
        .on_action("Odd", |_| {
            Reply::raw(&b"Response: Success\r\nActionID: odd\r\nFoo: bar\r\n\r\n"[..])
        })
        .start();
    let mut client = Client::connect_with(
        server.addr(),
        Config {
            login: Some(Login::new("anyone", "anything")),
            events: EventMask::Off,
            ..Config::default()
        },
    );
    let odd = client.send(Action::new("Odd").action_id("odd")).unwrap();
    assert_eq!(odd.get("Foo").unwrap(), "bar");
}

#[test]
fn received_messages_in_order() {
    let server = Server::start();
    let mut client = Client::connect(&server);
    for i in 0..3 {
        client
            .send(Action::new("Ping").header("N", i.to_string()))
            .unwrap();
    }
    let received = server.wait_received(4, TIMEOUT).unwrap();
    assert_eq!(names(&received), ["Login", "Ping", "Ping", "Ping"]);
    assert_eq!(received[0].get("Username").unwrap(), "admin");
    assert!(!format!("{:?}", received[0]).contains("amp111"));
    let pings = server.received_actions("ping");
    assert_eq!(pings[2].get("N").unwrap(), "2");

    let _ = client.start(Action::new("Status"));
    client.pump(); // writes it
    let status = server.wait_for_action("status", TIMEOUT).unwrap();
    assert_eq!(status.name().unwrap(), "Status");
    assert!(
        server
            .wait_for_action("Nope", Duration::from_millis(50))
            .is_none()
    );
    server.clear_received();
    assert!(server.received().is_empty());
    assert!(server.wait_received(1, Duration::from_millis(50)).is_none());
}

#[test]
fn busy_pbx_plays_calls_and_a_queue() {
    let server = ami_testkit::demo();
    assert!(!server.channels().is_empty());
    let mut client = Client::connect_events(&server);
    let mut seen = std::collections::HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !(seen.contains("Newchannel") && seen.contains("Hangup") && seen.contains("Newstate"))
        && Instant::now() < deadline
    {
        if let Some(m) = client.next_message(Duration::from_millis(500)) {
            seen.insert(m.name().unwrap().to_string());
        }
    }
    assert!(seen.contains("Newchannel"), "{seen:?}");
    assert!(seen.contains("Hangup"), "{seen:?}");

    let channels = client.send(Action::new("CoreShowChannels")).unwrap();
    let items: usize = channels
        .completion()
        .unwrap()
        .get("ListItems")
        .unwrap()
        .to_string()
        .parse()
        .unwrap();
    assert_eq!(items, channels.events().len());
    let cli = client
        .send(Action::new("Command").header("Command", "core show channels"))
        .unwrap();
    let lines: Vec<_> = cli.output().map(|l| l.to_string()).collect();
    assert!(lines[0].starts_with("Channel "));
    assert!(lines.iter().any(|l| l.contains("active channel")));
    let queue = client.send(Action::new("QueueStatus")).unwrap();
    assert!(queue.events().len() >= 3);
}

#[test]
fn a_panicking_handler_closes_its_session() {
    let server = Server::start();
    server.on_action("Boom", |_| -> Reply { panic!("handler bug") });
    let mut client = Client::connect(&server);
    assert!(client.send(Action::new("Boom")).is_err());
    assert_eq!(client.wait_closed(TIMEOUT), Some(CloseReason::PeerClosed));
    let mut again = Client::connect(&server);
    assert!(again.send(Action::new("Ping")).is_ok());
}

#[test]
fn pending_close_mid_message_spares_the_login_answer() {
    let server = Server::start();
    server.inject(ami_testkit::Fault::CloseMidMessage);
    let mut client = Client::connect(&server);
    assert!(client.send(Action::new("Ping")).is_err());
    assert_eq!(client.wait_closed(TIMEOUT), Some(CloseReason::PeerClosed));
}

#[test]
fn server_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Server>();
    check::<Reply>();
    check::<ami_testkit::Replay>();
}
