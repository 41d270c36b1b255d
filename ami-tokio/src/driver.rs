//! The driver task: owns the socket and the state machine, serves the
//! handles' commands, hands outcomes to their waiters and events to the
//! subscribers, reconnects.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ami_proto::adapter::{self, LoginProgress, Publish, Reply, login_progress};
use ami_proto::{ClientOptions, CloseReason, Connection, Response, TranscriptHook, Violation};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, mpsc};

use crate::stream::{self, Stream};
use crate::{Answer, Client, Command, Done, Incoming, Result, Shared, lock};

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 64 * 1024;

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

/// The subscribers: a bounded broadcast that drops a slow subscriber's
/// oldest events and tells it how many.
struct Events(broadcast::Sender<Incoming>);

impl Publish for Events {
    fn publish(&self, item: Incoming) {
        // No subscriber at all: nobody to tell.
        let _ = self.0.send(item);
    }

    fn violation(&self, violation: Violation) {
        tracing::warn!(%violation, "AMI protocol violation");
    }
}

/// Connects, logs in and spawns the driver.
pub(crate) async fn start(mut options: ClientOptions) -> Result<Client> {
    let hook = options
        .take_transcript_hook()
        .map(|h| Arc::new(Mutex::new(h)));
    let (events, first) = broadcast::channel(options.event_buffer);
    let shared = Arc::new(Shared {
        events: Mutex::new(Some(events.clone())),
        first: Mutex::new(Some(first)),
        ..Shared::default()
    });
    let events = Events(events);
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
    let mut buf = Vec::with_capacity(READ_CHUNK);
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
        let mut buf = Vec::with_capacity(READ_CHUNK);
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
                    writer.write_all(&out[written..]).await?;
                    writer.shutdown().await
                };
                let _ = tokio::time::timeout(Duration::from_secs(1), flush).await;
                return reason;
            }
            tokio::select! {
                read = reader.read_buf(&mut buf) => match read {
                    Ok(0) | Err(_) => conn.handle_disconnect(now()),
                    Ok(_) => {
                        conn.handle_input(now(), &buf);
                        buf.clear();
                    }
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
                () = sleep_until(conn.poll_timeout()) => conn.handle_timeout(now()),
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
    }
}
