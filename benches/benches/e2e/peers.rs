//! The Rust peers a user would pick instead of this workspace, end to end:
//! each connects to the [`CorpusServer`](ami_benches::loopback::CorpusServer)
//! through its own Tokio client, logs in the way its API does it, and takes
//! what that API hands the application until the `UserEvent: PerfEnd`
//! sentinel, looking at every event's name, like the adapters' consumers.
//!
//! A peer that loses events could lose the sentinel too, and none of them
//! may hang the bench: a run also ends when the peer's stream ends, when
//! nothing arrives for [`QUIET`] (its time is then that of the last event,
//! `QUIET` earlier), or at [`DEADLINE`] (its time is then the deadline).
//! What it delivered is counted whichever way it ended; so is what its API
//! reports lost (a `Lagged` error of a Tokio broadcast channel).
//!
//! Each run gets a fresh multi-thread Tokio runtime with 2 workers (what
//! `#[tokio::main]` gives on a 2-core machine), built before the clock
//! starts and shut down after it stops, so no task of one run outlives it.
//! Every peer keeps its default event buffer (1 024 for `asterisk-rs-ami`
//! and `asterisk-manager`; `asterisk-ami`'s 32 cannot be changed): a ring
//! as large as the adapters' 2²⁰ would be allocated and filled inside the
//! timed connect.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ami_benches::adapters::Tally;

/// How long a peer may deliver nothing before its run is taken as over.
pub(crate) const QUIET: Duration = Duration::from_secs(5);
/// The longest a peer's run may take, connect and login included.
pub(crate) const DEADLINE: Duration = Duration::from_secs(30);

/// The credentials every peer logs in with (the server checks none).
const USER: &str = "bench";

/// How a peer's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The sentinel was delivered.
    Sentinel,
    /// The peer's event stream ended (its connection closed).
    Closed,
    /// Nothing arrived for [`QUIET`].
    Quiet,
    /// [`DEADLINE`] passed.
    Deadline,
}

/// What a peer delivered, as its run goes.
struct Count {
    start: Instant,
    tally: Tally,
}

impl Count {
    /// Starts the clock.
    fn start() -> Self {
        Self {
            start: Instant::now(),
            tally: Tally::default(),
        }
    }

    /// One event handed to the application; stops the clock and returns
    /// `true` when it is the sentinel.
    fn event(&mut self, sentinel: bool) -> bool {
        self.tally.events += 1;
        if sentinel {
            self.tally.elapsed = self.start.elapsed();
            self.tally.sentinel = true;
        }
        sentinel
    }

    /// Events the peer's API says it dropped.
    fn lost(&mut self, n: u64) {
        self.tally.lost += n;
    }

    /// Stops the clock for a run that ended without the sentinel, and says
    /// so on stderr.
    fn finish(mut self, peer: &str, end: End) -> Tally {
        let now = self.start.elapsed();
        match end {
            End::Sentinel => {}
            End::Closed => self.tally.elapsed = now,
            End::Quiet => self.tally.elapsed = now.saturating_sub(QUIET),
            End::Deadline => self.tally.elapsed = DEADLINE,
        }
        if end != End::Sentinel {
            eprintln!("  {peer}: no sentinel, run ended {end:?}: {:?}", self.tally);
        }
        self.tally
    }
}

/// A fresh runtime for one run.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// Runs `run` on a fresh runtime, the clock started just before it, and
/// shuts the runtime down (untimed) afterwards.
fn on_fresh_runtime(
    peer: &str,
    run: impl AsyncFnOnce(&mut Count) -> Result<End, String>,
) -> Result<Tally, String> {
    let runtime = runtime()?;
    let mut count = Count::start();
    let end = runtime.block_on(run(&mut count));
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(count.finish(peer, end?))
}

/// `asterisk-rs-ami` 0.8.0: `AmiClient::builder()…build()` (MD5 challenge
/// login, its default), then `subscribe()` and `recv()` until the
/// sentinel. The client only exists once logged in, so events the server
/// sends right after the login's response are published before anyone can
/// subscribe, and dropped.
///
/// # Errors
/// Connection and login errors.
pub(crate) fn asterisk_rs_ami(addr: SocketAddr) -> Result<Tally, String> {
    use asterisk_rs_ami::{AmiClient, AmiEvent};
    use asterisk_rs_core::event::EventReceive;

    on_fresh_runtime("asterisk-rs-ami", async |count| {
        let client = AmiClient::builder()
            .host(addr.ip().to_string())
            .port(addr.port())
            .credentials(USER, USER)
            .build()
            .await
            .map_err(|e| format!("asterisk-rs-ami: {e}"))?;
        let mut events = client.subscribe();
        let end = tokio::time::timeout(DEADLINE, async {
            loop {
                match tokio::time::timeout(QUIET, events.recv()).await {
                    Ok(EventReceive::Event(event)) => {
                        let sentinel = matches!(
                            &event,
                            AmiEvent::UserEvent { user_event, .. }
                                if user_event.eq_ignore_ascii_case("PerfEnd")
                        );
                        if count.event(sentinel) {
                            return End::Sentinel;
                        }
                    }
                    Ok(EventReceive::Lagged(n)) => count.lost(n),
                    Ok(EventReceive::Closed) => return End::Closed,
                    Err(_) => return End::Quiet,
                }
            }
        })
        .await
        .unwrap_or(End::Deadline);
        drop(events);
        drop(client);
        Ok(end)
    })
}

/// `asterisk-manager` 2.1.3: `Manager::new()`, `all_events_stream()`
/// taken *before* `connect_and_login` (taken after it, as its example
/// does, it would miss what arrives meanwhile), then the stream until the
/// sentinel. Its dispatcher drops every event it cannot deserialize: a
/// `Newchannel` or `Hangup` with a repeated header (`ChanVariable`) is one.
///
/// # Errors
/// Connection and login errors.
pub(crate) fn asterisk_manager(addr: SocketAddr) -> Result<Tally, String> {
    use asterisk_manager::{AmiEvent, Manager, ManagerOptions};
    use futures_lite::StreamExt as _;
    use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

    on_fresh_runtime("asterisk-manager", async |count| {
        let mut manager = Manager::new();
        let mut events = manager.all_events_stream().await;
        manager
            .connect_and_login(ManagerOptions {
                port: addr.port(),
                host: addr.ip().to_string(),
                username: USER.into(),
                password: USER.into(),
                events: true,
            })
            .await
            .map_err(|e| format!("asterisk-manager: {e}"))?;
        let end = tokio::time::timeout(DEADLINE, async {
            loop {
                match tokio::time::timeout(QUIET, events.next()).await {
                    Ok(Some(Ok(AmiEvent::InternalConnectionLost { .. }))) | Ok(None) => {
                        return End::Closed;
                    }
                    Ok(Some(Ok(event))) => {
                        let sentinel = matches!(
                            &event,
                            AmiEvent::UnknownEvent { event_type, fields }
                                if event_type.eq_ignore_ascii_case("UserEvent")
                                    && fields
                                        .get("UserEvent")
                                        .is_some_and(|v| v.eq_ignore_ascii_case("PerfEnd"))
                        );
                        if count.event(sentinel) {
                            return End::Sentinel;
                        }
                    }
                    Ok(Some(Err(BroadcastStreamRecvError::Lagged(n)))) => count.lost(n),
                    Err(_) => return End::Quiet,
                }
            }
        })
        .await
        .unwrap_or(End::Deadline);
        drop(events);
        let _ = manager.disconnect().await;
        Ok(end)
    })
}

/// `asterisk-ami` 0.1.8: `AmiConnection::connect` (reads the banner),
/// `events()` subscribed before the login, the login sent as a packet with
/// `send`, then `recv()` until the sentinel. Its event channel holds 32
/// packets, fixed; and it hands every packet between an `EventList: start`
/// response and its `Complete` to the (here absent) command instead of the
/// event stream.
///
/// # Errors
/// Connection and login errors.
pub(crate) fn asterisk_ami(addr: SocketAddr) -> Result<Tally, String> {
    use asterisk_ami::{AmiConnection, Tag, find_tag};
    use tokio::sync::broadcast::error::RecvError;

    on_fresh_runtime("asterisk-ami", async |count| {
        let connection = AmiConnection::connect(addr)
            .await
            .map_err(|e| format!("asterisk-ami: {e}"))?;
        let mut events = connection.events();
        let login = vec![
            Tag::from("Action", "Login"),
            Tag::from("Username", USER),
            Tag::from("Secret", USER),
            Tag::from("ActionID", "bench-login"),
        ];
        let reply = connection
            .send(login)
            .await
            .ok_or("asterisk-ami: the connection closed during the login")?;
        let accepted = reply.first().is_some_and(|packet| {
            find_tag(packet, "Response").is_some_and(|r| r.eq_ignore_ascii_case("Success"))
        });
        if !accepted {
            return Err(format!("asterisk-ami: login refused: {reply:?}"));
        }
        let end = tokio::time::timeout(DEADLINE, async {
            loop {
                match tokio::time::timeout(QUIET, events.recv()).await {
                    Ok(Ok(Some(packet))) => {
                        let sentinel = packet.first().is_some_and(|tag| {
                            tag.key.eq_ignore_ascii_case("Event")
                                && tag.value.eq_ignore_ascii_case("UserEvent")
                        }) && find_tag(&packet, "UserEvent")
                            .is_some_and(|v| v.eq_ignore_ascii_case("PerfEnd"));
                        if count.event(sentinel) {
                            return End::Sentinel;
                        }
                    }
                    // `None` is its notice that the connection ended.
                    Ok(Ok(None) | Err(RecvError::Closed)) => return End::Closed,
                    Ok(Err(RecvError::Lagged(n))) => count.lost(n),
                    Err(_) => return End::Quiet,
                }
            }
        })
        .await
        .unwrap_or(End::Deadline);
        drop(events);
        drop(connection);
        Ok(end)
    })
}
