//! The client state machine against scripted servers with virtual time:
//! timeouts, keepalive, closing, lists, refusals, transcripts, and the
//! exactly-one-outcome rule under arbitrary server input.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ami_proto::{
    Action, ActionError, ActionHandle, CloseReason, Config, Connection, Decoded, Decoder, Event,
    EventMask, Keepalive, Login, Message, Response, SendOptions, Violation,
};
use proptest::prelude::*;

const BANNER: &[u8] = b"Asterisk Call Manager/11.0.0\r\n";

/// A connection plus what came out of it.
struct Harness {
    conn: Connection,
    t0: Instant,
    now: Instant,
    sent: Vec<Message>,
    outcomes: HashMap<ActionHandle, Vec<Result<Response, ActionError>>>,
    messages: Vec<Message>,
    closed: Vec<CloseReason>,
    violations: Vec<Violation>,
    authenticated: bool,
}

impl Harness {
    fn new(config: Config) -> Self {
        let t0 = Instant::now();
        Self {
            conn: Connection::new(config, t0),
            t0,
            now: t0,
            sent: Vec::new(),
            outcomes: HashMap::new(),
            messages: Vec::new(),
            closed: Vec::new(),
            violations: Vec::new(),
            authenticated: false,
        }
    }

    fn config() -> Config {
        Config {
            login: Some(Login::new("admin", "amp111")),
            events: EventMask::Off,
            action_id_prefix: Some("t".into()),
            ..Config::default()
        }
    }

    /// A connection that has read the banner and had its login accepted.
    fn ready(config: Config) -> Self {
        let mut h = Self::new(config);
        h.input(BANNER);
        let login = h.last_sent_id();
        h.input(
            format!(
                "Response: Success\r\nActionID: {login}\r\nMessage: Authentication accepted\r\n\r\n"
            )
            .as_bytes(),
        );
        assert!(h.authenticated && h.conn.is_ready());
        h
    }

    fn drain(&mut self) {
        let mut out = Vec::new();
        let _ = self.conn.poll_transmit(&mut out);
        let mut decoder = Decoder::new();
        decoder.feed(&out);
        while let Some(item) = decoder.decode() {
            match item {
                Decoded::Message(m) => self.sent.push(m),
                other => panic!("client sent {other:?}"),
            }
        }
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::ActionCompleted { handle, outcome } => {
                    self.outcomes.entry(handle).or_default().push(outcome);
                }
                Event::Message(m) => self.messages.push(m),
                Event::Closed(reason) => self.closed.push(reason),
                Event::Violation(v) => self.violations.push(v),
                Event::Authenticated => self.authenticated = true,
                Event::Connected(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn input(&mut self, bytes: &[u8]) {
        self.conn.handle_input(self.now, bytes);
        self.drain();
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.conn.handle_timeout(self.now);
        self.drain();
    }

    fn send(&mut self, action: Action) -> ActionHandle {
        self.send_with(action, SendOptions::default())
    }

    fn send_with(&mut self, action: Action, options: SendOptions) -> ActionHandle {
        let h = self.conn.send_action_with(action, options, self.now);
        self.drain();
        h
    }

    fn last_sent_id(&self) -> String {
        let last = self.sent.last().expect("something was sent");
        last.action_id()
            .expect("an ActionID")
            .to_str_lossy()
            .into_owned()
    }

    fn outcome(&self, h: ActionHandle) -> &Result<Response, ActionError> {
        let all = &self.outcomes[&h];
        assert_eq!(all.len(), 1, "exactly one outcome for {h:?}");
        &all[0]
    }
}

#[test]
fn action_times_out_and_late_response_becomes_a_message() {
    let mut h = Harness::ready(Harness::config());
    let ping = h.send(Action::new("Ping"));
    let id = h.last_sent_id();
    assert_eq!(h.conn.poll_timeout(), Some(h.now + Duration::from_secs(30)));
    h.advance(Duration::from_secs(29));
    assert!(!h.outcomes.contains_key(&ping));
    h.advance(Duration::from_secs(1));
    assert!(matches!(h.outcome(ping), Err(ActionError::Timeout)));
    // The late answer belongs to nobody now: it is reported, not lost.
    h.input(format!("Response: Success\r\nActionID: {id}\r\nPing: Pong\r\n\r\n").as_bytes());
    assert_eq!(h.messages.len(), 1);
    assert_eq!(h.outcomes[&ping].len(), 1);
}

#[test]
fn per_action_timeout_overrides_the_default() {
    let mut h = Harness::ready(Harness::config());
    let slow = h.send_with(
        Action::new("Originate"),
        SendOptions {
            timeout: Some(Duration::from_secs(90)),
            ..SendOptions::default()
        },
    );
    let fast = h.send(Action::new("Ping"));
    h.advance(Duration::from_secs(31));
    assert!(matches!(h.outcome(fast), Err(ActionError::Timeout)));
    assert!(!h.outcomes.contains_key(&slow));
    h.advance(Duration::from_secs(60));
    assert!(matches!(h.outcome(slow), Err(ActionError::Timeout)));
}

#[test]
fn handle_timeout_early_or_twice_is_harmless() {
    let mut h = Harness::ready(Harness::config());
    let ping = h.send(Action::new("Ping"));
    for _ in 0..3 {
        h.advance(Duration::ZERO);
    }
    assert!(h.outcomes.is_empty());
    h.advance(Duration::from_secs(30));
    h.advance(Duration::ZERO);
    assert_eq!(h.outcomes[&ping].len(), 1);
}

#[test]
fn login_times_out_without_banner() {
    let mut h = Harness::new(Harness::config());
    let queued = h.send(Action::new("Ping"));
    assert_eq!(h.conn.poll_timeout(), Some(h.t0 + Duration::from_secs(10)));
    h.advance(Duration::from_secs(10));
    assert_eq!(h.closed, [CloseReason::BannerTimeout]);
    assert!(matches!(
        h.outcome(queued),
        Err(ActionError::ConnectionClosed(CloseReason::BannerTimeout))
    ));
    assert!(h.sent.is_empty(), "nothing sent without a banner");
}

#[test]
fn login_times_out_after_the_banner() {
    let mut h = Harness::new(Harness::config());
    h.input(b"Asterisk Call Manager/11.0.0\r\n");
    assert_eq!(h.sent[0].name().unwrap(), "Login");
    h.advance(Duration::from_secs(10));
    assert_eq!(h.closed, [CloseReason::LoginTimeout]);
}

#[test]
fn keepalive_pings_and_declares_death() {
    let config = Config {
        keepalive: Some(Keepalive {
            interval: Duration::from_secs(20),
            timeout: Duration::from_secs(5),
        }),
        ..Harness::config()
    };
    let mut h = Harness::ready(config);
    let before = h.sent.len();
    h.advance(Duration::from_secs(19));
    assert_eq!(h.sent.len(), before);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.sent.len(), before + 1);
    assert_eq!(h.sent.last().unwrap().name().unwrap(), "Ping");
    let id = h.last_sent_id();
    h.input(format!("Response: Success\r\nActionID: {id}\r\nPing: Pong\r\n\r\n").as_bytes());
    assert!(h.messages.is_empty(), "the keepalive pong is consumed");
    // Next ping, unanswered: dead 5 s later.
    h.advance(Duration::from_secs(20));
    assert_eq!(h.sent.len(), before + 2);
    let user = h.send(Action::new("CoreStatus"));
    h.advance(Duration::from_secs(4));
    assert!(h.closed.is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(h.closed, [CloseReason::KeepaliveTimeout]);
    assert!(matches!(
        h.outcome(user),
        Err(ActionError::ConnectionClosed(CloseReason::KeepaliveTimeout))
    ));
    assert_eq!(h.conn.poll_timeout(), None);
}

#[test]
fn close_sends_logoff_and_later_actions_fail_at_once() {
    let mut h = Harness::ready(Harness::config());
    let ping = h.send(Action::new("Ping"));
    let ping_id = h.last_sent_id();
    h.conn.close(h.now);
    h.drain();
    assert_eq!(h.sent.last().unwrap().name().unwrap(), "Logoff");
    let logoff_id = h.last_sent_id();
    let refused = h.send(Action::new("Ping"));
    assert!(matches!(h.outcome(refused), Err(ActionError::Closing)));
    // The ping sent before the Logoff is still answered first.
    h.input(format!("Response: Success\r\nActionID: {ping_id}\r\nPing: Pong\r\n\r\n").as_bytes());
    assert!(h.outcome(ping).is_ok());
    h.input(
        format!("Response: Goodbye\r\nActionID: {logoff_id}\r\nMessage: Thanks for all the fish.\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(h.closed, [CloseReason::LoggedOff]);
    assert!(h.conn.is_closed());
    let after = h.send(Action::new("Ping"));
    assert!(matches!(
        h.outcome(after),
        Err(ActionError::ConnectionClosed(CloseReason::LoggedOff))
    ));
}

#[test]
fn close_without_goodbye_times_out() {
    let mut h = Harness::ready(Harness::config());
    h.conn.close(h.now);
    h.drain();
    h.advance(Duration::from_secs(30));
    assert_eq!(h.closed, [CloseReason::LogoffTimeout]);
}

#[test]
fn end_waits_for_pending_actions_then_logs_off() {
    let mut h = Harness::ready(Harness::config());
    let a = h.send(Action::new("Ping"));
    let a_id = h.last_sent_id();
    let b = h.send(Action::new("Ping"));
    let b_id = h.last_sent_id();
    h.conn.end(h.now);
    h.drain();
    let refused = h.send(Action::new("Ping"));
    assert!(matches!(h.outcome(refused), Err(ActionError::Closing)));
    assert_ne!(h.sent.last().unwrap().name().unwrap(), "Logoff");
    h.input(format!("Response: Success\r\nActionID: {a_id}\r\nPing: Pong\r\n\r\n").as_bytes());
    assert!(h.outcome(a).is_ok());
    assert_ne!(h.sent.last().unwrap().name().unwrap(), "Logoff");
    h.input(format!("Response: Success\r\nActionID: {b_id}\r\nPing: Pong\r\n\r\n").as_bytes());
    assert!(h.outcome(b).is_ok());
    assert_eq!(h.sent.last().unwrap().name().unwrap(), "Logoff");
    h.conn.handle_disconnect(h.now);
    h.drain();
    assert_eq!(h.closed, [CloseReason::LoggedOff]);
}

#[test]
fn close_before_login_is_immediate() {
    let mut h = Harness::new(Harness::config());
    let queued = h.send(Action::new("Ping"));
    h.conn.close(h.now);
    h.drain();
    assert_eq!(h.closed, [CloseReason::Local]);
    assert!(matches!(
        h.outcome(queued),
        Err(ActionError::ConnectionClosed(CloseReason::Local))
    ));
}

#[test]
fn peer_close_fails_everything_pending_once() {
    let mut h = Harness::ready(Harness::config());
    let handles: Vec<_> = (0..5).map(|_| h.send(Action::new("Ping"))).collect();
    // Half of a response, then the socket closes.
    h.input(b"Response: Success\r\nActionID: t-2");
    h.conn.handle_disconnect(h.now);
    h.drain();
    assert_eq!(h.closed, [CloseReason::PeerClosed]);
    for handle in handles {
        assert!(h.outcome(handle).is_err());
    }
    h.conn.handle_disconnect(h.now);
    h.advance(Duration::from_secs(100));
    assert_eq!(h.closed.len(), 1, "closed exactly once");
}

#[test]
fn event_list_collects_until_complete_any_case() {
    let mut h = Harness::ready(Harness::config());
    let list = h.send(Action::new("CoreShowChannels"));
    let id = h.last_sent_id();
    h.input(format!("Response: Success\r\nActionID: {id}\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n").as_bytes());
    for n in 0..3 {
        h.input(
            format!("Event: CoreShowChannel\r\nActionID: {id}\r\nChannel: Local/{n}\r\n\r\n")
                .as_bytes(),
        );
    }
    // An unrelated event in the middle stays unsolicited.
    h.input(b"Event: Newchannel\r\nChannel: PJSIP/9\r\n\r\n");
    assert!(!h.outcomes.contains_key(&list));
    h.input(format!("Event: CoreShowChannelsComplete\r\nActionID: {id}\r\nEventList: COMPLETE\r\nListItems: 3\r\n\r\n").as_bytes());
    let response = h.outcome(list).as_ref().unwrap();
    assert_eq!(response.events().len(), 3);
    assert_eq!(response.events()[2].get("Channel").unwrap(), "Local/2");
    assert_eq!(
        response.completion().unwrap().get("ListItems").unwrap(),
        "3"
    );
    assert_eq!(h.messages.len(), 1);
}

#[test]
fn old_server_list_ends_on_complete_name() {
    let mut h = Harness::ready(Harness::config());
    let list = h.send_with(Action::new("Status"), SendOptions::list());
    let id = h.last_sent_id();
    h.input(
        format!(
            "Response: Success\r\nActionID: {id}\r\nMessage: Channel status will follow\r\n\r\n"
        )
        .as_bytes(),
    );
    h.input(format!("Event: Status\r\nActionID: {id}\r\nChannel: SIP/1\r\n\r\n").as_bytes());
    h.input(format!("Event: StatusComplete\r\nActionID: {id}\r\nItems: 1\r\n\r\n").as_bytes());
    let response = h.outcome(list).as_ref().unwrap();
    assert_eq!(response.events().len(), 1);
    assert_eq!(
        response.completion().unwrap().name().unwrap(),
        "StatusComplete"
    );
}

#[test]
fn message_text_saying_follow_does_not_make_a_list() {
    let mut h = Harness::ready(Harness::config());
    let a = h.send(Action::new("Status"));
    let id = h.last_sent_id();
    h.input(
        format!(
            "Response: Success\r\nActionID: {id}\r\nMessage: Channel status will follow\r\n\r\n"
        )
        .as_bytes(),
    );
    assert!(
        h.outcome(a).is_ok(),
        "decided from headers, never from Message text"
    );
}

#[test]
fn list_answered_with_error_completes_at_once() {
    let mut h = Harness::ready(Harness::config());
    let a = h.send(
        Action::new("DBGet")
            .header("Family", "x")
            .header("Key", "y"),
    );
    let id = h.last_sent_id();
    h.input(
        format!("Response: Error\r\nActionID: {id}\r\nMessage: Database entry not found\r\n\r\n")
            .as_bytes(),
    );
    match h.outcome(a) {
        Err(ActionError::Rejected(r)) => assert_eq!(r.text().unwrap(), "Database entry not found"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn list_over_the_limit_fails_and_swallows_the_rest() {
    let config = Config {
        max_list_events: 2,
        ..Harness::config()
    };
    let mut h = Harness::ready(config);
    let a = h.send(Action::new("CoreShowChannels"));
    let id = h.last_sent_id();
    h.input(format!("Response: Success\r\nActionID: {id}\r\nEventList: start\r\n\r\n").as_bytes());
    for _ in 0..5 {
        h.input(format!("Event: CoreShowChannel\r\nActionID: {id}\r\n\r\n").as_bytes());
    }
    assert!(matches!(
        h.outcome(a),
        Err(ActionError::ListTooLarge { limit: 2 })
    ));
    h.input(
        format!("Event: CoreShowChannelsComplete\r\nActionID: {id}\r\nEventList: Complete\r\n\r\n")
            .as_bytes(),
    );
    assert!(
        h.messages.is_empty(),
        "the failed list's events are not re-reported one by one"
    );
    assert_eq!(h.conn.in_flight(), 0);
    h.advance(Duration::from_secs(60));
    assert_eq!(h.outcomes[&a].len(), 1);
}

#[test]
fn async_originate_waits_for_originate_response() {
    let mut h = Harness::ready(Harness::config());
    let ok = h.send_with(
        Action::new("Originate")
            .header("Channel", "Local/100@default")
            .header("Async", "true"),
        SendOptions::originate_response(),
    );
    let ok_id = h.last_sent_id();
    let bad = h.send_with(
        Action::new("Originate")
            .header("Channel", "Local/999@default")
            .header("Async", "true"),
        SendOptions::originate_response(),
    );
    let bad_id = h.last_sent_id();
    for id in [&ok_id, &bad_id] {
        h.input(format!("Response: Success\r\nActionID: {id}\r\nMessage: Originate successfully queued\r\n\r\n").as_bytes());
    }
    assert!(h.outcomes.is_empty());
    h.input(format!("Event: OriginateResponse\r\nActionID: {bad_id}\r\nResponse: Failure\r\nReason: 0\r\n\r\n").as_bytes());
    h.input(format!("Event: OriginateResponse\r\nActionID: {ok_id}\r\nResponse: Success\r\nReason: 4\r\n\r\n").as_bytes());
    let r = h.outcome(ok).as_ref().unwrap();
    assert_eq!(r.text().unwrap(), "Originate successfully queued");
    assert_eq!(r.completion().unwrap().get("Reason").unwrap(), "4");
    match h.outcome(bad) {
        Err(ActionError::Rejected(r)) => {
            assert_eq!(r.completion().unwrap().get("Response").unwrap(), "Failure")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn foreign_originate_response_is_an_unsolicited_event() {
    let mut h = Harness::ready(Harness::config());
    h.input(b"Event: OriginateResponse\r\nActionID: 1\r\nResponse: Success\r\n\r\n");
    assert_eq!(h.messages.len(), 1);
    assert!(h.violations.is_empty());
}

#[test]
fn caller_set_action_id_is_used_and_duplicates_refused() {
    let mut h = Harness::ready(Harness::config());
    let a = h.send(Action::new("Ping").action_id("mine"));
    assert_eq!(h.last_sent_id(), "mine");
    let dup = h.send(Action::new("Ping").action_id("mine"));
    assert!(matches!(h.outcome(dup), Err(ActionError::DuplicateActionId(id)) if id == "mine"));
    h.input(b"Response: Success\r\nActionID: mine\r\nPing: Pong\r\n\r\n");
    assert!(h.outcome(a).is_ok());
    // Free again once completed.
    let again = h.send(Action::new("Ping").action_id("mine"));
    assert!(!h.outcomes.contains_key(&again));
}

#[test]
fn generated_action_ids_differ_between_connections() {
    let t0 = Instant::now();
    let ids: Vec<String> = (0..4)
        .map(|_| {
            let mut c = Connection::new(Config::default(), t0);
            c.handle_input(t0, BANNER);
            let _ = c.send_action(Action::new("Ping"), t0);
            let mut out = Vec::new();
            let _ = c.poll_transmit(&mut out);
            let text = String::from_utf8(out).unwrap();
            text.lines()
                .find(|l| l.starts_with("ActionID: "))
                .unwrap()
                .to_owned()
        })
        .collect();
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn injection_is_refused_before_anything_is_sent() {
    let mut h = Harness::ready(Harness::config());
    let before = h.sent.len();
    let bad =
        h.send(Action::new("Command").header("Command", "core show version\r\nAction: Logoff"));
    assert!(matches!(h.outcome(bad), Err(ActionError::Invalid(_))));
    assert_eq!(h.sent.len(), before);
    let ok = h.send(Action::new("Ping"));
    assert!(!h.outcomes.contains_key(&ok));
    assert_eq!(h.sent.len(), before + 1);
}

#[test]
fn response_without_action_id_goes_to_the_oldest_on_a_server_that_drops_them() {
    let mut h = Harness::new(Harness::config());
    h.input(b"Asterisk Call Manager/11.0.0\r\n");
    h.input(b"Response: Success\r\nMessage: Authentication accepted\r\n\r\n");
    assert!(h.authenticated);
    let a = h.send(Action::new("Ping"));
    let b = h.send(Action::new("Ping"));
    h.input(b"Response: Error\r\nMessage: Missing action in request\r\n\r\n");
    assert!(matches!(h.outcome(a), Err(ActionError::Rejected(_))));
    assert!(!h.outcomes.contains_key(&b));
}

#[test]
fn oversized_response_fails_its_action_and_the_session_goes_on() {
    let config = Config {
        limits: ami_proto::Limits {
            max_message_len: 256,
            ..ami_proto::Limits::default()
        },
        ..Harness::config()
    };
    let mut h = Harness::ready(config);
    let big = h.send(Action::new("Command").header("Command", "core show help"));
    let big_id = h.last_sent_id();
    let ping = h.send(Action::new("Ping"));
    let ping_id = h.last_sent_id();
    let mut huge =
        format!("Response: Success\r\nActionID: {big_id}\r\nMessage: Command output follows\r\n");
    for n in 0..50 {
        huge.push_str(&format!("Output: line {n}\r\n"));
    }
    huge.push_str("\r\n");
    h.input(huge.as_bytes());
    assert!(matches!(h.outcome(big), Err(ActionError::Malformed(_))));
    h.input(format!("Response: Success\r\nActionID: {ping_id}\r\nPing: Pong\r\n\r\n").as_bytes());
    assert!(h.outcome(ping).is_ok());
}

#[test]
fn failed_login_closes_with_asterisks_message() {
    let mut h = Harness::new(Harness::config());
    h.input(BANNER);
    let id = h.last_sent_id();
    h.input(
        format!("Response: Error\r\nActionID: {id}\r\nMessage: Authentication failed\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(
        h.closed,
        [CloseReason::AuthenticationFailed(
            "Authentication failed".into()
        )]
    );
}

#[test]
fn md5_login_sends_the_key() {
    let config = Config {
        login: Some(Login::md5("admin", "amp111")),
        ..Harness::config()
    };
    let mut h = Harness::new(config);
    h.input(BANNER);
    assert_eq!(h.sent[0].name().unwrap(), "Challenge");
    assert_eq!(h.sent[0].get("AuthType").unwrap(), "MD5");
    let id = h.last_sent_id();
    h.input(
        format!("Response: Success\r\nActionID: {id}\r\nChallenge: 205883911\r\n\r\n").as_bytes(),
    );
    let login = h.sent.last().unwrap();
    assert_eq!(login.name().unwrap(), "Login");
    assert_eq!(
        login.get("Key").unwrap(),
        "b5690284deaa1036140f53d2aae2d859"
    );
    assert!(
        login.get("Secret").is_none(),
        "the secret never travels with MD5"
    );
}

#[test]
fn no_login_configured_is_ready_after_the_banner() {
    let mut h = Harness::new(Config {
        login: None,
        ..Harness::config()
    });
    h.input(BANNER);
    assert!(h.authenticated);
    assert!(h.sent.is_empty());
    assert_eq!(h.conn.version().unwrap(), "11.0.0");
}

#[test]
fn events_setting_goes_into_the_login() {
    for (events, want) in [
        (EventMask::Off, "off"),
        (EventMask::On, "on"),
        (EventMask::Mask("call,user".into()), "call,user"),
    ] {
        let mut h = Harness::new(Config {
            events,
            ..Harness::config()
        });
        h.input(BANNER);
        assert_eq!(h.sent[0].get("Events").unwrap(), want);
    }
}

#[test]
fn transcript_redacts_secrets_and_debug_too() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let mut h = Harness::new(Harness::config());
    h.conn.set_transcript(Some(Box::new(move |dir, line| {
        sink.lock()
            .unwrap()
            .push(format!("{}{}", dir.prefix(), String::from_utf8_lossy(line)));
    })));
    h.input(BANNER);
    let id = h.last_sent_id();
    h.input(
        format!("Response: Success\r\nActionID: {id}\r\nMessage: Authentication accepted\r\n\r\n")
            .as_bytes(),
    );
    let lines = lines.lock().unwrap().clone();
    assert_eq!(
        lines,
        [
            "<< Asterisk Call Manager/11.0.0".to_owned(),
            ">> Action: Login".to_owned(),
            format!(">> ActionID: {id}"),
            ">> Username: admin".into(),
            ">> Secret: <redacted>".into(),
            ">> Events: off".into(),
            "<< Response: Success".into(),
            format!("<< ActionID: {id}"),
            "<< Message: Authentication accepted".into(),
        ]
    );
    assert!(lines.iter().all(|l| !l.contains("amp111")));
    let debug = format!("{:?} {:?}", h.conn, Login::md5("admin", "amp111"));
    assert!(!debug.contains("amp111"), "{debug}");
    let action = Action::new("Login")
        .header("Secret", "amp111")
        .header("Key", "abc");
    assert!(!format!("{action:?}").contains("amp111"));
}

/// No credentials before a real banner: whatever else greets the client
/// ends the connection, quoted.
#[test]
fn a_wrong_banner_ends_the_connection_before_any_credentials() {
    for (input, quoted) in [
        (
            &b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"[..],
            "HTTP/1.1 200 OK",
        ),
        (
            b"Response: Error\r\nMessage: Missing action in request\r\n\r\n",
            "Response: Error",
        ),
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "SSH-2.0-OpenSSH_9.2"),
        (b"\x1b[2J\x07evil: x\r\n\r\n", "\\x1b[2J\\x07evil: x"),
    ] {
        let mut h = Harness::new(Harness::config());
        let queued = h.send(Action::new("Ping"));
        h.input(input);
        assert!(h.sent.is_empty(), "nothing may be sent: {:?}", h.sent);
        assert_eq!(h.closed, [CloseReason::NotAmi(quoted.into())]);
        assert!(matches!(
            h.outcome(queued),
            Err(ActionError::ConnectionClosed(CloseReason::NotAmi(_)))
        ));
        assert!(h.violations.is_empty());
    }
    let long = format!("{}\r\n\r\n", "x".repeat(500));
    let mut h = Harness::new(Harness::config());
    h.input(long.as_bytes());
    let [CloseReason::NotAmi(text)] = &h.closed[..] else {
        panic!("{:?}", h.closed);
    };
    assert_eq!(text.chars().count(), 81, "80 bytes and an ellipsis");
    assert!(
        CloseReason::NotAmi("HTTP/1.1 200 OK".into())
            .to_string()
            .contains("sent \"HTTP/1.1 200 OK\" instead of the Asterisk Call Manager banner")
    );
}

/// A login completes only on its own ActionID, or on what is plainly a
/// login answer.
#[test]
fn only_a_login_answer_completes_the_login() {
    let mut h = Harness::new(Harness::config());
    h.input(b"Asterisk Call Manager/11.0.0\r\n");
    // ID-less, not a login answer: a stray message, the login still waits.
    h.input(b"Response: Success\r\nMessage: Whatever\r\n\r\n");
    assert!(!h.authenticated);
    assert_eq!(h.messages.len(), 1);
    // Someone else's ActionID: not ours either.
    h.input(b"Response: Success\r\nActionID: other\r\nMessage: Authentication accepted\r\n\r\n");
    assert!(!h.authenticated);
    // An ID-less but plain login answer (a server that drops ActionIDs).
    h.input(b"Response: Success\r\nMessage: Authentication accepted\r\n\r\n");
    assert!(h.authenticated);
    // Such a server answers in order: ID-less answers are matched in order.
    let ping = h.send(Action::new("Ping"));
    h.input(b"Response: Success\r\nPing: Pong\r\n\r\n");
    assert!(h.outcome(ping).is_ok());
}

/// An ID-less Error never steals the answer of an action in flight.
#[test]
fn an_idless_error_does_not_steal_an_answer() {
    let mut h = Harness::ready(Harness::config());
    let ping = h.send(Action::new("Ping"));
    let id = h.last_sent_id();
    h.input(b"Response: Error\r\nMessage: Missing action in request\r\n\r\n");
    assert!(!h.outcomes.contains_key(&ping));
    assert_eq!(h.messages.len(), 1, "reported as a stray message");
    h.input(format!("Response: Success\r\nActionID: {id}\r\nPing: Pong\r\n\r\n").as_bytes());
    assert_eq!(
        h.outcome(ping).as_ref().unwrap().get("Ping").unwrap(),
        "Pong"
    );
}

#[test]
fn many_pipelined_actions_get_their_own_answers_out_of_order() {
    let mut h = Harness::ready(Harness::config());
    let mut handles = Vec::new();
    for _ in 0..100 {
        let handle = h.send(Action::new("Ping"));
        handles.push((handle, h.last_sent_id()));
    }
    for (_, id) in handles.iter().rev() {
        h.input(
            format!("Response: Success\r\nActionID: {id}\r\nPing: Pong\r\nEcho: {id}\r\n\r\n")
                .as_bytes(),
        );
    }
    for (handle, id) in &handles {
        assert_eq!(
            h.outcome(*handle).as_ref().unwrap().get("Echo").unwrap(),
            id.as_str()
        );
    }
}

/// One step of a hostile script.
#[derive(Debug, Clone)]
enum Step {
    Send(u8),
    Bytes(Vec<u8>),
    /// A response or event for the n-th action sent so far.
    Answer {
        nth: u8,
        kind: u8,
    },
    Advance(u16),
    Close,
    End,
    Disconnect,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => any::<u8>().prop_map(Step::Send),
        2 => proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(b':'), Just(b' '), any::<u8>(), Just(b'-')],
            0..40,
        )
        .prop_map(Step::Bytes),
        6 => (any::<u8>(), any::<u8>()).prop_map(|(nth, kind)| Step::Answer { nth, kind }),
        2 => any::<u16>().prop_map(Step::Advance),
        1 => Just(Step::Close),
        1 => Just(Step::End),
        1 => Just(Step::Disconnect),
    ]
}

fn answer(id: &str, kind: u8) -> String {
    match kind % 9 {
        0 => format!("Response: Success\r\nActionID: {id}\r\n\r\n"),
        1 => format!("Response: Error\r\nActionID: {id}\r\nMessage: no\r\n\r\n"),
        2 => format!("Response: Success\r\nActionID: {id}\r\nEventList: start\r\n\r\n"),
        3 => format!("Event: Item\r\nActionID: {id}\r\n\r\n"),
        4 => format!("Event: ItemComplete\r\nActionID: {id}\r\nEventList: Complete\r\n\r\n"),
        5 => format!("Event: OriginateResponse\r\nActionID: {id}\r\nResponse: Failure\r\n\r\n"),
        6 => format!("Response: Goodbye\r\nActionID: {id}\r\n\r\n"),
        7 => "Response: Success\r\n\r\n".to_owned(),
        _ => format!("Response: Follows\r\nActionID: {id}\r\nout\n--END COMMAND--\r\n\r\n"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever the server sends and whenever it closes, every action ends
    /// with exactly one outcome, and nothing is pending once closed.
    #[test]
    fn every_action_ends_exactly_once(steps in proptest::collection::vec(step(), 0..60)) {
        let config = Config {
            max_list_events: 3,
            keepalive: Some(Keepalive { interval: Duration::from_secs(7), timeout: Duration::from_secs(3) }),
            action_timeout: Duration::from_secs(20),
            ..Harness::config()
        };
        let mut h = Harness::new(config);
        let mut handles = Vec::new();
        h.input(BANNER);
        let login = h.last_sent_id();
        h.input(format!("Response: Success\r\nActionID: {login}\r\n\r\n").as_bytes());
        for step in steps {
            match step {
                Step::Send(n) => {
                    let options = SendOptions {
                        expect_list: n % 5 == 0,
                        wait_for_originate_response: n % 7 == 0,
                        timeout: (n % 3 == 0).then(|| Duration::from_secs(u64::from(n))),
                    };
                    let action = if n % 11 == 0 { Action::new("Bad Name") } else { Action::new("Ping") };
                    handles.push(h.send_with(action, options));
                }
                Step::Bytes(b) => h.input(&b),
                Step::Answer { nth, kind } => {
                    let ids: Vec<String> = h.sent.iter().filter_map(|m| m.action_id()).map(|v| v.to_str_lossy().into_owned()).collect();
                    if !ids.is_empty() {
                        let id = ids[usize::from(nth) % ids.len()].clone();
                        h.input(answer(&id, kind).as_bytes());
                    }
                }
                Step::Advance(ms) => h.advance(Duration::from_millis(u64::from(ms) * 10)),
                Step::Close => { h.conn.close(h.now); h.drain(); }
                Step::End => { h.conn.end(h.now); h.drain(); }
                Step::Disconnect => { h.conn.handle_disconnect(h.now); h.drain(); }
            }
            for outcomes in h.outcomes.values() {
                prop_assert!(outcomes.len() <= 1, "an action ended twice");
            }
            prop_assert!(h.closed.len() <= 1);
        }
        // Let everything run out.
        h.advance(Duration::from_secs(3600));
        h.conn.handle_disconnect(h.now);
        h.drain();
        prop_assert!(h.conn.is_closed());
        prop_assert_eq!(h.conn.in_flight(), 0);
        prop_assert_eq!(h.closed.len(), 1);
        for handle in handles {
            let n = h.outcomes.get(&handle).map_or(0, Vec::len);
            prop_assert_eq!(n, 1, "action {:?} ended {} times", handle, n);
        }
    }
}
