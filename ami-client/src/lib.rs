//! Runtime-neutral client glue for the Asterisk Manager Interface (AMI).
//!
//! **What belongs here:** everything a client needs beyond the protocol and
//! short of I/O — [`ClientOptions`] (address, login, events, timeouts,
//! buffers, TLS trust, reconnection, transcript), [`ClientError`],
//! [`Incoming`], [`Endpoint`] (URL parsing), [`Reconnect`] and
//! [`Overflow`] policies, the TLS trust settings and certificate verifier
//! ([`tls`], feature `rustls`), and the adapters' shared machinery
//! ([`adapter`]: the event fan-out and the driver core). **What does not:**
//! the protocol (framing, correlation, login, timeouts: `ami-proto`, which
//! this crate drives), and sockets, timers and tasks (the runtime adapters
//! `ami-blocking`, `ami-tokio`, `ami-smol`, which re-export what their
//! users need from here).
//!
//! ```
//! use std::time::Duration;
//! use ami_client::{ClientOptions, Overflow};
//!
//! let options = ClientOptions::new("tls://admin:amp111@pbx.example:5039?auth=md5")?
//!     .action_timeout(Duration::from_secs(10))
//!     .overflow(Overflow::DropOldest);
//! assert_eq!(options.endpoint().port, 5039);
//! # Ok::<(), ami_client::EndpointError>(())
//! ```
//!
//! # Features
//!
//! * `rustls` — the TLS client the adapters share ([`tls`]): trust (a CA
//!   file, which may be the server's own self-signed certificate, or a
//!   pin), the certificate verifier, and errors in plain words.
//! * `live` — [`live`]: the live handle written once for every async
//!   runtime, an `ami-live` model kept up to date by a task.
//! * `serde` — `Serialize` for [`Incoming`], rendering messages as
//!   `ami-proto`'s `serde` feature does.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod adapter;
pub mod driver;
mod endpoint;
#[cfg(feature = "live")]
pub mod live;
mod options;
#[cfg(feature = "serde")]
mod serde_impl;
pub mod tls;

pub use ami_proto;
pub use endpoint::{Endpoint, EndpointError, Transport};
pub use options::{
    ClientError, ClientOptions, ConnectPhase, Incoming, Overflow, Reconnect, ViolationHook,
};
