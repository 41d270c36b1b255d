//! The driver: owns the socket and the state machine on a thread of its
//! own (`async_io::block_on`), serves the handles' commands, hands outcomes
//! to their waiters and events to the subscribers, reconnects.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ami_proto::adapter::{self, LoginProgress, Publish, Reply, login_progress};
use ami_proto::{ClientOptions, CloseReason, Connection, Response, TranscriptHook, Violation};
use async_io::Timer;
use futures_lite::FutureExt;
use futures_lite::io::{AsyncReadExt, AsyncWriteExt};

use crate::stream::{self, Stream};
use crate::{Answer, Client, Command, Done, Incoming, Result, Shared, lock};

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 64 * 1024;

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

/// The subscribers: a bounded broadcast in overflow mode, which drops a
/// slow subscriber's oldest events and tells it how many.
struct Events(async_broadcast::Sender<Incoming>);

impl Publish for Events {
    fn publish(&self, item: Incoming) {
        // No active subscriber: nobody to tell.
        let _ = self.0.try_broadcast(item);
    }

    fn violation(&self, violation: Violation) {
        tracing::warn!(%violation, "AMI protocol violation");
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
    let (mut events, first) = async_broadcast::broadcast(options.event_buffer);
    // A slow subscriber loses its oldest events (and is told how many);
    // the driver never waits for it.
    events.set_overflow(true);
    events.set_await_active(false);
    let shared = Arc::new(Shared {
        events: Mutex::new(Some(first.clone().deactivate())),
        first: Mutex::new(Some(first)),
        version: Mutex::new(None),
        closed: Mutex::new(None),
    });
    let events = Events(events);
    let (stream, conn) = establish(&options, hook.as_ref(), &events, &shared).await?;
    let (commands_tx, commands) = async_channel::unbounded();
    let driver = Driver {
        options,
        hook,
        events,
        shared: shared.clone(),
        commands,
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
    let mut buf = vec![0; READ_CHUNK];
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

/// What woke the driver.
enum Wake {
    Read(std::io::Result<usize>),
    Wrote(std::io::Result<usize>),
    Flushed(std::io::Result<()>),
    Command(Option<Command>),
    Timer,
}

struct Driver {
    options: ClientOptions,
    hook: Option<SharedHook>,
    events: Events,
    shared: Arc<Shared>,
    commands: async_channel::Receiver<Command>,
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
        let mut buf = vec![0; READ_CHUNK];
        let mut out = Vec::new();
        let mut written = 0;
        let mut needs_flush = false;
        let mut commands_open = true;
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
            let pending_out = &out[written..];
            let commands = &self.commands;
            let wake = async { Wake::Read(reader.read(&mut buf).await) }
                .or(async {
                    // Write and flush are separate wakes: a write whose
                    // count was lost to cancellation would be sent twice.
                    if !pending_out.is_empty() {
                        Wake::Wrote(writer.write(pending_out).await)
                    } else if needs_flush {
                        Wake::Flushed(writer.flush().await)
                    } else {
                        std::future::pending().await
                    }
                })
                .or(async {
                    if commands_open {
                        Wake::Command(commands.recv().await.ok())
                    } else {
                        std::future::pending().await
                    }
                })
                .or(async {
                    sleep_until(deadline).await;
                    Wake::Timer
                })
                .await;
            let now = Instant::now();
            match wake {
                Wake::Read(Ok(0) | Err(_)) | Wake::Wrote(Err(_)) | Wake::Flushed(Err(_)) => {
                    conn.handle_disconnect(now);
                }
                Wake::Read(Ok(n)) => conn.handle_input(now, &buf[..n]),
                Wake::Wrote(Ok(n)) => {
                    written += n;
                    needs_flush = true;
                }
                Wake::Flushed(Ok(())) => needs_flush = false,
                Wake::Command(command) => {
                    // `None`: every handle is gone, which logs off.
                    commands_open = command.is_some();
                    self.core.command(conn, command, now);
                }
                Wake::Timer => conn.handle_timeout(now),
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
