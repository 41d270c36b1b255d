//! Decodes a raw AMI byte stream and prints one JSON object per item.
//!
//! ```text
//! cargo run -q -p ami-proto --example decode -- [--chunk N] [FILE]
//! ```
//!
//! Reads FILE (or standard input), feeds it to the decoder N bytes at a time
//! (default: all at once) and prints, one per line:
//!
//! * `{"kind":"banner","version":"11.0.0"}`
//! * `{"kind":"response"|"event"|"action"|"message","fields":[["Key","Value"],...]}`,
//!   plus `"output":["line",...]` when the message has raw text lines
//! * `{"kind":"error","error":"..."}` for a skipped message.
//!
//! Invalid UTF-8 is shown as U+FFFD. The output does not depend on N.

use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use ami_proto::{Decoded, Decoder};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("decode: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut chunk = None;
    let mut path = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--chunk" => {
                let n: usize = args.next().ok_or("--chunk needs a number")?.parse()?;
                if n == 0 {
                    return Err("--chunk must be at least 1".into());
                }
                chunk = Some(n);
            }
            "-h" | "--help" => {
                println!("usage: decode [--chunk N] [FILE]");
                return Ok(());
            }
            _ if path.is_none() => path = Some(arg),
            _ => return Err(format!("unexpected argument {arg:?}").into()),
        }
    }
    let mut input = Vec::new();
    match &path {
        Some(p) if p != "-" => input = std::fs::read(p)?,
        _ => {
            io::stdin().read_to_end(&mut input)?;
        }
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut decoder = Decoder::new();
    for piece in input.chunks(chunk.unwrap_or(input.len().max(1))) {
        decoder.feed(piece);
        while let Some(item) = decoder.decode() {
            print_item(&mut out, &item)?;
        }
    }
    if let Some(item) = decoder.finish() {
        print_item(&mut out, &item)?;
    }
    out.flush()?;
    Ok(())
}

fn print_item(out: &mut impl Write, item: &Decoded) -> io::Result<()> {
    // The rendering is `Decoded`'s `Serialize` (feature `serde`).
    serde_json::to_writer(&mut *out, item)?;
    writeln!(out)
}
