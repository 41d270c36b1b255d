//! What every adapter's client is built from, and what it fails with: one
//! definition for the blocking, Tokio and smol clients, so that they read
//! alike.

use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::endpoint::{Endpoint, EndpointError};
use crate::tls::{Fingerprint, TlsError};
use ami_proto::EncodeError;
use ami_proto::TranscriptHook;
use ami_proto::{ActionError, CloseReason, Response};
use ami_proto::{AuthMethod, Config, EventMask, Keepalive, Login, Secret};

/// Reconnection with exponential backoff, jitter and a cap.
///
/// ```
/// use std::time::Duration;
/// use ami_client::Reconnect;
/// let r = Reconnect { jitter: false, ..Reconnect::default() };
/// assert_eq!(r.delay(0, 0.0), Some(Duration::from_millis(500)));
/// assert_eq!(r.delay(3, 0.0), Some(Duration::from_secs(4)));
/// assert_eq!(r.delay(20, 0.0), Some(Duration::from_secs(30)));
/// let jittered = Reconnect::default().delay(3, 0.25).unwrap();
/// assert_eq!(jittered, Duration::from_millis(2500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconnect {
    /// The first delay. Default 500 ms.
    pub initial: Duration,
    /// The longest delay. Default 30 s.
    pub max: Duration,
    /// Spread each delay over its upper half at random, so that many
    /// clients do not reconnect in step. Default on.
    pub jitter: bool,
    /// Give up after this many failed attempts in a row. Default: never.
    pub max_attempts: Option<u32>,
}

impl Default for Reconnect {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            jitter: true,
            max_attempts: None,
        }
    }
}

impl Reconnect {
    /// The delay before attempt `attempt` (0 for the first), given a random
    /// number in `0.0..1.0` (the adapter draws it; the core has no random
    /// source). `None` once `max_attempts` is reached.
    #[must_use]
    pub fn delay(&self, attempt: u32, random: f64) -> Option<Duration> {
        if self.max_attempts.is_some_and(|max| attempt >= max) {
            return None;
        }
        let factor = 2u32.saturating_pow(attempt.min(31));
        let base = self.initial.saturating_mul(factor).min(self.max);
        if !self.jitter {
            return Some(base);
        }
        let half = base / 2;
        Some(half + half.mul_f64(random.clamp(0.0, 1.0)))
    }
}

/// Where a transcript goes: any writer, one line per AMI line, `>>` for
/// sent and `<<` for received, secrets redacted.
/// (Behind a mutex only so that the options are `Sync`.)
type TranscriptSink = std::sync::Mutex<Box<dyn Write + Send>>;

/// How to connect a client, for every adapter: address, login, events,
/// timeouts, buffers, TLS trust, reconnection, transcript.
///
/// ```
/// use std::time::Duration;
/// use ami_proto::{EventMask};
/// use ami_client::{ClientOptions};
///
/// let options = ClientOptions::new("tcp://admin:amp111@127.0.0.1:5038")?
///     .md5(true)
///     .events(EventMask::Mask("call,user".into()))
///     .action_timeout(Duration::from_secs(10))
///     .event_buffer(50_000);
/// assert_eq!(options.endpoint().port, 5038);
/// # Ok::<(), ami_client::EndpointError>(())
/// ```
pub struct ClientOptions {
    endpoint: Endpoint,
    /// The core's settings (login, events, timeouts, limits, keepalive).
    pub config: Config,
    /// TCP connect timeout per address. Default 10 s.
    pub connect_timeout: Duration,
    /// Unread events kept (per subscriber for the async clients), at most.
    /// Default 1 000 000: the byte bound below is the one that matters;
    /// this one caps tiny events. Memory follows what is unread, not the
    /// bounds: nothing is allocated up front, and events every subscriber
    /// has taken are let go at once. (An async subscription takes up to
    /// [`adapter::BATCH`](crate::adapter::BATCH) events at a time into a
    /// buffer of its own, beyond these bounds.)
    pub event_buffer: usize,
    /// Unread events kept, at most, in bytes (an event counts its wire
    /// bytes and 64 more). Default 64 MiB: some 180 000 events of the 364
    /// bytes a real Asterisk 22 event averages — 50 ms of the fastest
    /// flood a loopback socket carries, minutes of a busy PBX.
    pub event_buffer_bytes: usize,
    /// What happens when a consumer falls further behind than the bounds.
    /// Default [`Overflow::DropOldest`].
    pub overflow: Overflow,
    /// `SO_KEEPALIVE` with this idle time. Default off.
    pub tcp_keepalive: Option<Duration>,
    /// Reconnection, for the async clients. Default off.
    pub reconnect: Option<Reconnect>,
    ca_file: Option<PathBuf>,
    ca_pem: Option<Vec<u8>>,
    pin: Option<Fingerprint>,
    transcript: Option<TranscriptSink>,
    on_violation: Option<ViolationHook>,
}

/// What a client does when a consumer falls further behind than its event
/// buffer's bounds ([`ClientOptions::event_buffer_bytes`],
/// [`ClientOptions::event_buffer`]).
///
/// Asterisk does not wait for a client that stops reading: once the
/// socket's buffers are full, a write that does not finish within
/// `manager.conf`'s `writetimeout` (100 ms by default) ends the session.
/// So stopping to read for long costs the connection — and every event
/// sent until it is made again — while dropping the oldest events costs
/// only those, counted. The default drops, from a buffer large enough
/// (64 MiB) that a consumer that keeps up on average loses nothing to a
/// pause of its thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Overflow {
    /// Drop the oldest unread events and tell the consumer how many with
    /// [`Incoming::Lost`], before the events that follow them. The socket
    /// is always drained.
    #[default]
    DropOldest,
    /// Lose nothing: stop reading the socket while the buffer is full and
    /// resume once the consumer has read it down to half. Actions wait too
    /// (their answers are not read meanwhile), and a consumer that stalls
    /// for long makes Asterisk drop the connection (see above; with
    /// reconnection on, a new one is made), and a keepalive ping that
    /// waits longer than its timeout ends it from this side.
    Backpressure,
}

/// Called by the adapters for each [`Violation`](ami_proto::Violation): bad input that
/// belonged to no action (a message the decoder skipped, and why), which
/// the connection survives. See [`ClientOptions::on_violation`].
pub type ViolationHook = std::sync::Arc<dyn Fn(&ami_proto::Violation) + Send + Sync>;

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("endpoint", &self.endpoint)
            .field("config", &self.config)
            .field("connect_timeout", &self.connect_timeout)
            .field("event_buffer", &self.event_buffer)
            .field("event_buffer_bytes", &self.event_buffer_bytes)
            .field("overflow", &self.overflow)
            .field("tcp_keepalive", &self.tcp_keepalive)
            .field("reconnect", &self.reconnect)
            .field("ca_file", &self.ca_file)
            .field("pin", &self.pin)
            .field("transcript", &self.transcript.is_some())
            .field("on_violation", &self.on_violation.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientOptions {
    /// Options for `address` (`tcp://user:secret@host:port`, `tls://…`,
    /// `user:secret@host`, `host:port`; see [`Endpoint`]).
    pub fn new(address: &str) -> Result<Self, EndpointError> {
        Ok(Self::from_endpoint(address.parse()?))
    }

    /// Options for a parsed address.
    #[must_use]
    pub fn from_endpoint(endpoint: Endpoint) -> Self {
        let pin = endpoint.pin;
        let config = Config {
            login: endpoint.login.clone(),
            events: endpoint.events.clone().unwrap_or_default(),
            ..Config::default()
        };
        Self {
            endpoint,
            config,
            connect_timeout: Duration::from_secs(10),
            event_buffer: 1_000_000,
            event_buffer_bytes: 64 << 20,
            overflow: Overflow::DropOldest,
            tcp_keepalive: None,
            reconnect: None,
            ca_file: None,
            ca_pem: None,
            pin,
            transcript: None,
            on_violation: None,
        }
    }

    /// The address.
    #[must_use]
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Credentials, instead of (or over) those of the address.
    #[must_use]
    pub fn login(mut self, username: impl Into<String>, secret: impl Into<Secret>) -> Self {
        let auth = self
            .config
            .login
            .as_ref()
            .map(|l| l.auth)
            .unwrap_or_default();
        let mut login = Login::new(username, secret);
        login.auth = auth;
        self.config.login = Some(login);
        self
    }

    /// MD5 challenge login instead of a plaintext secret.
    #[must_use]
    pub fn md5(mut self, md5: bool) -> Self {
        if let Some(login) = &mut self.config.login {
            login.auth = if md5 {
                AuthMethod::Md5
            } else {
                AuthMethod::Plaintext
            };
        }
        self
    }

    /// Which events to receive (`Events:` at login). Default on.
    #[must_use]
    pub fn events(mut self, events: EventMask) -> Self {
        self.config.events = events;
        self
    }

    /// Default action timeout. Default 30 s.
    #[must_use]
    pub fn action_timeout(mut self, timeout: Duration) -> Self {
        self.config.action_timeout = timeout;
        self
    }

    /// TCP connect timeout, also used as the login timeout. Default 10 s.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self.config.login_timeout = timeout;
        self
    }

    /// Keepalive pings every `interval`; no answer within `timeout` declares
    /// the connection dead.
    #[must_use]
    pub fn keepalive(mut self, interval: Duration, timeout: Duration) -> Self {
        self.config.keepalive = Some(Keepalive { interval, timeout });
        self
    }

    /// Unread events kept (per subscriber for the async clients), at most.
    /// Default 1 000 000. A large bound costs nothing until events pile up.
    #[must_use]
    pub fn event_buffer(mut self, events: usize) -> Self {
        self.event_buffer = events.max(1);
        self
    }

    /// Unread events kept, at most, in bytes. Default 64 MiB.
    #[must_use]
    pub fn event_buffer_bytes(mut self, bytes: usize) -> Self {
        self.event_buffer_bytes = bytes.max(1);
        self
    }

    /// What to do when a consumer falls further behind than the event
    /// buffer's bounds: drop the oldest events and report how many
    /// (the default), or stop reading the socket until it catches up.
    ///
    /// ```
    /// use ami_client::{ClientOptions, Overflow};
    /// let options = ClientOptions::new("tcp://admin:amp111@127.0.0.1:5038")?
    ///     .event_buffer_bytes(256 << 20)
    ///     .overflow(Overflow::Backpressure);
    /// assert_eq!(options.overflow, Overflow::Backpressure);
    /// # Ok::<(), ami_client::EndpointError>(())
    /// ```
    #[must_use]
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// How many bytes an adapter reads from the socket at once, and hands
    /// to the core (and its events to the subscribers) as one batch: large,
    /// so that a flood costs few system calls and wake-ups, but no more
    /// events than the [event buffer](Self::event_buffer) holds (counting
    /// 64 bytes an event; real ones are several hundred), so that a
    /// subscriber that keeps up does not lose events to a single read.
    /// `event_buffer` × 64 bytes and an eighth of `event_buffer_bytes`,
    /// within 64 KiB (what every read was before) and 512 KiB; 512 KiB with
    /// the default buffer.
    ///
    /// ```
    /// use ami_client::ClientOptions;
    /// let options = ClientOptions::new("tcp://admin:amp111@127.0.0.1:5038")?;
    /// assert_eq!(options.read_size(), 512 * 1024);
    /// assert_eq!(options.event_buffer(1_000).read_size(), 64 * 1024);
    /// # Ok::<(), ami_client::EndpointError>(())
    /// ```
    #[must_use]
    pub fn read_size(&self) -> usize {
        const MIN: usize = 64 * 1024;
        const MAX: usize = 512 * 1024;
        self.event_buffer
            .saturating_mul(64)
            .min(self.event_buffer_bytes / 8)
            .clamp(MIN, MAX)
    }

    /// TCP keepalive (`SO_KEEPALIVE`) with this idle time.
    #[must_use]
    pub fn tcp_keepalive(mut self, idle: Duration) -> Self {
        self.tcp_keepalive = Some(idle);
        self
    }

    /// Reconnect after the connection drops (async clients).
    #[must_use]
    pub fn reconnect(mut self, reconnect: Reconnect) -> Self {
        self.reconnect = Some(reconnect);
        self
    }

    /// For `tls://`: trust only the CA certificates of this PEM file
    /// (Asterisk's certificates are often self-signed). Without it, the
    /// Mozilla roots. Verification is never switched off.
    #[must_use]
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// For `tls://`: trust only these PEM CA certificates.
    #[must_use]
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// For `tls://`: the server's certificate must be the one with this
    /// SHA-256 fingerprint (what `openssl x509 -noout -fingerprint -sha256`
    /// prints), as `?pin=sha256:…` in the address does. Enough on its own:
    /// without a CA file, the pinned certificate is trusted whoever signed
    /// it, whatever names and dates it has; with a CA file, both must
    /// hold. Handshake signatures are verified either way.
    ///
    /// ```
    /// use ami_client::ClientOptions;
    /// use ami_client::tls::Fingerprint;
    ///
    /// let pin: Fingerprint =
    ///     "sha256:FD:AE:72:5B:44:CB:ED:E6:ED:2A:13:18:4E:4F:61:08:1E:A0:67:73:1D:AF:6A:01:FE:8E:AF:BD:1D:A0:48:57"
    ///         .parse()?;
    /// let options = ClientOptions::new("tls://admin:amp111@pbx.example:5039")?.tls_pin(pin);
    /// assert_eq!(options.pinned(), Some(&pin));
    ///
    /// // The same from the address.
    /// let url = format!("tls://admin:amp111@pbx.example:5039?pin={pin}");
    /// assert_eq!(ClientOptions::new(&url)?.pinned(), Some(&pin));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn tls_pin(mut self, pin: Fingerprint) -> Self {
        self.pin = Some(pin);
        self
    }

    /// The pinned certificate fingerprint, if any.
    #[must_use]
    pub fn pinned(&self) -> Option<&Fingerprint> {
        self.pin.as_ref()
    }

    /// What the CA settings name, for messages: `the CA file ca.pem`, …
    #[must_use]
    pub fn ca_description(&self) -> String {
        match (&self.ca_file, &self.ca_pem) {
            (Some(path), None) => format!("the CA file {}", path.display()),
            (Some(path), Some(_)) => {
                format!("the given CA PEM and the CA file {}", path.display())
            }
            (None, Some(_)) => "the given CA PEM".into(),
            (None, None) => "no CA certificates (none given)".into(),
        }
    }

    /// A transcript of the traffic to `out` (seed 000's format: `>>` sent,
    /// `<<` received), with `Secret` and `Key` values redacted.
    #[must_use]
    pub fn transcript(mut self, out: impl Write + Send + 'static) -> Self {
        self.transcript = Some(std::sync::Mutex::new(Box::new(out)));
        self
    }

    /// Any other core setting (limits, list size, ActionID prefix …).
    #[must_use]
    pub fn configure(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.config);
        self
    }

    /// The CA PEM to trust, read from the file and/or given as text, or
    /// `None` for the default roots.
    pub fn ca_pem_bytes(&self) -> std::io::Result<Option<Vec<u8>>> {
        if self.ca_file.is_none() && self.ca_pem.is_none() {
            return Ok(None);
        }
        let mut pem = self.ca_pem.clone().unwrap_or_default();
        if let Some(path) = &self.ca_file {
            pem.push(b'\n');
            pem.extend_from_slice(&std::fs::read(path)?);
        }
        Ok(Some(pem))
    }

    /// Calls `hook` for every [`Violation`](ami_proto::Violation) (besides the
    /// adapters' `tracing` warning): a message the decoder skipped that no
    /// action was waiting for, with the limit it broke. An action's own
    /// skipped answer fails that action instead
    /// ([`ActionError::Malformed`](ami_proto::ActionError::Malformed)).
    ///
    /// ```
    /// use ami_client::ClientOptions;
    ///
    /// let options = ClientOptions::new("tcp://admin:secret@127.0.0.1")?
    ///     .on_violation(|v| eprintln!("skipped: {v}"));
    /// assert!(options.violation_hook().is_some());
    /// # Ok::<(), ami_client::EndpointError>(())
    /// ```
    #[must_use]
    pub fn on_violation(
        mut self,
        hook: impl Fn(&ami_proto::Violation) + Send + Sync + 'static,
    ) -> Self {
        self.on_violation = Some(std::sync::Arc::new(hook));
        self
    }

    /// The hook set by [`on_violation`](Self::on_violation), for adapters.
    #[must_use]
    pub fn violation_hook(&self) -> Option<ViolationHook> {
        self.on_violation.clone()
    }

    /// Takes the transcript writer out as a hook for
    /// [`Connection::set_transcript`](ami_proto::Connection::set_transcript).
    /// A failing writer never fails the session.
    pub fn take_transcript_hook(&mut self) -> Option<TranscriptHook> {
        let mut out = self
            .transcript
            .take()?
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Some(Box::new(move |dir, line| {
            let _ = out
                .write_all(dir.prefix().as_bytes())
                .and_then(|()| out.write_all(line))
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush());
        }))
    }
}

/// What an adapter's event stream hands out.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Incoming {
    /// An AMI event (or any message that belongs to no action).
    Event(ami_proto::Message),
    /// The subscriber fell behind (or the buffer overflowed while nobody
    /// read): this many of the oldest events were dropped for it. Reported
    /// before the events that follow them.
    Lost(u64),
    /// The connection dropped; with reconnection on, a new one is being
    /// made (async clients).
    Disconnected(CloseReason),
    /// A new connection is up and logged in (async clients).
    Reconnected,
}

/// Everything a client call can fail with, in every adapter: I/O,
/// timeouts, authentication, Asterisk's rejection and protocol errors kept
/// apart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The address could not be parsed.
    #[error(transparent)]
    Address(#[from] EndpointError),
    /// No address of the host accepted a connection in time.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The `host:port` tried.
        addr: String,
        /// The last error.
        source: std::io::Error,
    },
    /// Reading or writing the socket failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// TLS failed: the server's certificate is not trusted (self-signed,
    /// unknown CA, expired, another name, not the pinned one), the server
    /// does not speak TLS, the CA file cannot be used, the handshake broke.
    /// The error says which, with the certificate's subject and
    /// fingerprint and how to trust it.
    #[error("TLS: {0}")]
    Tls(Box<TlsError>),
    /// Asterisk refused the login, with its message.
    #[error("authentication failed: {0}")]
    Authentication(String),
    /// No answer in time: the action's timeout, or the wait's.
    #[error("timed out")]
    Timeout,
    /// Asterisk answered `Response: Error`; the response holds its
    /// `Message` and any output lines.
    #[error("{}", rejected_text(.0))]
    Rejected(Box<Response>),
    /// The action was refused before sending: it would inject lines or
    /// break Asterisk's limits.
    #[error("invalid action: {0}")]
    Invalid(EncodeError),
    /// The connection is closed, for the reason given. Actions in flight
    /// when it dropped are never resent.
    #[error("connection closed: {0}")]
    Closed(CloseReason),
    /// The client is closing (`close`/`disconnect` or `end` was called):
    /// no new action is accepted.
    #[error("connection is closing")]
    Closing,
    /// The server broke the protocol for this action: an answer that broke
    /// a decoder limit, a list over its limit, a duplicate ActionID.
    #[error("protocol error: {0}")]
    Protocol(ActionError),
    /// An ActionID this client did not send, or whose answer was taken.
    #[error("unknown ActionID {0:?}")]
    UnknownActionId(String),
    /// A phase of connecting did not finish within its deadline
    /// ([`ClientOptions::connect_timeout`] for TCP and TLS,
    /// [`Config::login_timeout`] for the banner and the login).
    #[error("{0}")]
    ConnectTimeout(ConnectPhase),
}

/// The phases of connecting, each with a deadline, named in
/// [`ClientError::ConnectTimeout`].
///
/// ```
/// use ami_client::{ClientError, ConnectPhase};
/// let e = ClientError::ConnectTimeout(ConnectPhase::Banner);
/// assert_eq!(
///     e.to_string(),
///     "no AMI banner in time (is this an Asterisk Manager port?); no credentials were sent"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectPhase {
    /// The TCP connection.
    Tcp,
    /// The TLS handshake.
    Tls,
    /// Waiting for the `Asterisk Call Manager/…` banner.
    Banner,
    /// The login (and MD5 challenge), after the banner.
    Login,
}

impl fmt::Display for ConnectPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tcp => "TCP connection not established in time",
            Self::Tls => "TLS handshake not finished in time (is this a TLS port?)",
            Self::Banner => {
                "no AMI banner in time (is this an Asterisk Manager port?); no credentials were sent"
            }
            Self::Login => "login not answered in time",
        })
    }
}

/// Asterisk's explanation: a Command's output (its `Message` only says
/// "Command output follows"), else the `Message`, else the status.
fn rejected_text(response: &Response) -> String {
    let output: Vec<String> = response
        .output()
        .filter(|line| !line.is_empty())
        .map(|line| line.to_str_lossy().into_owned())
        .collect();
    let text = if output.is_empty() {
        response
            .text()
            .map(|t| t.to_str_lossy().into_owned())
            .unwrap_or_else(|| response.status().to_str_lossy().into_owned())
    } else {
        output.join("\n")
    };
    format!("rejected by Asterisk: {text}")
}

impl From<TlsError> for ClientError {
    fn from(error: TlsError) -> Self {
        Self::Tls(Box::new(error))
    }
}

impl From<ActionError> for ClientError {
    fn from(error: ActionError) -> Self {
        match error {
            ActionError::Rejected(response) => Self::Rejected(response),
            ActionError::Timeout => Self::Timeout,
            ActionError::ConnectionClosed(reason) => Self::Closed(reason),
            ActionError::Closing => Self::Closing,
            ActionError::Invalid(e) => Self::Invalid(e),
            other => Self::Protocol(other),
        }
    }
}

impl ClientError {
    /// The error a failed login gives: authentication refused, banner or
    /// login timed out (naming the phase), or the connection's own close
    /// reason.
    ///
    /// ```
    /// use ami_client::{ClientError, ConnectPhase};
    /// use ami_proto::CloseReason;
    /// let e = ClientError::from_login_close(CloseReason::LoginTimeout);
    /// assert!(matches!(e, ClientError::ConnectTimeout(ConnectPhase::Login)));
    /// assert_eq!(e.to_string(), "login not answered in time");
    /// ```
    #[must_use]
    pub fn from_login_close(reason: CloseReason) -> Self {
        match reason {
            CloseReason::AuthenticationFailed(message) => Self::Authentication(message),
            CloseReason::LoginTimeout => Self::ConnectTimeout(ConnectPhase::Login),
            CloseReason::BannerTimeout => Self::ConnectTimeout(ConnectPhase::Banner),
            other => Self::Closed(other),
        }
    }
}
