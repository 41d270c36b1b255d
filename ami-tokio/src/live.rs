//! The live model on Tokio: [`Live`] keeps an `ami-live` model of the PBX
//! up to date from a [`Client`] (the task is `ami_client::live`'s, written
//! once for every runtime; this file only gives it Tokio).

use std::time::Duration;

use ami_client::live::{self, LiveHandle};
pub use ami_client::live::{Changes, LiveError, OriginateCall, Update};
use ami_proto::Action;

use crate::driver::Tokio;
use crate::{Client, Error, Result};

/// A live model of the PBX, kept by a task from one client: it syncs,
/// follows events, and syncs again after a reconnect. Cheap to clone.
///
/// ```no_run
/// use std::time::Duration;
/// use ami_proto::Action;
/// use ami_tokio::Client;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::connect("tcp://admin:amp111@127.0.0.1:5038").await?;
/// let live = client.live()?;
/// live.wait_for(|s| s.is_synced(), Duration::from_secs(5)).await?;
/// let mut call = live.originate(
///     Action::new("Originate")
///         .header("Channel", "Local/500@default")
///         .header("Application", "Wait")
///         .header("Data", "10"),
/// )?;
/// println!("{:?}", call.outcome().await);
/// let id = call.channel_id().to_owned();
/// live.wait_for(move |s| s.bridges_of_call(&id).len() == 1, Duration::from_secs(5)).await?;
/// for channel in live.snapshot().channels() {
///     println!("{} {}", channel.name, channel.state);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Live {
    handle: LiveHandle,
}

impl Live {
    /// Starts a live model on `client` (see [`Client::live`]).
    pub fn start(client: &Client) -> Result<Self> {
        let (handle, task) = live::start::<Tokio>(client.handle.clone()).ok_or(Error::Closing)?;
        tokio::spawn(task);
        Ok(Self { handle })
    }

    /// A copy of the state now.
    #[must_use]
    pub fn snapshot(&self) -> ami_live::State {
        self.handle.snapshot()
    }

    /// Runs `f` over the state now, without copying it.
    pub fn with_state<T>(&self, f: impl FnOnce(&ami_live::State) -> T) -> T {
        self.handle.with_state(f)
    }

    /// The model's changes from now on (a `Stream`, bounded; what it drops
    /// comes as [`Update::Lost`]).
    #[must_use]
    pub fn changes(&self) -> Changes {
        self.handle.changes()
    }

    /// Like [`changes`](Self::changes), at most `capacity` unread.
    #[must_use]
    pub fn changes_bounded(&self, capacity: usize) -> Changes {
        self.handle.changes_bounded(capacity)
    }

    /// Waits until `condition` holds over the state, at most `timeout`.
    pub async fn wait_for(
        &self,
        condition: impl FnMut(&ami_live::State) -> bool,
        timeout: Duration,
    ) -> Result<(), LiveError> {
        self.handle.wait_for::<Tokio>(condition, timeout).await
    }

    /// Originates `action` and tracks it (whatever the login's event mask).
    pub fn originate(&self, action: Action) -> Result<OriginateCall, LiveError> {
        self.handle.originate(action)
    }

    /// The event classes the model needs that the login's mask leaves out
    /// (empty: none).
    #[must_use]
    pub fn missing_events(&self) -> &[&'static str] {
        self.handle.missing_events()
    }

    /// What the model did with the events so far.
    #[must_use]
    pub fn stats(&self) -> ami_live::Stats {
        self.handle.stats()
    }

    /// Syncs every part again.
    pub fn resync(&self) {
        self.handle.resync();
    }

    /// Whether the model has stopped (the client closed for good).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }
}

impl Client {
    /// Starts a [`Live`] model on this client.
    pub fn live(&self) -> Result<Live> {
        Live::start(self)
    }
}
