//! `ami top` driven like a person: in a real terminal (tmux), keys sent
//! with `send-keys`, the screen read with `capture-pane`, against the fake
//! PBX of ami-testkit and, when `AMI_TEST_URL` is set, a real Asterisk
//! (with `AMI_TEST_ASTERISK_CONTROL`, one of its own to restart).
//!
//! Without tmux the tests pass at once and say so on stderr.

#[path = "../../testdata/real_asterisk/instance.rs"]
mod instance;
use instance::Instance;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ami_proto::Action;
use ami_testkit::Server;

/// How long the screen may take to show what a test waits for.
const SCREEN_LIMIT: Duration = Duration::from_secs(15);

fn have_tmux(test: &str) -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("top: {test} skipped: tmux is not installed (apt-get install tmux)");
    }
    ok
}

/// `ami top` in a tmux session of its own (its own server socket), killed
/// when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `ami <args> top` in a `width`×`height` terminal. When it
    /// exits, the pane says `EXIT=<status>` and stays.
    fn start(args: &[&str], width: u16, height: u16) -> Tmux {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "ami-top-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let mut line = quote(env!("CARGO_BIN_EXE_ami"));
        for a in args {
            line += " ";
            line += &quote(a);
        }
        line += " top 2>/dev/null; echo EXIT=$?; sleep 600";
        let tmux = Tmux { socket };
        let status = tmux
            .command()
            .args(["new-session", "-d", "-s", "top", "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .args(["env", "-u", "AMI_URL", "TERM=xterm-256color", "sh", "-c"])
            .arg(line)
            .status()
            .expect("runs tmux");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]);
        c
    }

    /// Sends tmux key names (`q`, `C-c`, `Down`, `Enter`) or, with
    /// `literal`, text.
    fn keys(&self, keys: &[&str]) {
        let status = self
            .command()
            .args(["send-keys", "-t", "top"])
            .args(keys)
            .status()
            .expect("runs tmux");
        assert!(status.success());
    }

    fn text(&self, text: &str) {
        let status = self
            .command()
            .args(["send-keys", "-t", "top", "-l", text])
            .status()
            .expect("runs tmux");
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-t", "top"])
            .output()
            .expect("runs tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn resize(&self, width: u16, height: u16) {
        let status = self
            .command()
            .args(["resize-window", "-t", "top", "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .status()
            .expect("runs tmux");
        assert!(status.success());
    }

    /// The screen once `ready` holds for it; panics with the screen after
    /// [`SCREEN_LIMIT`].
    #[track_caller]
    /// Presses `keys` until the screen shows what `ready` wants (a person
    /// presses again when the row they meant went away under the key),
    /// at most three times.
    fn press_until(&self, keys: &[&str], what: &str, ready: impl Fn(&str) -> bool) -> String {
        for _ in 0..2 {
            self.keys(keys);
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                let screen = self.screen();
                if ready(&screen) {
                    return screen;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        self.keys(keys);
        self.wait_for(what, ready)
    }

    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + SCREEN_LIMIT;
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("the screen never showed {what}:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}

/// The channels the calls pane shows: the second word of each row under
/// its `Call Channel …` header.
fn channels_on(screen: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_table = false;
    for line in screen.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.starts_with(&["Call", "Channel"]) {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        let marker = words.first().copied().unwrap_or("");
        let is_row = marker.parse::<u32>().is_ok() || marker == "├" || marker == "└";
        match words.get(1) {
            Some(name) if is_row => {
                out.insert((*name).to_owned());
            }
            _ => in_table = false,
        }
    }
    out
}

/// The channels `core show channels concise` lists now.
fn concise(client: &mut ami_blocking::Client) -> BTreeSet<String> {
    client
        .command("core show channels concise")
        .expect("core show channels concise")
        .iter()
        .filter_map(|l| l.split('!').next())
        .filter(|n| !n.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Waits until the screen lists the channels the server lists, asked
/// right between two looks at the screen that agree (the PBX moves).
#[track_caller]
fn assert_screen_shows_concise(tmux: &Tmux, client: &mut ami_blocking::Client) -> BTreeSet<String> {
    let deadline = Instant::now() + SCREEN_LIMIT;
    loop {
        let before = channels_on(&tmux.screen());
        let listed = concise(client);
        let after = channels_on(&tmux.screen());
        if before == after && after == listed {
            return listed;
        }
        if Instant::now() > deadline {
            panic!(
                "the screen shows {after:?}, the server lists {listed:?}\n{}",
                tmux.screen()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn live(screen: &str) -> bool {
    screen.lines().any(|l| l.trim_start().starts_with("live ·"))
}

// ---- against the fake PBX ------------------------------------------------

#[test]
fn fake_pbx_screen_shows_the_channels_core_show_channels_lists() {
    if !have_tmux("fake_pbx_screen_shows_the_channels_core_show_channels_lists") {
        return;
    }
    let server = Server::builder().busy_pbx().start();
    let url = server.url();
    let tmux = Tmux::start(&["--url", &url], 160, 40);
    let screen = tmux.wait_for("the calls pane, live", live);
    assert!(screen.contains("1 Calls"), "{screen}");
    assert!(screen.contains(" · Asterisk 22.10.1"), "{screen}");
    let mut client = ami_blocking::Client::connect(&url).unwrap();
    // The busy PBX has calls most of the time, not always: a moment when
    // it has some, shown as listed.
    let deadline = Instant::now() + SCREEN_LIMIT;
    let shown = loop {
        let shown = assert_screen_shows_concise(&tmux, &mut client);
        if !shown.is_empty() || Instant::now() > deadline {
            break shown;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        !shown.is_empty(),
        "the busy PBX had no call on screen for {SCREEN_LIMIT:?}"
    );
    // The queue pane shows the support queue and its members.
    tmux.keys(&["2"]);
    tmux.wait_for("the support queue", |s| {
        s.contains("support")
            && s.contains("waiting")
            && s.contains("Member")
            && s.contains("INUSE")
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the exit", |s| s.contains("EXIT=0"));
}

#[test]
fn fake_pbx_hangup_from_the_screen_asks_then_hangs_up() {
    if !have_tmux("fake_pbx_hangup_from_the_screen_asks_then_hangs_up") {
        return;
    }
    let server = Server::builder().busy_pbx().start();
    let tmux = Tmux::start(&["--url", &server.url()], 160, 40);
    tmux.wait_for("live", |s| live(s) && !channels_on(s).is_empty());
    let screen = tmux.press_until(&["Home", "h"], "the question", |s| s.contains("? y/n"));
    let question = screen.lines().find(|l| l.contains("? y/n")).unwrap();
    let channel = question
        .trim()
        .strip_prefix("Hang up ")
        .and_then(|q| q.strip_suffix("? y/n"))
        .unwrap_or_else(|| panic!("{question:?}"))
        .to_owned();
    // Nothing is sent before the answer.
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.received_actions("Hangup").is_empty());
    tmux.keys(&["y"]);
    let sent = server
        .wait_for_action("Hangup", Duration::from_secs(5))
        .expect("a Hangup action");
    assert_eq!(
        sent.get("Channel").map(|c| c.to_string()),
        Some(channel.clone())
    );
    let screen = tmux.wait_for("the outcome", |s| {
        s.contains(&format!("hung up {channel}")) || s.contains("refused")
    });
    if screen.contains(&format!("hung up {channel}")) {
        // Gone from the server, and then from the screen.
        assert!(!server.channels().contains(&channel));
        tmux.wait_for("the channel gone", |s| !channels_on(s).contains(&channel));
    }
    // n cancels.
    tmux.press_until(&["Home", "h"], "the question", |s| s.contains("? y/n"));
    tmux.keys(&["n"]);
    tmux.wait_for("the cancel", |s| s.contains("hangup cancelled"));
    assert_eq!(server.received_actions("Hangup").len(), 1);
}

#[test]
fn fake_pbx_keys_switch_filter_help_and_quit_restores_the_terminal() {
    if !have_tmux("fake_pbx_keys_switch_filter_help_and_quit_restores_the_terminal") {
        return;
    }
    let server = Server::builder().busy_pbx().start();
    let tmux = Tmux::start(&["--url", &server.url()], 120, 30);
    tmux.wait_for("live", live);
    tmux.keys(&["?"]);
    tmux.wait_for("the keys", |s| s.contains("hang up the selected channel"));
    tmux.keys(&["Escape"]);
    tmux.wait_for("the keys gone", |s| {
        !s.contains("hang up the selected channel")
    });
    for (key, title) in [("5", "hint"), ("3", "parked"), ("Tab", "conference")] {
        tmux.keys(&[key]);
        tmux.wait_for(title, |s| s.to_lowercase().contains(title));
    }
    tmux.keys(&["1", "/"]);
    tmux.text("no-such-channel");
    tmux.keys(&["Enter"]);
    tmux.wait_for("an empty filter result", |s| {
        s.contains("no call matches \"no-such-channel\"")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("the calls again", |s| !channels_on(s).is_empty());
    // Ctrl-C quits too, and the shell's screen is back.
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("the exit", |s| s.contains("EXIT=0"));
    assert!(!screen.contains("1 Calls"), "{screen}");
}

#[test]
fn fake_pbx_resizes_cleanly() {
    if !have_tmux("fake_pbx_resizes_cleanly") {
        return;
    }
    let server = Server::builder().busy_pbx().start();
    let tmux = Tmux::start(&["--url", &server.url()], 150, 30);
    tmux.wait_for("the wide screen", |s| live(s) && s.contains("Application"));
    tmux.resize(46, 14);
    let screen = tmux.wait_for("the narrow screen", |s| {
        s.contains("1 Calls") && !s.contains("Application") && s.contains("Channel")
    });
    assert!(screen.lines().all(|l| l.chars().count() <= 46), "{screen}");
    tmux.resize(150, 30);
    tmux.wait_for("the wide screen again", |s| s.contains("Application"));
}

#[test]
fn fake_pbx_restart_shows_reconnecting_then_live() {
    if !have_tmux("fake_pbx_restart_shows_reconnecting_then_live") {
        return;
    }
    // The blocking client is reconnected by `top`, the async ones by
    // themselves: the screen says the same.
    for runtime in ["blocking", "tokio", "smol"] {
        let server = Server::builder().busy_pbx().start();
        let port = server.addr().port();
        let url = server.url();
        let tmux = Tmux::start(&["--url", &url, "--runtime", runtime], 150, 30);
        tmux.wait_for("live", live);
        server.shutdown();
        tmux.wait_for("reconnecting", |s| s.contains("reconnecting…"));
        let server = Server::builder().busy_pbx().port(port).start();
        tmux.wait_for("live again", live);
        let mut client = ami_blocking::Client::connect(&server.url()).unwrap();
        assert_screen_shows_concise(&tmux, &mut client);
        tmux.keys(&["q"]);
        tmux.wait_for("the exit", |s| s.contains("EXIT=0"));
    }
}

// ---- against a real Asterisk -------------------------------------------

fn real_url(test: &str) -> Option<String> {
    let url = std::env::var("AMI_TEST_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("top: {test} skipped: AMI_TEST_URL is not set");
    }
    url
}

/// Originates a 600 s call (`Local/102@default`, `Wait`), waits for its
/// two channels; their names.
fn long_call(client: &mut ami_blocking::Client) -> Vec<String> {
    let before = concise(client);
    client
        .action(
            Action::new("Originate")
                .header("Channel", "Local/102@default")
                .header("Application", "Wait")
                .header("Data", "600")
                .header("CallerID", "Top Test <4242>")
                .header("Async", "true"),
        )
        .expect("Originate");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let new: Vec<String> = concise(client).difference(&before).cloned().collect();
        if new.len() >= 2 {
            return new;
        }
        assert!(Instant::now() < deadline, "the call never came up");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn hang_up_all(client: &mut ami_blocking::Client, channels: &[String]) {
    for c in channels {
        let _ = client.action(Action::new("Hangup").header("Channel", c));
    }
}

#[test]
fn real_asterisk_screen_and_hangup() {
    if !have_tmux("real_asterisk_screen_and_hangup") {
        return;
    }
    let Some(url) = real_url("real_asterisk_screen_and_hangup") else {
        return;
    };
    let mut client = ami_blocking::Client::connect(&url).unwrap();
    let call = long_call(&mut client);
    let tmux = Tmux::start(&["--url", &url], 160, 40);
    tmux.wait_for("live", live);
    let shown = assert_screen_shows_concise(&tmux, &mut client);
    assert!(call.iter().all(|c| shown.contains(c)), "{shown:?} {call:?}");
    // Select the call's first channel with the filter, hang it up.
    let target = call.iter().min().unwrap().clone();
    tmux.keys(&["/"]);
    tmux.text(&target);
    tmux.keys(&["Enter", "Home", "h"]);
    tmux.wait_for("the question", |s| {
        s.contains(&format!("Hang up {target}? y/n"))
    });
    tmux.keys(&["y"]);
    tmux.wait_for("the outcome", |s| s.contains(&format!("hung up {target}")));
    let deadline = Instant::now() + Duration::from_secs(10);
    while concise(&mut client).contains(&target) {
        assert!(Instant::now() < deadline, "{target} is still up");
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux.keys(&["Escape"]);
    assert_screen_shows_concise(&tmux, &mut client);
    hang_up_all(&mut client, &call);
    tmux.keys(&["q"]);
    tmux.wait_for("the exit", |s| s.contains("EXIT=0"));
}

#[test]
fn real_asterisk_restart_shows_reconnecting_then_the_calls_again() {
    let test = "real_asterisk_restart_shows_reconnecting_then_the_calls_again";
    if !have_tmux(test) {
        return;
    }
    let Some(instance) = Instance::start() else {
        eprintln!("top: {test} skipped: AMI_TEST_ASTERISK_CONTROL is not set");
        return;
    };
    let mut client = ami_blocking::Client::connect(&instance.url).unwrap();
    let call = long_call(&mut client);
    let tmux = Tmux::start(&["--url", &instance.url], 160, 40);
    tmux.wait_for("live", live);
    let shown = assert_screen_shows_concise(&tmux, &mut client);
    assert!(call.iter().all(|c| shown.contains(c)), "{shown:?}");
    drop(client);
    instance.stop();
    // Asterisk hangs its channels up as it stops (the screen follows),
    // then closes the connection.
    tmux.wait_for("reconnecting", |s| s.contains("reconnecting…"));
    instance.restart();
    tmux.wait_for("live again", live);
    // The restart ended the old call: the screen shows what the new
    // Asterisk has, and a new call once it is up.
    let mut client = ami_blocking::Client::connect(&instance.url).unwrap();
    assert_screen_shows_concise(&tmux, &mut client);
    let again = long_call(&mut client);
    let shown = assert_screen_shows_concise(&tmux, &mut client);
    assert!(again.iter().all(|c| shown.contains(c)), "{shown:?}");
    hang_up_all(&mut client, &again);
    tmux.keys(&["q"]);
    tmux.wait_for("the exit", |s| s.contains("EXIT=0"));
}
