//! Sans-IO Asterisk Manager Interface (AMI) protocol.
//!
//! **What belongs here:** all the protocol logic of the workspace — the
//! codec, the client state machine ([`Connection`]), the encoders, queue
//! rules and the typed layer — and no I/O: no sockets, no clock, no threads,
//! no locks or wakers. Bytes go in, messages come out; actions go in, bytes
//! come out. It depends on `bytes`, `memchr`, `md-5` and `thiserror` only
//! (`serde` with its feature). **What does not:** client options, errors,
//! addresses, TLS and the adapters' event fan-out (`ami-client`), sockets
//! and runtimes (`ami-blocking`, `ami-tokio`, `ami-smol`, which only move
//! bytes and time between a socket and this crate).
//!
//! # The client state machine
//!
//! [`Connection`] is the whole client, minus the socket and the clock, in
//! the shape of quinn-proto and str0m. Inputs:
//! [`handle_input(now, bytes)`](Connection::handle_input),
//! [`handle_timeout(now)`](Connection::handle_timeout),
//! [`handle_disconnect(now)`](Connection::handle_disconnect),
//! [`send_action(action, now)`](Connection::send_action) → [`ActionHandle`],
//! [`close(now)`](Connection::close) and [`end(now)`](Connection::end).
//! Outputs: [`poll_transmit`](Connection::poll_transmit) (bytes for the
//! socket), [`poll_event`](Connection::poll_event) ([`Event`]s: connected,
//! authenticated, an action completed, an unsolicited message, a
//! non-fatal violation, closed) and [`poll_timeout`](Connection::poll_timeout).
//! After every input, drain transmit, then events, then read the timeout.
//!
//! It logs in (plaintext or MD5 challenge, events on, off or a mask),
//! assigns ActionIDs unique beyond one connection, correlates responses
//! (by ActionID, else to the oldest unanswered action), collects event
//! lists, unifies both Command output formats ([`Response::output`]), can
//! complete an async Originate on its `OriginateResponse`, times actions
//! out, pings to detect a dead peer, logs off, and redacts secrets in its
//! transcript and `Debug` output. Every action ends with exactly one
//! outcome. See [`Connection`] for a runnable walk through the loop.
//!
//! # Features
//!
//! * `typed` — typed builders for every action and typed views of every
//!   event Asterisk 22 documents (`ami_proto::typed`), generated from
//!   its documentation by `cargo run -p ami-codegen`; raw access is never
//!   lost.
//! * `serde` — `Serialize` for [`Value`], [`Message`], [`Response`],
//!   [`Decoded`] and the typed events: messages as ordered
//!   `[key, value]` pairs, values that are not UTF-8 as `{"latin1": "…"}`
//!   (one character per byte, read back by `ValueBuf`), typed values
//!   parsed. The rendering is documented in `wire_json`; the `ami` CLI's
//!   JSON is built on it.
//!
//! # Time
//!
//! Nothing here calls `Instant::now()`: every input takes `now`, so tests
//! jump the clock and adapters use their runtime's clock.
//!
//! # The codec
//!
//! * [`Decoder`] frames a byte stream, in any chunking, into
//!   [`Decoded`] items: the [`Banner`], [`Message`]s (responses, events,
//!   actions, other header blocks), and [`DecodeError`]s for messages that
//!   broke a [`Limits`] bound — those are skipped and decoding goes on.
//! * A [`Message`] is one frozen [`bytes::Bytes`], a slice of the read
//!   buffer, whose lines are read when asked for: decoding it allocates
//!   nothing; it is cheap to clone, `Send`, no lifetimes. Lookup ignores case, repeated
//!   headers keep their wire order, values are bytes with checked `&str`
//!   access.
//! * [`Action`] builds an action and refuses, with a typed [`EncodeError`],
//!   anything Asterisk would misread (CR/LF injection, NUL, bad names, lines
//!   over 1024 bytes, more than 128 headers). [`ServerMessage`] and
//!   [`encode_legacy_command`] encode what a server sends, for test servers.
//!
//! # What Asterisk really sends, and how it decodes
//!
//! * The banner `Asterisk Call Manager/11.0.0` is recognised on the first
//!   line only.
//! * The value is everything after the first colon with **one** following
//!   space removed; nothing else is trimmed, so `Output:` lines keep their
//!   indentation. CRLF and bare LF line endings are both accepted; a lone
//!   `\r` inside a line is part of it. Stray empty lines between messages
//!   (the QueueRule answer's extra CRLF) are skipped.
//! * Lines without a colon are kept as [`Message::text_lines`], never
//!   dropped.
//! * The kind comes from the first header: `OriginateResponse` is an event.
//! * A legacy (Asterisk ≤ 13) `Response: Follows` Command answer is read up
//!   to `--END COMMAND--`, across empty lines, with the terminator possibly
//!   at the end of the last output line; its output lines are
//!   [`Message::text_lines`]. Modern `Output:` lines stay headers here.
//! * [`queue_rules`] groups the `Rule`s of a QueueRule answer under their
//!   `RuleList`.
//!
//! ```
//! use ami_proto::{Decoder, Decoded};
//!
//! let mut decoder = Decoder::new();
//! decoder.feed(b"Response: Follows\r\nPrivilege: Command\r\nActionID: 2\r\n\
//!                1 active channel\n\nStatus: ok--END COMMAND--\r\n\r\n");
//! let Some(Decoded::Message(msg)) = decoder.decode() else { panic!() };
//! assert!(msg.is_legacy_command());
//! assert_eq!(msg.action_id().unwrap(), "2");
//! let lines: Vec<_> = msg.text_lines().collect();
//! assert_eq!(lines, ["1 active channel", "", "Status: ok"]);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod auth;
mod config;
mod connection;
mod decode;
mod encode;
mod error;
mod message;
mod outcome;
mod pending;
mod queue_rule;
mod read_room;
mod server;
#[cfg(feature = "typed")]
pub mod typed;
#[cfg(feature = "serde")]
pub mod wire_json;

pub use auth::md5_key;
pub use config::{AuthMethod, Config, EventMask, IdlessResponses, Keepalive, Login, Secret};
pub use connection::{Connection, SendOptions, TranscriptHook};

pub use decode::{Decoded, Decoder, Limits};
pub use encode::{
    Action, MAX_ACTION_HEADERS, MAX_ACTION_LINE, ServerMessage, encode_legacy_command,
};
pub use error::{DecodeError, DecodeErrorKind, EncodeError};
pub use message::{Banner, Line, Lines, Message, MessageKind, Value, is_secret_key};
pub use outcome::{ActionError, ActionHandle, CloseReason, Direction, Event, Response, Violation};
pub use queue_rule::{PenaltyChange, PenaltyRule, QueueRuleError, RuleList, queue_rules};
pub use server::encode_banner;
#[cfg(feature = "serde")]
pub use wire_json::ValueBuf;
