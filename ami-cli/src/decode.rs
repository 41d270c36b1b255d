//! `ami decode`: the codec's decode tool, the same JSON lines as
//! `cargo run -p ami-proto --example decode` (whose golden files in
//! `ami-proto/tests/golden` the tests compare with). Both print
//! `ami_proto::Decoded`'s `Serialize` rendering.

use std::io::{self, Write};

use ami_proto::Decoder;

/// Decodes `input`, fed `chunk` bytes at a time (all at once for `None`),
/// and writes one JSON object per decoded item.
pub(crate) fn decode(input: &[u8], chunk: Option<usize>, out: &mut impl Write) -> io::Result<()> {
    let mut decoder = Decoder::new();
    for piece in input.chunks(chunk.unwrap_or(input.len()).max(1)) {
        decoder.feed(piece);
        while let Some(item) = decoder.decode() {
            crate::json::decoded(out, &item)?;
        }
    }
    if let Some(item) = decoder.finish() {
        crate::json::decoded(out, &item)?;
    }
    Ok(())
}
