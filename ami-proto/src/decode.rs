//! The decoder: frames a byte stream into the banner, messages and errors.

use std::ops::Range;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use memchr::memmem;

use crate::error::{DecodeError, DecodeErrorKind};
use crate::message::{
    Banner, Entry, Line, Message, MessageKind, find_byte, first_header, header_parts,
};
use crate::read_room::ReadRoom;

/// The end of a legacy (Asterisk ≤ 13) `Command` body.
pub(crate) const END_COMMAND: &[u8] = b"--END COMMAND--";

/// How the banner line starts. Only the first line of a stream is checked.
const BANNER_PREFIX: &[u8] = b"Asterisk Call Manager";

/// Bounds on what one message may hold, so that no peer can make the decoder
/// use unbounded memory.
///
/// The defaults admit everything a real Asterisk sends (a `core show help`
/// or `dialplan show` of a large system, a `GetConfigJSON` answer on one
/// long line) while keeping one connection's buffer below a few MiB.
///
/// ```
/// use ami_proto::{Decoder, Limits};
/// let limits = Limits { max_line_len: 4096, ..Limits::default() };
/// let decoder = Decoder::with_limits(limits);
/// assert_eq!(decoder.limits().max_line_len, 4096);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest line, in bytes, without its line ending. Default 1 MiB.
    pub max_line_len: usize,
    /// Largest message, in bytes, line endings included. Default 8 MiB.
    /// Values above `u32::MAX - 1` are treated as `u32::MAX - 1`.
    pub max_message_len: usize,
    /// Most lines in one message: headers plus raw text lines (each `Output:`
    /// line of a Command answer is one). Default 100 000.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line_len: 1 << 20,
            max_message_len: 8 << 20,
            max_headers: 100_000,
        }
    }
}

/// One item pulled from the [`Decoder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// The banner line sent on connect.
    Banner(Banner),
    /// A complete message.
    Message(Message),
    /// A message that broke a limit, or was cut off by the end of the
    /// stream; it is skipped and decoding goes on with the next message.
    Error(DecodeError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing decoded yet: the first line may be the banner.
    Start,
    /// Reading the header lines of the message at the front of the buffer.
    Headers,
    /// Reading the raw body of a legacy `Response: Follows` answer, which
    /// starts at `body_start`; the terminator has not been seen before
    /// `search_from`.
    LegacyBody {
        body_start: usize,
        search_from: usize,
    },
    /// Discarding a broken message up to the next empty line.
    Skip(SkipLine),
    /// Discarding a broken legacy body up to `--END COMMAND--`.
    SkipLegacy,
    /// Discarding the rest of an overlong banner line: the banner is one
    /// line, not followed by an empty line.
    SkipBanner,
}

/// What the skipper has seen of the current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SkipLine {
    /// Nothing yet.
    Empty,
    /// A lone `\r`.
    Cr,
    /// Some content: this line is not the empty line that ends the message.
    Content,
}

/// A sans-IO AMI decoder: push bytes in with [`feed`](Decoder::feed), in
/// any chunking, and pull [`Decoded`] items out with
/// [`decode`](Decoder::decode) until it returns `None`.
///
/// It does no I/O and keeps no clock. Each message becomes one frozen
/// [`Bytes`] (zero-copy, no allocation). A message that cannot break a
/// limit is framed with two `memmem` passes (for its CRLF and its bare-LF
/// end) and only its first header is read; the [`Message`] reads its other
/// lines when asked. Legacy answers and messages near a limit are read
/// line by line. Either way the items are the same. It accepts CRLF and bare-LF line
/// endings, skips stray empty lines between messages, recognises the banner
/// on the first line, and reads a legacy `Response: Follows` Command body up
/// to `--END COMMAND--`. A message that breaks a [`Limits`] bound is reported
/// as [`Decoded::Error`] and skipped up to the next empty line (a legacy
/// answer up to its `--END COMMAND--`, an overlong banner line alone); the
/// buffer never grows beyond the limits, whatever the peer sends. The items
/// do not depend on how the stream was chunked.
///
/// ```
/// use ami_proto::{Decoder, Decoded, MessageKind};
///
/// let mut decoder = Decoder::new();
/// for chunk in [&b"Asterisk Call Manager/11.0.0\r\nResponse: Succ"[..], b"ess\r\nPing: Pong\r\n\r\n"] {
///     decoder.feed(chunk);
///     while let Some(item) = decoder.decode() {
///         match item {
///             Decoded::Banner(b) => assert_eq!(b.version().unwrap(), "11.0.0"),
///             Decoded::Message(m) => {
///                 assert_eq!(m.kind(), MessageKind::Response);
///                 assert_eq!(m.get("ping").unwrap(), "Pong");
///             }
///             Decoded::Error(e) => panic!("{e}"),
///         }
///     }
/// }
/// ```
#[derive(Debug)]
pub struct Decoder {
    buf: BytesMut,
    limits: Limits,
    state: State,
    /// Start of the next unparsed line of the current message.
    scan: usize,
    /// No `\n` lies in `buf[scan..newline_free]`.
    newline_free: usize,
    /// Lines parsed so far of the current message.
    entries: Vec<Entry>,
    /// The kind, once the first header is in.
    kind: Option<MessageKind>,
    /// Whether the current message started with `Response: Follows`.
    follows: bool,
    legacy_command: bool,
    /// Stream offset of `buf[0]`.
    consumed: u64,
    /// A message no longer than this cannot break any limit, so the framer
    /// can take it whole without looking at its lines.
    fast_limit: usize,
    /// `\n\r\n`: a line ending followed by an empty CRLF line.
    crlf_end: EndFinder,
    /// `\n\n`: a line ending followed by an empty bare-LF line.
    lf_end: EndFinder,
    /// The room [`read_buf`](Self::read_buf) gives out.
    room: ReadRoom,
}

/// A `memmem` search for one form of message end that remembers what it
/// found, in stream offsets, so that no byte is searched twice: a stream
/// that only ever ends messages one way is searched once for the other.
#[derive(Debug)]
struct EndFinder {
    finder: memmem::Finder<'static>,
    /// Stream offset of the next match, once seen.
    found: Option<u64>,
    /// No match starts before this stream offset other than `found`.
    searched_to: u64,
}

impl EndFinder {
    fn new(pattern: &'static [u8]) -> Self {
        Self {
            finder: memmem::Finder::new(pattern),
            found: None,
            searched_to: 0,
        }
    }

    /// The first match in `buf`, which starts at stream offset `base`.
    fn find(&mut self, buf: &[u8], base: u64) -> Option<usize> {
        if let Some(found) = self.found.filter(|&f| f >= base) {
            return usize::try_from(found - base).ok();
        }
        let from = usize::try_from(self.searched_to.saturating_sub(base))
            .map_or(buf.len(), |f| f.min(buf.len()));
        match self.finder.find(&buf[from..]) {
            Some(i) => {
                let at = from + i;
                self.found = Some(base + at as u64);
                self.searched_to = base + at as u64 + 1;
                Some(at)
            }
            None => {
                self.found = None;
                let tail = self.finder.needle().len() - 1;
                self.searched_to = base + buf.len().saturating_sub(tail) as u64;
                None
            }
        }
    }
}

/// What the framer made of the front of the buffer.
enum Framed {
    /// A complete message.
    Item(Decoded),
    /// The message is still coming in and cannot break a limit yet.
    Wait,
    /// Let the line-by-line decoder take this message.
    LineByLine,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

/// Bytes reserved whenever the buffer has to grow.
const CHUNK: usize = 64 * 1024;

impl Decoder {
    /// A decoder with [`Limits::default`].
    #[must_use]
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A decoder with the given limits.
    #[must_use]
    pub fn with_limits(mut limits: Limits) -> Self {
        limits.max_message_len = limits.max_message_len.min(u32::MAX as usize - 1);
        Self {
            buf: BytesMut::new(),
            limits,
            state: State::Start,
            scan: 0,
            newline_free: 0,
            entries: Vec::new(),
            kind: None,
            follows: false,
            legacy_command: false,
            consumed: 0,
            fast_limit: limits
                .max_line_len
                .min(limits.max_message_len)
                .min(limits.max_headers.saturating_mul(2)),
            crlf_end: EndFinder::new(b"\n\r\n"),
            lf_end: EndFinder::new(b"\n\n"),
            room: ReadRoom::default(),
        }
    }

    /// The limits in force.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Appends bytes read from the peer. Call [`decode`](Self::decode) until
    /// it returns `None` afterwards.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.buf.capacity() - self.buf.len() < bytes.len() {
            self.buf.reserve(bytes.len().max(CHUNK));
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Room to read the next bytes of the stream into, at the end of the
    /// decoder's own buffer: at most `max` bytes (empty only when `max` is
    /// 0), initialised. Read into it, then call
    /// [`filled`](Self::filled) with how many bytes the read gave; the
    /// items are the same as [`feed`](Self::feed) with those bytes would
    /// give, and the bytes are not copied. Asking for room again before
    /// `filled` forgets what was read into the last room.
    ///
    /// ```
    /// use ami_proto::{Decoded, Decoder};
    /// use std::io::Read;
    ///
    /// let mut socket: &[u8] = b"Response: Success\r\nPing: Pong\r\n\r\n";
    /// let mut decoder = Decoder::new();
    /// let n = socket.read(decoder.read_buf(64 * 1024))?;
    /// decoder.filled(n);
    /// let Some(Decoded::Message(m)) = decoder.decode() else { panic!() };
    /// assert_eq!(m.get("Ping").unwrap(), "Pong");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read_buf(&mut self, max: usize) -> &mut [u8] {
        self.room.room_after(&mut self.buf, max)
    }

    /// Appends the first `n` bytes of the room [`read_buf`](Self::read_buf)
    /// last gave out (what a read put there), as [`feed`](Self::feed)
    /// would. Call [`decode`](Self::decode) until it returns `None`
    /// afterwards.
    ///
    /// ```
    /// use ami_proto::Decoder;
    ///
    /// let mut decoder = Decoder::new();
    /// let into = decoder.read_buf(100);
    /// into[..12].copy_from_slice(b"Event: X\r\n\r\n");
    /// decoder.filled(12);
    /// assert_eq!(decoder.buffered_len(), 12);
    /// assert!(decoder.decode().is_some());
    /// ```
    ///
    /// # Panics
    /// If `n` is larger than that room.
    pub fn filled(&mut self, n: usize) {
        self.room.fill(&mut self.buf, n);
    }

    /// How many bytes are buffered and not yet returned as items.
    #[must_use]
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// The stream offset of the next byte the decoder will look at: how many
    /// bytes have been consumed as items or skipped.
    #[must_use]
    pub fn stream_offset(&self) -> u64 {
        self.consumed
    }

    /// Pulls the next complete item, or `None` when more bytes are needed.
    #[must_use = "decoded items must be handled"]
    pub fn decode(&mut self) -> Option<Decoded> {
        loop {
            match self.state {
                State::Start => {
                    if let Some(item) = self.decode_start() {
                        return item;
                    }
                }
                State::Headers => {
                    if self.scan == 0 && self.entries.is_empty() {
                        match self.frame() {
                            Framed::Item(item) => return Some(item),
                            Framed::Wait => return None,
                            Framed::LineByLine => {}
                        }
                    }
                    if let Some(item) = self.decode_headers() {
                        return item;
                    }
                }
                State::LegacyBody {
                    body_start,
                    search_from,
                } => {
                    if let Some(item) = self.decode_legacy_body(body_start, search_from) {
                        return item;
                    }
                }
                State::Skip(line) => {
                    if !self.skip_to_empty_line(line) {
                        return None;
                    }
                }
                State::SkipLegacy => {
                    if !self.skip_legacy_body() {
                        return None;
                    }
                }
                State::SkipBanner => match memchr::memchr(b'\n', &self.buf) {
                    Some(nl) => {
                        self.advance(nl + 1);
                        self.state = State::Headers;
                    }
                    None => {
                        let n = self.buf.len();
                        self.advance(n);
                        return None;
                    }
                },
            }
        }
    }

    /// Tells the decoder that the stream has ended. Returns an error item if
    /// a message was cut off (its bytes are dropped), and resets the decoder
    /// so it can decode a new stream.
    ///
    /// ```
    /// # use ami_proto::{Decoder, Decoded, DecodeErrorKind};
    /// let mut d = Decoder::new();
    /// d.feed(b"Response: Success\r\nActionID: 7\r\n");
    /// assert!(d.decode().is_none());
    /// let Some(Decoded::Error(e)) = d.finish() else { panic!() };
    /// assert_eq!(e.kind(), DecodeErrorKind::Truncated);
    /// assert_eq!(e.action_id().unwrap(), &b"7"[..]);
    /// ```
    pub fn finish(&mut self) -> Option<Decoded> {
        if self.state == State::Headers && self.scan == 0 && self.entries.is_empty() {
            // The framer may have left the lines of a cut-off message
            // unread: read them, for the error's kind and ActionID. They
            // broke no limit, or the framer would not have waited.
            let item = self.decode_headers();
            debug_assert!(matches!(item, Some(None) | None));
        }
        let pending = match self.state {
            State::Start | State::Headers => {
                !self.entries.is_empty() || !self.buf.iter().all(|b| matches!(b, b'\r' | b'\n'))
            }
            State::LegacyBody { .. } => true,
            State::Skip(_) | State::SkipLegacy | State::SkipBanner => false,
        };
        let error = pending.then(|| self.error(DecodeErrorKind::Truncated, self.buf.len()));
        *self = Self::with_limits(self.limits);
        error.map(Decoded::Error)
    }

    fn decode_start(&mut self) -> Option<Option<Decoded>> {
        let Some(nl) = memchr::memchr(b'\n', &self.buf) else {
            if self.buf.starts_with(BANNER_PREFIX) {
                // The banner, still coming. A trailing '\r' may still
                // become its line ending.
                if partial_content(&self.buf) > self.limits.max_line_len {
                    return Some(Some(self.fail_banner()));
                }
                return Some(None);
            }
            if self.buf[..] == b"\r"[..] || BANNER_PREFIX.starts_with(&self.buf) {
                // A stray empty line or the banner, maybe: wait.
                return Some(None);
            }
            // The first line is no banner: it is part of a message, with
            // the message limits.
            self.state = State::Headers;
            return None;
        };
        let end = content_end(&self.buf, nl);
        if end == 0 {
            // A stray empty line before anything else.
            self.advance(nl + 1);
            return None;
        }
        self.state = State::Headers;
        if !self.buf[..end].starts_with(BANNER_PREFIX) {
            return None;
        }
        if end > self.limits.max_line_len {
            let error = self.error(DecodeErrorKind::LineTooLong, 0);
            self.advance(nl + 1);
            return Some(Some(Decoded::Error(error)));
        }
        let mut line = self.buf.split_to(nl + 1);
        self.consumed += line.len() as u64;
        line.truncate(end);
        Some(Some(Decoded::Banner(Banner::new(line.freeze()))))
    }

    /// Takes the message at the front of the buffer whole when it is
    /// complete and cannot break a limit: two `memmem` passes find its end
    /// and its first header gives the kind; its lines are left for the
    /// [`Message`] to read when asked. It gives exactly what
    /// [`decode_headers`](Self::decode_headers) would, and leaves legacy
    /// `Response: Follows` answers, and messages that may break a limit, to
    /// it.
    fn frame(&mut self) -> Framed {
        // Stray empty lines between messages.
        loop {
            match self.buf[..] {
                [b'\n', ..] => self.advance(1),
                [b'\r', b'\n', ..] => self.advance(2),
                [] | [b'\r'] => return Framed::Wait,
                _ => break,
            }
        }
        // The first empty line ends the message, whichever its line ending.
        let crlf = self.crlf_end.find(&self.buf, self.consumed);
        let lf = self.lf_end.find(&self.buf, self.consumed);
        let end = match (crlf, lf) {
            (Some(p), Some(q)) if q < p => q + 2,
            (Some(p), _) => p + 3,
            (None, Some(q)) => q + 2,
            (None, None) => {
                if self.buf.len() > self.fast_limit {
                    return Framed::LineByLine;
                }
                return Framed::Wait;
            }
        };
        if end > self.fast_limit {
            return Framed::LineByLine;
        }
        let (kind, name) = kind_and_name(&self.buf[..end]);
        if kind == MessageKind::Response
            && name
                .as_ref()
                .is_some_and(|v| self.buf[v.clone()].eq_ignore_ascii_case(b"Follows"))
        {
            return Framed::LineByLine;
        }
        let bytes = self.buf.split_to(end).freeze();
        self.consumed += end as u64;
        Framed::Item(Decoded::Message(Message::new(bytes, kind, name)))
    }

    /// Parses header lines. `None` means "state changed, go on".
    fn decode_headers(&mut self) -> Option<Option<Decoded>> {
        loop {
            let start = self.scan;
            // Bytes before `newline_free` were searched already: a line fed
            // in many small pieces is scanned once, not once per piece.
            let from = self.newline_free.max(start);
            let Some(i) = memchr::memchr(b'\n', &self.buf[from..]) else {
                self.newline_free = self.buf.len();
                if self.follows {
                    match follows_header(&self.buf[start..], false) {
                        // Too little of the line yet to tell.
                        None => return Some(None),
                        Some(false) => {
                            self.start_legacy_body(start);
                            return None;
                        }
                        Some(true) => {}
                    }
                }
                return Some(self.check_partial(start));
            };
            let nl = from + i;
            let next = nl + 1;
            let end = content_end(&self.buf, nl).max(start);
            if self.follows && follows_header(&self.buf[start..end], true) == Some(false) {
                // The raw body starts here; it has limits of its own.
                self.start_legacy_body(start);
                return None;
            }
            if next > self.limits.max_message_len && !(self.entries.is_empty() && end == start) {
                let kind = self.size_error(start);
                return Some(Some(self.fail(kind)));
            }
            if end == start {
                if self.entries.is_empty() && !self.follows {
                    // A stray empty line between messages.
                    self.advance(next);
                    continue;
                }
                if !self.follows {
                    return Some(Some(self.complete(next)));
                }
            }
            if end - start > self.limits.max_line_len {
                return Some(Some(self.fail(DecodeErrorKind::LineTooLong)));
            }
            // Keys are short: a plain loop beats a vectorised search's setup.
            if self.entries.len() >= self.limits.max_headers {
                return Some(Some(self.fail(DecodeErrorKind::TooManyHeaders)));
            }
            match header_parts(&self.buf[start..end]) {
                Some((colon, value)) => {
                    let (c, value) = (start + colon, start + value);
                    if self.kind.is_none() {
                        let kind = MessageKind::from_first_header(&self.buf[start..c]);
                        self.kind = Some(kind);
                        self.follows = kind == MessageKind::Response
                            && self.buf[value..end].eq_ignore_ascii_case(b"Follows");
                    }
                    self.entries.push(Entry::header(start, c, value, end));
                }
                _ => self.entries.push(Entry::text(start, end)),
            }
            self.scan = next;
        }
    }

    fn decode_legacy_body(
        &mut self,
        body_start: usize,
        search_from: usize,
    ) -> Option<Option<Decoded>> {
        let mut from = search_from;
        let (term, after) = loop {
            let Some(p) = memmem::find(&self.buf[from..], END_COMMAND) else {
                if self.buf.len() > self.limits.max_message_len {
                    self.state = State::SkipLegacy;
                    return Some(Some(self.fail_legacy(DecodeErrorKind::MessageTooLarge)));
                }
                let from = from.max(self.buf.len().saturating_sub(END_COMMAND.len() - 1));
                self.state = State::LegacyBody {
                    body_start,
                    search_from: from,
                };
                return Some(None);
            };
            let term = from + p;
            let after = term + END_COMMAND.len();
            match self.buf.get(after..).unwrap_or_default() {
                [] | [b'\r'] => {
                    if self.buf.len() > self.limits.max_message_len {
                        // Too large however the line ends: skip from the
                        // terminator, as when it had not arrived yet.
                        self.state = State::SkipLegacy;
                        let error = self.error(DecodeErrorKind::MessageTooLarge, term);
                        self.drop_current(term);
                        return Some(Some(Decoded::Error(error)));
                    }
                    // Wait for the end of the terminator's line.
                    self.state = State::LegacyBody {
                        body_start,
                        search_from: term,
                    };
                    return Some(None);
                }
                [b'\n', ..] => break (term, after + 1),
                [b'\r', b'\n', ..] => break (term, after + 2),
                _ => from = term + 1,
            }
        };
        if after > self.limits.max_message_len {
            self.state = State::Skip(SkipLine::Empty);
            let error = self.error(DecodeErrorKind::MessageTooLarge, after);
            self.drop_current(after);
            return Some(Some(Decoded::Error(error)));
        }
        // Split the raw body into lines; text before the terminator on its
        // own line is the last output line.
        let mut line_start = body_start;
        while line_start < term {
            let line_end =
                memchr::memchr(b'\n', &self.buf[line_start..term]).map_or(term, |i| line_start + i);
            let end = if line_end < term {
                content_end(&self.buf, line_end).max(line_start)
            } else {
                line_end
            };
            let error = if end - line_start > self.limits.max_line_len {
                Some(DecodeErrorKind::LineTooLong)
            } else if self.entries.len() >= self.limits.max_headers {
                Some(DecodeErrorKind::TooManyHeaders)
            } else {
                None
            };
            if let Some(kind) = error {
                self.state = State::Skip(SkipLine::Empty);
                let error = self.error(kind, after);
                self.drop_current(after);
                return Some(Some(Decoded::Error(error)));
            }
            self.entries.push(Entry::text(line_start, end));
            line_start = line_end + 1;
        }
        self.follows = false;
        self.legacy_command = true;
        self.scan = after;
        self.state = State::Headers;
        None
    }

    /// Checks the limits against an incomplete line starting at `start`.
    fn check_partial(&mut self, start: usize) -> Option<Decoded> {
        // A trailing '\r' may still become part of the line ending.
        let content = partial_content(&self.buf[start..]);
        let kind = if self.buf.len() > self.limits.max_message_len
            && !(self.entries.is_empty() && content == 0)
        {
            self.size_error(start)
        } else if content > self.limits.max_line_len {
            DecodeErrorKind::LineTooLong
        } else {
            return None;
        };
        Some(self.fail(kind))
    }

    /// The error for a message that grew past `max_message_len` in the line
    /// at `start`: that line may also be too long. Whichever limit the bytes
    /// broke first wins, so that the error does not depend on how the
    /// stream was chunked.
    fn size_error(&self, start: usize) -> DecodeErrorKind {
        let seen = (self.limits.max_message_len + 1).clamp(start, self.buf.len());
        let line = &self.buf[start..seen];
        let content = match memchr::memchr(b'\n', line) {
            Some(nl) => content_end(line, nl),
            None => partial_content(line),
        };
        if content > self.limits.max_line_len {
            DecodeErrorKind::LineTooLong
        } else {
            DecodeErrorKind::MessageTooLarge
        }
    }

    /// Switches to reading the raw body of a legacy answer from `start`.
    fn start_legacy_body(&mut self, start: usize) {
        self.state = State::LegacyBody {
            body_start: start,
            search_from: start,
        };
    }

    /// Builds the message ending at `next` (exclusive).
    fn complete(&mut self, next: usize) -> Decoded {
        let bytes = self.buf.split_to(next).freeze();
        self.consumed += next as u64;
        let kind = self.kind.unwrap_or(MessageKind::Other);
        let message = if self.legacy_command {
            let entries: Arc<[Entry]> = self.entries.as_slice().into();
            Message::legacy(bytes, kind, entries)
        } else {
            // The lines are read off the bytes again when asked for: the
            // same lines, up to the empty one.
            let name = first_header(&bytes).map(|(_, value)| value);
            Message::new(bytes, kind, name)
        };
        self.reset_message();
        Decoded::Message(message)
    }

    /// Reports a broken limit on the current message and skips the rest of
    /// it up to the next empty line, starting with the line at `scan`.
    fn fail(&mut self, kind: DecodeErrorKind) -> Decoded {
        let len = self.buf.len();
        let error = self.error(kind, len);
        let scan = self.scan;
        // The headers of a legacy `Response: Follows` answer are followed by
        // a raw body with empty lines: skip to its terminator instead.
        self.state = if self.follows {
            State::SkipLegacy
        } else {
            State::Skip(SkipLine::Empty)
        };
        self.drop_current(scan);
        Decoded::Error(error)
    }

    /// Reports an overlong banner line and skips that line alone.
    fn fail_banner(&mut self) -> Decoded {
        let error = self.error(DecodeErrorKind::LineTooLong, 0);
        self.state = State::SkipBanner;
        Decoded::Error(error)
    }

    /// Like [`fail`](Self::fail) inside a legacy body, whose empty lines do
    /// not end it: the skipper looks for `--END COMMAND--` instead.
    fn fail_legacy(&mut self, kind: DecodeErrorKind) -> Decoded {
        let len = self.buf.len();
        let error = self.error(kind, len);
        let keep = END_COMMAND.len() - 1;
        self.drop_current(len.saturating_sub(keep));
        Decoded::Error(error)
    }

    fn error(&self, kind: DecodeErrorKind, seen: usize) -> DecodeError {
        let action_id = self
            .entries
            .iter()
            .find_map(|e| match e.line(&self.buf) {
                Line::Header(key, value) if key.eq_ignore_ascii_case("ActionID") => Some(value),
                _ => None,
            })
            .map(|value| Bytes::copy_from_slice(value.as_bytes()));
        let message_kind = self.kind;
        let limit = match kind {
            DecodeErrorKind::LineTooLong => self.limits.max_line_len,
            DecodeErrorKind::MessageTooLarge => self.limits.max_message_len,
            DecodeErrorKind::TooManyHeaders => self.limits.max_headers,
            DecodeErrorKind::Truncated => seen,
        };
        DecodeError::new(kind, self.consumed, limit, message_kind, action_id)
    }

    /// Drops the first `n` bytes of the current message and forgets it.
    fn drop_current(&mut self, n: usize) {
        self.advance(n);
        self.reset_message();
    }

    fn advance(&mut self, n: usize) {
        self.buf.advance(n);
        self.consumed += n as u64;
        self.scan = 0;
        self.newline_free = 0;
    }

    fn reset_message(&mut self) {
        self.entries.clear();
        self.scan = 0;
        self.newline_free = 0;
        self.kind = None;
        self.follows = false;
        self.legacy_command = false;
    }

    /// Discards bytes up to and including the next empty line. Returns
    /// whether it got there.
    fn skip_to_empty_line(&mut self, mut line: SkipLine) -> bool {
        loop {
            match (line, self.buf.first().copied()) {
                (_, None) => {
                    self.state = State::Skip(line);
                    return false;
                }
                (SkipLine::Empty | SkipLine::Cr, Some(b'\n')) => {
                    self.advance(1);
                    self.state = State::Headers;
                    return true;
                }
                (SkipLine::Empty, Some(b'\r')) => {
                    self.advance(1);
                    line = SkipLine::Cr;
                }
                _ => match memchr::memchr(b'\n', &self.buf) {
                    Some(i) => {
                        self.advance(i + 1);
                        line = SkipLine::Empty;
                    }
                    None => {
                        let n = self.buf.len();
                        self.advance(n);
                        line = SkipLine::Content;
                    }
                },
            }
        }
    }

    /// Discards a legacy body up to and including `--END COMMAND--`, then
    /// skips to the empty line after it. Returns whether it found the end.
    fn skip_legacy_body(&mut self) -> bool {
        let mut from = 0;
        loop {
            let Some(p) = memmem::find(&self.buf[from..], END_COMMAND) else {
                let n = self.buf.len().saturating_sub(END_COMMAND.len() - 1);
                self.advance(n.max(from));
                return false;
            };
            let term = from + p;
            let after = term + END_COMMAND.len();
            // Like `decode_legacy_body`: only a terminator that ends its
            // line ends the body.
            match self.buf.get(after..).unwrap_or_default() {
                [] | [b'\r'] => {
                    self.advance(term);
                    return false;
                }
                [b'\n', ..] | [b'\r', b'\n', ..] => {
                    self.advance(after);
                    self.state = State::Skip(SkipLine::Content);
                    return true;
                }
                _ => from = term + 1,
            }
        }
    }
}

/// The length of an incomplete line's content: a trailing `\r` may still
/// become part of its line ending.
fn partial_content(line: &[u8]) -> usize {
    line.len() - usize::from(line.last() == Some(&b'\r'))
}

/// In a legacy `Response: Follows` answer, whether `line` is one of the
/// headers before the raw body (`Privilege`, `ActionID`), or `None` if too
/// little of an incomplete line has arrived to tell.
fn follows_header(line: &[u8], complete: bool) -> Option<bool> {
    const KEYS: [&[u8]; 2] = [b"Privilege", b"ActionID"];
    match memchr::memchr(b':', line) {
        Some(c) => Some(KEYS.iter().any(|k| line[..c].eq_ignore_ascii_case(k))),
        None if complete => Some(false),
        None => {
            let undecided = KEYS
                .iter()
                .any(|k| k.len() >= line.len() && k[..line.len()].eq_ignore_ascii_case(line));
            (!undecided).then_some(false)
        }
    }
}

/// The end of the line whose `\n` is at `nl`, less a `\r` before it.
fn content_end(buf: &[u8], nl: usize) -> usize {
    if nl > 0 && buf[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    }
}

/// A complete message's kind and the range of its first header's value:
/// what [`first_header`] and [`MessageKind::from_first_header`] give, with
/// a shortcut for the two first lines nearly every message has.
#[inline]
fn kind_and_name(message: &[u8]) -> (MessageKind, Option<Range<usize>>) {
    let shortcut = [
        (&b"Event:"[..], MessageKind::Event),
        (&b"Response:"[..], MessageKind::Response),
    ]
    .into_iter()
    .find(|(key, _)| {
        message
            .get(..key.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(key))
    });
    if let Some((key, kind)) = shortcut {
        // `Event`/`Response` hold no colon or `\n`: the first line is a
        // header with that key. The message is complete, so the line ends.
        let value = key.len() + usize::from(message.get(key.len()) == Some(&b' '));
        let nl = find_byte(&message[key.len()..], b'\n').map_or(message.len(), |i| key.len() + i);
        let end = content_end(message, nl).max(value.min(nl));
        return (kind, Some(value.min(end)..end));
    }
    match first_header(message) {
        Some((key, value)) => (MessageKind::from_first_header(&message[key]), Some(value)),
        None => (MessageKind::Other, None),
    }
}
