//! The `connection` target: the client state machine driven by a script of
//! server bytes, user actions, clock steps and closes, with its invariants
//! checked after every step.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use ami_proto::{
    Action, ActionError, ActionHandle, Config, Connection, Decoded, Decoder, Event, EventMask,
    IdlessResponses, Keepalive, Limits, Login, MessageKind, SendOptions,
};

use crate::reader::Reader;
use crate::{TINY_LIMITS, buffer_bound};

/// The prefix of the connection's own ActionIDs: fixed, so that runs are
/// reproducible and scripts can aim at them (`f-1`, `f-2` …).
pub(crate) const PREFIX: &str = "f";

/// In a `Raw` op's bytes, `SUBST k` stands for the ActionID of an action
/// the client sent (the `k`-th newest, wrapping).
pub(crate) const SUBST: u8 = 0xf0;

/// The ops of a script, `op % OPS` of its first byte.
pub(crate) mod op {
    /// `kind opts` (kind 7: then `len` and `len` bytes of an action to
    /// decode and send): the user sends an action.
    pub(crate) const SEND: u8 = 0;
    /// `template nth`: the server sends a realistic message about the
    /// `nth` newest ActionID the client sent.
    pub(crate) const REPLY: u8 = 1;
    /// `len` and `len` bytes (with `SUBST k` replaced): the server sends them.
    pub(crate) const RAW: u8 = 2;
    /// `template nth keep`: like `REPLY`, but the last `keep` bytes (modulo
    /// the length) stay back until the next server bytes.
    pub(crate) const PARTIAL: u8 = 3;
    /// `step`: the clock moves on, then `handle_timeout`.
    pub(crate) const CLOCK: u8 = 4;
    /// The user closes (`close`).
    pub(crate) const CLOSE: u8 = 5;
    /// The user ends softly (`end`).
    pub(crate) const END: u8 = 6;
    /// The socket closes (`handle_disconnect`).
    pub(crate) const DISCONNECT: u8 = 7;
    /// `token nth`: the server sends one AMI token.
    pub(crate) const TOKEN: u8 = 8;
    /// Bytes held back by `PARTIAL` go out.
    pub(crate) const FLUSH: u8 = 9;
    /// How many ops there are.
    pub(crate) const OPS: u8 = 10;
}

/// The banner of Asterisk 22.
pub(crate) const BANNER: &[u8] = b"Asterisk Call Manager/11.0.0\r\n";

/// Most steps one input runs.
const MAX_STEPS: usize = 400;

/// The configuration an input's first four bytes `c0 c1 c2 c3` ask for,
/// and whether to start with a banner and an accepted login (`c0` bit 7).
///
/// * `c0 % 4`: no login, plaintext, MD5, or a plaintext login whose
///   username holds CR LF (which the client must refuse to send);
///   `(c0 >> 2) % 3`: events on, off or a mask; bit 6: keepalive.
/// * `c1`: action timeout `(c1 % 32 + 1) × 250 ms`, login timeout
///   `(c1 >> 5) + 1` s.
/// * `c2 % 5`: `max_list_events` (0 to 4); `(c2 >> 3) % 4`: default limits,
///   small ones, [`TINY_LIMITS`], or a message limit below the line limit;
///   bit 7: ID-less answers matched in order (`IdlessResponses::InOrder`).
/// * `c3`: keepalive interval `(c3 % 16 + 1) × 100 ms`, timeout
///   `((c3 >> 4) + 1) × 50 ms`.
pub(crate) fn config(r: &mut Reader<'_>) -> (Config, bool) {
    let [c0, c1, c2, c3] = [r.u8(), r.u8(), r.u8(), r.u8()];
    let login = match c0 % 4 {
        0 => None,
        1 => Some(Login::new("admin", "amp111")),
        2 => Some(Login::md5("admin", "amp111")),
        _ => Some(Login::new("admin\r\nAction: Logoff", "amp111")),
    };
    let events = match (c0 >> 2) % 3 {
        0 => EventMask::On,
        1 => EventMask::Off,
        _ => EventMask::Mask("call,user".into()),
    };
    let keepalive = (c0 & 0x40 != 0).then(|| Keepalive {
        interval: Duration::from_millis(100 * (u64::from(c3 % 16) + 1)),
        timeout: Duration::from_millis(50 * (u64::from(c3 >> 4) + 1)),
    });
    let limits = match (c2 >> 3) % 4 {
        0 => Limits::default(),
        1 => Limits {
            max_line_len: 64,
            max_message_len: 512,
            max_headers: 16,
        },
        2 => TINY_LIMITS,
        _ => Limits {
            max_line_len: 200,
            max_message_len: 100,
            max_headers: 1000,
        },
    };
    let config = Config {
        login,
        events,
        action_timeout: Duration::from_millis(250 * (u64::from(c1 % 32) + 1)),
        login_timeout: Duration::from_secs(u64::from(c1 >> 5) + 1),
        keepalive,
        max_list_events: usize::from(c2 % 5),
        limits,
        action_id_prefix: Some(PREFIX.into()),
        idless_responses: if c2 & 0x80 != 0 {
            IdlessResponses::InOrder
        } else {
            IdlessResponses::Strict
        },
    };
    (config, c0 & 0x80 != 0)
}

/// Realistic server messages; `{id}` becomes an ActionID the client sent.
pub(crate) const TEMPLATES: &[&[u8]] = &[
    b"Response: Success\r\nActionID: {id}\r\nMessage: Authentication accepted\r\n\r\n",
    b"Response: Error\r\nActionID: {id}\r\nMessage: Permission denied\r\n\r\n",
    b"Response: Success\r\nActionID: {id}\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n",
    b"Event: CoreShowChannel\r\nActionID: {id}\r\nChannel: Local/100@default-00000001;1\r\n\r\n",
    b"Event: CoreShowChannelsComplete\r\nActionID: {id}\r\nEventList: Complete\r\nListItems: 1\r\n\r\n",
    b"Event: StatusComplete\r\nActionID: {id}\r\nItems: 0\r\n\r\n",
    b"Event: OriginateResponse\r\nActionID: {id}\r\nResponse: Success\r\nChannel: Local/100@default\r\nReason: 4\r\n\r\n",
    b"Event: OriginateResponse\r\nActionID: {id}\r\nResponse: Failure\r\nReason: 0\r\n\r\n",
    b"Response: Goodbye\r\nActionID: {id}\r\nMessage: Thanks for all the fish.\r\n\r\n",
    b"Response: Success\r\nPing: Pong\r\n\r\n",
    b"Response: Follows\r\nPrivilege: Command\r\nActionID: {id}\r\nAsterisk 13.38.3\n\n--END COMMAND--\r\n\r\n",
    b"Response: Success\r\nActionID: {id}\r\nMessage: Command output follows\r\nOutput: Asterisk 22.10.1\r\nOutput: \r\n\r\n",
    b"Response: Success\r\nActionID: {id}\r\nChallenge: 840565412\r\n\r\n",
    BANNER,
    b"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n",
    b"response: success\nactionid: {id}\neventlist: START\n\n",
    b"Event: Status\r\nActionID: {id}\r\nChannel: Local/101@default-00000002;2\r\n\r\n",
    b"Response: Success\r\nActionID: {id}\r\nMessage: Originate successfully queued\r\n\r\n",
    b"Response: Error\r\nMessage: Missing action in request\r\n\r\n",
    b"Event: DBGetResponse\r\nActionID: {id}\r\nFamily: f\r\nKey: k\r\nVal: v\r\n\r\n",
    b"Event: DBGetComplete\r\nActionID: {id}\r\nEventList: cOmPlEtE\r\n\r\n",
    b"Response: Success\r\nActionID: {id}\r\nOutput: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n\r\n",
    b"Response: Success\r\nActionID: {id}\r\n",
    b"\r\n",
];

/// A message too large for the small limits (many lines): `TEMPLATES`
/// index `TEMPLATES.len()`.
fn oversized(id: &[u8]) -> Vec<u8> {
    let mut m = b"Response: Success\r\nActionID: ".to_vec();
    m.extend_from_slice(id);
    m.extend_from_slice(b"\r\nMessage: Command output follows\r\n");
    for _ in 0..40 {
        m.extend_from_slice(b"Output: 0123456789012345678901234567890123456789\r\n");
    }
    m.extend_from_slice(b"\r\n");
    m
}

/// AMI tokens for the `TOKEN` op; `{id}` as in [`TEMPLATES`].
pub(crate) const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\r\n\r\n",
    b"\n",
    b"Response: ",
    b"Event: ",
    b"ActionID: {id}\r\n",
    b"{id}",
    b"EventList: start\r\n",
    b"EventList: Complete\r\n",
    b"--END COMMAND--",
    b"Response: Follows\r\n",
    b"Privilege: Command\r\n",
    b"Success",
    b"Error",
    b"OriginateResponse",
    b"Complete",
    b": ",
    b"Output: x\r\n",
    b"Goodbye",
    b"Challenge: 1\r\n",
];

/// Per-action timeouts a `SEND` op may ask for.
const TIMEOUTS: [Option<Duration>; 8] = [
    None,
    Some(Duration::ZERO),
    Some(Duration::from_millis(50)),
    Some(Duration::from_secs(1)),
    Some(Duration::from_secs(10)),
    Some(Duration::MAX),
    Some(Duration::from_millis(300)),
    Some(Duration::from_secs(5)),
];

/// Clock steps a `CLOCK` op may take; `None`: up to the next deadline
/// ([`Connection::poll_timeout`]).
const STEPS: [Option<Duration>; 10] = [
    Some(Duration::ZERO),
    Some(Duration::from_millis(1)),
    Some(Duration::from_millis(7)),
    Some(Duration::from_millis(50)),
    Some(Duration::from_millis(300)),
    Some(Duration::from_secs(1)),
    Some(Duration::from_secs(5)),
    Some(Duration::from_secs(40)),
    None,
    None,
];

/// How an action ended, in short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Ok,
    /// Refused at once, nothing sent: closed, closing, invalid, duplicate.
    Refused,
    /// A list that failed; it may still sit in the table, swallowing the
    /// rest of its events.
    ListFailed,
    Other,
}

/// The connection and what has come out of it.
struct Harness {
    conn: Connection,
    now: Instant,
    max_list_events: usize,
    bound: usize,
    /// The user's handles, and how many outcomes each has had.
    outcomes: HashMap<ActionHandle, u32>,
    /// The user's handles without an outcome yet.
    open: BTreeSet<ActionHandle>,
    /// The ActionID of each user action accepted (in flight once given).
    handle_ids: HashMap<ActionHandle, Vec<u8>>,
    last_handle: Option<ActionHandle>,
    /// The ActionIDs of the actions the client sent, oldest first.
    sent_ids: Vec<Vec<u8>>,
    /// Decodes what the client sent.
    sent: Decoder,
    /// Server bytes held back by `PARTIAL`.
    held: Vec<u8>,
    /// A decoder fed what the connection's decoder is fed, with the same
    /// limits: its buffer must stay bounded.
    shadow: Decoder,
    closed: u32,
    connected: u32,
    authenticated: u32,
    /// Whether the server has greeted with a banner (anything else first
    /// ends the connection before a byte is sent).
    greeted: bool,
    list_failures: usize,
}

/// What one step produced.
struct Drained {
    transmitted: usize,
    ended: Vec<(ActionHandle, Ended)>,
}

impl Harness {
    fn new(config: Config) -> Self {
        let now = Instant::now();
        Self {
            max_list_events: config.max_list_events,
            bound: buffer_bound(&config.limits),
            shadow: Decoder::with_limits(config.limits),
            conn: Connection::new(config, now),
            now,
            outcomes: HashMap::new(),
            open: BTreeSet::new(),
            handle_ids: HashMap::new(),
            last_handle: None,
            sent_ids: Vec::new(),
            sent: Decoder::new(),
            held: Vec::new(),
            closed: 0,
            connected: 0,
            authenticated: 0,
            greeted: false,
            list_failures: 0,
        }
    }

    /// Drains transmit and events after an input, checking every invariant.
    fn drain(&mut self) -> Drained {
        let closed_before = self.closed > 0;
        let mut out = Vec::new();
        let transmitted = self.conn.poll_transmit(&mut out);
        assert_eq!(transmitted, out.len());
        assert!(
            !closed_before || out.is_empty(),
            "bytes to send after Closed"
        );
        self.sent.feed(&out);
        while let Some(item) = self.sent.decode() {
            let Decoded::Message(action) = item else {
                panic!("the client sent {item:?}")
            };
            assert_eq!(
                action.kind(),
                MessageKind::Action,
                "the client sent {action:?}"
            );
            let id = action
                .action_id()
                .expect("every action sent has an ActionID");
            self.sent_ids.push(id.as_bytes().to_vec());
        }
        assert_eq!(self.sent.buffered_len(), 0, "half an action sent");
        let mut ended = Vec::new();
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::ActionCompleted { handle, outcome } => {
                    let count = self
                        .outcomes
                        .get_mut(&handle)
                        .unwrap_or_else(|| panic!("an outcome for {handle:?}, not a user action"));
                    *count += 1;
                    assert_eq!(*count, 1, "{handle:?} ended twice: {outcome:?}");
                    if matches!(outcome, Ok(_) | Err(ActionError::Rejected(_))) {
                        // Answered: it must have been sent.
                        let id = &self.handle_ids[&handle];
                        assert!(
                            self.sent_ids.contains(id),
                            "{handle:?} ({}) answered, never sent: {outcome:?}",
                            String::from_utf8_lossy(id)
                        );
                    }
                    let kind = match &outcome {
                        Ok(response) => {
                            assert!(response.events().len() <= self.max_list_events);
                            Ended::Ok
                        }
                        Err(ActionError::ListTooLarge { limit }) => {
                            assert_eq!(*limit, self.max_list_events);
                            Ended::ListFailed
                        }
                        Err(ActionError::Malformed(_)) => Ended::ListFailed,
                        Err(
                            ActionError::Closing
                            | ActionError::Invalid(_)
                            | ActionError::DuplicateActionId(_),
                        ) => Ended::Refused,
                        Err(ActionError::ConnectionClosed(_)) if closed_before => Ended::Refused,
                        Err(_) => Ended::Other,
                    };
                    assert!(
                        !closed_before || kind == Ended::Refused,
                        "{outcome:?} after Closed"
                    );
                    if kind == Ended::ListFailed {
                        self.list_failures += 1;
                    }
                    ended.push((handle, kind));
                    self.open.remove(&handle);
                }
                Event::Closed(reason) => {
                    self.closed += 1;
                    assert_eq!(self.closed, 1, "closed twice: {reason:?}");
                    assert_eq!(self.conn.close_reason(), Some(&reason));
                }
                Event::Connected(_) => {
                    self.connected += 1;
                    self.greeted = true;
                    assert!(self.connected == 1 && !closed_before);
                }
                Event::Authenticated => {
                    self.authenticated += 1;
                    assert!(self.authenticated == 1 && !closed_before);
                }
                other => assert!(!closed_before, "{other:?} after Closed"),
            }
        }
        assert_eq!(self.conn.is_closed(), self.closed == 1);
        assert!(
            self.greeted || self.sent_ids.is_empty(),
            "sent before the server greeted"
        );
        // An action not ended yet is in flight, under an ActionID no other
        // action in flight has (else answers cannot find it); one that has
        // just ended is gone, but for a failed list swallowing the rest of
        // its events.
        let mut ids = HashSet::with_capacity(self.open.len());
        for &handle in &self.open {
            let id = self
                .conn
                .action_id(handle)
                .unwrap_or_else(|| panic!("{handle:?} not ended, not in flight"));
            assert!(
                ids.insert(id.as_bytes()),
                "two actions in flight with ActionID {id:?}"
            );
        }
        for (handle, kind) in &ended {
            if *kind != Ended::ListFailed {
                assert!(
                    self.conn.action_id(*handle).is_none(),
                    "{handle:?} ended, still in flight"
                );
            }
        }
        let unresolved = self.open.len();
        // Internal actions: a Challenge or Login, a keepalive Ping, a Logoff.
        assert!(
            self.conn.in_flight() <= unresolved + self.list_failures + 3,
            "{} in flight, {unresolved} unresolved",
            self.conn.in_flight()
        );
        if self.conn.is_closed() {
            assert_eq!(self.conn.in_flight(), 0);
            assert_eq!(self.conn.poll_timeout(), None);
        }
        Drained { transmitted, ended }
    }

    /// The server sends `bytes`, less the last `keep` (held for later).
    fn serve(&mut self, bytes: &[u8], keep: usize) {
        self.held.extend_from_slice(bytes);
        let n = self.held.len() - keep.min(self.held.len());
        let chunk: Vec<u8> = self.held.drain(..n).collect();
        if !self.conn.is_closed() {
            self.shadow.feed(&chunk);
            while self.shadow.decode().is_some() {}
            assert!(self.shadow.buffered_len() <= self.bound);
        }
        self.conn.handle_input(self.now, &chunk);
        self.drain();
    }

    /// The `nth` newest ActionID the client sent.
    fn id(&self, nth: u8) -> Vec<u8> {
        match self.sent_ids.len() {
            0 => b"none".to_vec(),
            n => self.sent_ids[n - 1 - usize::from(nth) % n].clone(),
        }
    }

    fn fill(&self, template: &[u8], nth: u8) -> Vec<u8> {
        let id = self.id(nth);
        let mut out = Vec::with_capacity(template.len() + id.len());
        let mut rest = template;
        while let Some(i) = rest.windows(4).position(|w| w == b"{id}") {
            out.extend_from_slice(&rest[..i]);
            out.extend_from_slice(&id);
            rest = &rest[i + 4..];
        }
        out.extend_from_slice(rest);
        out
    }

    fn reply(&self, template: u8, nth: u8) -> Vec<u8> {
        match TEMPLATES.get(usize::from(template) % (TEMPLATES.len() + 1)) {
            Some(t) => self.fill(t, nth),
            None => oversized(&self.id(nth)),
        }
    }

    fn send(&mut self, r: &mut Reader<'_>) {
        let kind = r.u8();
        let opts = r.u8();
        let mut invalid = false;
        let mut action = match kind % 10 {
            0 => Action::new("Ping"),
            1 => Action::new("Logoff"),
            2 => Action::new("Command").header("Command", "core show version"),
            3 => Action::new("CoreShowChannels"),
            4 => Action::new("Originate")
                .header("Channel", "Local/100@default")
                .header("Application", "Echo")
                .header("Async", "true"),
            5 => Action::new("Status"),
            6 => {
                invalid = true;
                Action::new("Command").header("Command", "core show version\r\nAction: Logoff")
            }
            7 => {
                let len = usize::from(r.u8());
                action_from(r.take(len))
            }
            8 => Action::new("Login")
                .header("Username", "admin")
                .header("Secret", "amp111"),
            _ => Action::new("DBGet")
                .header("Family", "f")
                .header("Key", "k"),
        };
        match opts >> 5 {
            4 => action.set_action_id("x"),
            5 => action.set_action_id(""),
            6 => action.set_action_id(format!("{PREFIX}-2")),
            7 => action.set_action_id(self.id(0)),
            _ => {}
        }
        let options = SendOptions {
            timeout: TIMEOUTS[usize::from(opts >> 2) % TIMEOUTS.len()],
            expect_list: opts & 1 != 0,
            wait_for_originate_response: opts & 2 != 0,
        };
        let was_closed = self.conn.is_closed();
        let handle = self.conn.send_action_with(action, options, self.now);
        assert!(
            self.last_handle.is_none_or(|last| handle > last),
            "handle reused"
        );
        self.last_handle = Some(handle);
        self.outcomes.insert(handle, 0);
        self.open.insert(handle);
        if let Some(id) = self.conn.action_id(handle) {
            self.handle_ids.insert(handle, id.as_bytes().to_vec());
        }
        let drained = self.drain();
        let now_ended = drained.ended.iter().find(|(h, _)| *h == handle);
        if was_closed || invalid {
            assert!(
                matches!(now_ended, Some((_, Ended::Refused))),
                "{handle:?} not refused at once: {now_ended:?}"
            );
        }
        if let Some((_, Ended::Refused)) = now_ended {
            assert_eq!(drained.transmitted, 0, "a refused action was sent");
        }
    }

    fn clock(&mut self, step: u8) {
        match STEPS[usize::from(step) % STEPS.len()] {
            Some(d) => self.now += d,
            None => {
                if let Some(t) = self.conn.poll_timeout() {
                    self.now = self.now.max(t);
                }
            }
        }
        self.conn.handle_timeout(self.now);
        self.drain();
        // Everything due has been done: the next wake-up is later.
        if let Some(t) = self.conn.poll_timeout() {
            assert!(
                t > self.now,
                "poll_timeout {t:?} not after now {:?}",
                self.now
            );
        }
    }

    /// The end of every script: time runs out, the socket closes.
    fn finish(mut self) {
        self.now += Duration::from_secs(2 * 86_400);
        self.conn.handle_timeout(self.now);
        self.drain();
        self.conn.handle_disconnect(self.now);
        self.drain();
        assert!(self.conn.is_closed());
        assert_eq!(self.closed, 1);
        assert_eq!(self.conn.in_flight(), 0);
        assert_eq!(self.conn.poll_timeout(), None);
        for (handle, n) in &self.outcomes {
            assert_eq!(*n, 1, "{handle:?} ended {n} times");
        }
        // Closed is final: nothing more comes out.
        self.conn.handle_input(self.now, BANNER);
        self.conn.handle_timeout(self.now);
        self.conn.handle_disconnect(self.now);
        self.conn.close(self.now);
        self.conn.end(self.now);
        let drained = self.drain();
        assert_eq!((drained.transmitted, drained.ended.len()), (0, 0));
    }
}

/// An action from AMI text: the first message's first header value is the
/// name, the other headers follow (`ActionID` sets the id).
fn action_from(bytes: &[u8]) -> Action {
    let mut decoder = Decoder::new();
    decoder.feed(bytes);
    let mut message = None;
    while let Some(item) = decoder.decode() {
        if let Decoded::Message(m) = item {
            message = Some(m);
            break;
        }
    }
    if message.is_none()
        && let Some(Decoded::Message(m)) = decoder.finish()
    {
        message = Some(m);
    }
    let Some(message) = message else {
        return Action::new(bytes);
    };
    let mut headers = message.headers();
    let name = headers.next().map_or(&b""[..], |(_, v)| v.as_bytes());
    let mut action = Action::new(name);
    for (k, v) in headers {
        action.push_header(k.as_bytes(), v.as_bytes());
    }
    action
}

/// The `connection` target. The input is four config bytes and a script
/// of ops (see `config` and `op` in `src/connection.rs`): server bytes
/// (realistic replies carrying the ActionIDs the client really sent, raw
/// bytes, tokens, messages split anywhere), user
/// actions with random [`SendOptions`] (invalid ones, caller ActionIDs that
/// collide), clock steps, `close`, `end`, disconnects. After every step:
///
/// * no panic; the client sends nothing before the server greets (banner or
///   first message), and what it sends decodes to actions with ActionIDs;
/// * an action not ended yet is in flight (`action_id(handle)` is some),
///   under an ActionID no other action in flight has; an ended one is not
///   (but for a failed list still swallowing its events);
/// * every outcome is for a user's handle and comes at most once; one
///   carrying an answer (success or `Rejected`) is for an action sent; an
///   action refused (closed, closing, invalid, duplicate) ends at once and
///   sends nothing; at most one `Closed`, and after it nothing happens but
///   refusals;
/// * memory stays bounded: `in_flight()` never exceeds the actions not yet
///   ended (plus failed lists still swallowing their events, plus three
///   internal ones), a list never collects more than `max_list_events`, and
///   a decoder fed the same bytes keeps at most [`buffer_bound`] bytes;
/// * after `handle_timeout(now)`, `poll_timeout()` is later than `now`.
///
/// At the end, two days pass and the socket closes: the connection must be
/// closed with nothing in flight and no timeout, and every action must have
/// ended exactly once.
///
/// # Panics
///
/// When an invariant breaks.
pub fn connection(data: &[u8]) {
    let mut r = Reader::new(data);
    let (config, preamble) = config(&mut r);
    let md5 = config
        .login
        .as_ref()
        .is_some_and(|l| l.auth == ami_proto::AuthMethod::Md5);
    let login = config.login.is_some();
    let mut h = Harness::new(config);
    if preamble {
        h.serve(BANNER, 0);
        if md5 {
            let challenge = h.reply(12, 0);
            h.serve(&challenge, 0);
        }
        if login {
            let accepted = h.reply(0, 0);
            h.serve(&accepted, 0);
        }
    }
    let mut steps = 0;
    while !r.is_empty() && steps < MAX_STEPS {
        steps += 1;
        match r.u8() % op::OPS {
            op::SEND => h.send(&mut r),
            op::REPLY => {
                let (template, nth) = (r.u8(), r.u8());
                let bytes = h.reply(template, nth);
                h.serve(&bytes, 0);
            }
            op::RAW => {
                let len = usize::from(r.u8());
                let raw = r.take(len);
                let mut bytes = Vec::with_capacity(raw.len());
                let mut i = 0;
                while i < raw.len() {
                    match raw[i..] {
                        [SUBST, k, ..] => {
                            bytes.extend_from_slice(&h.id(k));
                            i += 2;
                        }
                        _ => {
                            bytes.push(raw[i]);
                            i += 1;
                        }
                    }
                }
                h.serve(&bytes, 0);
            }
            op::PARTIAL => {
                let (template, nth, keep) = (r.u8(), r.u8(), r.u8());
                let bytes = h.reply(template, nth);
                h.serve(&bytes, usize::from(keep) % (bytes.len() + 1));
            }
            op::CLOCK => {
                let step = r.u8();
                h.clock(step);
            }
            op::CLOSE => {
                h.conn.close(h.now);
                h.drain();
            }
            op::END => {
                h.conn.end(h.now);
                h.drain();
            }
            op::DISCONNECT => {
                if !h.conn.is_closed() {
                    // The connection's decoder ends its stream too.
                    let _ = h.shadow.finish();
                }
                h.conn.handle_disconnect(h.now);
                h.drain();
                assert!(h.conn.is_closed());
            }
            op::TOKEN => {
                let (token, nth) = (r.u8(), r.u8());
                let bytes = h.fill(TOKENS[usize::from(token) % TOKENS.len()], nth);
                h.serve(&bytes, 0);
            }
            _ => h.serve(&[], 0),
        }
    }
    h.finish();
}
