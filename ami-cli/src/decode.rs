//! `ami decode`: the codec's decode tool, the same JSON lines as
//! `cargo run -p ami-proto --example decode` (whose golden files in
//! `ami-proto/tests/golden` the tests compare with).
//!
//! The example is a stand-alone program that `ami-proto` cannot export
//! without a `serde_json` dependency, so its ~20 lines of rendering are
//! repeated here; the tests hold both to the same golden files.

use std::io::{self, Write};

use ami_proto::{Decoded, Decoder, Message};
use serde_json::{Value as Json, json};

/// Decodes `input`, fed `chunk` bytes at a time (all at once for `None`),
/// and writes one JSON object per decoded item.
pub(crate) fn decode(input: &[u8], chunk: Option<usize>, out: &mut impl Write) -> io::Result<()> {
    let mut decoder = Decoder::new();
    for piece in input.chunks(chunk.unwrap_or(input.len()).max(1)) {
        decoder.feed(piece);
        while let Some(item) = decoder.decode() {
            writeln!(out, "{}", item_json(&item))?;
        }
    }
    if let Some(item) = decoder.finish() {
        writeln!(out, "{}", item_json(&item))?;
    }
    Ok(())
}

/// One decoded item as the decode tool prints it.
fn item_json(item: &Decoded) -> Json {
    match item {
        Decoded::Banner(banner) => json!({
            "kind": "banner",
            "version": banner.version().map(|v| v.to_str_lossy().into_owned()),
        }),
        Decoded::Message(msg) => {
            let mut obj = json!({ "kind": msg.kind().as_str(), "fields": fields(msg) });
            let output: Vec<Json> = msg.text_lines().map(|l| json!(l.to_str_lossy())).collect();
            if !output.is_empty() {
                obj["output"] = Json::Array(output);
            }
            obj
        }
        Decoded::Error(e) => json!({ "kind": "error", "error": e.to_string() }),
    }
}

/// A message's headers as `[["Key","Value"],...]`, in wire order, repeated
/// keys kept, invalid UTF-8 as U+FFFD.
pub(crate) fn fields(msg: &Message) -> Json {
    msg.headers()
        .map(|(k, v)| json!([k.to_str_lossy(), v.to_str_lossy()]))
        .collect()
}
