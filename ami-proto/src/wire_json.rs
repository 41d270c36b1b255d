//! JSON (any `serde` format) of the wire types (feature `serde`): how messages, responses, decoded
//! items and typed events serialize, and the one rendering of a value that
//! loses nothing.
//!
//! # Values
//!
//! A [`Value`] that is valid UTF-8 is a string. One that is not (a Latin-1
//! `CallerIDName: Jos\xe9` from an old phone or trunk) is an object with one
//! key, `latin1`, whose string holds one character per byte, U+0000 to
//! U+00FF: `{"latin1":"José"}`. Every byte comes back
//! ([`ValueBuf`] reads both forms), and a U+FFFD appears only where the
//! wire had one (as the three bytes of its UTF-8).
//!
//! # Messages
//!
//! A [`Message`] is a list of its lines in wire order, repeated keys kept:
//! a header is a `[key, value]` pair, a line without a colon (a legacy
//! `Command` body, or a stray line) is a bare value:
//! `[["Response","Follows"],["Privilege","Command"],"line 1","line 2"]`.
//!
//! A [`Response`] is `{"response": message, "events": [message, …],
//! "completion": message or null, "output": [value, …]}` (`output` is
//! [`Response::output`], the same for both server formats).
//!
//! (A client's `Incoming`, in `ami-client`, is `{"event": message}`,
//! `{"lost": n}`, `{"disconnected": "reason"}` or `"reconnected"`.)
//!
//! A [`Decoded`] item is what the decode tool prints:
//! `{"kind":"banner","version":…}`, `{"kind":"error","error":"…"}`, or
//! `{"kind":"event"|"response"|"action"|"message","fields":[[key, value], …]}`
//! with `"output":[line, …]`, the message's lines without a colon, when it
//! has any, and always for a legacy `Response: Follows` answer (empty when
//! the command printed nothing).
//!
//! A typed event ([`typed::Event`](crate::typed::Event) or a view, feature
//! `typed`) is a message whose documented typed headers hold parsed values:
//! integers as numbers, booleans as booleans, enumerations by name (their
//! variant's: `Up`, `DialingOffhook`, `Ringing` for a `QueueMemberStatus`'s
//! `Status: 6`; a value the docs do not list as sent), a timestamp as Unix seconds (a number with the microseconds as
//! fraction), an `EventTV` as `{"unix": secs, "utc_offset_minutes": n}`, a
//! duration as seconds (an integer when whole, else with a fraction), a hangup cause as
//! `{"code": 16, "name": "NORMAL_CLEARING"}` (`name` null when Asterisk has
//! none). A value that does not parse stays its raw rendering.
//!
//! ```
//! use ami_proto::{Decoded, Decoder, ValueBuf};
//!
//! let mut decoder = Decoder::new();
//! decoder.feed(b"Event: Newchannel\r\nCallerIDName: Jos\xe9\r\nCallerIDNum: 100\r\n\r\n");
//! let Some(Decoded::Message(msg)) = decoder.decode() else { panic!() };
//! let json = serde_json::to_string(&msg).unwrap();
//! assert_eq!(
//!     json,
//!     r#"[["Event","Newchannel"],["CallerIDName",{"latin1":"José"}],["CallerIDNum","100"]]"#
//! );
//! // Back to the exact bytes.
//! let lines: Vec<(ValueBuf, ValueBuf)> = serde_json::from_str(&json).unwrap();
//! assert_eq!(lines[1].1.as_bytes(), b"Jos\xe9");
//! ```

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, SerializeSeq, SerializeTuple, Serializer};
use serde::{Deserialize, Serialize};

use crate::{Decoded, Line, Message, Response, Value};

/// The key of the rendering of a value that is not UTF-8.
const LATIN1: &str = "latin1";

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.as_str() {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => {
                let latin1: String = self.as_bytes().iter().map(|&b| char::from(b)).collect();
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(LATIN1, &latin1)?;
                map.end()
            }
        }
    }
}

/// An owned value read back from its JSON rendering (a string, or
/// `{"latin1": "…"}` for bytes that are not UTF-8), and written the same way.
///
/// ```
/// use ami_proto::{Value, ValueBuf};
///
/// for bytes in [&b"plain"[..], b"Jos\xe9", b"\xef\xbf\xbd", b"\xff\xfe"] {
///     let json = serde_json::to_string(&Value::new(bytes)).unwrap();
///     let back: ValueBuf = serde_json::from_str(&json).unwrap();
///     assert_eq!(back.as_bytes(), bytes, "{json}");
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ValueBuf(Vec<u8>);

impl ValueBuf {
    /// The bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned.
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// A borrowed [`Value`] of the bytes.
    #[must_use]
    pub fn as_value(&self) -> Value<'_> {
        Value::new(&self.0)
    }
}

impl From<Vec<u8>> for ValueBuf {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl Serialize for ValueBuf {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ValueBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Text(String),
            Latin1 { latin1: String },
        }
        match Repr::deserialize(deserializer)? {
            Repr::Text(text) => Ok(Self(text.into_bytes())),
            Repr::Latin1 { latin1 } => latin1
                .chars()
                .map(|c| u8::try_from(c).map_err(|_| c))
                .collect::<Result<Vec<u8>, char>>()
                .map(Self)
                .map_err(|c| de::Error::custom(format!("{c:?} in a latin1 value is not one byte"))),
        }
    }
}

impl Serialize for Line<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Line::Header(key, value) => {
                let mut pair = serializer.serialize_tuple(2)?;
                pair.serialize_element(key)?;
                pair.serialize_element(value)?;
                pair.end()
            }
            Line::Text(text) => text.serialize(serializer),
        }
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.lines())
    }
}

/// The headers of a message as `[key, value]` pairs.
struct Headers<'a>(&'a Message);

impl Serialize for Headers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.headers())
    }
}

/// An iterator's items as a list, for the values of one serialization.
struct Seq<I>(std::cell::Cell<Option<I>>);

impl<I: Iterator<Item = T>, T: Serialize> Serialize for Seq<I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items = self.0.take().into_iter().flatten();
        let mut seq = serializer.serialize_seq(None)?;
        for item in items {
            seq.serialize_element(&item)?;
        }
        seq.end()
    }
}

fn seq<I: Iterator>(items: I) -> Seq<I> {
    Seq(std::cell::Cell::new(Some(items)))
}

impl Serialize for Response {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("response", self.message())?;
        map.serialize_entry("events", self.events())?;
        map.serialize_entry("completion", &self.completion())?;
        map.serialize_entry("output", &seq(self.output()))?;
        map.end()
    }
}

impl Serialize for Decoded {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            Decoded::Banner(banner) => {
                map.serialize_entry("kind", "banner")?;
                map.serialize_entry("version", &banner.version())?;
            }
            Decoded::Message(msg) => {
                map.serialize_entry("kind", msg.kind().as_str())?;
                map.serialize_entry("fields", &Headers(msg))?;
                if msg.is_legacy_command() || msg.text_lines().next().is_some() {
                    map.serialize_entry("output", &seq(msg.text_lines()))?;
                }
            }
            Decoded::Error(error) => {
                map.serialize_entry("kind", "error")?;
                map.serialize_entry("error", &error.to_string())?;
            }
        }
        map.end()
    }
}

#[cfg(feature = "typed")]
mod typed {
    use serde::Serialize;
    use serde::ser::{SerializeMap, SerializeTuple, Serializer};

    use crate::Value;
    use crate::typed::Event;
    use crate::typed::field::{FieldError, FieldValue};

    /// One typed header: `[key, parsed value]`, the raw value when it does
    /// not parse.
    struct Pair<'a>(Value<'a>, Result<FieldValue<'a>, FieldError>);

    impl Serialize for Pair<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut pair = serializer.serialize_tuple(2)?;
            pair.serialize_element(&self.0)?;
            match &self.1 {
                Ok(value) => pair.serialize_element(value)?,
                Err(error) => pair.serialize_element(&Value::new(error.raw()))?,
            }
            pair.end()
        }
    }

    impl Serialize for FieldValue<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            match *self {
                FieldValue::Text(value) => value.serialize(serializer),
                FieldValue::Unsigned(n) => serializer.serialize_u64(n),
                FieldValue::Signed(n) => serializer.serialize_i64(n),
                FieldValue::Bool(b) => serializer.serialize_bool(b),
                FieldValue::Enum { name, .. } => serializer.serialize_str(name),
                FieldValue::Timestamp(t) => serializer.serialize_f64(t.as_secs_f64()),
                FieldValue::EventTime(t) => {
                    let mut map = serializer.serialize_map(Some(2))?;
                    map.serialize_entry("unix", &t.timestamp().as_secs_f64())?;
                    map.serialize_entry("utc_offset_minutes", &t.utc_offset_minutes())?;
                    map.end()
                }
                // Whole seconds (nearly all of them) as integers.
                FieldValue::Duration(d) if d.subsec_nanos() == 0 => {
                    serializer.serialize_u64(d.as_secs())
                }
                FieldValue::Duration(d) => serializer.serialize_f64(d.as_secs_f64()),
                FieldValue::Cause(c) => {
                    let mut map = serializer.serialize_map(Some(2))?;
                    map.serialize_entry("code", &c.code())?;
                    map.serialize_entry("name", &c.name())?;
                    map.end()
                } // `FieldValue` is non-exhaustive for users, not here.
            }
        }
    }

    impl Serialize for Event<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            // Headers typed, the colon-less lines of the message kept as
            // bare values, all in wire order.
            let mut typed = self.typed_fields();
            serializer.collect_seq(self.raw().lines().map(|line| match line {
                crate::Line::Header(..) => {
                    let (key, value) = typed.next().expect("one typed field per header");
                    Line::Pair(Pair(key, value))
                }
                crate::Line::Text(text) => Line::Text(text),
            }))
        }
    }

    enum Line<'a> {
        Pair(Pair<'a>),
        Text(Value<'a>),
    }

    impl Serialize for Line<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            match self {
                Line::Pair(pair) => pair.serialize(serializer),
                Line::Text(text) => text.serialize(serializer),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Decoder;

    fn decode(bytes: &[u8]) -> Vec<Decoded> {
        let mut decoder = Decoder::new();
        decoder.feed(bytes);
        let mut out = Vec::new();
        while let Some(item) = decoder.decode() {
            out.push(item);
        }
        out.extend(decoder.finish());
        out
    }

    fn message(bytes: &[u8]) -> Message {
        match decode(bytes).remove(0) {
            Decoded::Message(msg) => msg,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn values_round_trip_byte_for_byte() {
        let mut every_byte: Vec<u8> = (0..=255).collect();
        every_byte.extend("é\u{fffd}".as_bytes());
        for bytes in [
            &b""[..],
            b"ascii",
            "José".as_bytes(),
            b"Jos\xe9",
            b"\xef\xbf\xbd",
            b"\xc3",
            &every_byte,
        ] {
            let json = serde_json::to_string(&Value::new(bytes)).unwrap();
            let back: ValueBuf = serde_json::from_str(&json).unwrap();
            assert_eq!(back.as_bytes(), bytes, "{json}");
            // U+FFFD only where the wire had one: text that is not UTF-8
            // is marked, never replaced.
            if std::str::from_utf8(bytes).is_err() {
                assert!(json.starts_with(r#"{"latin1":"#), "{json}");
                assert!(!json.contains('\u{fffd}'), "{json}");
            }
        }
        assert_eq!(
            serde_json::to_string(&Value::new(b"Jos\xe9")).unwrap(),
            r#"{"latin1":"José"}"#
        );
        assert_eq!(
            serde_json::to_string(&Value::new(b"\xef\xbf\xbd")).unwrap(),
            "\"\u{fffd}\""
        );
        assert!(serde_json::from_str::<ValueBuf>(r#"{"latin1":"€"}"#).is_err());
    }

    #[test]
    fn messages_keep_every_line_in_order() {
        let msg = message(b"Event: X\r\nA: 1\r\nno colon here\r\nA: 2\r\n\r\n");
        assert_eq!(
            serde_json::to_string(&msg).unwrap(),
            r#"[["Event","X"],["A","1"],"no colon here",["A","2"]]"#
        );
    }

    #[test]
    fn decoded_legacy_command_with_empty_body_has_empty_output() {
        let items = decode(
            b"Response: Follows\r\nPrivilege: Command\r\nActionID: 1\r\n--END COMMAND--\r\n\r\n",
        );
        assert_eq!(
            serde_json::to_string(&items[0]).unwrap(),
            r#"{"kind":"response","fields":[["Response","Follows"],["Privilege","Command"],["ActionID","1"]],"output":[]}"#
        );
        let items = decode(b"Response: Success\r\nActionID: 1\r\n\r\n");
        assert_eq!(
            serde_json::to_string(&items[0]).unwrap(),
            r#"{"kind":"response","fields":[["Response","Success"],["ActionID","1"]]}"#
        );
    }

    #[test]
    fn responses() {
        let list = Response::new(
            message(b"Response: Success\r\nActionID: 1\r\nEventList: start\r\n\r\n"),
            vec![message(b"Event: Item\r\nName: Jos\xe9\r\n\r\n")],
            Some(message(b"Event: ItemComplete\r\nListItems: 1\r\n\r\n")),
        );
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            r#"{"response":[["Response","Success"],["ActionID","1"],["EventList","start"]],"events":[[["Event","Item"],["Name",{"latin1":"José"}]]],"completion":[["Event","ItemComplete"],["ListItems","1"]],"output":[]}"#
        );
        let legacy = message(
            b"Response: Follows\r\nPrivilege: Command\r\nline: one\r\n\r\nthree\r\n--END COMMAND--\r\n\r\n",
        );
        assert!(legacy.is_legacy_command());
        let command = Response::new(legacy, Vec::new(), None);
        assert_eq!(
            serde_json::to_string(&command).unwrap(),
            r#"{"response":[["Response","Follows"],["Privilege","Command"],"line: one","","three"],"events":[],"completion":null,"output":["line: one","","three"]}"#
        );
    }

    #[cfg(feature = "typed")]
    #[test]
    fn typed_events_have_parsed_values() {
        let msg = message(
            b"Event: QueueMemberStatus\r\nTimestamp: 1700000000.500000\r\nQueue: q\r\n\
              Status: 6\r\nPaused: 1\r\nPenalty: -2\r\nInCall: maybe\r\nMemberName: Jos\xe9\r\n\
              Wrapuptime: 15\r\n\r\n",
        );
        let event = crate::typed::Event::from_message(&msg);
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            r#"[["Event","QueueMemberStatus"],["Timestamp",1700000000.5],["Queue","q"],["Status","Ringing"],["Paused",true],["Penalty",-2],["InCall","maybe"],["MemberName",{"latin1":"José"}],["Wrapuptime",15]]"#
        );
        let msg =
            message(b"Event: Hangup\r\nCause: 16\r\nChannelStateDesc: Up\r\nEventTV: x\r\n\r\n");
        let crate::typed::Event::Hangup(h) = crate::typed::Event::from_message(&msg) else {
            panic!()
        };
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"[["Event","Hangup"],["Cause",{"code":16,"name":"NORMAL_CLEARING"}],["ChannelStateDesc","Up"],["EventTV","x"]]"#
        );
    }
}
