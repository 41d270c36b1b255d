//! The `chunking` target: one stream, an arbitrary chunking, the same items.

use ami_proto::Limits;

use crate::reader::Reader;
use crate::{Piece, TINY_LIMITS, decode_checked};

/// The limits and the feed schedule an input asks for, and its stream.
///
/// Layout: `selector`, then (for selectors 2 and 3 only) three bytes of
/// limits, then `n` and `n % 16` script bytes, then the stream.
///
/// * `selector % 4`: 0 the default limits, 1 [`TINY_LIMITS`], 2 or 3
///   `max_line_len = 1 + a`, `max_message_len = 1 + 4 b`,
///   `max_headers = c % 16` from the next bytes `a b c`.
/// * Each script byte is one piece, the script repeating until the stream
///   is used up: the low 6 bits are its length (0 to 63; 0 feeds nothing),
///   times 37 with bit 6 (up to 2331), and bit 7 set skips the draining
///   after it. An empty script feeds the stream byte by byte.
pub(crate) fn parse(data: &[u8]) -> (Limits, Vec<Piece>, &[u8]) {
    let mut r = Reader::new(data);
    let limits = match r.u8() % 4 {
        0 => Limits::default(),
        1 => TINY_LIMITS,
        _ => Limits {
            max_line_len: 1 + usize::from(r.u8()),
            max_message_len: 1 + 4 * usize::from(r.u8()),
            max_headers: usize::from(r.u8() % 16),
        },
    };
    let n = usize::from(r.u8() % 16);
    let script = r.take(n);
    let stream = r.rest();
    (limits, schedule(script, stream.len()), stream)
}

/// The pieces `script` cuts a stream of `len` bytes into.
fn schedule(script: &[u8], len: usize) -> Vec<Piece> {
    if script.is_empty() {
        return vec![
            Piece {
                len: 1,
                drain: true
            };
            len
        ];
    }
    let mut pieces = Vec::new();
    let mut left = len;
    while left > 0 {
        let before = left;
        for &s in script {
            let mut n = usize::from(s & 0x3f);
            if s & 0x40 != 0 {
                n *= 37;
            }
            let n = n.min(left);
            left -= n;
            pieces.push(Piece {
                len: n,
                drain: s & 0x80 == 0,
            });
        }
        if left == before {
            // A script of empty pieces only: the rest goes in one piece.
            break;
        }
    }
    pieces
}

/// The `chunking` target: the stream of `data` (see `parse` in `src/chunking.rs` for the
/// layout) fed in the chunks its script gives, draining or not between
/// them, must decode to exactly the items of one whole feed, `finish()`
/// included, under the limits it picks. Every feed is checked as
/// [`decode_checked`] does (offsets, bytes, order, bounded buffer).
///
/// # Panics
///
/// On any difference or broken invariant.
pub fn chunking(data: &[u8]) {
    let (limits, pieces, stream) = parse(data);
    let whole = decode_checked(limits, stream, []);
    let chunked = decode_checked(limits, stream, pieces.iter().copied());
    assert_eq!(
        whole,
        chunked,
        "{} bytes in {} pieces, {limits:?}",
        stream.len(),
        pieces.len()
    );
}
