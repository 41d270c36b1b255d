//! The live handle, written once for every async runtime: a task that
//! keeps an [`ami_live::Live`] model of the PBX up to date from one
//! client, and the cheap handle ([`LiveHandle`]) that reads it.
//!
//! The task subscribes to the client's events, sends every sync request
//! at once (pipelined; the model merges their answers with the events
//! that race them), applies every event, marks the model stale when the
//! connection drops and syncs again when it is back (or when its event
//! subscription lost events). The handle gives a [`snapshot`](LiveHandle::snapshot),
//! a bounded [`changes`](LiveHandle::changes) stream that reports what it
//! dropped ([`Update::Lost`]), [`wait_for`](LiveHandle::wait_for) a
//! condition over the state, and tracked originates
//! ([`originate`](LiveHandle::originate)).
//!
//! **Event masks.** The model needs the `call`, `dialplan` and `agent`
//! classes; [`missing_events`](LiveHandle::missing_events) says which
//! the login's `Events:` leaves out — such a model shows what its syncs
//! found, not what happened since. A tracked originate works whatever the
//! mask: when it lacks `call`, the task turns `call` events on with the
//! `Events` action for as long as originates are being tracked (counted,
//! so several may run at once) and restores the login's mask after the
//! last (Asterisk::AMI's `OriginateHack`). Asterisk can send the
//! `OriginateResponse` before its channels' events, so a call keeps the
//! mask open after its outcome until the model has seen its channels (2 s
//! at most). An `Events` action the application sends itself is not known
//! to the task.
//!
//! A runtime crate spawns the future [`start`] returns (`tokio::spawn`,
//! a thread under `async_io::block_on`) and wraps the handle.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ami_live::{Change, Failure, Live, Originate, Progress, State, SyncRequest};
use ami_proto::{Action, EventMask, Response, SendOptions};

use crate::adapter::Subscriber;
use crate::driver::{Handle, Runtime, Timer as _};
use crate::{ClientError, Incoming};

/// The changes a [`Changes`] stream keeps unread, at most, unless told
/// otherwise ([`LiveHandle::changes_bounded`]).
pub const CHANGE_BUFFER: usize = 65_536;

/// How long past an originate's own `Timeout` (30 s when not given) the
/// task waits for its outcome before giving up on it.
const ORIGINATE_GRACE: Duration = Duration::from_secs(15);
/// How long a call that turned events on keeps them on after its outcome,
/// waiting for its channels' events (they can trail the outcome).
const HACK_LINGER: Duration = Duration::from_secs(2);

/// Events applied per wake before the task looks at its other sources.
const BATCH: usize = 4096;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a live handle can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// The condition did not hold, or the outcome did not come, in time.
    #[error("timed out")]
    Timeout,
    /// The live task has ended: the client closed for good.
    #[error("the live model has stopped (the client closed)")]
    Closed,
}

/// One item of a [`Changes`] stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Update {
    /// The model changed.
    Change(Change),
    /// This many changes were dropped (the stream was not read fast
    /// enough); reported before the changes that follow them. Read a
    /// [`snapshot`](LiveHandle::snapshot) to catch up.
    Lost(u64),
    /// The connection dropped: every part is stale until the next sync.
    Disconnected,
    /// The connection is back; a sync has started (its parts report
    /// [`Change::Synced`]).
    Reconnected,
}

/// A subscriber's queue.
#[derive(Default)]
struct Queue {
    items: VecDeque<Update>,
    lost: u64,
    capacity: usize,
    waker: Option<Waker>,
    closed: bool,
}

type SharedQueue = Arc<Mutex<Queue>>;

/// What the task shares with the handles.
struct Inner {
    model: Mutex<Live>,
    /// Woken (one unit each) whenever the model changed.
    waiters: Mutex<Vec<async_channel::Sender<()>>>,
    subscribers: Mutex<Vec<SharedQueue>>,
    missing: Vec<&'static str>,
    ended: AtomicBool,
}

impl Inner {
    fn publish(&self, updates: &mut Vec<Update>) {
        if updates.is_empty() {
            return;
        }
        let mut subscribers = lock(&self.subscribers);
        // A subscriber whose stream was dropped holds the last reference.
        subscribers.retain(|q| Arc::strong_count(q) > 1);
        for queue in subscribers.iter() {
            let mut q = lock(queue);
            for update in updates.iter() {
                if q.items.len() >= q.capacity {
                    q.items.pop_front();
                    q.lost += 1;
                }
                q.items.push_back(update.clone());
            }
            if let Some(w) = q.waker.take() {
                w.wake();
            }
        }
        updates.clear();
    }

    fn notify(&self) {
        let mut waiters = lock(&self.waiters);
        waiters.retain(|w| !w.is_closed());
        for w in waiters.iter() {
            let _ = w.try_send(());
        }
    }

    fn end(&self) {
        self.ended.store(true, Ordering::Release);
        for queue in lock(&self.subscribers).drain(..) {
            let mut q = lock(&queue);
            q.closed = true;
            if let Some(w) = q.waker.take() {
                w.wake();
            }
        }
        // Closing the waiters' channels wakes them.
        lock(&self.waiters).clear();
    }
}

/// A cheap, cloneable handle on a live model kept by a task: read it,
/// follow it, wait on it, originate through it. The task runs until the
/// client closes for good or every handle is gone.
#[derive(Clone)]
pub struct LiveHandle {
    inner: Arc<Inner>,
    commands: async_channel::Sender<Command>,
}

impl std::fmt::Debug for LiveHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHandle")
            .field("missing_events", &self.inner.missing)
            .field("ended", &self.inner.ended.load(Ordering::Acquire))
            .finish_non_exhaustive()
    }
}

enum Command {
    Originate {
        call: Box<Originate>,
        steps: async_channel::Sender<Step>,
    },
    Resync,
}

/// A step of a tracked originate, with the channels known by then.
struct Step {
    progress: Progress,
    channels: Vec<String>,
}

/// Starts a live model on `client` for runtime `R`: returns its handle
/// and the task, which the caller spawns. `None` when the client has
/// already closed.
///
/// The first event subscription of a client holds every event since its
/// login; the task takes it if nobody has.
pub fn start<R: Runtime>(
    client: Handle,
) -> Option<(LiveHandle, impl Future<Output = ()> + Send + 'static)> {
    let events = client.subscribe()?;
    let mask = client.event_mask().clone();
    let missing = Live::missing_classes(mask.as_header_value());
    if !missing.is_empty() {
        tracing::warn!(
            mask = mask.as_header_value(),
            ?missing,
            "the login's event mask leaves out classes the live model needs: \
             it will show what its syncs find, not what happens between them"
        );
    }
    let inner = Arc::new(Inner {
        model: Mutex::new(Live::new()),
        waiters: Mutex::new(Vec::new()),
        subscribers: Mutex::new(Vec::new()),
        missing,
        ended: AtomicBool::new(false),
    });
    let (commands_tx, commands) = async_channel::unbounded();
    let task = Task::<R> {
        inner: inner.clone(),
        client,
        events,
        commands: Box::pin(commands),
        pending: Vec::new(),
        calls: Vec::new(),
        next_call: 0,
        mask,
        hack_users: 0,
        updates: Vec::new(),
        runtime: std::marker::PhantomData,
    };
    Some((
        LiveHandle {
            inner,
            commands: commands_tx,
        },
        task.run(),
    ))
}

impl LiveHandle {
    /// A copy of the model's state now.
    #[must_use]
    pub fn snapshot(&self) -> State {
        lock(&self.inner.model).state().clone()
    }

    /// Runs `f` over the state now, without copying it.
    pub fn with_state<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(lock(&self.inner.model).state())
    }

    /// What the model did with the events so far.
    #[must_use]
    pub fn stats(&self) -> ami_live::Stats {
        lock(&self.inner.model).stats().clone()
    }

    /// The event classes the model needs (`call`, `dialplan`, `agent`)
    /// that the login's mask leaves out. Not empty: the model is filled by
    /// its syncs only, and goes stale between them.
    #[must_use]
    pub fn missing_events(&self) -> &[&'static str] {
        &self.inner.missing
    }

    /// Whether the task has ended (the client closed for good).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.inner.ended.load(Ordering::Acquire)
    }

    /// The model's changes from now on, at most [`CHANGE_BUFFER`] unread.
    #[must_use]
    pub fn changes(&self) -> Changes {
        self.changes_bounded(CHANGE_BUFFER)
    }

    /// The model's changes from now on, at most `capacity` unread (the
    /// oldest are dropped beyond, and counted in an [`Update::Lost`]).
    #[must_use]
    pub fn changes_bounded(&self, capacity: usize) -> Changes {
        let queue = Arc::new(Mutex::new(Queue {
            capacity: capacity.max(1),
            closed: self.is_closed(),
            ..Queue::default()
        }));
        lock(&self.inner.subscribers).push(queue.clone());
        Changes { queue }
    }

    /// Syncs every part again (the model stays readable meanwhile).
    pub fn resync(&self) {
        let _ = self.commands.try_send(Command::Resync);
    }

    /// Waits until `condition` holds over the state (checked now and after
    /// each change), at most `timeout` on runtime `R`'s clock.
    pub async fn wait_for<R: Runtime>(
        &self,
        mut condition: impl FnMut(&State) -> bool,
        timeout: Duration,
    ) -> Result<(), LiveError> {
        let (tx, rx) = async_channel::bounded(1);
        lock(&self.inner.waiters).push(tx);
        let mut timer = R::timer();
        timer.set_at(R::now() + timeout);
        loop {
            if condition(lock(&self.inner.model).state()) {
                return Ok(());
            }
            if self.is_closed() {
                return Err(LiveError::Closed);
            }
            let mut changed = pin!(rx.recv());
            let woke = poll_fn(|cx| {
                if let Poll::Ready(r) = changed.as_mut().poll(cx) {
                    return Poll::Ready(Some(r.is_ok()));
                }
                if timer.poll_fired(cx).is_ready() {
                    return Poll::Ready(None);
                }
                Poll::Pending
            })
            .await;
            match woke {
                Some(true) => {}
                Some(false) => {
                    return if condition(lock(&self.inner.model).state()) {
                        Ok(())
                    } else {
                        Err(LiveError::Closed)
                    };
                }
                None => {
                    return if condition(lock(&self.inner.model).state()) {
                        Ok(())
                    } else {
                        Err(LiveError::Timeout)
                    };
                }
            }
        }
    }

    /// Originates `action` (an `Originate`) and tracks it: its channels
    /// get ids known in advance (see [`Originate::new`]), the returned
    /// [`OriginateCall`] reports each step and the outcome. Works whatever
    /// the login's event mask (see the [module docs](self)).
    pub fn originate(&self, action: Action) -> Result<OriginateCall, LiveError> {
        let call = Originate::new(action);
        let (steps_tx, steps) = async_channel::unbounded();
        let out = OriginateCall {
            channel_id: call.channel_id().to_owned(),
            other_channel_id: call.other_channel_id().to_owned(),
            steps,
            progress: Progress::Queued,
            channels: Vec::new(),
        };
        self.commands
            .try_send(Command::Originate {
                call: Box::new(call),
                steps: steps_tx,
            })
            .map_err(|_| LiveError::Closed)?;
        Ok(out)
    }
}

/// The changes of a live model: a `Stream` of [`Update`]s, bounded, that
/// says what it dropped. Ends when the live task does.
pub struct Changes {
    queue: SharedQueue,
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Changes")
            .field("unread", &lock(&self.queue).items.len())
            .finish_non_exhaustive()
    }
}

impl Changes {
    /// The next update, or `None` once the task has ended and everything
    /// is read.
    pub async fn recv(&mut self) -> Option<Update> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next update if one is there, without waiting.
    pub fn try_recv(&mut self) -> Option<Update> {
        let mut q = lock(&self.queue);
        Self::take(&mut q)
    }

    fn take(q: &mut Queue) -> Option<Update> {
        if q.lost > 0 {
            return Some(Update::Lost(std::mem::take(&mut q.lost)));
        }
        q.items.pop_front()
    }

    /// Polls for the next update.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Update>> {
        let mut q = lock(&self.queue);
        if let Some(u) = Self::take(&mut q) {
            return Poll::Ready(Some(u));
        }
        if q.closed {
            return Poll::Ready(None);
        }
        q.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl futures_lite::Stream for Changes {
    type Item = Update;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Update>> {
        self.poll_recv(cx)
    }
}

/// A tracked originate: its channels' ids (known before they exist), each
/// step as it comes ([`next`](Self::next)) and the outcome
/// ([`outcome`](Self::outcome)). Dropping it stops the tracking (the call
/// goes on).
#[derive(Debug)]
pub struct OriginateCall {
    channel_id: String,
    other_channel_id: String,
    steps: async_channel::Receiver<Step>,
    progress: Progress,
    channels: Vec<String>,
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {:?}", self.progress, self.channels)
    }
}

impl OriginateCall {
    /// The first channel's uniqueid (`ChannelId`), which is also the
    /// `Linkedid` of every channel of the call.
    #[must_use]
    pub fn channel_id(&self) -> &str {
        &self.channel_id
    }

    /// The second channel's uniqueid (`OtherChannelId`, a Local channel's
    /// `;2` half).
    #[must_use]
    pub fn other_channel_id(&self) -> &str {
        &self.other_channel_id
    }

    /// The last step seen.
    #[must_use]
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// The uniqueids of the channels it created, as of the last step seen.
    #[must_use]
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// The next step (`Dialing`, `Ringing`, then the outcome); `None`
    /// after the outcome.
    pub async fn next(&mut self) -> Option<Progress> {
        if self.progress.is_final() {
            return None;
        }
        match self.steps.recv().await {
            Ok(step) => {
                self.progress = step.progress.clone();
                self.channels = step.channels;
                Some(step.progress)
            }
            Err(_) => {
                // The task ended before an outcome.
                let failed = Progress::Failed(Failure {
                    message: "the live model stopped".into(),
                    ..Failure::default()
                });
                self.progress = failed.clone();
                Some(failed)
            }
        }
    }

    /// Waits for the outcome: [`Progress::Answered`], `Busy`, `NoAnswer`
    /// or `Failed`.
    pub async fn outcome(&mut self) -> Progress {
        while self.next().await.is_some() {}
        self.progress.clone()
    }
}

/// What a request sent by the task came back with.
enum Done {
    Sync(Box<SyncRequest>, Result<Response, ClientError>),
    Originated(u64, Result<Response, ClientError>),
    Mask(Result<Response, ClientError>),
}

type Pending = Pin<Box<dyn Future<Output = Done> + Send>>;

struct Tracked {
    id: u64,
    call: Box<Originate>,
    steps: async_channel::Sender<Step>,
    deadline: Instant,
    /// Whether it holds the events mask open.
    hack: bool,
    /// Set at its outcome while it holds the mask for its channels' events.
    linger: Option<Instant>,
}

struct Task<R: Runtime> {
    inner: Arc<Inner>,
    client: Handle,
    events: Subscriber,
    commands: Pin<Box<async_channel::Receiver<Command>>>,
    pending: Vec<Pending>,
    calls: Vec<Tracked>,
    next_call: u64,
    mask: EventMask,
    /// Tracked originates holding `call` events on.
    hack_users: usize,
    updates: Vec<Update>,
    runtime: std::marker::PhantomData<R>,
}

/// What woke the task.
#[derive(Default)]
struct Wake {
    incoming: Vec<Incoming>,
    ended: bool,
    done: Vec<Done>,
    commands: Vec<Command>,
    handles_gone: bool,
    timer: bool,
}

/// Moves the model's pending changes into `updates`, in order.
fn take_changes(model: &mut Live, updates: &mut Vec<Update>) {
    while let Some(c) = model.poll_change() {
        updates.push(Update::Change(c));
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The `Timeout` of an Originate (milliseconds; Asterisk's default 30 s).
fn originate_timeout(action: &Action) -> Duration {
    action
        .get("Timeout")
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(30), Duration::from_millis)
}

impl<R: Runtime> Task<R> {
    async fn run(mut self) {
        self.sync();
        let mut timer = R::timer();
        let mut timer_at: Option<Instant> = None;
        loop {
            let deadline = self.calls.iter().map(|c| c.deadline).min();
            if deadline != timer_at {
                timer_at = deadline;
                if let Some(at) = deadline {
                    timer.set_at(at);
                }
            }
            let events = &mut self.events;
            let pending = &mut self.pending;
            let commands = &mut self.commands;
            let wake = poll_fn(|cx| {
                let mut wake = Wake::default();
                while wake.incoming.len() < BATCH {
                    match events.poll_recv(cx) {
                        Poll::Ready(Some(item)) => wake.incoming.push(item),
                        Poll::Ready(None) => {
                            wake.ended = true;
                            break;
                        }
                        Poll::Pending => break,
                    }
                }
                let mut i = 0;
                while i < pending.len() {
                    if let Poll::Ready(done) = pending[i].as_mut().poll(cx) {
                        // `remove`, not `swap_remove`: the ones not polled
                        // yet send their actions in the order they were made.
                        drop(pending.remove(i));
                        wake.done.push(done);
                    } else {
                        i += 1;
                    }
                }
                loop {
                    match futures_lite::Stream::poll_next(commands.as_mut(), cx) {
                        Poll::Ready(Some(c)) => wake.commands.push(c),
                        Poll::Ready(None) => {
                            wake.handles_gone = true;
                            break;
                        }
                        Poll::Pending => break,
                    }
                }
                if timer_at.is_some() && timer.poll_fired(cx).is_ready() {
                    wake.timer = true;
                }
                let any = !wake.incoming.is_empty()
                    || wake.ended
                    || !wake.done.is_empty()
                    || !wake.commands.is_empty()
                    || wake.handles_gone
                    || wake.timer;
                if any {
                    Poll::Ready(wake)
                } else {
                    Poll::Pending
                }
            })
            .await;
            if wake.timer {
                timer_at = None;
            }
            let had_events = !wake.incoming.is_empty();
            self.handle(wake.incoming);
            for done in wake.done {
                self.finished(done);
            }
            for command in wake.commands {
                self.command(command);
            }
            self.expire();
            self.flush();
            if wake.ended {
                self.fail_calls("the client closed");
                self.flush();
                self.inner.end();
                return;
            }
            if wake.handles_gone {
                self.inner.end();
                return;
            }
            if had_events {
                R::yield_now().await;
            }
        }
    }

    /// Starts a sync of every part.
    fn sync(&mut self) {
        let requests = {
            let mut model = lock(&self.inner.model);
            model.set_now(unix_now());
            let requests = model.start_sync();
            take_changes(&mut model, &mut self.updates);
            self.inner.publish(&mut self.updates);
            requests
        };
        for request in requests {
            self.send_sync(request);
        }
    }

    fn send_sync(&mut self, request: SyncRequest) {
        let client = self.client.clone();
        self.pending.push(Box::pin(async move {
            let result = client
                .send_with(request.action.clone(), SendOptions::default())
                .await;
            Done::Sync(Box::new(request), result)
        }));
    }

    fn send_mask(&mut self, mask: String) {
        let client = self.client.clone();
        self.pending.push(Box::pin(async move {
            let action = Action::new("Events").header("EventMask", mask);
            Done::Mask(client.send_with(action, SendOptions::default()).await)
        }));
    }

    /// The mask with `call` events added, or `None` when it has them.
    fn hack_mask(&self) -> Option<String> {
        let value = self.mask.as_header_value();
        if !Live::missing_classes(value).contains(&"call") {
            return None;
        }
        Some(match &self.mask {
            EventMask::Mask(m) if !m.trim().is_empty() => format!("{m},call"),
            _ => "call".to_owned(),
        })
    }

    fn handle(&mut self, incoming: Vec<Incoming>) {
        if incoming.is_empty() {
            return;
        }
        let mut resync = false;
        {
            let mut model = lock(&self.inner.model);
            model.set_now(unix_now());
            for item in incoming {
                match item {
                    Incoming::Event(event) => {
                        model.apply(&event);
                        for tracked in &mut self.calls {
                            tracked.call.apply(&event);
                        }
                    }
                    Incoming::Lost(n) => {
                        tracing::warn!(lost = n, "the live model lost events: syncing again");
                        resync = true;
                    }
                    Incoming::Disconnected(reason) => {
                        tracing::debug!(%reason, "live model: disconnected");
                        model.disconnected();
                        take_changes(&mut model, &mut self.updates);
                        self.updates.push(Update::Disconnected);
                        // The login of the next connection resets the mask.
                        for tracked in &mut self.calls {
                            tracked.hack = false;
                        }
                        self.hack_users = 0;
                        for tracked in &mut self.calls {
                            tracked.call.fail(Failure {
                                message: format!("connection lost: {reason}"),
                                ..Failure::default()
                            });
                        }
                    }
                    Incoming::Reconnected => {
                        self.updates.push(Update::Reconnected);
                        resync = true;
                    }
                }
                take_changes(&mut model, &mut self.updates);
            }
            // Published before the lock is let go: whoever sees the new
            // state finds its changes in the streams.
            self.inner.publish(&mut self.updates);
        }
        if resync {
            self.sync();
        }
    }

    fn finished(&mut self, done: Done) {
        match done {
            Done::Sync(request, result) => {
                let next = {
                    let mut model = lock(&self.inner.model);
                    let next = match result {
                        Ok(response) => model.sync_response(&request, &response),
                        Err(ClientError::Rejected(response)) => {
                            model.sync_response(&request, &response)
                        }
                        Err(error) => {
                            tracing::debug!(%error, part = %request.part, "live sync failed");
                            model.sync_failed(&request);
                            Vec::new()
                        }
                    };
                    take_changes(&mut model, &mut self.updates);
                    self.inner.publish(&mut self.updates);
                    next
                };
                for request in next {
                    self.send_sync(request);
                }
            }
            Done::Originated(id, result) => {
                if let Some(t) = self.calls.iter_mut().find(|t| t.id == id) {
                    match result {
                        Ok(response) => t.call.response(&response),
                        Err(ClientError::Rejected(response)) => t.call.response(&response),
                        Err(error) => t.call.fail(Failure {
                            message: error.to_string(),
                            ..Failure::default()
                        }),
                    }
                }
            }
            Done::Mask(result) => {
                if let Err(error) = result {
                    tracing::warn!(%error, "the Events action failed");
                }
            }
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Resync => self.sync(),
            Command::Originate { call, steps } => {
                let id = self.next_call;
                self.next_call += 1;
                let deadline = R::now() + originate_timeout(call.action()) + ORIGINATE_GRACE;
                let hack = match self.hack_mask() {
                    Some(mask) => {
                        if self.hack_users == 0 {
                            // Sent before the Originate: a session's
                            // actions run in order.
                            self.send_mask(mask);
                        }
                        self.hack_users += 1;
                        true
                    }
                    None => false,
                };
                let client = self.client.clone();
                let action = call.action().clone();
                self.pending.push(Box::pin(async move {
                    Done::Originated(id, client.send_with(action, SendOptions::default()).await)
                }));
                self.calls.push(Tracked {
                    id,
                    call,
                    steps,
                    deadline,
                    hack,
                    linger: None,
                });
            }
        }
    }

    fn expire(&mut self) {
        let now = R::now();
        for t in &mut self.calls {
            if t.deadline <= now {
                t.call.fail(Failure {
                    message: "no outcome in time".into(),
                    ..Failure::default()
                });
            }
        }
    }

    fn fail_calls(&mut self, why: &str) {
        for t in &mut self.calls {
            t.call.fail(Failure {
                message: why.to_owned(),
                ..Failure::default()
            });
        }
    }

    /// Hands out the calls' steps, drops the finished ones (restoring the
    /// mask after the last that held it), publishes the changes and wakes
    /// the waiters.
    fn flush(&mut self) {
        let mut released = 0;
        let now = R::now();
        self.calls.retain_mut(|t| {
            let mut gone = false;
            while let Some(progress) = t.call.poll_progress() {
                let step = Step {
                    progress,
                    channels: t.call.channels().to_vec(),
                };
                gone |= t.steps.try_send(step).is_err();
            }
            if !gone && !t.call.is_done() && !t.steps.is_closed() {
                return true;
            }
            if !t.hack {
                return false;
            }
            // The mask stays open until the model has its channels.
            if t.call.is_done() && !t.call.channels_seen() {
                let until = *t.linger.get_or_insert(now + HACK_LINGER);
                if now < until {
                    t.deadline = until;
                    return true;
                }
            }
            released += 1;
            false
        });
        if released > 0 {
            self.hack_users = self.hack_users.saturating_sub(released);
            if self.hack_users == 0 {
                self.send_mask(self.mask.as_header_value().to_owned());
            }
        }
        if !self.updates.is_empty() {
            self.inner.publish(&mut self.updates);
        }
        self.inner.notify();
    }
}
