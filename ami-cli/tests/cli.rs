//! Runs the built `ami` binary against ami-testkit servers started here:
//! every subcommand on every runtime (blocking, tokio, smol), and the
//! runtimes against each other.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ami_proto::ServerMessage;
use ami_testkit::{Personality, Reply, Server};
use serde_json::Value as Json;

const RUNTIMES: [&str; 3] = ["blocking", "tokio", "smol"];

/// Longest any one run may take before the test fails (and kills it).
const RUN_LIMIT: Duration = Duration::from_secs(20);

const EMBEDDED_NOTE: &str =
    "ami: no --url or AMI_URL: using an embedded fake Asterisk (ami-testkit) at 127.0.0.1:";

/// What one run of `ami` gave.
#[derive(Debug)]
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }

    #[track_caller]
    fn assert_ok(&self) -> &Self {
        assert_eq!(self.code(), Some(0), "{self:#?}");
        self
    }

    fn json_lines(&self) -> Vec<Json> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}\n{self:#?}")))
            .collect()
    }
}

/// `ami` with `args`, AMI_URL removed from its environment.
fn ami_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ami"));
    command
        .args(args)
        .env_remove("AMI_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Collects a started `ami`'s output, killing it after [`RUN_LIMIT`].
fn finish(mut child: Child) -> Run {
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).map(|_| s)
    });
    let deadline = Instant::now() + RUN_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for ami") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ami ran for more than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        status,
        stdout: out.join().unwrap().expect("stdout is UTF-8"),
        stderr: err.join().unwrap().expect("stderr is UTF-8"),
    }
}

/// Runs `ami` with `args` to its end.
fn ami(args: &[&str]) -> Run {
    finish(ami_command(args).spawn().expect("start ami"))
}

/// Runs `ami --url <server> --runtime <rt> args…`.
fn ami_at(server: &Server, runtime: &str, args: &[&str]) -> Run {
    let url = server.url();
    let mut all = vec!["--url", url.as_str(), "--runtime", runtime];
    all.extend_from_slice(args);
    ami(&all)
}

/// A file of its own under the test target directory.
fn temp_file(name: &str, contents: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("ami-cli-{}-{n}-{name}", std::process::id()));
    std::fs::write(&path, contents).expect("write temp file");
    path
}

fn pairs(json: &Json) -> Vec<(String, String)> {
    json.as_array()
        .unwrap_or_else(|| panic!("not an array: {json}"))
        .iter()
        .map(|pair| {
            let pair = pair.as_array().expect("a [key, value] pair");
            assert_eq!(pair.len(), 2, "{pair:?}");
            (
                pair[0].as_str().unwrap().to_owned(),
                pair[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

// ---- per runtime ---------------------------------------------------------

fn command_prints_output_lines(rt: &str) {
    let server = Server::builder()
        .command("show lines", "first\n  indented\n\nlast\n")
        .start();
    let run = ami_at(&server, rt, &["command", "show lines"]);
    run.assert_ok();
    assert_eq!(run.stdout, "first\n  indented\n\nlast\n");
    // Unquoted words are joined.
    let run = ami_at(&server, rt, &["command", "show", "lines"]);
    assert_eq!(run.assert_ok().stdout, "first\n  indented\n\nlast\n");
    // The legacy format (Asterisk 13) prints the same.
    let legacy = Server::builder()
        .personality(Personality::Asterisk13)
        .command("show lines", "first\n  indented\n\nlast\n")
        .start();
    let run = ami_at(&legacy, rt, &["command", "show lines"]);
    assert_eq!(run.assert_ok().stdout, "first\n  indented\n\nlast\n");
}

fn command_error_exits_1_with_asterisks_message(rt: &str) {
    let server = Server::start();
    let run = ami_at(&server, rt, &["command", "no such thing"]);
    assert_eq!(run.code(), Some(1), "{run:#?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "No such command 'no such thing' (type 'core show help no such' for other possible commands)\n"
    );
}

fn action_prints_one_json_object(rt: &str) {
    let server = Server::start();
    let run = ami_at(
        &server,
        rt,
        &[
            "action",
            "Originate",
            "Channel=Local/100@default",
            "Exten=200",
            "Context=default",
            "Priority=1",
            "Variable=a=1",
            "Variable=b=2",
        ],
    );
    run.assert_ok();
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1, "{run:#?}");
    let object = lines[0].as_object().expect("an object");
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(keys, ["response", "events", "completion", "output"]);
    assert_eq!(object["completion"], Json::Null);
    let response = pairs(&object["response"]);
    assert_eq!(response[0], ("Response".into(), "Success".into()));
    assert_eq!(
        value(&response, "Message"),
        Some("Originate successfully queued")
    );
    assert_eq!(object["events"], Json::Array(vec![]));
    assert_eq!(object["output"], Json::Array(vec![]));

    // What reached the server: the fields in order, repeated keys kept.
    let sent = server.received_actions("Originate");
    assert_eq!(sent.len(), 1);
    let headers: Vec<(String, String)> = sent[0]
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .filter(|(k, _)| k != "ActionID")
        .collect();
    let want = [
        ("Action", "Originate"),
        ("Channel", "Local/100@default"),
        ("Exten", "200"),
        ("Context", "default"),
        ("Priority", "1"),
        ("Variable", "a=1"),
        ("Variable", "b=2"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(headers, want);

    // A list action: its events, without the closing event.
    let channels = server.channels();
    assert!(!channels.is_empty(), "the Originate made channels");
    let run = ami_at(&server, rt, &["action", "CoreShowChannels"]);
    run.assert_ok();
    let object = &run.json_lines()[0];
    let events = object["events"].as_array().expect("events");
    assert_eq!(events.len(), channels.len(), "{run:#?}");
    let names: Vec<String> = events
        .iter()
        .map(|e| value(&pairs(e), "Channel").unwrap().to_owned())
        .collect();
    assert_eq!(names, channels);
    for event in events {
        assert_eq!(value(&pairs(event), "Event"), Some("CoreShowChannel"));
    }

    // Command output through `action`.
    server.set_command("two lines", "one\ntwo\n");
    let run = ami_at(&server, rt, &["action", "Command", "Command=two lines"]);
    let object = &run.assert_ok().json_lines()[0];
    assert_eq!(object["output"], serde_json::json!(["one", "two"]));
}

fn action_error_prints_json_and_exits_1(rt: &str) {
    let server = Server::start();
    let run = ami_at(&server, rt, &["action", "Originate", "Exten=200"]);
    assert_eq!(run.code(), Some(1), "{run:#?}");
    assert_eq!(run.stderr, "Channel not specified\n");
    let object = &run.json_lines()[0];
    let response = pairs(&object["response"]);
    assert_eq!(value(&response, "Response"), Some("Error"));
    assert_eq!(value(&response, "Message"), Some("Channel not specified"));
}

fn events_json_with_filter_and_count(rt: &str) {
    let server = Server::start();
    let url = server.url();
    let child = ami_command(&[
        "--url",
        &url,
        "--runtime",
        rt,
        "events",
        "--filter",
        "Hangup,newchannel",
        "--count",
        "3",
        "--json",
    ])
    .spawn()
    .expect("start ami");
    assert!(server.wait_logged_in(1, RUN_LIMIT), "ami logged in");
    for (name, n) in [
        ("Newstate", "1"),
        ("Hangup", "2"),
        ("UserEvent", "3"),
        ("Newchannel", "4"),
        ("HANGUP", "5"),
        ("Hangup", "6"),
    ] {
        server.push_event(ServerMessage::event(name).header("N", n));
    }
    let run = finish(child);
    run.assert_ok();
    let events: Vec<Vec<(String, String)>> = run.json_lines().iter().map(pairs).collect();
    let got: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (value(e, "Event").unwrap(), value(e, "N").unwrap()))
        .collect();
    assert_eq!(got, [("Hangup", "2"), ("Newchannel", "4"), ("HANGUP", "5")]);
    assert_eq!(
        events[0],
        [
            ("Event".to_owned(), "Hangup".to_owned()),
            ("N".to_owned(), "2".to_owned())
        ]
    );
}

/// `events --json` keeps every byte and every line; `--typed` parses.
fn events_json_loses_nothing_and_types(rt: &str) {
    let server = Server::start();
    let url = server.url();
    for typed in [false, true] {
        let mut args = vec![
            "--url",
            &url,
            "--runtime",
            rt,
            "events",
            "--filter",
            "Hangup",
            "--count",
            "1",
            "--json",
        ];
        if typed {
            args.push("--typed");
        }
        let child = ami_command(&args).spawn().expect("start ami");
        assert!(server.wait_logged_in(1, RUN_LIMIT), "ami logged in");
        // Give the session a moment to subscribe before the event goes out.
        std::thread::sleep(Duration::from_millis(200));
        server.push_bytes(
            b"Event: Hangup\r\nPrivilege: call,all\r\nChannel: SIP/1-1\r\nChannelState: 6\r\n\
              ChannelStateDesc: Up\r\nCallerIDName: Jos\xe9\r\nConnectedLineName: \xef\xbf\xbd\r\n\
              a line without colon\r\nCause: 16\r\nTechCause: x\r\n\r\n",
        );
        let run = finish(child);
        run.assert_ok();
        let lines = run.json_lines();
        assert_eq!(lines.len(), 1, "{run:#?}");
        let want = if typed {
            serde_json::json!([
                ["Event", "Hangup"], ["Privilege", "call,all"], ["Channel", "SIP/1-1"],
                ["ChannelState", 6], ["ChannelStateDesc", "Up"],
                ["CallerIDName", {"latin1": "Jos\u{e9}"}], ["ConnectedLineName", "\u{fffd}"],
                "a line without colon",
                ["Cause", {"code": 16, "name": "NORMAL_CLEARING"}],
                // Not an integer: kept as sent.
                ["TechCause", "x"]
            ])
        } else {
            serde_json::json!([
                ["Event", "Hangup"], ["Privilege", "call,all"], ["Channel", "SIP/1-1"],
                ["ChannelState", "6"], ["ChannelStateDesc", "Up"],
                ["CallerIDName", {"latin1": "Jos\u{e9}"}], ["ConnectedLineName", "\u{fffd}"],
                "a line without colon", ["Cause", "16"], ["TechCause", "x"]
            ])
        };
        assert_eq!(lines[0], want);
        // The Latin-1 rendering gives the wire's bytes back.
        let back: ami_proto::ValueBuf = serde_json::from_value(lines[0][5][1].clone()).unwrap();
        assert_eq!(back.as_bytes(), b"Jos\xe9");
        // Only the U+FFFD the wire had.
        assert_eq!(run.stdout.matches('\u{fffd}').count(), 1, "{}", run.stdout);
    }
    let run = ami_at(&server, rt, &["events", "--typed"]);
    assert_eq!(run.code(), Some(2), "--typed needs --json: {run:#?}");
}

/// A message over the decoder's limits is reported on stderr, and the
/// events after it still come.
fn skipped_messages_are_reported(rt: &str) {
    let server = Server::start();
    let url = server.url();
    let child = ami_command(&[
        "--url",
        &url,
        "--runtime",
        rt,
        "events",
        "--filter",
        "After",
        "--count",
        "1",
        "--json",
    ])
    .spawn()
    .expect("start ami");
    assert!(server.wait_logged_in(1, RUN_LIMIT), "ami logged in");
    std::thread::sleep(Duration::from_millis(200));
    let mut bytes = format!("Event: Long\r\nLong: {}\r\n\r\n", "x".repeat(2 << 20)).into_bytes();
    bytes.extend_from_slice(b"Event: After\r\n\r\n");
    server.push_bytes(bytes);
    let run = finish(child);
    run.assert_ok();
    assert_eq!(
        run.json_lines(),
        [serde_json::json!([["Event", "After"]])],
        "{run:#?}"
    );
    assert!(
        run.stderr
            .contains("ami: skipped a message: line longer than 1048576 bytes"),
        "{}",
        run.stderr
    );
}

/// After an action times out, the logoff waits a short grace (1 s), not a
/// second full timeout.
fn a_timeout_closes_without_a_second_wait(rt: &str) {
    let server = Server::start();
    server.on_action("Ping", |_| Reply::nothing());
    server.on_action("Logoff", |_| Reply::nothing());
    let start = Instant::now();
    let run = ami_at(&server, rt, &["--timeout", "2", "ping"]);
    let took = start.elapsed();
    assert_eq!(run.code(), Some(2), "{run:#?}");
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
    assert!(took >= Duration::from_secs(2), "{took:?}");
    assert!(took < Duration::from_millis(3800), "waited twice: {took:?}");
}

fn events_readable_blocks(rt: &str) {
    let server = Server::start();
    let url = server.url();
    let child = ami_command(&[
        "--url",
        &url,
        "--runtime",
        rt,
        "events",
        "--filter",
        "UserEvent",
        "--count",
        "2",
    ])
    .spawn()
    .expect("start ami");
    assert!(server.wait_logged_in(1, RUN_LIMIT), "ami logged in");
    server.push_event(
        ServerMessage::event("UserEvent")
            .header("UserEvent", "Hello")
            .header("Empty", "")
            .header("Repeated", "1")
            .header("Repeated", "2"),
    );
    server.push_event(ServerMessage::event("UserEvent").header("UserEvent", "Bye"));
    let run = finish(child);
    run.assert_ok();
    assert_eq!(
        run.stdout,
        "Event: UserEvent\nUserEvent: Hello\nEmpty: \nRepeated: 1\nRepeated: 2\n\n\
         Event: UserEvent\nUserEvent: Bye\n\n"
    );
}

/// Control bytes from the wire never reach the terminal raw: events,
/// Command output and error messages show them escaped.
fn text_output_escapes_control_bytes(rt: &str) {
    let server = Server::builder()
        .command("evil", "clear\x1b[2Jbell\x07 tab\tok\n")
        .start();
    let run = ami_at(&server, rt, &["command", "evil"]);
    run.assert_ok();
    assert_eq!(run.stdout, "clear\\x1b[2Jbell\\x07 tab\tok\n");

    let url = server.url();
    let child = ami_command(&[
        "--url",
        &url,
        "--runtime",
        rt,
        "events",
        "--filter",
        "UserEvent",
        "--count",
        "1",
    ])
    .spawn()
    .expect("start ami");
    assert!(server.wait_logged_in(1, RUN_LIMIT), "ami logged in");
    server.push_event(
        ServerMessage::event("UserEvent")
            .header("UserEvent", "x\x1b]0;pwned\x07")
            .header("Csi", "\u{9b}31m"),
    );
    let run = finish(child);
    run.assert_ok();
    assert_eq!(
        run.stdout,
        "Event: UserEvent\nUserEvent: x\\x1b]0;pwned\\x07\nCsi: \\u{9b}31m\n\n"
    );
    assert!(!run.stdout.contains('\x1b') && !run.stdout.contains('\x07'));
}

/// A server that greets with HTTP gets no credentials; the error quotes
/// it, escaped.
fn a_wrong_banner_is_named(rt: &str) {
    let server = Server::builder()
        .greeting(b"HTTP/1.1 200 OK\x1b[2J\r\n\r\n".to_vec())
        .start();
    let run = ami_at(&server, rt, &["ping"]);
    assert_eq!(run.code(), Some(2), "{run:#?}");
    assert!(
        run.stderr
            .contains("not an AMI server: it sent \"HTTP/1.1 200 OK\\x1b[2J\""),
        "{run:#?}"
    );
    assert!(!run.stderr.contains('\x1b'));
    assert!(server.received().is_empty());
}

/// `--keepalive` notices a peer that stopped answering.
fn keepalive_notices_a_dead_peer(rt: &str) {
    let server = Server::start();
    server.inject(ami_testkit::Fault::IgnorePings);
    let started = Instant::now();
    let run = ami_at(&server, rt, &["--keepalive", "0.3", "events"]);
    assert_eq!(run.code(), Some(2), "{run:#?}");
    assert!(run.stderr.contains("keepalive"), "{run:#?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// `--reconnect`: a dropped connection is reported and made again, and
/// events flow on.
fn events_reconnect(rt: &str) {
    let server = Server::start();
    let url = server.url();
    let child = ami_command(&[
        "--url",
        &url,
        "--runtime",
        rt,
        "--reconnect",
        "events",
        "--filter",
        "UserEvent",
        "--count",
        "2",
    ])
    .spawn()
    .expect("start ami");
    assert!(server.wait_logged_in(1, RUN_LIMIT), "ami logged in");
    server.push_event(ServerMessage::event("UserEvent").header("UserEvent", "before"));
    std::thread::sleep(Duration::from_millis(300));
    server.inject(ami_testkit::Fault::Disconnect);
    // Logged in again: the new session is the only one.
    let deadline = Instant::now() + RUN_LIMIT;
    while server.received_actions("Login").len() < 2 {
        assert!(Instant::now() < deadline, "ami did not log in again");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(server.wait_logged_in(1, RUN_LIMIT));
    std::thread::sleep(Duration::from_millis(200));
    server.push_event(ServerMessage::event("UserEvent").header("UserEvent", "after"));
    let run = finish(child);
    run.assert_ok();
    assert!(
        run.stdout.contains("UserEvent: before") && run.stdout.contains("UserEvent: after"),
        "{run:#?}"
    );
    assert!(
        run.stderr.contains("reconnecting") && run.stderr.contains("ami: reconnected"),
        "{run:#?}"
    );
}

fn ping_prints_the_round_trip(rt: &str) {
    let server = Server::start();
    let run = ami_at(&server, rt, &["ping"]);
    run.assert_ok();
    let prefix = format!("Pong from tcp://admin@{}: time=", server.addr());
    let rest = run
        .stdout
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{run:#?}"));
    let ms = rest.strip_suffix(" ms\n").expect("ends in ms");
    let ms: f64 = ms.parse().expect("a number");
    assert!((0.0..20_000.0).contains(&ms), "{ms}");
    assert_eq!(server.received_actions("Ping").len(), 1);
}

fn transcript_redacts_the_secret(rt: &str) {
    let secret = "Tr0ub4dor-and-3";
    let server = Server::builder().user("admin", secret).start();
    let run = ami_at(
        &server,
        rt,
        &["--transcript", "command", "core show version"],
    );
    run.assert_ok();
    assert!(run.stdout.starts_with("Asterisk 22"), "{run:#?}");
    assert!(run.stderr.contains(">> Action: Login"), "{run:#?}");
    assert!(run.stderr.contains(">> Secret: <redacted>"), "{run:#?}");
    assert!(run.stderr.contains("<< Response: Success"), "{run:#?}");
    assert!(run.stderr.contains(">> Action: Logoff"), "{run:#?}");
    assert!(!run.stderr.contains(secret), "{run:#?}");
    assert!(!run.stdout.contains(secret), "{run:#?}");
    // MD5: the key is redacted too.
    let run = ami_at(&server, rt, &["--transcript", "--md5", "ping"]);
    run.assert_ok();
    assert!(run.stderr.contains(">> Action: Challenge"), "{run:#?}");
    assert!(run.stderr.contains(">> Key: <redacted>"), "{run:#?}");
    assert!(!run.stderr.contains(secret), "{run:#?}");
}

fn secret_from_a_file(rt: &str) {
    let secret = "file-secret-42";
    let server = Server::builder().user("operator", secret).start();
    let url = format!("tcp://operator@{}", server.addr());
    let file = temp_file("secret", &format!("{secret}\n"));
    let file = file.to_str().unwrap();
    let run = ami(&[
        "--url",
        &url,
        "--runtime",
        rt,
        "--secret-file",
        file,
        "ping",
    ]);
    run.assert_ok();
    // --user overrides the address's user.
    let url = format!("tcp://nobody@{}", server.addr());
    let run = ami(&[
        "--url",
        &url,
        "--runtime",
        rt,
        "--user",
        "operator",
        "--secret-file",
        file,
        "--md5",
        "ping",
    ]);
    run.assert_ok();
    let logins = server.received_actions("Login");
    assert_eq!(logins.last().unwrap().get("Username").unwrap(), "operator");
    // A wrong secret: exit 2, and the secret is not shown.
    let wrong = temp_file("wrong", "not-the-secret\n");
    let run = ami(&[
        "--url",
        &url,
        "--runtime",
        rt,
        "--user",
        "operator",
        "--secret-file",
        wrong.to_str().unwrap(),
        "ping",
    ]);
    assert_eq!(run.code(), Some(2), "{run:#?}");
    assert_eq!(
        run.stderr,
        "ami: authentication failed: Authentication failed\n"
    );
    assert!(!run.stdout.contains("not-the-secret"));
}

/// MD5 logins, again and again (ami-blocking's own MD5 login can stall
/// until the login timeout when the Challenge answer comes back fast; the
/// CLI works around it).
fn md5_login_every_time(rt: &str) {
    let server = Server::start();
    for _ in 0..15 {
        let run = ami_at(&server, rt, &["--md5", "--timeout", "5", "ping"]);
        run.assert_ok();
    }
    assert_eq!(server.received_actions("Challenge").len(), 15);
    // A wrong secret is refused the same way as with a plaintext login.
    let url = format!("tcp://admin:wrong@{}", server.addr());
    let run = ami(&["--url", &url, "--runtime", rt, "--md5", "ping"]);
    assert_eq!(run.code(), Some(2), "{run:#?}");
    assert_eq!(
        run.stderr,
        "ami: authentication failed: Authentication failed\n"
    );
}

fn tls_with_a_ca_file(rt: &str) {
    let server = Server::builder().tls().start();
    let ca = temp_file("ca.pem", server.cert_pem().unwrap());
    let run = ami_at(
        &server,
        rt,
        &[
            "--ca-file",
            ca.to_str().unwrap(),
            "command",
            "core show version",
        ],
    );
    run.assert_ok();
    assert!(run.stdout.starts_with("Asterisk 22"), "{run:#?}");
    // Without the CA the certificate is refused.
    let run = ami_at(&server, rt, &["ping"]);
    assert_eq!(run.code(), Some(2), "{run:#?}");
    assert!(run.stderr.starts_with("ami: "), "{run:#?}");
}

fn tls_self_signed_and_pins(rt: &str) {
    let server = Server::builder()
        .tls_certificate(ami_testkit::Certificate::SelfSignedCa)
        .start();
    let url = format!("tls://admin:amp111@localhost:{}", server.addr().port());
    let base = ["--url", url.as_str(), "--runtime", rt];
    let run_with = |args: &[&str]| {
        let mut all = base.to_vec();
        all.extend_from_slice(args);
        ami(&all)
    };
    let cert = temp_file("own.pem", server.cert_pem().unwrap());
    run_with(&["--ca-file", cert.to_str().unwrap(), "ping"]).assert_ok();

    let pin = ami_client::tls::Fingerprint::of_der(server.presented_der().unwrap());
    // Without a CA file or pin: the error names the certificate and how to trust it.
    let run = run_with(&["ping"]);
    assert_eq!(run.code(), Some(2), "{run:#?}");
    assert!(run.stderr.starts_with("ami: TLS: localhost:"), "{run:#?}");
    for want in [
        "self-signed",
        "CN=localhost",
        pin.colon_hex().as_str(),
        "--ca-file",
        &format!("--tls-pin {pin}"),
    ] {
        assert!(run.stderr.contains(want), "{want}: {run:#?}");
    }
    assert!(!run.stderr.contains("I/O error"), "{run:#?}");

    run_with(&["--tls-pin", &pin.to_string(), "ping"]).assert_ok();
    let lower = pin.to_string().to_lowercase().replace(':', "");
    run_with(&["--tls-pin", &lower.replacen("sha256", "sha256:", 1), "ping"]).assert_ok();

    let run = run_with(&["--tls-pin", "sha256:abcd", "ping"]);
    assert_eq!(run.code(), Some(2), "{run:#?}");
    assert!(run.stderr.contains("64 hex digits"), "{run:#?}");

    let wrong = format!("sha256:{}", "00".repeat(32));
    let run = run_with(&["--tls-pin", &wrong, "ping"]);
    assert_eq!(run.code(), Some(2), "{run:#?}");
    assert!(run.stderr.contains("does not match the pin"), "{run:#?}");
}

fn connection_errors_exit_2(rt: &str) {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("tcp://admin:amp111@127.0.0.1:{port}");
    let run = ami(&["--url", &url, "--runtime", rt, "ping"]);
    assert_eq!(run.code(), Some(2), "{run:#?}");
    assert!(
        run.stderr
            .starts_with(&format!("ami: cannot connect to 127.0.0.1:{port}: ")),
        "{run:#?}"
    );
    assert!(!run.stderr.contains("amp111"));
}

fn embedded_pbx_without_a_url(rt: &str) {
    let run = ami(&["--runtime", rt, "events", "--count", "3"]);
    run.assert_ok();
    let notes: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(notes.len(), 1, "{run:#?}");
    assert!(notes[0].starts_with(EMBEDDED_NOTE), "{run:#?}");
    let blocks: Vec<&str> = run.stdout.split_terminator("\n\n").collect();
    assert_eq!(blocks.len(), 3, "{run:#?}");
    for block in blocks {
        assert!(block.starts_with("Event: "), "{block:?}");
    }
}

fn ami_url_from_the_environment(rt: &str) {
    let server = Server::start();
    let run = finish(
        ami_command(&["--runtime", rt, "command", "core show version"])
            .env("AMI_URL", server.url())
            .spawn()
            .unwrap(),
    );
    run.assert_ok();
    assert!(run.stdout.starts_with("Asterisk 22"), "{run:#?}");
    assert_eq!(run.stderr, "");
}

#[cfg(unix)]
fn ctrl_c_logs_off_and_exits_0(rt: &str) {
    let server = Server::start();
    let url = server.url();
    let child = ami_command(&["--url", &url, "--runtime", rt, "events", "--json"])
        .spawn()
        .expect("start ami");
    assert!(server.wait_logged_in(1, RUN_LIMIT), "ami logged in");
    server.push_event(ServerMessage::event("UserEvent").header("UserEvent", "x"));
    // The event is printed, so the loop (and its Ctrl-C handler) runs.
    std::thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(killed.success());
    let run = finish(child);
    run.assert_ok();
    assert!(run.stdout.contains(r#"["UserEvent","x"]"#), "{run:#?}");
    assert!(
        server
            .wait_for_action("Logoff", Duration::from_secs(5))
            .is_some(),
        "ami logged off"
    );
}

fn live_once_json_is_the_pbx(rt: &str) {
    let server = Server::start();
    // Two calls: a Dial bridge (500) and one waiting (102).
    for exten in ["500", "102"] {
        let run = ami_at(
            &server,
            rt,
            &[
                "action",
                "Originate",
                &format!("Channel=Local/{exten}@default"),
                "Application=Wait",
                "Data=600",
            ],
        );
        run.assert_ok();
    }
    let run = ami_at(&server, rt, &["live", "--once", "--json"]);
    run.assert_ok();
    let truth = server.truth();
    let snap: Json = serde_json::from_str(run.stdout.trim()).expect("one JSON object");
    for key in [
        "channels",
        "bridges",
        "queues",
        "parked",
        "conferences",
        "devices",
        "hints",
    ] {
        assert!(snap[key].is_array(), "{key} missing: {snap}");
    }
    let mut uids: Vec<String> = snap["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["uniqueid"].as_str().unwrap().to_owned())
        .collect();
    uids.sort();
    let expected: Vec<String> = truth.channels.keys().cloned().collect();
    assert_eq!(uids, expected);
    assert!(
        uids.len() >= 4,
        "two Local pairs and the dialed side: {uids:?}"
    );
    for c in snap["channels"].as_array().unwrap() {
        let t = &truth.channels[c["uniqueid"].as_str().unwrap()];
        assert_eq!(c["name"], Json::from(t.name.clone()));
        assert_eq!(c["linkedid"], Json::from(t.linkedid.clone()));
        assert_eq!(c["state_code"], Json::from(t.state));
        assert_eq!(c["bridge"], t.bridge.clone().map_or(Json::Null, Json::from));
    }
    for b in snap["bridges"].as_array().unwrap() {
        let t = &truth.bridges[b["id"].as_str().unwrap()];
        assert_eq!(b["type"], Json::from(t.kind.clone()));
        let mut members: Vec<String> = b["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_owned())
            .collect();
        members.sort();
        let mut want = t.members.clone();
        want.sort();
        assert_eq!(members, want);
    }
    assert_eq!(
        snap["bridges"].as_array().unwrap().len(),
        truth.bridges.len()
    );
    let q = &snap["queues"][0];
    assert_eq!(q["name"], "support");
    for m in q["members"].as_array().unwrap() {
        for key in ["interface", "name", "status", "paused", "penalty"] {
            assert!(!m[key].is_null(), "member {key}: {m}");
        }
    }
    let hints: Vec<&str> = snap["hints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["exten"].as_str().unwrap())
        .collect();
    assert_eq!(hints.len(), truth.hints.len());
    assert_eq!(snap["sync"]["channels"], "synced");
    assert_eq!(snap["missing_events"], serde_json::json!([]));
}

fn live_json_streams_changes(rt: &str) {
    let server = Server::start();
    let mut child = ami_command(&["--url", &server.url(), "--runtime", rt, "live", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("ami runs");
    let mut stdout = child.stdout.take().expect("stdout");
    // The snapshot first; then a call's changes.
    let mut got = String::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + RUN_LIMIT;
    while !got.contains('\n') && Instant::now() < deadline {
        let n = stdout.read(&mut buf).expect("read");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let first: Json = serde_json::from_str(got.lines().next().unwrap()).expect("the snapshot");
    assert!(first["channels"].as_array().unwrap().is_empty());
    let run = ami_at(
        &server,
        rt,
        &[
            "action",
            "Originate",
            "Channel=Local/500@default",
            "Application=Wait",
            "Data=600",
        ],
    );
    run.assert_ok();
    let name = &server.channels()[0];
    let run = ami_at(
        &server,
        rt,
        &["action", "Hangup", &format!("Channel={name}")],
    );
    run.assert_ok();
    while !got.contains("\"channel_removed\"") && Instant::now() < deadline {
        let n = stdout.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let _ = child.kill();
    let _ = child.wait();
    let changes: Vec<Json> = got
        .lines()
        .skip(1)
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let names: Vec<&str> = changes
        .iter()
        .map(|c| c["change"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"channel_added"), "{names:?}");
    assert!(names.contains(&"call_added"), "{names:?}");
    let removed = changes
        .iter()
        .find(|c| c["change"] == "channel_removed")
        .expect("a channel removed");
    assert!(removed["key"]["uniqueid"].is_string());
    assert!(
        removed["object"]["hangup"]["cause"].is_number(),
        "{removed}"
    );
}

macro_rules! on_runtime {
    ($module:ident, $rt:literal) => {
        mod $module {
            #[test]
            fn command_prints_output_lines() {
                super::command_prints_output_lines($rt);
            }
            #[test]
            fn live_once_json_is_the_pbx() {
                super::live_once_json_is_the_pbx($rt);
            }
            #[test]
            fn live_json_streams_changes() {
                super::live_json_streams_changes($rt);
            }
            #[test]
            fn command_error_exits_1_with_asterisks_message() {
                super::command_error_exits_1_with_asterisks_message($rt);
            }
            #[test]
            fn action_prints_one_json_object() {
                super::action_prints_one_json_object($rt);
            }
            #[test]
            fn action_error_prints_json_and_exits_1() {
                super::action_error_prints_json_and_exits_1($rt);
            }
            #[test]
            fn events_json_with_filter_and_count() {
                super::events_json_with_filter_and_count($rt);
            }
            #[test]
            fn events_readable_blocks() {
                super::events_readable_blocks($rt);
            }
            #[test]
            fn text_output_escapes_control_bytes() {
                super::text_output_escapes_control_bytes($rt);
            }
            #[test]
            fn a_wrong_banner_is_named() {
                super::a_wrong_banner_is_named($rt);
            }
            #[test]
            fn keepalive_notices_a_dead_peer() {
                super::keepalive_notices_a_dead_peer($rt);
            }
            #[test]
            fn events_reconnect() {
                super::events_reconnect($rt);
            }
            #[test]
            fn events_json_loses_nothing_and_types() {
                super::events_json_loses_nothing_and_types($rt);
            }
            #[test]
            fn skipped_messages_are_reported() {
                super::skipped_messages_are_reported($rt);
            }
            #[test]
            fn a_timeout_closes_without_a_second_wait() {
                super::a_timeout_closes_without_a_second_wait($rt);
            }
            #[test]
            fn ping_prints_the_round_trip() {
                super::ping_prints_the_round_trip($rt);
            }
            #[test]
            fn transcript_redacts_the_secret() {
                super::transcript_redacts_the_secret($rt);
            }
            #[test]
            fn secret_from_a_file() {
                super::secret_from_a_file($rt);
            }
            #[test]
            fn md5_login_every_time() {
                super::md5_login_every_time($rt);
            }
            #[test]
            fn tls_with_a_ca_file() {
                super::tls_with_a_ca_file($rt);
            }
            #[test]
            fn tls_self_signed_and_pins() {
                super::tls_self_signed_and_pins($rt);
            }
            #[test]
            fn connection_errors_exit_2() {
                super::connection_errors_exit_2($rt);
            }
            #[test]
            fn embedded_pbx_without_a_url() {
                super::embedded_pbx_without_a_url($rt);
            }
            #[test]
            fn ami_url_from_the_environment() {
                super::ami_url_from_the_environment($rt);
            }
            #[cfg(unix)]
            #[test]
            fn ctrl_c_logs_off_and_exits_0() {
                super::ctrl_c_logs_off_and_exits_0($rt);
            }
        }
    };
}

on_runtime!(blocking, "blocking");
on_runtime!(tokio, "tokio");
on_runtime!(smol, "smol");

// ---- the runtimes against each other -------------------------------------

#[test]
fn every_runtime_prints_the_same() {
    let server = Server::start();
    // Channels for `core show channels` and CoreShowChannels.
    ami_at(
        &server,
        "blocking",
        &["action", "Originate", "Channel=PJSIP/100", "Exten=200"],
    )
    .assert_ok();
    let runs = |args: &[&str]| -> Vec<Run> {
        RUNTIMES
            .iter()
            .map(|rt| ami_at(&server, rt, args))
            .collect()
    };
    for args in [
        &["command", "core show channels"][..],
        &["command", "core show help"],
        &["command", "no such command"],
        &["action", "QueueStatus"],
        &["action", "CoreShowChannels"],
        &["action", "NoSuchAction"],
        &["action", "Originate"],
    ] {
        let runs = runs(args);
        let normalize = |run: &Run| {
            // ActionIDs differ from run to run.
            let mut text = run.stdout.clone();
            for json in run.action_ids() {
                text = text.replace(&json, "<id>");
            }
            (run.code(), text, run.stderr.clone())
        };
        let first = normalize(&runs[0]);
        assert!(!first.1.is_empty() || !first.2.is_empty(), "{args:?}");
        for (rt, run) in RUNTIMES.iter().zip(&runs).skip(1) {
            assert_eq!(normalize(run), first, "{args:?} on {rt}");
        }
    }
}

impl Run {
    /// The ActionIDs in a JSON answer, for normalising it.
    fn action_ids(&self) -> Vec<String> {
        let Ok(json) = serde_json::from_str::<Json>(self.stdout.trim()) else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        let mut all = vec![json["response"].clone()];
        all.extend(json["events"].as_array().cloned().unwrap_or_default());
        for message in &all {
            if let Some(id) = value(&pairs(message), "ActionID") {
                ids.push(format!("\"{id}\""));
            }
        }
        ids
    }
}

#[test]
fn every_runtime_streams_the_same_events() {
    let server = Server::start();
    let url = server.url();
    let children: Vec<Child> = RUNTIMES
        .iter()
        .map(|rt| {
            ami_command(&[
                "--url",
                &url,
                "--runtime",
                rt,
                "events",
                "--count",
                "4",
                "--json",
            ])
            .spawn()
            .unwrap()
        })
        .collect();
    assert!(
        server.wait_logged_in(3, RUN_LIMIT),
        "three clients logged in"
    );
    for n in 0..3 {
        server.push_event(
            ServerMessage::event("Newchannel")
                .header("Channel", format!("PJSIP/10{n}"))
                .header("Uniqueid", format!("17.{n}")),
        );
    }
    let runs: Vec<Run> = children.into_iter().map(finish).collect();
    for run in &runs {
        run.assert_ok();
        assert_eq!(run.json_lines().len(), 4, "{run:#?}");
        // FullyBooted after the login, then the three pushed.
        assert!(
            run.stdout.starts_with(r#"[["Event","FullyBooted"]"#),
            "{run:#?}"
        );
    }
    assert_eq!(runs[0].stdout, runs[1].stdout);
    assert_eq!(runs[0].stdout, runs[2].stdout);
}

// ---- decode --------------------------------------------------------------

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every capture with its golden JSON lines (ami-proto's decode example's
/// output, reviewed by hand).
fn captures() -> Vec<(PathBuf, PathBuf)> {
    let root = workspace();
    let mut found = Vec::new();
    for sub in ["", "legacy"] {
        let dir = root.join("testdata/captures").join(sub);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if name.ends_with(".bin") || name.ends_with(".sent") {
                let golden = root
                    .join("ami-proto/tests/golden")
                    .join(sub)
                    .join(format!("{name}.jsonl"));
                found.push((path, golden));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn decode_matches_the_golden_files() {
    let captures = captures();
    assert_eq!(captures.len(), 46, "{captures:?}");
    for (capture, golden) in &captures {
        let want = std::fs::read_to_string(golden).unwrap();
        let run = ami(&["decode", capture.to_str().unwrap()]);
        run.assert_ok();
        assert_eq!(run.stdout, want, "{}", capture.display());
        assert_eq!(run.stderr, "", "decode starts no server");
    }
    // In small chunks, and from stdin.
    for (capture, golden) in captures.iter().step_by(5) {
        let want = std::fs::read_to_string(golden).unwrap();
        let run = ami(&["decode", "--chunk", "7", capture.to_str().unwrap()]);
        assert_eq!(run.assert_ok().stdout, want, "{}", capture.display());
        let mut child = ami_command(&["decode", "-", "--chunk", "1"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let bytes = std::fs::read(capture).unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &bytes));
        let run = finish(child);
        assert_eq!(run.assert_ok().stdout, want, "{}", capture.display());
    }
}

#[test]
fn decode_reports_skipped_messages_and_bad_utf8() {
    let file = temp_file(
        "odd.bin",
        "Asterisk Call Manager/11.0.0\r\nEvent: X\r\nName: caf\u{e9}\r\nno colon here\r\n\r\n",
    );
    let mut bytes = std::fs::read(&file).unwrap();
    // An invalid UTF-8 byte, a line over the decoder's 1 MiB limit, and a
    // message after it.
    bytes.extend_from_slice(b"Event: Y\r\nValue: \xff\r\n\r\n");
    bytes
        .extend_from_slice(format!("Event: Z\r\nLong: {}\r\n\r\n", "x".repeat(1 << 20)).as_bytes());
    bytes.extend_from_slice(b"Event: After\r\n\r\n");
    std::fs::write(&file, &bytes).unwrap();
    let run = ami(&["decode", file.to_str().unwrap()]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 5, "{}", run.stdout.len());
    assert_eq!(
        lines[0],
        serde_json::json!({"kind": "banner", "version": "11.0.0"})
    );
    assert_eq!(
        lines[1],
        serde_json::json!({"kind": "event", "fields": [["Event", "X"], ["Name", "café"]], "output": ["no colon here"]})
    );
    assert_eq!(
        lines[2],
        serde_json::json!({"kind": "event", "fields": [["Event", "Y"], ["Value", {"latin1": "\u{ff}"}]]})
    );
    assert_eq!(lines[3]["kind"], "error");
    assert!(
        lines[3]["error"].as_str().unwrap().contains("line"),
        "{}",
        lines[3]
    );
    assert_eq!(
        lines[4],
        serde_json::json!({"kind": "event", "fields": [["Event", "After"]]})
    );
}

// ---- usage ---------------------------------------------------------------

#[test]
fn help_explains_every_subcommand() {
    let run = ami(&["--help"]);
    run.assert_ok();
    for word in [
        "command",
        "action",
        "events",
        "ping",
        "decode",
        "--url",
        "AMI_URL",
        "--runtime",
        "Exit status",
    ] {
        assert!(run.stdout.contains(word), "{word}: {}", run.stdout);
    }
    for (sub, word) in [
        ("command", "output lines"),
        ("action", r#"{"response":[["Key","Value"],...]"#),
        ("action", "exit status is 1"),
        ("events", "--filter"),
        ("events", "Ctrl-C"),
        ("ping", "round trip"),
        ("decode", "--chunk"),
    ] {
        let run = ami(&[sub, "--help"]);
        run.assert_ok();
        assert!(run.stdout.contains(word), "{sub}: {word}: {}", run.stdout);
    }
    // The secret in AMI_URL never shows in the help.
    let run = finish(
        ami_command(&["--help"])
            .env("AMI_URL", "tcp://admin:hidden-in-env@127.0.0.1:1")
            .spawn()
            .unwrap(),
    );
    assert!(!run.assert_ok().stdout.contains("hidden-in-env"));
}

#[test]
fn usage_errors_exit_2_before_connecting() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["--runtime", "async-std", "ping"],
        &["--timeout", "0", "ping"],
        &["decode", "--chunk", "0"],
        &["command"],
        &["action"],
        &["action", "Ping", "NoEqualsSign"],
        &["action", "Ping", "Bad Key=1"],
        &["--url", "http://example.invalid", "ping"],
        &["--url", "tcp://127.0.0.1:1", "ping"],
        &["--secret-file", "/nonexistent/secret", "ping"],
        &["--secret-file", "x", "--ask-secret", "ping"],
        &["decode", "/nonexistent/capture.bin"],
    ] {
        let run = ami(args);
        assert_eq!(run.code(), Some(2), "{args:?}: {run:#?}");
        assert!(!run.stderr.is_empty(), "{args:?}");
        assert_eq!(run.stdout, "", "{args:?}");
    }
    // Checked before the embedded PBX is started.
    let run = ami(&["action", "Ping", "NoEqualsSign"]);
    assert!(!run.stderr.contains("embedded"), "{run:#?}");
    // One message is one action, with one ActionID.
    let run = ami(&["action", "Ping", "Action=Hangup"]);
    assert_eq!(run.code(), Some(2));
    assert!(run.stderr.contains("a second Action header"), "{run:#?}");
    assert!(!run.stderr.contains("embedded"), "{run:#?}");
    let run = ami(&["action", "Ping", "ActionID=a", "actionid=b"]);
    assert_eq!(run.code(), Some(2));
    assert!(run.stderr.contains("ActionID is given twice"), "{run:#?}");
}

/// A legacy `Response: Follows` Command with an empty body has `"output":[]`;
/// one with lines has them; bytes that are not UTF-8 come back from the JSON.
#[test]
fn decode_legacy_output_and_latin1() {
    let file = temp_file("legacy.bin", "");
    std::fs::write(
        &file,
        b"Asterisk Call Manager/2.10.6\r\n\
          Response: Follows\r\nPrivilege: Command\r\nActionID: 1\r\n--END COMMAND--\r\n\r\n\
          Response: Follows\r\nPrivilege: Command\r\nActionID: 2\r\nJos\xe9\r\n--END COMMAND--\r\n\r\n\
          Event: Hangup\r\nCallerIDName: Jos\xe9\r\n\r\n",
    )
    .unwrap();
    let run = ami(&["decode", file.to_str().unwrap()]);
    let lines = run.assert_ok().json_lines();
    assert_eq!(lines.len(), 4, "{run:#?}");
    assert_eq!(
        lines[1],
        serde_json::json!({"kind": "response", "fields": [["Response", "Follows"], ["Privilege", "Command"], ["ActionID", "1"]], "output": []})
    );
    assert_eq!(
        lines[2]["output"],
        serde_json::json!([{"latin1": "Jos\u{e9}"}])
    );
    let back: ami_proto::ValueBuf =
        serde_json::from_value(lines[3]["fields"][1][1].clone()).unwrap();
    assert_eq!(back.as_bytes(), b"Jos\xe9");
    assert!(!run.stdout.contains('\u{fffd}'), "{}", run.stdout);
}
