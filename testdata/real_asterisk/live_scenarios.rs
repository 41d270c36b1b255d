//! The live model against a real Asterisk (the dialplan of
//! `testdata/asterisk-etc`), written once over [`LiveSession`], which each
//! runtime's `tests/real_asterisk_live.rs` implements; `live_tests!` makes
//! the `#[test]`s. Skipped without `AMI_TEST_URL`, like `scenarios.rs`.
//!
//! The scenarios run one at a time (they compare the whole model with
//! `core show channels concise`), and each checks at its end that the
//! model's channels are the server's, and a fresh sync's.

#[path = "instance.rs"]
mod instance;
use instance::Instance;

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

use ami_client::{ClientError, ClientOptions};
use ami_live::{DeviceState, PartStatus, Progress, State};
use ami_proto::{Action, EventMask, Response};

/// What a tracked originate came to.
pub(crate) struct Tracked {
    pub(crate) id: String,
    pub(crate) other: String,
    pub(crate) outcome: Progress,
    pub(crate) channels: Vec<String>,
}

/// One runtime's live model, driven synchronously.
pub(crate) trait LiveSession: Sized {
    const RUNTIME: &'static str;
    /// Whether the client reconnects by itself.
    const RECONNECTS: bool;
    fn connect(options: ClientOptions) -> Result<Self, ClientError>;
    fn with_state<T>(&mut self, f: impl FnOnce(&State) -> T) -> T;
    fn wait_for(&mut self, condition: impl FnMut(&State) -> bool, timeout: Duration) -> bool;
    fn originate(&mut self, action: Action) -> Tracked;
    fn send(&mut self, action: Action) -> Result<Response, ClientError>;
    fn command(&mut self, command: &str) -> Vec<String>;
    fn missing_events(&self) -> Vec<&'static str>;
    fn close(self);
}

fn url() -> Option<String> {
    static SKIPPED: Once = Once::new();
    match std::env::var("AMI_TEST_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            SKIPPED.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "real_asterisk_live: skipped: AMI_TEST_URL is not set"
                );
            });
            None
        }
    }
}

/// One scenario at a time.
fn serial() -> MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    ONE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn options(url: &str) -> ClientOptions {
    ClientOptions::new(url)
        .expect("AMI_TEST_URL parses")
        .connect_timeout(Duration::from_secs(5))
        .action_timeout(Duration::from_secs(15))
}

fn connect<S: LiveSession>(options: ClientOptions) -> S {
    let mut s = S::connect(options).unwrap_or_else(|e| panic!("{}: {e}", S::RUNTIME));
    assert!(
        s.wait_for(State::is_synced, Duration::from_secs(10)),
        "{}: never synced",
        S::RUNTIME
    );
    s
}

fn originate(exten: &str) -> Action {
    Action::new("Originate")
        .header("Channel", format!("Local/{exten}@default"))
        .header("Application", "Wait")
        .header("Data", "30")
}

/// The channel names `core show channels concise` lists.
fn server_channels<S: LiveSession>(s: &mut S) -> BTreeSet<String> {
    s.command("core show channels concise")
        .iter()
        .filter_map(|l| l.split('!').next())
        .filter(|n| !n.is_empty())
        // ConfBridge's announcer channels (`CBAnn/1-…;1/;2`) are listed by
        // the CLI but neither by CoreShowChannels nor in any event: AMI
        // does not show them, so the model cannot.
        .filter(|n| !n.starts_with("CBAnn/"))
        .map(str::to_owned)
        .collect()
}

fn model_channels(state: &State) -> BTreeSet<String> {
    state.channels().map(|c| c.name.clone()).collect()
}

/// What the CLI shows of bridges, parked calls, conferences and queue
/// callers, in a form the model can be held against.
#[derive(Debug, PartialEq, Eq)]
struct Pbx {
    /// `bridge show all`: the bridge ids.
    bridges: BTreeSet<String>,
    /// `parking show default`: (space, channel) of each parked call.
    parked: BTreeSet<(String, String)>,
    /// `confbridge list` and `confbridge list <name>`: each conference's
    /// participants' channels (the announcer, which AMI never shows, left
    /// out).
    conferences: BTreeSet<(String, BTreeSet<String>)>,
    /// `queue show <name>`: each queue's callers' channels, by position.
    callers: BTreeSet<(String, Vec<String>)>,
}

/// Strips the colours `queue show` paints with.
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn server_pbx<S: LiveSession>(s: &mut S) -> Pbx {
    let bridges = s
        .command("bridge show all")
        .iter()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    let mut parked = BTreeSet::new();
    let mut space = None;
    for line in s.command("parking show default") {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("Space") {
            space = v.split(':').nth(1).map(|v| v.trim().to_owned());
        } else if let (Some(v), Some(sp)) = (line.strip_prefix("Channel"), &space)
            && let Some(ch) = v.split_once(':').map(|(_, c)| c.trim().to_owned())
        {
            parked.insert((sp.clone(), ch));
        }
    }
    let names: Vec<String> = s
        .command("confbridge list")
        .iter()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    let mut conferences = BTreeSet::new();
    for name in names {
        let people = s
            .command(&format!("confbridge list {name}"))
            .iter()
            .skip(2)
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .filter(|c| !c.starts_with("CBAnn/"))
            .collect();
        conferences.insert((name, people));
    }
    let mut callers = BTreeSet::new();
    for queue in ["support", "sales"] {
        let mut list = Vec::new();
        for line in s.command(&format!("queue show {queue}")) {
            let line = plain(&line);
            let line = line.trim();
            // "1. Local/401@default-000000b6;2 (wait: 0:03, prio: 0)"
            if let Some((n, rest)) = line.split_once(". ")
                && !n.is_empty()
                && n.chars().all(|c| c.is_ascii_digit())
                && let Some(ch) = rest.split_whitespace().next()
            {
                list.push(ch.to_owned());
            }
        }
        callers.insert((queue.to_owned(), list));
    }
    Pbx {
        bridges,
        parked,
        conferences,
        callers,
    }
}

fn model_pbx(state: &State) -> Pbx {
    Pbx {
        bridges: state.bridges().map(|b| b.id.clone()).collect(),
        parked: state
            .parked_calls()
            .map(|p| (p.space.clone(), p.channel.clone()))
            .collect(),
        conferences: state
            .conferences()
            .map(|c| {
                let people = c.participants.values().map(|p| p.channel.clone()).collect();
                (c.name.clone(), people)
            })
            .collect(),
        callers: ["support", "sales"]
            .into_iter()
            .map(|q| {
                let list = state
                    .queue(q)
                    .map(|q| q.callers.iter().map(|c| c.channel.clone()).collect())
                    .unwrap_or_default();
                (q.to_owned(), list)
            })
            .collect(),
    }
}

/// The model's channels are the server's (within a few seconds: hangups
/// in flight), and those of a fresh sync on a new connection.
fn check_against_server<S: LiveSession>(s: &mut S, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let server = server_channels(s);
        let model = s.with_state(model_channels);
        if server == model {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{}: model {model:?} != server {server:?}",
            S::RUNTIME
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Bridges, parked calls, conferences and queue callers as the CLI
    // shows them (`bridge show all`, `parking show default`,
    // `confbridge list`, `queue show`).
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let server = server_pbx(s);
        let model = s.with_state(model_pbx);
        if server == model {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{}: model {model:#?} != server {server:#?}",
            S::RUNTIME
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut fresh: S = connect(options(url));
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let a = fresh.with_state(|st| (model_channels(st), model_pbx(st)));
        let b = s.with_state(|st| (model_channels(st), model_pbx(st)));
        if a == b {
            break;
        }
        assert!(Instant::now() < deadline, "fresh sync {a:?} != model {b:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    fresh.close();
}

fn hangup<S: LiveSession>(s: &mut S, call: &Tracked) {
    let name = s.with_state(|st| st.channel(&call.id).map(|c| c.name.clone()));
    if let Some(name) = name {
        let _ = s.send(Action::new("Hangup").header("Channel", name));
    }
    let id = call.id.clone();
    assert!(
        s.wait_for(
            move |st| st.channels_of_call(&id).next().is_none(),
            Duration::from_secs(10)
        ),
        "{}: the call's channels stayed after the hangup",
        S::RUNTIME
    );
}

pub(crate) fn live_originate_bridged_and_hangup<S: LiveSession>() {
    let Some(url) = url() else { return };
    let _one = serial();
    let mut s: S = connect(options(&url));
    let call = s.originate(originate("500"));
    assert_eq!(call.outcome, Progress::Answered, "{}", S::RUNTIME);
    assert_eq!(call.channels, [call.id.clone(), call.other.clone()]);
    // 500 dials Local/102: four channels of one call, two of them bridged.
    let id = call.id.clone();
    assert!(
        s.wait_for(
            move |st| st.channels_of_call(&id).count() == 4
                && st
                    .bridges_of_call(&id)
                    .first()
                    .is_some_and(|b| b.channels.len() == 2),
            Duration::from_secs(10)
        ),
        "{}: no bridged call of four channels",
        S::RUNTIME
    );
    check_against_server(&mut s, &url);
    hangup(&mut s, &call);
    check_against_server(&mut s, &url);
    s.close();
}

pub(crate) fn live_originate_busy_and_no_answer<S: LiveSession>() {
    let Some(url) = url() else { return };
    let _one = serial();
    let mut s: S = connect(options(&url));
    let busy = s.originate(originate("502"));
    assert_eq!(busy.outcome, Progress::Busy, "{}", S::RUNTIME);
    let started = Instant::now();
    let quiet = s.originate(originate("501").header("Timeout", "2000"));
    assert_eq!(quiet.outcome, Progress::NoAnswer, "{}", S::RUNTIME);
    assert!(started.elapsed() >= Duration::from_millis(1800));
    // Dialplan that ends without answering: failed, Reason 0.
    let ends = s.originate(originate("300"));
    match &ends.outcome {
        Progress::Failed(f) => assert_eq!(f.reason, Some(0)),
        other => panic!("{}: 300: {other:?}", S::RUNTIME),
    }
    let bad = s.originate(
        Action::new("Originate")
            .header("Channel", "NoSuchTech/nowhere")
            .header("Application", "Wait")
            .header("Data", "1"),
    );
    assert!(matches!(bad.outcome, Progress::Failed(_)));
    assert!(bad.channels.is_empty());
    check_against_server(&mut s, &url);
    s.close();
}

pub(crate) fn live_queue_park_conference_device<S: LiveSession>() {
    let Some(url) = url() else { return };
    let _one = serial();
    let mut s: S = connect(options(&url));
    // A caller into queue support, answered by Alice (Local/100@agents).
    let caller = s.originate(originate("400"));
    assert_eq!(caller.outcome, Progress::Answered);
    let id = caller.id.clone();
    assert!(
        s.wait_for(
            move |st| st
                .channels_of_call(&id)
                .any(|c| c.name.starts_with("Local/100@agents") && c.bridge.is_some()),
            Duration::from_secs(10)
        ),
        "{}: no member answered the queue caller",
        S::RUNTIME
    );
    assert!(s.with_state(|st| st.queue("support").is_some_and(|q| q.members.len() == 2)));
    // Parked: the ;2 half runs Park().
    let parked = s.originate(originate("700"));
    let other = parked.other.clone();
    assert!(
        s.wait_for(
            move |st| st.parked_call(&other).is_some_and(|p| p.lot == "default"),
            Duration::from_secs(10)
        ),
        "{}: no parked call",
        S::RUNTIME
    );
    // ConfBridge room 1.
    let conf = s.originate(originate("800"));
    let other = conf.other.clone();
    assert!(
        s.wait_for(
            move |st| st
                .conference("1")
                .is_some_and(|c| c.participants.contains_key(&other)),
            Duration::from_secs(10)
        ),
        "{}: no participant",
        S::RUNTIME
    );
    // Device state Custom:desk900 INUSE while the call lasts.
    let desk = s.originate(originate("900"));
    assert!(
        s.wait_for(
            |st| st
                .device("Custom:desk900")
                .is_some_and(|d| d.state == DeviceState::InUse),
            Duration::from_secs(10)
        ),
        "{}: desk900 not in use",
        S::RUNTIME
    );
    // A caller waiting in queue sales (no members: it waits).
    let waiting = s.originate(originate("401"));
    let other = waiting.other.clone();
    assert!(
        s.wait_for(
            move |st| st
                .queue("sales")
                .is_some_and(|q| q.callers.iter().any(|c| c.uniqueid == other)),
            Duration::from_secs(10)
        ),
        "{}: no caller waiting in sales",
        S::RUNTIME
    );
    check_against_server(&mut s, &url);
    // Redirected out of the queue to 102 (Wait 600): it leaves the queue,
    // the model follows it to its new place.
    let name = s.with_state(|st| st.channel(&waiting.other).map(|c| c.name.clone()));
    let name = name.expect("the waiting half");
    let answer = s.send(
        Action::new("Redirect")
            .header("Channel", &name)
            .header("Context", "default")
            .header("Exten", "102")
            .header("Priority", "1"),
    );
    assert!(answer.is_ok(), "{}: Redirect: {answer:?}", S::RUNTIME);
    let other = waiting.other.clone();
    assert!(
        s.wait_for(
            move |st| st.queue("sales").is_some_and(|q| q.callers.is_empty())
                && st
                    .channel(&other)
                    .is_some_and(|c| c.exten == "102" && c.application == "Wait"),
            Duration::from_secs(10)
        ),
        "{}: the redirected caller is not at 102 in Wait",
        S::RUNTIME
    );
    check_against_server(&mut s, &url);
    hangup(&mut s, &waiting);
    hangup(&mut s, &conf);
    let other = conf.other.clone();
    assert!(s.wait_for(
        move |st| {
            st.conference("1")
                .is_none_or(|c| !c.participants.contains_key(&other))
        },
        Duration::from_secs(10)
    ));
    hangup(&mut s, &desk);
    assert!(s.wait_for(
        |st| {
            st.device("Custom:desk900")
                .is_some_and(|d| d.state == DeviceState::NotInUse)
        },
        Duration::from_secs(10)
    ));
    hangup(&mut s, &parked);
    let other = parked.other.clone();
    assert!(s.with_state(|st| st.parked_call(&other).is_none()));
    hangup(&mut s, &caller);
    check_against_server(&mut s, &url);
    s.close();
}

pub(crate) fn live_park_times_out<S: LiveSession>() {
    let Some(url) = url() else { return };
    let _one = serial();
    let mut s: S = connect(options(&url));
    // A call waiting at 102, its ;2 half parked with a 3 s timeout (the
    // lot's own is 300 s).
    let call = s.originate(originate("102"));
    assert_eq!(call.outcome, Progress::Answered, "{}", S::RUNTIME);
    let name = s.with_state(|st| st.channel(&call.other).map(|c| c.name.clone()));
    let name = name.expect("the ;2 half");
    let answer = s.send(
        Action::new("Park")
            .header("Channel", &name)
            .header("Timeout", "3000")
            .header("Parkinglot", "default"),
    );
    assert!(answer.is_ok(), "{}: Park: {answer:?}", S::RUNTIME);
    let other = call.other.clone();
    assert!(
        s.wait_for(
            move |st| st
                .parked_call(&other)
                .is_some_and(|p| p.lot == "default" && p.space.starts_with("70")),
            Duration::from_secs(5)
        ),
        "{}: not parked",
        S::RUNTIME
    );
    check_against_server(&mut s, &url);
    // ParkedCallTimeOut: it leaves its space (and comes back to 102).
    let other = call.other.clone();
    assert!(
        s.wait_for(
            move |st| st.parked_call(&other).is_none(),
            Duration::from_secs(10)
        ),
        "{}: the parked call did not time out",
        S::RUNTIME
    );
    check_against_server(&mut s, &url);
    hangup(&mut s, &call);
    check_against_server(&mut s, &url);
    s.close();
}

pub(crate) fn live_events_off_reports_missing_and_originate_still_tracked<S: LiveSession>() {
    let Some(url) = url() else { return };
    let _one = serial();
    let mut s: S = connect(options(&url).events(EventMask::Off));
    assert_eq!(s.missing_events(), ["call", "dialplan", "agent"]);
    let call = s.originate(originate("100"));
    assert_eq!(call.outcome, Progress::Answered, "{}", S::RUNTIME);
    assert_eq!(call.channels.len(), 2);
    // The channels' events can trail the OriginateResponse (Asterisk writes
    // it itself; they come through its message bus): the mask stays open
    // until the model has them, then goes back to off.
    let (id, other) = (call.id.clone(), call.other.clone());
    assert!(
        s.wait_for(
            move |st| st.channel(&id).is_some() && st.channel(&other).is_some(),
            Duration::from_secs(5)
        ),
        "{}: the model lacks the call's channels",
        S::RUNTIME
    );
    s.close();
}

pub(crate) fn live_goes_stale_and_resyncs_after_asterisk_restarts<S: LiveSession>() {
    if url().is_none() || !S::RECONNECTS {
        return;
    }
    let Some(instance) = Instance::start() else {
        let _ = writeln!(
            std::io::stderr(),
            "real_asterisk_live: restart skipped: AMI_TEST_ASTERISK_CONTROL is not set"
        );
        return;
    };
    let options = options(&instance.url).reconnect(ami_client::Reconnect {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(500),
        jitter: false,
        max_attempts: None,
    });
    let mut s: S = connect(options);
    let call = s.originate(originate("102"));
    assert_eq!(call.outcome, Progress::Answered);
    instance.stop();
    assert!(
        s.wait_for(
            |st| *st.status(ami_live::Part::Channels) == PartStatus::Stale,
            Duration::from_secs(10)
        ),
        "{}: never stale",
        S::RUNTIME
    );
    // `core stop now` hangs the channels up first, so the Hangup events
    // may have removed the call already; if they did not come, the sync
    // after the reconnection removes it.
    instance.restart();
    let id = call.id.clone();
    assert!(
        s.wait_for(
            move |st| st.is_synced() && st.channel(&id).is_none(),
            Duration::from_secs(20)
        ),
        "{}: never re-synced without the vanished call",
        S::RUNTIME
    );
    check_against_server(&mut s, &instance.url);
    s.close();
}

/// One `#[test]` per scenario for the live session type given.
macro_rules! live_tests {
    ($session:ty) => {
        live_tests!(@ $session;
            live_originate_bridged_and_hangup, live_originate_busy_and_no_answer,
            live_queue_park_conference_device, live_park_times_out,
            live_events_off_reports_missing_and_originate_still_tracked,
            live_goes_stale_and_resyncs_after_asterisk_restarts);
    };
    (@ $session:ty; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                live_scenarios::$name::<$session>();
            }
        )*
    };
}
