//! Replaying the real captures in `testdata/captures`.

mod common;

use ami_proto::{Action, CloseReason, Config, EventMask, Login, SendOptions, queue_rules};
use ami_testkit::{Replay, ReplayError, Server};
use common::{Client, TIMEOUT, capture, captures, exchange};

const ALL: &[&str] = &[
    "01-banner",
    "02-login-plain-ok",
    "03-login-bad-secret",
    "04-login-md5-challenge",
    "05-ping",
    "06-command-core-show-version",
    "07-command-core-show-help",
    "09-command-bad",
    "10-command-dialplan-show-default",
    "12-command-empty-output",
    "14-queuerule",
    "15-queuestatus",
    "18-call-coreshowchannels-status",
    "20-list-commands",
    "23-db",
    "26-userevent",
    "29-errors",
    "31-lf-only",
    "32-logoff",
    "34-pipeline-50-pings",
    "36-login-events-on-fullybooted",
    "40-originate-sync-ok",
];

/// Sending a capture's `.sent` bytes to its replay gives back its `.bin`,
/// byte for byte.
#[test]
fn every_capture_replays_byte_for_byte() {
    for name in ALL {
        let server = Server::replay_capture(captures().join(name)).unwrap();
        let bin = capture(name, "bin");
        let got = exchange(server.addr(), &capture(name, "sent"), bin.len());
        assert!(
            got == bin,
            "capture {name}:\n--- got\n{}\n--- want\n{}",
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&bin)
        );
    }
}

#[test]
fn legacy_captures_replay_in_order() {
    for name in ["L1-command-version", "L2-command-blank-lines"] {
        let server = Server::replay_capture(captures().join("legacy").join(name)).unwrap();
        let bin = capture(&format!("legacy/{name}"), "bin");
        let actions = [
            "Action: Login\r\nUsername: admin\r\nSecret: amp111\r\nActionID: 1\r\n\r\n",
            "Action: Command\r\nCommand: core show channels\r\nActionID: 2\r\n\r\n",
            "Action: Ping\r\nActionID: 3\r\n\r\n",
        ];
        // As many actions as the recording has answers.
        let answers = String::from_utf8_lossy(&bin).matches("Response: ").count();
        let sent = actions[..answers].concat();
        let got = exchange(server.addr(), sent.as_bytes(), bin.len());
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&bin),
            "{name}"
        );
    }
}

fn client(server: &Server) -> Client {
    let config = Config {
        login: Some(Login::new("admin", "amp111")),
        events: EventMask::Off,
        ..Config::default()
    };
    Client::connect_with(server.addr(), config)
}

#[test]
fn a_client_with_its_own_action_ids() {
    let server = Server::replay_capture(captures().join("05-ping.bin")).unwrap();
    let mut client = client(&server);
    let first = client.send(Action::new("Ping")).unwrap();
    assert_eq!(first.get("Timestamp").unwrap(), "1795381480.455677");
    // The recording had no ActionID here; the client's was added.
    let second = client.send(Action::new("Ping")).unwrap();
    assert_eq!(second.get("Timestamp").unwrap(), "1795381480.455730");
    assert!(second.message().action_id().is_some());
    // Past the recording: the live server answers.
    let third = client.send(Action::new("Ping")).unwrap();
    assert_ne!(third.get("Timestamp").unwrap(), "1795381480.455730");
    assert_eq!(client.logoff(), Some(CloseReason::LoggedOff));
}

#[test]
fn replayed_lists_commands_and_queue_rules() {
    let server = Server::replay_capture(captures().join("15-queuestatus")).unwrap();
    let mut c = client(&server);
    let all = c.send(Action::new("QueueStatus")).unwrap();
    assert_eq!(all.events().len(), 3);
    assert_eq!(all.completion().unwrap().get("ListItems").unwrap(), "3");

    let server = Server::replay_capture(captures().join("14-queuerule")).unwrap();
    let mut c = client(&server);
    let rules = c.send(Action::new("QueueRule")).unwrap();
    assert_eq!(queue_rules(rules.message()).unwrap().len(), 2);
    let mine = c
        .send(Action::new("QueueRule").header("Rule", "myrule"))
        .unwrap();
    assert_eq!(queue_rules(mine.message()).unwrap().len(), 1);

    let server =
        Server::replay_capture(captures().join("10-command-dialplan-show-default")).unwrap();
    let mut c = client(&server);
    let plan = c
        .send(Action::new("Command").header("Command", "dialplan show default"))
        .unwrap();
    assert!(plan.output().any(|l| l.is_empty()));

    let server =
        Server::replay_capture(captures().join("18-call-coreshowchannels-status")).unwrap();
    let mut c = client(&server);
    let originate = c
        .send(
            Action::new("Originate")
                .header("Channel", "Local/100@default")
                .header("Async", "true"),
        )
        .unwrap();
    assert_eq!(originate.text().unwrap(), "Originate successfully queued");
    let channels = c.send(Action::new("CoreShowChannels")).unwrap();
    assert_eq!(channels.events().len(), 2);
    let status = c
        .send_with(Action::new("Status"), SendOptions::list())
        .unwrap();
    assert_eq!(status.events().len(), 2);
}

#[test]
fn replayed_login_failure_closes() {
    let server = Server::replay_capture(captures().join("03-login-bad-secret")).unwrap();
    let mut c = Client::over(
        Box::new(common::socket(server.addr())),
        Config {
            login: Some(Login::new("admin", "whatever")),
            ..Config::default()
        },
    );
    assert!(!c.wait_ready());
    assert!(matches!(
        c.closed,
        Some(CloseReason::AuthenticationFailed(_))
    ));
    assert!(server.wait_sessions(0, TIMEOUT));
}

#[test]
fn each_connection_replays_from_the_start() {
    let server = Server::replay_capture(captures().join("06-command-core-show-version")).unwrap();
    for _ in 0..2 {
        let mut c = client(&server);
        let version = c
            .send(Action::new("Command").header("Command", "core show version"))
            .unwrap();
        assert!(
            version
                .output()
                .next()
                .unwrap()
                .to_string()
                .starts_with("Asterisk 22.10.1")
        );
    }
    assert_eq!(server.received_actions("Command").len(), 2);
}

#[test]
fn replay_from_bytes_and_errors() {
    let replay =
        Replay::parse(&capture("32-logoff", "bin"), &capture("32-logoff", "sent")).unwrap();
    assert_eq!(replay.answers(), 2);
    assert_eq!(replay.prologue(), b"Asterisk Call Manager/11.0.0\r\n");
    let server =
        Server::replay(&capture("32-logoff", "bin"), &capture("32-logoff", "sent")).unwrap();
    let mut c = client(&server);
    assert_eq!(c.logoff(), Some(CloseReason::LoggedOff));

    let missing = Replay::load(captures().join("99-nothing"));
    assert!(matches!(missing, Err(ReplayError::Io { .. })));
    let Err(e) = Server::replay_capture("/nonexistent/capture.bin") else {
        panic!("no such file");
    };
    assert!(e.to_string().contains("capture.bin"));
}
