//! `Serialize` for [`Incoming`]: `{"event": message}`, `{"lost": n}`,
//! `{"disconnected": "reason"}` or `"reconnected"`, messages rendered as
//! `ami-proto`'s `wire_json` documents.

use serde::{Serialize, Serializer};

use crate::Incoming;

impl Serialize for Incoming {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Incoming::Event(msg) => {
                serializer.serialize_newtype_variant("Incoming", 0, "event", msg)
            }
            Incoming::Lost(n) => serializer.serialize_newtype_variant("Incoming", 1, "lost", n),
            Incoming::Disconnected(reason) => serializer.serialize_newtype_variant(
                "Incoming",
                2,
                "disconnected",
                &reason.to_string(),
            ),
            Incoming::Reconnected => {
                serializer.serialize_unit_variant("Incoming", 3, "reconnected")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ami_proto::{Decoded, Decoder, Message};

    fn message(bytes: &[u8]) -> Message {
        let mut decoder = Decoder::new();
        decoder.feed(bytes);
        match decoder.decode() {
            Some(Decoded::Message(msg)) => msg,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn incoming() {
        let msg = message(b"Event: X\r\n\r\n");
        assert_eq!(
            serde_json::to_string(&Incoming::Event(msg)).unwrap(),
            r#"{"event":[["Event","X"]]}"#
        );
        assert_eq!(
            serde_json::to_string(&Incoming::Lost(3)).unwrap(),
            r#"{"lost":3}"#
        );
        assert_eq!(
            serde_json::to_string(&Incoming::Reconnected).unwrap(),
            r#""reconnected""#
        );
    }
}
