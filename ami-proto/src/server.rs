//! The server role: what a test server or a proxy needs beyond the decoder
//! (which decodes actions as well as responses) and [`ServerMessage`].

use crate::encode::ServerMessage;
use crate::error::EncodeError;
use crate::message::Message;

/// Appends the banner a server sends on connect:
/// `Asterisk Call Manager/<version>\r\n` (Asterisk 22 says `11.0.0`).
///
/// ```
/// let mut buf = Vec::new();
/// ami_proto::encode_banner(&mut buf, "11.0.0").unwrap();
/// assert_eq!(buf, b"Asterisk Call Manager/11.0.0\r\n");
/// ```
pub fn encode_banner(buf: &mut Vec<u8>, version: &str) -> Result<(), EncodeError> {
    if let Some(&byte) = version
        .as_bytes()
        .iter()
        .find(|&&b| matches!(b, b'\r' | b'\n' | 0))
    {
        return Err(EncodeError::BadValue {
            name: "banner version".to_owned(),
            byte,
        });
    }
    buf.extend_from_slice(b"Asterisk Call Manager/");
    buf.extend_from_slice(version.as_bytes());
    buf.extend_from_slice(b"\r\n");
    Ok(())
}

impl ServerMessage {
    /// `Response: <status>` answering `action`, with its ActionID echoed
    /// when it had a non-empty one — as Asterisk's
    /// `astman_send_response_full` answers.
    ///
    /// ```
    /// use ami_proto::{Decoded, Decoder, ServerMessage};
    ///
    /// let mut d = Decoder::new();
    /// d.feed(b"Action: Ping\r\nActionID: 7\r\n\r\n");
    /// let Some(Decoded::Message(ping)) = d.decode() else { panic!() };
    /// let pong = ServerMessage::response_to(&ping, "Success").header("Ping", "Pong");
    /// assert_eq!(pong.to_bytes().unwrap(), b"Response: Success\r\nActionID: 7\r\nPing: Pong\r\n\r\n");
    /// ```
    #[must_use]
    pub fn response_to(action: &Message, status: &str) -> Self {
        let response = Self::response(status);
        match action.action_id() {
            Some(id) if !id.is_empty() => response.header("ActionID", id.as_bytes()),
            _ => response,
        }
    }
}
