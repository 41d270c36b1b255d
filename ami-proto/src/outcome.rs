//! What an action ends with, and what the connection reports.

use std::fmt;

use crate::error::{DecodeError, EncodeError};
use crate::message::{Banner, Message, Value};

/// Identifies one action given to [`Connection::send_action`]; every
/// [`Event::ActionCompleted`] names the handle it completes.
///
/// [`Connection::send_action`]: crate::Connection::send_action
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionHandle(pub(crate) u64);

impl ActionHandle {
    /// The handle's number, unique within one connection, increasing in the
    /// order actions were given.
    #[must_use]
    pub fn get(self) -> u64 {
        self.0
    }
}

/// A completed action: the response, the events of its list, and for lists
/// and async Originate the event that completed it.
///
/// Command output reads the same for both server formats through
/// [`Response::output`].
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// Boxed: every [`Event`] is as large as its largest variant, and
    /// events (one per message received) are moved several times each on
    /// their way out; responses are few.
    parts: Box<Parts>,
}

#[derive(Clone, PartialEq, Eq)]
struct Parts {
    message: Message,
    events: Vec<Message>,
    completion: Option<Message>,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("message", &self.parts.message)
            .field("events", &self.parts.events)
            .field("completion", &self.parts.completion)
            .finish()
    }
}

impl Response {
    pub(crate) fn new(message: Message, events: Vec<Message>, completion: Option<Message>) -> Self {
        Self {
            parts: Box::new(Parts {
                message,
                events,
                completion,
            }),
        }
    }

    /// A response made of its parts, as [`into_parts`](Self::into_parts)
    /// gives them: the response message, the list's events, the completing
    /// event. For code that correlates answers itself, and for tests.
    ///
    /// ```
    /// use ami_proto::{Decoded, Decoder, Response};
    /// let mut d = Decoder::new();
    /// d.feed(b"Response: Success\r\nMessage: Pong\r\n\r\n");
    /// let Some(Decoded::Message(m)) = d.decode() else { unreachable!() };
    /// let r = Response::from_parts(m, Vec::new(), None);
    /// assert_eq!(r.text().unwrap(), "Pong");
    /// ```
    #[must_use]
    pub fn from_parts(message: Message, events: Vec<Message>, completion: Option<Message>) -> Self {
        Self::new(message, events, completion)
    }

    /// The response message itself.
    #[must_use]
    pub fn message(&self) -> &Message {
        &self.parts.message
    }

    /// The `Response` header: `Success`, `Error`, `Follows`, `Goodbye` …
    /// (empty for the header-less answers of old servers).
    #[must_use]
    pub fn status(&self) -> Value<'_> {
        self.parts
            .message
            .get("Response")
            .unwrap_or(Value::new(b""))
    }

    /// Whether Asterisk said `Response: Error`, or an async Originate's
    /// `OriginateResponse` said anything but `Success`.
    #[must_use]
    pub fn is_error(&self) -> bool {
        let failed_originate = self
            .parts
            .completion
            .as_ref()
            .filter(|c| {
                c.name()
                    .is_some_and(|n| n.eq_ignore_ascii_case("OriginateResponse"))
            })
            .is_some_and(|c| {
                !c.get("Response")
                    .is_some_and(|r| r.eq_ignore_ascii_case("Success"))
            });
        self.status().eq_ignore_ascii_case("Error") || failed_originate
    }

    /// The `Message` header, Asterisk's human-readable explanation.
    #[must_use]
    pub fn text(&self) -> Option<Value<'_>> {
        self.parts.message.get("Message")
    }

    /// The first value of a header of the response (ASCII case ignored).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Value<'_>> {
        self.parts.message.get(key)
    }

    /// The events of an event list, in arrival order, without the
    /// completing `…Complete` event.
    #[must_use]
    pub fn events(&self) -> &[Message] {
        &self.parts.events
    }

    /// The event that completed the action: a list's `…Complete` event, or
    /// an async Originate's `OriginateResponse`.
    #[must_use]
    pub fn completion(&self) -> Option<&Message> {
        self.parts.completion.as_ref()
    }

    /// The output lines of a `Command`, the same for both server formats:
    /// the raw body of a legacy `Response: Follows` (Asterisk ≤ 13), else
    /// the `Output:` headers (Asterisk 14+).
    ///
    /// Lines are given exactly as Asterisk sent them. Asterisk 14+ sends one
    /// empty `Output: ` line for empty CLI output, and an extra empty
    /// `Output: ` line after output that had colour codes; both are kept.
    /// Asterisk ≤ 13 sends no line at all for empty output.
    pub fn output(&self) -> Box<dyn Iterator<Item = Value<'_>> + '_> {
        if self.parts.message.is_legacy_command() {
            Box::new(self.parts.message.text_lines())
        } else {
            Box::new(self.parts.message.get_all("Output"))
        }
    }

    /// Takes the response apart: message, list events, completion.
    #[must_use]
    pub fn into_parts(self) -> (Message, Vec<Message>, Option<Message>) {
        let parts = *self.parts;
        (parts.message, parts.events, parts.completion)
    }
}

/// Why the connection is closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CloseReason {
    /// Logoff answered with Goodbye (or the server closed after Logoff).
    #[error("logged off")]
    LoggedOff,
    /// Closed on request before the login was complete.
    #[error("closed locally")]
    Local,
    /// Asterisk refused the login (and closes the socket itself).
    #[error("authentication failed: {0}")]
    AuthenticationFailed(String),
    /// The banner came, the login was not answered within
    /// [`Config::login_timeout`](crate::Config::login_timeout).
    #[error("login not answered in time")]
    LoginTimeout,
    /// No AMI banner within
    /// [`Config::login_timeout`](crate::Config::login_timeout): nothing, or
    /// an unfinished line, came. No credentials were sent.
    #[error("no AMI banner in time (is this an Asterisk Manager port?); no credentials were sent")]
    BannerTimeout,
    /// The server's first line was not an AMI banner (`Asterisk Call
    /// Manager/…`): the text holds that line, shortened, with control and
    /// non-ASCII bytes escaped. No credentials were sent.
    #[error(
        "not an AMI server: it sent \"{0}\" instead of the Asterisk Call Manager banner; no credentials were sent"
    )]
    NotAmi(String),
    /// A keepalive ping got no answer in time: the connection is dead.
    #[error("keepalive ping not answered in time")]
    KeepaliveTimeout,
    /// The socket closed (or failed) without a Logoff.
    #[error("connection closed by the peer")]
    PeerClosed,
    /// The peer did not answer a Logoff in time.
    #[error("logoff not answered in time")]
    LogoffTimeout,
}

/// Why an action failed. Each action ends exactly once, with a
/// [`Response`] or one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// Asterisk answered `Response: Error` (or an async Originate ended in
    /// failure). The response holds Asterisk's `Message` and any output.
    #[error("rejected by Asterisk: {}", .0.text().map(|t| t.to_str_lossy().into_owned()).unwrap_or_else(|| .0.status().to_str_lossy().into_owned()))]
    Rejected(Box<Response>),
    /// No complete answer within the action's timeout.
    #[error("timed out")]
    Timeout,
    /// The connection closed before the action completed, or was already
    /// closed or closing when the action was given.
    #[error("connection closed: {0}")]
    ConnectionClosed(CloseReason),
    /// The connection is closing ([`Connection::end`](crate::Connection::end)
    /// or [`Connection::close`](crate::Connection::close) was called): no
    /// new action is accepted; nothing was sent.
    #[error("connection is closing")]
    Closing,
    /// The encoder refused the action; nothing was sent.
    #[error("invalid action: {0}")]
    Invalid(EncodeError),
    /// The caller set an ActionID already used by an action in flight;
    /// nothing was sent.
    #[error("ActionID {0:?} is already in flight")]
    DuplicateActionId(String),
    /// The list had more events than
    /// [`Config::max_list_events`](crate::Config::max_list_events).
    #[error("event list longer than {limit} events")]
    ListTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The answer broke a decoder limit and was skipped.
    #[error("answer skipped: {0}")]
    Malformed(DecodeError),
}

/// Something the peer sent that breaks the protocol, reported without
/// ending the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// A message was skipped by the decoder and could not be tied to an
    /// action.
    #[error("{0}")]
    Decode(DecodeError),
}

/// What the connection reports through [`Connection::poll_event`].
///
/// [`Connection::poll_event`]: crate::Connection::poll_event
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The banner arrived.
    Connected(Banner),
    /// The login succeeded (or no login was configured): actions flow.
    Authenticated,
    /// An action ended: exactly one of these for every handle.
    ActionCompleted {
        /// The action.
        handle: ActionHandle,
        /// Its outcome.
        outcome: Result<Response, ActionError>,
    },
    /// An AMI event (or any message) that belongs to no action.
    Message(Message),
    /// Non-fatal bad input; the connection goes on.
    Violation(Violation),
    /// The connection is closed; the adapter should close the socket once
    /// [`poll_transmit`](crate::Connection::poll_transmit) is drained.
    Closed(CloseReason),
}

/// Which way a transcript line went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent to the server (`>>`).
    Out,
    /// Received from the server (`<<`).
    In,
}

impl Direction {
    /// `>> ` or `<< `, the prefixes of seed 000's transcript.
    #[must_use]
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Out => ">> ",
            Self::In => "<< ",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix().trim_end())
    }
}
