//! Errors: decoding limits, encoding refusals.

use std::fmt;

use bytes::Bytes;

use crate::message::MessageKind;

/// Which rule a skipped message broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// A line was longer than [`Limits::max_line_len`](crate::Limits::max_line_len).
    LineTooLong,
    /// A message was larger than [`Limits::max_message_len`](crate::Limits::max_message_len).
    MessageTooLarge,
    /// A message had more lines than [`Limits::max_headers`](crate::Limits::max_headers).
    TooManyHeaders,
    /// The stream ended in the middle of a message.
    Truncated,
}

/// A message the decoder could not deliver. It has been skipped (up to the
/// next empty line, or to `--END COMMAND--` in a legacy body) and decoding
/// goes on; nothing else is lost.
///
/// It keeps what was known of the message when it broke, so that a client
/// can fail the right action instead of letting it time out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    kind: DecodeErrorKind,
    offset: u64,
    limit: usize,
    message_kind: Option<MessageKind>,
    action_id: Option<Bytes>,
}

impl DecodeError {
    pub(crate) fn new(
        kind: DecodeErrorKind,
        offset: u64,
        limit: usize,
        message_kind: Option<MessageKind>,
        action_id: Option<Bytes>,
    ) -> Self {
        Self {
            kind,
            offset,
            limit,
            message_kind,
            action_id,
        }
    }

    /// Which rule was broken.
    #[must_use]
    pub fn kind(&self) -> DecodeErrorKind {
        self.kind
    }

    /// The stream offset where the skipped message started.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The limit that was broken; for [`DecodeErrorKind::Truncated`], the
    /// number of bytes dropped.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The kind of the skipped message, if its first header had arrived.
    #[must_use]
    pub fn message_kind(&self) -> Option<MessageKind> {
        self.message_kind
    }

    /// The skipped message's `ActionID`, if it had arrived.
    #[must_use]
    pub fn action_id(&self) -> Option<&Bytes> {
        self.action_id.as_ref()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            DecodeErrorKind::LineTooLong => write!(f, "line longer than {} bytes", self.limit)?,
            DecodeErrorKind::MessageTooLarge => {
                write!(f, "message larger than {} bytes", self.limit)?;
            }
            DecodeErrorKind::TooManyHeaders => write!(f, "more than {} lines", self.limit)?,
            DecodeErrorKind::Truncated => {
                write!(
                    f,
                    "stream ended inside a message ({} bytes dropped)",
                    self.limit
                )?;
            }
        }
        write!(f, " in the message at stream offset {}", self.offset)?;
        if let Some(id) = &self.action_id {
            write!(f, " (ActionID {})", String::from_utf8_lossy(id))?;
        }
        if self.kind != DecodeErrorKind::Truncated {
            f.write_str("; skipped")?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

/// Why the encoder refused to build a message: each of these would make
/// Asterisk misread or reject it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A header name was empty.
    #[error("empty header name")]
    EmptyName,
    /// A header name held a byte Asterisk would misread: `:`, white space,
    /// or a control character.
    #[error("header name {name:?} contains the forbidden byte {byte:#04x}")]
    BadName {
        /// The name, lossily decoded.
        name: String,
        /// The first offending byte.
        byte: u8,
    },
    /// A value held CR, LF (a new line: action injection) or NUL.
    #[error("value of header {name:?} contains the forbidden byte {byte:#04x} (CR, LF or NUL)")]
    BadValue {
        /// The header's name.
        name: String,
        /// The first offending byte.
        byte: u8,
    },
    /// An encoded line would exceed Asterisk's 1024-byte input buffer.
    #[error("header {name:?} makes a line of {len} bytes; Asterisk reads at most {max}")]
    LineTooLong {
        /// The header's name.
        name: String,
        /// The line's length with its CRLF.
        len: usize,
        /// The most Asterisk accepts, CRLF included.
        max: usize,
    },
    /// More headers than Asterisk keeps in one message.
    #[error("{count} headers; Asterisk keeps at most {max} in one message")]
    TooManyHeaders {
        /// How many headers the message would have, `Action` and `ActionID`
        /// included.
        count: usize,
        /// The most Asterisk keeps.
        max: usize,
    },
    /// Legacy Command output held `--END COMMAND--`, where a client would
    /// stop reading it.
    #[error("legacy Command output contains --END COMMAND--")]
    OutputHoldsTerminator,
    /// An action carried a second `Action` header: Asterisk would run only
    /// one of the two, and not necessarily the one meant.
    #[error("a second Action header ({second:?}): one message is one action")]
    SecondAction {
        /// The second header's value, lossily decoded.
        second: String,
    },
}
