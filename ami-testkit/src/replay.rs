//! Capture replay: answer a client's actions with the bytes a real
//! Asterisk sent for the same actions.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ami_proto::{Limits, Message, MessageKind, ServerMessage};
use bytes::{Bytes, BytesMut};

use crate::framer::{Frame, Framer};

/// A recorded AMI conversation to replay: what a real Asterisk sent (a
/// capture's `.bin`), cut into the answers to the actions the client sent
/// (its `.sent`).
///
/// The `.bin` is split at each response: a response and the events after
/// it, up to the next response, answer one action. Responses are matched
/// to the `.sent` actions by ActionID, else in order. A session then
/// answers each action it receives with the first unused recorded answer
/// to an action of the same name (a message without `Action`, or a lone
/// empty line, with the answer to one of those), byte for byte — except
/// that the recorded ActionID is replaced by the one the client used
/// (removed if it used none, added to the response if only the client had
/// one). Without a `.sent` (the `legacy/` captures), answers go out in
/// order, whatever the action.
///
/// The banner is the `.bin`'s first line; events recorded before the first
/// response follow it. An answer that says `Goodbye` or `Authentication
/// failed` closes the connection after it, as Asterisk did. Actions with
/// no recorded answer left get the server's live behaviour.
///
/// ```
/// use ami_testkit::Replay;
///
/// let bin = b"Asterisk Call Manager/11.0.0\r\n\
///             Response: Success\r\nActionID: 1\r\nPing: Pong\r\nTimestamp: 1.000001\r\n\r\n";
/// let sent = b"Action: Ping\r\nActionID: 1\r\n\r\n";
/// let replay = Replay::parse(bin, sent).unwrap();
/// assert_eq!(replay.answers(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Replay {
    prologue: Bytes,
    entries: Vec<Entry>,
    in_order: bool,
}

#[derive(Debug, Clone)]
struct Entry {
    /// The action's name, lowercase; `None` for a message without
    /// `Action` or an empty line.
    name: Option<String>,
    action_id: Option<Bytes>,
    parts: Vec<Part>,
    login: Login,
    closes: bool,
}

/// What a recorded answer says about the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Login {
    Unchanged,
    Accepted,
    Refused,
}

#[derive(Debug, Clone)]
struct Part {
    /// The message's bytes and any empty lines that followed it.
    raw: Bytes,
    message: Message,
}

/// Why a capture cannot be replayed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReplayError {
    /// A capture file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A capture holds a message the decoder refuses.
    Decode(String),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Decode(what) => write!(f, "undecodable capture: {what}"),
        }
    }
}

impl std::error::Error for ReplayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Decode(_) => None,
        }
    }
}

/// The `Action` header's value, lowercase, if present and not empty.
pub(crate) fn action_name(message: &Message) -> Option<String> {
    message
        .get("Action")
        .filter(|a| !a.is_empty())
        .map(|a| a.to_str_lossy().to_ascii_lowercase())
}

fn non_empty_id(message: &Message) -> Option<Bytes> {
    message.get_bytes("ActionID").filter(|id| !id.is_empty())
}

fn frames(bytes: &[u8], what: &str) -> Result<Vec<Frame>, ReplayError> {
    let mut framer = Framer::new(Limits::default());
    framer.feed(bytes);
    let mut out = Vec::new();
    while let Some(frame) = framer.next_frame() {
        if let Frame::Error(e) = frame {
            return Err(ReplayError::Decode(format!("{what}: {e}")));
        }
        out.push(frame);
    }
    Ok(out)
}

impl Replay {
    /// Cuts a capture into answers: `bin` is what the server sent, `sent`
    /// what the client sent (may be empty: answers then go out in order).
    pub fn parse(bin: &[u8], sent: &[u8]) -> Result<Self, ReplayError> {
        let mut entries: Vec<Entry> = frames(sent, ".sent")?
            .into_iter()
            .filter_map(|frame| match frame {
                Frame::Message(m) => Some((action_name(&m), non_empty_id(&m))),
                Frame::Empty(_) => Some((None, None)),
                Frame::Banner(_) | Frame::Error(_) => None,
            })
            .map(|(name, action_id)| Entry {
                name,
                action_id,
                parts: Vec::new(),
                login: Login::Unchanged,
                closes: false,
            })
            .collect();
        let in_order = entries.is_empty();

        let mut prologue = BytesMut::new();
        let mut answered = vec![false; entries.len()];
        let mut current: Option<usize> = None;
        for frame in frames(bin, ".bin")? {
            let message = match frame {
                Frame::Banner(b) | Frame::Empty(b) => {
                    match current.and_then(|c| entries[c].parts.last_mut()) {
                        Some(part) => part.raw = [&part.raw[..], &b[..]].concat().into(),
                        None => prologue.extend_from_slice(&b),
                    }
                    continue;
                }
                Frame::Message(m) => m,
                Frame::Error(_) => continue,
            };
            if message.kind() == MessageKind::Response {
                let id = non_empty_id(&message);
                let target = if in_order {
                    entries.push(Entry {
                        name: None,
                        action_id: id.clone(),
                        parts: Vec::new(),
                        login: Login::Unchanged,
                        closes: false,
                    });
                    answered.push(false);
                    Some(entries.len() - 1)
                } else {
                    let by_id = id.as_ref().and_then(|id| {
                        (0..entries.len())
                            .find(|&k| !answered[k] && entries[k].action_id.as_ref() == Some(id))
                    });
                    by_id.or_else(|| (0..entries.len()).find(|&k| !answered[k]))
                };
                if let Some(k) = target {
                    answered[k] = true;
                    current = Some(k);
                    let entry = &mut entries[k];
                    let text = message.get("Message");
                    entry.login = match text {
                        Some(t) if t == "Authentication accepted" => Login::Accepted,
                        Some(t) if t == "Authentication failed" => Login::Refused,
                        _ => Login::Unchanged,
                    };
                    entry.closes = entry.login == Login::Refused
                        || message
                            .name()
                            .is_some_and(|n| n.eq_ignore_ascii_case("Goodbye"));
                }
            }
            let part = Part {
                raw: message.as_bytes().clone(),
                message,
            };
            match current {
                Some(c) => entries[c].parts.push(part),
                None => prologue.extend_from_slice(&part.raw),
            }
        }
        Ok(Self {
            prologue: prologue.freeze(),
            entries,
            in_order,
        })
    }

    /// Reads a capture: `path` names the `.bin` file, the `.sent` file, or
    /// their common stem (`testdata/captures/05-ping`). A missing `.sent`
    /// means answers in order.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ReplayError> {
        let path = path.as_ref();
        let stem = match path.extension().and_then(|e| e.to_str()) {
            Some("bin" | "sent") => path.with_extension(""),
            _ => path.to_path_buf(),
        };
        let with_ext = |ext: &str| {
            let mut p = stem.clone().into_os_string();
            p.push(ext);
            PathBuf::from(p)
        };
        let bin_path = with_ext(".bin");
        let bin = std::fs::read(&bin_path).map_err(|source| ReplayError::Io {
            path: bin_path,
            source,
        })?;
        let sent_path = with_ext(".sent");
        let sent = match std::fs::read(&sent_path) {
            Ok(sent) => sent,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(ReplayError::Io {
                    path: sent_path,
                    source,
                });
            }
        };
        Self::parse(&bin, &sent)
    }

    /// How many recorded answers there are.
    #[must_use]
    pub fn answers(&self) -> usize {
        self.entries.iter().filter(|e| !e.parts.is_empty()).count()
    }

    /// The bytes sent on connect: the banner line and any events recorded
    /// before the first response.
    #[must_use]
    pub fn prologue(&self) -> &[u8] {
        &self.prologue
    }
}

/// A session's progress through a [`Replay`].
#[derive(Debug)]
pub(crate) struct Cursor {
    replay: Arc<Replay>,
    used: Vec<bool>,
}

/// One replayed answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) bytes: Vec<u8>,
    pub(crate) login: Login,
    pub(crate) closes: bool,
}

impl Cursor {
    pub(crate) fn new(replay: Arc<Replay>) -> Self {
        let used = vec![false; replay.entries.len()];
        Self { replay, used }
    }

    pub(crate) fn prologue(&self) -> &Bytes {
        &self.replay.prologue
    }

    /// The recorded answer to `request` (`None`: a lone empty line), if one
    /// is left.
    pub(crate) fn answer(&mut self, request: Option<&Message>) -> Option<Answer> {
        let name = request.and_then(action_name);
        let k = (0..self.replay.entries.len()).find(|&k| {
            let entry = &self.replay.entries[k];
            !self.used[k] && !entry.parts.is_empty() && (self.replay.in_order || entry.name == name)
        })?;
        self.used[k] = true;
        let entry = &self.replay.entries[k];
        let client_id = request.and_then(non_empty_id);
        let mut bytes = Vec::new();
        for (i, part) in entry.parts.iter().enumerate() {
            let is_response = i == 0 && part.message.kind() == MessageKind::Response;
            rewrite(
                &mut bytes,
                part,
                entry.action_id.as_deref(),
                client_id.as_deref(),
                is_response,
            );
        }
        Some(Answer {
            bytes,
            login: entry.login,
            closes: entry.closes,
        })
    }
}

/// Offset of `part` inside `whole` (`part` is a subslice of it).
fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

/// The end of the line whose content ends at `at`: past its `\r\n` or `\n`.
fn past_line_end(raw: &[u8], at: usize) -> usize {
    match &raw[at..] {
        [b'\r', b'\n', ..] => at + 2,
        [b'\n', ..] => at + 1,
        _ => at,
    }
}

/// Appends a recorded message with the client's ActionID in place of the
/// recorded one.
fn rewrite(
    out: &mut Vec<u8>,
    part: &Part,
    recorded: Option<&[u8]>,
    client: Option<&[u8]>,
    is_response: bool,
) {
    let raw = &part.raw[..];
    let whole = part.message.as_bytes();
    let id_header = part
        .message
        .headers()
        .find(|(k, _)| k.eq_ignore_ascii_case("ActionID"));
    match (recorded, id_header, client) {
        (Some(recorded), Some((key, value)), client) if value.as_bytes() == recorded => {
            let value_start = offset_in(whole, value.as_bytes());
            let value_end = value_start + value.len();
            match client {
                Some(client) => {
                    out.extend_from_slice(&raw[..value_start]);
                    out.extend_from_slice(client);
                    out.extend_from_slice(&raw[value_end..]);
                }
                None => {
                    let line_start = offset_in(whole, key.as_bytes());
                    out.extend_from_slice(&raw[..line_start]);
                    out.extend_from_slice(&raw[past_line_end(raw, value_end)..]);
                }
            }
        }
        (None, None, Some(client)) if is_response => {
            let Some((_, first)) = part.message.headers().next() else {
                out.extend_from_slice(raw);
                return;
            };
            let first_end = offset_in(whole, first.as_bytes()) + first.len();
            let next = past_line_end(raw, first_end);
            let line_ending = &raw[first_end..next];
            // The header as the encoder writes it, with the recording's
            // line ending.
            let mut header = ServerMessage::new("ActionID", client)
                .to_bytes()
                .unwrap_or_default();
            header.truncate(header.len().saturating_sub(4));
            out.extend_from_slice(&raw[..next]);
            if !header.is_empty() {
                out.extend_from_slice(&header);
                out.extend_from_slice(line_ending);
            }
            out.extend_from_slice(&raw[next..]);
        }
        _ => out.extend_from_slice(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replayed(bin: &[u8], sent: &[u8], requests: &[&[u8]]) -> Vec<String> {
        let replay = Arc::new(Replay::parse(bin, sent).unwrap());
        let mut cursor = Cursor::new(replay);
        requests
            .iter()
            .map(|r| {
                let msg = crate::wire::decode_one(r);
                let answer = cursor.answer(msg.as_ref());
                answer.map_or("-".into(), |a| String::from_utf8(a.bytes).unwrap())
            })
            .collect()
    }

    const BIN: &[u8] = b"Asterisk Call Manager/11.0.0\r\n\
        Response: Success\r\nActionID: a\r\nPing: Pong\r\n\r\n\
        Response: Success\r\nPing: Pong\r\n\r\n\
        Response: Success\r\nActionID: c\r\nRuleList: x\r\n\r\n\r\n";
    const SENT: &[u8] = b"Action: Ping\r\nActionID: a\r\n\r\n\
        Action: Ping\r\n\r\n\
        Action: QueueRule\r\nActionID: c\r\n\r\n";

    #[test]
    fn rewrites_action_ids() {
        let got = replayed(
            BIN,
            SENT,
            &[
                b"Action: QueueRule\r\nActionID: mine\r\n\r\n",
                b"Action: Ping\r\n\r\n",
                b"Action: Ping\r\nActionID: p2\r\n\r\n",
                b"Action: Ping\r\n\r\n",
            ],
        );
        assert_eq!(
            got,
            [
                "Response: Success\r\nActionID: mine\r\nRuleList: x\r\n\r\n\r\n",
                "Response: Success\r\nPing: Pong\r\n\r\n",
                "Response: Success\r\nActionID: p2\r\nPing: Pong\r\n\r\n",
                "-",
            ]
        );
    }

    #[test]
    fn in_order_without_sent() {
        let got = replayed(
            BIN,
            b"",
            &[
                b"Action: Login\r\nActionID: 1\r\n\r\n",
                b"Action: X\r\n\r\n",
            ],
        );
        assert_eq!(
            got,
            [
                "Response: Success\r\nActionID: 1\r\nPing: Pong\r\n\r\n",
                "Response: Success\r\nPing: Pong\r\n\r\n",
            ]
        );
    }
}
