//! The scenarios every client runs against a real Asterisk (the dialplan of
//! `testdata/asterisk-etc`), written once over [`Session`]
//! (`testdata/client_tests/session.rs`), which each runtime's
//! `tests/session/mod.rs` implements for its client; `tests/real_asterisk.rs`
//! turns them into `#[test]`s with `real_asterisk_tests!`.
//!
//! Without `AMI_TEST_URL` every scenario returns at once and the first one
//! says so. Calls are told apart from other tests' (the tests of one binary
//! run in parallel against the same server) by the `Uniqueid`s they are
//! given with `ChannelId` / `OtherChannelId`.

#[path = "instance.rs"]
mod instance;
use instance::Instance;

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use ami_client::{ClientError, ClientOptions, Incoming};
use ami_proto::{Action, CloseReason, EventMask, Message, Response, SendOptions};

use crate::session::Session;

/// What the suite runs against, from the environment.
pub(crate) struct Target {
    /// `AMI_TEST_URL`: `tcp://admin:amp111@127.0.0.1:PORT`.
    pub(crate) url: String,
}

/// The target, or `None` (said once per test binary) when `AMI_TEST_URL`
/// is not set.
pub(crate) fn target() -> Option<Target> {
    static SKIPPED: Once = Once::new();
    match std::env::var("AMI_TEST_URL") {
        Ok(url) if !url.is_empty() => Some(Target { url }),
        _ => {
            // Straight to stderr: the test harness captures `eprintln!`.
            SKIPPED.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "real_asterisk: skipped: AMI_TEST_URL is not set \
                     (see README.md, \"Testing against a real Asterisk\")"
                );
            });
            None
        }
    }
}

fn options(url: &str) -> ClientOptions {
    ClientOptions::new(url)
        .expect("AMI_TEST_URL parses")
        .connect_timeout(Duration::from_secs(5))
        .action_timeout(Duration::from_secs(15))
}

/// `url` with another user and secret.
fn with_user(url: &str, user: &str, secret: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("tcp", url));
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user}:{secret}@{host}")
}

fn connect<S: Session>(options: ClientOptions) -> S {
    match S::connect(options) {
        Ok(session) => session,
        Err(e) => panic!("{}: cannot connect and log in: {e}", S::RUNTIME),
    }
}

/// A new id no other test (or earlier run) uses.
fn unique<S: Session>(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "amirs-{}-{tag}-{}-{nanos}-{}",
        S::RUNTIME,
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn value(message: &Message, key: &str) -> String {
    message
        .get(key)
        .map(|v| v.to_str_lossy().into_owned())
        .unwrap_or_default()
}

fn is(message: &Message, event: &str) -> bool {
    message
        .name()
        .is_some_and(|n| n.eq_ignore_ascii_case(event))
}

fn names(events: &[Message]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            e.name()
                .map(|n| n.to_str_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// Reads events until `done` holds for one of them; returns every event
/// read (the last one matched). Panics after `timeout` with what was seen.
fn events_until<S: Session>(
    session: &mut S,
    timeout: Duration,
    mut done: impl FnMut(&Message) -> bool,
) -> Vec<Message> {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            panic!(
                "{}: the awaited event did not come within {timeout:?}; saw {:?}",
                S::RUNTIME,
                names(&seen)
            );
        }
        match session.next(left) {
            Some(Incoming::Event(event)) => {
                let last = done(&event);
                seen.push(event);
                if last {
                    return seen;
                }
            }
            Some(Incoming::Lost(n)) => panic!("{}: {n} events lost", S::RUNTIME),
            Some(_) | None => {}
        }
    }
}

/// Every event that arrives within `window`.
fn events_for<S: Session>(session: &mut S, window: Duration) -> Vec<Message> {
    let deadline = Instant::now() + window;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return seen;
        }
        if let Some(Incoming::Event(event)) = session.next(left) {
            seen.push(event);
        }
    }
}

/// Asks again every 100 ms until `find` finds what it looks for (live
/// state takes a moment to show in list actions); panics after 5 s, saying
/// what never came.
fn poll<S: Session, T>(
    session: &mut S,
    never: &str,
    mut find: impl FnMut(&mut S) -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(found) = find(session) {
            return found;
        }
        assert!(Instant::now() < deadline, "{}: {never}", S::RUNTIME);
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn ok<S: Session>(session: &mut S, action: Action) -> Response {
    let name = String::from_utf8_lossy(action.name()).into_owned();
    match session.send(action) {
        Ok(response) => response,
        Err(e) => panic!("{}: {name} failed: {e}", S::RUNTIME),
    }
}

fn rejected<S: Session>(session: &mut S, action: Action) -> Box<Response> {
    let name = String::from_utf8_lossy(action.name()).into_owned();
    match session.send(action) {
        Err(ClientError::Rejected(response)) => response,
        other => panic!("{}: {name} should be rejected, got {other:?}", S::RUNTIME),
    }
}

fn text(response: &Response) -> String {
    response
        .text()
        .map(|t| t.to_str_lossy().into_owned())
        .unwrap_or_default()
}

/// A call made with `Originate` from `Local/<exten>@default` to the Echo
/// of extension 200: `first` is the `;1` half (in Echo), `second` the `;2`
/// half (running `exten`).
struct Call {
    first: String,
    second: String,
}

impl Call {
    fn originate<S: Session>(session: &mut S, exten: &str) -> Call {
        let call = Call::ids::<S>(exten);
        let response = session
            .send_with(call.action(exten), SendOptions::originate_response())
            .unwrap_or_else(|e| panic!("{}: Originate {exten} failed: {e}", S::RUNTIME));
        let completion = response.completion().expect("an OriginateResponse");
        assert_eq!(value(completion, "Reason"), "4", "answered");
        call
    }

    fn ids<S: Session>(exten: &str) -> Call {
        let id = unique::<S>(exten);
        Call {
            first: format!("{id}-1"),
            second: format!("{id}-2"),
        }
    }

    fn action(&self, exten: &str) -> Action {
        Action::new("Originate")
            .header("Channel", format!("Local/{exten}@default"))
            .header("Context", "default")
            .header("Exten", "200")
            .header("Priority", "1")
            .header("Async", "true")
            .header("ChannelId", &self.first)
            .header("OtherChannelId", &self.second)
    }

    fn owns(&self, event: &Message) -> bool {
        let mine = |key| {
            let v = value(event, key);
            v == self.first || v == self.second
        };
        mine("Uniqueid") || mine("Linkedid")
    }

    /// Hangs the call up (hanging up one half of a Local channel ends both).
    fn hangup<S: Session>(&self, session: &mut S) {
        let channel = self.channel(session);
        let _ = session.send(Action::new("Hangup").header("Channel", channel));
    }

    /// The `;1` half's channel name.
    fn channel<S: Session>(&self, session: &mut S) -> String {
        let response = ok(session, Action::new("CoreShowChannels"));
        response
            .events()
            .iter()
            .find(|e| value(e, "Uniqueid") == self.first)
            .map(|e| value(e, "Channel"))
            .unwrap_or_else(|| panic!("{}: channel {} is not up", S::RUNTIME, self.first))
    }
}

// ---------------------------------------------------------------------------
// Login

pub(crate) fn plaintext_login<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    // Asterisk 12 to 22 all announce AMI 11.0.0 or later in the banner.
    let version = session.version().expect("the banner's version");
    assert!(
        version.starts_with(|c: char| c.is_ascii_digit()),
        "{version}"
    );
    let pong = ok(&mut session, Action::new("Ping"));
    assert_eq!(value(pong.message(), "Ping"), "Pong");
    assert!(pong.get("Timestamp").is_some());
    session.close();
}

pub(crate) fn md5_login<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url).md5(true));
    let lines = session.command("core show version").unwrap();
    assert!(
        lines.iter().any(|l| l.starts_with("Asterisk ")),
        "{lines:?}"
    );
    session.close();
}

pub(crate) fn wrong_secret_is_refused<S: Session>() {
    let Some(target) = target() else { return };
    for md5 in [false, true] {
        let url = with_user(&target.url, "admin", "not-the-secret");
        match S::connect(options(&url).md5(md5)) {
            Err(ClientError::Authentication(message)) => {
                assert_eq!(message, "Authentication failed", "md5={md5}");
            }
            Err(other) => panic!("{}: md5={md5}: {other}", S::RUNTIME),
            Ok(_) => panic!("{}: md5={md5}: a wrong secret logged in", S::RUNTIME),
        }
    }
}

pub(crate) fn limited_user_gets_permission_errors<S: Session>() {
    let Some(target) = target() else { return };
    let url = with_user(&target.url, "limited", "lim");
    let mut session: S = connect(options(&url));
    ok(&mut session, Action::new("Ping"));
    for action in [
        Action::new("Command").header("Command", "core show uptime"),
        Action::new("Originate")
            .header("Channel", "Local/100@default")
            .header("Application", "Wait")
            .header("Data", "1"),
        Action::new("UserEvent").header("UserEvent", "nope"),
        Action::new("Setvar")
            .header("Variable", "AMIRS_X")
            .header("Value", "1"),
    ] {
        let response = rejected(&mut session, action);
        assert_eq!(text(&response), "Permission denied");
    }
    // The refusals cost nothing else: the session still works.
    ok(&mut session, Action::new("Ping"));
    session.close();
}

// ---------------------------------------------------------------------------
// Command

pub(crate) fn cli_commands<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url).events(EventMask::Off));
    let version = session.command("core show version").unwrap();
    assert!(version[0].starts_with("Asterisk 2"), "{version:?}");
    let uptime = session.command("core show uptime").unwrap();
    assert!(
        uptime.iter().any(|l| l.starts_with("System uptime:")),
        "{uptime:?}"
    );
    let dialplan = session.command("dialplan show 100@default").unwrap();
    assert!(
        dialplan.iter().any(|l| l.contains("Answer()")),
        "{dialplan:?}"
    );
    let queue = session.command("queue show support").unwrap();
    let text = queue.join("\n");
    assert!(text.contains("support has"), "{text}");
    assert!(text.contains("Alice") && text.contains("Bob"), "{text}");
    // Output with many lines, and one with an empty line in it.
    let modules = session.command("module show like app_").unwrap();
    assert!(modules.len() > 20, "{}", modules.len());
    assert!(modules.iter().any(|l| l.starts_with("app_queue.so")));
    // A command whose output is empty.
    let nothing = session.command("core set verbose 0").unwrap();
    assert!(nothing.iter().all(|l| !l.contains("No such command")));
    session.close();
}

pub(crate) fn unknown_cli_command_is_rejected<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url).events(EventMask::Off));
    match session.command("no such thing here") {
        Err(ClientError::Rejected(response)) => {
            let out: Vec<String> = response.output().map(|l| l.to_string()).collect();
            assert!(
                out.iter()
                    .any(|l| l.starts_with("No such command 'no such thing here'")),
                "{out:?}"
            );
        }
        other => panic!("{}: {other:?}", S::RUNTIME),
    }
    // An unknown action, for comparison: a plain error response.
    let response = rejected(&mut session, Action::new("NoSuchAction"));
    assert!(text(&response).starts_with("Invalid/unknown command"));
    session.close();
}

// ---------------------------------------------------------------------------
// List actions with real content

pub(crate) fn core_show_channels_lists_live_channels<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url).events(EventMask::On));
    let call = Call::originate(&mut session, "102");
    let response = ok(&mut session, Action::new("CoreShowChannels"));
    let mine: Vec<&Message> = response.events().iter().filter(|e| call.owns(e)).collect();
    assert_eq!(mine.len(), 2, "{mine:?}");
    let second = mine
        .iter()
        .find(|e| value(e, "Uniqueid") == call.second)
        .unwrap();
    assert!(value(second, "Channel").starts_with("Local/102@default-"));
    // Answer() or already Wait(): the OriginateResponse comes at the answer.
    assert_eq!(value(second, "Exten"), "102");
    assert_eq!(value(second, "ChannelStateDesc"), "Up");
    let complete = response.completion().expect("CoreShowChannelsComplete");
    assert!(is(complete, "CoreShowChannelsComplete"));
    assert_eq!(
        value(complete, "ListItems"),
        response.events().len().to_string()
    );
    call.hangup(&mut session);
    session.close();
}

pub(crate) fn queue_status_shows_members_and_a_waiting_caller<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    // `sales` has no members (joinempty): the caller waits there.
    let call = Call::originate(&mut session, "401");
    let response = poll(&mut session, "our caller never waited in sales", |s| {
        let response = ok(s, Action::new("QueueStatus"));
        response
            .events()
            .iter()
            .any(|e| is(e, "QueueEntry") && value(e, "Uniqueid") == call.second)
            .then_some(response)
    });
    let events = response.events();
    let members: Vec<&Message> = events
        .iter()
        .filter(|e| is(e, "QueueMember") && value(e, "Queue") == "support")
        .collect();
    let bob = members
        .iter()
        .find(|m| value(m, "Name") == "Bob")
        .expect("Bob in support");
    assert_eq!(value(bob, "Location"), "Local/101@agents");
    assert_eq!(value(bob, "Penalty"), "5");
    assert_eq!(value(bob, "StateInterface"), "Custom:agent101");
    assert!(members.iter().any(|m| value(m, "Name") == "Alice"));
    let entry = events
        .iter()
        .find(|e| is(e, "QueueEntry") && value(e, "Uniqueid") == call.second)
        .expect("our caller waiting in sales");
    assert_eq!(value(entry, "Queue"), "sales");
    let params = events
        .iter()
        .find(|e| is(e, "QueueParams") && value(e, "Queue") == "sales")
        .unwrap();
    assert!(value(params, "Calls").parse::<u32>().unwrap() >= 1);
    assert!(is(response.completion().unwrap(), "QueueStatusComplete"));
    // One queue only.
    let one = ok(
        &mut session,
        Action::new("QueueStatus").header("Queue", "support"),
    );
    assert!(one.events().iter().all(|e| value(e, "Queue") == "support"));
    call.hangup(&mut session);
    session.close();
}

pub(crate) fn bridge_list_and_bridge_info<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    // 500 dials Local/102: the `;2` half and the dialled channel are bridged.
    let call = Call::originate(&mut session, "500");
    let bridge = poll(&mut session, "the call was never bridged", |s| {
        let channels = ok(s, Action::new("CoreShowChannels"));
        channels
            .events()
            .iter()
            .find(|e| value(e, "Uniqueid") == call.second)
            .map(|e| value(e, "BridgeId"))
            .filter(|bridge| !bridge.is_empty())
    });
    let list = ok(&mut session, Action::new("BridgeList"));
    let item = list
        .events()
        .iter()
        .find(|e| value(e, "BridgeUniqueid") == bridge)
        .expect("our bridge in BridgeList");
    assert_eq!(value(item, "BridgeType"), "basic");
    assert_eq!(value(item, "BridgeNumChannels"), "2");
    assert!(is(list.completion().unwrap(), "BridgeListComplete"));
    let info = ok(
        &mut session,
        Action::new("BridgeInfo").header("BridgeUniqueid", &bridge),
    );
    let members: Vec<String> = info
        .events()
        .iter()
        .filter(|e| is(e, "BridgeInfoChannel"))
        .map(|e| value(e, "Uniqueid"))
        .collect();
    assert_eq!(members.len(), 2, "{members:?}");
    assert!(members.contains(&call.second), "{members:?}");
    assert!(is(info.completion().unwrap(), "BridgeInfoComplete"));
    let unknown = rejected(
        &mut session,
        Action::new("BridgeInfo").header("BridgeUniqueid", "no-such-bridge"),
    );
    assert!(text(&unknown).contains("not found"), "{}", text(&unknown));
    call.hangup(&mut session);
    session.close();
}

pub(crate) fn parked_calls<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    let call = Call::originate(&mut session, "700");
    let parked = poll(&mut session, "the call was never parked", |s| {
        let response = ok(s, Action::new("ParkedCalls"));
        let found = response
            .events()
            .iter()
            .find(|e| value(e, "ParkeeUniqueid") == call.second)
            .cloned()?;
        assert!(is(response.completion().unwrap(), "ParkedCallsComplete"));
        Some(found)
    });
    assert_eq!(value(&parked, "Parkinglot"), "default");
    let space: u32 = value(&parked, "ParkingSpace").parse().unwrap();
    assert!((701..=720).contains(&space), "{space}");
    let lots = ok(&mut session, Action::new("Parkinglots"));
    assert!(lots.events().iter().any(|e| value(e, "Name") == "default"));
    call.hangup(&mut session);
    session.close();
}

pub(crate) fn confbridge_list<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    let call = Call::originate(&mut session, "800");
    poll(&mut session, "never joined the conference", |s| {
        // An error until the room exists.
        let response = s
            .send(Action::new("ConfbridgeList").header("Conference", "1"))
            .ok()?;
        response.events().iter().find(|e| {
            value(e, "Channel").starts_with("Local/800@default-") && value(e, "Conference") == "1"
        })?;
        assert!(is(response.completion().unwrap(), "ConfbridgeListComplete"));
        Some(())
    });
    let rooms = ok(&mut session, Action::new("ConfbridgeListRooms"));
    assert!(rooms.events().iter().any(|e| value(e, "Conference") == "1"));
    let missing = rejected(&mut session, Action::new("ConfbridgeList"));
    assert_eq!(text(&missing), "No Conference name provided.");
    call.hangup(&mut session);
    session.close();
}

pub(crate) fn device_and_extension_state_lists<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    let device = format!("Custom:{}", unique::<S>("dev"));
    ok(
        &mut session,
        Action::new("Setvar")
            .header("Variable", format!("DEVICE_STATE({device})"))
            .header("Value", "BUSY"),
    );
    let devices = ok(&mut session, Action::new("DeviceStateList"));
    let mine = devices
        .events()
        .iter()
        .find(|e| value(e, "Device") == device)
        .expect("our custom device");
    assert_eq!(value(mine, "State"), "BUSY");
    assert!(is(devices.completion().unwrap(), "DeviceStateListComplete"));
    let hints = ok(&mut session, Action::new("ExtensionStateList"));
    let desk = hints
        .events()
        .iter()
        .find(|e| value(e, "Exten") == "900" && value(e, "Context") == "default")
        .expect("the hint of 900@default");
    assert_eq!(value(desk, "Hint"), "Custom:desk900");
    assert!(is(
        hints.completion().unwrap(),
        "ExtensionStateListComplete"
    ));
    let state = ok(
        &mut session,
        Action::new("ExtensionState")
            .header("Exten", "900")
            .header("Context", "default"),
    );
    assert_eq!(value(state.message(), "Hint"), "Custom:desk900");
    session.close();
}

pub(crate) fn queue_rule_lists<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url).events(EventMask::Off));
    let response = ok(&mut session, Action::new("QueueRule"));
    let lists = ami_proto::queue_rules(response.message()).unwrap();
    let names: Vec<String> = lists.iter().map(|l| l.name.to_string()).collect();
    assert_eq!(names, ["myrule", "other"]);
    let rules: Vec<(u32, String, String)> = lists[0]
        .rules
        .iter()
        .map(|r| {
            (
                r.seconds,
                format!("{:?}", r.max_penalty),
                format!("{:?}", r.min_penalty),
            )
        })
        .collect();
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert_eq!(rules[0].0, 30);
    assert_eq!(rules[1].0, 60);
    // The session goes on after the response that has no end marker.
    let one = ok(
        &mut session,
        Action::new("QueueRule").header("Rule", "other"),
    );
    let lists = ami_proto::queue_rules(one.message()).unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].rules[0].seconds, 20);
    ok(&mut session, Action::new("Ping"));
    session.close();
}

// ---------------------------------------------------------------------------
// Originate

fn originate_outcome<S: Session>(session: &mut S, action: Action) -> (bool, Message) {
    match session.send_with(action, SendOptions::originate_response()) {
        Ok(response) => (true, response.completion().expect("an event").clone()),
        Err(ClientError::Rejected(response)) => {
            (false, response.completion().expect("an event").clone())
        }
        Err(e) => panic!("{}: Originate failed: {e}", S::RUNTIME),
    }
}

pub(crate) fn originate_answered<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    let call = Call::ids::<S>("100");
    let (success, event) = originate_outcome(&mut session, call.action("100"));
    assert!(success);
    assert!(is(&event, "OriginateResponse"));
    assert_eq!(value(&event, "Response"), "Success");
    assert_eq!(value(&event, "Reason"), "4");
    assert_eq!(value(&event, "Uniqueid"), call.first);
    session.close();
}

pub(crate) fn originate_busy<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    let (success, event) = originate_outcome(&mut session, Call::ids::<S>("502").action("502"));
    assert!(!success);
    assert_eq!(value(&event, "Response"), "Failure");
    assert_eq!(value(&event, "Reason"), "5", "busy");
    session.close();
}

pub(crate) fn originate_no_answer<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    let action = Call::ids::<S>("501")
        .action("501")
        .header("Timeout", "1000");
    let started = Instant::now();
    let (success, event) = originate_outcome(&mut session, action);
    assert!(!success);
    assert_eq!(value(&event, "Reason"), "3", "no answer");
    assert!(started.elapsed() >= Duration::from_millis(900));
    session.close();
}

pub(crate) fn originate_bad_channel<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    let action = Action::new("Originate")
        .header("Channel", "NoSuchTech/nowhere")
        .header("Application", "Wait")
        .header("Data", "1")
        .header("Async", "true");
    let (success, event) = originate_outcome(&mut session, action);
    assert!(!success);
    assert_eq!(value(&event, "Response"), "Failure");
    assert_eq!(value(&event, "Reason"), "0");
    assert_eq!(value(&event, "Channel"), "NoSuchTech/nowhere");
    // Synchronous, the same channel is refused in the response itself.
    let sync = rejected(
        &mut session,
        Action::new("Originate")
            .header("Channel", "NoSuchTech/nowhere")
            .header("Application", "Wait")
            .header("Data", "1"),
    );
    assert_eq!(text(&sync), "Originate failed");
    session.close();
}

// ---------------------------------------------------------------------------
// Events

pub(crate) fn call_events_from_dial_to_hangup<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    let call = Call::originate(&mut session, "500");
    // Wait until the dialled side is bridged to ours.
    let mut events = events_until(&mut session, Duration::from_secs(10), |e| {
        is(e, "BridgeEnter") && call.owns(e) && value(e, "BridgeNumChannels") == "2"
    });
    call.hangup(&mut session);
    // Three halves of two Local channels, then four halves hang up: ours
    // (`;1`, `;2`) and the dialled Local/102 pair.
    let mut hangups = 0;
    events.extend(events_until(&mut session, Duration::from_secs(10), |e| {
        if is(e, "Hangup") && call.owns(e) {
            hangups += 1;
        }
        hangups == 4
    }));
    let mine: Vec<&Message> = events.iter().filter(|e| call.owns(e)).collect();
    let kinds: Vec<String> = mine.iter().map(|e| e.name().unwrap().to_string()).collect();
    for kind in [
        "Newchannel",
        "Newstate",
        "DialBegin",
        "DialEnd",
        "BridgeEnter",
        "BridgeLeave",
        "Hangup",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} in {kinds:?}");
    }
    let first = |kind: &str| kinds.iter().position(|k| k == kind).unwrap();
    assert!(first("Newchannel") < first("DialBegin"));
    assert!(first("DialBegin") < first("DialEnd"));
    assert!(first("DialEnd") < first("BridgeEnter"));
    assert!(first("BridgeEnter") < first("BridgeLeave"));
    let dial_end = mine.iter().find(|e| is(e, "DialEnd")).unwrap();
    assert_eq!(value(dial_end, "DialStatus"), "ANSWER");
    assert!(value(dial_end, "DestChannel").starts_with("Local/102@default-"));
    let newchannel = mine
        .iter()
        .find(|e| is(e, "Newchannel") && value(e, "Uniqueid") == call.first)
        .unwrap();
    assert_eq!(value(newchannel, "Linkedid"), call.first);
    // The half hung up without a Cause says 0 "Unknown"; those it took
    // down say 16 "Normal Clearing".
    for hangup in mine.iter().filter(|e| is(e, "Hangup")) {
        let (cause, text) = (value(hangup, "Cause"), value(hangup, "Cause-txt"));
        if value(hangup, "Uniqueid") == call.first {
            assert_eq!((cause.as_str(), text.as_str()), ("0", "Unknown"));
        } else {
            assert_eq!((cause.as_str(), text.as_str()), ("16", "Normal Clearing"));
        }
    }
    session.close();
}

pub(crate) fn event_mask_and_events_off<S: Session>() {
    let Some(target) = target() else { return };
    // Only the `user` class: UserEvents, not the call's channel events.
    let mut user_only: S = connect(options(&target.url).events(EventMask::Mask("user".into())));
    let mut control: S = connect(options(&target.url).events(EventMask::Off));
    let tag = unique::<S>("mask");
    ok(
        &mut control,
        Action::new("UserEvent")
            .header("UserEvent", &tag)
            .header("Step", "1"),
    );
    let events = events_until(&mut user_only, Duration::from_secs(5), |e| {
        value(e, "UserEvent") == tag
    });
    assert!(
        events.iter().all(|e| is(e, "UserEvent")),
        "{:?}",
        names(&events)
    );
    // `Events: off` at login: nothing arrives, although the UserEvent was
    // sent in the same way.
    ok(
        &mut control,
        Action::new("UserEvent")
            .header("UserEvent", &tag)
            .header("Step", "2"),
    );
    let silent = events_for(&mut control, Duration::from_millis(500));
    assert!(silent.is_empty(), "{:?}", names(&silent));
    // The `Events` action turns them on for the session.
    let on = ok(
        &mut control,
        Action::new("Events").header("EventMask", "user"),
    );
    assert_eq!(value(on.message(), "Events"), "On");
    ok(
        &mut control,
        Action::new("UserEvent")
            .header("UserEvent", &tag)
            .header("Step", "3"),
    );
    events_until(&mut control, Duration::from_secs(5), |e| {
        value(e, "UserEvent") == tag && value(e, "Step") == "3"
    });
    let off = ok(
        &mut control,
        Action::new("Events").header("EventMask", "off"),
    );
    assert_eq!(value(off.message(), "Events"), "Off");
    user_only.close();
    control.close();
}

pub(crate) fn filter_passes_only_matching_events<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    let tag = unique::<S>("filter");
    let added = ok(
        &mut session,
        Action::new("Filter")
            .header("Operation", "Add")
            .header("Filter", format!("UserEvent: {tag}-yes")),
    );
    assert_eq!(text(&added), "Success");
    // Events raised before the filter (FullyBooted at login, other tests'
    // calls) may still be on their way; everything raised after the first
    // UserEvent below must match the filter.
    for which in ["yes-1", "no", "yes-2"] {
        ok(
            &mut session,
            Action::new("UserEvent").header("UserEvent", format!("{tag}-{which}")),
        );
    }
    let events = events_until(&mut session, Duration::from_secs(5), |e| {
        value(e, "UserEvent") == format!("{tag}-yes-2")
    });
    let after: Vec<String> = events
        .iter()
        .skip_while(|e| value(e, "UserEvent") != format!("{tag}-yes-1"))
        .map(|e| value(e, "UserEvent"))
        .collect();
    assert_eq!(after, [format!("{tag}-yes-1"), format!("{tag}-yes-2")]);
    // Drain for a moment: the filtered-out event never comes.
    let later = events_for(&mut session, Duration::from_millis(300));
    assert!(later.is_empty(), "{:?}", names(&later));
    session.close();
}

pub(crate) fn user_event_round_trip<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    let tag = unique::<S>("user");
    ok(
        &mut session,
        Action::new("UserEvent")
            .header("UserEvent", &tag)
            .header("Color", "blue")
            .header("Empty", "")
            .header("Spaces", "a b  c"),
    );
    let events = events_until(&mut session, Duration::from_secs(5), |e| {
        is(e, "UserEvent") && value(e, "UserEvent") == tag
    });
    let event = events.last().unwrap();
    assert_eq!(value(event, "Color"), "blue");
    assert_eq!(value(event, "Spaces"), "a b  c");
    assert!(event.contains("Empty"));
    assert_eq!(value(event, "Privilege"), "user,all");
    // A UserEvent from the dialplan (extension 300) carries the channel.
    // (300 hangs up without answering: the Originate itself fails.)
    let call = Call::ids::<S>("300");
    let (answered, _) = originate_outcome(&mut session, call.action("300"));
    assert!(!answered);
    let events = events_until(&mut session, Duration::from_secs(5), |e| {
        is(e, "UserEvent") && value(e, "UserEvent") == "MyEvent" && call.owns(e)
    });
    assert_eq!(value(events.last().unwrap(), "Foo"), "bar");
    // A CR or LF in a value never reaches the wire, and costs nothing else.
    let injected = Action::new("UserEvent")
        .header("UserEvent", &tag)
        .header("X", "1\r\nAction: Hangup");
    assert!(matches!(
        session.send(injected),
        Err(ClientError::Invalid(_))
    ));
    ok(&mut session, Action::new("Ping"));
    session.close();
}

// ---------------------------------------------------------------------------
// Live channels

pub(crate) fn getvar_and_setvar_on_a_live_channel<S: Session>() {
    let Some(target) = target() else { return };
    // OriginateResponse is of class `call`: without it the Originate could
    // not complete.
    let mut session: S = connect(options(&target.url).events(EventMask::Mask("call".into())));
    let call = Call::originate(&mut session, "102");
    let channel = call.channel(&mut session);
    ok(
        &mut session,
        Action::new("Setvar")
            .header("Channel", &channel)
            .header("Variable", "AMIRS_VAR")
            .header("Value", "hello world"),
    );
    let got = ok(
        &mut session,
        Action::new("Getvar")
            .header("Channel", &channel)
            .header("Variable", "AMIRS_VAR"),
    );
    assert_eq!(value(got.message(), "Variable"), "AMIRS_VAR");
    assert_eq!(value(got.message(), "Value"), "hello world");
    // A dialplan function on the channel.
    let uniqueid = ok(
        &mut session,
        Action::new("Getvar")
            .header("Channel", &channel)
            .header("Variable", "CHANNEL(uniqueid)"),
    );
    assert_eq!(value(uniqueid.message(), "Value"), call.first);
    // Unset is an empty value, not an error.
    let unset = ok(
        &mut session,
        Action::new("Getvar")
            .header("Channel", &channel)
            .header("Variable", "AMIRS_NEVER_SET"),
    );
    assert_eq!(value(unset.message(), "Value"), "");
    let gone = rejected(
        &mut session,
        Action::new("Getvar")
            .header("Channel", "Local/nobody-00000000;1")
            .header("Variable", "X"),
    );
    assert!(text(&gone).contains("No such channel"), "{}", text(&gone));
    call.hangup(&mut session);
    session.close();
}

pub(crate) fn dbput_and_dbget<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url).events(EventMask::Off));
    let family = unique::<S>("db");
    ok(
        &mut session,
        Action::new("DBPut")
            .header("Family", &family)
            .header("Key", "greeting")
            .header("Val", "hello: world"),
    );
    let got = ok(
        &mut session,
        Action::new("DBGet")
            .header("Family", &family)
            .header("Key", "greeting"),
    );
    // A list of one: the value comes in a DBGetResponse event.
    let event = got.events().first().expect("DBGetResponse");
    assert!(is(event, "DBGetResponse"));
    assert_eq!(value(event, "Val"), "hello: world");
    assert!(is(got.completion().unwrap(), "DBGetComplete"));
    let missing = rejected(
        &mut session,
        Action::new("DBGet")
            .header("Family", &family)
            .header("Key", "absent"),
    );
    assert_eq!(text(&missing), "Database entry not found");
    ok(
        &mut session,
        Action::new("DBDelTree").header("Family", &family),
    );
    rejected(
        &mut session,
        Action::new("DBGet")
            .header("Family", &family)
            .header("Key", "greeting"),
    );
    session.close();
}

pub(crate) fn redirect_a_live_channel<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    let call = Call::originate(&mut session, "102");
    let channel = call.channel(&mut session);
    // Send the `;1` half (in Echo) to 300, which raises MyEvent and hangs up.
    ok(
        &mut session,
        Action::new("Redirect")
            .header("Channel", &channel)
            .header("Context", "default")
            .header("Exten", "300")
            .header("Priority", "1"),
    );
    let events = events_until(&mut session, Duration::from_secs(5), |e| {
        is(e, "Hangup") && value(e, "Uniqueid") == call.first
    });
    assert!(
        events
            .iter()
            .any(|e| is(e, "UserEvent") && value(e, "Uniqueid") == call.first),
        "{:?}",
        names(&events)
    );
    let missing = rejected(
        &mut session,
        Action::new("Redirect")
            .header("Channel", "Local/nobody-00000000;1")
            .header("Context", "default")
            .header("Exten", "300")
            .header("Priority", "1"),
    );
    assert_eq!(
        text(&missing),
        "Channel does not exist: Local/nobody-00000000;1"
    );
    session.close();
}

pub(crate) fn hangup_a_live_channel<S: Session>() {
    let Some(target) = target() else { return };
    let mut session: S = connect(options(&target.url));
    let call = Call::originate(&mut session, "102");
    let channel = call.channel(&mut session);
    ok(
        &mut session,
        Action::new("Hangup")
            .header("Channel", &channel)
            .header("Cause", "17"),
    );
    let events = events_until(&mut session, Duration::from_secs(5), |e| {
        is(e, "Hangup") && value(e, "Uniqueid") == call.first
    });
    let hangup = events.last().unwrap();
    assert_eq!(value(hangup, "Cause"), "17");
    assert_eq!(value(hangup, "Cause-txt"), "User busy");
    let gone = rejected(
        &mut session,
        Action::new("Hangup").header("Channel", &channel),
    );
    assert_eq!(text(&gone), "No such channel");
    session.close();
}

// ---------------------------------------------------------------------------
// Keepalive and reconnection

/// A writer the test reads back.
#[derive(Clone, Default)]
struct Transcript(Arc<Mutex<Vec<u8>>>);

impl Write for Transcript {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Transcript {
    fn count(&self, line: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|l| *l == line)
            .count()
    }
}

pub(crate) fn keepalive_pings_while_idle<S: Session>() {
    let Some(target) = target() else { return };
    let transcript = Transcript::default();
    let options = options(&target.url)
        .events(EventMask::Off)
        .keepalive(Duration::from_millis(200), Duration::from_secs(2))
        .transcript(transcript.clone());
    let mut session: S = connect(options);
    // Idle, but waiting on events: the client pings by itself.
    let idle = events_for(&mut session, Duration::from_millis(1500));
    assert!(idle.is_empty());
    let pings = transcript.count(">> Action: Ping");
    assert!(pings >= 3, "{pings} keepalive pings in 1.5 s");
    assert!(transcript.count("<< Ping: Pong") >= pings - 1);
    ok(&mut session, Action::new("Ping"));
    session.close();
}

pub(crate) fn reconnects_after_asterisk_restarts<S: Session>() {
    if target().is_none() {
        return;
    }
    let Some(instance) = Instance::start() else {
        let _ = writeln!(
            std::io::stderr(),
            "real_asterisk: reconnection skipped: AMI_TEST_ASTERISK_CONTROL \
             (the folder with start and stop) is not set"
        );
        return;
    };
    let transcript = Transcript::default();
    let options = options(&instance.url)
        .events(EventMask::On)
        .reconnect(ami_client::Reconnect {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
            jitter: false,
            max_attempts: None,
        })
        .transcript(transcript.clone());
    let mut session: S = connect(options);
    ok(&mut session, Action::new("Ping"));
    // In flight when Asterisk goes away: a synchronous Originate that
    // rings for 30 s.
    let pending = session.start(
        Action::new("Originate")
            .header("Channel", "Local/501@default")
            .header("Application", "Wait")
            .header("Data", "1")
            .header("Timeout", "30000"),
    );
    std::thread::sleep(Duration::from_millis(300));
    instance.stop();
    // Exactly one outcome, a failure: `core stop now` hangs the ringing
    // channel up first, and Asterisk often still answers "Originate
    // failed" before it closes the socket; if not, the connection's drop
    // ends the action.
    match session.finish(pending) {
        Err(ClientError::Closed(reason)) => {
            assert!(
                !matches!(reason, CloseReason::AuthenticationFailed(_)),
                "{reason}"
            );
        }
        Err(ClientError::Rejected(response)) => {
            assert_eq!(text(&response), "Originate failed");
        }
        other => panic!("{}: the in-flight Originate: {other:?}", S::RUNTIME),
    }
    instance.restart();
    if S::RECONNECTS {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut disconnected = false;
        loop {
            assert!(Instant::now() < deadline, "never reconnected");
            match session.next(Duration::from_millis(200)) {
                Some(Incoming::Disconnected(_)) => disconnected = true,
                Some(Incoming::Reconnected) => break,
                _ => {}
            }
        }
        assert!(disconnected, "Reconnected without Disconnected first");
    } else {
        // The blocking client does not reconnect by itself: the session is
        // closed for good and a new one logs in.
        assert!(matches!(
            session.send(Action::new("Ping")),
            Err(ClientError::Closed(_))
        ));
        session.close();
        session = connect(self::options(&instance.url));
    }
    // Nothing was resent: one Originate went out in all.
    assert_eq!(transcript.count(">> Action: Originate"), 1);
    ok(&mut session, Action::new("Ping"));
    let tag = unique::<S>("after");
    ok(
        &mut session,
        Action::new("UserEvent").header("UserEvent", &tag),
    );
    events_until(&mut session, Duration::from_secs(5), |e| {
        value(e, "UserEvent") == tag
    });
    session.close();
}

/// One `#[test]` per scenario for the session type given.
macro_rules! real_asterisk_tests {
    ($session:ty) => {
        real_asterisk_tests!(@ $session;
            plaintext_login, md5_login, wrong_secret_is_refused,
            limited_user_gets_permission_errors, cli_commands, unknown_cli_command_is_rejected,
            core_show_channels_lists_live_channels, queue_status_shows_members_and_a_waiting_caller,
            bridge_list_and_bridge_info, parked_calls, confbridge_list,
            device_and_extension_state_lists, queue_rule_lists, originate_answered, originate_busy,
            originate_no_answer, originate_bad_channel, call_events_from_dial_to_hangup,
            event_mask_and_events_off, filter_passes_only_matching_events, user_event_round_trip,
            getvar_and_setvar_on_a_live_channel, dbput_and_dbget, redirect_a_live_channel,
            hangup_a_live_channel, keepalive_pings_while_idle, reconnects_after_asterisk_restarts);
    };
    (@ $session:ty; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                scenarios::$name::<$session>();
            }
        )*
    };
}
