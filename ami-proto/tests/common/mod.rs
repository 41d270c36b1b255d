//! Helpers shared by the integration tests: feeding a decoder in every
//! chunking, rendering items as the decode tool does, finding the captures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ami_proto::{DecodeError, DecodeErrorKind, Decoded, Decoder, Limits, Message};
use serde_json::Value as Json;

/// `testdata/captures` of the workspace, found from this crate's manifest.
pub(crate) fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures")
}

/// `tests/golden` of this crate.
pub(crate) fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Every capture (`.bin` and `.sent`, `legacy/` included), as paths relative
/// to [`captures_dir`], sorted.
pub(crate) fn capture_names() -> Vec<String> {
    let root = captures_dir();
    let mut names = Vec::new();
    for sub in ["", "legacy"] {
        let dir = root.join(sub);
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".bin") || name.ends_with(".sent") {
                names.push(if sub.is_empty() {
                    name
                } else {
                    format!("{sub}/{name}")
                });
            }
        }
    }
    names.sort();
    names
}

/// The raw bytes of a capture, by its name relative to [`captures_dir`].
pub(crate) fn capture(name: &str) -> Vec<u8> {
    let path = captures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Feeds `chunks` one after the other, pulling every item after each, then
/// calls `finish`.
pub(crate) fn decode_chunks_with<'a>(
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
    assert_eq!(decoder.buffered_len(), 0, "finish() must empty the decoder");
    items
}

/// [`decode_chunks_with`] with the default limits.
pub(crate) fn decode_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<Decoded> {
    decode_chunks_with(Limits::default(), chunks)
}

/// Decodes `bytes` fed in one piece.
pub(crate) fn decode_whole(bytes: &[u8]) -> Vec<Decoded> {
    decode_chunks([bytes])
}

/// Decodes `bytes` fed one byte at a time.
pub(crate) fn decode_bytewise_with(limits: Limits, bytes: &[u8]) -> Vec<Decoded> {
    decode_chunks_with(limits, bytes.chunks(1))
}

/// Decodes `bytes` fed one byte at a time with the default limits.
pub(crate) fn decode_bytewise(bytes: &[u8]) -> Vec<Decoded> {
    decode_bytewise_with(Limits::default(), bytes)
}

/// Asserts that `bytes` decodes to the same items in one piece, split at
/// every point, and byte by byte, and returns those items.
pub(crate) fn decode_all_ways_with(limits: Limits, bytes: &[u8]) -> Vec<Decoded> {
    let whole = decode_chunks_with(limits, [bytes]);
    for i in 0..=bytes.len() {
        let split = decode_chunks_with(limits, [&bytes[..i], &bytes[i..]]);
        assert_eq!(
            split,
            whole,
            "split at {i} of {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    assert_eq!(
        decode_bytewise_with(limits, bytes),
        whole,
        "byte by byte: {:?}",
        String::from_utf8_lossy(bytes)
    );
    whole
}

/// [`decode_all_ways_with`] with the default limits.
pub(crate) fn decode_all_ways(bytes: &[u8]) -> Vec<Decoded> {
    decode_all_ways_with(Limits::default(), bytes)
}

/// Like [`decode_all_ways`] for inputs too large to split at every point:
/// in one piece, byte by byte, and in a few chunk sizes.
pub(crate) fn decode_some_ways(bytes: &[u8]) -> Vec<Decoded> {
    let whole = decode_whole(bytes);
    assert_eq!(decode_bytewise(bytes), whole, "byte by byte");
    for size in [2, 3, 7, 64, 1000] {
        assert_eq!(decode_chunks(bytes.chunks(size)), whole, "chunks of {size}");
    }
    whole
}

/// The only message `bytes` decodes to, fed in some chunkings.
pub(crate) fn one_message_quick(bytes: &[u8]) -> Message {
    let mut msgs = messages(decode_some_ways(bytes));
    assert_eq!(msgs.len(), 1, "{:?}", String::from_utf8_lossy(bytes));
    msgs.pop().unwrap()
}

/// The messages among `items`; panics on anything else.
pub(crate) fn messages(items: Vec<Decoded>) -> Vec<Message> {
    items
        .into_iter()
        .map(|item| match item {
            Decoded::Message(m) => m,
            other => panic!("expected a message, got {other:?}"),
        })
        .collect()
}

/// The only message `bytes` decodes to, fed in every chunking.
pub(crate) fn one_message(bytes: &[u8]) -> Message {
    let mut msgs = messages(decode_all_ways(bytes));
    assert_eq!(msgs.len(), 1, "{:?}", String::from_utf8_lossy(bytes));
    msgs.pop().unwrap()
}

/// The error an item is; panics on anything else.
pub(crate) fn expect_error(item: &Decoded, kind: DecodeErrorKind) -> &DecodeError {
    match item {
        Decoded::Error(e) if e.kind() == kind => e,
        other => panic!("expected a {kind:?} error, got {other:?}"),
    }
}

/// The message an item is; panics on anything else.
pub(crate) fn expect_message(item: &Decoded) -> &Message {
    match item {
        Decoded::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// `(key, value)` pairs of a message's headers, as byte vectors.
pub(crate) fn fields(msg: &Message) -> Vec<(Vec<u8>, Vec<u8>)> {
    msg.headers()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect()
}

/// A message's text lines, as byte vectors.
pub(crate) fn text_lines(msg: &Message) -> Vec<Vec<u8>> {
    msg.text_lines().map(|l| l.as_bytes().to_vec()).collect()
}

/// One item as the decode tool prints it (`examples/decode.rs`).
pub(crate) fn item_json(item: &Decoded) -> Json {
    // `Decoded`'s `Serialize`, the decode tool's rendering.
    serde_json::to_value(item).expect("serializes")
}
