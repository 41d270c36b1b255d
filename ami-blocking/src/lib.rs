//! Blocking Asterisk Manager Interface client over `std::net` sockets.
//!
//! For scripts and threaded programs: `&mut self` methods, no async
//! runtime, no threads of its own. [`Client`] drives the sans-IO
//! [`ami_proto::Connection`] with the options, errors and addresses of
//! `ami-client`. **What belongs here:** std sockets, the blocking wait and
//! the event buffer the blocking calls read from. **What does not:**
//! protocol logic (`ami-proto`) or anything a second runtime would need as
//! well (`ami-client`); so it behaves like the Tokio and smol clients.
//!
//! * Connect from an address (`tcp://user:secret@host:5038`, `tls://…:5039`,
//!   `user:secret@host`, `host:port`) or [`ClientOptions`]: connect
//!   timeout, plaintext or MD5 login, events on, off or a mask, TCP
//!   keepalive, keepalive pings, a transcript with secrets redacted.
//! * [`Client::action`] waits for the outcome; [`Client::send_action`] +
//!   [`Client::response`] fetch answers in any order; [`Client::command`]
//!   returns output lines for every Asterisk version; list actions return
//!   their events.
//! * Events: [`Client::next_event`], the [`Client::events`] iterator, or a
//!   callback while an action waits. Unread events are buffered up to a
//!   bound in bytes (64 MiB by default); beyond it, by default, the
//!   **oldest** are dropped and reported as [`Incoming::Lost`] with their
//!   count — never silently — and the socket is drained during every call,
//!   because Asterisk disconnects clients that stop reading;
//!   [`Overflow::Backpressure`] stops reading instead.
//! * TLS (feature `tls`, on by default) with rustls: certificates verified,
//!   against the Mozilla roots or a CA file you name.
//! * Typed [`Error`]s: I/O, timeout, authentication, Asterisk's rejection
//!   (with its message), protocol.
//!
//! ```no_run
//! use std::time::Duration;
//! use ami_blocking::{Client, Incoming};
//! use ami_proto::Action;
//!
//! let mut client = Client::connect("tcp://admin:amp111@127.0.0.1:5038")?;
//! println!("AMI {}", client.version().unwrap_or_default());
//! let channels = client.action(Action::new("CoreShowChannels"))?;
//! println!("{} channels", channels.events().len());
//! while let Some(Incoming::Event(event)) = client.next_event(Duration::from_secs(5))? {
//!     println!("{:?}", event.name());
//! }
//! client.disconnect()?;
//! # Ok::<(), ami_blocking::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod live;
#[cfg(feature = "tls")]
mod tls;

pub use ami_client::{ClientOptions, ConnectPhase, Incoming, Overflow};
pub use ami_live;
pub use client::{Client, EventCallback, Events};
pub use live::{Live, Originated};

/// The client's errors (shared by every adapter): I/O, timeouts,
/// authentication, Asterisk's rejection and protocol errors kept apart.
pub type Error = ami_client::ClientError;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
