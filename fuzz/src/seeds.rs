//! Seed corpora, built from the captures of real Asterisk sessions in
//! `testdata/captures` (the repository's copy of `../shared/captures`) plus
//! a few hand-written inputs per target.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example make_seeds` writes
//! them to `fuzz/seeds/<target>/`; the test `seeds_are_up_to_date` checks
//! that the committed files are what [`build`] gives.

use std::path::{Path, PathBuf};

use ami_proto::{Decoded, Decoder, Message};

use crate::connection::{BANNER, PREFIX, SUBST, op};
use crate::roundtrip::{ESC, REPEAT, SEP};

/// `testdata/captures`.
#[must_use]
pub fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures")
}

/// `fuzz/seeds/<target>`.
#[must_use]
pub fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target)
}

/// One capture: its name, what the server sent, what the client sent (if
/// recorded).
struct Capture {
    name: String,
    server: Vec<u8>,
    client: Option<Vec<u8>>,
}

/// Every capture, `legacy/` included, in name order.
fn captures() -> Vec<Capture> {
    let mut out = Vec::new();
    for dir in [captures_dir(), captures_dir().join("legacy")] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "bin"))
            .collect();
        paths.sort();
        for path in paths {
            let name = path
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            let server = std::fs::read(&path).expect("a readable capture");
            let client = std::fs::read(path.with_extension("sent")).ok();
            out.push(Capture {
                name,
                server,
                client,
            });
        }
    }
    out
}

/// The messages (and the banner) of a byte stream.
fn decode(bytes: &[u8]) -> Vec<Decoded> {
    let mut decoder = Decoder::new();
    decoder.feed(bytes);
    let mut items = Vec::new();
    while let Some(item) = decoder.decode() {
        items.push(item);
    }
    items
}

fn messages(bytes: &[u8]) -> Vec<Message> {
    decode(bytes)
        .into_iter()
        .filter_map(|item| match item {
            Decoded::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

/// The seeds of `target`, named, in a stable order.
///
/// # Panics
///
/// If the captures cannot be read, or `target` is unknown.
#[must_use]
pub fn build(target: &str) -> Vec<(String, Vec<u8>)> {
    let captures = captures();
    let mut seeds = match target {
        "decode" => captures.into_iter().map(|c| (c.name, c.server)).collect(),
        "chunking" => chunking(&captures),
        "roundtrip" => roundtrip(&captures),
        "connection" => connection(&captures),
        "live" => live(),
        _ => panic!("no target {target}"),
    };
    // Identical inputs once.
    let mut seen = std::collections::HashSet::new();
    seeds.retain(|(_, bytes)| seen.insert(bytes.clone()));
    seeds
}

fn chunking(captures: &[Capture]) -> Vec<(String, Vec<u8>)> {
    // Selector, (limits), script length, script.
    let headers: [(&str, &[u8]); 3] = [
        // Default limits, byte by byte.
        ("bytewise", &[0, 0]),
        // Tiny limits; 5 bytes, 11 without draining, 74, 0.
        ("tiny", &[1, 4, 0x05, 0x8b, 0x42, 0x00]),
        // Lines up to 41 bytes, messages up to 201, 8 lines; 2, 7×37, 1.
        ("small", &[2, 40, 50, 8, 3, 0x02, 0x47, 0x01]),
    ];
    let mut seeds = Vec::new();
    for c in captures {
        for (variant, header) in headers {
            seeds.push((
                format!("{}.{variant}", c.name),
                [header, &c.server].concat(),
            ));
        }
    }
    seeds
}

/// Escapes the separator bytes of the roundtrip layout.
fn field(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if b >= REPEAT {
            out.extend_from_slice(&[ESC, b, 1]);
        } else {
            out.push(b);
        }
    }
    out
}

/// `n` times `b`, in [`ESC`] runs.
fn run(b: u8, mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while n >= 32 {
        let k = (n / 32).min(127);
        out.extend_from_slice(&[ESC, b, 0x80 | k as u8]);
        n -= k * 32;
    }
    if n > 0 {
        out.extend_from_slice(&[ESC, b, n as u8]);
    }
    out
}

fn fields(mode: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![mode];
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(SEP);
        }
        out.extend_from_slice(part);
    }
    out
}

fn roundtrip(captures: &[Capture]) -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for c in captures {
        let mut mine = Vec::new();
        for m in c.client.as_deref().map(messages).unwrap_or_default() {
            let mut headers = m.headers();
            let Some((_, name)) = headers.next() else {
                continue;
            };
            let mut parts = vec![field(name.as_bytes())];
            for (k, v) in headers {
                parts.push(field(k.as_bytes()));
                parts.push(field(v.as_bytes()));
            }
            let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            mine.push(fields(0, &parts));
        }
        for item in decode(&c.server) {
            match item {
                Decoded::Banner(b) => {
                    let version = b.version().map_or(&b""[..], |v| v.as_bytes());
                    mine.push(fields(3, &[&field(version)]));
                }
                Decoded::Message(m) if m.is_legacy_command() => {
                    let mut output = Vec::new();
                    for line in m.text_lines() {
                        output.extend_from_slice(line.as_bytes());
                        output.push(b'\n');
                    }
                    match m.action_id() {
                        Some(id) => {
                            mine.push(fields(2 | 4, &[&field(id.as_bytes()), &field(&output)]))
                        }
                        None => mine.push(fields(2, &[&field(&output)])),
                    }
                }
                Decoded::Message(m) => {
                    let mut parts = Vec::new();
                    for (k, v) in m.headers() {
                        parts.push(field(k.as_bytes()));
                        parts.push(field(v.as_bytes()));
                    }
                    if parts.is_empty() {
                        continue;
                    }
                    let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
                    mine.push(fields(1, &parts));
                }
                Decoded::Error(_) => {}
            }
        }
        let mut seen = std::collections::HashSet::new();
        mine.retain(|s| seen.insert(s.clone()));
        // Enough of each capture (the 50 pings are alike).
        for (i, s) in mine.into_iter().take(16).enumerate() {
            seeds.push((format!("{}.{i:02}", c.name), s));
        }
    }
    let a1018 = run(b'a', 1018);
    let a1019 = run(b'a', 1019);
    let a1020 = run(b'a', 1020);
    let long = run(b'x', 4000);
    let hand: [(&str, Vec<u8>); 20] = [
        ("ping-id", fields(0, &[b"Ping", b"ActionID", b"42"])),
        (
            "set-id",
            fields(0x10, &[b"Ping", b"actionid", b"7", b"X", b""]),
        ),
        ("line-1023", fields(0, &[b"Ping", b"X", &a1018])),
        ("line-1024", fields(0, &[b"Ping", b"X", &a1019])),
        ("line-1025", fields(0, &[b"Ping", b"X", &a1020])),
        (
            "headers-128",
            fields(0, &[b"Ping", b"X", b"1", &[REPEAT, 126]]),
        ),
        (
            "headers-129",
            fields(0, &[b"Ping", b"X", b"1", &[REPEAT, 127]]),
        ),
        (
            "inject-crlf",
            fields(0, &[b"Command", b"Command", b"x\r\nAction: Logoff"]),
        ),
        ("nul", fields(0, &[b"Ping", b"X", b"a\0b"])),
        ("name-colon", fields(0, &[b"Ping", b"A:B", b"1"])),
        ("name-space", fields(0, &[b"Ping", b"A B", b"1"])),
        ("name-del", fields(0, &[b"Ping", b"A\x7f", b"1"])),
        ("name-empty", fields(0, &[b"Ping", b"", b"1"])),
        ("name-cr", fields(0, &[b"Pi\rng"])),
        (
            "server-long",
            fields(
                1,
                &[b"Response", b"Success", b"Output", &long, &[REPEAT, 200]],
            ),
        ),
        (
            "server-follows",
            fields(1, &[b"Response", b"Follows", b"Privilege", b"Command"]),
        ),
        ("legacy-terminator", fields(2, &[b"a\n--END COMMAND--\n"])),
        (
            "legacy-no-newline",
            fields(2 | 4, &[b"9", b"a\r\n\nb\r--END COMMAND-"]),
        ),
        ("legacy-ambiguous", fields(2, &[b"ActionID: 5"])),
        ("banner-slashes", fields(3, &[b"a/b/c"])),
    ];
    seeds.extend(hand.into_iter().map(|(n, s)| (format!("hand-{n}"), s)));
    seeds
}

/// A connection script's config bytes: no login, action timeout 8 s,
/// login timeout 8 s, lists up to 4 events, default limits, no keepalive.
const CAPTURE_CONFIG: [u8; 4] = [0x00, 0xff, 0x04, 0x00];

fn connection(captures: &[Capture]) -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for c in captures {
        let mut s = CAPTURE_CONFIG.to_vec();
        let actions: Vec<Vec<u8>> = match &c.client {
            Some(sent) => messages(sent)
                .into_iter()
                .map(|m| m.as_bytes().to_vec())
                .collect(),
            // No client side recorded: the actions the answers are for.
            None => {
                let mut ids: Vec<Vec<u8>> = Vec::new();
                for m in messages(&c.server) {
                    if let Some(id) = m.action_id()
                        && !ids.iter().any(|i| i == id.as_bytes())
                    {
                        ids.push(id.as_bytes().to_vec());
                    }
                }
                ids.iter()
                    .map(|id| [b"Action: Command\r\nActionID: ", &id[..], b"\r\n\r\n"].concat())
                    .collect()
            }
        };
        for action in actions.iter().filter(|a| a.len() <= 255) {
            s.extend_from_slice(&[op::SEND, 7, 0, action.len() as u8]);
            s.extend_from_slice(action);
        }
        for chunk in c.server.chunks(255) {
            debug_assert!(!chunk.contains(&SUBST));
            s.extend_from_slice(&[op::RAW, chunk.len() as u8]);
            s.extend_from_slice(chunk);
        }
        s.extend_from_slice(&[op::CLOCK, 8, op::DISCONNECT]);
        seeds.push((c.name.clone(), s));
    }
    let raw_reply = |text: &[u8]| [&[op::RAW, text.len() as u8][..], text].concat();
    let hand: [(&str, Vec<u8>); 10] = [
        // Plaintext login done by the preamble; Ping, Pong; close, Goodbye.
        (
            "ping-close",
            [
                &[0x81, 0x07, 0x04, 0x00][..],
                &[op::SEND, 0, 0, op::REPLY, 0, 0, op::CLOSE, op::REPLY, 8, 0],
            ]
            .concat(),
        ),
        // MD5 login by hand, keepalive, clock steps up to the deadlines.
        (
            "md5-keepalive",
            [
                &[0x42, 0x07, 0x04, 0x21][..],
                &[op::REPLY, 13, 0, op::REPLY, 12, 0, op::REPLY, 0, 0],
                &[op::CLOCK, 8, op::REPLY, 0, 0, op::CLOCK, 8, op::CLOCK, 8],
            ]
            .concat(),
        ),
        // A list of three events with max_list_events 2, then its end.
        (
            "list-too-large",
            [
                &[0x80, 0x07, 0x02, 0x00][..],
                &[op::SEND, 3, 0, op::REPLY, 2, 0],
                &[
                    op::REPLY,
                    3,
                    0,
                    op::REPLY,
                    3,
                    0,
                    op::REPLY,
                    3,
                    0,
                    op::REPLY,
                    4,
                    0,
                ],
            ]
            .concat(),
        ),
        // Async Originate completed by its OriginateResponse; a failed one.
        (
            "originate",
            [
                &[0x80, 0x07, 0x04, 0x00][..],
                &[
                    op::SEND,
                    4,
                    2,
                    op::SEND,
                    4,
                    2,
                    op::REPLY,
                    17,
                    1,
                    op::REPLY,
                    17,
                    0,
                ],
                &[op::REPLY, 7, 0, op::REPLY, 6, 1],
            ]
            .concat(),
        ),
        // Soft end with two actions pending, answered in two halves.
        (
            "end-partial",
            [
                &[0x81, 0x07, 0x04, 0x00][..],
                &[op::SEND, 0, 0, op::SEND, 2, 0, op::END],
                &[
                    op::PARTIAL,
                    0,
                    0,
                    9,
                    op::SEND,
                    0,
                    0,
                    op::FLUSH,
                    op::PARTIAL,
                    11,
                    0,
                    30,
                ],
                &[op::REPLY, 8, 0],
            ]
            .concat(),
        ),
        // Caller ActionIDs: a duplicate, one shaped like the client's own.
        (
            "ids",
            [
                &[0x00, 0x07, 0x04, 0x00][..],
                &[op::SEND, 0, 0x80, op::SEND, 0, 0x80, op::SEND, 0, 0xc0],
                &raw_reply(BANNER),
                &[
                    op::REPLY,
                    0,
                    0,
                    op::REPLY,
                    0,
                    1,
                    op::REPLY,
                    0,
                    2,
                    op::SEND,
                    0,
                    0xe0,
                ],
            ]
            .concat(),
        ),
        // An invalid action, a queued Logoff, a disconnect.
        (
            "invalid-logoff",
            [
                &[0x01, 0x07, 0x04, 0x00][..],
                &[op::SEND, 6, 0, op::SEND, 1, 0, op::SEND, 0, 0],
                &[
                    op::REPLY,
                    13,
                    0,
                    op::REPLY,
                    0,
                    0,
                    op::DISCONNECT,
                    op::SEND,
                    0,
                    0,
                ],
            ]
            .concat(),
        ),
        // A login the client must refuse to send (CR LF in the username).
        (
            "bad-username",
            [
                &[0x83, 0x07, 0x04, 0x00][..],
                &[op::SEND, 0, 0, op::CLOCK, 5],
            ]
            .concat(),
        ),
        // Small limits: an oversized answer, a long line, a legacy answer.
        (
            "limits",
            [
                &[0x80, 0x07, 0x0c, 0x00][..],
                &[op::SEND, 2, 0, op::SEND, 2, 0, op::SEND, 3, 0],
                &[
                    op::REPLY,
                    24,
                    2,
                    op::REPLY,
                    21,
                    1,
                    op::REPLY,
                    2,
                    0,
                    op::REPLY,
                    10,
                    0,
                ],
            ]
            .concat(),
        ),
        // A message built from tokens around a held-back half.
        (
            "tokens",
            [
                &[0x80, 0x07, 0x04, 0x00][..],
                &[
                    op::SEND,
                    0,
                    0,
                    op::TOKEN,
                    3,
                    0,
                    op::TOKEN,
                    12,
                    0,
                    op::TOKEN,
                    0,
                    0,
                ],
                &[
                    op::TOKEN,
                    5,
                    0,
                    op::RAW,
                    4,
                    b'X',
                    b':',
                    SUBST,
                    0,
                    op::TOKEN,
                    1,
                    0,
                ],
            ]
            .concat(),
        ),
    ];
    debug_assert_eq!(PREFIX, "f");
    seeds.extend(hand.into_iter().map(|(n, s)| (format!("hand-{n}"), s)));
    seeds
}

/// The live target's seeds: the stream recorded from a real Asterisk for
/// ami-live (`testdata/live/real-scenario.bin`), as a script: its events
/// applied in runs, a sync, each list answer given to the request it
/// answers, failures and a disconnect in between; plus the capture whole.
fn live() -> Vec<(String, Vec<u8>)> {
    use crate::live::SEP;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/live/real-scenario.bin");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let msgs = messages(&bytes);
    let mut script = Vec::new();
    let segment = |op: u8, payload: &[u8], script: &mut Vec<u8>| {
        if !script.is_empty() {
            script.extend_from_slice(SEP);
        }
        script.push(op);
        script.extend_from_slice(payload);
    };
    segment(5, &(1_796_590_000i64 << 16).to_le_bytes(), &mut script);
    segment(1, b"", &mut script);
    // Events in runs of 16; each list (a response and the events carrying
    // its ActionID) as the answer to the next waiting request.
    let mut run = Vec::new();
    let mut i = 0;
    while i < msgs.len() {
        let m = &msgs[i];
        let aid = m.action_id().map(|v| v.as_bytes().to_vec());
        if m.kind() == ami_proto::MessageKind::Response && m.get("EventList").is_some() {
            let aid = aid.unwrap_or_default();
            let mut answer = m.as_bytes().to_vec();
            i += 1;
            while i < msgs.len() && msgs[i].action_id().is_some_and(|a| a.as_bytes() == aid) {
                answer.extend_from_slice(msgs[i].as_bytes());
                i += 1;
            }
            if !run.is_empty() {
                segment(0, &run, &mut script);
                run.clear();
            }
            segment(2, &answer, &mut script);
            continue;
        }
        run.extend_from_slice(m.as_bytes());
        if run.len() > 4096 {
            segment(0, &run, &mut script);
            run.clear();
        }
        i += 1;
    }
    segment(0, &run, &mut script);
    let mut with_faults = script.clone();
    segment(4, b"", &mut with_faults);
    segment(1, b"", &mut with_faults);
    segment(3, b"", &mut with_faults);
    with_faults.extend_from_slice(SEP);
    with_faults.extend_from_slice(&script);
    let mut seeds = vec![
        ("real-scenario.script".into(), script.clone()),
        ("real-scenario.faults".into(), with_faults),
        ("real-scenario.events".into(), [&[0u8][..], &bytes].concat()),
    ];
    // Small pieces of the script (a sync first), for mutation: runs of its
    // segments up to 3 KiB, events cut to 1 KiB.
    let mut piece: Vec<u8> = vec![1];
    for seg in crate::live::split_segments(&script) {
        let seg = &seg[..seg.len().min(1024)];
        if piece.len() + seg.len() > 3072 {
            seeds.push((format!("real-scenario.piece{:02}", seeds.len() - 3), piece));
            piece = vec![1];
        }
        piece.extend_from_slice(SEP);
        piece.extend_from_slice(seg);
    }
    seeds.push((format!("real-scenario.piece{:02}", seeds.len() - 3), piece));
    seeds.truncate(48);
    seeds
}
