//! Tokio Asterisk Manager Interface client.
//!
//! A driver task owns the socket and the sans-IO [`ami_proto::Connection`];
//! [`Client`] is a cheap `Clone` handle that talks to it over a channel.
//! **What belongs here:** Tokio's sockets, timers, tasks and channels, and
//! the public handle types. **What does not:** protocol logic (`ami-proto`)
//! or client glue a second runtime needs as well — options, errors,
//! addresses, TLS trust, the event fan-out, the driver core (`ami-client`)
//! — so it behaves like the blocking and smol clients.
//!
//! * [`Client::connect`] from an address (`tcp://user:secret@host:5038`,
//!   `tls://…`) or [`ClientOptions`]: MD5, event mask, timeouts, keepalive
//!   pings, TCP keepalive, reconnection, a transcript with secrets redacted.
//! * [`Client::send`] from any number of tasks at once, pipelined on one
//!   connection; list actions and `Command` come back with their events and
//!   output. Dropping a `send` future never disturbs the connection or
//!   another action: the answer is simply discarded.
//! * [`Client::events`]: a [`Subscription`] (a `Stream`) per subscriber,
//!   each bounded. One that falls behind gets [`Incoming::Lost`] with the
//!   number of events it missed — never silent loss, never unbounded
//!   memory — and the socket keeps being drained. The first subscription
//!   holds every event since the login, so nothing is lost for want of a
//!   subscriber.
//! * Reconnection (optional): exponential backoff with jitter and a cap,
//!   then login again; subscribers see [`Incoming::Disconnected`] and
//!   [`Incoming::Reconnected`]. Actions in flight when the connection
//!   dropped fail with [`Error::Closed`]: they are never resent (an
//!   Originate must not run twice).
//! * [`Client::close`] logs off; [`Client::end`] lets pending actions
//!   finish first.
//! * Time comes from Tokio's clock, so tests can run with paused time.
//!
//! ```no_run
//! use ami_proto::Action;
//! use ami_tokio::{Client, Incoming};
//!
//! # async fn run() -> Result<(), ami_tokio::Error> {
//! let client = Client::connect("tcp://admin:amp111@127.0.0.1:5038").await?;
//! let mut events = client.events();
//! for line in client.command("core show channels").await? {
//!     println!("{line}");
//! }
//! while let Some(incoming) = events.recv().await {
//!     if let Incoming::Event(event) = incoming {
//!         println!("{:?}", event.name());
//!     }
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod driver;
mod live;
mod stream;

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use ami_client::adapter::Subscriber;
use ami_client::driver::Handle;
pub use ami_client::{ClientOptions, ConnectPhase, Incoming, Overflow, Reconnect};
pub use ami_live;
use ami_proto::{Action, Response, SendOptions};
pub use live::{Changes, Live, LiveError, OriginateCall, Update};
use tokio_stream::Stream;

/// The client's errors (shared by every adapter): I/O, timeouts,
/// authentication, Asterisk's rejection and protocol errors kept apart.
pub type Error = ami_client::ClientError;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A cheap, cloneable handle on one AMI connection (and its reconnections).
#[derive(Clone, Debug)]
pub struct Client {
    handle: Handle,
}

impl Client {
    /// Connects to `address` with the default options and logs in.
    pub async fn connect(address: &str) -> Result<Self> {
        Self::connect_with(ClientOptions::new(address)?).await
    }

    /// Connects with `options`, logs in, and starts the driver task.
    pub async fn connect_with(options: ClientOptions) -> Result<Self> {
        driver::start(options).await
    }

    /// Sends an action and waits for its outcome.
    pub async fn send(&self, action: Action) -> Result<Response> {
        self.send_with(action, SendOptions::default()).await
    }

    /// Sends an action with per-action options (timeout, list on an old
    /// server, async Originate completed by its `OriginateResponse`).
    pub async fn send_with(&self, action: Action, options: SendOptions) -> Result<Response> {
        self.handle.send_with(action, options).await
    }

    /// Runs a CLI command and returns its output lines, the same for
    /// Asterisk ≤ 13 and 14+.
    pub async fn command(&self, command: &str) -> Result<Vec<String>> {
        self.handle.command(command).await
    }

    /// Sends a `Ping`; returns the round trip.
    pub async fn ping(&self) -> Result<Duration> {
        self.handle.ping::<driver::Tokio>().await
    }

    /// A new event subscription. The first one made also holds every event
    /// received since the login.
    #[must_use]
    pub fn events(&self) -> Subscription {
        Subscription {
            inner: self.handle.subscribe(),
        }
    }

    /// The AMI version from the current connection's banner.
    #[must_use]
    pub fn version(&self) -> Option<String> {
        self.handle.version()
    }

    /// Whether the client has closed for good (no more reconnection).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Logs off (`Logoff`, waits for `Goodbye`) and stops the driver;
    /// actions still pending fail with [`Error::Closed`].
    pub async fn close(&self) {
        self.handle.close(false).await;
    }

    /// Soft close (seed 003's `end()`): refuses new actions, lets pending
    /// ones finish, then logs off.
    pub async fn end(&self) {
        self.handle.close(true).await;
    }
}

/// One subscriber's events: a bounded buffer of its own. Use
/// [`recv`](Self::recv) or the `Stream` implementation.
///
/// The driver publishes a socket read's worth of events at a time and
/// wakes a waiting subscription once per batch; the subscription takes up
/// to [`ami_client::adapter::BATCH`] of them at a time, so that most
/// [`recv`](Self::recv)s neither lock nor wait. It takes part in Tokio's
/// cooperative scheduling, charged per batch: a task that always finds an
/// event still yields now and then.
pub struct Subscription {
    inner: Option<Subscriber>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}

impl Subscription {
    /// The next item, or `None` once the client has closed for good and the
    /// buffer is drained.
    pub async fn recv(&mut self) -> Option<Incoming> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl Stream for Subscription {
    type Item = Incoming;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Incoming>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        if let Some(item) = inner.recv_taken() {
            return Poll::Ready(Some(item));
        }
        // Cooperative scheduling is charged per batch taken (one lock),
        // like a socket read, not per event.
        let coop = ready!(tokio::task::coop::poll_proceed(cx));
        match inner.poll_recv(cx) {
            Poll::Ready(Some(item)) => {
                coop.made_progress();
                Poll::Ready(Some(item))
            }
            Poll::Ready(None) => {
                self.inner = None;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
