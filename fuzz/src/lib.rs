//! Fuzz target bodies for `ami-proto`, as plain functions: `cargo fuzz`
//! calls them from `fuzz_targets/`, and the tests below run them over the
//! seed corpus (`seeds/<target>/`) and the saved crashes
//! (`regressions/<target>/`) as ordinary tests, on stable, without a fuzzer.
//!
//! | target | body |
//! |---|---|
//! | `decode` | [`decode_chunking`] |
//! | `chunking` | [`chunking`] |
//! | `roundtrip` | [`roundtrip`] |
//! | `connection` | [`connection`] |
//! | `live` | [`live`] (the live model of `ami-live`) |
//!
//! [`TARGETS`] lists them by name; [`seeds`] builds their seed corpora from
//! the captures in `testdata/captures`.
#![forbid(unsafe_code)]

mod chunking;
mod connection;
pub mod live;
mod reader;
mod roundtrip;
pub mod seeds;

use ami_proto::{Decoded, Decoder, Limits, Line, MessageKind};

pub use chunking::chunking;
pub use connection::connection;
pub use live::live;
pub use roundtrip::roundtrip;

/// A target body: takes the fuzzer's input, panics on a finding.
pub type Body = fn(&[u8]);

/// Every target: its name (the binary in `fuzz_targets/`, the directory in
/// `seeds/` and `regressions/`) and its body.
pub const TARGETS: [(&str, Body); 5] = [
    ("decode", decode_chunking),
    ("chunking", chunking),
    ("roundtrip", roundtrip),
    ("connection", connection),
    ("live", live),
];

/// Limits small enough that short fuzz inputs break them, so that the
/// skip-and-resync paths get exercised too.
pub const TINY_LIMITS: Limits = Limits {
    max_line_len: 24,
    max_message_len: 96,
    max_headers: 4,
};

/// How the banner line starts (the decoder's own constant is private).
const BANNER_PREFIX: &[u8] = b"Asterisk Call Manager";

/// Most bytes a drained decoder may keep buffered with `limits`: a message
/// below `max_message_len` plus the few bytes of a `Privilege`/`ActionID`
/// line it cannot classify yet, a banner line up to `max_line_len` plus its
/// `\r`, or a possible start of `--END COMMAND--` or of the banner.
#[must_use]
pub fn buffer_bound(limits: &Limits) -> usize {
    let message = limits.max_message_len.min(u32::MAX as usize - 1);
    (message + "Privilege".len())
        .max(limits.max_line_len.saturating_add(1))
        .max(32)
}

/// One piece of a feed schedule: feed `len` bytes, then drain the decoder
/// (`decode()` until `None`) or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Bytes to feed.
    pub len: usize,
    /// Whether to drain after feeding.
    pub drain: bool,
}

/// Every item a decoder with `limits` gives for `data` fed as `schedule`
/// says (what the schedule leaves over is fed in one last piece), then what
/// [`Decoder::finish`] reports — checking on the way what must hold
/// whatever the input:
///
/// * the decoder's `stream_offset() + buffered_len()` is what was fed;
/// * every message is exactly the bytes of the stream it was decoded from,
///   within the limits, its lines well formed and its kind that of its first
///   header; a banner is a first line starting `Asterisk Call Manager`;
/// * items come in stream order (start offsets never decrease);
/// * a drained decoder buffers at most [`buffer_bound`] bytes.
///
/// # Panics
///
/// When one of these does not hold.
pub fn decode_checked(
    limits: Limits,
    data: &[u8],
    schedule: impl IntoIterator<Item = Piece>,
) -> Vec<Decoded> {
    let mut decoder = Decoder::with_limits(limits);
    let mut checker = Checker {
        data,
        limits: *decoder.limits(),
        fed: 0,
        last_start: 0,
        items: Vec::new(),
    };
    let mut rest = data;
    for piece in schedule {
        let (chunk, tail) = rest.split_at(piece.len.min(rest.len()));
        rest = tail;
        checker.feed(&mut decoder, chunk, piece.drain);
    }
    checker.feed(&mut decoder, rest, true);
    let finished = decoder.finish();
    if let Some(item) = &finished {
        let Decoded::Error(error) = item else {
            panic!("finish() gave {item:?}")
        };
        assert_eq!(error.kind(), ami_proto::DecodeErrorKind::Truncated);
        let offset = usize::try_from(error.offset()).expect("an offset");
        assert!(offset >= checker.last_start && offset <= data.len());
    }
    assert_eq!((decoder.stream_offset(), decoder.buffered_len()), (0, 0));
    checker.items.extend(finished);
    checker.items
}

struct Checker<'a> {
    data: &'a [u8],
    limits: Limits,
    fed: usize,
    last_start: usize,
    items: Vec<Decoded>,
}

impl Checker<'_> {
    fn feed(&mut self, decoder: &mut Decoder, chunk: &[u8], drain: bool) {
        decoder.feed(chunk);
        self.fed += chunk.len();
        self.check_accounting(decoder);
        if !drain {
            return;
        }
        while let Some(item) = decoder.decode() {
            self.check_accounting(decoder);
            self.check_item(decoder, &item);
            self.items.push(item);
        }
        let bound = buffer_bound(&self.limits);
        assert!(
            decoder.buffered_len() <= bound,
            "{} bytes buffered after draining, bound {bound} for {:?}",
            decoder.buffered_len(),
            self.limits
        );
    }

    fn check_accounting(&self, decoder: &Decoder) {
        let offset = usize::try_from(decoder.stream_offset()).expect("an offset");
        assert_eq!(offset + decoder.buffered_len(), self.fed, "bytes lost");
    }

    fn check_item(&mut self, decoder: &Decoder, item: &Decoded) {
        let end = usize::try_from(decoder.stream_offset()).expect("an offset");
        let limits = &self.limits;
        let start = match item {
            Decoded::Message(message) => {
                let bytes = message.as_bytes();
                let start = end - bytes.len();
                assert_eq!(&self.data[start..end], &bytes[..], "not the stream's bytes");
                assert!(bytes.len() <= limits.max_message_len, "message too large");
                assert!(bytes.ends_with(b"\n"), "a message ends with its empty line");
                let mut lines = 0;
                let mut first = None;
                for line in message.lines() {
                    lines += 1;
                    match line {
                        Line::Header(key, value) => {
                            assert!(!key.is_empty() && !key.as_bytes().contains(&b':'));
                            assert!(!key.as_bytes().contains(&b'\n'));
                            assert!(!value.as_bytes().contains(&b'\n'));
                            assert!(key.len() + 1 + value.len() <= limits.max_line_len);
                            first.get_or_insert((key, value));
                        }
                        Line::Text(text) => {
                            assert!(!text.as_bytes().contains(&b'\n'));
                            assert!(text.len() <= limits.max_line_len);
                        }
                    }
                }
                assert!(lines > 0 && lines <= limits.max_headers, "{lines} lines");
                let kind = match first {
                    Some((key, _)) if key.eq_ignore_ascii_case("response") => MessageKind::Response,
                    Some((key, _)) if key.eq_ignore_ascii_case("event") => MessageKind::Event,
                    Some((key, _)) if key.eq_ignore_ascii_case("action") => MessageKind::Action,
                    _ => MessageKind::Other,
                };
                assert_eq!(message.kind(), kind);
                assert_eq!(message.name(), first.map(|(_, value)| value));
                assert_eq!(message.header_count(), message.headers().count());
                if message.is_legacy_command() {
                    assert!(
                        message
                            .name()
                            .is_some_and(|n| n.eq_ignore_ascii_case("Follows"))
                    );
                }
                start
            }
            Decoded::Banner(banner) => {
                let line = banner.line().as_bytes();
                assert!(line.starts_with(BANNER_PREFIX) && line.len() <= limits.max_line_len);
                let head = &self.data[..end];
                let eol = if head.ends_with(b"\r\n") { 2 } else { 1 };
                assert!(head.ends_with(b"\n"));
                let start = end - eol - line.len();
                assert_eq!(&self.data[start..end - eol], line);
                assert!(
                    self.data[..start]
                        .iter()
                        .all(|b| matches!(b, b'\r' | b'\n')),
                    "a banner after the first line"
                );
                start
            }
            Decoded::Error(error) => {
                let start = usize::try_from(error.offset()).expect("an offset");
                assert!(start <= end);
                let limit = match error.kind() {
                    ami_proto::DecodeErrorKind::LineTooLong => limits.max_line_len,
                    ami_proto::DecodeErrorKind::MessageTooLarge => limits.max_message_len,
                    ami_proto::DecodeErrorKind::TooManyHeaders => limits.max_headers,
                    kind => panic!("decode() gave a {kind:?} error"),
                };
                assert_eq!(error.limit(), limit);
                start
            }
        };
        assert!(start >= self.last_start, "items out of stream order");
        self.last_start = start;
    }
}

/// Every item a decoder with `limits` gives for `chunks` fed one after the
/// other (draining after each), then what [`Decoder::finish`] reports;
/// checked as [`decode_checked`] does.
pub fn decode_items<'a>(
    limits: Limits,
    chunks: impl IntoIterator<Item = &'a [u8]> + Clone,
) -> Vec<Decoded> {
    let data: Vec<u8> = chunks.clone().into_iter().flatten().copied().collect();
    let schedule = chunks.into_iter().map(|c| Piece {
        len: c.len(),
        drain: true,
    });
    decode_checked(limits, &data, schedule)
}

/// The `decode` target: `data` decoded in one piece must give the same
/// items as `data` fed in two chunks, split at a point picked by the first
/// byte (scaled over the whole input), and as `data` fed byte by byte (for
/// inputs up to 1 KiB) — with the default limits and with [`TINY_LIMITS`].
/// Panics on any difference or broken invariant (see [`decode_checked`]);
/// the decoder itself must never panic.
pub fn decode_chunking(data: &[u8]) {
    let at = data
        .first()
        .map_or(0, |&b| data.len() * usize::from(b) / 255);
    let (head, tail) = data.split_at(at);
    for limits in [Limits::default(), TINY_LIMITS] {
        let whole = decode_items(limits, [data]);
        let split = decode_items(limits, [head, tail]);
        assert_eq!(whole, split, "split at {at} of {}, {limits:?}", data.len());
        if data.len() <= 1024 {
            let bytewise = decode_items(limits, data.chunks(1));
            assert_eq!(whole, bytewise, "byte by byte, {limits:?}");
        }
    }
}

#[cfg(test)]
mod tests;
