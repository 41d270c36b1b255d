//! Client configuration: credentials, event mask, timeouts, limits.

use std::fmt;
use std::time::Duration;

use crate::decode::Limits;

/// A secret that never shows in `Debug` or `Display` output.
///
/// ```
/// use ami_proto::Secret;
/// let s = Secret::new("amp111");
/// assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
/// assert_eq!(s.expose(), "amp111");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    #[must_use]
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the one place that must send it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// How to prove the secret at login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMethod {
    /// `Action: Login` with `Secret:` in clear text.
    #[default]
    Plaintext,
    /// `Action: Challenge` / `AuthType: MD5`, then `Action: Login` with
    /// `Key:` = lowercase hex MD5 of the challenge followed by the secret.
    Md5,
}

/// Which events Asterisk should send this session, set at login with the
/// `Events` header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum EventMask {
    /// `Events: on`: every event the user's read permissions allow.
    #[default]
    On,
    /// `Events: off`: no events, only responses.
    Off,
    /// A class list such as `call,user,system`.
    Mask(String),
}

impl EventMask {
    /// The value of the `Events` header.
    #[must_use]
    pub fn as_header_value(&self) -> &str {
        match self {
            Self::On => "on",
            Self::Off => "off",
            Self::Mask(mask) => mask,
        }
    }
}

/// Credentials for the login the connection performs after the banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The manager user (`[admin]` in `manager.conf`).
    pub username: String,
    /// Its secret.
    pub secret: Secret,
    /// Plaintext or MD5 challenge.
    pub auth: AuthMethod,
}

impl Login {
    /// Plaintext login.
    #[must_use]
    pub fn new(username: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Self {
            username: username.into(),
            secret: secret.into(),
            auth: AuthMethod::Plaintext,
        }
    }

    /// MD5 challenge login.
    #[must_use]
    pub fn md5(username: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Self {
            auth: AuthMethod::Md5,
            ..Self::new(username, secret)
        }
    }
}

/// Optional keepalive: a `Ping` every `interval`; no answer within
/// `timeout` declares the connection dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Time between pings.
    pub interval: Duration,
    /// How long a ping may wait for its answer.
    pub timeout: Duration,
}

/// Everything the client state machine needs to know up front.
///
/// ```
/// use std::time::Duration;
/// use ami_proto::{Config, EventMask, Keepalive, Login};
///
/// let config = Config {
///     login: Some(Login::md5("admin", "amp111")),
///     events: EventMask::Mask("call,user".into()),
///     keepalive: Some(Keepalive { interval: Duration::from_secs(20), timeout: Duration::from_secs(5) }),
///     ..Config::default()
/// };
/// assert_eq!(config.action_timeout, Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The login to perform after the banner; `None` makes the connection
    /// ready right after the banner (for servers without authentication or
    /// a login the caller sends itself).
    pub login: Option<Login>,
    /// The `Events` header sent with the login.
    pub events: EventMask,
    /// Default time an action may take to complete (response, list events,
    /// OriginateResponse). Default 30 s.
    pub action_timeout: Duration,
    /// Time from the start of the connection to a completed login (banner
    /// included). Default 10 s.
    pub login_timeout: Duration,
    /// Optional keepalive pings. Default off.
    pub keepalive: Option<Keepalive>,
    /// Most events one list action may collect; beyond it the action fails
    /// with [`ActionError::ListTooLarge`](crate::ActionError::ListTooLarge).
    /// Default 100 000.
    pub max_list_events: usize,
    /// Decoder limits.
    pub limits: Limits,
    /// The prefix of generated ActionIDs. Default: 12 random hex digits,
    /// different for every connection, so that IDs do not collide with other
    /// sessions' (OriginateResponse is broadcast with the originator's ID).
    pub action_id_prefix: Option<String>,
    /// Where an answer without ActionID goes. Default
    /// [`IdlessResponses::Strict`].
    pub idless_responses: IdlessResponses,
}

/// What to do with a response that carries no ActionID.
///
/// Every action this client sends has an ActionID, and Asterisk echoes it
/// in every answer; an answer without one belongs to no action (Asterisk
/// answers a message without `Action` that way: `Missing action in
/// request`). Taking it for the oldest action's answer would let it steal
/// that answer and turn the real one into a stray event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IdlessResponses {
    /// An ID-less response is a stray message
    /// ([`Event::Message`](crate::Event::Message)), never an action's
    /// answer, with two exceptions: a plain login or challenge answer
    /// (`Message: Authentication accepted`/`failed`, a `Challenge` header)
    /// while the login is under way; and, once the login answer came
    /// without its ActionID (a server or proxy that drops them), the
    /// oldest action awaiting a response, as such a server answers in
    /// order.
    #[default]
    Strict,
    /// Every ID-less response goes to the oldest action awaiting one (for
    /// a proxy known to drop ActionIDs, or a replay of a client that sent
    /// none).
    InOrder,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            login: None,
            events: EventMask::default(),
            action_timeout: Duration::from_secs(30),
            login_timeout: Duration::from_secs(10),
            keepalive: None,
            max_list_events: 100_000,
            limits: Limits::default(),
            action_id_prefix: None,
            idless_responses: IdlessResponses::Strict,
        }
    }
}
