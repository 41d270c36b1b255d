//! The client state machine: banner → login → ready → closing → closed.

use std::collections::VecDeque;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::auth::md5_key;
use crate::config::{AuthMethod, Config, IdlessResponses};
use crate::decode::{Decoded, Decoder};
use crate::encode::Action;
use crate::error::DecodeError;
use crate::message::{Banner, Message, MessageKind, Value, is_secret_key};
use crate::outcome::{
    ActionError, ActionHandle, CloseReason, Direction, Event, Response, Violation,
};
use crate::pending::{InFlight, Pending, Role, Stage};

/// Per-action options for [`Connection::send_action_with`].
///
/// ```
/// use std::time::Duration;
/// use ami_proto::SendOptions;
/// let opts = SendOptions { timeout: Some(Duration::from_secs(60)), ..SendOptions::originate_response() };
/// assert!(opts.wait_for_originate_response);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// This action's timeout instead of [`Config::action_timeout`].
    pub timeout: Option<Duration>,
    /// Collect list events after a `Success` response even when it lacks
    /// `EventList: start` (old servers), up to an event named `…Complete` or
    /// carrying `EventList: Complete`. Without it, lists are detected from
    /// the `EventList: start` header.
    pub expect_list: bool,
    /// Complete an (`Async: true`) Originate on its `OriginateResponse`
    /// event rather than on the immediate "successfully queued" response.
    /// The action fails ([`ActionError::Rejected`]) when that event says
    /// anything but `Response: Success`.
    pub wait_for_originate_response: bool,
}

impl SendOptions {
    /// Options for an async Originate completed by its `OriginateResponse`.
    #[must_use]
    pub fn originate_response() -> Self {
        Self {
            wait_for_originate_response: true,
            ..Self::default()
        }
    }

    /// Options for a list action on a server that may omit `EventList`.
    #[must_use]
    pub fn list() -> Self {
        Self {
            expect_list: true,
            ..Self::default()
        }
    }
}

/// A hook that sees every line sent (`Direction::Out`) and received
/// (`Direction::In`), without its line ending, with the values of outgoing
/// `Secret` and `Key` headers replaced by `<redacted>`.
pub type TranscriptHook = Box<dyn FnMut(Direction, &[u8]) + Send>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    AwaitingBanner,
    LoggingIn,
    Ready,
    LoggingOff,
    Closed(CloseReason),
}

/// The sans-IO AMI client: all protocol logic of a connection, no I/O.
///
/// It never reads a clock, sleeps, spawns or locks: the caller passes `now`
/// into every input and reads back when it wants to be woken up.
///
/// # The run loop
///
/// Inputs: [`handle_input`](Self::handle_input) with bytes read from the
/// socket, [`handle_timeout`](Self::handle_timeout) when the time from
/// [`poll_timeout`](Self::poll_timeout) has come (calling it early or twice
/// is harmless), [`handle_disconnect`](Self::handle_disconnect) when the
/// socket reaches end of file or fails, and the user's
/// [`send_action`](Self::send_action), [`close`](Self::close) and
/// [`end`](Self::end).
///
/// After **any** input, drain in this order: [`poll_transmit`](Self::poll_transmit)
/// (write the bytes to the socket), [`poll_event`](Self::poll_event) until
/// `None` (hand outcomes to their waiters, events to subscribers), then
/// [`poll_timeout`](Self::poll_timeout) (sleep at most until then). Once an
/// [`Event::Closed`] has come out and the transmit buffer is drained, close
/// the socket.
///
/// ```
/// use std::time::{Duration, Instant};
/// use ami_proto::{Action, Config, Connection, Event, Login};
///
/// let t0 = Instant::now();
/// let config = Config {
///     login: Some(Login::new("admin", "amp111")),
///     action_id_prefix: Some("doc".into()),
///     ..Config::default()
/// };
/// let mut conn = Connection::new(config, t0);
/// let ping = conn.send_action(Action::new("Ping"), t0); // queued until logged in
///
/// // The server greets us; we answer with a login.
/// conn.handle_input(t0, b"Asterisk Call Manager/11.0.0\r\n");
/// let mut out = Vec::new();
/// let _ = conn.poll_transmit(&mut out);
/// assert!(out.starts_with(b"Action: Login\r\nActionID: doc-2\r\nUsername: admin\r\n"));
///
/// // Login accepted: the queued Ping goes out.
/// conn.handle_input(t0, b"Response: Success\r\nActionID: doc-2\r\nMessage: Authentication accepted\r\n\r\n");
/// out.clear();
/// let _ = conn.poll_transmit(&mut out);
/// assert_eq!(out, b"Action: Ping\r\nActionID: doc-1\r\n\r\n");
///
/// conn.handle_input(t0, b"Response: Success\r\nActionID: doc-1\r\nPing: Pong\r\n\r\n");
/// let mut pong = None;
/// while let Some(event) = conn.poll_event() {
///     if let Event::ActionCompleted { handle, outcome } = event {
///         assert_eq!(handle, ping);
///         pong = Some(outcome.unwrap());
///     }
/// }
/// assert_eq!(pong.unwrap().get("Ping").unwrap(), "Pong");
///
/// // Nothing in flight: the next deadline is none.
/// assert_eq!(conn.poll_timeout(), None);
/// ```
///
/// # Actions and their outcomes
///
/// Every handle returned by [`send_action`](Self::send_action) ends with
/// exactly one [`Event::ActionCompleted`]: the [`Response`] (with its list
/// events, or command output), or an [`ActionError`] — rejected with
/// Asterisk's message, timed out, connection closed, or refused at once
/// (invalid action, duplicate ActionID, closing connection).
///
/// # ActionIDs
///
/// Actions without an ActionID get `<prefix>-<n>`, where the prefix is 12
/// random hex digits per connection ([`Config::action_id_prefix`] overrides
/// it): Asterisk broadcasts `OriginateResponse` with the originator's
/// ActionID to every session, so IDs must be unique beyond one connection.
/// An ActionID set by the caller is sent as is and used for correlation; it
/// must not equal one in flight (the action then fails at once with
/// [`ActionError::DuplicateActionId`]), and its uniqueness beyond this
/// connection is the caller's business.
///
/// # Correlation
///
/// A response goes to the action with its ActionID; a response without one
/// goes to the oldest action still waiting for a response (Asterisk answers
/// in order). A response with `EventList: start` makes the action collect
/// the events carrying its ActionID until one with `EventList: Complete` (any
/// case) or named `…Complete`. Events with an unknown or no ActionID are
/// [`Event::Message`]s, never errors.
pub struct Connection {
    config: Config,
    decoder: Decoder,
    state: State,
    transmit: Vec<u8>,
    events: VecDeque<Event>,
    pending: Pending,
    next_handle: u64,
    id_prefix: String,
    id_counter: u64,
    banner: Option<Banner>,
    login_deadline: Option<Instant>,
    next_ping: Option<Instant>,
    ping: Option<ActionHandle>,
    ending: bool,
    /// The login answer came without its ActionID: ID-less answers are
    /// matched in order (see `idless_owner`).
    drops_action_ids: bool,
    transcript: Option<TranscriptHook>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("config", &self.config)
            .field("state", &self.state)
            .field("banner", &self.banner)
            .field("in_flight", &self.pending.len())
            .field("buffered_events", &self.events.len())
            .field("buffered_transmit", &self.transmit.len())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A new connection, just opened at `now`: it waits for the banner, then
    /// logs in as configured.
    #[must_use]
    pub fn new(config: Config, now: Instant) -> Self {
        let id_prefix = config
            .action_id_prefix
            .clone()
            .unwrap_or_else(random_prefix);
        let decoder = Decoder::with_limits(config.limits);
        let login_deadline = now.checked_add(config.login_timeout);
        Self {
            config,
            decoder,
            state: State::AwaitingBanner,
            transmit: Vec::new(),
            events: VecDeque::new(),
            pending: Pending::default(),
            next_handle: 1,
            id_prefix,
            id_counter: 0,
            banner: None,
            login_deadline,
            next_ping: None,
            ping: None,
            ending: false,
            drops_action_ids: false,
            transcript: None,
        }
    }

    /// Installs (or removes) a transcript hook, seed 000's `Debug_FH`.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Instant;
    /// use ami_proto::{Config, Connection, Login};
    ///
    /// let lines = Arc::new(Mutex::new(Vec::new()));
    /// let sink = lines.clone();
    /// let t0 = Instant::now();
    /// let mut conn = Connection::new(Config { login: Some(Login::new("admin", "amp111")), ..Config::default() }, t0);
    /// conn.set_transcript(Some(Box::new(move |dir, line| {
    ///     sink.lock().unwrap().push(format!("{}{}", dir.prefix(), String::from_utf8_lossy(line)));
    /// })));
    /// conn.handle_input(t0, b"Asterisk Call Manager/11.0.0\r\n");
    /// let lines = lines.lock().unwrap();
    /// assert_eq!(lines[0], "<< Asterisk Call Manager/11.0.0");
    /// assert!(lines.contains(&">> Secret: <redacted>".to_string()));
    /// ```
    pub fn set_transcript(&mut self, hook: Option<TranscriptHook>) {
        self.transcript = hook;
    }

    // ---- getters ----------------------------------------------------------

    /// The banner, once received.
    #[must_use]
    pub fn banner(&self) -> Option<&Banner> {
        self.banner.as_ref()
    }

    /// The AMI version from the banner (`11.0.0` for Asterisk 22).
    #[must_use]
    pub fn version(&self) -> Option<Value<'_>> {
        self.banner.as_ref().and_then(Banner::version)
    }

    /// Whether the login is done and actions flow.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.state == State::Ready
    }

    /// Whether the connection is closed.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed(_))
    }

    /// Why the connection closed, once it has.
    #[must_use]
    pub fn close_reason(&self) -> Option<&CloseReason> {
        match &self.state {
            State::Closed(reason) => Some(reason),
            _ => None,
        }
    }

    /// How many actions are in flight or queued, internal ones included.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// The ActionID of an action still in flight (or queued): the caller's,
    /// or the one the connection assigned. `None` once it has completed.
    ///
    /// ```
    /// use std::time::Instant;
    /// use ami_proto::{Action, Config, Connection};
    /// let t0 = Instant::now();
    /// let mut conn = Connection::new(Config { action_id_prefix: Some("x".into()), ..Config::default() }, t0);
    /// let h = conn.send_action(Action::new("Ping"), t0);
    /// assert_eq!(conn.action_id(h).unwrap(), "x-1");
    /// ```
    #[must_use]
    pub fn action_id(&self, handle: ActionHandle) -> Option<Value<'_>> {
        self.pending.get(handle).map(|e| Value::new(&e.id))
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    // ---- inputs -----------------------------------------------------------

    /// Feeds bytes read from the socket.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.is_closed() {
            return;
        }
        self.decoder.feed(bytes);
        self.decode_input(now);
    }

    /// Room to read the socket into, at most `max` bytes (empty only when
    /// `max` is 0): the end of the decoder's own buffer
    /// ([`Decoder::read_buf`]), so that the bytes are not copied. After the
    /// read, call [`handle_read`](Self::handle_read) with how many bytes it
    /// gave, or [`handle_disconnect`](Self::handle_disconnect) at end of
    /// file. A new `read_buf` before `handle_read` forgets what was read
    /// into the last room.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::time::Instant;
    /// use ami_proto::{Config, Connection, Event};
    ///
    /// let t0 = Instant::now();
    /// let mut conn = Connection::new(Config::default(), t0);
    /// let mut socket: &[u8] = b"Asterisk Call Manager/11.0.0\r\nEvent: FullyBooted\r\n\r\n";
    /// loop {
    ///     let n = socket.read(conn.read_buf(16))?;
    ///     if n == 0 {
    ///         conn.handle_disconnect(t0);
    ///         break;
    ///     }
    ///     conn.handle_read(t0, n);
    /// }
    /// let mut events = std::iter::from_fn(|| conn.poll_event());
    /// assert!(matches!(events.next(), Some(Event::Connected(_))));
    /// assert!(matches!(events.next(), Some(Event::Authenticated)));
    /// assert!(matches!(events.next(), Some(Event::Message(m)) if m.name().unwrap() == "FullyBooted"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read_buf(&mut self, max: usize) -> &mut [u8] {
        self.decoder.read_buf(max)
    }

    /// Takes the first `n` bytes of the room [`read_buf`](Self::read_buf)
    /// last gave out, which a socket read filled: the same as
    /// [`handle_input`](Self::handle_input) with those bytes, without
    /// copying them. After the connection has closed, they are dropped.
    ///
    /// # Panics
    /// If `n` is larger than that room.
    pub fn handle_read(&mut self, now: Instant, n: usize) {
        if self.is_closed() {
            return;
        }
        self.decoder.filled(n);
        self.decode_input(now);
    }

    /// Handles every item the decoder has.
    fn decode_input(&mut self, now: Instant) {
        while let Some(item) = self.decoder.decode() {
            self.on_item(now, item);
            if self.is_closed() {
                return;
            }
        }
    }

    /// Tells the connection that the socket reached end of file or failed.
    /// Pending actions fail with [`ActionError::ConnectionClosed`].
    pub fn handle_disconnect(&mut self, now: Instant) {
        if self.is_closed() {
            return;
        }
        if let Some(Decoded::Error(error)) = self.decoder.finish() {
            self.on_decode_error(now, error);
        }
        if self.is_closed() {
            return;
        }
        let reason = if self.state == State::LoggingOff {
            CloseReason::LoggedOff
        } else {
            CloseReason::PeerClosed
        };
        self.close_with(reason);
    }

    /// Expires what is due at `now`: action timeouts, the login deadline,
    /// keepalive pings. Safe to call early or more than once.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.is_closed() {
            return;
        }
        if matches!(self.state, State::AwaitingBanner | State::LoggingIn)
            && self.login_deadline.is_some_and(|d| d <= now)
        {
            self.close_with(if self.state == State::AwaitingBanner {
                CloseReason::BannerTimeout
            } else {
                CloseReason::LoginTimeout
            });
            return;
        }
        while let Some(handle) = self.pending.first_expired(now) {
            let Some(entry) = self.pending.remove(handle) else {
                break;
            };
            match entry.role {
                Role::User => {
                    if !matches!(entry.stage, Stage::Discarding) {
                        self.push_outcome(handle, Err(ActionError::Timeout));
                    }
                }
                Role::KeepalivePing => {
                    self.ping = None;
                    self.close_with(CloseReason::KeepaliveTimeout);
                    return;
                }
                Role::Logoff => {
                    self.close_with(CloseReason::LogoffTimeout);
                    return;
                }
                Role::Challenge | Role::Login => {
                    self.close_with(CloseReason::LoginTimeout);
                    return;
                }
            }
            self.maybe_finish_ending(now);
        }
        if self.state == State::Ready
            && let (Some(keepalive), Some(next)) = (self.config.keepalive, self.next_ping)
            && next <= now
        {
            self.next_ping = now.checked_add(keepalive.interval);
            if self.ping.is_none() {
                let deadline = now.checked_add(keepalive.timeout);
                let handle = self.send_internal(Action::new("Ping"), Role::KeepalivePing, deadline);
                self.ping = Some(handle);
            }
        }
    }

    /// Sends an action with [`SendOptions::default`].
    pub fn send_action(&mut self, action: Action, now: Instant) -> ActionHandle {
        self.send_action_with(action, SendOptions::default(), now)
    }

    /// Sends an action. Before the login completes it is queued and sent
    /// right after; its timeout runs from `now` either way. The handle's
    /// outcome comes out of [`poll_event`](Self::poll_event), at once if the
    /// action cannot be sent.
    pub fn send_action_with(
        &mut self,
        mut action: Action,
        options: SendOptions,
        now: Instant,
    ) -> ActionHandle {
        let handle = self.new_handle();
        let refusal = match &self.state {
            State::Closed(reason) => Some(ActionError::ConnectionClosed(reason.clone())),
            State::LoggingOff => Some(ActionError::Closing),
            _ if self.ending => Some(ActionError::Closing),
            _ => None,
        };
        if let Some(error) = refusal {
            self.push_outcome(handle, Err(error));
            return handle;
        }
        let id = match action.get_action_id() {
            Some(id) if self.pending.contains_id(id) => {
                let id = String::from_utf8_lossy(id).into_owned();
                self.push_outcome(handle, Err(ActionError::DuplicateActionId(id)));
                return handle;
            }
            Some(id) => Bytes::copy_from_slice(id),
            None => {
                let id = self.new_action_id();
                action.set_action_id(&id);
                id
            }
        };
        let mut bytes = Vec::new();
        if let Err(error) = action.encode(&mut bytes) {
            self.push_outcome(handle, Err(ActionError::Invalid(error)));
            return handle;
        }
        let is_logoff = action.name().eq_ignore_ascii_case(b"Logoff");
        let stage = if self.state == State::Ready {
            self.write(&bytes);
            if is_logoff {
                self.state = State::LoggingOff;
            }
            Stage::AwaitingResponse
        } else {
            Stage::Queued {
                bytes,
                logoff: is_logoff,
            }
        };
        let timeout = options.timeout.unwrap_or(self.config.action_timeout);
        self.pending.insert(
            handle,
            InFlight {
                id,
                role: Role::User,
                deadline: now.checked_add(timeout),
                stage,
                expect_list: options.expect_list,
                wait_originate: options.wait_for_originate_response,
            },
        );
        handle
    }

    /// Closes now: sends `Logoff` and waits for `Goodbye` (actions already
    /// sent may still complete before it); before the login is done, closes
    /// at once. New actions fail at once from here on.
    pub fn close(&mut self, now: Instant) {
        match self.state {
            State::Closed(_) | State::LoggingOff => {}
            State::AwaitingBanner | State::LoggingIn => self.close_with(CloseReason::Local),
            State::Ready => {
                let deadline = now.checked_add(self.config.action_timeout);
                self.send_internal(Action::new("Logoff"), Role::Logoff, deadline);
                self.state = State::LoggingOff;
            }
        }
    }

    /// Soft close (seed 003's `end()`): refuses new actions, lets the pending
    /// ones finish (or time out), then logs off.
    pub fn end(&mut self, now: Instant) {
        if self.is_closed() {
            return;
        }
        self.ending = true;
        self.maybe_finish_ending(now);
    }

    // ---- outputs ----------------------------------------------------------

    /// Appends the bytes to write to the socket to `buf`; returns how many.
    #[must_use = "the bytes must be written to the socket"]
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> usize {
        let n = self.transmit.len();
        buf.append(&mut self.transmit);
        n
    }

    /// The next event: outcomes, unsolicited messages, state changes.
    #[must_use = "events must be handled"]
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called,
    /// or `None` if nothing is timed.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_closed() {
            return None;
        }
        let login = matches!(self.state, State::AwaitingBanner | State::LoggingIn)
            .then_some(self.login_deadline)
            .flatten();
        let ping = (self.state == State::Ready && self.ping.is_none())
            .then_some(self.next_ping)
            .flatten();
        [login, ping, self.pending.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    // ---- internals --------------------------------------------------------

    fn new_handle(&mut self) -> ActionHandle {
        let handle = ActionHandle(self.next_handle);
        self.next_handle += 1;
        handle
    }

    fn new_action_id(&mut self) -> Bytes {
        // Skip an ID the caller already set on an action in flight: two
        // actions under one ActionID could not both be answered.
        loop {
            self.id_counter += 1;
            let id = Bytes::from(format!("{}-{}", self.id_prefix, self.id_counter));
            if !self.pending.contains_id(&id) {
                return id;
            }
        }
    }

    fn push_outcome(&mut self, handle: ActionHandle, outcome: Result<Response, ActionError>) {
        self.events
            .push_back(Event::ActionCompleted { handle, outcome });
    }

    /// Queues bytes for the socket and shows them to the transcript.
    fn write(&mut self, bytes: &[u8]) {
        self.transmit.extend_from_slice(bytes);
        if let Some(hook) = &mut self.transcript {
            for line in transcript_lines(bytes) {
                let key_end = memchr::memchr(b':', line).unwrap_or(line.len());
                if is_secret_key(&line[..key_end]) && key_end < line.len() {
                    let mut redacted = line[..=key_end].to_vec();
                    redacted.extend_from_slice(b" <redacted>");
                    hook(Direction::Out, &redacted);
                } else {
                    hook(Direction::Out, line);
                }
            }
        }
    }

    /// Shows received bytes to the transcript, if there is one (a check
    /// inlined into the per-message path; the rest is not).
    #[inline]
    fn transcribe_in(&mut self, bytes: &[u8]) {
        if self.transcript.is_some() {
            self.transcribe_lines_in(bytes);
        }
    }

    #[cold]
    fn transcribe_lines_in(&mut self, bytes: &[u8]) {
        if let Some(hook) = &mut self.transcript {
            for line in transcript_lines(bytes) {
                hook(Direction::In, line);
            }
        }
    }

    /// Sends an internal action (login, ping, logoff) at once.
    fn send_internal(
        &mut self,
        mut action: Action,
        role: Role,
        deadline: Option<Instant>,
    ) -> ActionHandle {
        let handle = self.new_handle();
        let id = self.new_action_id();
        action.set_action_id(&id);
        let mut bytes = Vec::new();
        match action.encode(&mut bytes) {
            Ok(()) => self.write(&bytes),
            Err(error) => {
                // Only a username or secret with CR/LF can get here: refuse
                // to send it rather than inject lines.
                self.close_with(CloseReason::AuthenticationFailed(format!(
                    "login not sent: {error}"
                )));
                return handle;
            }
        }
        self.pending.insert(
            handle,
            InFlight {
                id,
                role,
                deadline,
                stage: Stage::AwaitingResponse,
                expect_list: false,
                wait_originate: false,
            },
        );
        handle
    }

    fn start_login(&mut self, now: Instant) {
        let Some(login) = self.config.login.clone() else {
            self.on_ready(now);
            return;
        };
        self.state = State::LoggingIn;
        match login.auth {
            AuthMethod::Plaintext => {
                let action = Action::new("Login")
                    .header("Username", &login.username)
                    .header("Secret", login.secret.expose())
                    .header("Events", self.config.events.as_header_value());
                self.send_internal(action, Role::Login, self.login_deadline);
            }
            AuthMethod::Md5 => {
                let action = Action::new("Challenge").header("AuthType", "MD5");
                self.send_internal(action, Role::Challenge, self.login_deadline);
            }
        }
    }

    fn on_ready(&mut self, now: Instant) {
        self.state = State::Ready;
        self.events.push_back(Event::Authenticated);
        for (bytes, logoff) in self.pending.take_queued() {
            // Once a user Logoff is out, Asterisk answers nothing after it:
            // later queued actions stay unsent and fail when it closes.
            if self.state == State::Ready {
                self.write(&bytes);
            }
            if logoff {
                self.state = State::LoggingOff;
            }
        }
        if let Some(keepalive) = self.config.keepalive {
            self.next_ping = now.checked_add(keepalive.interval);
        }
        self.maybe_finish_ending(now);
    }

    /// During a soft close, logs off once no user action is left.
    fn maybe_finish_ending(&mut self, now: Instant) {
        if self.ending && !self.pending.has_user_actions() {
            match self.state {
                State::Ready => self.close(now),
                State::AwaitingBanner | State::LoggingIn => self.close_with(CloseReason::Local),
                State::LoggingOff | State::Closed(_) => {}
            }
        }
    }

    /// Enters the closed state: every action still pending fails.
    fn close_with(&mut self, reason: CloseReason) {
        if self.is_closed() {
            return;
        }
        self.state = State::Closed(reason.clone());
        self.next_ping = None;
        self.ping = None;
        for (handle, entry) in self.pending.drain() {
            if entry.role == Role::User && !matches!(entry.stage, Stage::Discarding) {
                self.push_outcome(handle, Err(ActionError::ConnectionClosed(reason.clone())));
            }
        }
        self.events.push_back(Event::Closed(reason));
    }

    fn on_item(&mut self, now: Instant, item: Decoded) {
        match item {
            Decoded::Banner(banner) => {
                self.transcribe_in(banner.line().as_bytes());
                if self.state == State::AwaitingBanner {
                    self.banner = Some(banner.clone());
                    self.events.push_back(Event::Connected(banner));
                    self.start_login(now);
                }
            }
            Decoded::Message(message) => {
                self.transcribe_in(message.as_bytes());
                if self.state == State::AwaitingBanner {
                    // Whatever this is (an HTTP server, an SSH banner, a
                    // proxy's page), it is not Asterisk: the credentials
                    // stay here.
                    let first = message
                        .as_bytes()
                        .split(|&b| b == b'\n')
                        .next()
                        .unwrap_or(b"");
                    self.close_with(CloseReason::NotAmi(quote(first)));
                    return;
                }
                match message.kind() {
                    MessageKind::Event => self.on_event(now, message),
                    MessageKind::Response | MessageKind::Other => self.on_response(now, message),
                    MessageKind::Action => self.events.push_back(Event::Message(message)),
                }
            }
            Decoded::Error(_) if self.state == State::AwaitingBanner => {
                // An endless or broken first line: not an AMI banner either.
                self.close_with(CloseReason::NotAmi(
                    "a first line that breaks the decoder's limits".into(),
                ));
            }
            Decoded::Error(error) => self.on_decode_error(now, error),
        }
    }

    /// The action an ID-less response belongs to, if any.
    ///
    /// Asterisk echoes the ActionID of every action that has one, and this
    /// connection gives every action one: an answer without ActionID is
    /// nobody's, and taking it for the oldest action's would steal that
    /// action's real answer. Two exceptions: a plain login (or challenge)
    /// answer while the login is the oldest action, and — once the login
    /// answer itself came without its ActionID, a server that drops them —
    /// the oldest action awaiting a response, as such a server answers in
    /// order.
    fn idless_owner(&self, message: &Message) -> Option<ActionHandle> {
        let oldest = self.pending.oldest_awaiting_response()?;
        match self.pending.get(oldest)?.role {
            Role::Login => is_login_answer(message).then_some(oldest),
            Role::Challenge => is_challenge_answer(message).then_some(oldest),
            _ if self.drops_action_ids
                || self.config.idless_responses == IdlessResponses::InOrder =>
            {
                Some(oldest)
            }
            _ => None,
        }
    }

    fn on_response(&mut self, now: Instant, message: Message) {
        let handle = match message.action_id() {
            Some(id) => self.pending.by_id(id.as_bytes()),
            None => self.idless_owner(&message),
        };
        let Some(handle) = handle.filter(|h| {
            self.pending
                .get_mut(*h)
                .is_some_and(|e| matches!(e.stage, Stage::AwaitingResponse))
        }) else {
            self.events.push_back(Event::Message(message));
            return;
        };
        let Some(entry) = self.pending.get_mut(handle) else {
            return;
        };
        let status = message.get("Response").unwrap_or(Value::new(b""));
        let is_error = status.eq_ignore_ascii_case("Error");
        let is_goodbye = status.eq_ignore_ascii_case("Goodbye");
        match entry.role {
            Role::User => {
                let starts_list = !is_error
                    && (entry.expect_list
                        || message
                            .get("EventList")
                            .is_some_and(|v| v.eq_ignore_ascii_case("start")));
                if starts_list {
                    entry.stage = Stage::List {
                        response: message,
                        events: Vec::new(),
                    };
                } else if entry.wait_originate && !is_error {
                    entry.stage = Stage::Originate { response: message };
                } else {
                    let response = Response::new(message, Vec::new(), None);
                    let outcome = if is_error {
                        Err(ActionError::Rejected(Box::new(response)))
                    } else {
                        Ok(response)
                    };
                    self.complete(now, handle, outcome);
                    if is_goodbye {
                        self.close_with(CloseReason::LoggedOff);
                    }
                }
            }
            Role::Challenge => {
                self.pending.remove(handle);
                match (
                    is_error,
                    message.get("Challenge"),
                    self.config.login.clone(),
                ) {
                    (false, Some(challenge), Some(login)) => {
                        let key = md5_key(challenge.as_bytes(), login.secret.expose().as_bytes());
                        let action = Action::new("Login")
                            .header("AuthType", "MD5")
                            .header("Username", &login.username)
                            .header("Key", key)
                            .header("Events", self.config.events.as_header_value());
                        self.send_internal(action, Role::Login, self.login_deadline);
                    }
                    _ => self.close_with(CloseReason::AuthenticationFailed(text_of(&message))),
                }
            }
            Role::Login => {
                self.pending.remove(handle);
                if message.action_id().is_none() {
                    // The login went out with an ActionID: this server
                    // drops them, and answers in order.
                    self.drops_action_ids = true;
                }
                if is_error {
                    self.close_with(CloseReason::AuthenticationFailed(text_of(&message)));
                } else {
                    self.on_ready(now);
                }
            }
            Role::KeepalivePing => {
                self.pending.remove(handle);
                self.ping = None;
            }
            Role::Logoff => {
                self.pending.remove(handle);
                self.close_with(CloseReason::LoggedOff);
            }
        }
    }

    fn on_event(&mut self, now: Instant, message: Message) {
        if self.pending.len() == 0 {
            // No action could own it: skip reading its lines for an ActionID.
            self.events.push_back(Event::Message(message));
            return;
        }
        let handle = message
            .action_id()
            .and_then(|id| self.pending.by_id(id.as_bytes()));
        let max_list = self.config.max_list_events;
        let Some((handle, entry)) = handle.and_then(|h| self.pending.get_mut(h).map(|e| (h, e)))
        else {
            self.events.push_back(Event::Message(message));
            return;
        };
        match &mut entry.stage {
            Stage::List { events, .. } => {
                if is_list_end(&message) {
                    let Some(InFlight {
                        stage: Stage::List { response, events },
                        ..
                    }) = self.pending.remove(handle)
                    else {
                        return;
                    };
                    let response = Response::new(response, events, Some(message));
                    self.complete_removed(now, handle, Ok(response));
                } else if events.len() >= max_list {
                    entry.stage = Stage::Discarding;
                    self.push_outcome(handle, Err(ActionError::ListTooLarge { limit: max_list }));
                    self.maybe_finish_ending(now);
                } else {
                    events.push(message);
                }
            }
            Stage::Discarding => {
                if is_list_end(&message) {
                    self.pending.remove(handle);
                }
            }
            Stage::Originate { .. }
                if message
                    .name()
                    .is_some_and(|n| n.eq_ignore_ascii_case("OriginateResponse")) =>
            {
                let Some(InFlight {
                    stage: Stage::Originate { response },
                    ..
                }) = self.pending.remove(handle)
                else {
                    return;
                };
                let response = Response::new(response, Vec::new(), Some(message));
                let outcome = if response.is_error() {
                    Err(ActionError::Rejected(Box::new(response)))
                } else {
                    Ok(response)
                };
                self.complete_removed(now, handle, outcome);
            }
            _ => self.events.push_back(Event::Message(message)),
        }
    }

    fn on_decode_error(&mut self, now: Instant, error: DecodeError) {
        let handle = match error.action_id() {
            Some(id) => self.pending.by_id(id),
            None if error.message_kind() == Some(MessageKind::Response)
                && (self.drops_action_ids
                    || self.config.idless_responses == IdlessResponses::InOrder) =>
            {
                self.pending.oldest_awaiting_response()
            }
            None => None,
        };
        let user = handle.filter(|h| {
            self.pending.get_mut(*h).is_some_and(|e| {
                e.role == Role::User && !matches!(e.stage, Stage::Queued { .. } | Stage::Discarding)
            })
        });
        match user {
            Some(handle) => {
                let in_list = self
                    .pending
                    .get_mut(handle)
                    .is_some_and(|e| matches!(e.stage, Stage::List { .. }));
                if in_list {
                    // The rest of the list still arrives: swallow it.
                    if let Some(entry) = self.pending.get_mut(handle) {
                        entry.stage = Stage::Discarding;
                    }
                    self.push_outcome(handle, Err(ActionError::Malformed(error)));
                    self.maybe_finish_ending(now);
                } else {
                    self.complete(now, handle, Err(ActionError::Malformed(error)));
                }
            }
            None => self
                .events
                .push_back(Event::Violation(Violation::Decode(error))),
        }
    }

    fn complete(
        &mut self,
        now: Instant,
        handle: ActionHandle,
        outcome: Result<Response, ActionError>,
    ) {
        self.pending.remove(handle);
        self.complete_removed(now, handle, outcome);
    }

    fn complete_removed(
        &mut self,
        now: Instant,
        handle: ActionHandle,
        outcome: Result<Response, ActionError>,
    ) {
        self.push_outcome(handle, outcome);
        self.maybe_finish_ending(now);
    }
}

/// Whether a list event ends its list: `EventList: Complete` (any case), or
/// for old servers a name ending in `Complete`.
fn is_list_end(message: &Message) -> bool {
    message
        .get("EventList")
        .is_some_and(|v| v.eq_ignore_ascii_case("Complete"))
        || message.name().is_some_and(|n| {
            let n = n.as_bytes();
            n.len() >= 8 && n[n.len() - 8..].eq_ignore_ascii_case(b"Complete")
        })
}

/// Asterisk's `Message`, or the status if it gave none.
fn text_of(message: &Message) -> String {
    message
        .get("Message")
        .or_else(|| message.get("Response"))
        .map(|v| v.to_str_lossy().into_owned())
        .unwrap_or_default()
}

/// The lines of a block, without line endings and without the final empty
/// line.
fn transcript_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let trimmed = bytes
        .strip_suffix(b"\r\n\r\n")
        .or_else(|| bytes.strip_suffix(b"\n\n"))
        .or_else(|| bytes.strip_suffix(b"\r\n"))
        .or_else(|| bytes.strip_suffix(b"\n"))
        .unwrap_or(bytes);
    trimmed
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

/// 12 random hex digits, from the standard library's per-process random
/// keys (no I/O beyond what `std` already did).
fn random_prefix() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

/// A plain answer to `Login`: `Message: Authentication accepted` or
/// `Authentication failed` (what Asterisk says), whatever the status.
fn is_login_answer(message: &Message) -> bool {
    message.get("Message").is_some_and(|m| {
        m.as_bytes()
            .get(..14)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"Authentication"))
    })
}

/// A plain answer to `Challenge`: a `Challenge` header, or an error about
/// the `AuthType`.
fn is_challenge_answer(message: &Message) -> bool {
    message.contains("Challenge")
        || message
            .get("Message")
            .is_some_and(|m| m.to_str_lossy().to_ascii_lowercase().contains("authtype"))
}

/// `line` for an error message: at most 80 bytes, printable ASCII kept,
/// everything else escaped (`\x1b`, `\r`, …).
fn quote(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut text: String = line
        .iter()
        .take(80)
        .flat_map(|b| b.escape_ascii())
        .map(char::from)
        .collect();
    if line.len() > 80 {
        text.push('…');
    }
    text
}
