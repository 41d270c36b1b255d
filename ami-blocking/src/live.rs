//! The live model fed by the blocking client: [`Live`] syncs an
//! [`ami_live::Live`] over a [`Client`], then updates it while it reads
//! events ([`Live::poll`], [`Live::wait_for`]); [`Live::originate`] places
//! a call and tracks it to its outcome.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ami_live::{Change, Failure, Originate, Progress, State, SyncRequest};
use ami_proto::{Action, EventMask};

use crate::{Client, Error, Incoming, Result};

/// How long past an originate's own `Timeout` (30 s when not given) the
/// outcome is waited for.
const ORIGINATE_GRACE: Duration = Duration::from_secs(15);
/// How long a call that turned events on keeps them on after its outcome,
/// waiting for its channels' events (they can trail the outcome).
const HACK_LINGER: Duration = Duration::from_secs(2);

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What a tracked originate came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originated {
    /// The first channel's uniqueid (`ChannelId`), also the `Linkedid` of
    /// every channel of the call.
    pub channel_id: String,
    /// The second channel's uniqueid (`OtherChannelId`).
    pub other_channel_id: String,
    /// Every step, in order, the outcome last.
    pub steps: Vec<Progress>,
    /// The outcome: answered, busy, no answer or failed.
    pub outcome: Progress,
    /// The uniqueids of the channels it created that events showed.
    pub channels: Vec<String>,
}

/// A live model of the PBX over a blocking [`Client`]: synced at start,
/// updated by every event it reads.
///
/// ```no_run
/// use std::time::Duration;
/// use ami_blocking::{Client, Live};
///
/// let client = Client::connect("tcp://admin:amp111@127.0.0.1:5038")?;
/// let mut live = Live::start(client)?;
/// for q in live.state().queues() {
///     println!("{}: {} waiting", q.name, q.callers.len());
/// }
/// while let Some(change) = live.poll(Duration::from_secs(1))? {
///     println!("{}", change.name());
/// }
/// # Ok::<(), ami_blocking::Error>(())
/// ```
#[derive(Debug)]
pub struct Live {
    client: Client,
    model: ami_live::Live,
    mask: EventMask,
    missing: Vec<&'static str>,
    sync_timeout: Duration,
}

impl Live {
    /// Takes `client` over and syncs every part (all list actions sent at
    /// once, then their answers read).
    pub fn start(client: Client) -> Result<Self> {
        let mask = client.event_mask().clone();
        let missing = ami_live::Live::missing_classes(mask.as_header_value());
        let mut live = Self {
            client,
            model: ami_live::Live::new(),
            mask,
            missing,
            sync_timeout: Duration::from_secs(30),
        };
        live.sync()?;
        Ok(live)
    }

    /// Syncs every part again (after lost events, say).
    pub fn sync(&mut self) -> Result<()> {
        self.model.set_now(unix_now());
        let mut requests = self.model.start_sync();
        while !requests.is_empty() {
            let mut sent: Vec<(SyncRequest, String)> = Vec::new();
            for request in std::mem::take(&mut requests) {
                match self.client.send_action(request.action.clone()) {
                    Ok(id) => sent.push((request, id)),
                    Err(Error::Rejected(response)) => {
                        requests.extend(self.model.sync_response(&request, &response));
                    }
                    Err(e) => {
                        self.model.sync_failed(&request);
                        return Err(e);
                    }
                }
            }
            for (request, id) in sent {
                match self.client.response(&id, self.sync_timeout) {
                    Ok(response) => requests.extend(self.model.sync_response(&request, &response)),
                    Err(Error::Rejected(response)) => {
                        requests.extend(self.model.sync_response(&request, &response));
                    }
                    Err(e) => {
                        self.model.sync_failed(&request);
                        if matches!(e, Error::Closed(_)) {
                            self.model.disconnected();
                            return Err(e);
                        }
                    }
                }
            }
        }
        // The events that came meanwhile.
        self.drain()
    }

    /// The model's state.
    #[must_use]
    pub fn state(&self) -> &State {
        self.model.state()
    }

    /// The model (its stats, its pending changes).
    #[must_use]
    pub fn model(&self) -> &ami_live::Live {
        &self.model
    }

    /// The event classes the model needs (`call`, `dialplan`, `agent`)
    /// that the login's mask leaves out. Not empty: the model shows what
    /// its syncs found, not what happened since.
    #[must_use]
    pub fn missing_events(&self) -> &[&'static str] {
        &self.missing
    }

    /// The client, for actions of your own (the events it reads while
    /// answering them are applied on the next [`poll`](Self::poll)).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Gives the client back.
    #[must_use]
    pub fn into_client(self) -> Client {
        self.client
    }

    /// Applies one incoming item.
    fn apply(&mut self, incoming: Incoming, calls: &mut [&mut Originate]) -> Result<()> {
        match incoming {
            Incoming::Event(event) => {
                self.model.apply(&event);
                for call in calls.iter_mut() {
                    call.apply(&event);
                }
            }
            Incoming::Lost(n) => {
                tracing::warn!(lost = n, "the live model lost events: syncing again");
                self.sync()?;
            }
            // The blocking client does not reconnect: a close comes as an
            // error of `next_event`.
            _ => {}
        }
        Ok(())
    }

    /// Reads one item, waiting at most `timeout`, and applies it; `false`
    /// when none came.
    fn read_one(&mut self, timeout: Duration, calls: &mut [&mut Originate]) -> Result<bool> {
        match self.client.next_event(timeout) {
            Ok(Some(incoming)) => {
                self.model.set_now(unix_now());
                self.apply(incoming, calls)?;
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(e) => {
                if matches!(e, Error::Closed(_)) {
                    self.model.disconnected();
                }
                Err(e)
            }
        }
    }

    /// Applies the events already received, without waiting.
    fn drain(&mut self) -> Result<()> {
        while self.read_one(Duration::ZERO, &mut [])? {}
        Ok(())
    }

    /// The next change, reading events for at most `timeout` when none is
    /// pending (`None`: none came). An error means the connection closed:
    /// the model is [`Stale`](ami_live::PartStatus::Stale) from then on.
    pub fn poll(&mut self, timeout: Duration) -> Result<Option<Change>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(c) = self.model.poll_change() {
                return Ok(Some(c));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.read_one(left, &mut [])?;
        }
    }

    /// Reads events until `condition` holds over the state (checked now
    /// and after each event), at most `timeout`; returns whether it held.
    /// Changes stay pending for [`poll`](Self::poll).
    pub fn wait_for(
        &mut self,
        mut condition: impl FnMut(&State) -> bool,
        timeout: Duration,
    ) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            if condition(self.model.state()) {
                return Ok(true);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            self.read_one(left, &mut [])?;
        }
    }

    /// Originates `action` and follows it to its outcome (blocking; the
    /// model takes every event read meanwhile). Its channels get ids known
    /// in advance ([`Originate::new`]). When the login's mask lacks `call`
    /// events, they are turned on (`Events` action) for the call's time and
    /// the mask restored after: after the outcome and the call's channels'
    /// events, which can trail it (2 s at most).
    pub fn originate(&mut self, action: Action) -> Result<Originated> {
        let mut call = Originate::new(action);
        let hack = self.hack_mask();
        if let Some(mask) = &hack {
            self.client
                .action(Action::new("Events").header("EventMask", mask))?;
        }
        let mut result = self.follow(&mut call);
        if hack.is_some() && result.is_ok() {
            // The mask stays open until the model has the call's channels.
            let until = Instant::now() + HACK_LINGER;
            while result.is_ok() && !call.channels_seen() {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                result = self.read_one(left, &mut [&mut call]).map(drop);
            }
        }
        if hack.is_some() {
            let restore = Action::new("Events").header("EventMask", self.mask.as_header_value());
            let restored = self.client.action(restore);
            if result.is_ok() {
                restored?;
            }
        }
        result?;
        let mut steps = Vec::new();
        while let Some(p) = call.poll_progress() {
            steps.push(p);
        }
        Ok(Originated {
            channel_id: call.channel_id().to_owned(),
            other_channel_id: call.other_channel_id().to_owned(),
            outcome: call.progress().clone(),
            steps,
            channels: call.channels().to_vec(),
        })
    }

    fn follow(&mut self, call: &mut Originate) -> Result<()> {
        let timeout = call
            .action()
            .get("Timeout")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(Duration::from_secs(30), Duration::from_millis);
        let deadline = Instant::now() + timeout + ORIGINATE_GRACE;
        match self.client.action(call.action().clone()) {
            Ok(response) => call.response(&response),
            Err(Error::Rejected(response)) => call.response(&response),
            Err(e) => return Err(e),
        }
        while !call.is_done() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                call.fail(Failure {
                    message: "no outcome in time".into(),
                    ..Failure::default()
                });
                break;
            }
            self.read_one(left, &mut [&mut *call])?;
        }
        Ok(())
    }

    /// The mask with `call` events added, or `None` when it has them.
    fn hack_mask(&self) -> Option<String> {
        if !ami_live::Live::missing_classes(self.mask.as_header_value()).contains(&"call") {
            return None;
        }
        Some(match &self.mask {
            EventMask::Mask(m) if !m.trim().is_empty() => format!("{m},call"),
            _ => "call".to_owned(),
        })
    }
}
