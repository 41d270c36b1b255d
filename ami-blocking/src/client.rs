//! The blocking client: one socket, one `ami_proto::Connection`, no threads.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use ami_client::{ClientOptions, Incoming, Overflow, Transport};
use ami_proto::{
    Action, ActionError, ActionHandle, CloseReason, Connection, Event, Message, Response,
    SendOptions,
};

use crate::{Error, Result};

/// How long a consumer busy with buffered events may leave the socket
/// unread: then the next call drains it without waiting.
const DRAIN_INTERVAL: Duration = Duration::from_millis(1);

/// The most buffered events handed out between two looks at the clock
/// (to see whether the socket is due a drain). The spacing adapts to the
/// consumer's pace, aiming at several looks per [`DRAIN_INTERVAL`]; a look
/// costs about as much as handing out an event.
const MAX_STRIDE: u32 = 32;

/// A callback for events that arrive while the client waits for a
/// response (seed 000's `Event_Callback`).
pub type EventCallback = Box<dyn FnMut(&Message) + Send>;

enum Stream {
    Tcp(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Self::Tcp(s) => s,
            #[cfg(feature = "tls")]
            Self::Tls(s) => s.get_ref(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Self::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Self::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.flush(),
            #[cfg(feature = "tls")]
            Self::Tls(s) => s.flush(),
        }
    }
}

/// Connects `options` and logs in: the body of [`Client::connect_with`].
fn connect(mut options: ClientOptions) -> Result<Client> {
    let endpoint = options.endpoint().clone();
    let addr = endpoint.authority();
    let tcp = connect_tcp(&addr, options.connect_timeout)?;
    tcp.set_nodelay(true)?;
    if let Some(idle) = options.tcp_keepalive {
        let keepalive = socket2::TcpKeepalive::new().with_time(idle);
        socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive)?;
    }
    let stream = match endpoint.transport {
        Transport::Tcp => Stream::Tcp(tcp),
        #[cfg(feature = "tls")]
        Transport::Tls => Stream::Tls(Box::new(crate::tls::wrap(&options, tcp)?)),
        #[cfg(not(feature = "tls"))]
        Transport::Tls => {
            return Err(
                ami_client::tls::TlsError::new(ami_client::tls::TlsErrorKind::Unsupported).into(),
            );
        }
    };
    let hook = options.take_transcript_hook();
    let on_violation = options.violation_hook();
    let event_buffer = options.event_buffer;
    let (event_buffer_bytes, overflow) = (options.event_buffer_bytes, options.overflow);
    // Up to 512 KiB, so that a flood costs few system calls (64 KiB reads
    // made the 200 000-event benchmark corpus 1.6× slower end to end); a
    // trickle of events only ever touches the buffer's first pages.
    let read_size = options.read_size();
    let mut conn = Connection::new(options.config, Instant::now());
    conn.set_transcript(hook);
    let mut client = Client {
        stream,
        conn,
        read_size,
        out: Vec::new(),
        events: VecDeque::new(),
        event_buffer,
        event_buffer_bytes,
        event_bytes: 0,
        overflow,
        lost: 0,
        completed: HashMap::new(),
        by_id: HashMap::new(),
        callback: None,
        waiting: false,
        closed: None,
        authenticated: false,
        last_read: Instant::now(),
        last_look: Instant::now(),
        stride: 1,
        countdown: 1,
        read_timeout: None,
        on_violation,
    };
    client
        .wait_for(None, |c| c.authenticated.then_some(()))
        .map_err(|e| match e {
            Error::Closed(reason) => Error::from_login_close(reason),
            other => other,
        })?;
    Ok(client)
}

fn connect_tcp(addr: &str, timeout: Duration) -> Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    let addrs = addr.to_socket_addrs().map_err(|source| Error::Connect {
        addr: addr.to_owned(),
        source,
    })?;
    for sockaddr in addrs {
        match TcpStream::connect_timeout(&sockaddr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(Error::Connect {
        addr: addr.to_owned(),
        source: last,
    })
}

/// A blocking AMI client: `&mut self` methods, no threads, no runtime.
///
/// Every call drains the socket while it waits, feeding the core state
/// machine; events that arrive meanwhile are kept in a bounded buffer (drop
/// the oldest, count them) for [`next_event`](Self::next_event), or handed
/// to the [callback](Self::set_event_callback) while an action waits.
/// Asterisk disconnects clients that stop reading, so a program that goes
/// quiet for long should call [`next_event`](Self::next_event) (or any
/// call) regularly.
///
/// ```no_run
/// let mut client = ami_blocking::Client::connect("tcp://admin:amp111@127.0.0.1:5038")?;
/// for line in client.command("core show channels")? {
///     println!("{line}");
/// }
/// client.disconnect()?;
/// # Ok::<(), ami_blocking::Error>(())
/// ```
pub struct Client {
    stream: Stream,
    conn: Connection,
    /// The most bytes one read takes (straight into the decoder's buffer,
    /// [`Connection::read_buf`]).
    read_size: usize,
    out: Vec<u8>,
    events: VecDeque<Message>,
    event_buffer: usize,
    /// The byte bound, the bytes the buffered events count, the policy.
    event_buffer_bytes: usize,
    event_bytes: usize,
    overflow: Overflow,
    lost: u64,
    completed: HashMap<ActionHandle, std::result::Result<Response, ActionError>>,
    by_id: HashMap<String, ActionHandle>,
    callback: Option<EventCallback>,
    waiting: bool,
    closed: Option<CloseReason>,
    authenticated: bool,
    /// When the socket was last read.
    last_read: Instant,
    /// When a buffered event's hand-out last looked at the clock.
    last_look: Instant,
    /// Buffered events handed out between two looks at the clock.
    stride: u32,
    /// Buffered events still to hand out before the next look.
    countdown: u32,
    /// The socket's read timeout as last set (`None`: not set yet).
    read_timeout: Option<Option<Duration>>,
    /// [`ClientOptions::on_violation`].
    on_violation: Option<ami_client::ViolationHook>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("conn", &self.conn)
            .field("buffered_events", &self.events.len())
            .field("lost", &self.lost)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects to `address` (`tcp://user:secret@host:port`, `tls://…`,
    /// `user:secret@host`, `host:port`) with the default options and logs
    /// in.
    pub fn connect(address: &str) -> Result<Self> {
        Self::connect_with(ClientOptions::new(address)?)
    }

    /// Connects with `options` and logs in.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use ami_blocking::{Client, ClientOptions};
    ///
    /// let client = Client::connect_with(
    ///     ClientOptions::new("tls://admin:amp111@pbx.example:5039")?
    ///         .md5(true)
    ///         .ca_file("/etc/asterisk/keys/ca.crt")
    ///         .action_timeout(Duration::from_secs(10)),
    /// )?;
    /// # Ok::<(), ami_blocking::Error>(())
    /// ```
    pub fn connect_with(options: ClientOptions) -> Result<Self> {
        connect(options)
    }

    /// Sends an action and waits for its outcome (the default action
    /// timeout applies). List actions come back with their events, Command
    /// with its output.
    pub fn action(&mut self, action: Action) -> Result<Response> {
        self.action_with(action, SendOptions::default())
    }

    /// Like [`action`](Self::action) with a timeout of its own.
    pub fn action_timeout(&mut self, action: Action, timeout: Duration) -> Result<Response> {
        self.action_with(
            action,
            SendOptions {
                timeout: Some(timeout),
                ..SendOptions::default()
            },
        )
    }

    /// Like [`action`](Self::action) with per-action options (a list on an
    /// old server, an async Originate completed by its `OriginateResponse`).
    pub fn action_with(&mut self, action: Action, options: SendOptions) -> Result<Response> {
        let handle = self.conn.send_action_with(action, options, Instant::now());
        self.wait_outcome(handle, None)
    }

    /// Sends an action without waiting; returns its ActionID, for
    /// [`response`](Self::response). Answers are kept in any order until
    /// fetched.
    pub fn send_action(&mut self, action: Action) -> Result<String> {
        let handle = self.conn.send_action(action, Instant::now());
        let Some(id) = self.conn.action_id(handle) else {
            // Refused at once: the outcome is already there.
            self.dispatch();
            return match self.completed.remove(&handle) {
                Some(Err(e)) => Err(e.into()),
                _ => Err(Error::Closing),
            };
        };
        let id = id.to_str_lossy().into_owned();
        self.by_id.insert(id.clone(), handle);
        self.flush()?;
        Ok(id)
    }

    /// Waits at most `timeout` for the outcome of the action sent with
    /// [`send_action`](Self::send_action) under `action_id`.
    pub fn response(&mut self, action_id: &str, timeout: Duration) -> Result<Response> {
        let handle = *self
            .by_id
            .get(action_id)
            .ok_or_else(|| Error::UnknownActionId(action_id.to_owned()))?;
        let result = self.wait_outcome(handle, Some(Instant::now() + timeout));
        if !matches!(result, Err(Error::Timeout)) || !self.completed.contains_key(&handle) {
            self.by_id.remove(action_id);
        }
        result
    }

    /// Runs a CLI command and returns its output lines, the same for
    /// Asterisk ≤ 13 and 14+. An unknown command is [`Error::Rejected`] on
    /// 14+, whose response holds Asterisk's output.
    pub fn command(&mut self, command: &str) -> Result<Vec<String>> {
        let response = self.action(Action::new("Command").header("Command", command))?;
        Ok(response
            .output()
            .map(|line| line.to_str_lossy().into_owned())
            .collect())
    }

    /// Sends a `Ping` and returns the round trip.
    pub fn ping(&mut self) -> Result<Duration> {
        let start = Instant::now();
        self.action(Action::new("Ping"))?;
        Ok(start.elapsed())
    }

    /// Whether the connection is open and answers a ping.
    pub fn is_alive(&mut self) -> bool {
        self.closed.is_none() && self.ping().is_ok()
    }

    /// The AMI version from the banner (`11.0.0` for Asterisk 22).
    #[must_use]
    pub fn version(&self) -> Option<String> {
        self.conn.version().map(|v| v.to_str_lossy().into_owned())
    }

    /// The event mask the client logged in with (`Events:`). An `Events`
    /// action sent since is not reflected.
    #[must_use]
    pub fn event_mask(&self) -> &ami_proto::EventMask {
        &self.conn.config().events
    }

    /// Why the connection closed, once it has.
    #[must_use]
    pub fn close_reason(&self) -> Option<&CloseReason> {
        self.closed.as_ref()
    }

    /// The next event, waiting at most `timeout` (`None` on timeout).
    /// [`Incoming::Lost`] reports events dropped by the buffer bound. After
    /// the connection closed, buffered events are still handed out, then
    /// [`Error::Closed`].
    ///
    /// A buffered event is handed out at once; the socket is read when the
    /// buffer is empty, and drained without waiting when the consumer has
    /// stayed busy with buffered events for a millisecond (so that a slow
    /// consumer loses the oldest events instead of stalling the server).
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<Incoming>> {
        if let Some(incoming) = self.take_buffered()? {
            return Ok(Some(incoming));
        }
        let deadline = Instant::now().checked_add(timeout);
        match self.wait_for(deadline, Self::take_incoming) {
            Ok(incoming) => Ok(Some(incoming)),
            Err(Error::Timeout) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A blocking iterator over events; it ends when the connection closes
    /// (after the buffered events) and yields I/O errors as they come.
    pub fn events(&mut self) -> Events<'_> {
        Events { client: self }
    }

    /// Events that arrive while an action waits go to `callback` instead of
    /// the buffer (seed 000's `Event_Callback`); `None` removes it.
    pub fn set_event_callback(&mut self, callback: Option<EventCallback>) {
        self.callback = callback;
    }

    /// How many events are buffered, unread.
    #[must_use]
    pub fn buffered_events(&self) -> usize {
        self.events.len()
    }

    /// Events dropped so far because the buffer was full and not yet
    /// reported through [`Incoming::Lost`].
    #[must_use]
    pub fn lost_events(&self) -> u64 {
        self.lost
    }

    /// Logs off (`Logoff`, waiting for `Goodbye`) and closes the socket.
    pub fn disconnect(mut self) -> Result<()> {
        self.conn.close(Instant::now());
        let result = self.wait_for(None, |c| c.closed.as_ref().map(|_| ()));
        let _ = self.stream.tcp().shutdown(Shutdown::Both);
        match result {
            Ok(()) | Err(Error::Closed(CloseReason::LoggedOff)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Soft close (seed 003's `end()`): lets the actions in flight finish,
    /// then logs off and closes the socket.
    pub fn end(mut self) -> Result<()> {
        self.conn.end(Instant::now());
        let result = self.wait_for(None, |c| c.closed.as_ref().map(|_| ()));
        let _ = self.stream.tcp().shutdown(Shutdown::Both);
        match result {
            Ok(()) | Err(Error::Closed(CloseReason::LoggedOff)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn take_incoming(&mut self) -> Option<Incoming> {
        if self.lost > 0 {
            return Some(Incoming::Lost(std::mem::take(&mut self.lost)));
        }
        let event = self.events.pop_front()?;
        self.event_bytes -= ami_client::adapter::event_cost(&event);
        Some(Incoming::Event(event))
    }

    /// Whether the buffer has reached one of its bounds.
    fn buffer_full(&self) -> bool {
        self.events.len() >= self.event_buffer || self.event_bytes >= self.event_buffer_bytes
    }

    /// A buffered event (or loss count), without reading the socket unless
    /// it is due a drain; `None` when nothing is buffered.
    fn take_buffered(&mut self) -> Result<Option<Incoming>> {
        if self.events.is_empty() && self.lost == 0 {
            return Ok(None);
        }
        self.countdown = self.countdown.saturating_sub(1);
        if self.countdown == 0 {
            self.keep_up()?;
        }
        Ok(self.take_incoming())
    }

    /// While the consumer works through buffered events, every `stride`
    /// events: drains the socket if it has not been read for
    /// [`DRAIN_INTERVAL`], runs the core's timers, and sends what the core
    /// queued.
    fn keep_up(&mut self) -> Result<()> {
        let now = Instant::now();
        let since = now.duration_since(self.last_look);
        self.last_look = now;
        self.stride = if since < DRAIN_INTERVAL / 8 {
            (self.stride * 2).min(MAX_STRIDE)
        } else if since > DRAIN_INTERVAL / 2 {
            1
        } else {
            self.stride
        };
        self.countdown = self.stride;
        // With backpressure a full buffer is not added to: the socket
        // waits until the consumer has read it down.
        let paused = self.overflow == Overflow::Backpressure && self.buffer_full();
        if now.duration_since(self.last_read) >= DRAIN_INTERVAL && !paused {
            self.drain_available()?;
        }
        if self.conn.poll_timeout().is_some_and(|t| t <= now) {
            self.conn.handle_timeout(now);
        }
        self.flush()?;
        self.dispatch();
        Ok(())
    }

    fn wait_outcome(
        &mut self,
        handle: ActionHandle,
        deadline: Option<Instant>,
    ) -> Result<Response> {
        self.waiting = true;
        let outcome = self.wait_for(deadline, |c| c.completed.remove(&handle));
        self.waiting = false;
        Ok(outcome??)
    }

    /// Writes what the core wants sent.
    fn flush(&mut self) -> Result<()> {
        self.out.clear();
        if self.conn.poll_transmit(&mut self.out) == 0 {
            return Ok(());
        }
        if let Err(e) = self
            .stream
            .write_all(&self.out)
            .and_then(|()| self.stream.flush())
        {
            self.conn.handle_disconnect(Instant::now());
            self.dispatch();
            return Err(e.into());
        }
        Ok(())
    }

    /// Hands the core's events to their places.
    fn dispatch(&mut self) {
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::ActionCompleted { handle, outcome } => {
                    self.completed.insert(handle, outcome);
                }
                Event::Message(message) => match &mut self.callback {
                    Some(callback) if self.waiting => callback(&message),
                    _ => {
                        let cost = ami_client::adapter::event_cost(&message);
                        if self.overflow == Overflow::DropOldest {
                            while !self.events.is_empty()
                                && (self.events.len() >= self.event_buffer
                                    || self.event_bytes + cost > self.event_buffer_bytes)
                            {
                                if let Some(old) = self.events.pop_front() {
                                    self.event_bytes -= ami_client::adapter::event_cost(&old);
                                }
                                self.lost += 1;
                            }
                        }
                        self.event_bytes += cost;
                        self.events.push_back(message);
                    }
                },
                Event::Authenticated => self.authenticated = true,
                Event::Closed(reason) => self.closed = Some(reason),
                Event::Violation(violation) => {
                    tracing::warn!(%violation, "AMI protocol violation");
                    if let Some(hook) = &self.on_violation {
                        hook(&violation);
                    }
                }
                Event::Connected(_) => {}
                other => tracing::debug!(?other, "unhandled AMI connection event"),
            }
        }
    }

    /// Reads whatever the socket already holds, without waiting (at most
    /// one read buffer's worth, so that a fast server cannot keep a call
    /// busy, and what a drain decodes is handed out before the next drain
    /// is due): a consumer busy with buffered events still keeps the socket
    /// drained (Asterisk disconnects clients that stop reading); the
    /// bounded buffer drops the oldest events instead.
    fn drain_available(&mut self) -> Result<()> {
        if self.closed.is_some() {
            return Ok(());
        }
        self.last_read = Instant::now();
        self.stream.tcp().set_nonblocking(true)?;
        let mut drained = 0;
        let result = loop {
            if drained >= self.read_size {
                break Ok(());
            }
            match self.stream.read(self.conn.read_buf(self.read_size)) {
                Ok(0) => {
                    self.conn.handle_disconnect(Instant::now());
                    break Ok(());
                }
                Ok(n) => {
                    drained += n;
                    self.conn.handle_read(Instant::now(), n);
                    self.dispatch();
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.conn.handle_disconnect(Instant::now());
                    break Err(e.into());
                }
            }
        };
        self.stream.tcp().set_nonblocking(false)?;
        result
    }

    /// Sets the socket's read timeout for a wait of `wait` (`None`:
    /// forever), keeping the one already set when it is no longer than the
    /// wait and at least half of it: a read that times out early only goes
    /// round the loop once more. Saves a system call per read.
    fn set_read_timeout(&mut self, wait: Option<Duration>) -> io::Result<()> {
        let fits = match (self.read_timeout, wait) {
            (Some(None), None) => true,
            (Some(Some(set)), Some(wait)) => set <= wait && set >= wait / 2,
            _ => false,
        };
        if !fits {
            // A little short of the wait, so that the next waits, each a
            // little shorter, still fit.
            let set = wait.map(|w| (w - w / 8).max(Duration::from_millis(1)));
            self.stream.tcp().set_read_timeout(set)?;
            self.read_timeout = Some(set);
        }
        Ok(())
    }

    /// Runs the I/O loop until `check` yields, the deadline passes
    /// ([`Error::Timeout`]) or the connection closes ([`Error::Closed`]).
    fn wait_for<T>(
        &mut self,
        deadline: Option<Instant>,
        mut check: impl FnMut(&mut Self) -> Option<T>,
    ) -> Result<T> {
        loop {
            // What the core queued (an action, the Login after a
            // Challenge's answer) goes out before this call blocks in
            // `read`.
            self.flush()?;
            self.dispatch();
            if let Some(value) = check(self) {
                return Ok(value);
            }
            if let Some(reason) = &self.closed {
                return Err(Error::Closed(reason.clone()));
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| d <= now) {
                return Err(Error::Timeout);
            }
            let wake = [deadline, self.conn.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            if wake.is_some_and(|w| w <= now) {
                self.conn.handle_timeout(now);
                continue;
            }
            let wait = wake.map(|w| (w - now).max(Duration::from_millis(1)));
            self.set_read_timeout(wait)?;
            match self.stream.read(self.conn.read_buf(self.read_size)) {
                Ok(0) => self.conn.handle_disconnect(Instant::now()),
                Ok(n) => {
                    let now = Instant::now();
                    self.last_read = now;
                    self.conn.handle_read(now, n);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    self.conn.handle_timeout(Instant::now());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.conn.handle_disconnect(Instant::now());
                    self.dispatch();
                    return Err(e.into());
                }
            }
        }
    }
}

/// Blocking iterator over a client's events; see [`Client::events`].
#[derive(Debug)]
pub struct Events<'a> {
    client: &'a mut Client,
}

impl Iterator for Events<'_> {
    type Item = Result<Incoming>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.client.take_buffered() {
            Ok(Some(incoming)) => return Some(Ok(incoming)),
            Ok(None) => {}
            Err(e) => return Some(Err(e)),
        }
        match self.client.wait_for(None, Client::take_incoming) {
            Ok(incoming) => Some(Ok(incoming)),
            Err(Error::Closed(_)) => None,
            Err(e) => Some(Err(e)),
        }
    }
}
