//! The driver: owns the socket and the state machine on a thread of its
//! own (`async_io::block_on`), serves the handles' commands, hands outcomes
//! to their waiters and events to the subscribers, reconnects.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use ami_client::ClientOptions;
use ami_client::adapter::{self, LoginProgress, Publish, Publisher, Reply, login_progress};
use ami_proto::{CloseReason, Connection, Response, TranscriptHook, Violation};
use async_io::Timer;
use futures_lite::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use futures_lite::{FutureExt, Stream as _};

use crate::stream::{self, Stream};
use crate::{Answer, Client, Command, Done, Incoming, Result, Shared, lock};

type SharedHook = Arc<Mutex<TranscriptHook>>;

impl Reply<Result<Response>> for Answer {
    fn reply(self, value: Result<Response>) {
        // A dropped `send` future just discards its answer.
        let _ = self.0.try_send(value);
    }
}

impl Reply<()> for Done {
    fn reply(self, value: ()) {
        let _ = self.0.try_send(value);
    }
}

/// The subscribers: a bounded broadcast that drops a slow subscriber's
/// oldest events and tells it how many (the runtime-neutral
/// [`Publisher`]).
struct Events(Publisher, Option<ami_client::ViolationHook>);

impl Publish for Events {
    fn publish(&self, item: Incoming) {
        let _ = self.0.publish(item);
    }

    fn publish_all(&self, items: &mut Vec<Incoming>) {
        let _ = self.0.publish_all(items);
    }

    fn violation(&self, violation: Violation) {
        tracing::warn!(%violation, "AMI protocol violation");
        if let Some(hook) = &self.1 {
            hook(&violation);
        }
    }
}

/// Sleeps until the core's next deadline, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => {
            Timer::at(d).await;
        }
        None => std::future::pending().await,
    }
}

/// Connects, logs in and starts the driver thread.
pub(crate) async fn start(mut options: ClientOptions) -> Result<Client> {
    let hook = options
        .take_transcript_hook()
        .map(|h| Arc::new(Mutex::new(h)));
    // By default a slow subscriber loses its oldest events (and is told
    // how many) and the driver never waits for it; with backpressure the
    // driver stops reading while the buffer is full.
    let events = Publisher::bounded(
        options.event_buffer,
        options.event_buffer_bytes,
        options.overflow,
    );
    let shared = Arc::new(Shared {
        events: Mutex::new(Some(events.hub())),
        first: Mutex::new(Some(events.subscribe())),
        version: Mutex::new(None),
        closed: Mutex::new(None),
    });
    let events = Events(events, options.violation_hook());
    let (stream, conn) = establish(&options, hook.as_ref(), &events, &shared).await?;
    let (commands_tx, commands) = async_channel::unbounded();
    let driver = Driver {
        options,
        hook,
        events,
        shared: shared.clone(),
        commands: Box::pin(commands),
        core: adapter::Driver::new(),
    };
    std::thread::Builder::new()
        .name("ami-smol-driver".into())
        .spawn(move || async_io::block_on(driver.run(stream, conn)))?;
    Ok(Client {
        commands: commands_tx,
        shared,
    })
}

/// Opens the socket and runs the state machine until it is logged in.
async fn establish(
    options: &ClientOptions,
    hook: Option<&SharedHook>,
    events: &Events,
    shared: &Shared,
) -> Result<(Stream, Connection)> {
    let mut stream = stream::open(options).await?;
    let mut conn = Connection::new(options.config.clone(), Instant::now());
    if let Some(hook) = hook {
        let hook = hook.clone();
        conn.set_transcript(Some(Box::new(move |dir, line| (lock(&hook))(dir, line))));
    }
    let mut buf = vec![0; options.read_size()];
    let mut out = Vec::new();
    loop {
        out.clear();
        if conn.poll_transmit(&mut out) > 0 {
            stream.write_all(&out).await?;
            stream.flush().await?;
        }
        match login_progress(&mut conn, events) {
            LoginProgress::Ready => {
                *lock(&shared.version) = conn.version().map(|v| v.to_str_lossy().into_owned());
                return Ok((stream, conn));
            }
            LoginProgress::Failed(error) => return Err(error),
            LoginProgress::Pending => {}
        }
        let deadline = conn.poll_timeout();
        let read = async { Some(stream.read(&mut buf).await) }
            .or(async {
                sleep_until(deadline).await;
                None
            })
            .await;
        match read {
            Some(Ok(0) | Err(_)) => conn.handle_disconnect(Instant::now()),
            Some(Ok(n)) => conn.handle_input(Instant::now(), &buf[..n]),
            None => conn.handle_timeout(Instant::now()),
        }
    }
}

/// Reads what the socket holds without waiting for more, up to `buf`'s
/// length: one wake's worth of input. `Ok(0)` is the end of the stream.
/// Never keeps bytes across a `Pending`.
fn poll_read_available<R: AsyncRead + Unpin>(
    reader: &mut R,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut filled = 0;
    loop {
        match Pin::new(&mut *reader).poll_read(cx, &mut buf[filled..]) {
            Poll::Ready(Ok(n)) => {
                filled += n;
                if n == 0 || filled == buf.len() {
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

struct Driver {
    options: ClientOptions,
    hook: Option<SharedHook>,
    events: Events,
    shared: Arc<Shared>,
    /// Pinned once, so that the serve loop can poll it as a `Stream`,
    /// which keeps its listener between wakes.
    commands: Pin<Box<async_channel::Receiver<Command>>>,
    core: adapter::Driver<Answer, Done>,
}

impl Driver {
    async fn run(mut self, mut stream: Stream, mut conn: Connection) {
        loop {
            let reason = self.serve(stream, &mut conn).await;
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
                let established = establish(
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
    async fn serve(&mut self, stream: Stream, conn: &mut Connection) -> CloseReason {
        let (mut reader, mut writer) = futures_lite::io::split(stream);
        // Up to 512 KiB (`ClientOptions::read_size`), so that a flood costs
        // few system calls and wake-ups (64 KiB reads made the 200 000-event
        // benchmark corpus 1.3–1.5× slower end to end); a trickle of events
        // only ever touches the buffer's first pages.
        let mut buf = vec![0; self.options.read_size()];
        let mut out = Vec::new();
        let mut written = 0;
        let mut needs_flush = false;
        let mut commands_open = true;
        // One timer, moved when the core's next deadline moves.
        let mut timer = Timer::never();
        let mut timer_at = None;
        loop {
            if written == out.len() {
                out.clear();
                written = 0;
            }
            let _ = conn.poll_transmit(&mut out);
            self.core.dispatch(conn, &self.events);
            if let Some(reason) = conn.close_reason() {
                let reason = reason.clone();
                let flush = async {
                    let _ = writer.write_all(&out[written..]).await;
                    let _ = writer.close().await;
                };
                flush
                    .or(async {
                        Timer::after(Duration::from_secs(1)).await;
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
            let publisher = &self.events.0;
            // Every source is polled each time (no future is made and
            // dropped per wake); all that are ready are handled.
            let wake = poll_fn(|cx| {
                let mut wake = Wake::default();
                let mut ready = false;
                if publisher.poll_room(cx).is_ready()
                    && let Poll::Ready(read) = poll_read_available(&mut reader, cx, &mut buf)
                {
                    wake.read = Some(read);
                    ready = true;
                }
                // Write and flush are separate wakes: TLS may hold written
                // bytes until flushed.
                if !pending_out.is_empty() {
                    if let Poll::Ready(wrote) = Pin::new(&mut writer).poll_write(cx, pending_out) {
                        wake.wrote = Some(wrote);
                        ready = true;
                    }
                } else if needs_flush
                    && let Poll::Ready(flushed) = Pin::new(&mut writer).poll_flush(cx)
                {
                    wake.flushed = Some(flushed);
                    ready = true;
                }
                if commands_open && let Poll::Ready(command) = commands.as_mut().poll_next(cx) {
                    wake.command = Some(command);
                    ready = true;
                }
                if timer_at.is_some() && Pin::new(&mut timer).poll(cx).is_ready() {
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
            let now = Instant::now();
            match wake.read {
                Some(Ok(0) | Err(_)) => conn.handle_disconnect(now),
                Some(Ok(n)) => conn.handle_input(now, &buf[..n]),
                None => {}
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
        let until = Instant::now() + delay;
        loop {
            let command = async { Some(self.commands.recv().await.ok()) }
                .or(async {
                    Timer::at(until).await;
                    None
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
        self.events.0.close();
    }
}
