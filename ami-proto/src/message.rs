//! Decoded AMI messages: one frozen buffer plus the byte ranges of its lines.

use std::fmt;
use std::ops::Range;
use std::str::Utf8Error;
use std::sync::Arc;

use bytes::Bytes;

/// What a message is, decided by its **first** header.
///
/// `Response:` makes a response, `Event:` an event (so `OriginateResponse`,
/// which also carries a `Response:` header further down, is an event),
/// `Action:` an action (what a server or a proxy decodes). Anything else,
/// including a message with no header at all, is [`MessageKind::Other`].
/// The header name is compared without regard to ASCII case, as Asterisk does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// First header `Response:`.
    Response,
    /// First header `Event:`.
    Event,
    /// First header `Action:`.
    Action,
    /// Any other first header, or none.
    Other,
}

impl MessageKind {
    /// Classifies a message by the name of its first header.
    ///
    /// ```
    /// use ami_proto::MessageKind;
    /// assert_eq!(MessageKind::from_first_header(b"event"), MessageKind::Event);
    /// assert_eq!(MessageKind::from_first_header(b"RuleList"), MessageKind::Other);
    /// ```
    #[must_use]
    pub fn from_first_header(name: &[u8]) -> Self {
        if name.eq_ignore_ascii_case(b"Response") {
            Self::Response
        } else if name.eq_ignore_ascii_case(b"Event") {
            Self::Event
        } else if name.eq_ignore_ascii_case(b"Action") {
            Self::Action
        } else {
            Self::Other
        }
    }

    /// The lowercase name used by the decode tool: `response`, `event`,
    /// `action` or `message`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Response => "response",
            Self::Event => "event",
            Self::Action => "action",
            Self::Other => "message",
        }
    }
}

/// A key or a value of a message, borrowed from the message's buffer.
///
/// Values are bytes: Asterisk does not promise UTF-8 (caller names often
/// arrive in Latin-1). [`Value::as_str`] checks; [`Value::to_str_lossy`]
/// replaces bad bytes with U+FFFD, and only when asked.
///
/// ```
/// # use ami_proto::Value;
/// let v = Value::new(b"Success");
/// assert_eq!(v, "Success");
/// assert!(v.eq_ignore_ascii_case("success"));
/// assert_eq!(v.as_str(), Ok("Success"));
/// assert!(Value::new(b"Jos\xe9").as_str().is_err());
/// assert_eq!(Value::new(b"Jos\xe9").to_str_lossy(), "Jos\u{fffd}");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Value<'a>(&'a [u8]);

impl<'a> Value<'a> {
    /// Wraps raw bytes.
    #[must_use]
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }

    /// The raw bytes, exactly as on the wire.
    #[must_use]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The value as `&str` if it is valid UTF-8.
    pub fn as_str(&self) -> Result<&'a str, Utf8Error> {
        std::str::from_utf8(self.0)
    }

    /// The value as text, with invalid UTF-8 replaced by U+FFFD.
    #[must_use]
    pub fn to_str_lossy(&self) -> std::borrow::Cow<'a, str> {
        String::from_utf8_lossy(self.0)
    }

    /// Compares with `other`, ignoring ASCII case.
    #[must_use]
    pub fn eq_ignore_ascii_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.as_bytes())
    }

    /// Length in bytes.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value is empty (`AccountCode: ` gives an empty value).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl AsRef<[u8]> for Value<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0
    }
}

impl PartialEq<str> for Value<'_> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for Value<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<[u8]> for Value<'_> {
    fn eq(&self, other: &[u8]) -> bool {
        self.0 == other
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_str_lossy(), f)
    }
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_str_lossy(), f)
    }
}

/// [`Message::name`] of a message without a header.
const NO_NAME: (u32, u32) = (u32::MAX, u32::MAX);

/// Marks an entry that is a raw text line rather than a `Key: Value` header.
const TEXT: u32 = u32::MAX;

/// One line of a legacy `Command` answer, as offsets into the message's
/// buffer.
///
/// For a header, `start..colon` is the key and `value..end` the value. For a
/// text line, `colon` is [`TEXT`] and `start..end` is the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    start: u32,
    colon: u32,
    value: u32,
    end: u32,
}

impl Entry {
    pub(crate) fn header(start: usize, colon: usize, value: usize, end: usize) -> Self {
        Self {
            start: to_u32(start),
            colon: to_u32(colon),
            value: to_u32(value),
            end: to_u32(end),
        }
    }

    pub(crate) fn text(start: usize, end: usize) -> Self {
        Self {
            start: to_u32(start),
            colon: TEXT,
            value: to_u32(start),
            end: to_u32(end),
        }
    }

    pub(crate) fn line<'a>(&self, buf: &'a [u8]) -> Line<'a> {
        let value = Value(&buf[self.value as usize..self.end as usize]);
        if self.colon == TEXT {
            Line::Text(value)
        } else {
            Line::Header(Value(&buf[self.start as usize..self.colon as usize]), value)
        }
    }
}

#[allow(clippy::cast_possible_truncation)]
fn to_u32(n: usize) -> u32 {
    // The decoder caps messages below 4 GiB (`Limits::max_message_len` is
    // clamped to `u32::MAX - 1`) and only records offsets inside the current
    // message, so offsets always fit.
    debug_assert!(n < u32::MAX as usize);
    n as u32
}

/// One line of a message in wire order: a header or a raw text line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// A `Key: Value` line.
    Header(Value<'a>, Value<'a>),
    /// A line without a colon, or a line of a legacy `Command` body.
    Text(Value<'a>),
}

/// Where a line's header parts are: `Some((colon, value_start))` when the
/// line is a header (its first colon is not its first byte; the value
/// starts after the colon, less one space), `None` when it is text. The
/// one definition of a header, for the line-by-line decoder and for the
/// lines read off a message's bytes alike.
pub(crate) fn header_parts(line: &[u8]) -> Option<(usize, usize)> {
    let colon = find_byte(line, b':').filter(|&c| c > 0)?;
    Some((colon, value_start(line, colon)))
}

/// Where the value of a header line starts, its colon at `colon`: after
/// the colon and one space, if there is one.
#[inline]
fn value_start(line: &[u8], colon: usize) -> usize {
    colon + 1 + usize::from(line.get(colon + 1) == Some(&b' '))
}

/// The first `byte` in `hay`, for the short distances inside one line
/// (keys are a dozen bytes, lines two dozen): eight bytes at a time, with no
/// set-up cost, where a vectorised search pays its set-up on every line.
#[inline]
pub(crate) fn find_byte(hay: &[u8], byte: u8) -> Option<usize> {
    let mut words = hay.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let found = byte_marks(word_of(word), byte);
        if found != 0 {
            return Some(base + first_mark(found));
        }
        base += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == byte)
        .map(|i| base + i)
}

/// Eight bytes of a slice as one little-endian word.
#[inline]
fn word_of(bytes: &[u8]) -> u64 {
    let mut le = [0; 8];
    le.copy_from_slice(bytes);
    u64::from_le_bytes(le)
}

/// Marks where `byte` is in `word`'s eight bytes (little-endian): the
/// lowest set bit marks the first one exactly (a borrow only disturbs the
/// bytes above it); zero when there is none. See [`first_mark`].
#[inline]
fn byte_marks(word: u64, byte: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGH
}

/// The byte that the lowest mark of a non-zero [`byte_marks`] stands for.
#[inline]
fn first_mark(marks: u64) -> usize {
    (marks.trailing_zeros() / 8) as usize
}

/// The key and value ranges of the first header of a message.
pub(crate) fn first_header(buf: &[u8]) -> Option<(Range<usize>, Range<usize>)> {
    let mut pos = 0;
    while let Some((line, next)) = next_line(buf, pos) {
        if let Some((colon, value)) = header_parts(line) {
            return Some((pos..pos + colon, pos + value..pos + line.len()));
        }
        pos = next;
    }
    None
}

/// The value of `line` if it is a header named `key`, a key without a
/// colon: the key is the text before a line's first colon, so a line that
/// starts with `key` and a colon is a match.
#[inline]
fn header_value<'a>(line: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    if line.len() > key.len()
        && line[key.len()] == b':'
        && line[..key.len()].eq_ignore_ascii_case(key)
    {
        Some(&line[value_start(line, key.len())..])
    } else {
        None
    }
}

/// The next line of a header block at `pos`: its content and where the line
/// after it starts, or `None` at the empty line that ends the block (or at
/// the end of `buf`).
#[inline]
pub(crate) fn next_line(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(pos..).filter(|r| !r.is_empty())?;
    let (content, next) = match find_byte(rest, b'\n') {
        Some(nl) => (&rest[..nl], pos + nl + 1),
        None => (rest, buf.len()),
    };
    let content = content.strip_suffix(b"\r").unwrap_or(content);
    (!content.is_empty()).then_some((content, next))
}

/// The next line of a header block at `pos`, split: what [`next_line`]
/// and [`header_parts`] give, in one pass that looks for the line's `\n`
/// and its first `:` together, eight bytes at a time.
#[inline]
fn next_split_line(buf: &[u8], pos: usize) -> Option<(Line<'_>, usize)> {
    let rest = buf.get(pos..).filter(|r| !r.is_empty())?;
    // The first colon of the line so far, if any.
    let mut colon = usize::MAX;
    let mut words = rest.chunks_exact(8);
    let mut base = 0;
    let nl = loop {
        let Some(word) = words.next() else {
            let tail = words.remainder();
            let nl = tail.iter().position(|&b| b == b'\n');
            if colon == usize::MAX {
                let upto = nl.unwrap_or(tail.len());
                if let Some(c) = tail[..upto].iter().position(|&b| b == b':') {
                    colon = base + c;
                }
            }
            break nl.map_or(rest.len(), |i| base + i);
        };
        let w = word_of(word);
        let (nls, colons) = (byte_marks(w, b'\n'), byte_marks(w, b':'));
        if colon == usize::MAX && colons != 0 {
            let at = first_mark(colons);
            // Past this word's `\n`, it is the next line's.
            if nls == 0 || at < first_mark(nls) {
                colon = base + at;
            }
        }
        if nls != 0 {
            break base + first_mark(nls);
        }
        base += 8;
    };
    let next = if nl < rest.len() {
        pos + nl + 1
    } else {
        buf.len()
    };
    let end = nl - usize::from(nl > 0 && rest[nl - 1] == b'\r');
    if end == 0 {
        return None;
    }
    let line = &rest[..end];
    // A header's first colon is not its first byte (and, being no `\r`,
    // lies before `end`).
    let line = if colon > 0 && colon < end {
        Line::Header(
            Value(&line[..colon]),
            Value(&line[value_start(line, colon)..]),
        )
    } else {
        Line::Text(Value(line))
    };
    Some((line, next))
}

/// The lines of a message: read off its bytes on demand, or, for a legacy
/// `Command` answer, from the table the decoder built.
enum LinesInner<'a> {
    Wire {
        buf: &'a [u8],
        pos: usize,
    },
    Table {
        buf: &'a [u8],
        entries: std::slice::Iter<'a, Entry>,
    },
}

/// Iterator over the lines of a [`Message`], from [`Message::lines`]: each
/// line is read off the message's bytes as the iterator reaches it.
///
/// ```
/// use ami_proto::{Decoder, Decoded, Line};
///
/// let mut decoder = Decoder::new();
/// decoder.feed(b"Response: Success\r\nno colon here\r\nOutput: a: b\r\n\r\n");
/// let Some(Decoded::Message(msg)) = decoder.decode() else { panic!() };
/// let mut lines = msg.lines();
/// assert!(matches!(lines.next(), Some(Line::Header(k, v)) if k == "Response" && v == "Success"));
/// assert!(matches!(lines.next(), Some(Line::Text(t)) if t == "no colon here"));
/// assert!(matches!(lines.next(), Some(Line::Header(k, v)) if k == "Output" && v == "a: b"));
/// assert!(lines.next().is_none());
/// ```
pub struct Lines<'a>(LinesInner<'a>);

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    #[inline]
    fn next(&mut self) -> Option<Line<'a>> {
        match &mut self.0 {
            LinesInner::Wire { buf, pos } => {
                let (line, next) = next_split_line(buf, *pos)?;
                *pos = next;
                Some(line)
            }
            LinesInner::Table { buf, entries } => entries.next().map(|e| e.line(buf)),
        }
    }
}

impl fmt::Debug for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lines").finish_non_exhaustive()
    }
}

/// A complete AMI message: response, event, action or other header block.
///
/// The message is one frozen [`Bytes`] buffer holding its wire bytes, a
/// slice of the decoder's buffer: decoding it allocated nothing, cloning
/// it costs a reference count, and nothing borrows the decoder. Lines are
/// read off the bytes when asked for (the decoder only framed the message
/// and read its first header), so a message nobody looks into costs
/// nothing more. Header lookup ignores ASCII case; keys keep the case they
/// came in; repeated keys keep every value in wire order.
///
/// Each lookup reads the lines from the start; to look at many headers of
/// one message, one pass over [`Message::headers`] is the cheapest.
///
/// ```
/// use ami_proto::{Decoder, Decoded, MessageKind};
///
/// let mut decoder = Decoder::new();
/// decoder.feed(b"Event: UserEvent\r\nRepeated: first\r\nrepeated: second\r\nEmpty: \r\n\r\n");
/// let Some(Decoded::Message(msg)) = decoder.decode() else { panic!("a message") };
/// assert_eq!(msg.kind(), MessageKind::Event);
/// assert_eq!(msg.name().unwrap(), "UserEvent");
/// assert_eq!(msg.get("REPEATED").unwrap(), "first");
/// let all: Vec<_> = msg.get_all("repeated").collect();
/// assert_eq!(all, ["first", "second"]);
/// assert_eq!(msg.get("Empty").unwrap(), "");
/// assert!(msg.get("Missing").is_none());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    bytes: Bytes,
    kind: MessageKind,
    /// Where the first header's value is, [`NO_NAME`] when there is none:
    /// every consumer dispatches on it, so the decoder, which read it
    /// anyway, keeps it.
    name: (u32, u32),
    /// The line table of a legacy `Command` answer, whose body lines are
    /// text whatever they hold and whose last line may end at the
    /// terminator; `None` for every other message.
    legacy: Option<Arc<[Entry]>>,
}

impl Message {
    /// A message whose lines are read off `bytes`: every line up to the
    /// first empty one. `name` is the range of its first header's value.
    pub(crate) fn new(bytes: Bytes, kind: MessageKind, name: Option<Range<usize>>) -> Self {
        Self {
            bytes,
            kind,
            name: name.map_or(NO_NAME, |r| (to_u32(r.start), to_u32(r.end))),
            legacy: None,
        }
    }

    /// A legacy `Command` answer with the decoder's line table.
    pub(crate) fn legacy(bytes: Bytes, kind: MessageKind, entries: Arc<[Entry]>) -> Self {
        let name = first_header(&bytes).map(|(_, value)| value);
        Self {
            legacy: Some(entries),
            ..Self::new(bytes, kind, name)
        }
    }

    /// The kind, decided by the first header.
    #[must_use]
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// The value of the first header: the event name, the response status
    /// (`Success`, `Error`, `Follows`, `Goodbye`) or the action name.
    #[must_use]
    pub fn name(&self) -> Option<Value<'_>> {
        (self.name != NO_NAME)
            .then(|| Value(&self.bytes[self.name.0 as usize..self.name.1 as usize]))
    }

    /// The first value of header `key` (ASCII case ignored).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Value<'_>> {
        let key = key.as_bytes();
        if self.legacy.is_some() {
            return self
                .headers()
                .find(|(k, _)| k.0.eq_ignore_ascii_case(key))
                .map(|(_, v)| v);
        }
        // No key holds a colon or is empty: such a name matches nothing.
        if key.is_empty() || key.contains(&b':') {
            return None;
        }
        let buf = &self.bytes[..];
        let mut pos = 0;
        while let Some((line, next)) = next_line(buf, pos) {
            if let Some(value) = header_value(line, key) {
                return Some(Value(value));
            }
            pos = next;
        }
        None
    }

    /// The first value of header `key` as a zero-copy [`Bytes`] slice of the
    /// message buffer, for keeping a value beyond the message's borrow.
    #[must_use]
    pub fn get_bytes(&self, key: &str) -> Option<Bytes> {
        let value = self.get(key)?;
        Some(self.bytes.slice_ref(value.as_bytes()))
    }

    /// Every value of header `key` (ASCII case ignored), in wire order.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = Value<'a>> + 'a {
        let key = key.as_bytes();
        self.headers()
            .filter(move |(k, _)| k.0.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// Whether header `key` is present (ASCII case ignored).
    #[must_use]
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The `ActionID` header, if any.
    #[must_use]
    pub fn action_id(&self) -> Option<Value<'_>> {
        self.get("ActionID")
    }

    /// Every `Key: Value` header in wire order, keys in their wire case.
    pub fn headers(&self) -> impl Iterator<Item = (Value<'_>, Value<'_>)> + '_ {
        self.lines().filter_map(|line| match line {
            Line::Header(k, v) => Some((k, v)),
            Line::Text(_) => None,
        })
    }

    /// The number of headers.
    #[must_use]
    pub fn header_count(&self) -> usize {
        self.headers().count()
    }

    /// The raw text lines in wire order: the body of a legacy (Asterisk ≤ 13)
    /// `Response: Follows` Command answer, and any colon-less line. Line
    /// endings are removed; nothing else is.
    pub fn text_lines(&self) -> impl Iterator<Item = Value<'_>> + '_ {
        self.lines().filter_map(|line| match line {
            Line::Text(t) => Some(t),
            Line::Header(..) => None,
        })
    }

    /// Every line in wire order, headers and text lines interleaved as sent.
    pub fn lines(&self) -> Lines<'_> {
        let buf = &self.bytes[..];
        Lines(match &self.legacy {
            Some(entries) => LinesInner::Table {
                buf,
                entries: entries.iter(),
            },
            None => LinesInner::Wire { buf, pos: 0 },
        })
    }

    /// Whether this is a legacy `Response: Follows` Command answer whose raw
    /// body ended with `--END COMMAND--` (Asterisk 1.4 to 13). Its output
    /// lines are [`Message::text_lines`].
    #[must_use]
    pub fn is_legacy_command(&self) -> bool {
        self.legacy.is_some()
    }

    /// The message exactly as it came off the wire, line endings and the
    /// closing empty line included.
    #[must_use]
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Shown<'a>(&'a Message);
        impl fmt::Debug for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut list = f.debug_list();
                for line in self.0.lines() {
                    match line {
                        Line::Header(k, _) if is_secret_key(k.as_bytes()) => {
                            list.entry(&(k, "<redacted>"));
                        }
                        Line::Header(k, v) => {
                            list.entry(&(k, v));
                        }
                        Line::Text(t) => {
                            list.entry(&t);
                        }
                    }
                }
                list.finish()
            }
        }
        f.debug_struct("Message")
            .field("kind", &self.kind)
            .field("lines", &Shown(self))
            .finish()
    }
}

/// Whether a header carries a credential that must never be printed:
/// `Secret` (plaintext login) and `Key` (MD5 login).
///
/// `Key` is also a plain data header in some events (`DBGetResponse`), so
/// this errs on the side of hiding; raw access is unaffected.
#[must_use]
pub fn is_secret_key(key: &[u8]) -> bool {
    key.eq_ignore_ascii_case(b"Secret") || key.eq_ignore_ascii_case(b"Key")
}

/// The banner line a server sends on connect, such as
/// `Asterisk Call Manager/11.0.0`.
#[derive(Clone, PartialEq, Eq)]
pub struct Banner {
    line: Bytes,
    slash: Option<usize>,
}

impl Banner {
    pub(crate) fn new(line: Bytes) -> Self {
        let slash = memchr::memrchr(b'/', &line);
        Self { line, slash }
    }

    /// The whole line without its line ending.
    #[must_use]
    pub fn line(&self) -> Value<'_> {
        Value(&self.line)
    }

    /// The AMI version: what follows the last `/` (`11.0.0` for Asterisk 22,
    /// `2.x` for Asterisk 13, `1.0` for 1.4).
    ///
    /// ```
    /// # use ami_proto::{Decoder, Decoded};
    /// let mut d = Decoder::new();
    /// d.feed(b"Asterisk Call Manager/11.0.0\r\n");
    /// let Some(Decoded::Banner(b)) = d.decode() else { panic!() };
    /// assert_eq!(b.version().unwrap(), "11.0.0");
    /// assert_eq!(b.product(), "Asterisk Call Manager");
    /// ```
    #[must_use]
    pub fn version(&self) -> Option<Value<'_>> {
        self.slash.map(|s| Value(&self.line[s + 1..]))
    }

    /// The part before the version: `Asterisk Call Manager`.
    #[must_use]
    pub fn product(&self) -> Value<'_> {
        Value(&self.line[..self.slash.unwrap_or(self.line.len())])
    }
}

impl fmt::Debug for Banner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Banner").field(&self.line()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines as [`next_line`] and [`header_parts`] find them: the
    /// definition [`next_split_line`] must match.
    fn reference(buf: &[u8]) -> Vec<(Line<'_>, usize)> {
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some((content, next)) = next_line(buf, pos) {
            let line = match header_parts(content) {
                Some((colon, value)) => {
                    Line::Header(Value(&content[..colon]), Value(&content[value..]))
                }
                None => Line::Text(Value(content)),
            };
            out.push((line, next));
            pos = next;
        }
        out
    }

    fn split(buf: &[u8]) -> Vec<(Line<'_>, usize)> {
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some((line, next)) = next_split_line(buf, pos) {
            out.push((line, next));
            pos = next;
        }
        out
    }

    #[test]
    fn one_pass_lines_across_word_edges() {
        for key in 0..20 {
            for value in 0..20 {
                for ending in [&b"\r\n"[..], b"\n", b"\r", b""] {
                    let mut buf = vec![b'k'; key];
                    buf.extend_from_slice(b": ");
                    buf.extend(std::iter::repeat_n(b'v', value));
                    buf.extend_from_slice(b":x");
                    buf.extend_from_slice(ending);
                    buf.extend_from_slice(b"next: line\r\n\r\n");
                    assert_eq!(split(&buf), reference(&buf), "{key} {value} {ending:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn one_pass_lines_are_the_lines(buf in proptest::collection::vec(
            proptest::sample::select(&b"\n\r:: ab"[..]), 0..200)) {
            proptest::prop_assert_eq!(split(&buf), reference(&buf));
        }
    }
}
