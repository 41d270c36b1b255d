//! One connection, whatever the runtime: the subcommands talk to a
//! [`Session`], and each adapter (`ami-blocking`, `ami-tokio`, `ami-smol`)
//! is wrapped once here. The async clients are driven from this thread:
//! Tokio on a current-thread runtime (`block_on`), smol with
//! `smol::block_on` (its driver has a thread of its own).

use std::time::Duration;

use ami_client::{ClientError, ClientOptions, Incoming};
use ami_proto::{Action, CloseReason, Response};

/// Which adapter carries the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Runtime {
    /// ami-blocking: std sockets, no async runtime.
    Blocking,
    /// ami-tokio, on a current-thread Tokio runtime.
    Tokio,
    /// ami-smol, driven with smol::block_on.
    Smol,
}

/// What the subcommands need of a connection. Every adapter answers alike,
/// so the subcommands are written once.
pub(crate) trait Session: Send {
    /// Sends an action and waits for its outcome (list events, output).
    fn action(&mut self, action: Action) -> Result<Response, ClientError>;
    /// Runs a CLI command; its output lines.
    fn command(&mut self, command: &str) -> Result<Vec<String>, ClientError>;
    /// A `Ping`'s round trip.
    fn ping(&mut self) -> Result<Duration, ClientError>;
    /// The next event or loss notice, waiting at most `timeout` (`None`
    /// then). A closed connection is `Err(ClientError::Closed)` in every
    /// adapter (after the events received before it).
    fn next_event(&mut self, timeout: Duration) -> Result<Option<Incoming>, ClientError>;
    /// Logs off and closes. The work is done by then: a failed Logoff is
    /// not worth an error (and the async clients do not report one).
    fn close(self: Box<Self>);
}

/// Logs off and closes `session`, waiting at most `grace` for it: a server
/// that stopped answering (an action just timed out) does not get a second
/// full timeout. What is left of the logoff goes on in a thread of its own
/// until the process exits.
pub(crate) fn close_within(session: Box<dyn Session>, grace: Duration) {
    let (done, closed) = std::sync::mpsc::channel();
    let closer = std::thread::Builder::new()
        .name("ami-logoff".into())
        .spawn(move || {
            session.close();
            let _ = done.send(());
        });
    if closer.is_ok() {
        let _ = closed.recv_timeout(grace);
    }
}

/// Connects and logs in with the chosen adapter.
pub(crate) fn connect(
    runtime: Runtime,
    options: ClientOptions,
) -> Result<Box<dyn Session>, ClientError> {
    Ok(match runtime {
        Runtime::Blocking => Box::new(ami_blocking::Client::connect_with(options)?),
        Runtime::Tokio => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let client = rt.block_on(ami_tokio::Client::connect_with(options))?;
            Box::new(TokioSession {
                rt,
                client,
                events: None,
            })
        }
        Runtime::Smol => {
            let client = smol::block_on(ami_smol::Client::connect_with(options))?;
            Box::new(SmolSession {
                client,
                events: None,
            })
        }
    })
}

impl Session for ami_blocking::Client {
    fn action(&mut self, action: Action) -> Result<Response, ClientError> {
        ami_blocking::Client::action(self, action)
    }

    fn command(&mut self, command: &str) -> Result<Vec<String>, ClientError> {
        ami_blocking::Client::command(self, command)
    }

    fn ping(&mut self) -> Result<Duration, ClientError> {
        ami_blocking::Client::ping(self)
    }

    fn next_event(&mut self, timeout: Duration) -> Result<Option<Incoming>, ClientError> {
        ami_blocking::Client::next_event(self, timeout)
    }

    fn close(self: Box<Self>) {
        let _ = self.disconnect();
    }
}

/// The async clients report a drop with `Disconnected` (then, with
/// reconnection, `Reconnected`; without, `None`): the subcommands see those
/// items, and the end of the stream as `Err(Closed)`, like the blocking
/// client's.
fn closed_stream(item: Option<Incoming>) -> Result<Option<Incoming>, ClientError> {
    match item {
        Some(item) => Ok(Some(item)),
        None => Err(ClientError::Closed(CloseReason::PeerClosed)),
    }
}

struct TokioSession {
    rt: tokio::runtime::Runtime,
    client: ami_tokio::Client,
    events: Option<ami_tokio::Subscription>,
}

impl Session for TokioSession {
    fn action(&mut self, action: Action) -> Result<Response, ClientError> {
        self.rt.block_on(self.client.send(action))
    }

    fn command(&mut self, command: &str) -> Result<Vec<String>, ClientError> {
        self.rt.block_on(self.client.command(command))
    }

    fn ping(&mut self) -> Result<Duration, ClientError> {
        self.rt.block_on(self.client.ping())
    }

    fn next_event(&mut self, timeout: Duration) -> Result<Option<Incoming>, ClientError> {
        // The first subscription holds every event since the login.
        let events = self.events.get_or_insert_with(|| self.client.events());
        // The timer must be made inside the runtime.
        let item = self
            .rt
            .block_on(async { tokio::time::timeout(timeout, events.recv()).await });
        match item {
            Ok(item) => closed_stream(item),
            Err(_elapsed) => Ok(None),
        }
    }

    fn close(self: Box<Self>) {
        self.rt.block_on(self.client.close());
    }
}

struct SmolSession {
    client: ami_smol::Client,
    events: Option<ami_smol::Subscription>,
}

impl Session for SmolSession {
    fn action(&mut self, action: Action) -> Result<Response, ClientError> {
        smol::block_on(self.client.send(action))
    }

    fn command(&mut self, command: &str) -> Result<Vec<String>, ClientError> {
        smol::block_on(self.client.command(command))
    }

    fn ping(&mut self) -> Result<Duration, ClientError> {
        smol::block_on(self.client.ping())
    }

    fn next_event(&mut self, timeout: Duration) -> Result<Option<Incoming>, ClientError> {
        // The first subscription holds every event since the login.
        let events = self.events.get_or_insert_with(|| self.client.events());
        let item = smol::block_on(smol::future::or(
            async { Some(events.recv().await) },
            async {
                smol::Timer::after(timeout).await;
                None
            },
        ));
        match item {
            Some(item) => closed_stream(item),
            None => Ok(None),
        }
    }

    fn close(self: Box<Self>) {
        smol::block_on(self.client.close());
    }
}
