//! Small helpers over ami-proto's encoder and decoder: answering an action
//! the way Asterisk does, event lists, event masks, timestamps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use ami_proto::{Decoded, Decoder, EventMask, Message, ServerMessage};

/// The action's ActionID when present and not empty.
pub(crate) fn action_id(action: &Message) -> Option<&[u8]> {
    action
        .action_id()
        .filter(|id| !id.is_empty())
        .map(|id| id.as_bytes())
}

/// Adds the ActionID header when the action had one.
pub(crate) fn with_id(msg: ServerMessage, id: Option<&[u8]>) -> ServerMessage {
    match id {
        Some(id) => msg.header("ActionID", id),
        None => msg,
    }
}

/// `Response: Success` + `Message: <text>` (`astman_send_ack`).
pub(crate) fn ack(action: &Message, text: &str) -> ServerMessage {
    ServerMessage::response_to(action, "Success").header("Message", text)
}

/// `Response: Error` + `Message: <text>` (`astman_send_error`).
pub(crate) fn error(action: &Message, text: &str) -> ServerMessage {
    ServerMessage::response_to(action, "Error").header("Message", text)
}

/// Encodes messages back to back. A message the encoder refuses (a CR or
/// LF in a value given by a test) is replaced by nothing: the encoder is
/// the judge of what may go on the wire.
pub(crate) fn encode_all<'a>(messages: impl IntoIterator<Item = &'a ServerMessage>) -> Vec<u8> {
    let mut buf = Vec::new();
    for message in messages {
        let _ = message.encode(&mut buf);
    }
    buf
}

/// A whole event list: the `Success` response with `EventList: start`, the
/// items, and the `…Complete` event with `EventList: Complete` and
/// `ListItems: N` (then `extra` headers).
pub(crate) fn event_list(
    action: &Message,
    text: &str,
    items: Vec<ServerMessage>,
    complete: &str,
    extra_count_headers: &[&str],
) -> Vec<ServerMessage> {
    let count = items.len().to_string();
    let mut done = with_id(ServerMessage::event(complete), action_id(action))
        .header("EventList", "Complete")
        .header("ListItems", &count);
    for name in extra_count_headers {
        done = done.header(name, &count);
    }
    let mut out = Vec::with_capacity(items.len() + 2);
    out.push(
        ServerMessage::response_to(action, "Success")
            .header("EventList", "start")
            .header("Message", text),
    );
    out.extend(items);
    out.push(done);
    out
}

/// Decodes what a [`ServerMessage`] encodes to, to read its headers back.
pub(crate) fn decode_server_message(message: &ServerMessage) -> Option<Message> {
    let bytes = message.to_bytes().ok()?;
    decode_one(&bytes)
}

/// Decodes the first message of `bytes`.
pub(crate) fn decode_one(bytes: &[u8]) -> Option<Message> {
    let mut decoder = Decoder::new();
    // Not the first line of a stream from the decoder's point of view:
    // nothing here is a banner, but say so anyway by leading with a CRLF.
    decoder.feed(b"\r\n");
    decoder.feed(bytes);
    loop {
        match decoder.decode()? {
            Decoded::Message(message) => return Some(message),
            Decoded::Banner(_) | Decoded::Error(_) => {}
        }
    }
}

/// Decodes every message of `bytes`.
pub(crate) fn decode_all(bytes: &[u8]) -> Vec<Message> {
    let mut decoder = Decoder::new();
    decoder.feed(b"\r\n");
    decoder.feed(bytes);
    let mut out = Vec::new();
    while let Some(decoded) = decoder.decode() {
        if let Decoded::Message(message) = decoded {
            out.push(message);
        }
    }
    out
}

/// Asterisk's `ast_true`.
pub(crate) fn is_true(value: &str) -> bool {
    ["yes", "true", "y", "t", "1", "on"]
        .iter()
        .any(|t| value.trim().eq_ignore_ascii_case(t))
}

/// Asterisk's `ast_false`.
fn is_false(value: &str) -> bool {
    ["no", "false", "n", "f", "0", "off"]
        .iter()
        .any(|t| value.trim().eq_ignore_ascii_case(t))
}

/// Which events a session receives (`Events:` at login, the `Events`
/// action): all, none, or the listed classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EventFilter {
    All,
    Off,
    Classes(Vec<String>),
}

impl EventFilter {
    /// Parses a mask as Asterisk's `set_eventmask` does: a true or false
    /// word, a number, or a comma-separated class list.
    pub(crate) fn parse(mask: &str) -> Self {
        let mask = mask.trim();
        if is_true(mask) {
            return Self::All;
        }
        if is_false(mask) {
            return Self::Off;
        }
        if !mask.is_empty() && mask.bytes().all(|b| b.is_ascii_digit()) {
            return Self::All;
        }
        let classes: Vec<String> = mask
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        if classes.iter().any(|c| c == "all") {
            Self::All
        } else if classes.is_empty() {
            Self::Off
        } else {
            Self::Classes(classes)
        }
    }

    pub(crate) fn from_mask(mask: &EventMask) -> Self {
        Self::parse(mask.as_header_value())
    }

    pub(crate) fn is_on(&self) -> bool {
        *self != Self::Off
    }

    /// Whether the session gets `class` events (`system`, `call`, …).
    pub(crate) fn has_class(&self, class: &str) -> bool {
        match self {
            Self::All => true,
            Self::Off => false,
            Self::Classes(classes) => classes.iter().any(|c| c.eq_ignore_ascii_case(class)),
        }
    }

    /// Whether an event goes to the session: by its `Privilege` classes;
    /// an event without `Privilege` goes to every session with events on.
    pub(crate) fn admits(&self, event: &Message) -> bool {
        match (self, event.get("Privilege")) {
            (Self::Off, _) => false,
            (Self::All, _) | (_, None) => true,
            (Self::Classes(_), Some(privilege)) => privilege
                .to_str_lossy()
                .split(',')
                .map(str::trim)
                .filter(|c| !c.eq_ignore_ascii_case("all"))
                .any(|c| self.has_class(c)),
        }
    }
}

/// Seconds and microseconds since the epoch, as Ping's `Timestamp`.
pub(crate) fn timestamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:06}", now.as_secs(), now.subsec_micros())
}

/// A small xorshift generator: challenges and the busy PBX's choices need
/// variety, not cryptographic strength.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos().into());
        let seed = nanos ^ COUNTER.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        Self(seed | 1)
    }

    /// A generator that gives the same numbers for the same seed
    /// (splitmix64 of the seed, so that 0 and 1 differ too).
    pub(crate) fn seeded(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Self((z ^ (z >> 31)) | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(bytes: &[u8]) -> Message {
        decode_one(bytes).unwrap()
    }

    #[test]
    fn respond_skips_empty_action_id() {
        let with = msg(b"Action: Ping\r\nActionID: 7\r\n\r\n");
        let empty = msg(b"Action: Ping\r\nActionID: \r\n\r\n");
        assert_eq!(
            ServerMessage::response_to(&with, "Success")
                .to_bytes()
                .unwrap(),
            b"Response: Success\r\nActionID: 7\r\n\r\n"
        );
        assert_eq!(
            ServerMessage::response_to(&empty, "Success")
                .to_bytes()
                .unwrap(),
            b"Response: Success\r\n\r\n"
        );
    }

    #[test]
    fn event_filter() {
        let call = msg(b"Event: Newchannel\r\nPrivilege: call,all\r\n\r\n");
        let bare = msg(b"Event: Custom\r\n\r\n");
        assert_eq!(EventFilter::parse("on"), EventFilter::All);
        assert_eq!(EventFilter::parse("off"), EventFilter::Off);
        assert_eq!(EventFilter::parse("system,all"), EventFilter::All);
        let mask = EventFilter::parse("user, Call");
        assert!(mask.admits(&call));
        assert!(mask.admits(&bare));
        assert!(!EventFilter::parse("system").admits(&call));
        assert!(!EventFilter::Off.admits(&bare));
        assert!(mask.has_class("user") && !mask.has_class("system"));
    }

    #[test]
    fn lists() {
        let action = msg(b"Action: CoreShowChannels\r\nActionID: l\r\n\r\n");
        let list = event_list(
            &action,
            "Channels will follow",
            vec![],
            "CoreShowChannelsComplete",
            &[],
        );
        assert_eq!(
            encode_all(&list),
            b"Response: Success\r\nActionID: l\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n\
              Event: CoreShowChannelsComplete\r\nActionID: l\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
        );
    }
}
