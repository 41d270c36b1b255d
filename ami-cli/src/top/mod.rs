//! `ami top`: the PBX live in a terminal. The live model (ami-live) is
//! synced over the session and kept from its events; the screen
//! ([`view::render`], pure) is redrawn a few times a second from it and the
//! interaction state ([`ui::Ui`]); keys come from crossterm.
//!
//! The loop: read the keys that are waiting, then the session's events
//! (waiting at most [`TICK`]), then redraw when something changed or the
//! durations ticked. A dropped connection shows `reconnecting…`: the
//! blocking client is connected anew from here, with backoff (the screen
//! and the keys keep working meanwhile); the async clients reconnect by
//! themselves. After each reconnection the model is synced again, which
//! removes what went away meanwhile.

pub(crate) mod ui;
pub(crate) mod view;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ami_client::{ClientError, Incoming};
use ami_live::Live;
use ami_proto::Action;
use crossterm::event::{self, Event};

use crate::live::{feed, sync, unix_now};
use crate::session::Session;
use ui::{Command, Ui};
use view::{Conn, Status};

/// How long one wait for events lasts: the keys' latency.
const TICK: Duration = Duration::from_millis(50);

/// The longest time between two redraws (the durations tick).
const REDRAW: Duration = Duration::from_millis(250);

/// At most this many events are applied between two looks at the keys.
const BATCH: usize = 2000;

/// The backoff of `top`'s reconnections: quick at first, never more than
/// 5 s apart (a screen someone watches).
pub(crate) fn reconnect_policy() -> ami_client::Reconnect {
    ami_client::Reconnect {
        max: Duration::from_secs(5),
        ..ami_client::Reconnect::default()
    }
}

/// Connects a new session (the blocking client's reconnection).
pub(crate) type ConnectAgain<'a> = &'a dyn Fn() -> Result<Box<dyn Session>, ClientError>;

/// What `top` needs besides the session.
pub(crate) struct TopJob<'a> {
    /// The server as the status line names it.
    pub(crate) server: String,
    /// Set for the blocking client: how to connect again.
    pub(crate) connect_again: Option<ConnectAgain<'a>>,
    /// Notices the connection gave (skipped messages), shown on screen.
    pub(crate) notices: Arc<Mutex<Vec<String>>>,
}

/// The blocking client's reconnection, in progress.
struct Down {
    attempt: u32,
    at: Instant,
    reason: String,
}

/// "Asterisk 22.10.1" from `core show version`, if the user may ask.
fn version(session: &mut dyn Session) -> Option<String> {
    let lines = session.command("core show version").ok()?;
    let first = lines.iter().find(|l| !l.trim().is_empty())?;
    let words: Vec<&str> = first.split_whitespace().take(2).collect();
    Some(words.join(" "))
}

/// Events per second over the last second or so.
struct Rate {
    since: Instant,
    count: u64,
    value: f64,
}

impl Rate {
    fn tick(&mut self, now: Instant) -> bool {
        let elapsed = now - self.since;
        if elapsed < Duration::from_secs(1) {
            return false;
        }
        self.value = self.count as f64 / elapsed.as_secs_f64();
        self.count = 0;
        self.since = now;
        true
    }
}

/// Restores the terminal however `run` ends (a panic too: ratatui's hook).
struct Screen(ratatui::DefaultTerminal);

impl Drop for Screen {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

fn random() -> f64 {
    f64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos()),
    ) / 1e9
}

/// Runs `ami top` until `q` or Ctrl-C.
pub(crate) fn run(session: &mut Box<dyn Session>, job: &TopJob<'_>) -> Result<(), crate::Failure> {
    let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut ui = Ui::new(colour);
    let mut live = Live::new();
    live.record_changes(false);
    live.set_now(unix_now());
    let mut status = Status {
        server: job.server.clone(),
        version: version(&mut **session),
        conn: Conn::Syncing,
        events_per_sec: 0.0,
        lost: 0,
    };
    let mut pending = VecDeque::new();
    let mut down: Option<Down> = None;
    let mut rate = Rate {
        since: Instant::now(),
        count: 0,
        value: 0.0,
    };

    let terminal = ratatui::try_init()
        .map_err(|e| crate::Failure::Error(format!("cannot set up the terminal: {e}")))?;
    let mut screen = Screen(terminal);
    draw(&mut screen, &live, &status, &mut ui)?;

    let mut resync = true;
    let mut last_draw = Instant::now();
    loop {
        if resync {
            resync = false;
            status.conn = Conn::Syncing;
            draw(&mut screen, &live, &status, &mut ui)?;
            match sync(&mut **session, &mut live, &mut pending) {
                Ok(()) => {
                    status.conn = Conn::Live;
                    status.lost = 0;
                }
                Err(e) => {
                    live.disconnected();
                    status.conn = Conn::Reconnecting {
                        attempt: 0,
                        retry_in: None,
                        reason: e.to_string(),
                    };
                    if job.connect_again.is_some() {
                        down = Some(Down {
                            attempt: 0,
                            at: Instant::now(),
                            reason: e.to_string(),
                        });
                    }
                }
            }
            draw(&mut screen, &live, &status, &mut ui)?;
            last_draw = Instant::now();
        }

        // The keys first: a flood of events must not make them wait.
        let mut changed = false;
        let wait = if down.is_some() { TICK } else { Duration::ZERO };
        if event::poll(wait)? {
            while {
                match event::read()? {
                    Event::Key(key) => {
                        let view = view::pane(live.state(), &ui, ui.pane, unix_now());
                        match ui.key(key, &view) {
                            Command::Quit => return Ok(()),
                            Command::Hangup(channel) => {
                                ui.message = Some(hang_up(&mut **session, &channel));
                            }
                            Command::Resync => resync = true,
                            Command::Nothing => {}
                        }
                        changed = true;
                    }
                    Event::Resize(..) => {
                        screen.0.autoresize()?;
                        changed = true;
                    }
                    _ => {}
                }
                event::poll(Duration::ZERO)?
            } {}
        }

        if let Some(d) = &mut down {
            let now = Instant::now();
            status.conn = Conn::Reconnecting {
                attempt: d.attempt,
                retry_in: Some(d.at.saturating_duration_since(now)),
                reason: d.reason.clone(),
            };
            if now >= d.at {
                let again = job
                    .connect_again
                    .expect("down only with a way to reconnect");
                match again() {
                    Ok(new) => {
                        *session = new;
                        if status.version.is_none() {
                            status.version = version(&mut **session);
                        }
                        down = None;
                        resync = true;
                    }
                    Err(e) => {
                        d.attempt += 1;
                        d.reason = e.to_string();
                        let delay = reconnect_policy()
                            .delay(d.attempt, random())
                            .ok_or(ClientError::Closed(ami_proto::CloseReason::PeerClosed))?;
                        d.at = Instant::now() + delay;
                    }
                }
                changed = true;
            }
        } else {
            let mut first = true;
            for _ in 0..BATCH {
                let item = match session.next_event(if first { TICK } else { Duration::ZERO }) {
                    Ok(Some(item)) => item,
                    Ok(None) => break,
                    Err(ClientError::Closed(reason)) if job.connect_again.is_some() => {
                        live.disconnected();
                        down = Some(Down {
                            attempt: 0,
                            at: Instant::now()
                                + reconnect_policy().delay(0, random()).unwrap_or(TICK),
                            reason: reason.to_string(),
                        });
                        changed = true;
                        break;
                    }
                    Err(e) => return Err(e.into()),
                };
                first = false;
                changed = true;
                live.set_now(unix_now());
                match item {
                    Incoming::Event(_) => rate.count += 1,
                    Incoming::Lost(n) => {
                        status.lost += n;
                        continue;
                    }
                    Incoming::Disconnected(ref reason) => {
                        status.conn = Conn::Reconnecting {
                            attempt: 0,
                            retry_in: None,
                            reason: reason.to_string(),
                        };
                    }
                    Incoming::Reconnected => {
                        resync = true;
                        break;
                    }
                    _ => {}
                }
                feed(&mut live, item);
            }
        }
        if let Ok(mut notices) = job.notices.lock()
            && let Some(last) = notices.pop()
        {
            ui.message = Some(last);
            notices.clear();
            changed = true;
        }
        let now = Instant::now();
        changed |= rate.tick(now);
        status.events_per_sec = rate.value;
        if changed && now - last_draw >= TICK || now - last_draw >= REDRAW {
            draw(&mut screen, &live, &status, &mut ui)?;
            last_draw = now;
        }
    }
}

fn draw(screen: &mut Screen, live: &Live, status: &Status, ui: &mut Ui) -> std::io::Result<()> {
    screen.0.draw(|frame| {
        ui.page = usize::from(frame.area().height.saturating_sub(6)).max(1);
        view::render(frame, live.state(), status, ui, unix_now());
    })?;
    Ok(())
}

/// Sends `Hangup` for `channel`; what to tell the user.
fn hang_up(session: &mut dyn Session, channel: &str) -> String {
    let action = Action::new("Hangup").header("Channel", channel);
    match session.action(action) {
        Ok(_) => format!("hung up {channel}"),
        Err(ClientError::Rejected(response)) => {
            let why = crate::asterisk_message(&response).join(" ");
            format!("hangup of {channel} refused: {why}")
        }
        Err(e) => format!("hangup of {channel} failed: {e}"),
    }
}

#[cfg(test)]
mod tests;
