//! The blocking client against ami-testkit: real formats, replayed
//! captures, pipelining, timeouts, faults, a flood, TLS.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ami_blocking::{Client, ClientOptions, Error, Incoming};
use ami_proto::{Action, CloseReason, EventMask, SendOptions, ServerMessage, queue_rules};
use ami_testkit::{Fault, Personality, Reply, Server};

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/captures")
        .join(name)
}

fn options(server: &Server) -> ClientOptions {
    ClientOptions::new(&server.url())
        .expect("the testkit's URL parses")
        .connect_timeout(Duration::from_secs(5))
        .action_timeout(Duration::from_secs(10))
}

/// A writer tests can read back.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn command_reads_the_same_on_asterisk_22_and_13() {
    let mut outputs = Vec::new();
    for personality in [Personality::Asterisk22, Personality::Asterisk13] {
        let server = Server::builder()
            .personality(personality)
            .command(
                "core show uptime",
                "System uptime: 1 hour\n\nLast reload: 5 minutes\n",
            )
            .start();
        let mut client = Client::connect_with(options(&server)).unwrap();
        let version = client.version().unwrap();
        assert_eq!(version, personality.ami_version());
        outputs.push(client.command("core show uptime").unwrap());
        client.disconnect().unwrap();
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(
        outputs[0],
        ["System uptime: 1 hour", "", "Last reload: 5 minutes"]
    );
}

#[test]
fn unknown_command_is_rejected_with_asterisks_output() {
    let server = Server::start();
    let mut client = Client::connect_with(options(&server)).unwrap();
    match client.command("foo bar baz") {
        Err(Error::Rejected(response)) => {
            let line = response.output().next().unwrap().to_string();
            assert!(line.starts_with("No such command 'foo bar baz'"), "{line}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn md5_login() {
    let server = Server::start();
    // Repeated: the Login that answers the Challenge must be written even
    // when the Challenge's answer arrives while the client drains the
    // socket (it once stayed queued until the login timeout).
    for _ in 0..20 {
        server.clear_received();
        let start = Instant::now();
        let mut client = Client::connect_with(options(&server).md5(true)).unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        client.ping().unwrap();
        let received = server.received();
        assert_eq!(received[0].name().unwrap(), "Challenge");
        assert_eq!(received[1].get("AuthType").unwrap(), "MD5");
        assert!(received[1].get("Secret").is_none());
        client.disconnect().unwrap();
    }
}

#[test]
fn rejected_command_error_carries_the_output() {
    let server = Server::start();
    let mut client = Client::connect_with(options(&server)).unwrap();
    let error = client.command("foo bar baz").unwrap_err().to_string();
    assert!(error.contains("No such command 'foo bar baz'"), "{error}");
}

#[test]
fn bad_secret_is_an_authentication_error() {
    let server = Server::start();
    let options = options(&server).login("admin", "wrong");
    match Client::connect_with(options) {
        Err(Error::Authentication(message)) => assert_eq!(message, "Authentication failed"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unreachable_server_is_a_connect_error() {
    let server = Server::start();
    let url = server.url();
    drop(server);
    let options = ClientOptions::new(&url)
        .unwrap()
        .connect_timeout(Duration::from_secs(2));
    assert!(matches!(
        Client::connect_with(options),
        Err(Error::Connect { .. })
    ));
}

#[test]
fn responses_fetched_in_any_order() {
    let server = Server::start();
    let mut client = Client::connect_with(options(&server)).unwrap();
    let ids: Vec<String> = ["first", "second", "third"]
        .iter()
        .map(|tag| {
            client
                .send_action(Action::new("UserEvent").header("UserEvent", *tag))
                .unwrap()
        })
        .collect();
    let third = client.response(&ids[2], Duration::from_secs(5)).unwrap();
    let first = client.response(&ids[0], Duration::from_secs(5)).unwrap();
    let second = client.response(&ids[1], Duration::from_secs(5)).unwrap();
    for (response, id) in [(&first, &ids[0]), (&second, &ids[1]), (&third, &ids[2])] {
        assert_eq!(response.get("ActionID").unwrap(), id.as_str());
    }
    assert!(matches!(
        client.response(&ids[0], Duration::from_secs(1)),
        Err(Error::UnknownActionId(_))
    ));
}

#[test]
fn action_timeout_leaves_the_connection_usable() {
    let server = Server::start();
    server.on_action("Ping", |_action| Reply::nothing());
    let mut client = Client::connect_with(options(&server)).unwrap();
    let start = Instant::now();
    let result = client.action_timeout(Action::new("Ping"), Duration::from_millis(200));
    assert!(matches!(result, Err(Error::Timeout)), "{result:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
    server.remove_action("Ping");
    client.ping().unwrap();
}

#[test]
fn server_closing_mid_list_fails_the_action_and_nothing_hangs() {
    let server = Server::start();
    server.on_action("CoreShowChannels", |action| {
        let id = action
            .action_id()
            .map(|v| v.to_string())
            .unwrap_or_default();
        Reply::messages([
            ServerMessage::response("Success")
                .header("ActionID", &id)
                .header("EventList", "start")
                .header("Message", "Channels will follow"),
            ServerMessage::event("CoreShowChannel")
                .header("ActionID", &id)
                .header("Channel", "PJSIP/100-00000001"),
        ])
        .then_close()
    });
    let mut client = Client::connect_with(options(&server)).unwrap();
    let start = Instant::now();
    match client.action(Action::new("CoreShowChannels")) {
        Err(Error::Closed(CloseReason::PeerClosed)) => {}
        other => panic!("{other:?}"),
    }
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(matches!(client.ping(), Err(Error::Closed(_))));
}

#[test]
fn list_actions_return_their_events() {
    let server = Server::start();
    let mut client = Client::connect_with(options(&server)).unwrap();
    let originate = Action::new("Originate")
        .header("Channel", "Local/100@default")
        .header("Context", "default")
        .header("Exten", "200")
        .header("Priority", "1")
        .header("Async", "true");
    let response = client
        .action_with(originate, SendOptions::originate_response())
        .unwrap();
    assert_eq!(
        response.completion().unwrap().name().unwrap(),
        "OriginateResponse"
    );
    let channels = client.action(Action::new("CoreShowChannels")).unwrap();
    let completion = channels.completion().unwrap();
    assert_eq!(
        completion.get("ListItems").unwrap().to_string(),
        channels.events().len().to_string()
    );
}

#[test]
fn events_buffered_while_waiting_and_callback() {
    let server = Server::builder().events_default(EventMask::On).start();
    let mut client = Client::connect_with(options(&server)).unwrap();
    let user_event = |tag: &str| {
        ServerMessage::event("UserEvent")
            .header("Privilege", "user,all")
            .header("UserEvent", tag)
    };
    assert_eq!(server.push_event(user_event("one")), 1);
    client.ping().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    client.set_event_callback(Some(Box::new(move |event| {
        sink.lock()
            .unwrap()
            .push(event.get("UserEvent").map(|v| v.to_string()));
    })));
    assert_eq!(server.push_event(user_event("two")), 1);
    // Wait until the server has written it, then let an action collect it.
    std::thread::sleep(Duration::from_millis(50));
    client.ping().unwrap();
    client.set_event_callback(None);
    let mut buffered = Vec::new();
    while let Some(Incoming::Event(event)) = client.next_event(Duration::from_millis(200)).unwrap()
    {
        buffered.push(event.get("UserEvent").map(|v| v.to_string()));
    }
    assert!(buffered.contains(&Some("one".into())), "{buffered:?}");
    assert!(!buffered.contains(&Some("two".into())));
    assert_eq!(*seen.lock().unwrap(), [Some("two".to_string())]);
}

#[test]
fn flood_read_by_a_slow_consumer_stays_bounded_and_counts_losses() {
    const FLOOD: u64 = 100_000;
    let server = Server::start();
    let mut client = Client::connect_with(options(&server).event_buffer(1_000)).unwrap();
    server.inject(Fault::Flood(FLOOD));
    let (mut delivered, mut lost, mut max_buffered) = (0u64, 0u64, 0usize);
    let deadline = Instant::now() + Duration::from_secs(120);
    while delivered + lost < FLOOD && Instant::now() < deadline {
        match client.next_event(Duration::from_secs(5)).unwrap() {
            Some(Incoming::Event(event)) => {
                let name = event.name().unwrap().to_string();
                if ["Newchannel", "Newstate", "Hangup"].contains(&name.as_str()) {
                    delivered += 1;
                }
                if delivered % 100 == 0 {
                    // A slow consumer.
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            Some(Incoming::Lost(n)) => lost += n,
            Some(other) => panic!("{other:?}"),
            None => break,
        }
        max_buffered = max_buffered.max(client.buffered_events());
    }
    eprintln!("flood: {delivered} delivered, {lost} lost, at most {max_buffered} buffered");
    assert_eq!(
        delivered + lost,
        FLOOD,
        "every event delivered or counted as lost"
    );
    assert!(lost > 0, "the slow consumer lost some");
    assert!(max_buffered <= 1_000, "buffer bounded: {max_buffered}");
    client.ping().unwrap();
}

#[test]
fn transcript_redacts_the_secret() {
    let server = Server::start();
    let transcript = Shared::default();
    let mut client = Client::connect_with(options(&server).transcript(transcript.clone())).unwrap();
    client.ping().unwrap();
    client.disconnect().unwrap();
    let text = String::from_utf8(transcript.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains(">> Action: Login\n"), "{text}");
    assert!(text.contains(">> Secret: <redacted>\n"), "{text}");
    assert!(text.contains("<< Ping: Pong\n"), "{text}");
    assert!(!text.contains(server.secret()), "{text}");
}

#[test]
fn replayed_captures() {
    // Command output, exactly as Asterisk 22 sent it.
    let server = Server::replay_capture(capture("06-command-core-show-version")).unwrap();
    let mut client = Client::connect_with(options(&server)).unwrap();
    let lines = client.command("core show version").unwrap();
    assert_eq!(
        lines,
        [
            "Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-22 20:58:54 UTC"
        ]
    );

    // Blank lines and indentation kept.
    let server = Server::replay_capture(capture("10-command-dialplan-show-default")).unwrap();
    let mut client = Client::connect_with(options(&server)).unwrap();
    let lines = client.command("dialplan show default").unwrap();
    assert!(lines.iter().any(String::is_empty));
    assert!(
        lines.iter().any(|l| l.starts_with("  '100' =>")),
        "{lines:?}"
    );

    // QueueRule: rules grouped under their lists.
    let server = Server::replay_capture(capture("14-queuerule")).unwrap();
    let mut client = Client::connect_with(options(&server)).unwrap();
    let all = client.action(Action::new("QueueRule")).unwrap();
    let lists = queue_rules(all.message()).unwrap();
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[0].rules.len(), 2);

    // 50 pings pipelined.
    let server = Server::replay_capture(capture("34-pipeline-50-pings")).unwrap();
    let mut client = Client::connect_with(options(&server)).unwrap();
    let ids: Vec<String> = (0..50)
        .map(|_| client.send_action(Action::new("Ping")).unwrap())
        .collect();
    for id in ids.iter().rev() {
        let pong = client.response(id, Duration::from_secs(5)).unwrap();
        assert_eq!(pong.get("Ping").unwrap(), "Pong");
    }

    // DB: a list, and Asterisk's errors.
    let server = Server::replay_capture(capture("23-db")).unwrap();
    let mut client = Client::connect_with(options(&server)).unwrap();
    for (family, key, value) in [("amitest", "k1", "value one"), ("amitest/sub", "k2", "v2")] {
        client
            .action(
                Action::new("DBPut")
                    .header("Family", family)
                    .header("Key", key)
                    .header("Val", value),
            )
            .unwrap();
    }
    let get = client
        .action(
            Action::new("DBGet")
                .header("Family", "amitest")
                .header("Key", "k1"),
        )
        .unwrap();
    assert_eq!(get.events()[0].get("Val").unwrap(), "value one");
}

#[cfg(feature = "tls")]
#[test]
fn tls_with_a_self_signed_certificate() {
    let server = Server::builder().tls().start();
    let pem = server.cert_pem().unwrap().to_owned();
    // Verified by default: an unknown CA is refused.
    assert!(matches!(
        Client::connect_with(options(&server)),
        Err(Error::Io(_) | Error::Tls(_))
    ));
    let mut client = Client::connect_with(options(&server).ca_pem(pem)).unwrap();
    assert_eq!(client.command("core show version").unwrap().len(), 1);
    client.disconnect().unwrap();
}

/// The messages of a capture file.
fn decode_file(path: &std::path::Path) -> Vec<ami_proto::Message> {
    let mut decoder = ami_proto::Decoder::new();
    decoder.feed(&std::fs::read(path).unwrap());
    std::iter::from_fn(|| decoder.decode())
        .filter_map(|item| match item {
            ami_proto::Decoded::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

/// A message's headers and text lines, without its ActionID (the replay
/// rewrites it to the client's).
fn fields(message: &ami_proto::Message) -> Vec<String> {
    message
        .lines()
        .filter_map(|line| match line {
            ami_proto::Line::Header(k, _) if k.eq_ignore_ascii_case("ActionID") => None,
            ami_proto::Line::Header(k, v) => Some(format!("{k}: {v}")),
            ami_proto::Line::Text(t) => Some(t.to_string()),
        })
        .collect()
}

/// Every capture's scenario, replayed by ami-testkit with the bytes the real
/// Asterisk sent: the client sends the capture's actions and gets each
/// outcome Asterisk gave — success or rejection, the list events, the
/// command output.
#[test]
fn every_capture_scenario() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures");
    let mut scenarios = 0;
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sent"))
        .collect();
    paths.sort();
    for sent_path in paths {
        let sent = decode_file(&sent_path);
        if sent.is_empty() {
            continue; // 01: connect only.
        }
        let bin = decode_file(&sent_path.with_extension("bin"));
        let name = sent_path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let server = Server::replay_capture(&sent_path).unwrap();
        let login = sent
            .iter()
            .find(|m| m.name().is_some_and(|n| n.eq_ignore_ascii_case("Login")))
            .unwrap();
        let mut options = options(&server).md5(login.get("AuthType").is_some());
        if let Some(events) = login.get("Events") {
            options = options.events(if events.eq_ignore_ascii_case("off") {
                EventMask::Off
            } else {
                EventMask::On
            });
        }
        let mut client = match Client::connect_with(options) {
            Ok(client) => client,
            Err(Error::Authentication(message)) => {
                assert_eq!(name, "03-login-bad-secret");
                assert_eq!(message, "Authentication failed");
                scenarios += 1;
                continue;
            }
            Err(other) => panic!("{name}: {other}"),
        };
        for action in &sent {
            let Some(action_name) = action.name().map(|n| n.to_string()) else {
                continue; // 29's garbage: not an action this client can send.
            };
            if action.kind() != ami_proto::MessageKind::Action
                || ["login", "challenge"].contains(&action_name.to_ascii_lowercase().as_str())
            {
                continue;
            }
            if action_name.eq_ignore_ascii_case("logoff") {
                client.disconnect().unwrap();
                break;
            }
            let mut request = Action::new(&action_name);
            for (key, value) in action.headers().skip(1) {
                if !key.eq_ignore_ascii_case("ActionID") && !key.eq_ignore_ascii_case("Action") {
                    request.push_header(key.as_bytes(), value.as_bytes());
                }
            }
            // What Asterisk answered this action in the capture.
            let id = action.action_id().map(|v| v.to_string());
            let answer = bin.iter().find(|m| {
                m.kind() == ami_proto::MessageKind::Response
                    && id.is_some()
                    && m.action_id().map(|v| v.to_string()) == id
            });
            let result = client.action(request);
            match (answer.map(|a| a.name().unwrap().to_string()), result) {
                (Some(status), Err(Error::Rejected(response))) => {
                    assert_eq!(status, "Error", "{name}: {action_name}");
                    assert_eq!(fields(response.message()), fields(answer.unwrap()));
                }
                (Some(status), Ok(response)) => {
                    assert_ne!(status, "Error", "{name}: {action_name}");
                    assert_eq!(fields(response.message()), fields(answer.unwrap()));
                    let list_events = bin
                        .iter()
                        .filter(|m| {
                            m.kind() == ami_proto::MessageKind::Event
                                && m.action_id().map(|v| v.to_string()) == id
                        })
                        .count();
                    if response.completion().is_some() {
                        assert_eq!(response.events().len() + 1, list_events, "{name}");
                    }
                }
                // Sent without ActionID in the capture (05's second ping):
                // answered in order all the same.
                (None, result) => assert!(result.is_ok(), "{name}: {action_name}: {result:?}"),
                (_, Err(other)) => panic!("{name}: {action_name}: {other}"),
            }
        }
        scenarios += 1;
    }
    assert_eq!(scenarios, 21, "every capture with a client side");
}

/// A message over the decoder's limits reaches `on_violation` (which limit),
/// and the events after it still come.
#[test]
fn skipped_messages_reach_the_violation_hook() {
    let server = Server::start();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = options(&server).on_violation(move |v| sink.lock().unwrap().push(v.to_string()));
    let mut client = Client::connect_with(options).unwrap();
    let mut bytes = format!("Event: Long\r\nLong: {}\r\n\r\n", "x".repeat(2 << 20)).into_bytes();
    bytes.extend_from_slice(b"Event: After\r\n\r\n");
    server.push_bytes(bytes);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "no After event");
        if let Some(Incoming::Event(e)) = client.next_event(Duration::from_millis(200)).unwrap()
            && e.name().unwrap() == "After"
        {
            break;
        }
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].starts_with("line longer than 1048576 bytes"),
        "{seen:?}"
    );
}

// ---- overflow policies -----------------------------------------------------

/// Reads a flood of `n` events, sleeping `pause` every `every` events;
/// returns (delivered, lost, most buffered).
fn read_flood(client: &mut Client, n: u64, every: u64, pause: Duration) -> (u64, u64, usize) {
    let (mut delivered, mut lost, mut max_buffered) = (0u64, 0u64, 0usize);
    let deadline = Instant::now() + Duration::from_secs(120);
    while delivered + lost < n && Instant::now() < deadline {
        match client.next_event(Duration::from_secs(5)).unwrap() {
            Some(Incoming::Event(event)) => {
                let name = event.name().unwrap().to_string();
                if ["Newchannel", "Newstate", "Hangup"].contains(&name.as_str()) {
                    delivered += 1;
                    if delivered % every == 0 {
                        std::thread::sleep(pause);
                    }
                }
            }
            Some(Incoming::Lost(k)) => lost += k,
            Some(other) => panic!("{other:?}"),
            None => break,
        }
        max_buffered = max_buffered.max(client.buffered_events());
    }
    (delivered, lost, max_buffered)
}

/// With backpressure a slow consumer loses nothing: the socket waits, and
/// the buffer stays within its bound (plus one read).
#[test]
fn backpressure_loses_nothing_to_a_slow_consumer() {
    const FLOOD: u64 = 50_000;
    let server = Server::start();
    let options = options(&server)
        .event_buffer(1_000)
        .overflow(ami_client::Overflow::Backpressure);
    let mut client = Client::connect_with(options).unwrap();
    server.inject(Fault::Flood(FLOOD));
    let (delivered, lost, max_buffered) =
        read_flood(&mut client, FLOOD, 100, Duration::from_millis(1));
    assert_eq!((delivered, lost), (FLOOD, 0));
    // The bound, plus at most one read (64 KiB here) of events of 100
    // bytes or more.
    assert!(
        max_buffered <= 1_000 + 65_536 / 100,
        "bounded: {max_buffered}"
    );
    client.ping().unwrap();
}

/// At the defaults, a consumer that keeps up on average but is paused now
/// and then (a descheduled thread) loses nothing.
#[test]
fn the_defaults_lose_nothing_to_a_paused_consumer() {
    const FLOOD: u64 = 100_000;
    let server = Server::start();
    let mut client = Client::connect_with(options(&server)).unwrap();
    server.inject(Fault::Flood(FLOOD));
    let (delivered, lost, _) = read_flood(&mut client, FLOOD, 20_000, Duration::from_millis(30));
    assert_eq!((delivered, lost), (FLOOD, 0));
    client.ping().unwrap();
}
