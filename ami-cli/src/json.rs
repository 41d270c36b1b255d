//! The JSON `ami` prints, all of it built on ami-proto's `serde` feature
//! (`ami_proto::wire_json`): one rendering everywhere, nothing written by
//! hand here.
//!
//! * a message is the list of its lines in wire order: `[key, value]` for a
//!   header (repeated keys kept), a bare value for a line without a colon;
//! * a value is a string when it is UTF-8, else `{"latin1": "..."}` with one
//!   character per byte, so every byte comes back and a U+FFFD appears only
//!   where the wire had one;
//! * `--typed` events hold parsed values where the docs type the header
//!   (numbers, booleans, enumerations by name; see `ami_proto::wire_json`).

use std::io::{self, Write};

use ami_proto::typed::Event;
use ami_proto::{Decoded, Message, Response};
use serde::Serialize;

/// Writes `value` as one line of JSON.
fn line(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)
}

/// An event: its lines, or with `typed` its lines with parsed values.
pub(crate) fn event(out: &mut impl Write, msg: &Message, typed: bool) -> io::Result<()> {
    if typed {
        line(out, &Event::from_message(msg))
    } else {
        line(out, msg)
    }
}

/// `ami action`'s answer: `{"response", "events", "completion", "output"}`.
pub(crate) fn response(out: &mut impl Write, response: &Response) -> io::Result<()> {
    line(out, response)
}

/// One item of `ami decode`.
pub(crate) fn decoded(out: &mut impl Write, item: &Decoded) -> io::Result<()> {
    line(out, item)
}
