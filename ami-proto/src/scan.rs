//! The lines of a header block, found 64 bytes at a time.
//!
//! A message's lines are read off its bytes when asked for. Looking for
//! each line's `\n` and first `:` one line at a time pays a set-up cost
//! per line (a vectorised search) or a byte-wise loop (~125 instructions
//! for a 24-byte line). Instead, [`RawLines`] classifies a whole 64-byte
//! block at once into two bit masks (where the `\n`s are, where the `:`s
//! are) and then walks the set bits: a line costs a few bit operations.
//!
//! On x86-64 (and x86 with SSE2) the masks come from SSE2 compares and
//! `movemask` through `safe_arch`'s safe wrappers; elsewhere a portable
//! loop gives the same masks.

/// The bytes classified at once.
const BLOCK: usize = 64;

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

/// One line of a header block as offsets into the buffer: its content is
/// `start..end` (line ending removed), `colon` its first colon if the line
/// is a header (a first colon that is not the line's first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawLine {
    pub(crate) start: usize,
    pub(crate) colon: Option<usize>,
    pub(crate) end: usize,
}

/// The lines of a header block up to its first empty line (or the end of
/// the buffer), found a block of 64 bytes at a time.
#[derive(Clone)]
pub(crate) struct RawLines<'a> {
    buf: &'a [u8],
    /// Where the next line starts.
    pos: usize,
    /// Where the block the masks describe starts.
    base: usize,
    /// The `\n`s and `:`s of the block at or after `pos`.
    newlines: u64,
    colons: u64,
    done: bool,
}

impl<'a> RawLines<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        let mut lines = Self {
            buf,
            pos: 0,
            base: 0,
            newlines: 0,
            colons: 0,
            done: buf.is_empty(),
        };
        lines.load();
        lines
    }

    /// The buffer the lines are in.
    #[inline]
    pub(crate) fn buf(&self) -> &'a [u8] {
        self.buf
    }

    /// Classifies the block at `base` (zero-padded past the end).
    #[inline]
    fn load(&mut self) {
        let rest = self.buf.get(self.base..).unwrap_or_default();
        (self.newlines, self.colons) = match rest.first_chunk::<BLOCK>() {
            Some(block) => classify(block),
            None => {
                let mut block = [0; BLOCK];
                block[..rest.len()].copy_from_slice(rest);
                classify(&block)
            }
        };
    }
}

impl Iterator for RawLines<'_> {
    type Item = RawLine;

    #[inline]
    fn next(&mut self) -> Option<RawLine> {
        if self.done {
            return None;
        }
        let start = self.pos;
        // The masks hold no bit before `start`: the first colon seen is
        // this line's, if it comes before the line's `\n`.
        let mut colon = None;
        let nl = loop {
            if colon.is_none() && self.colons != 0 {
                colon = Some(self.base + self.colons.trailing_zeros() as usize);
            }
            if self.newlines != 0 {
                let at = self.newlines.trailing_zeros();
                // Drop every bit up to and including this `\n`.
                let keep = (!0u64).checked_shl(at + 1).unwrap_or(0);
                self.newlines &= keep;
                self.colons &= keep;
                break self.base + at as usize;
            }
            if self.base + BLOCK >= self.buf.len() {
                break self.buf.len();
            }
            self.base += BLOCK;
            self.load();
        };
        self.pos = nl + 1;
        let mut end = nl;
        if end > start && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        if end == start || self.pos >= self.buf.len() {
            self.done = true;
            if end == start {
                return None;
            }
        }
        let colon = colon.filter(|&c| c > start && c < end);
        Some(RawLine { start, colon, end })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{find_byte, next_line};

    /// The lines as the byte-wise reader finds them.
    fn reference(buf: &[u8]) -> Vec<RawLine> {
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some((line, next)) = next_line(buf, pos) {
            let colon = find_byte(line, b':').filter(|&c| c > 0).map(|c| pos + c);
            out.push(RawLine {
                start: pos,
                colon,
                end: pos + line.len(),
            });
            pos = next;
        }
        out
    }

    #[test]
    fn the_blocks_find_the_lines_the_bytes_do() {
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\r\n".to_vec(),
            b"\n".to_vec(),
            b"a".to_vec(),
            b":a\r\nb:\r\n\r\n".to_vec(),
            b"Event: X\r\nNo colon\r\nK: v: w\r\n\r\nAfter: end\r\n".to_vec(),
            b"Bare: lf\nNext: one\n\n".to_vec(),
            b"cr\rinside: x\r\r\n\r\n".to_vec(),
            b"no end: at all".to_vec(),
        ];
        for case in &cases {
            assert_eq!(RawLines::new(case).collect::<Vec<_>>(), reference(case));
        }
    }

    #[test]
    fn lines_across_block_edges() {
        // Every length of key and value around the 64-byte edges, with the
        // colon and the line end on either side of them.
        for key in 0..70 {
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
                assert_eq!(
                    RawLines::new(&buf).collect::<Vec<_>>(),
                    reference(&buf),
                    "key {key}, value {value}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn both_classifiers_agree(block in proptest::collection::vec(
            proptest::sample::select(&b"\n:a\r\x00\xff\x0a\x3a\xba\x8a"[..]), BLOCK)) {
            let block: [u8; BLOCK] = block.try_into().unwrap();
            proptest::prop_assert_eq!(classify(&block), classify_portable(&block));
        }

        #[test]
        fn any_bytes(buf in proptest::collection::vec(
            proptest::sample::select(&b"ab:\r\n "[..]), 0..300)) {
            proptest::prop_assert_eq!(RawLines::new(&buf).collect::<Vec<_>>(), reference(&buf));
        }
    }
}
