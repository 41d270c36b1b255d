//! The driver task: owns the socket and the state machine, serves the
//! handles' commands, hands outcomes to their waiters and events to the
//! subscribers, reconnects.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use ami_client::ClientOptions;
use ami_client::adapter::{self, LoginProgress, Publish, Publisher, Reply, login_progress};
use ami_proto::{CloseReason, Connection, Response, TranscriptHook, Violation};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::sync::mpsc;

use crate::stream::{self, Stream};
use crate::{Answer, Client, Command, Done, Incoming, Result, Shared, lock};

/// The core's notion of now, from Tokio's clock (virtual when paused).
fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

/// Sleeps until the core's next deadline, or forever without one.
async fn sleep_until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}

type SharedHook = Arc<Mutex<TranscriptHook>>;

impl Reply<Result<Response>> for Answer {
    fn reply(self, value: Result<Response>) {
        // A dropped `send` future just discards its answer.
        let _ = self.0.send(value);
    }
}

impl Reply<()> for Done {
    fn reply(self, value: ()) {
        let _ = self.0.send(value);
    }
}

/// Reads what the socket holds without waiting for more, up to `buf`'s
/// length: one wake's worth of input. `Ok(0)` is the end of the stream.
/// Cancel safe: it never keeps bytes across a `Pending`.
async fn read_available<R: AsyncRead + Unpin>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    poll_fn(|cx| {
        let mut filled = 0;
        loop {
            let mut read = ReadBuf::new(&mut buf[filled..]);
            match Pin::new(&mut *reader).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) => {
                    let n = read.filled().len();
                    filled += n;
                    if n == 0 || filled == buf.len() {
                        // The end of the stream comes as `Ok(0)` next time.
                        return Poll::Ready(Ok(filled));
                    }
                }
                // An error after some bytes comes again on the next read.
                Poll::Ready(Err(_)) | Poll::Pending if filled > 0 => {
                    return Poll::Ready(Ok(filled));
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await
}

/// The subscribers: a bounded broadcast that drops a slow subscriber's
/// oldest events and tells it how many (the runtime-neutral
/// [`Publisher`]), and whether anything was published since the driver
/// last yielded.
struct Events {
    publisher: Publisher,
    published: AtomicBool,
    on_violation: Option<ami_client::ViolationHook>,
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

    fn violation(&self, violation: Violation) {
        tracing::warn!(%violation, "AMI protocol violation");
        if let Some(hook) = &self.on_violation {
            hook(&violation);
        }
    }
}

/// Connects, logs in and spawns the driver.
pub(crate) async fn start(mut options: ClientOptions) -> Result<Client> {
    let hook = options
        .take_transcript_hook()
        .map(|h| Arc::new(Mutex::new(h)));
    // Lazily allocated: large bounds cost nothing up front.
    let events = Publisher::bounded(
        options.event_buffer,
        options.event_buffer_bytes,
        options.overflow,
    );
    let shared = Arc::new(Shared {
        events: Mutex::new(Some(events.hub())),
        first: Mutex::new(Some(events.subscribe())),
        ..Shared::default()
    });
    let events = Events {
        publisher: events,
        published: AtomicBool::new(false),
        on_violation: options.violation_hook(),
    };
    let (stream, conn) = establish(&options, hook.as_ref(), &events, &shared).await?;
    let (commands_tx, commands) = mpsc::unbounded_channel();
    let driver = Driver {
        options,
        hook,
        events,
        shared: shared.clone(),
        commands,
        core: adapter::Driver::new(),
    };
    tokio::spawn(driver.run(stream, conn));
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
    let mut conn = Connection::new(options.config.clone(), now());
    if let Some(hook) = hook {
        let hook = hook.clone();
        conn.set_transcript(Some(Box::new(move |dir, line| (lock(&hook))(dir, line))));
    }
    let mut buf = Vec::with_capacity(options.read_size());
    let mut out = Vec::new();
    loop {
        out.clear();
        if conn.poll_transmit(&mut out) > 0 {
            stream.write_all(&out).await?;
        }
        match login_progress(&mut conn, events) {
            LoginProgress::Ready => {
                *lock(&shared.version) = conn.version().map(|v| v.to_str_lossy().into_owned());
                return Ok((stream, conn));
            }
            LoginProgress::Failed(error) => return Err(error),
            LoginProgress::Pending => {}
        }
        tokio::select! {
            read = stream.read_buf(&mut buf) => match read {
                Ok(0) | Err(_) => conn.handle_disconnect(now()),
                Ok(_) => {
                    conn.handle_input(now(), &buf);
                    buf.clear();
                }
            },
            () = sleep_until(conn.poll_timeout()) => conn.handle_timeout(now()),
        }
    }
}

/// A finished write or flush.
enum Io {
    Wrote(std::io::Result<usize>),
    Flushed(std::io::Result<()>),
}

struct Driver {
    options: ClientOptions,
    hook: Option<SharedHook>,
    events: Events,
    shared: Arc<Shared>,
    commands: mpsc::UnboundedReceiver<Command>,
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
        let (mut reader, mut writer) = tokio::io::split(stream);
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
        let timer = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(timer);
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
                // always has more, and Tokio's budget would let this task
                // read a hundred times over before they ran (and lost
                // events to the buffer's bound). Once per read; measured
                // no slower on a multi-thread runtime either.
                tokio::task::yield_now().await;
            }
            if let Some(reason) = conn.close_reason() {
                let reason = reason.clone();
                let flush = async {
                    writer.write_all(&out[written..]).await?;
                    writer.shutdown().await
                };
                let _ = tokio::time::timeout(Duration::from_secs(1), flush).await;
                return reason;
            }
            let deadline = conn.poll_timeout();
            if deadline != timer_at {
                timer_at = deadline;
                if let Some(at) = deadline {
                    timer.as_mut().reset(tokio::time::Instant::from_std(at));
                }
            }
            let publisher = &self.events.publisher;
            tokio::select! {
                // With backpressure, the socket is read only while the
                // subscribers have room.
                read = async {
                    poll_fn(|cx| publisher.poll_room(cx)).await;
                    read_available(&mut reader, &mut buf).await
                } => match read {
                    Ok(0) | Err(_) => conn.handle_disconnect(now()),
                    Ok(n) => conn.handle_input(now(), &buf[..n]),
                },
                // Write and flush are separate wakes: a write whose count
                // was lost to cancellation would be sent twice, and TLS may
                // hold written bytes until flushed.
                io = async {
                    if written < out.len() {
                        Io::Wrote(writer.write(&out[written..]).await)
                    } else {
                        Io::Flushed(writer.flush().await)
                    }
                }, if written < out.len() || needs_flush => match io {
                    Io::Wrote(Ok(n)) => {
                        written += n;
                        needs_flush = true;
                    }
                    Io::Flushed(Ok(())) => needs_flush = false,
                    Io::Wrote(Err(_)) | Io::Flushed(Err(_)) => conn.handle_disconnect(now()),
                },
                command = self.commands.recv(), if commands_open => {
                    // `None`: every handle is gone, which logs off.
                    commands_open = command.is_some();
                    self.core.command(conn, command, now());
                }
                () = &mut timer, if timer_at.is_some() => {
                    // Fired: it is set again when the core has a deadline.
                    timer_at = None;
                    conn.handle_timeout(now());
                }
            }
        }
    }

    /// Waits `delay` before reconnecting, failing new actions at once.
    /// Returns `false` if the user closed meanwhile.
    async fn back_off(&mut self, delay: Duration, reason: &CloseReason) -> bool {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return true,
                command = self.commands.recv() => {
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
