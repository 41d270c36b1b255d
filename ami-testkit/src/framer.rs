//! Splits a byte stream into what Asterisk's session loop sees: messages,
//! and the lone empty lines that [`Decoder`] skips but Asterisk answers.
//!
//! All framing is [`ami_proto::Decoder`]'s; this only watches its stream
//! offset to tell which bytes it consumed without handing out an item.

use std::collections::VecDeque;

use ami_proto::{DecodeError, Decoded, Decoder, Limits, Message};
use bytes::{Bytes, BytesMut};

/// One unit of the stream.
#[derive(Debug)]
pub(crate) enum Frame {
    /// The `Asterisk Call Manager/…` line, its line ending included.
    Banner(Bytes),
    /// A complete message.
    Message(Message),
    /// An empty line where a message could start (`\r\n` or `\n`).
    Empty(Bytes),
    /// A message the decoder refused and skipped.
    Error(DecodeError),
}

/// Where the skipper of a refused message stands in its current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    /// Not skipping.
    No,
    /// Skipping; at the start of a line.
    LineStart,
    /// Skipping; a `\r` opened the line.
    Cr,
    /// Skipping; inside a line with content.
    Content,
}

/// A [`Decoder`] that also reports the empty lines it skips.
#[derive(Debug)]
pub(crate) struct Framer {
    decoder: Decoder,
    /// The bytes fed and not yet consumed by the decoder.
    mirror: BytesMut,
    skip: Skip,
    ready: VecDeque<Frame>,
}

impl Framer {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            decoder: Decoder::with_limits(limits),
            mirror: BytesMut::new(),
            skip: Skip::No,
            ready: VecDeque::new(),
        }
    }

    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        self.mirror.extend_from_slice(bytes);
        self.decoder.feed(bytes);
    }

    /// The next frame, or `None` when more bytes are needed.
    pub(crate) fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(frame) = self.ready.pop_front() {
                return Some(frame);
            }
            let before = self.decoder.stream_offset();
            let item = self.decoder.decode();
            let consumed = usize::try_from(self.decoder.stream_offset() - before)
                .expect("the decoder consumed no more than it was fed");
            let region = self.mirror.split_to(consumed).freeze();
            match item {
                None => {
                    self.stray_lines(region);
                    if self.ready.is_empty() {
                        return None;
                    }
                }
                Some(Decoded::Message(message)) => {
                    let prefix = region.len() - message.as_bytes().len();
                    self.stray_lines(region.slice(..prefix));
                    self.skip = Skip::No;
                    self.ready.push_back(Frame::Message(message));
                }
                Some(Decoded::Banner(_)) => {
                    let start = region
                        .iter()
                        .position(|b| !matches!(b, b'\r' | b'\n'))
                        .unwrap_or(region.len());
                    self.stray_lines(region.slice(..start));
                    self.ready.push_back(Frame::Banner(region.slice(start..)));
                }
                Some(Decoded::Error(error)) => {
                    // The decoder skips the rest of the message from the
                    // start of the offending line up to an empty line.
                    self.skip = Skip::LineStart;
                    self.ready.push_back(Frame::Error(error));
                }
            }
        }
    }

    /// Queues an [`Frame::Empty`] per empty line in `region`, bytes the
    /// decoder consumed outside any message — after the tail of a skipped
    /// message, if one is being skipped.
    fn stray_lines(&mut self, region: Bytes) {
        let mut start = 0;
        if self.skip != Skip::No {
            for (i, &b) in region.iter().enumerate() {
                self.skip = match (self.skip, b) {
                    (Skip::LineStart | Skip::Cr, b'\n') => Skip::No,
                    (Skip::LineStart, b'\r') => Skip::Cr,
                    (_, b'\n') => Skip::LineStart,
                    _ => Skip::Content,
                };
                if self.skip == Skip::No {
                    start = i + 1;
                    break;
                }
            }
            if self.skip != Skip::No {
                return;
            }
        }
        let mut line = start;
        for (i, &b) in region.iter().enumerate().skip(start) {
            if b == b'\n' {
                self.ready.push_back(Frame::Empty(region.slice(line..=i)));
                line = i + 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]]) -> Vec<String> {
        let mut framer = Framer::new(Limits::default());
        let mut out = Vec::new();
        for chunk in chunks {
            framer.feed(chunk);
            while let Some(frame) = framer.next_frame() {
                out.push(match frame {
                    Frame::Banner(b) => format!("banner {:?}", String::from_utf8_lossy(&b)),
                    Frame::Message(m) => {
                        format!("msg {}", m.name().map_or("-".into(), |n| n.to_string()))
                    }
                    Frame::Empty(e) => format!("empty {:?}", String::from_utf8_lossy(&e)),
                    Frame::Error(e) => format!("error {:?}", e.kind()),
                });
            }
        }
        out
    }

    #[test]
    fn reports_stray_empty_lines() {
        let input = b"\r\nAction: Ping\r\n\r\nJust\r\n\r\n\r\n\nAction: Ping\n\n";
        let want = [
            "empty \"\\r\\n\"",
            "msg Ping",
            "msg -",
            "empty \"\\r\\n\"",
            "empty \"\\n\"",
            "msg Ping",
        ];
        assert_eq!(frames(&[input]), want);
        let bytewise: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(frames(&bytewise), want);
    }

    #[test]
    fn banner_keeps_its_line_ending() {
        assert_eq!(
            frames(&[b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\n\r\n\r\n"]),
            [
                "banner \"Asterisk Call Manager/11.0.0\\r\\n\"",
                "msg Success",
                "empty \"\\r\\n\""
            ]
        );
    }

    #[test]
    fn skipped_message_tail_is_not_an_empty_line() {
        let mut framer = Framer::new(Limits {
            max_line_len: 14,
            ..Limits::default()
        });
        let mut out = Vec::new();
        for chunk in [
            &b"Action: Ping\r\nX: 0123456789"[..],
            b"abc\r\nY: 1\r\n",
            b"\r\n",
            b"\r\nAction: Ping\r\n\r\n",
        ] {
            framer.feed(chunk);
            while let Some(frame) = framer.next_frame() {
                out.push(match frame {
                    Frame::Empty(_) => "empty",
                    Frame::Error(_) => "error",
                    Frame::Message(_) => "msg",
                    Frame::Banner(_) => "banner",
                });
            }
        }
        assert_eq!(out, ["error", "empty", "msg"]);
    }
}
