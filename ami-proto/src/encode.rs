//! The encoder: actions for clients, responses and events for servers.

use std::fmt;

use crate::decode::END_COMMAND;
use crate::error::EncodeError;
use crate::message::is_secret_key;

/// The longest line Asterisk reads, its CRLF included (`main/manager.c`
/// keeps 1024 bytes of input per line and discards longer lines).
pub const MAX_ACTION_LINE: usize = 1024;

/// The most headers Asterisk keeps in one message (`AST_MAX_MANHEADERS`);
/// further ones are silently dropped, so the encoder refuses them.
pub const MAX_ACTION_HEADERS: usize = 128;

/// An ordered list of headers, repeated names allowed, shared by
/// [`Action`] and [`ServerMessage`].
#[derive(Clone, Default, PartialEq, Eq)]
struct Headers(Vec<(Vec<u8>, Vec<u8>)>);

impl Headers {
    fn push(&mut self, name: &[u8], value: &[u8]) {
        self.0.push((name.to_vec(), value.to_vec()));
    }

    fn get(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.as_slice())
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.0.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for (k, v) in self.iter() {
            let k = String::from_utf8_lossy(k);
            if is_secret_key(k.as_bytes()) {
                list.entry(&(k, "<redacted>"));
            } else {
                list.entry(&(k, String::from_utf8_lossy(v)));
            }
        }
        list.finish()
    }
}

/// Whether the encoder also applies Asterisk's input limits (for actions,
/// which Asterisk reads) or only the framing rules (for what a server sends).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strictness {
    AsteriskInput,
    FramingOnly,
}

fn check_name(name: &[u8]) -> Result<(), EncodeError> {
    if name.is_empty() {
        return Err(EncodeError::EmptyName);
    }
    if let Some(&byte) = name
        .iter()
        .find(|&&b| b == b':' || b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(EncodeError::BadName {
            name: String::from_utf8_lossy(name).into_owned(),
            byte,
        });
    }
    Ok(())
}

fn check_header(name: &[u8], value: &[u8], strictness: Strictness) -> Result<(), EncodeError> {
    check_name(name)?;
    if let Some(i) = memchr::memchr3(b'\r', b'\n', 0, value) {
        return Err(EncodeError::BadValue {
            name: String::from_utf8_lossy(name).into_owned(),
            byte: value[i],
        });
    }
    let len = name.len() + 2 + value.len() + 2;
    if strictness == Strictness::AsteriskInput && len > MAX_ACTION_LINE {
        return Err(EncodeError::LineTooLong {
            name: String::from_utf8_lossy(name).into_owned(),
            len,
            max: MAX_ACTION_LINE,
        });
    }
    Ok(())
}

fn write_header(buf: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    buf.reserve(name.len() + value.len() + 4);
    buf.extend_from_slice(name);
    buf.extend_from_slice(b": ");
    buf.extend_from_slice(value);
    buf.extend_from_slice(b"\r\n");
}

/// Validates a whole block (first header, optional ActionID, the rest),
/// then writes it, so that `buf` is untouched on error.
fn encode_block(
    buf: &mut Vec<u8>,
    first: (&[u8], &[u8]),
    action_id: Option<&[u8]>,
    headers: &Headers,
    strictness: Strictness,
) -> Result<(), EncodeError> {
    let id = action_id.map(|id| (&b"ActionID"[..], id));
    let all = || std::iter::once(first).chain(id).chain(headers.iter());
    let count = 1 + usize::from(id.is_some()) + headers.0.len();
    if strictness == Strictness::AsteriskInput && count > MAX_ACTION_HEADERS {
        return Err(EncodeError::TooManyHeaders {
            count,
            max: MAX_ACTION_HEADERS,
        });
    }
    for (name, value) in all() {
        check_header(name, value, strictness)?;
    }
    if strictness == Strictness::AsteriskInput
        && let Some((_, second)) = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(b"Action"))
    {
        return Err(EncodeError::SecondAction {
            second: String::from_utf8_lossy(second).into_owned(),
        });
    }
    for (name, value) in all() {
        write_header(buf, name, value);
    }
    buf.extend_from_slice(b"\r\n");
    Ok(())
}

/// An action to send to Asterisk: a name, an optional `ActionID`, and
/// headers in order, repeated names allowed (`Variable` several times).
///
/// Building never fails; [`encode`](Action::encode) checks everything and
/// refuses, with a typed [`EncodeError`], what Asterisk would misread or
/// reject: a CR or LF in a name or value (action injection), NUL, a name with
/// `:` or white space, an empty name, a line over 1024 bytes, more than 128
/// headers, a second `Action` header.
///
/// A header named `ActionID` (any case) sets the action's ActionID instead of
/// being added a second time. When no ActionID is set, the client state
/// machine assigns one.
///
/// ```
/// use ami_proto::Action;
///
/// let action = Action::new("Originate")
///     .header("Channel", "Local/100@default")
///     .header("Variable", "a=1")
///     .header("Variable", "b=2")
///     .action_id("42");
/// assert_eq!(
///     action.to_bytes().unwrap(),
///     b"Action: Originate\r\nActionID: 42\r\nChannel: Local/100@default\r\n\
///       Variable: a=1\r\nVariable: b=2\r\n\r\n"
/// );
///
/// let injected = Action::new("Ping").header("X", "1\r\nAction: Logoff");
/// assert!(injected.to_bytes().is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Action {
    name: Vec<u8>,
    action_id: Option<Vec<u8>>,
    headers: Headers,
}

impl Action {
    /// A new action named `name` (`Ping`, `Originate`, …).
    #[must_use]
    pub fn new(name: impl AsRef<[u8]>) -> Self {
        Self {
            name: name.as_ref().to_vec(),
            action_id: None,
            headers: Headers::default(),
        }
    }

    /// Adds a header (builder style). `ActionID` sets the action's id.
    #[must_use]
    pub fn header(mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        self.push_header(name, value);
        self
    }

    /// Adds a header. `ActionID` sets the action's id.
    pub fn push_header(&mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let (name, value) = (name.as_ref(), value.as_ref());
        if name.eq_ignore_ascii_case(b"ActionID") {
            self.action_id = Some(value.to_vec());
        } else {
            self.headers.push(name, value);
        }
    }

    /// Sets the ActionID (builder style).
    #[must_use]
    pub fn action_id(mut self, id: impl AsRef<[u8]>) -> Self {
        self.set_action_id(id);
        self
    }

    /// Sets the ActionID.
    pub fn set_action_id(&mut self, id: impl AsRef<[u8]>) {
        self.action_id = Some(id.as_ref().to_vec());
    }

    /// The ActionID, if set.
    #[must_use]
    pub fn get_action_id(&self) -> Option<&[u8]> {
        self.action_id.as_deref()
    }

    /// The action's name.
    #[must_use]
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The first value of header `name` (ASCII case ignored); `ActionID` is
    /// not a header here, see [`get_action_id`](Self::get_action_id).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name)
    }

    /// The headers in order, without `Action` and `ActionID`.
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.headers.iter()
    }

    /// Checks the action against every rule [`encode`](Self::encode) applies.
    pub fn validate(&self) -> Result<(), EncodeError> {
        self.encode(&mut Vec::new())
    }

    /// Appends the action's wire form to `buf`; on error `buf` is untouched.
    pub fn encode(&self, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_block(
            buf,
            (b"Action", &self.name),
            self.action_id.as_deref(),
            &self.headers,
            Strictness::AsteriskInput,
        )
    }

    /// The action's wire form.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut buf = Vec::new();
        self.encode(&mut buf)?;
        Ok(buf)
    }
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Action")
            .field("name", &String::from_utf8_lossy(&self.name))
            .field(
                "action_id",
                &self.action_id.as_deref().map(String::from_utf8_lossy),
            )
            .field("headers", &self.headers)
            .finish()
    }
}

/// A message a server sends: a response, an event, or any header block.
/// For test servers and proxies.
///
/// Encoding applies the framing rules (no CR, LF or NUL in a value, a valid
/// name) but not Asterisk's input limits, since Asterisk's own output has
/// long lines and many headers (`Output:` lines).
///
/// ```
/// use ami_proto::ServerMessage;
///
/// let pong = ServerMessage::response("Success")
///     .header("ActionID", "p1")
///     .header("Ping", "Pong");
/// assert_eq!(
///     pong.to_bytes().unwrap(),
///     b"Response: Success\r\nActionID: p1\r\nPing: Pong\r\n\r\n"
/// );
/// let hangup = ServerMessage::event("Hangup").header("Channel", "PJSIP/100-0001");
/// assert!(hangup.to_bytes().unwrap().starts_with(b"Event: Hangup\r\n"));
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ServerMessage {
    first: (Vec<u8>, Vec<u8>),
    headers: Headers,
}

impl ServerMessage {
    /// A block whose first header is `name: value`.
    #[must_use]
    pub fn new(name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        Self {
            first: (name.as_ref().to_vec(), value.as_ref().to_vec()),
            headers: Headers::default(),
        }
    }

    /// `Response: <status>` (`Success`, `Error`, `Goodbye`, …).
    #[must_use]
    pub fn response(status: impl AsRef<[u8]>) -> Self {
        Self::new("Response", status)
    }

    /// `Event: <name>`.
    #[must_use]
    pub fn event(name: impl AsRef<[u8]>) -> Self {
        Self::new("Event", name)
    }

    /// Adds a header (builder style), repeated names allowed.
    #[must_use]
    pub fn header(mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        self.push_header(name, value);
        self
    }

    /// Adds a header, repeated names allowed.
    pub fn push_header(&mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        self.headers.push(name.as_ref(), value.as_ref());
    }

    /// Appends the wire form to `buf`; on error `buf` is untouched.
    pub fn encode(&self, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_block(
            buf,
            (&self.first.0, &self.first.1),
            None,
            &self.headers,
            Strictness::FramingOnly,
        )
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut buf = Vec::new();
        self.encode(&mut buf)?;
        Ok(buf)
    }
}

/// Appends a legacy (Asterisk 1.4 – 13) `Command` answer to `buf`:
/// `Response: Follows`, `Privilege: Command`, the ActionID if any, the raw
/// output, and `--END COMMAND--`, exactly as those versions wrote it. For
/// test servers that play an old Asterisk.
///
/// `output` is the raw CLI text, lines ended by `\n`; when it does not end
/// with `\n`, the terminator follows its last line directly, as Asterisk did.
/// It is refused if it contains `--END COMMAND--` (the client would stop
/// reading there) and the ActionID is checked like any value.
///
/// ```
/// use ami_proto::encode_legacy_command;
/// let mut buf = Vec::new();
/// encode_legacy_command(&mut buf, Some(b"2"), b"line 1\n\nline: 3\n").unwrap();
/// assert_eq!(
///     buf,
///     b"Response: Follows\r\nPrivilege: Command\r\nActionID: 2\r\n\
///       line 1\n\nline: 3\n--END COMMAND--\r\n\r\n"
/// );
/// ```
pub fn encode_legacy_command(
    buf: &mut Vec<u8>,
    action_id: Option<&[u8]>,
    output: &[u8],
) -> Result<(), EncodeError> {
    if let Some(id) = action_id {
        check_header(b"ActionID", id, Strictness::FramingOnly)?;
    }
    if memchr::memmem::find(output, END_COMMAND).is_some() {
        return Err(EncodeError::OutputHoldsTerminator);
    }
    buf.extend_from_slice(b"Response: Follows\r\nPrivilege: Command\r\n");
    if let Some(id) = action_id {
        write_header(buf, b"ActionID", id);
    }
    buf.extend_from_slice(output);
    buf.extend_from_slice(END_COMMAND);
    buf.extend_from_slice(b"\r\n\r\n");
    Ok(())
}
