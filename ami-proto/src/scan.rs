//! The fast framer: one pass over a message finds its end and writes its
//! line table.
//!
//! The bytes are classified 64 at a time into two bit masks, where the
//! `\n`s are and where the `:`s are. Walking the set bits of the `\n` mask
//! gives every line end; the lowest `:` bit since the line began is its
//! first colon. Each line becomes one record in the table, the
//! [`Entry`](crate::message::Entry) a [`Message`](crate::Message) reads it
//! from (key, value and line bounds), and the first empty line ends the
//! message: the lines are found once, while framing, and reading them
//! later searches nothing.
//!
//! On x86-64 (and x86 with SSE2) the masks come from SSE2 compares and
//! `movemask`, through `safe_arch`'s safe wrappers (ami-proto has no
//! `unsafe`); elsewhere a portable loop gives the same masks.

use bytes::BytesMut;

use crate::message::{Line, Value};

/// The bytes classified at once.
pub(crate) const BLOCK: usize = 64;

/// Bytes of one line record: where the line starts, its first colon (the
/// start again for a text line), where its value starts (the start for a
/// text line) and where it ends without its line ending, four little-endian
/// `u16` offsets from the message's first byte.
pub(crate) const RECORD: usize = 8;

/// The longest message the fast framer takes: its offsets fit in a `u16`.
pub(crate) const MAX_LEN: usize = u16::MAX as usize;

/// Bit `i` of `.0` is set when `block[i]` is `\n`, of `.1` when it is `:`.
#[cfg(all(
    any(target_arch = "x86_64", target_arch = "x86"),
    target_feature = "sse2"
))]
#[inline]
fn classify(block: &[u8; BLOCK]) -> (u64, u64) {
    use safe_arch::{
        cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
    };
    // `as i8` reinterprets the byte, as the intrinsic's signature wants.
    #[allow(clippy::cast_possible_wrap)]
    let (nl, colon) = (
        set_splat_i8_m128i(b'\n' as i8),
        set_splat_i8_m128i(b':' as i8),
    );
    let mut masks = (0u64, 0u64);
    for (i, lane) in block.chunks_exact(16).enumerate() {
        let mut bytes = [0; 16];
        bytes.copy_from_slice(lane);
        let v = load_unaligned_m128i(&bytes);
        // `movemask` sets the low 16 bits only (the lanes' sign bits).
        #[allow(clippy::cast_sign_loss)]
        let (n, c) = (
            move_mask_i8_m128i(cmp_eq_mask_i8_m128i(v, nl)) as u32,
            move_mask_i8_m128i(cmp_eq_mask_i8_m128i(v, colon)) as u32,
        );
        masks.0 |= u64::from(n) << (16 * i);
        masks.1 |= u64::from(c) << (16 * i);
    }
    masks
}

/// Bit `i` of `.0` is set when `block[i]` is `\n`, of `.1` when it is `:`.
#[cfg(not(all(
    any(target_arch = "x86_64", target_arch = "x86"),
    target_feature = "sse2"
)))]
#[inline]
fn classify(block: &[u8; BLOCK]) -> (u64, u64) {
    classify_portable(block)
}

/// What [`classify`] computes, a byte at a time: the masks everywhere
/// without SSE2, and the reference the SSE2 masks are tested against.
#[cfg_attr(
    all(
        any(target_arch = "x86_64", target_arch = "x86"),
        target_feature = "sse2"
    ),
    allow(dead_code)
)]
#[inline]
fn classify_portable(block: &[u8; BLOCK]) -> (u64, u64) {
    let mut masks = (0u64, 0u64);
    for (i, &b) in block.iter().enumerate() {
        masks.0 |= u64::from(b == b'\n') << i;
        masks.1 |= u64::from(b == b':') << i;
    }
    masks
}

/// Classified bytes: `len` (1 to 64) bytes from where the scan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    newlines: u64,
    colons: u64,
    len: usize,
}

impl Block {
    /// The first (up to) 64 bytes of `rest`, which is not empty.
    #[inline]
    fn of(rest: &[u8]) -> Self {
        let (newlines, colons) = match rest.first_chunk::<BLOCK>() {
            Some(block) => classify(block),
            None => {
                // Zeros are neither `\n` nor `:`: the padding sets no bit.
                let mut block = [0; BLOCK];
                block[..rest.len()].copy_from_slice(rest);
                classify(&block)
            }
        };
        Self {
            newlines,
            colons,
            len: rest.len().min(BLOCK),
        }
    }
}

/// What [`Scan::run`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scanned {
    /// The message is the first `len` bytes, its closing empty line
    /// included; the first `records` bytes of the table hold a record for
    /// each of its other lines. Split both off: the scan already stands at
    /// the start of what follows.
    End {
        /// The message's bytes.
        len: usize,
        /// The bytes of its records.
        records: usize,
    },
    /// Every byte is scanned and the message has not ended.
    More,
    /// More than the limit's bytes are scanned and the message has not
    /// ended.
    Long,
}

/// Room for this many bytes of records is made before each block: a block
/// holds at most 64 line ends.
const BLOCK_RECORDS: usize = BLOCK * RECORD;

/// A line's first colon before one is seen.
const NO_COLON: usize = usize::MAX;

/// The fast framer's progress through the message at the front of the
/// buffer: it resumes where it stopped when more bytes come, so no byte
/// is classified twice.
///
/// The table it writes to is all room: its length is its capacity, zeroed
/// once (safe code cannot write to uninitialised memory), and the scan
/// counts how much of it the current message has used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scan {
    /// The first byte not classified yet.
    pos: usize,
    /// Where the current line starts.
    line_start: usize,
    /// The current line's first colon so far, or [`NO_COLON`].
    colon: usize,
    /// Bytes of the table the current message's records fill.
    filled: usize,
    /// Bytes at `pos` classified already: the rest of the block in which
    /// the previous message ended.
    carry: Option<Block>,
}

impl Default for Scan {
    fn default() -> Self {
        Self {
            pos: 0,
            line_start: 0,
            colon: NO_COLON,
            filled: 0,
            carry: None,
        }
    }
}

impl Scan {
    /// Whether the scan has passed no byte of the message yet (the bytes
    /// carried over may be classified already): the time to skip stray
    /// empty lines, which [`run`](Self::run) must not see first.
    pub(crate) fn at_start(&self) -> bool {
        self.pos == 0
    }

    /// Scans `buf`, whose first byte starts a message (not an empty line),
    /// from where the scan stands, writing a record to `table` for each
    /// line it passes, until the first empty line, the end of `buf`, or
    /// more than `limit` bytes (at most [`MAX_LEN`]).
    pub(crate) fn run(&mut self, buf: &[u8], table: &mut BytesMut, limit: usize) -> Scanned {
        let limit = limit.min(MAX_LEN);
        // The state in locals, so that it stays in registers.
        let (mut pos, mut line_start, mut colon, mut filled) =
            (self.pos, self.line_start, self.colon, self.filled);
        let mut carry = self.carry.take();
        let scanned = 'scan: loop {
            let block = match carry.take() {
                Some(block) => block,
                None => match buf.get(pos..) {
                    Some(rest) if !rest.is_empty() => Block::of(rest),
                    _ => break Scanned::More,
                },
            };
            if table.len() - filled < BLOCK_RECORDS {
                make_room(table, filled);
            }
            let (slots, _) = table[filled..filled + BLOCK_RECORDS].as_chunks_mut::<RECORD>();
            let slots: &mut [[u8; RECORD]; BLOCK] = slots.try_into().expect("a block's room");
            let mut n = 0;
            let base = pos;
            let (mut newlines, mut colons) = (block.newlines, block.colons);
            while newlines != 0 {
                let i = newlines.trailing_zeros() as usize;
                let at = base + i;
                // The bits up to and including this `\n`: the colons among
                // them that are left are this line's.
                let through = newlines ^ (newlines - 1);
                let mine = colons & through;
                if colon == NO_COLON && mine != 0 {
                    colon = base + mine.trailing_zeros() as usize;
                }
                colons &= !through;
                newlines &= newlines - 1;
                let start = line_start;
                line_start = at + 1;
                let end = at - usize::from(at > start && buf[at - 1] == b'\r');
                if end == start {
                    // The empty line: the message is `buf[..=at]`. What is
                    // left of the block belongs to the next one, whose
                    // offsets start at the byte after it.
                    let used = i + 1;
                    self.carry = (used < block.len).then(|| Block {
                        newlines: newlines >> used,
                        colons: colons >> used,
                        len: block.len - used,
                    });
                    self.pos = 0;
                    self.line_start = 0;
                    self.colon = NO_COLON;
                    self.filled = 0;
                    return Scanned::End {
                        len: at + 1,
                        records: filled + n * RECORD,
                    };
                }
                // A header's first colon is not its first byte; `:` is no
                // `\r`, so a colon before the `\n` is before `end`.
                // (`NO_COLON + 1` wraps to 0: no header.)
                let (key_end, value) = if colon.wrapping_add(1) > start + 1 {
                    (colon, colon + 1 + usize::from(buf[colon + 1] == b' '))
                } else {
                    (start, start)
                };
                slots[n & (BLOCK - 1)] = record(start, key_end, value, end);
                n += 1;
                colon = NO_COLON;
            }
            filled += n * RECORD;
            if colon == NO_COLON && colons != 0 {
                colon = base + colons.trailing_zeros() as usize;
            }
            pos = base + block.len;
            if pos > limit {
                break 'scan Scanned::Long;
            }
        };
        (self.pos, self.line_start, self.colon, self.filled) = (pos, line_start, colon, filled);
        scanned
    }
}

/// One record (see [`RECORD`]); every offset is below [`MAX_LEN`].
#[inline]
#[allow(clippy::cast_possible_truncation)]
fn record(start: usize, key_end: usize, value: usize, end: usize) -> [u8; RECORD] {
    let word = (start as u16 as u64)
        | (key_end as u16 as u64) << 16
        | (value as u16 as u64) << 32
        | (end as u16 as u64) << 48;
    word.to_le_bytes()
}

/// The line a record describes.
#[inline]
pub(crate) fn line(buf: &[u8], record: [u8; RECORD]) -> Line<'_> {
    let (start, key_end, value, end) = unpack(record);
    let rest = Value::new(&buf[value..end]);
    if key_end == start {
        Line::Text(rest)
    } else {
        Line::Header(Value::new(&buf[start..key_end]), rest)
    }
}

/// A record's offsets: start, key end (the start for a text line), value
/// start, end.
#[inline]
pub(crate) fn unpack(record: [u8; RECORD]) -> (usize, usize, usize, usize) {
    let word = u64::from_le_bytes(record);
    (
        usize::from(word as u16),
        usize::from((word >> 16) as u16),
        usize::from((word >> 32) as u16),
        usize::from((word >> 48) as u16),
    )
}

/// Bytes the table is grown by.
const TABLE_CHUNK: usize = 4096 * RECORD;

/// Makes room in `table` for at least a block's records after its first
/// `filled` bytes, which are kept: in place when every message has let go
/// of the records before them, else in a new allocation.
#[cold]
fn make_room(table: &mut BytesMut, filled: usize) {
    table.truncate(filled);
    table.reserve(TABLE_CHUNK);
    let room = table.capacity();
    table.resize(room, 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{find_byte, next_line};

    /// A line as (start, first colon of a header, end).
    type TableLine = (usize, Option<usize>, usize);

    /// The lines of `table`'s first `len` bytes.
    fn lines(table: &[u8], len: usize) -> Vec<TableLine> {
        table[..len]
            .chunks_exact(RECORD)
            .map(|r| {
                let (start, key_end, _, end) = unpack(r.try_into().unwrap());
                (start, (key_end > start).then_some(key_end), end)
            })
            .collect()
    }

    /// The lines as the byte-wise reader finds them, up to the first empty
    /// line, and where that message ends (if it does).
    fn reference(buf: &[u8]) -> (Vec<TableLine>, Option<usize>) {
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some((line, next)) = next_line(buf, pos) {
            // A last line without its `\n` is no line of the table yet.
            if buf[next - 1] != b'\n' {
                break;
            }
            let colon = find_byte(line, b':').filter(|&c| c > 0).map(|c| pos + c);
            out.push((pos, colon, pos + line.len()));
            pos = next;
        }
        // `next_line` stopped at the empty line, or the end of `buf`.
        let end = match &buf[pos..] {
            [b'\n', ..] => Some(pos + 1),
            [b'\r', b'\n', ..] => Some(pos + 2),
            _ => None,
        };
        (out, end)
    }

    /// Scans `buf` fed in pieces of `step` bytes.
    fn scan(buf: &[u8], step: usize) -> (Vec<TableLine>, Option<usize>) {
        let mut table = BytesMut::new();
        let mut scan = Scan::default();
        let mut fed = 0;
        loop {
            fed = (fed + step).min(buf.len());
            match scan.run(&buf[..fed], &mut table, 1 << 20) {
                Scanned::End { len, records } => {
                    return (lines(&table, records), Some(len));
                }
                Scanned::More if fed == buf.len() => {
                    return (lines(&table, scan.filled), None);
                }
                Scanned::More => {}
                Scanned::Long => unreachable!(),
            }
        }
    }

    fn check(buf: &[u8]) {
        // The scan needs a first line that is not empty.
        if matches!(buf, [b'\n', ..] | [b'\r', b'\n', ..]) {
            return;
        }
        let expected = reference(buf);
        for step in [1, 3, 17, 64, 65, buf.len().max(1)] {
            assert_eq!(
                scan(buf, step),
                expected,
                "{:?}, step {step}",
                buf.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn the_table_holds_the_lines_the_bytes_do() {
        let cases: Vec<&[u8]> = vec![
            b"",
            b"a",
            b"a\n",
            b":a\r\nb:\r\n\r\n",
            b"Event: X\r\nNo colon\r\nK: v: w\r\n\r\nAfter: end\r\n",
            b"Bare: lf\nNext: one\n\n",
            b"cr\rinside: x\r\r\n\r\n",
            b"no end: at all",
            b"\r\r\n\n",
            b"a\r\n\r",
        ];
        for case in cases {
            check(case);
        }
    }

    #[test]
    fn lines_across_block_edges() {
        // Every length of key and value around the 64-byte edges, with the
        // colon and the line end on either side of them.
        for key in 1..70 {
            for value in [0, 1, 30, 62, 63, 64, 65, 130] {
                let mut buf = Vec::new();
                for n in 0..3 {
                    buf.extend(std::iter::repeat_n(b'k', key + n));
                    buf.extend_from_slice(b": ");
                    buf.extend(std::iter::repeat_n(b'v', value));
                    buf.extend_from_slice(b"\r\n");
                    buf.extend_from_slice(b"text line without colon\r\n");
                }
                buf.extend_from_slice(b"\r\nafter");
                check(&buf);
            }
        }
    }

    #[test]
    fn the_rest_of_the_block_carries_to_the_next_message() {
        let stream = b"A: 1\r\n\r\nB: 2\r\nC:3\r\n\r\nD\n\n";
        let mut table = BytesMut::new();
        let mut scan = Scan::default();
        let mut buf = &stream[..];
        let mut got = Vec::new();
        while let Scanned::End { len, records } = scan.run(buf, &mut table, 1000) {
            got.push(lines(&table, records));
            let _ = table.split_to(records);
            buf = &buf[len..];
        }
        assert_eq!(
            got,
            [
                vec![(0, Some(1), 4)],
                vec![(0, Some(1), 4), (6, Some(7), 9)],
                vec![(0, None, 1)]
            ]
        );
        assert!(buf.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn both_classifiers_agree(block in proptest::collection::vec(
            proptest::sample::select(&b"\n:a\r\x00\xff\x0a\x3a\xba\x8a"[..]), BLOCK)) {
            let block: [u8; BLOCK] = block.try_into().unwrap();
            proptest::prop_assert_eq!(classify(&block), classify_portable(&block));
        }

        #[test]
        fn any_bytes_any_chunking(buf in proptest::collection::vec(
            proptest::sample::select(&b"\n\n\r::ab "[..]), 0..300)) {
            check(&buf);
        }
    }
}
