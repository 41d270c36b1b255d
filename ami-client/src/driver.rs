//! The async client, written once for every runtime: the driver that owns
//! the socket and the [`Connection`], serves the handles' commands, hands
//! outcomes to their waiters and events to the subscribers, and
//! reconnects; and the [`Handle`] the adapters' `Client` types wrap.
//!
//! A runtime plugs in through [`Runtime`] (its clock, its sockets, its
//! timer, and how to let other tasks run), [`Io`] and [`Timer`]; it spawns
//! the future [`connect`] returns wherever it runs tasks (`tokio::spawn`,
//! a thread under `async_io::block_on`). Channels are `async-channel`'s,
//! which work under any executor.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use ami_proto::{
    Action, CloseReason, Connection, EventMask, Response, SendOptions, TranscriptHook, Violation,
};
use futures_lite::Stream as _;

use crate::adapter::{self, Hub, LoginProgress, Publish, Publisher, Reply, Subscriber};
use crate::{ClientError, ClientOptions, Incoming, ViolationHook};

/// A boxed, sendable future (what [`Runtime::connect`] and
/// [`Runtime::yield_now`] return).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a runtime gives the driver.
pub trait Runtime: Send + Sync + 'static {
    /// A connected socket, plain or TLS.
    type Stream: Io + Send + Unpin + 'static;
    /// A timer that can be moved.
    type Timer: Timer + Send + Unpin + 'static;
    /// The runtime's clock (Tokio's may be paused in tests).
    fn now() -> Instant;
    /// Opens the socket for `options`: TCP within the connect timeout, TLS
    /// on top when asked, each phase with its deadline.
    fn connect(options: &ClientOptions) -> BoxFuture<'_, Result<Self::Stream, ClientError>>;
    /// A timer that has not been set.
    fn timer() -> Self::Timer;
    /// Lets the tasks that share this thread run (called once per socket
    /// read that published events, so that subscribers on a single-threaded
    /// runtime keep up); a runtime whose driver has a thread of its own
    /// returns a ready future.
    fn yield_now() -> BoxFuture<'static, ()>;
}

/// A byte stream, polled.
pub trait Io {
    /// Reads into `buf`; `Ok(0)` is the end of the stream.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>;
    /// Writes from `buf`.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>;
    /// Flushes (TLS may hold written bytes until then).
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Shuts the writing half down.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// A timer the driver moves to the core's next deadline.
pub trait Timer {
    /// Fires at `at` (replacing any earlier setting).
    fn set_at(&mut self, at: Instant);
    /// `Ready` once the time set has come.
    fn poll_fired(&mut self, cx: &mut Context<'_>) -> Poll<()>;
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where an action's outcome goes.
struct Answer(async_channel::Sender<Result<Response, ClientError>>);

/// Answered once the client has closed.
struct Done(async_channel::Sender<()>);

impl Reply<Result<Response, ClientError>> for Answer {
    fn reply(self, value: Result<Response, ClientError>) {
        // A dropped `send` future just discards its answer.
        let _ = self.0.try_send(value);
    }
}

impl Reply<()> for Done {
    fn reply(self, value: ()) {
        let _ = self.0.try_send(value);
    }
}

type Command = adapter::Command<Answer, Done>;

/// State the driver shares with the handles.
struct Shared {
    /// Subscribing goes through this; `None` once the driver ended.
    events: Mutex<Option<Hub>>,
    /// The subscriber made before the login, for the first subscription.
    first: Mutex<Option<Subscriber>>,
    version: Mutex<Option<String>>,
    /// Why the driver ended, once it has.
    closed: Mutex<Option<CloseReason>>,
    /// The `Events:` of the login (every reconnection logs in with it).
    mask: EventMask,
}

/// The handle side of an async client, cheap to clone: what the adapters'
/// `Client` types wrap.
#[derive(Clone)]
pub struct Handle {
    commands: async_channel::Sender<Command>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("version", &self.version())
            .field("closed", &*lock(&self.shared.closed))
            .finish_non_exhaustive()
    }
}

impl Handle {
    /// Sends an action with per-action options and waits for its outcome.
    /// Dropping the future discards the answer and disturbs nothing else.
    pub async fn send_with(
        &self,
        action: Action,
        options: SendOptions,
    ) -> Result<Response, ClientError> {
        let (reply, answer) = async_channel::bounded(1);
        self.commands
            .send(Command::Send {
                action,
                options,
                reply: Answer(reply),
            })
            .await
            .map_err(|_| self.closed_error())?;
        answer.recv().await.map_err(|_| self.closed_error())?
    }

    /// Runs a CLI command and returns its output lines, the same for
    /// Asterisk ≤ 13 and 14+.
    pub async fn command(&self, command: &str) -> Result<Vec<String>, ClientError> {
        let action = Action::new("Command").header("Command", command);
        let response = self.send_with(action, SendOptions::default()).await?;
        Ok(response
            .output()
            .map(|line| line.to_str_lossy().into_owned())
            .collect())
    }

    /// Sends a `Ping`; returns the round trip on runtime `R`'s clock.
    pub async fn ping<R: Runtime>(&self) -> Result<Duration, ClientError> {
        let start = R::now();
        self.send_with(Action::new("Ping"), SendOptions::default())
            .await?;
        Ok(R::now().saturating_duration_since(start))
    }

    /// A new subscriber; the first one made holds every event since the
    /// login. `None` once the client has closed for good.
    #[must_use]
    pub fn subscribe(&self) -> Option<Subscriber> {
        lock(&self.shared.first)
            .take()
            .or_else(|| lock(&self.shared.events).as_ref().map(Hub::subscribe))
    }

    /// The AMI version from the current connection's banner.
    #[must_use]
    pub fn version(&self) -> Option<String> {
        lock(&self.shared.version).clone()
    }

    /// Whether the client has closed for good (no more reconnection).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        lock(&self.shared.closed).is_some()
    }

    /// The event mask the client logs in with (`Events:`; each
    /// reconnection logs in with it again). An `Events` action sent since
    /// is not reflected.
    #[must_use]
    pub fn event_mask(&self) -> &EventMask {
        &self.shared.mask
    }

    /// Closes: at once (`Logoff` now, pending actions fail), or `soft`ly
    /// (new actions refused, pending ones finish, then `Logoff`). Returns
    /// once the client has closed.
    pub async fn close(&self, soft: bool) {
        let (reply, done) = async_channel::bounded(1);
        let command = Command::Close {
            soft,
            reply: Done(reply),
        };
        if self.commands.send(command).await.is_ok() {
            let _ = done.recv().await;
        }
    }

    fn closed_error(&self) -> ClientError {
        match lock(&self.shared.closed).clone() {
            Some(reason) => ClientError::Closed(reason),
            None => ClientError::Closing,
        }
    }
}

/// Connects with `options` and logs in on runtime `R`; returns the handle
/// and the driver, which the caller spawns (it ends once the client has
/// closed for good).
pub async fn connect<R: Runtime>(
    mut options: ClientOptions,
) -> Result<(Handle, impl Future<Output = ()> + Send + 'static), ClientError> {
    let hook = options
        .take_transcript_hook()
        .map(|h| Arc::new(Mutex::new(h)));
    // Lazily allocated: large bounds cost nothing up front.
    let publisher = Publisher::bounded(
        options.event_buffer,
        options.event_buffer_bytes,
        options.overflow,
    );
    let shared = Arc::new(Shared {
        events: Mutex::new(Some(publisher.hub())),
        first: Mutex::new(Some(publisher.subscribe())),
        version: Mutex::new(None),
        closed: Mutex::new(None),
        mask: options.config.events.clone(),
    });
    let events = Events {
        publisher,
        published: AtomicBool::new(false),
        on_violation: options.violation_hook(),
    };
    let (stream, conn) = establish::<R>(&options, hook.as_ref(), &events, &shared).await?;
    let (commands_tx, commands) = async_channel::unbounded();
    let driver = Driver::<R> {
        options,
        hook,
        events,
        shared: shared.clone(),
        commands: Box::pin(commands),
        core: adapter::Driver::new(),
        runtime: std::marker::PhantomData,
    };
    let handle = Handle {
        commands: commands_tx,
        shared,
    };
    Ok((handle, driver.run(stream, conn)))
}

type SharedHook = Arc<Mutex<TranscriptHook>>;

/// The subscribers (the runtime-neutral [`Publisher`]), whether anything
/// was published since the driver last yielded, and the violation hook.
struct Events {
    publisher: Publisher,
    published: AtomicBool,
    on_violation: Option<ViolationHook>,
}

impl Events {
    /// Whether anything was published since the last call.
    fn take_published(&self) -> bool {
        self.published.swap(false, Ordering::Relaxed)
    }
}

impl Publish for Events {
    fn publish(&self, item: Incoming) {
        self.published.store(true, Ordering::Relaxed);
        let _ = self.publisher.publish(item);
    }

    fn publish_all(&self, items: &mut Vec<Incoming>) {
        if !items.is_empty() {
            self.published.store(true, Ordering::Relaxed);
            let _ = self.publisher.publish_all(items);
        }
    }

    fn publish_iter(&self, items: impl Iterator<Item = Incoming>) {
        let mut items = items.peekable();
        if items.peek().is_some() {
            self.published.store(true, Ordering::Relaxed);
            let _ = self.publisher.publish_iter(items);
        }
    }

    fn violation(&self, violation: Violation) {
        tracing::warn!(%violation, "AMI protocol violation");
        if let Some(hook) = &self.on_violation {
            hook(&violation);
        }
    }
}

/// Writes all of `bytes` and flushes.
async fn write_all<S: Io + Unpin>(stream: &mut S, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *stream).poll_write(cx, bytes)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[n..];
    }
    poll_fn(|cx| Pin::new(&mut *stream).poll_flush(cx)).await
}

/// Opens the socket and runs the state machine until it is logged in.
async fn establish<R: Runtime>(
    options: &ClientOptions,
    hook: Option<&SharedHook>,
    events: &Events,
    shared: &Shared,
) -> Result<(R::Stream, Connection), ClientError> {
    let mut stream = R::connect(options).await?;
    let mut conn = Connection::new(options.config.clone(), R::now());
    if let Some(hook) = hook {
        let hook = hook.clone();
        conn.set_transcript(Some(Box::new(move |dir, line| (lock(&hook))(dir, line))));
    }
    let read_size = options.read_size();
    let mut out = Vec::new();
    let mut timer = R::timer();
    loop {
        out.clear();
        if conn.poll_transmit(&mut out) > 0 {
            write_all(&mut stream, &out).await?;
        }
        match adapter::login_progress(&mut conn, events) {
            LoginProgress::Ready => {
                *lock(&shared.version) = conn.version().map(|v| v.to_str_lossy().into_owned());
                return Ok((stream, conn));
            }
            LoginProgress::Failed(error) => return Err(error),
            LoginProgress::Pending => {}
        }
        let deadline = conn.poll_timeout();
        if let Some(at) = deadline {
            timer.set_at(at);
        }
        let read = poll_fn(|cx| {
            // Straight into the decoder's buffer: `handle_read` takes it.
            if let Poll::Ready(read) = Pin::new(&mut stream).poll_read(cx, conn.read_buf(read_size))
            {
                return Poll::Ready(Some(read));
            }
            if deadline.is_some() && timer.poll_fired(cx).is_ready() {
                return Poll::Ready(None);
            }
            Poll::Pending
        })
        .await;
        match read {
            Some(Ok(0) | Err(_)) => conn.handle_disconnect(R::now()),
            Some(Ok(n)) => conn.handle_read(R::now(), n),
            None => conn.handle_timeout(R::now()),
        }
    }
}

/// Reads what the socket holds without waiting for more, up to `max`
/// bytes, straight into the connection's decoder (each read is handed to
/// it, [`Connection::handle_read`], at `now`): one wake's worth of input.
/// Returns how many bytes it read; `Ok(0)` is the end of the stream, which
/// the caller hands on. Never keeps bytes across a `Pending`.
fn poll_read_available<S: Io + Unpin>(
    stream: &mut S,
    cx: &mut Context<'_>,
    conn: &mut Connection,
    max: usize,
    now: &impl Fn() -> Instant,
) -> Poll<io::Result<usize>> {
    let mut filled = 0;
    loop {
        match Pin::new(&mut *stream).poll_read(cx, conn.read_buf(max - filled)) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    conn.handle_read(now(), n);
                }
                filled += n;
                if n == 0 || filled >= max {
                    // The end of the stream comes as `Ok(0)` next time.
                    return Poll::Ready(Ok(filled));
                }
            }
            // An error after some bytes comes again on the next read.
            Poll::Ready(Err(_)) | Poll::Pending if filled > 0 => return Poll::Ready(Ok(filled)),
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
    }
}

/// What woke the driver: every source that was ready, so that a flood on
/// the socket never starves the handles' commands or the timer.
#[derive(Default)]
struct Wake {
    read: Option<io::Result<usize>>,
    wrote: Option<io::Result<usize>>,
    flushed: Option<io::Result<()>>,
    command: Option<Option<Command>>,
    timer: bool,
}

struct Driver<R: Runtime> {
    options: ClientOptions,
    hook: Option<SharedHook>,
    events: Events,
    shared: Arc<Shared>,
    /// Pinned once, so that the serve loop can poll it as a `Stream`,
    /// which keeps its listener between wakes.
    commands: Pin<Box<async_channel::Receiver<Command>>>,
    core: adapter::Driver<Answer, Done>,
    runtime: std::marker::PhantomData<R>,
}

impl<R: Runtime> Driver<R> {
    async fn run(mut self, mut stream: R::Stream, mut conn: Connection) {
        loop {
            let reason = self.serve(&mut stream, &mut conn).await;
            let Some(reconnect) =
                self.core
                    .reconnect_policy(self.options.reconnect, &reason, &self.events)
            else {
                return self.finish(reason);
            };
            let mut attempt = 0;
            loop {
                let Some(delay) = reconnect.delay(attempt, fastrand::f64()) else {
                    return self.finish(reason);
                };
                if !self.back_off(delay, &reason).await {
                    return self.finish(reason);
                }
                let established = establish::<R>(
                    &self.options,
                    self.hook.as_ref(),
                    &self.events,
                    &self.shared,
                )
                .await;
                match established {
                    Ok((s, c)) => {
                        stream = s;
                        conn = c;
                        self.events.publish(Incoming::Reconnected);
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, attempt, "AMI reconnection failed");
                        attempt += 1;
                    }
                }
            }
        }
    }

    /// Runs one connection until the state machine closes; returns why.
    async fn serve(&mut self, stream: &mut R::Stream, conn: &mut Connection) -> CloseReason {
        // Up to 512 KiB (`ClientOptions::read_size`), so that a flood costs
        // few system calls and wake-ups (64 KiB reads made the 200 000-event
        // benchmark corpus 1.3–1.5× slower end to end); a trickle of events
        // only ever touches the buffer's first pages.
        let read_size = self.options.read_size();
        let mut out = Vec::new();
        let mut written = 0;
        let mut needs_flush = false;
        let mut commands_open = true;
        // One timer, moved when the core's next deadline moves.
        let mut timer = R::timer();
        let mut timer_at = None;
        loop {
            if written == out.len() {
                out.clear();
                written = 0;
            }
            let _ = conn.poll_transmit(&mut out);
            self.core.dispatch(conn, &self.events);
            if self.events.take_published() {
                // Let the subscribers run before reading more, in case they
                // share this thread (a current-thread runtime, or a task
                // this worker has just woken): under a flood the socket
                // always has more, and the runtime's budget would let this
                // task read a hundred times over before they ran. Once per
                // read; a ready future where the driver has its own thread.
                R::yield_now().await;
            }
            if let Some(reason) = conn.close_reason() {
                let reason = reason.clone();
                let pending = out[written..].to_vec();
                let flush = async {
                    let _ = write_all(stream, &pending).await;
                    let _ = poll_fn(|cx| Pin::new(&mut *stream).poll_close(cx)).await;
                };
                let mut grace = R::timer();
                grace.set_at(R::now() + Duration::from_secs(1));
                let mut flush = std::pin::pin!(flush);
                poll_fn(|cx| {
                    if flush.as_mut().poll(cx).is_ready() || grace.poll_fired(cx).is_ready() {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                })
                .await;
                return reason;
            }
            let deadline = conn.poll_timeout();
            if deadline != timer_at {
                timer_at = deadline;
                if let Some(at) = deadline {
                    timer.set_at(at);
                }
            }
            let pending_out = &out[written..];
            let commands = &mut self.commands;
            let publisher = &self.events.publisher;
            // Every source is polled each time (no future is made and
            // dropped per wake); all that are ready are handled.
            let wake = poll_fn(|cx| {
                let mut wake = Wake::default();
                let mut ready = false;
                // With backpressure, the socket is read only while the
                // subscribers have room.
                if publisher.poll_room(cx).is_ready()
                    && let Poll::Ready(read) =
                        poll_read_available(stream, cx, conn, read_size, &R::now)
                {
                    wake.read = Some(read);
                    ready = true;
                }
                // Write and flush are separate wakes: TLS may hold written
                // bytes until flushed.
                if !pending_out.is_empty() {
                    if let Poll::Ready(wrote) = Pin::new(&mut *stream).poll_write(cx, pending_out) {
                        wake.wrote = Some(wrote);
                        ready = true;
                    }
                } else if needs_flush
                    && let Poll::Ready(flushed) = Pin::new(&mut *stream).poll_flush(cx)
                {
                    wake.flushed = Some(flushed);
                    ready = true;
                }
                if commands_open && let Poll::Ready(command) = commands.as_mut().poll_next(cx) {
                    wake.command = Some(command);
                    ready = true;
                }
                if timer_at.is_some() && timer.poll_fired(cx).is_ready() {
                    wake.timer = true;
                    ready = true;
                }
                if ready {
                    Poll::Ready(wake)
                } else {
                    Poll::Pending
                }
            })
            .await;
            let now = R::now();
            // What was read is the connection's already.
            if let Some(Ok(0) | Err(_)) = wake.read {
                conn.handle_disconnect(now);
            }
            match wake.wrote {
                Some(Ok(n)) => {
                    written += n;
                    needs_flush = true;
                }
                Some(Err(_)) => conn.handle_disconnect(now),
                None => {}
            }
            match wake.flushed {
                Some(Ok(())) => needs_flush = false,
                Some(Err(_)) => conn.handle_disconnect(now),
                None => {}
            }
            if let Some(command) = wake.command {
                // `None`: every handle is gone, which logs off.
                commands_open = command.is_some();
                self.core.command(conn, command, now);
            }
            if wake.timer {
                // Fired: it is set again when the core has a deadline.
                timer_at = None;
                conn.handle_timeout(now);
            }
        }
    }

    /// Waits `delay` before reconnecting, failing new actions at once.
    /// Returns `false` if the user closed meanwhile.
    async fn back_off(&mut self, delay: Duration, reason: &CloseReason) -> bool {
        let mut timer = R::timer();
        timer.set_at(R::now() + delay);
        loop {
            let commands = &mut self.commands;
            let command = poll_fn(|cx| {
                if let Poll::Ready(command) = commands.as_mut().poll_next(cx) {
                    return Poll::Ready(Some(command));
                }
                if timer.poll_fired(cx).is_ready() {
                    return Poll::Ready(None);
                }
                Poll::Pending
            })
            .await;
            match command {
                None => return true,
                Some(command) => {
                    if !self.core.command_while_disconnected(command, reason) {
                        return false;
                    }
                }
            }
        }
    }

    /// Ends for good: subscribers hear why, then their streams end; pending
    /// and later commands fail.
    fn finish(mut self, reason: CloseReason) {
        *lock(&self.shared.closed) = Some(reason.clone());
        *lock(&self.shared.events) = None;
        self.commands.close();
        let mut leftover = Vec::new();
        while let Ok(command) = self.commands.try_recv() {
            leftover.push(command);
        }
        self.core.finish(&reason, &self.events, leftover);
        self.events.publisher.close();
    }
}
