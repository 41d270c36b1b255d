//! Fuzz target bodies for `ami-proto`, as plain functions: `cargo fuzz`
//! calls them from `fuzz_targets/`, and the tests below run them over the
//! seed captures and the saved regressions as ordinary tests.
#![forbid(unsafe_code)]

use ami_proto::{Decoded, Decoder, Limits};

/// Limits small enough that short fuzz inputs break them, so that the
/// skip-and-resync paths get exercised too.
pub const TINY_LIMITS: Limits = Limits {
    max_line_len: 24,
    max_message_len: 96,
    max_headers: 4,
};

/// Every item a decoder with `limits` gives for `chunks` fed one after the
/// other (draining after each), then what [`Decoder::finish`] reports.
pub fn decode_items<'a>(
    limits: Limits,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<Decoded> {
    let mut decoder = Decoder::with_limits(limits);
    let mut items = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk);
        while let Some(item) = decoder.decode() {
            items.push(item);
        }
    }
    items.extend(decoder.finish());
    items
}

/// The `decode` target: `data` decoded in one piece must give the same
/// items as `data` fed in two chunks, split at a point picked by the first
/// byte (scaled over the whole input), and as `data` fed byte by byte (for
/// inputs up to 1 KiB) — with the default limits and with [`TINY_LIMITS`].
/// Panics on any difference; the decoder itself must never panic.
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
mod tests {
    use std::path::Path;

    use super::decode_chunking;

    /// Runs the target over every file in `dir`; returns how many.
    fn run_dir(dir: &Path) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        let mut n = 0;
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_file() {
                let data = std::fs::read(&path).expect("a readable seed");
                eprintln!("{}", path.display());
                decode_chunking(&data);
                n += 1;
            }
        }
        n
    }

    #[test]
    fn seed_captures() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures");
        assert!(run_dir(&dir) > 0, "no seeds in {}", dir.display());
    }

    #[test]
    fn saved_regressions() {
        run_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions"));
    }

    #[test]
    fn small_inputs() {
        for data in [
            &b""[..],
            b"\r",
            b"\n\n\r\n",
            b"Asterisk Call Manager/7.0.3\r\n",
            b"Response: Follows\r\n--END COMMAND--\r\n\r\n",
            b"Event: X\nA: 1\n\nEvent: Y\r\n",
        ] {
            decode_chunking(data);
        }
    }
}
