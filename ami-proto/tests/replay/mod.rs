//! Capture replay for the client state machine, with virtual time.
//!
//! A [`Scenario`] holds what the capture's client sent (decoded from the
//! `.sent` file), the user actions to give the [`Connection`], and the
//! server's bytes (the `.bin` file) cut into one segment per decoded item.
//! [`replay`] gives the user actions up front, then feeds the segments in
//! order, each in the given [`Chunking`], draining the connection after every
//! input as its docs say (transmit, then events). Every action the
//! connection transmits is decoded and paired with the capture's next
//! action: names and non-ID headers must match, and the pair maps the
//! capture's ActionID to ours, which is then written into the server's bytes
//! (`ActionID: <capture id>` lines) before they are fed.
//!
//! [`replay_stream`] instead rewrites the whole server stream with a
//! reference run's ID map and feeds it in chunks that may cross message
//! boundaries, optionally cut off at any byte and followed by
//! `handle_disconnect`.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ami_proto::{
    Action, ActionError, ActionHandle, CloseReason, Config, Connection, DecodeErrorKind, Decoded,
    Decoder, Event, EventMask, Login, Message, MessageKind, Response, SendOptions, Violation,
};

/// The secret of the capture server's `admin` user (not in the `.sent` of
/// an MD5 login, which only carries the key).
pub(crate) const SECRET: &str = "amp111";

/// `testdata/captures` of the workspace.
pub(crate) fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures")
}

/// The raw bytes of a capture file, by its path relative to
/// [`captures_dir`].
pub(crate) fn read_capture(name: &str) -> Vec<u8> {
    let path = captures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One action as it went over the wire: the value of its first header, its
/// ActionID, and its other headers in wire order (ActionID left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireAction {
    /// The value of the first header (`Login`, `Ping` …); empty for a
    /// message without any header.
    pub(crate) name: String,
    /// The ActionID, if it had one.
    pub(crate) id: Option<String>,
    /// The headers after the first one, ActionID left out, in wire order.
    pub(crate) headers: Vec<(String, String)>,
}

impl WireAction {
    /// A wire action built by hand (for the legacy captures, which have no
    /// `.sent`, and for stand-ins).
    pub(crate) fn new(name: &str, id: Option<&str>, headers: &[(&str, &str)]) -> Self {
        Self {
            name: name.into(),
            id: id.map(Into::into),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    /// The wire action a decoded message is.
    pub(crate) fn from_message(message: &Message) -> Self {
        let mut headers = message
            .headers()
            .map(|(k, v)| (k.to_str_lossy().into_owned(), v.to_str_lossy().into_owned()));
        let name = headers.next().map(|(_, v)| v).unwrap_or_default();
        let mut id = None;
        let mut rest = Vec::new();
        for (k, v) in headers {
            if k.eq_ignore_ascii_case("ActionID") && id.is_none() {
                id = Some(v);
            } else {
                rest.push((k, v));
            }
        }
        Self {
            name,
            id,
            headers: rest,
        }
    }

    /// The first value of header `key` (ASCII case ignored).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The user action that sends the same: same name, same headers in the
    /// same order, no ActionID (the connection assigns one).
    pub(crate) fn to_action(&self) -> Action {
        self.headers
            .iter()
            .fold(Action::new(&self.name), |a, (k, v)| a.header(k, v))
    }

    fn is_internal(&self) -> bool {
        self.name.eq_ignore_ascii_case("Login") || self.name.eq_ignore_ascii_case("Challenge")
    }
}

/// Decodes the actions of a `.sent` file, in order.
pub(crate) fn decode_sent(bytes: &[u8]) -> Vec<WireAction> {
    let mut decoder = Decoder::new();
    decoder.feed(bytes);
    let mut actions = Vec::new();
    while let Some(item) = decoder.decode() {
        match item {
            Decoded::Message(m) => actions.push(WireAction::from_message(&m)),
            other => panic!("unexpected item in a .sent file: {other:?}"),
        }
    }
    assert_eq!(decoder.buffered_len(), 0, ".sent ends inside a message");
    actions
}

/// Cuts a server stream into one segment per decoded item, using the
/// decoder's stream offset, so that stray empty lines stay in (at the start
/// of the next segment); bytes after the last item form a last segment.
pub(crate) fn segments_of(bin: &[u8]) -> Vec<Vec<u8>> {
    let mut decoder = Decoder::new();
    decoder.feed(bin);
    let mut segments = Vec::new();
    let mut from = 0usize;
    while let Some(item) = decoder.decode() {
        assert!(
            !matches!(item, Decoded::Error(_)),
            "capture does not decode cleanly: {item:?}"
        );
        let to = usize::try_from(decoder.stream_offset()).unwrap();
        segments.push(bin[from..to].to_vec());
        from = to;
    }
    if from < bin.len() {
        segments.push(bin[from..].to_vec());
    }
    assert_eq!(segments.concat(), bin);
    segments
}

/// One step of a scenario's plan: an action on the wire, a user action, or
/// both.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    /// What the capture's client sent for it; `None` if it never reaches
    /// the wire in this scenario.
    pub(crate) wire: Option<WireAction>,
    /// The user action to give the connection (up front, before any
    /// input); `None` for what the connection sends itself (Login,
    /// Challenge).
    pub(crate) user: Option<(Action, SendOptions)>,
    /// When to give the user action: just before the server segment with
    /// this index is fed (0: up front, before any input). Chunks never span
    /// the start of such a segment.
    pub(crate) at_segment: usize,
}

impl Planned {
    /// A user action for a wire action, with default options.
    pub(crate) fn user(wire: WireAction) -> Self {
        Self {
            user: Some((wire.to_action(), SendOptions::default())),
            wire: Some(wire),
            at_segment: 0,
        }
    }

    /// A user action that stands in for bytes the connection cannot send
    /// (the garbage of capture 29): on the wire it is `Action: StandIn`.
    pub(crate) fn stand_in(what: &str) -> Self {
        Self::user(WireAction::new("StandIn", None, &[("For", what)]))
    }
}

/// A capture turned into a replay.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    /// For messages.
    pub(crate) name: String,
    /// The connection's configuration.
    pub(crate) config: Config,
    /// Internal and user actions in wire order (plus, anywhere, user
    /// actions that never reach the wire).
    pub(crate) plan: Vec<Planned>,
    /// The server's bytes, one decoded item per segment, with the capture's
    /// ActionIDs.
    pub(crate) segments: Vec<Vec<u8>>,
    /// Whether to call `handle_disconnect` after the last segment (the
    /// server closed the socket).
    pub(crate) disconnect_at_end: bool,
}

impl Scenario {
    /// `testdata/captures/<stem>.bin` driven by the actions of
    /// `<stem>.sent`: the login settings come from the `.sent` Login (MD5
    /// if a Challenge was sent), every other action is a user action.
    pub(crate) fn capture(stem: &str) -> Self {
        let bin = read_capture(&format!("{stem}.bin"));
        let sent = decode_sent(&read_capture(&format!("{stem}.sent")));
        Self::from_parts(stem, &bin, sent)
    }

    /// A scenario from server bytes and the client's wire actions.
    pub(crate) fn from_parts(name: &str, bin: &[u8], sent: Vec<WireAction>) -> Self {
        let config = config_for(&sent);
        let plan = sent
            .into_iter()
            .map(|wire| {
                if wire.is_internal() {
                    Planned {
                        wire: Some(wire),
                        user: None,
                        at_segment: 0,
                    }
                } else {
                    Planned::user(wire)
                }
            })
            .collect();
        Self {
            name: name.into(),
            config,
            plan,
            segments: segments_of(bin),
            disconnect_at_end: true,
        }
    }

    /// The index in `plan` of the action whose capture ActionID is `id`.
    pub(crate) fn plan_index(&self, id: &str) -> usize {
        self.plan
            .iter()
            .position(|p| p.wire.as_ref().and_then(|w| w.id.as_deref()) == Some(id))
            .unwrap_or_else(|| panic!("{}: no action with ActionID {id}", self.name))
    }

    /// The index of the first segment containing `needle`.
    pub(crate) fn segment_index(&self, needle: &str) -> usize {
        self.segments
            .iter()
            .position(|s| contains(s, needle.as_bytes()))
            .unwrap_or_else(|| panic!("{}: no segment contains {needle:?}", self.name))
    }
}

/// The configuration the capture's client used: user, secret and `Events`
/// from its Login; MD5 if it sent a Challenge; no login if it sent none.
fn config_for(sent: &[WireAction]) -> Config {
    let md5 = sent
        .iter()
        .any(|a| a.name.eq_ignore_ascii_case("Challenge"));
    let login = sent.iter().find(|a| a.name.eq_ignore_ascii_case("Login"));
    let events = match login.and_then(|l| l.get("Events")) {
        None | Some("on") => EventMask::On,
        Some("off") => EventMask::Off,
        Some(mask) => EventMask::Mask(mask.into()),
    };
    let login = login.map(|l| {
        let user = l.get("Username").expect("Login without Username");
        if md5 {
            Login::md5(user, SECRET)
        } else {
            Login::new(user, l.get("Secret").expect("Login without Secret"))
        }
    });
    // The captures' clients sent some actions without ActionID and
    // Asterisk answered them without one, in order: the replay matches
    // them so (a live client gives every action an ID, and the default
    // `Strict` leaves ID-less answers to nobody).
    let idless = if sent.iter().any(|a| a.id.is_none() && !a.name.is_empty())
        || sent.iter().any(|a| a.name.is_empty())
    {
        ami_proto::IdlessResponses::InOrder
    } else {
        ami_proto::IdlessResponses::Strict
    };
    Config {
        login,
        events,
        action_id_prefix: Some("t".into()),
        idless_responses: idless,
        ..Config::default()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// How to cut the bytes fed to `handle_input`.
#[derive(Debug, Clone)]
pub(crate) enum Chunking {
    /// In one piece.
    Whole,
    /// One byte at a time.
    Bytes,
    /// Chunks of these sizes, cycled (0 counts as 1).
    Sizes(Vec<usize>),
}

impl Chunking {
    fn cut<'b>(&self, data: &'b [u8]) -> Vec<&'b [u8]> {
        match self {
            Self::Whole => vec![data],
            Self::Bytes => data.chunks(1).collect(),
            Self::Sizes(sizes) => {
                let mut out = Vec::new();
                let mut rest = data;
                let mut i = 0;
                while !rest.is_empty() {
                    let n = sizes
                        .get(i % sizes.len().max(1))
                        .copied()
                        .unwrap_or(1)
                        .max(1);
                    let (chunk, tail) = rest.split_at(n.min(rest.len()));
                    out.push(chunk);
                    rest = tail;
                    i += 1;
                }
                out
            }
        }
    }
}

/// Rewrites every `ActionID: <capture id>` line whose ID is in `map` to our
/// ID, keeping the line ending (and whether the colon had a space).
pub(crate) fn rewrite_ids(segment: &[u8], map: &HashMap<String, String>) -> Vec<u8> {
    let mut out = Vec::with_capacity(segment.len() + 16);
    for line in segment.split_inclusive(|&b| b == b'\n') {
        let content_len = line.len()
            - if line.ends_with(b"\r\n") {
                2
            } else {
                usize::from(line.ends_with(b"\n"))
            };
        let (content, ending) = line.split_at(content_len);
        let key = b"actionid:";
        if content.len() >= key.len() && content[..key.len()].eq_ignore_ascii_case(key) {
            let mut value_at = key.len();
            if content.get(value_at) == Some(&b' ') {
                value_at += 1;
            }
            let value = String::from_utf8_lossy(&content[value_at..]);
            if let Some(ours) = map.get(value.as_ref()) {
                out.extend_from_slice(&content[..value_at]);
                out.extend_from_slice(ours.as_bytes());
                out.extend_from_slice(ending);
                continue;
            }
        }
        out.extend_from_slice(line);
    }
    out
}

/// What came out of one replay.
#[derive(Debug)]
pub(crate) struct Run {
    /// The scenario's name.
    pub(crate) name: String,
    /// Every event, in order.
    pub(crate) events: Vec<Event>,
    /// The handle of each plan step that is a user action.
    pub(crate) handles: Vec<Option<ActionHandle>>,
    /// What the connection transmitted, decoded, with the plan index each
    /// was paired with.
    pub(crate) sent: Vec<(usize, WireAction)>,
    /// Every non-empty `poll_transmit`, in order.
    pub(crate) transmits: Vec<Vec<u8>>,
    /// Capture ActionID → ours.
    pub(crate) id_map: HashMap<String, String>,
    /// Wire actions of the plan that were never transmitted.
    pub(crate) unsent: Vec<(usize, WireAction)>,
    /// The connection's close reason at the end.
    pub(crate) close_reason: Option<CloseReason>,
    /// `poll_timeout` at the end.
    pub(crate) final_timeout: Option<Instant>,
    /// `in_flight` at the end.
    pub(crate) final_in_flight: usize,
    /// Where the run started, for reading `final_timeout`.
    pub(crate) t0: Instant,
}

impl Run {
    /// The outcome of the user action at plan index `i` (panics unless
    /// there is exactly one).
    pub(crate) fn outcome(&self, i: usize) -> &Result<Response, ActionError> {
        let handle = self.handles[i].unwrap_or_else(|| panic!("plan step {i} is no user action"));
        let mut outcomes = self.events.iter().filter_map(|e| match e {
            Event::ActionCompleted { handle: h, outcome } if *h == handle => Some(outcome),
            _ => None,
        });
        let first = outcomes
            .next()
            .unwrap_or_else(|| panic!("{}: step {i} never completed", self.name));
        assert!(
            outcomes.next().is_none(),
            "{}: step {i} completed twice",
            self.name
        );
        first
    }

    /// The response of the user action at plan index `i`, which must be Ok.
    pub(crate) fn ok(&self, i: usize) -> &Response {
        match self.outcome(i) {
            Ok(r) => r,
            Err(e) => panic!("{}: step {i} failed: {e:?}", self.name),
        }
    }

    /// The response of the user action at plan index `i`, which must have
    /// been rejected.
    pub(crate) fn rejected(&self, i: usize) -> &Response {
        match self.outcome(i) {
            Err(ActionError::Rejected(r)) => r,
            other => panic!("{}: step {i} not rejected: {other:?}", self.name),
        }
    }

    /// Our ActionID for the capture's `id`.
    pub(crate) fn our_id(&self, capture_id: &str) -> &str {
        self.id_map
            .get(capture_id)
            .unwrap_or_else(|| panic!("{}: capture ID {capture_id} not mapped", self.name))
    }

    /// The unsolicited messages, in order.
    pub(crate) fn messages(&self) -> Vec<&Message> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some(m),
                _ => None,
            })
            .collect()
    }

    /// The events as readable one-liners (see [`summarize`]).
    pub(crate) fn summary(&self) -> Vec<String> {
        let index: HashMap<ActionHandle, usize> = self
            .handles
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.map(|h| (h, i)))
            .collect();
        self.events.iter().map(|e| summarize(e, &index)).collect()
    }
}

/// One event as a one-liner: variant, plan index of the handle (`a3`),
/// Ok/Err kind and the key fields.
pub(crate) fn summarize(event: &Event, index: &HashMap<ActionHandle, usize>) -> String {
    match event {
        Event::Connected(banner) => format!(
            "Connected {}",
            banner.version().map(|v| v.to_string()).unwrap_or_default()
        ),
        Event::Authenticated => "Authenticated".into(),
        Event::ActionCompleted { handle, outcome } => {
            let who = index
                .get(handle)
                .map_or_else(|| format!("#{}?", handle.get()), |i| format!("a{i}"));
            match outcome {
                Ok(r) => format!("{who} Ok {}", describe(r)),
                Err(ActionError::Rejected(r)) => format!("{who} Err Rejected {}", describe(r)),
                Err(ActionError::ConnectionClosed(reason)) => {
                    format!("{who} Err ConnectionClosed {reason:?}")
                }
                Err(ActionError::Malformed(e)) => format!("{who} Err Malformed {:?}", e.kind()),
                Err(e) => format!("{who} Err {e:?}"),
            }
        }
        Event::Message(m) => format!(
            "Message {} {}{}",
            m.kind().as_str(),
            m.name().map(|v| v.to_string()).unwrap_or_default(),
            m.action_id()
                .map(|v| format!(" id={v}"))
                .unwrap_or_default()
        ),
        Event::Violation(Violation::Decode(e)) => format!("Violation Decode {:?}", e.kind()),
        Event::Violation(v) => format!("Violation {v:?}"),
        Event::Closed(reason) => format!("Closed {reason:?}"),
        other => format!("{other:?}"),
    }
}

fn describe(r: &Response) -> String {
    let mut s = r.status().to_string();
    if let Some(text) = r.text() {
        s.push_str(&format!(" {:?}", text.to_string()));
    }
    if !r.events().is_empty() || r.completion().is_some() {
        s.push_str(&format!(" events={}", r.events().len()));
    }
    if let Some(c) = r.completion() {
        s.push_str(&format!(
            " completion={}",
            c.name().map(|v| v.to_string()).unwrap_or_default()
        ));
    }
    let output = r.output().count();
    if output > 0 {
        s.push_str(&format!(" output={output}"));
    }
    s
}

/// How the server's bytes are fed.
enum Feed<'a> {
    /// Segment by segment, each rewritten with the map built so far.
    Segments(&'a Chunking),
    /// The whole stream rewritten with a reference map, chunked across
    /// segment boundaries, optionally cut off after `truncate` bytes.
    Stream {
        chunking: &'a Chunking,
        reference: &'a HashMap<String, String>,
        truncate: Option<usize>,
    },
}

struct Replayer<'a> {
    scenario: &'a Scenario,
    conn: Connection,
    t0: Instant,
    expected: VecDeque<(usize, WireAction)>,
    tx_decoder: Decoder,
    reference: Option<&'a HashMap<String, String>>,
    run: Run,
}

impl Replayer<'_> {
    /// After any input: transmit (decode, pair, map IDs), then events.
    fn drain(&mut self, now: Instant) {
        let mut out = Vec::new();
        let n = self.conn.poll_transmit(&mut out);
        assert_eq!(n, out.len());
        if !out.is_empty() {
            self.tx_decoder.feed(&out);
            self.run.transmits.push(out);
            while let Some(item) = self.tx_decoder.decode() {
                let Decoded::Message(m) = item else {
                    panic!(
                        "{}: transmitted a non-message: {item:?}",
                        self.scenario.name
                    )
                };
                assert_eq!(
                    m.kind(),
                    MessageKind::Action,
                    "{}: {m:?}",
                    self.scenario.name
                );
                self.pair(WireAction::from_message(&m));
            }
        }
        while let Some(event) = self.conn.poll_event() {
            self.run.events.push(event);
        }
        // The next deadline is never already past in a replay: nothing in
        // the captures waits long enough to time out. Calling
        // handle_timeout early must be harmless.
        if let Some(deadline) = self.conn.poll_timeout() {
            assert!(
                deadline > now,
                "{}: deadline already due",
                self.scenario.name
            );
        }
        self.conn.handle_timeout(now);
        let mut out = Vec::new();
        let _ = self.conn.poll_transmit(&mut out);
        assert!(
            out.is_empty(),
            "{}: early handle_timeout transmitted",
            self.scenario.name
        );
        assert!(
            self.conn.poll_event().is_none(),
            "{}: early handle_timeout produced an event",
            self.scenario.name
        );
    }

    /// Pairs a transmitted action with the capture's next one.
    fn pair(&mut self, mut ours: WireAction) {
        let name = &self.scenario.name;
        let Some((index, capture)) = self.expected.pop_front() else {
            panic!("{name}: transmitted {ours:?}, more than the capture's client sent")
        };
        let our_id = ours
            .id
            .clone()
            .unwrap_or_else(|| panic!("{name}: transmitted without ActionID: {ours:?}"));
        let mut compared = ours.clone();
        // A Login without `Events` means events on; ours always says so.
        if capture.name.eq_ignore_ascii_case("Login") && capture.get("Events").is_none() {
            let at = compared
                .headers
                .iter()
                .position(|(k, v)| k == "Events" && v == "on")
                .unwrap_or_else(|| panic!("{name}: our Login lacks `Events: on`: {ours:?}"));
            compared.headers.remove(at);
        }
        assert_eq!(
            (&compared.name, &compared.headers),
            (&capture.name, &capture.headers),
            "{name}: transmitted action {index} differs from the capture's"
        );
        if let Some(capture_id) = &capture.id {
            if let Some(reference) = self.reference {
                assert_eq!(
                    reference.get(capture_id),
                    Some(&our_id),
                    "{name}: ActionIDs differ from the reference run"
                );
            }
            let previous = self.run.id_map.insert(capture_id.clone(), our_id.clone());
            assert!(
                previous.is_none(),
                "{name}: capture ID {capture_id} used twice"
            );
        }
        ours.id = Some(our_id);
        self.run.sent.push((index, ours));
    }

    /// Gives the user actions due at segment `k` (once).
    fn give(&mut self, k: usize, now: Instant) {
        let scenario = self.scenario;
        for (i, step) in scenario.plan.iter().enumerate() {
            if step.at_segment != k || self.run.handles[i].is_some() {
                continue;
            }
            if let Some((action, options)) = &step.user {
                let handle = self.conn.send_action_with(action.clone(), *options, now);
                self.run.handles[i] = Some(handle);
            }
        }
        self.drain(now);
    }

    fn feed(&mut self, now: Instant, bytes: &[u8]) {
        self.conn.handle_input(now, bytes);
        self.drain(now);
    }
}

/// Replays a scenario segment by segment, each segment in `chunking`.
pub(crate) fn replay(scenario: &Scenario, chunking: &Chunking) -> Run {
    run(scenario, &Feed::Segments(chunking))
}

/// Replays the whole server stream, rewritten with `reference`'s ID map, in
/// `chunking` across segment boundaries; with `truncate`, only that many
/// bytes of it, then `handle_disconnect`.
pub(crate) fn replay_stream(
    scenario: &Scenario,
    reference: &Run,
    chunking: &Chunking,
    truncate: Option<usize>,
) -> Run {
    run(
        scenario,
        &Feed::Stream {
            chunking,
            reference: &reference.id_map,
            truncate,
        },
    )
}

/// The whole rewritten stream of a scenario and where each segment ends in
/// it.
pub(crate) fn rewritten_stream(
    scenario: &Scenario,
    map: &HashMap<String, String>,
) -> (Vec<u8>, Vec<usize>) {
    let mut stream = Vec::new();
    let mut ends = Vec::new();
    for segment in &scenario.segments {
        stream.extend_from_slice(&rewrite_ids(segment, map));
        ends.push(stream.len());
    }
    (stream, ends)
}

fn run(scenario: &Scenario, feed: &Feed<'_>) -> Run {
    let t0 = Instant::now();
    let at = |segment: usize| t0 + Duration::from_millis(segment as u64);
    let mut r = Replayer {
        scenario,
        conn: Connection::new(scenario.config.clone(), t0),
        t0,
        expected: scenario
            .plan
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.wire.clone().map(|w| (i, w)))
            .collect(),
        tx_decoder: Decoder::new(),
        reference: match feed {
            Feed::Stream { reference, .. } => Some(reference),
            Feed::Segments(_) => None,
        },
        run: Run {
            name: scenario.name.clone(),
            events: Vec::new(),
            handles: vec![None; scenario.plan.len()],
            sent: Vec::new(),
            transmits: Vec::new(),
            id_map: HashMap::new(),
            unsent: Vec::new(),
            close_reason: None,
            final_timeout: None,
            final_in_flight: 0,
            t0,
        },
    };
    r.give(0, t0);

    let mut end = t0;
    let mut truncated = false;
    match feed {
        Feed::Segments(chunking) => {
            for (k, segment) in scenario.segments.iter().enumerate() {
                let now = at(k);
                if k > 0 {
                    r.give(k, now);
                }
                let bytes = rewrite_ids(segment, &r.run.id_map);
                for chunk in chunking.cut(&bytes) {
                    r.feed(now, chunk);
                }
                end = now;
            }
        }
        Feed::Stream {
            chunking,
            reference,
            truncate,
        } => {
            let (mut stream, ends) = rewritten_stream(scenario, reference);
            if let Some(n) = *truncate {
                truncated = n < stream.len();
                stream.truncate(n);
            }
            // No chunk spans the start of a segment at which the user acts:
            // the stream is cut there first.
            let mut pieces = Vec::new();
            let mut from = 0;
            for k in 1..scenario.segments.len() {
                let start = ends[k - 1].min(stream.len());
                if scenario.plan.iter().any(|p| p.at_segment == k) && start > from {
                    pieces.push(&stream[from..start]);
                    from = start;
                }
            }
            pieces.push(&stream[from..]);
            let mut offset = 0;
            for chunk in pieces.into_iter().flat_map(|p| chunking.cut(p)) {
                // Steps due at a segment are given once the bytes before it
                // are all fed.
                let reached = 1 + ends.iter().take_while(|&&e| e <= offset).count();
                for k in 1..reached.min(scenario.segments.len()) {
                    r.give(k, at(k));
                }
                offset += chunk.len();
                let now = at(ends.iter().take_while(|&&e| e < offset).count());
                r.feed(now, chunk);
                end = now;
            }
        }
    }
    // Steps due at segments never reached (cut off) are given at the end.
    for k in 1..scenario.segments.len() {
        r.give(k, end);
    }
    if scenario.disconnect_at_end || truncated {
        end += Duration::from_millis(1);
        r.conn.handle_disconnect(end);
        r.drain(end);
    }

    r.run.unsent = r.expected.drain(..).collect();
    r.run.close_reason = r.conn.close_reason().cloned();
    r.run.final_timeout = r.conn.poll_timeout();
    r.run.final_in_flight = r.conn.in_flight();
    check_invariants(&r.run);
    r.run
}

/// What holds after every run, complete or cut off: each user handle ends
/// exactly once, no outcome for any other handle, at most one `Closed` and
/// nothing after it, and a closed connection has nothing in flight and no
/// deadline.
pub(crate) fn check_invariants(run: &Run) {
    let name = &run.name;
    let handles: HashSet<ActionHandle> = run.handles.iter().flatten().copied().collect();
    let mut seen = HashSet::new();
    for event in &run.events {
        if let Event::ActionCompleted { handle, .. } = event {
            assert!(
                handles.contains(handle),
                "{name}: outcome for a foreign handle {handle:?}"
            );
            assert!(seen.insert(*handle), "{name}: {handle:?} completed twice");
        }
    }
    for (i, h) in run.handles.iter().enumerate() {
        if let Some(h) = h {
            assert!(seen.contains(h), "{name}: step {i} ({h:?}) never completed");
        }
    }
    let closed = run
        .events
        .iter()
        .filter(|e| matches!(e, Event::Closed(_)))
        .count();
    assert!(closed <= 1, "{name}: {closed} Closed events");
    if closed == 1 {
        assert!(
            matches!(run.events.last(), Some(Event::Closed(_))),
            "{name}: events after Closed: {:?}",
            run.summary()
        );
        let Some(Event::Closed(reason)) = run.events.last() else {
            unreachable!()
        };
        assert_eq!(run.close_reason.as_ref(), Some(reason), "{name}");
        assert_eq!(run.final_timeout, None, "{name}: closed but a deadline");
        assert_eq!(
            run.final_in_flight, 0,
            "{name}: closed but actions in flight"
        );
    } else {
        assert!(
            run.close_reason.is_none(),
            "{name}: closed without a Closed event"
        );
    }
}

/// Asserts that two runs of one scenario came out the same: events (as
/// summaries, then in full), transmitted actions and bytes, ID maps.
pub(crate) fn assert_same(reference: &Run, other: &Run, how: &str) {
    let name = &reference.name;
    assert_eq!(reference.summary(), other.summary(), "{name}: {how}");
    assert!(
        reference.events == other.events,
        "{name}: {how}: events differ in detail"
    );
    assert_eq!(reference.sent, other.sent, "{name}: {how}");
    assert_eq!(
        reference.transmits.concat(),
        other.transmits.concat(),
        "{name}: {how}"
    );
    assert_eq!(reference.id_map, other.id_map, "{name}: {how}");
    assert_eq!(reference.unsent, other.unsent, "{name}: {how}");
    assert_eq!(reference.close_reason, other.close_reason, "{name}: {how}");
}

/// Replays a scenario whole, byte by byte and in odd chunk sizes, segment
/// by segment and across segment boundaries; asserts that all give the same
/// and that every capture action was sent. Returns the whole-segment run.
pub(crate) fn replay_all(scenario: &Scenario) -> Run {
    let reference = replay(scenario, &Chunking::Whole);
    assert!(
        reference.unsent.is_empty(),
        "{}: capture actions never sent: {:?}",
        scenario.name,
        reference.unsent
    );
    for chunking in [
        Chunking::Bytes,
        Chunking::Sizes(vec![2, 5, 11]),
        Chunking::Sizes(vec![64, 1, 300, 3]),
    ] {
        let other = replay(scenario, &chunking);
        assert_same(&reference, &other, &format!("segments in {chunking:?}"));
    }
    for chunking in [
        Chunking::Whole,
        Chunking::Bytes,
        Chunking::Sizes(vec![7, 3, 1000, 1]),
    ] {
        let other = replay_stream(scenario, &reference, &chunking, None);
        assert_same(&reference, &other, &format!("stream in {chunking:?}"));
    }
    reference
}

/// Checks a run whose server stream was cut off after some bytes and
/// followed by `handle_disconnect` against the full run: its events are a
/// prefix of the full run's, then at most one Truncated report (the action
/// whose answer was cut, or a violation), then `ConnectionClosed` for every
/// action still open, then `Closed`.
pub(crate) fn check_cut_off(full: &Run, cut: &Run) {
    let name = &full.name;
    let summary = cut.summary();
    let prefix = full
        .events
        .iter()
        .zip(&cut.events)
        .take_while(|(a, b)| a == b)
        .count();
    let tail = &cut.events[prefix..];
    let Some(Event::Closed(reason)) = cut.events.last() else {
        panic!("{name}: not closed after the disconnect: {summary:?}")
    };
    let mut truncated_reports = 0;
    for event in tail {
        match event {
            Event::ActionCompleted {
                outcome: Err(ActionError::ConnectionClosed(r)),
                ..
            } => assert_eq!(r, reason, "{name}: {summary:?}"),
            Event::ActionCompleted {
                outcome: Err(ActionError::Malformed(e)),
                ..
            } if e.kind() == DecodeErrorKind::Truncated => truncated_reports += 1,
            Event::Violation(Violation::Decode(e)) if e.kind() == DecodeErrorKind::Truncated => {
                truncated_reports += 1;
            }
            Event::Closed(_) => {}
            other => {
                panic!("{name}: unexpected {other:?} after the cut (prefix {prefix}): {summary:?}")
            }
        }
    }
    assert!(truncated_reports <= 1, "{name}: {summary:?}");
    if !tail.is_empty() {
        assert!(
            matches!(reason, CloseReason::PeerClosed | CloseReason::LoggedOff),
            "{name}: closed by the cut with {reason:?}"
        );
    }
}
