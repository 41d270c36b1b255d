//! smol / async-io Asterisk Manager Interface client.
//!
//! The same client as `ami-tokio`, over `async-io` sockets and timers and
//! `async-channel` (events fan out through `ami-client`'s runtime-neutral
//! `adapter::Publisher`, as in `ami-tokio`). It needs no particular executor:
//! the connection is driven on a thread of its own by `async_io::block_on`,
//! and the handle's futures run under `smol::block_on`,
//! `futures::executor::block_on` or any other executor, as long as
//! async-io drives the reactor (it does so by itself). **What belongs
//! here:** async-io's sockets and timers, the driver thread, and the public
//! handle types. **What does not:** protocol logic (`ami-proto`) or client
//! glue a second runtime needs as well (`ami-client`).
//!
//! * [`Client::connect`] from an address or [`ClientOptions`]: MD5, event
//!   mask, timeouts, keepalive pings, TCP keepalive, reconnection with
//!   backoff, a transcript with secrets redacted, TLS (futures-rustls).
//! * [`Client::send`] from any number of tasks, pipelined; dropping a
//!   `send` future never disturbs the connection or another action.
//! * [`Client::events`]: bounded [`Subscription`]s; one that falls behind
//!   gets [`Incoming::Lost`] with the count, the socket keeps being
//!   drained, and the first subscription holds every event since the login.
//! * Actions in flight when the connection drops fail with
//!   [`Error::Closed`] and are never resent.
//!
//! ```no_run
//! use ami_smol::{Client, Incoming};
//!
//! smol::block_on(async {
//!     let client = Client::connect("tcp://admin:amp111@127.0.0.1:5038").await?;
//!     let mut events = client.events();
//!     println!("{:?}", client.command("core show version").await?);
//!     while let Some(Incoming::Event(event)) = events.recv().await {
//!         println!("{:?}", event.name());
//!     }
//!     Ok::<(), ami_smol::Error>(())
//! })?;
//! # Ok::<(), ami_smol::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod driver;
mod live;
mod stream;

use std::time::Duration;

use ami_client::adapter::Subscriber;
use ami_client::driver::Handle;
pub use ami_client::{ClientOptions, ConnectPhase, Incoming, Overflow, Reconnect};
pub use ami_live;
use ami_proto::{Action, Response, SendOptions};
use futures_lite::Stream;
pub use live::{Changes, Live, LiveError, OriginateCall, Update};

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

    /// Connects with `options`, logs in, and starts the driver thread.
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
        self.handle.ping::<driver::Smol>().await
    }

    /// A new event subscription. The first one made also holds every event
    /// received since the login.
    #[must_use]
    pub fn events(&self) -> Subscription {
        Subscription {
            receiver: self.handle.subscribe(),
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

/// One subscriber's events, bounded. Use [`recv`](Self::recv) or
/// [`into_stream`](Self::into_stream).
///
/// The driver publishes a socket read's worth of events at a time and
/// wakes a waiting subscription once per batch; the subscription takes up
/// to [`ami_client::adapter::BATCH`] of them at a time, so that most
/// [`recv`](Self::recv)s neither lock nor wait.
pub struct Subscription {
    receiver: Option<Subscriber>,
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
        let receiver = self.receiver.as_mut()?;
        let item = std::future::poll_fn(|cx| receiver.poll_recv(cx)).await;
        if item.is_none() {
            self.receiver = None;
        }
        item
    }

    /// The subscription as a `Stream`.
    pub fn into_stream(self) -> impl Stream<Item = Incoming> + Send + Unpin {
        Box::pin(futures_lite::stream::unfold(self, |mut s| async move {
            s.recv().await.map(|item| (item, s))
        }))
    }
}
