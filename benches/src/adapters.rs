//! The application side of the end-to-end benchmarks: each adapter
//! connects to a [`CorpusServer`](crate::loopback::CorpusServer) and takes
//! events until the corpus's `UserEvent: PerfEnd` sentinel, counting the
//! events and the [`Incoming::Lost`] notices ([`Tally`], or any other
//! [`Consumer`]).

use std::time::{Duration, Instant};

use ami_client::{ClientOptions, Incoming};
use ami_proto::Message;

/// What a consumer saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Events handed to the application (the sentinel included).
    pub events: u64,
    /// Events reported dropped by `Incoming::Lost`.
    pub lost: u64,
    /// Whether the `PerfEnd` sentinel was delivered.
    pub sentinel: bool,
    /// From the consumer's start (before it connects) to the sentinel;
    /// closing the client afterwards is not timed.
    pub elapsed: Duration,
}

/// What the application does with each item the client hands it.
pub trait Consumer: Default + std::fmt::Debug {
    /// Takes one incoming item; returns `true` once the sentinel came
    /// (`start` is when the run began, before the connect).
    fn add(&mut self, incoming: &Incoming, start: Instant) -> bool;
}

impl Consumer for Tally {
    /// Counts one incoming item; returns `true` once the sentinel came.
    fn add(&mut self, incoming: &Incoming, start: Instant) -> bool {
        match incoming {
            Incoming::Event(m) => {
                self.events += 1;
                if is_sentinel(m) {
                    self.sentinel = true;
                    self.elapsed = start.elapsed();
                }
            }
            Incoming::Lost(n) => self.lost += n,
            _ => {}
        }
        self.sentinel
    }
}

/// Whether `m` is the corpus's last message, `UserEvent: PerfEnd`: one
/// look at the event name (the first header), like any application's
/// dispatch, and a second look only for `UserEvent`s.
#[must_use]
pub fn is_sentinel(m: &Message) -> bool {
    m.name()
        .is_some_and(|n| n.eq_ignore_ascii_case("UserEvent"))
        && m.get("UserEvent")
            .is_some_and(|v| v.eq_ignore_ascii_case("PerfEnd"))
}

/// The options every adapter connects with: the URL's credentials, and an
/// event buffer of `event_buffer`.
///
/// # Panics
/// If `url` is not an AMI address.
#[must_use]
pub fn options(url: &str, event_buffer: usize) -> ClientOptions {
    ClientOptions::new(url)
        .expect("a valid URL")
        .event_buffer(event_buffer)
        .configure(|c| c.action_id_prefix = Some("bench".into()))
}

/// How long a consumer waits for the next event before giving up.
pub const IDLE: Duration = Duration::from_secs(20);

/// How long an async consumer may take for the whole corpus.
pub const RUN_LIMIT: Duration = Duration::from_secs(120);

/// `ami-blocking`: `next_event` until the sentinel.
///
/// # Errors
/// Connection and login errors, or no event for [`IDLE`].
pub fn blocking(options: ClientOptions) -> Result<Tally, String> {
    blocking_with(options)
}

/// [`blocking`] with any [`Consumer`].
///
/// # Errors
/// Connection and login errors, or no event for [`IDLE`].
pub fn blocking_with<C: Consumer>(options: ClientOptions) -> Result<C, String> {
    let start = Instant::now();
    let mut client = ami_blocking::Client::connect_with(options).map_err(|e| e.to_string())?;
    let mut tally = C::default();
    loop {
        match client.next_event(IDLE).map_err(|e| e.to_string())? {
            Some(incoming) => {
                if tally.add(&incoming, start) {
                    break;
                }
            }
            None => return Err(format!("ami-blocking: idle for {IDLE:?}: {tally:?}")),
        }
    }
    let _ = client.disconnect();
    Ok(tally)
}

/// `ami-tokio` on a runtime built by `runtime`: `events().recv()` until
/// the sentinel.
///
/// # Errors
/// Connection and login errors, or no sentinel within [`RUN_LIMIT`].
pub fn tokio(runtime: &tokio::runtime::Runtime, options: ClientOptions) -> Result<Tally, String> {
    tokio_with(runtime, options)
}

/// [`tokio()`] with any [`Consumer`].
///
/// # Errors
/// Connection and login errors, or no sentinel within [`RUN_LIMIT`].
pub fn tokio_with<C: Consumer>(
    runtime: &tokio::runtime::Runtime,
    options: ClientOptions,
) -> Result<C, String> {
    let start = Instant::now();
    runtime.block_on(async move {
        let client = ami_tokio::Client::connect_with(options)
            .await
            .map_err(|e| e.to_string())?;
        let mut events = client.events();
        let mut tally = C::default();
        // One timer around the whole run, not one per event: the harness
        // should not cost more than what it measures.
        let run = async {
            while let Some(incoming) = events.recv().await {
                if tally.add(&incoming, start) {
                    return true;
                }
            }
            false
        };
        match tokio::time::timeout(RUN_LIMIT, run).await {
            Ok(true) => {}
            Ok(false) => return Err(format!("ami-tokio: stream ended: {tally:?}")),
            Err(_) => {
                return Err(format!(
                    "ami-tokio: no sentinel in {RUN_LIMIT:?}: {tally:?}"
                ));
            }
        }
        client.close().await;
        Ok(tally)
    })
}

/// `ami-smol` (its driver runs on a thread of its own), consumed with
/// `futures_lite::future::block_on`: `events().recv()` until the sentinel.
///
/// # Errors
/// Connection and login errors, or the stream ending first.
pub fn smol(options: ClientOptions) -> Result<Tally, String> {
    smol_with(options)
}

/// [`smol`] with any [`Consumer`].
///
/// # Errors
/// Connection and login errors, or the stream ending first.
pub fn smol_with<C: Consumer>(options: ClientOptions) -> Result<C, String> {
    let start = Instant::now();
    futures_lite::future::block_on(async move {
        let client = ami_smol::Client::connect_with(options)
            .await
            .map_err(|e| e.to_string())?;
        let mut events = client.events();
        let mut tally = C::default();
        loop {
            match events.recv().await {
                Some(incoming) => {
                    if tally.add(&incoming, start) {
                        break;
                    }
                }
                None => return Err(format!("ami-smol: stream ended: {tally:?}")),
            }
        }
        client.close().await;
        Ok(tally)
    })
}
