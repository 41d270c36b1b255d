//! Room to read a socket straight into a [`Decoder`](crate::Decoder)'s
//! buffer, so that the bytes are not copied from a read buffer of the
//! adapter's into the decoder's.

use bytes::BytesMut;

/// Blocks are sized in steps of this many bytes, so that a retired block
/// still fits the next request (whose size varies with the partial message
/// it carries over) and can be reused.
const STEP: usize = 64 * 1024;

/// The least room worth a read: with less left in its block, the next
/// request takes a new block.
const MIN_ROOM: usize = 4 * 1024;

/// Retired blocks kept for reuse, as long as messages refer to them (a
/// consumer that lags a few blocks behind)…
const RETIRED: usize = 16;
/// …and of those, how many free ones (nothing refers to them) beyond the
/// one reused: idle memory.
const FREE: usize = 1;

/// Initialised room at the end of a [`Decoder`](crate::Decoder)'s buffer,
/// which [`Decoder::read_buf`](crate::Decoder::read_buf) gives out and
/// [`Decoder::filled`](crate::Decoder::filled) hands over: what a socket
/// reads into it becomes the decoder's without being copied, and the
/// messages decoded from it share it (each is a slice of it, as with
/// [`feed`](crate::Decoder::feed)).
///
/// The room comes in blocks (about the size of the largest read asked
/// for), read into as often as they have room. A new block comes zeroed
/// from the allocator; a block whose messages have all been dropped is
/// reused rather than allocated again (zeroed once more, a read's worth at
/// a time, as the reads reach it), so a steady stream keeps touching the
/// same memory. Up to 16 retired blocks still referred to by messages are
/// watched for reuse, and at most one free block besides is kept idle.
/// When a new block is taken, the partial message at the end of the old
/// one (if any) moves to its front.
#[derive(Default)]
pub(crate) struct ReadRoom {
    /// The room: zeroed or read-into bytes (its length) and the rest of
    /// its block (its capacity). Normally it starts right where the
    /// decoder's buffer ends, in the same block.
    spare: BytesMut,
    /// What is left of earlier blocks, oldest first: reused once nothing
    /// else (no message) refers to them.
    retired: Vec<BytesMut>,
    /// Blocks allocated so far.
    allocated: usize,
}

impl std::fmt::Debug for ReadRoom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The sizes, not the bytes (a block is hundreds of KiB).
        f.debug_struct("ReadRoom")
            .field("room", &self.spare.len())
            .field("block_left", &self.spare.capacity())
            .field("retired", &self.retired.len())
            .field("allocated", &self.allocated)
            .finish()
    }
}

impl ReadRoom {
    /// Room with no block yet: the first request allocates one.
    #[cfg(test)]
    fn new() -> Self {
        Self::default()
    }

    /// Room for at most `max` bytes right after `buf`'s bytes.
    pub(crate) fn room_after(&mut self, buf: &mut BytesMut, max: usize) -> &mut [u8] {
        if max == 0 {
            return &mut [];
        }
        let least = max.min(MIN_ROOM);
        if !self.continues(buf) || self.spare.capacity() < least {
            self.new_block(buf, max);
        }
        let len = max.min(self.spare.capacity());
        if self.spare.len() < len {
            // Within the block's capacity: zeroes, never reallocates.
            self.spare.resize(len, 0);
        }
        &mut self.spare[..len]
    }

    /// Appends the room's first `n` bytes to `buf`: without a copy when the
    /// room continues `buf` in the same block (the room gave out since was
    /// taken that way); with one otherwise.
    ///
    /// # Panics
    /// If `n` is more than the room holds.
    pub(crate) fn fill(&mut self, buf: &mut BytesMut, n: usize) {
        assert!(
            n <= self.spare.len(),
            "filled({n}) beyond the {} bytes of room given out",
            self.spare.len()
        );
        if n > 0 {
            buf.unsplit(self.spare.split_to(n));
        }
    }

    /// Whether the room starts where `buf` ends (an empty `buf` is
    /// continued by any room: it is replaced on the first fill). A room
    /// that only looks adjacent, in another block, is still correct: the
    /// fill then copies.
    fn continues(&self, buf: &BytesMut) -> bool {
        buf.is_empty() || buf.as_ptr().wrapping_add(buf.len()) == self.spare.as_ptr()
    }

    /// Takes a block with room for `max` bytes after `buf`'s, reusing a
    /// retired one if nothing refers to it any more, and moves `buf`'s
    /// bytes (the partial message the decoder holds) to its front.
    fn new_block(&mut self, buf: &mut BytesMut, max: usize) {
        let carried = buf.len();
        let size = carried
            .saturating_add(max)
            .max(carried.saturating_mul(2))
            .div_ceil(STEP)
            .saturating_mul(STEP);
        let first = self.allocated == 0;
        // The first free retired block is reused; beyond `FREE` more free
        // ones, the oldest go (idle memory); the others are still referred
        // to by messages, and kept in case those are dropped in time.
        let mut reused = None;
        let mut free = 0;
        let mut i = 0;
        while i < self.retired.len() {
            let old = &mut self.retired[i];
            old.clear();
            if old.try_reclaim(size) {
                if reused.is_none() {
                    reused = Some(self.retired.remove(i));
                    continue;
                }
                free += 1;
                if free > FREE {
                    self.retired.remove(i);
                    continue;
                }
            }
            i += 1;
        }
        let block = match reused {
            Some(mut block) => {
                // Zeroed as the reads reach it (`room_after`).
                block.extend_from_slice(buf);
                block
            }
            None => {
                self.allocated += 1;
                // Fresh memory comes zeroed from the allocator (the pages
                // of a large block untouched until read into).
                let mut block = BytesMut::zeroed(size);
                block[..carried].copy_from_slice(buf);
                block
            }
        };
        let mut block = block;
        *buf = block.split_to(carried);
        let old = std::mem::replace(&mut self.spare, block);
        if first {
            // `old` is no block at all.
            return;
        }
        if self.retired.len() == RETIRED {
            self.retired.remove(0);
        }
        self.retired.push(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `bytes` into the room and fills `buf` with them.
    fn fill_from(room: &mut ReadRoom, buf: &mut BytesMut, bytes: &[u8]) {
        let into = room.room_after(buf, bytes.len());
        into.copy_from_slice(bytes);
        room.fill(buf, bytes.len());
    }

    #[test]
    fn debug_shows_sizes_not_bytes() {
        let mut room = ReadRoom::new();
        let mut buf = BytesMut::new();
        let _ = room.room_after(&mut buf, 100);
        assert_eq!(
            format!("{room:?}"),
            "ReadRoom { room: 65536, block_left: 65536, retired: 0, allocated: 1 }"
        );
    }

    #[test]
    fn fills_continue_the_buffer_without_copying() {
        let mut room = ReadRoom::new();
        let mut buf = BytesMut::new();
        fill_from(&mut room, &mut buf, b"abc");
        let start = buf.as_ptr();
        fill_from(&mut room, &mut buf, b"def");
        assert_eq!(&buf[..], b"abcdef");
        assert_eq!(buf.as_ptr(), start, "the same block, not a copy");
        let _ = buf.split_to(4).freeze();
        fill_from(&mut room, &mut buf, b"gh");
        assert_eq!(&buf[..], b"efgh");
        assert_eq!(buf.as_ptr(), start.wrapping_add(4));
    }

    #[test]
    fn a_block_whose_messages_are_gone_is_reused() {
        let mut room = ReadRoom::new();
        let mut buf = BytesMut::new();
        let max = 100 * 1024;
        let mut rooms = Vec::new();
        for _ in 0..40 {
            let into = room.room_after(&mut buf, max);
            rooms.push(into.as_ptr());
            into.fill(b'x');
            let len = into.len();
            room.fill(&mut buf, len);
            // The decoder takes everything but a partial message, and the
            // consumer drops it.
            if buf.len() > 10 {
                drop(buf.split_to(buf.len() - 10).freeze());
            }
        }
        rooms.sort_unstable();
        rooms.dedup();
        // Two rooms per 128 KiB block (100 KiB, then what is left), 20
        // blocks' worth: the first two blocks come round again and again.
        assert_eq!(room.allocated, 2);
        assert!(rooms.len() <= 6, "{} distinct rooms", rooms.len());
        assert_eq!(buf.len(), 10, "the partial message carried over");
    }

    #[test]
    fn a_block_still_referred_to_is_not_reused() {
        let mut room = ReadRoom::new();
        let mut buf = BytesMut::new();
        let mut kept = Vec::new();
        for i in 0..6u8 {
            let into = room.room_after(&mut buf, STEP);
            into.fill(i);
            let len = into.len();
            room.fill(&mut buf, len);
            kept.push(buf.split().freeze());
        }
        for (i, bytes) in kept.iter().enumerate() {
            assert!(
                bytes.iter().all(|&b| usize::from(b) == i),
                "block {i} intact"
            );
        }
        assert_eq!(room.allocated, 6, "one block per read, none reusable");
    }
}
