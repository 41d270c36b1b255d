//! The `roundtrip` target: an arbitrary action or server message → bytes →
//! decoder gives the same lines, or the encoder's refusal is the one the
//! input deserves.

use ami_proto::{
    Action, Decoded, Decoder, EncodeError, Line, MAX_ACTION_HEADERS, MAX_ACTION_LINE, Message,
    MessageKind, ServerMessage, encode_banner, encode_legacy_command,
};

// The model below writes Asterisk's limits out as numbers.
const _: () = assert!(MAX_ACTION_LINE == 1024 && MAX_ACTION_HEADERS == 128);

/// Separates fields.
pub(crate) const SEP: u8 = 0xff;
/// `ESC b n`: the byte `b`, `n` times (`(n & 0x7f) * 32` times when bit 7
/// of `n` is set, so up to 4064: long lines from short inputs).
pub(crate) const ESC: u8 = 0xfe;
/// A field `REPEAT n …`: the previous header `n` more times (more than
/// 128 headers from short inputs).
pub(crate) const REPEAT: u8 = 0xfd;

/// What an input builds: byte 0 picks the kind and flags, the rest is
/// fields separated by [`SEP`], each with [`ESC`] runs expanded.
///
/// * `mode % 4 == 0`: an [`Action`]: field 0 is its name, then `name,
///   value` pairs (a pair named `ActionID`, any case, sets its ActionID —
///   through `set_action_id` when bit 4 of the mode is set, else
///   `push_header`).
/// * `1`: a [`ServerMessage`]: the first header's name and value, then pairs.
/// * `2`: a legacy Command answer ([`encode_legacy_command`]): field 0 is the
///   ActionID when bit 2 of the mode is set, then the output.
/// * `3`: a banner ([`encode_banner`]): field 0, lossily UTF-8, is the
///   version.
///
/// A pair's name field starting with [`REPEAT`] repeats the previous pair
/// (at most [`MAX_PAIRS`] pairs and [`MAX_BYTES`] bytes in all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    Action {
        name: Vec<u8>,
        pairs: Vec<(Vec<u8>, Vec<u8>)>,
        set_id: bool,
    },
    Server {
        first: (Vec<u8>, Vec<u8>),
        pairs: Vec<(Vec<u8>, Vec<u8>)>,
    },
    Legacy {
        id: Option<Vec<u8>>,
        output: Vec<u8>,
    },
    Banner(String),
}

/// Most header pairs one input may build.
pub(crate) const MAX_PAIRS: usize = 600;
/// Most bytes one field may expand to.
const MAX_FIELD: usize = 16 * 1024;
/// Most bytes the header pairs of one input may hold in all (far below the
/// decoder's default message limit).
const MAX_BYTES: usize = 256 * 1024;

pub(crate) fn parse(data: &[u8]) -> Option<Input> {
    let (&mode, rest) = data.split_first()?;
    let fields: Vec<&[u8]> = rest.split(|&b| b == SEP).collect();
    let field = |i: usize| fields.get(i).map_or_else(Vec::new, |f| expand(f));
    Some(match mode % 4 {
        0 => Input::Action {
            name: field(0),
            pairs: pairs(fields.get(1..).unwrap_or_default()),
            set_id: mode & 0x10 != 0,
        },
        1 => Input::Server {
            first: (field(0), field(1)),
            pairs: pairs(fields.get(2..).unwrap_or_default()),
        },
        2 if mode & 4 != 0 => Input::Legacy {
            id: Some(field(0)),
            output: field(1),
        },
        2 => Input::Legacy {
            id: None,
            output: field(0),
        },
        _ => Input::Banner(String::from_utf8_lossy(&field(0)).into_owned()),
    })
}

fn expand(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < field.len() && out.len() < MAX_FIELD {
        match field[i..] {
            [ESC, b, n, ..] => {
                let count = if n & 0x80 != 0 {
                    usize::from(n & 0x7f) * 32
                } else {
                    usize::from(n)
                };
                out.resize(out.len() + count, b);
                i += 3;
            }
            _ => {
                out.push(field[i]);
                i += 1;
            }
        }
    }
    out.truncate(MAX_FIELD);
    out
}

fn pairs(fields: &[&[u8]]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut bytes = 0;
    let mut i = 0;
    while i < fields.len() && pairs.len() < MAX_PAIRS {
        if let [REPEAT, n, ..] = fields[i] {
            if let Some(last) = pairs.last().cloned() {
                let size = last.0.len() + last.1.len() + 1;
                let n = usize::from(*n)
                    .min(MAX_PAIRS - pairs.len())
                    .min(MAX_BYTES.saturating_sub(bytes) / size);
                bytes += n * size;
                pairs.extend(std::iter::repeat_n(last, n));
            }
            i += 1;
        } else {
            let value = fields.get(i + 1).map_or_else(Vec::new, |f| expand(f));
            let name = expand(fields[i]);
            bytes += name.len() + value.len();
            if bytes > MAX_BYTES {
                break;
            }
            pairs.push((name, value));
            i += 2;
        }
    }
    pairs
}

/// The encoder's rules, written out again independently: what encoding
/// `lines` (in order) must give — the wire bytes, or the first rule broken.
/// `asterisk` adds Asterisk's input limits (for actions).
fn expected(lines: &[(Vec<u8>, Vec<u8>)], asterisk: bool) -> Result<Vec<u8>, EncodeError> {
    if asterisk && lines.len() > 128 {
        return Err(EncodeError::TooManyHeaders {
            count: lines.len(),
            max: 128,
        });
    }
    let mut wire = Vec::new();
    for (name, value) in lines {
        let lossy = || String::from_utf8_lossy(name).into_owned();
        if name.is_empty() {
            return Err(EncodeError::EmptyName);
        }
        // White space, control characters and the colon: all of 0..=0x20,
        // DEL and `:`.
        if let Some(&byte) = name.iter().find(|&&b| b <= b' ' || b == 0x7f || b == b':') {
            return Err(EncodeError::BadName {
                name: lossy(),
                byte,
            });
        }
        if let Some(&byte) = value.iter().find(|&&b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(EncodeError::BadValue {
                name: lossy(),
                byte,
            });
        }
        let len = name.len() + ": ".len() + value.len() + "\r\n".len();
        if asterisk && len > 1024 {
            return Err(EncodeError::LineTooLong {
                name: lossy(),
                len,
                max: 1024,
            });
        }
        wire.extend_from_slice(name);
        wire.extend_from_slice(b": ");
        wire.extend_from_slice(value);
        wire.extend_from_slice(b"\r\n");
    }
    // One message is one action: a second `Action` header is refused.
    if asterisk
        && let Some((_, second)) = lines
            .iter()
            .skip(1)
            .find(|(name, _)| name.eq_ignore_ascii_case(b"Action"))
    {
        return Err(EncodeError::SecondAction {
            second: String::from_utf8_lossy(second).into_owned(),
        });
    }
    wire.extend_from_slice(b"\r\n");
    Ok(wire)
}

/// Decodes `bytes` as one whole stream: the items, `finish()` included.
fn decode_all(bytes: &[u8]) -> Vec<Decoded> {
    let mut decoder = Decoder::new();
    decoder.feed(bytes);
    let mut items = Vec::new();
    while let Some(item) = decoder.decode() {
        items.push(item);
    }
    items.extend(decoder.finish());
    items
}

/// `bytes` must decode to exactly one message whose lines are the headers
/// `lines` and then the text lines `text`, of kind `kind`; returns it.
fn assert_decodes_to(
    bytes: &[u8],
    lines: &[(Vec<u8>, Vec<u8>)],
    text: &[Vec<u8>],
    kind: MessageKind,
) -> Message {
    let items = decode_all(bytes);
    let [Decoded::Message(message)] = &items[..] else {
        panic!("{} bytes decoded to {items:?}", bytes.len())
    };
    assert_eq!(message.as_bytes(), bytes);
    assert_eq!(message.kind(), kind);
    let got: Vec<(Vec<u8>, Vec<u8>)> = message
        .headers()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    assert_eq!(got, lines, "headers");
    let got: Vec<Vec<u8>> = message
        .text_lines()
        .map(|t| t.as_bytes().to_vec())
        .collect();
    assert_eq!(got, text, "text lines");
    // Headers come before text lines.
    let first_text = message
        .lines()
        .position(|l| matches!(l, Line::Text(_)))
        .unwrap_or(lines.len());
    assert_eq!(first_text, lines.len());
    message.clone()
}

/// Checks `encode` against the expected result: `encode` appends exactly
/// the expected bytes, or refuses with exactly the expected error and
/// leaves the buffer alone.
fn check_encode(
    encode: impl Fn(&mut Vec<u8>) -> Result<(), EncodeError>,
    expected: &Result<Vec<u8>, EncodeError>,
) {
    let mut buf = b"before".to_vec();
    let result = encode(&mut buf);
    match (result, expected) {
        (Ok(()), Ok(bytes)) => assert_eq!(&buf[6..], &bytes[..], "wire bytes"),
        (Err(got), Err(want)) => {
            assert_eq!(&got, want, "refusal");
            assert_eq!(buf, b"before", "buffer touched on error");
            // The error prints (each variant's message).
            assert!(!got.to_string().is_empty());
        }
        (got, want) => panic!("encode gave {got:?} (buffer {buf:?}), expected {want:?}"),
    }
}

fn is_follows(name: &[u8], value: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"Response") && value.eq_ignore_ascii_case(b"Follows")
}

fn kind_of(first: &[u8]) -> MessageKind {
    match &first.to_ascii_lowercase()[..] {
        b"response" => MessageKind::Response,
        b"event" => MessageKind::Event,
        b"action" => MessageKind::Action,
        _ => MessageKind::Other,
    }
}

/// The `roundtrip` target (see `Input` in `src/roundtrip.rs` for the layout): the encoders
/// ([`Action::encode`], [`ServerMessage::encode`],
/// [`encode_legacy_command`], [`encode_banner`]) either give the bytes an
/// independent model of the AMI wire format gives — and those bytes decode
/// to the same lines, in order — or refuse with exactly the [`EncodeError`]
/// the model names for the first broken rule (CR, LF or NUL in a value, an
/// empty or bad name, a line over 1024 bytes or more than 128 headers for
/// actions, `--END COMMAND--` in legacy output), leaving the buffer
/// untouched.
///
/// Not compared: a server message whose first header is `Response:
/// Follows`, which any AMI reader takes for a legacy Command answer and
/// reads up to `--END COMMAND--`, and a legacy answer whose first output
/// line reads `Privilege: …` or `ActionID: …`, which is a header there by
/// the format. Both are only encoded and decoded (no panic).
///
/// # Panics
///
/// On any difference.
pub fn roundtrip(data: &[u8]) {
    let Some(input) = parse(data) else {
        return;
    };
    match input {
        Input::Action {
            name,
            pairs,
            set_id,
        } => {
            let mut action = Action::new(&name);
            let mut id = None;
            let mut headers = Vec::new();
            for (k, v) in &pairs {
                let is_id = k.eq_ignore_ascii_case(b"ActionID");
                if is_id {
                    id = Some(v.clone());
                } else {
                    headers.push((k.clone(), v.clone()));
                }
                if is_id && set_id {
                    action.set_action_id(v);
                } else {
                    action.push_header(k, v);
                }
            }
            // The builder keeps what it was given.
            assert_eq!(action.name(), &name[..]);
            assert_eq!(action.get_action_id(), id.as_deref());
            let got: Vec<_> = action
                .headers()
                .map(|(k, v)| (k.to_vec(), v.to_vec()))
                .collect();
            assert_eq!(got, headers);
            if let Some(Ok(k)) = headers.last().map(|(k, _)| std::str::from_utf8(k)) {
                // Lookup ignores case and gives the first value.
                let first = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(k.as_bytes()));
                assert_eq!(action.get(k), first.map(|(_, v)| &v[..]));
            }
            let mut lines = vec![(b"Action".to_vec(), name)];
            lines.extend(id.map(|id| (b"ActionID".to_vec(), id)));
            lines.extend(headers);
            let want = expected(&lines, true);
            check_encode(|buf| action.encode(buf), &want);
            assert_eq!(
                action.validate(),
                want.as_ref().map(|_| ()).map_err(Clone::clone)
            );
            assert_eq!(action.to_bytes().as_ref(), want.as_ref());
            if let Ok(bytes) = want {
                let message = assert_decodes_to(&bytes, &lines, &[], MessageKind::Action);
                assert_eq!(
                    message.action_id().map(|v| v.as_bytes()),
                    action.get_action_id()
                );
            }
        }
        Input::Server { first, pairs } => {
            let mut message = ServerMessage::new(&first.0, &first.1);
            for (k, v) in &pairs {
                message.push_header(k, v);
            }
            let follows = is_follows(&first.0, &first.1);
            let kind = kind_of(&first.0);
            let mut lines = vec![first];
            lines.extend(pairs);
            let want = expected(&lines, false);
            check_encode(|buf| message.encode(buf), &want);
            assert_eq!(message.to_bytes().as_ref(), want.as_ref());
            match want {
                Ok(bytes) if !follows => {
                    assert_decodes_to(&bytes, &lines, &[], kind);
                }
                Ok(bytes) => {
                    let _ = decode_all(&bytes);
                }
                Err(_) => {}
            }
        }
        Input::Legacy { id, output } => {
            let want = legacy_expected(id.as_deref(), &output);
            check_encode(
                |buf| encode_legacy_command(buf, id.as_deref(), &output),
                &want,
            );
            if let Ok(bytes) = want {
                if legacy_ambiguous(&output) {
                    let _ = decode_all(&bytes);
                } else {
                    let mut lines = vec![
                        (b"Response".to_vec(), b"Follows".to_vec()),
                        (b"Privilege".to_vec(), b"Command".to_vec()),
                    ];
                    lines.extend(id.map(|id| (b"ActionID".to_vec(), id)));
                    let text = output_lines(&output);
                    let message = assert_decodes_to(&bytes, &lines, &text, MessageKind::Response);
                    assert!(message.is_legacy_command());
                }
            }
        }
        Input::Banner(version) => {
            let want = match version
                .bytes()
                .find(|&b| b == b'\r' || b == b'\n' || b == 0)
            {
                Some(byte) => Err(EncodeError::BadValue {
                    name: "banner version".into(),
                    byte,
                }),
                None => Ok(format!("Asterisk Call Manager/{version}\r\n").into_bytes()),
            };
            check_encode(|buf| encode_banner(buf, &version), &want);
            if let Ok(bytes) = want {
                let items = decode_all(&bytes);
                let [Decoded::Banner(banner)] = &items[..] else {
                    panic!("banner decoded to {items:?}")
                };
                assert_eq!(banner.line().as_bytes(), &bytes[..bytes.len() - 2]);
                // The version is what follows the last '/'.
                let after = version.rsplit('/').next().unwrap_or_default();
                assert_eq!(
                    banner.version().map(|v| v.as_bytes()),
                    Some(after.as_bytes())
                );
                let product = &bytes[..bytes.len() - 2 - after.len() - 1];
                assert_eq!(banner.product().as_bytes(), product);
            }
        }
    }
}

fn legacy_expected(id: Option<&[u8]>, output: &[u8]) -> Result<Vec<u8>, EncodeError> {
    if let Some(&byte) = id
        .unwrap_or_default()
        .iter()
        .find(|&&b| b == b'\r' || b == b'\n' || b == 0)
    {
        return Err(EncodeError::BadValue {
            name: "ActionID".into(),
            byte,
        });
    }
    if output.windows(15).any(|w| w == b"--END COMMAND--") {
        return Err(EncodeError::OutputHoldsTerminator);
    }
    let mut wire = b"Response: Follows\r\nPrivilege: Command\r\n".to_vec();
    if let Some(id) = id {
        wire.extend_from_slice(b"ActionID: ");
        wire.extend_from_slice(id);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(output);
    wire.extend_from_slice(b"--END COMMAND--\r\n\r\n");
    Ok(wire)
}

/// The output lines a reader gets back from a legacy answer: split at
/// `\n`, less a `\r` before it; a last line without `\n` (followed directly
/// by the terminator) is kept whole.
fn output_lines(output: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut rest = output;
    while !rest.is_empty() {
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let line = &rest[..i];
                lines.push(line.strip_suffix(b"\r").unwrap_or(line).to_vec());
                rest = &rest[i + 1..];
            }
            None => {
                lines.push(rest.to_vec());
                rest = &[];
            }
        }
    }
    lines
}

/// Whether the first output line (completed by the terminator when it has
/// no `\n`) looks like one of the headers of a legacy answer.
fn legacy_ambiguous(output: &[u8]) -> bool {
    let first = match output.iter().position(|&b| b == b'\n') {
        Some(i) => output[..i].to_vec(),
        None => [output, b"--END COMMAND--"].concat(),
    };
    first.iter().position(|&b| b == b':').is_some_and(|c| {
        first[..c].eq_ignore_ascii_case(b"Privilege")
            || first[..c].eq_ignore_ascii_case(b"ActionID")
    })
}
