//! Faults a test can inject, the server-wide fault modes in force, and
//! the pre-encoded events of the flood.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::pbx::flood_events;

/// A misbehaviour to inject with [`Server::inject`](crate::Server::inject)
/// or [`Builder::fault`](crate::Builder::fault).
///
/// *Modes* (`ByteAtATime`, `RefuseLogin`, `IgnorePings`, `StallForever`)
/// hold for every session, present and future, until
/// [`Server::clear_faults`](crate::Server::clear_faults). *One-shot* faults
/// hit every session connected at the time; with none connected, they wait
/// for the next session and hit it right after its login is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// One-shot: the next message queued after the fault (a response or
    /// an event) is cut in half, then the server closes the connection.
    CloseMidMessage,
    /// One-shot: write nothing for this long (reading and answering go on;
    /// answers queue up and follow afterwards).
    Stall(Duration),
    /// Mode: write nothing at all, until `clear_faults`.
    StallForever,
    /// Mode: write every byte separately (each byte its own `write`
    /// on a socket without Nagle, so its own TCP segment, or TLS record).
    ByteAtATime,
    /// One-shot: write these bytes as they are, between two messages.
    Garbage(Vec<u8>),
    /// One-shot: write a line that never ends — bytes without a newline
    /// until the client disconnects, or until `limit` bytes when given.
    EndlessLine {
        /// Stop after this many bytes (the connection stays open).
        limit: Option<u64>,
    },
    /// One-shot: send this many events (Newchannel / Newstate / Hangup
    /// triples, as Asterisk 22 writes them) as fast as the socket takes
    /// them, whatever the session's event mask. Pre-encoded chunks are
    /// written in large writes; the events are not all held in memory.
    Flood(u64),
    /// Mode: every login fails (`Authentication failed`, then the server
    /// closes), whatever the credentials.
    RefuseLogin,
    /// Mode: `Ping` gets no answer at all, to test keepalive timeouts.
    IgnorePings,
    /// One-shot: close the connection at once (after what is being written).
    Disconnect,
}

impl Fault {
    /// Whether the fault is a mode that holds until `clear_faults`.
    pub(crate) fn is_mode(&self) -> bool {
        matches!(
            self,
            Self::ByteAtATime | Self::RefuseLogin | Self::IgnorePings | Self::StallForever
        )
    }
}

/// Server-wide fault modes.
#[derive(Debug, Default)]
pub(crate) struct FaultModes {
    pub(crate) byte_at_a_time: AtomicBool,
    pub(crate) refuse_login: AtomicBool,
    pub(crate) ignore_pings: AtomicBool,
    pub(crate) stall_forever: AtomicBool,
}

impl FaultModes {
    pub(crate) fn refuse_login(&self) -> bool {
        self.refuse_login.load(Ordering::SeqCst)
    }

    pub(crate) fn ignore_pings(&self) -> bool {
        self.ignore_pings.load(Ordering::SeqCst)
    }
}

/// The flood's pre-encoded events: one buffer, and the end offset of every
/// event in it.
#[derive(Debug)]
pub(crate) struct FloodChunk {
    pub(crate) bytes: Vec<u8>,
    pub(crate) ends: Vec<usize>,
}

/// The shared flood chunk: 3 × 512 events, about 700 KiB, built once.
pub(crate) fn flood_chunk() -> &'static FloodChunk {
    static CHUNK: OnceLock<FloodChunk> = OnceLock::new();
    CHUNK.get_or_init(|| {
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for event in flood_events(512) {
            if event.encode(&mut bytes).is_ok() {
                ends.push(bytes.len());
            }
        }
        FloodChunk { bytes, ends }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flood_chunk_ends_on_message_boundaries() {
        let chunk = flood_chunk();
        assert_eq!(chunk.ends.len(), 1536);
        assert_eq!(*chunk.ends.last().unwrap(), chunk.bytes.len());
        for &end in &chunk.ends {
            assert!(chunk.bytes[..end].ends_with(b"\r\n\r\n"));
        }
    }
}
