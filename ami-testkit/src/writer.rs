//! A session's writer thread: drains its output queue onto the socket
//! and plays the write faults (stall, byte at a time, cut, flood, endless
//! line).

use std::io;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::fault::flood_chunk;
use crate::session::{Item, Session};
use crate::shared::Shared;
use crate::sync::lock;

/// Writes `data`, a byte at a time when that mode is on.
fn write(shared: &Shared, session: &Session, data: &[u8]) -> io::Result<()> {
    if shared.faults.byte_at_a_time.load(Ordering::SeqCst) {
        for byte in data {
            if session.is_closed() || shared.is_shutdown() {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            session.transport.write_all(std::slice::from_ref(byte))?;
        }
        Ok(())
    } else {
        session.transport.write_all(data)
    }
}

/// The writer thread: drains the output queue until the session closes.
pub(crate) fn run(shared: &Shared, session: &Session) {
    let mut cut_pending = false;
    loop {
        let item = {
            let mut out = lock(&session.output);
            loop {
                if session.is_closed() || shared.is_shutdown() {
                    return;
                }
                let now = Instant::now();
                if let Some(until) = out.stall_until {
                    if now < until {
                        out = session
                            .wake
                            .wait_timeout(out, until - now)
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .0;
                        continue;
                    }
                    out.stall_until = None;
                }
                if shared.faults.stall_forever.load(Ordering::SeqCst) {
                    out = session
                        .wake
                        .wait(out)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    continue;
                }
                if let Some(item) = out.queue.pop_front() {
                    break item;
                }
                out = session
                    .wake
                    .wait(out)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        };
        let result = match item {
            Item::CutNext => {
                cut_pending = true;
                Ok(())
            }
            Item::Bytes(bytes) if cut_pending => {
                let half = (bytes.len() / 2).max(1).min(bytes.len());
                let _ = write(shared, session, &bytes[..half]);
                Err(io::ErrorKind::ConnectionAborted.into())
            }
            Item::Bytes(bytes) => write(shared, session, &bytes),
            Item::Flood(n) => flood(shared, session, n),
            Item::Endless(limit) => endless(shared, session, limit),
            Item::Close => Err(io::ErrorKind::ConnectionAborted.into()),
        };
        if result.is_err() {
            session.mark_closed();
            session.transport.close_write();
            shared.notify();
            return;
        }
    }
}

fn flood(shared: &Shared, session: &Session, n: u64) -> io::Result<()> {
    let chunk = flood_chunk();
    let per_chunk = chunk.ends.len() as u64;
    let mut left = n;
    while left > 0 {
        if session.is_closed() || shared.is_shutdown() {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let take = left.min(per_chunk);
        let end = chunk.ends[usize::try_from(take).unwrap_or(usize::MAX) - 1];
        write(shared, session, &chunk.bytes[..end])?;
        left -= take;
    }
    Ok(())
}

fn endless(shared: &Shared, session: &Session, limit: Option<u64>) -> io::Result<()> {
    let chunk = [b'x'; 64 * 1024];
    let mut written = 0u64;
    loop {
        if session.is_closed() || shared.is_shutdown() {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let n = match limit {
            Some(limit) if written >= limit => return Ok(()),
            Some(limit) => {
                usize::try_from(limit - written).map_or(chunk.len(), |l| l.min(chunk.len()))
            }
            None => chunk.len(),
        };
        write(shared, session, &chunk[..n])?;
        written += n as u64;
    }
}
