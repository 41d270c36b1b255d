//! The client's errors: I/O, timeouts, authentication and protocol kept apart.

use ami_proto::{ActionError, CloseReason, EncodeError, EndpointError, Response};

/// Everything a blocking client call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
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
    /// TLS could not be set up (bad CA file, unknown server name, …).
    #[error("TLS: {0}")]
    Tls(String),
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
    /// The connection is closed (or closing), for the reason given.
    #[error("connection closed: {0}")]
    Closed(CloseReason),
    /// The client is closing (`disconnect` or `end` was called): no new
    /// action is accepted.
    #[error("connection is closing")]
    Closing,
    /// The server broke the protocol for this action: an answer that broke
    /// a decoder limit, a list over its limit, a duplicate ActionID.
    #[error("protocol error: {0}")]
    Protocol(ActionError),
    /// `response()` was asked for an ActionID this client did not send, or
    /// whose answer was already taken.
    #[error("unknown ActionID {0:?}")]
    UnknownActionId(String),
}

fn rejected_text(response: &Response) -> String {
    let text = response
        .text()
        .map(|t| t.to_str_lossy().into_owned())
        .or_else(|| {
            response
                .output()
                .next()
                .map(|l| l.to_str_lossy().into_owned())
        })
        .unwrap_or_else(|| response.status().to_str_lossy().into_owned());
    format!("rejected by Asterisk: {text}")
}

impl From<ActionError> for Error {
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

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
