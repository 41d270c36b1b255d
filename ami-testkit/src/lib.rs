//! A fake Asterisk for tests: an AMI server on 127.0.0.1 that speaks the
//! real formats, replays real captures, and misbehaves on demand.
//!
//! What belongs in this crate: the server side of AMI as Asterisk plays
//! it — the built-in actions, a busy PBX to watch, capture replay, fault
//! injection, TLS serving — and the handle a test uses to drive and
//! inspect it. What does not: client code (connections, correlation,
//! reconnects are ami-proto's and the runtime crates'), a second codec
//! (every byte is encoded and decoded with [`ami_proto`]), and helpers tied
//! to one client or runtime (those belong with the tests that use them).
//!
//! The server runs on plain `std` threads (one accept thread, a reader and
//! a writer per connection, one timer thread), so blocking tests, Tokio
//! tests and smol tests use it alike: start it, connect to
//! [`Server::addr`] with any socket, and drop it at the end — dropping
//! closes every connection and joins every thread.
//!
//! From an async test, connect as usual — `tokio::net::TcpStream::connect(server.addr())`,
//! `smol::net::TcpStream::connect(server.addr())` — and keep the server
//! alive for the test's duration; its methods never block for long except
//! the `wait_*` ones, which take a timeout (call those from a blocking
//! context, such as `spawn_blocking`, in an async test).
//!
//! # A test written with it
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use std::time::{Duration, Instant};
//!
//! use ami_proto::{Action, Config, Connection, Event, Login};
//! use ami_testkit::Server;
//!
//! let server = Server::start();
//! let mut socket = TcpStream::connect(server.addr())?;
//! socket.set_read_timeout(Some(Duration::from_secs(10)))?;
//!
//! // The sans-IO client, driven over the socket.
//! let config = Config { login: Some(Login::new("admin", "amp111")), ..Config::default() };
//! let mut conn = Connection::new(config, Instant::now());
//! let ping = conn.send_action(Action::new("Ping"), Instant::now());
//! let mut buf = [0; 4096];
//! let pong = 'run: loop {
//!     let mut out = Vec::new();
//!     let _ = conn.poll_transmit(&mut out);
//!     socket.write_all(&out)?;
//!     while let Some(event) = conn.poll_event() {
//!         if let Event::ActionCompleted { handle, outcome } = event {
//!             if handle == ping {
//!                 break 'run outcome.expect("a pong");
//!             }
//!         }
//!     }
//!     let n = socket.read(&mut buf)?;
//!     assert!(n > 0, "the server closed");
//!     conn.handle_input(Instant::now(), &buf[..n]);
//! };
//! assert_eq!(pong.get("Ping").unwrap(), "Pong");
//!
//! // What the server received, in order.
//! let names: Vec<String> = server.received().iter().map(|m| m.name().unwrap().to_string()).collect();
//! assert_eq!(names, ["Login", "Ping"]);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # What it plays
//!
//! An Asterisk 22 by default ([`Personality::Asterisk13`] for the legacy
//! formats), with user `admin` / `amp111` ([`Builder::user`]):
//!
//! * the banner `Asterisk Call Manager/11.0.0` (13: `2.10.6`);
//! * `Login`, plaintext or MD5 after `Challenge`; `Events: on|off|<mask>`,
//!   `Event: FullyBooted` after a login whose events include `system`;
//!   a failed login answers `Authentication failed` and closes; before
//!   login every action but Login, Challenge and Logoff gets
//!   `Permission denied`;
//! * `Logoff` (`Goodbye`, then close), `Ping` (`Ping: Pong` + `Timestamp`),
//!   `Events`, `ListCommands`, `UserEvent`;
//! * `Command` with `Output:` lines, or (13) `Response: Follows` …
//!   `--END COMMAND--`: `core show version`, `core show channels [concise]`,
//!   `core show calls`, `core show uptime`, `core show help`, `queue show`,
//!   any command set with [`Server::set_command`]; others get `No such
//!   command`;
//! * event lists: `CoreShowChannels`, `Status`, `QueueStatus`,
//!   `QueueSummary`, with `EventList: start` … `EventList: Complete` +
//!   `ListItems`; `QueueRule` with its extra CRLF;
//! * `Originate` (`Async: true`: `Originate successfully queued`, then
//!   `Event: OriginateResponse` with the ActionID to every session with
//!   `call` events; a channel whose resource starts with `busy` or `fail`
//!   fails), `Hangup`;
//! * unknown actions, messages without `Action` (a lone empty line too),
//!   overlong lines: Asterisk's error texts.
//!
//! * `BridgeList`, `BridgeInfo`, `ParkedCalls`, `ConfbridgeListRooms`,
//!   `ConfbridgeList`, `DeviceStateList`, `ExtensionStateList`, and
//!   `Redirect`, `Park`, `QueuePause`, `QueueAdd`, `QueueRemove`,
//!   `ConfbridgeMute` / `ConfbridgeUnmute`, `Hangup` with a `/regex/`:
//!   all answered by the simulated PBX ([`sim::Sim`]).
//!
//! The server's PBX is a [`sim::Sim`] on the wall clock: its list answers
//! and its events always describe the same PBX. [`Builder::busy_pbx`] (or
//! [`demo`]) makes it busy — calls that ring, talk, queue, park, join
//! conferences and end; members that pause; devices that change — with
//! events every 100–500 ms.
//!
//! # Handlers, events and what the server received
//!
//! [`Server::on_action`] answers an action your way (a [`Reply`]);
//! [`Server::push_event`] sends an event to the sessions subscribed to it;
//! [`Server::received`], [`Server::wait_received`] and
//! [`Server::wait_for_action`] show what the clients sent.
//!
//! # Replay
//!
//! [`Server::replay_capture`] answers a client's actions with the bytes a
//! real Asterisk sent for them in a capture (`.bin` / `.sent`), the
//! ActionIDs rewritten to the client's (see [`Replay`]).
//!
//! # Faults
//!
//! [`Server::inject`] a [`Fault`]: close mid-message, stall, byte-at-a-time
//! writes, garbage, an endless line, a flood of events as fast as the
//! socket takes them, refused logins, unanswered pings, a disconnect.
//!
//! ```
//! use std::io::Read;
//! use std::net::TcpStream;
//! use ami_testkit::{Fault, Server};
//!
//! let server = Server::builder().fault(Fault::ByteAtATime).start();
//! let mut socket = TcpStream::connect(server.addr()).unwrap();
//! let mut banner = [0; 30];
//! socket.read_exact(&mut banner).unwrap(); // arrived one byte at a time
//! assert_eq!(&banner, b"Asterisk Call Manager/11.0.0\r\n");
//! ```
//!
//! # TLS
//!
//! With the `tls` feature, `Builder::tls` serves TLS (rustls, ring) with
//! a certificate for `localhost` / `127.0.0.1` signed by a CA made at
//! start; clients trust `Server::cert_pem`. `Builder::tls_certificate`
//! serves other kinds (`Certificate`): a self-signed `CA:TRUE`
//! certificate for `CN=localhost`, as Asterisk installs have, or an
//! expired one. `Server::presented_der` is the certificate a pin names.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The modules, one job each, lowest first: a file's `use crate::…` names
// only files above it in this list, so the module graph has no cycle.
//
//   framer     splits the client's bytes into messages, as Asterisk reads them
//   sync       a lock that survives a panicked holder
//   wire       helpers over ami-proto's codec: answers, event lists, masks, Rng
//   replay     captures: parsing `.bin`/`.sent`, answers with ActionIDs rewritten
//   reply      `Reply`, what a test's action handler answers
//   sim        the simulated PBX (public): state, random operations, events,
//              list answers and the actions that change it, `Truth`
//   pbx        the server's PBX: the `Sim` on the wall clock, CLI outputs,
//              flood events
//   fault      `Fault`, the server-wide fault modes, the flood's encoded bytes
//   scheduler  the timer thread: runs closures after a delay
//   tls        `Certificate` kinds, the identity made at start, a TLS socket
//   transport  a session's socket: plain TCP or TLS
//   settings   `Personality` and the other settings fixed at start
//   session    one connected client: output queue, login status, faults applied
//   shared     what every thread shares: sessions, received messages,
//              handlers, CLI outputs, the PBX, fault modes, the timer
//   ctx        what answering one request can reach, and its helpers
//   actions    the built-in actions, answered as Asterisk 22 (or 13) does
//   reader     a session's reader thread: frames input, dispatches requests
//              to the replay, a test's handler or the built-in actions
//   writer     a session's writer thread: writes the queue, plays write faults
//   server     the public API: `Builder`, `Server`, `demo`, `url_or_demo`;
//              the accept thread that starts sessions
mod actions;
mod ctx;
mod fault;
mod framer;
mod pbx;
mod reader;
mod replay;
mod reply;
mod scheduler;
mod server;
mod session;
mod settings;
mod shared;
pub mod sim;
mod sync;
#[cfg(feature = "tls")]
mod tls;
mod transport;
mod wire;
mod writer;

pub use fault::Fault;
pub use replay::{Replay, ReplayError};
pub use reply::Reply;
pub use server::{Builder, Server, demo, url_or_demo};
pub use settings::Personality;
#[cfg(feature = "tls")]
pub use tls::Certificate;
