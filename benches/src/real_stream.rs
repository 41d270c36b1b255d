//! The second workload: the events a real Asterisk sent, repeated.
//!
//! `benches/data/captures/` holds a few transcripts from
//! `shared/captures` (Asterisk 22.10.1, AMI 11.0.0: every byte the server
//! sent on one connection, unmodified): those with `Event` messages. Each
//! is decoded with [`ami_proto::Decoder`]; its banner, the login response
//! and every other response are skipped, and the `Event` messages are
//! kept exactly as they came off the wire. [`generate`] writes the
//! captures' banner, then those events in capture order over and over
//! until the target size, then the corpus's sentinel (`UserEvent:
//! PerfEnd`, so the same consumers and servers serve both workloads).
//!
//! The data is small (9 KB); the repeat happens in memory.

use ami_proto::{Decoded, Decoder, MessageKind};

/// The captures the events come from, by name (what `shared/captures`
/// calls them), with their bytes.
pub const CAPTURES: &[(&str, &[u8])] = &[
    (
        "15-queuestatus",
        include_bytes!("../data/captures/15-queuestatus.bin"),
    ),
    (
        "18-call-coreshowchannels-status",
        include_bytes!("../data/captures/18-call-coreshowchannels-status.bin"),
    ),
    ("23-db", include_bytes!("../data/captures/23-db.bin")),
    (
        "26-userevent",
        include_bytes!("../data/captures/26-userevent.bin"),
    ),
    (
        "36-login-events-on-fullybooted",
        include_bytes!("../data/captures/36-login-events-on-fullybooted.bin"),
    ),
    (
        "40-originate-sync-ok",
        include_bytes!("../data/captures/40-originate-sync-ok.bin"),
    ),
];

/// The banner line of the captures' server (`01-banner`), with its CRLF.
pub const BANNER: &[u8] = include_bytes!("../data/captures/01-banner.bin");

/// The last message of the workload, as the generated corpus ends.
pub const SENTINEL: &[u8] =
    b"Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: PerfEnd\r\n\r\n";

/// The size [`generate`] aims at by default: 100 MB, like the corpus.
pub const DEFAULT_BYTES: usize = 100_000_000;

/// The `Event` messages of every capture, in order, each as it came off the
/// wire (closing empty line included).
///
/// # Panics
/// If a capture does not decode (they are checked in by hand).
#[must_use]
pub fn events() -> Vec<Vec<u8>> {
    let mut events = Vec::new();
    for (name, bytes) in CAPTURES {
        let mut decoder = Decoder::new();
        decoder.feed(bytes);
        while let Some(item) = decoder.decode() {
            match item {
                Decoded::Message(m) if m.kind() == MessageKind::Event => {
                    events.push(m.as_bytes().to_vec());
                }
                Decoded::Error(e) => panic!("{name}: {e}"),
                _ => {}
            }
        }
    }
    events
}

/// What a workload is made of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Messages after the banner (the sentinel included).
    pub messages: usize,
    /// Bytes in all, banner included.
    pub bytes: usize,
    /// Average bytes per message (the banner excluded).
    pub bytes_per_message: f64,
    /// Average headers per message (`Message::header_count`, the first
    /// header included).
    pub headers_per_message: f64,
}

/// Decodes a whole workload (banner, then messages) and measures it.
///
/// # Panics
/// If it holds a message the decoder rejects.
#[must_use]
pub fn shape(workload: &[u8]) -> Shape {
    let mut decoder = Decoder::new();
    decoder.feed(workload);
    let (mut messages, mut headers, mut body) = (0usize, 0usize, 0usize);
    while let Some(item) = decoder.decode() {
        match item {
            Decoded::Message(m) => {
                messages += 1;
                headers += m.header_count();
                body += m.as_bytes().len();
            }
            Decoded::Error(e) => panic!("workload: {e}"),
            Decoded::Banner(_) => {}
        }
    }
    Shape {
        messages,
        bytes: workload.len(),
        bytes_per_message: body as f64 / messages.max(1) as f64,
        headers_per_message: headers as f64 / messages.max(1) as f64,
    }
}

/// The workload: [`BANNER`], the captures' [`events`] repeated until
/// `target_bytes` would be passed (at least once through), then
/// [`SENTINEL`].
#[must_use]
pub fn generate(target_bytes: usize) -> Vec<u8> {
    let events = events();
    let mut out = Vec::with_capacity(target_bytes + 64 * 1024);
    out.extend_from_slice(BANNER);
    'fill: loop {
        for event in &events {
            if out.len() + event.len() + SENTINEL.len() > target_bytes && out.len() > BANNER.len() {
                break 'fill;
            }
            out.extend_from_slice(event);
        }
    }
    out.extend_from_slice(SENTINEL);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_events_of_the_captures() {
        let events = events();
        assert_eq!(events.len(), 27);
        assert!(events.iter().all(|e| e.starts_with(b"Event: ")));
        assert!(events.iter().all(|e| e.ends_with(b"\r\n\r\n")));
        // The login's `Response: Success` of each capture is not among them.
        assert!(
            !events
                .iter()
                .any(|e| e.windows(9).any(|w| w == b"Response:"))
        );
    }

    #[test]
    fn repeats_to_the_target_and_ends_with_the_sentinel() {
        let workload = generate(100_000);
        assert!(workload.starts_with(b"Asterisk Call Manager/11.0.0\r\n"));
        assert!(workload.ends_with(SENTINEL));
        assert!(workload.len() <= 100_000 && workload.len() > 99_000);
        let shape = shape(&workload);
        let one_pass: usize = events().iter().map(Vec::len).sum();
        assert!(shape.messages > 27 * (100_000 / one_pass));
    }
}
