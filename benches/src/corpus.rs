//! The benchmark workload: a port of `gen_corpus.py`, the generator of a
//! realistic AMI server-to-client stream, byte for byte.
//!
//! Every random draw happens in the same order as in the Python script:
//! header values are drawn before the `tick()` of the event that carries
//! them (Python evaluates the arguments first), and each call flow — a
//! Python generator — is an explicit state machine here whose steps run
//! exactly the code between two `yield`s.

use std::collections::VecDeque;

use crate::pyrandom::PyRandom;

/// The banner that starts every corpus.
pub const BANNER: &str = "Asterisk Call Manager/7.0.3\r\n";

/// The clock's start, in seconds since the Unix epoch.
const EPOCH0: i64 = 1_700_000_000;

/// How many call flows run interleaved.
const TARGET_CONCURRENCY: usize = 60;

const FIRST: [&str; 22] = [
    "Alice Smith",
    "Bob Jones",
    "Carol White",
    "Dave Brown",
    "Erin Miller",
    "Frank Moore",
    "Grace Taylor",
    "Heidi Anderson",
    "Ivan Thomas",
    "Judy Martin",
    "Mallory Lee",
    "Niaj Garcia",
    "Olivia Clark",
    "Peggy Lewis",
    "Rupert Walker",
    "Sybil Hall",
    "Trent Young",
    "Victor King",
    "Walter Wright",
    "Reception",
    "Sales Desk",
    "Support",
];
/// `FIRST + ["", "WIRELESS CALLER"]`: caller names seen on a trunk.
const TRUNK_NAMES_EXTRA: [&str; 2] = ["", "WIRELESS CALLER"];
const QUEUES: [&str; 5] = ["support", "sales", "billing", "tier2", "reception"];
const TRUNKS: [&str; 3] = [
    "PJSIP/trunk-telco1",
    "PJSIP/trunk-telco2",
    "PJSIP/sip-provider",
];
const HANGUP_CAUSES: [(u32, &str); 8] = [
    (16, "Normal Clearing"),
    (16, "Normal Clearing"),
    (16, "Normal Clearing"),
    (17, "User busy"),
    (19, "No answer"),
    (21, "Call Rejected"),
    (0, "Unknown"),
    (34, "Circuit/channel congestion"),
];
/// The dialplan variables a `VarSet` storm picks from; the value of each is
/// drawn by [`dialplan_value`].
const DIALPLAN_VARS: [&str; 14] = [
    "MACRO_DEPTH",
    "AMPUSER",
    "__REALCALLERIDNUM",
    "CALLERID(name)",
    "DIAL_OPTIONS",
    "RingGroupMethod",
    "__FROM_DID",
    "TOUCH_MONITOR",
    "CDR(recordingfile)",
    "CHANNEL(language)",
    "__MCD",
    "DB_RESULT",
    "LOCAL(ARGC)",
    "GOSUB_RETVAL",
];
/// The dialplan applications a `Newexten` picks from; the data of each
/// comes from [`app_data`].
const APPS: [&str; 10] = [
    "NoOp",
    "Set",
    "Gosub",
    "Macro",
    "GotoIf",
    "ExecIf",
    "Answer",
    "Playback",
    "MixMonitor",
    "Return",
];

/// One message: its headers in wire order.
pub type Headers = Vec<(String, String)>;

/// How channel variables are written in channel snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChanvarStyle {
    /// Repeated `ChanVariable: NAME=value` headers (Asterisk 12+).
    #[default]
    Modern,
    /// `ChanVariable(<channel>): NAME=value` (Asterisk ≤ 11).
    Legacy,
}

impl ChanvarStyle {
    /// The name used on the command line: `modern` or `legacy`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Modern => "modern",
            Self::Legacy => "legacy",
        }
    }
}

/// The whole corpus for `--messages messages --seed seed` (modern channel
/// variables): the bytes `gen_corpus.py` writes, banner included.
///
/// ```
/// let corpus = ami_benches::generate(10, 1);
/// assert!(corpus.starts_with(b"Asterisk Call Manager/7.0.3\r\n"));
/// assert!(corpus.ends_with(b"UserEvent: PerfEnd\r\nMessages: 10\r\n\r\n"));
/// ```
#[must_use]
pub fn generate(messages: usize, seed: u64) -> Vec<u8> {
    generate_with(messages, seed, ChanvarStyle::Modern)
}

/// Like [`generate`], with a choice of channel-variable style.
#[must_use]
pub fn generate_with(messages: usize, seed: u64, style: ChanvarStyle) -> Vec<u8> {
    // ~530 bytes per message on average.
    let mut out = Vec::with_capacity(BANNER.len() + messages * 540);
    out.extend_from_slice(BANNER.as_bytes());
    for message in Generator::new(seed, style, messages) {
        write_message(&message, &mut out);
    }
    out
}

/// Appends one message as `Key: Value\r\n` lines and the empty line.
pub fn write_message(headers: &[(String, String)], out: &mut Vec<u8>) {
    for (key, value) in headers {
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// The messages of a corpus, in order (the port of `Gen.messages`).
#[derive(Debug)]
pub struct Generator {
    ctx: Ctx,
    calls: Vec<CallFlow>,
    pending: VecDeque<Headers>,
    emitted: usize,
    total: usize,
    sentinel_sent: bool,
}

impl Generator {
    /// The generator of `total` messages from `seed`.
    #[must_use]
    pub fn new(seed: u64, style: ChanvarStyle, total: usize) -> Self {
        Self {
            ctx: Ctx {
                r: PyRandom::new(seed),
                style,
                chan_seq: 0x20,
                uid_seq: 100,
                action_seq: 1,
                bridge_seq: 0,
                now: EPOCH0 as f64,
            },
            calls: Vec::new(),
            pending: VecDeque::new(),
            emitted: 0,
            total,
            sentinel_sent: false,
        }
    }

    /// One pass of the main loop that produces a batch: a response unit,
    /// background noise, or the next message of a random call flow.
    fn fill_batch(&mut self) {
        let ctx = &mut self.ctx;
        let batch = loop {
            while self.calls.len() < TARGET_CONCURRENCY {
                self.calls.push(CallFlow::new());
            }
            let x = ctx.r.random();
            if x < 0.11 {
                break ctx.response_unit();
            } else if x < 0.13 {
                break vec![ctx.queue_member_status()];
            } else if x < 0.14 {
                break vec![ctx.peer_status()];
            }
            let i = ctx.r.randrange(self.calls.len());
            match self.calls[i].step(ctx) {
                Some(message) => break vec![message],
                None => {
                    self.calls.swap_remove(i);
                }
            }
        };
        // Never truncate an event list: a dangling `EventList: start` would
        // make list-aware clients swallow the sentinel.
        let batch = if self.emitted + batch.len() + 1 > self.total {
            vec![ctx.peer_status()]
        } else {
            batch
        };
        self.pending.extend(batch);
    }
}

impl Iterator for Generator {
    type Item = Headers;

    fn next(&mut self) -> Option<Headers> {
        loop {
            if let Some(message) = self.pending.pop_front() {
                self.emitted += 1;
                return Some(message);
            }
            if self.emitted + 1 < self.total {
                self.fill_batch();
                continue;
            }
            if self.sentinel_sent {
                return None;
            }
            // The sentinel: the only UserEvent in the stream.
            self.sentinel_sent = true;
            let total = self.total.to_string();
            return Some(self.ctx.event(
                "UserEvent",
                Some("user,all"),
                vec![kv("UserEvent", "PerfEnd"), kv("Messages", total)],
                None,
            ));
        }
    }
}

fn kv(key: impl Into<String>, value: impl Into<String>) -> (String, String) {
    (key.into(), value.into())
}

/// `"%08x-%04x-%04x-%04x-%012x"` of 32, 16, 16, 16 and 48 random bits.
fn uuid_like(r: &mut PyRandom) -> String {
    let a = r.bits(32);
    let b = r.bits(16);
    let c = r.bits(16);
    let d = r.bits(16);
    let e = r.bits(48);
    format!("{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:012x}")
}

fn ext(r: &mut PyRandom) -> i64 {
    r.randint(1000, 1099)
}

/// The value lambda of `DIALPLAN_VARS[index]`.
fn dialplan_value(r: &mut PyRandom, index: usize) -> String {
    match index {
        0 => r.randint(0, 3).to_string(),
        1 | 2 => ext(r).to_string(),
        3 => r.choice(&FIRST).to_string(),
        4 => r.choice(&["tTr", "HhTtr", "Ttr"]).to_string(),
        5 => r.choice(&["ringall", "hunt", "memoryhunt"]).to_string(),
        6 => format!("+1555{:07}", r.randint(0, 9_999_999)),
        7 => {
            let secs = EPOCH0 + r.randint(0, 86_400);
            let n = r.randint(1, 9999);
            format!("{secs}.{n}")
        }
        8 => {
            let e = ext(r);
            let secs = EPOCH0 + r.randint(0, 86_400);
            format!("out-{e}-{secs}.wav")
        }
        9 => "en".to_owned(),
        11 => r.choice(&["", "1", "EXTENSION"]).to_string(),
        12 => r.randint(1, 4).to_string(),
        _ => String::new(),
    }
}

/// The data lambda of `APPS[index]` (no random draws).
fn app_data(index: usize, c: &Chan) -> String {
    match index {
        0 => format!("Call from {}", c.cidnum),
        1 => format!("__FROM_DID={}", c.exten),
        2 => format!("sub-record-check,s,1(out,{},dontcare)", c.exten),
        3 => "user-callerid,".to_owned(),
        4 => "$[\"${DB_RESULT}\" = \"\"]?skip".to_owned(),
        5 => format!(
            "$[\"${{CALLERID(name)}}\" = \"\"]?Set(CALLERID(name)={})",
            c.cidnum
        ),
        7 => "custom/welcome&silence/1".to_owned(),
        8 => format!("{}.wav,b,", c.uniqueid),
        _ => String::new(),
    }
}

fn state_desc(state: u8) -> &'static str {
    match state {
        0 => "Down",
        4 => "Ring",
        5 => "Ringing",
        6 => "Up",
        _ => unreachable!("no channel state {state} in the generator"),
    }
}

/// A channel, as the Python `Chan`.
#[derive(Debug, Clone)]
struct Chan {
    name: String,
    state: u8,
    cidnum: String,
    cidname: String,
    connum: String,
    conname: String,
    context: String,
    exten: String,
    prio: u32,
    uniqueid: String,
    linkedid: String,
    callid: String,
    queue: String,
    ssrc: u64,
    rport: i64,
    rtp_seq: i64,
    rtp_pkts: i64,
}

/// Arguments of `Gen.new_chan`.
struct NewChan<'a> {
    tech_res: &'a str,
    cidnum: String,
    cidname: String,
    context: &'a str,
    exten: String,
    linkedid: Option<String>,
    queue: String,
}

/// The generator state shared by all call flows (`Gen` less its calls).
#[derive(Debug)]
struct Ctx {
    r: PyRandom,
    style: ChanvarStyle,
    chan_seq: u64,
    uid_seq: u64,
    action_seq: u64,
    bridge_seq: u64,
    now: f64,
}

impl Ctx {
    fn tick(&mut self) {
        // ~400 messages/s wall clock
        self.now += self.r.expovariate(400.0);
    }

    /// `int(self.now)`.
    fn now_secs(&self) -> i64 {
        self.now as i64
    }

    fn new_uid(&mut self) -> String {
        self.uid_seq += 1;
        format!("{}.{}", self.now_secs(), self.uid_seq)
    }

    fn new_chan(&mut self, args: NewChan<'_>) -> Chan {
        self.chan_seq += 1;
        let uid = self.new_uid();
        let callid = uuid_like(&mut self.r);
        let ssrc = self.r.bits(32);
        let rport = 10_000 + 2 * self.r.randint(0, 9999);
        let rtp_seq = self.r.randint(0, 60_000);
        Chan {
            name: format!("{}-{:08x}", args.tech_res, self.chan_seq),
            state: 0,
            cidnum: args.cidnum,
            cidname: args.cidname,
            connum: "<unknown>".to_owned(),
            conname: "<unknown>".to_owned(),
            context: args.context.to_owned(),
            exten: args.exten,
            prio: 1,
            linkedid: args.linkedid.unwrap_or_else(|| uid.clone()),
            uniqueid: uid,
            callid,
            queue: args.queue,
            ssrc,
            rport,
            rtp_seq,
            rtp_pkts: 0,
        }
    }

    fn snapshot(&self, c: &Chan, prefix: &str) -> Headers {
        let mut h = vec![
            kv(format!("{prefix}Channel"), &c.name),
            kv(format!("{prefix}ChannelState"), c.state.to_string()),
            kv(format!("{prefix}ChannelStateDesc"), state_desc(c.state)),
            kv(format!("{prefix}CallerIDNum"), &c.cidnum),
            kv(format!("{prefix}CallerIDName"), &c.cidname),
            kv(format!("{prefix}ConnectedLineNum"), &c.connum),
            kv(format!("{prefix}ConnectedLineName"), &c.conname),
            kv(format!("{prefix}Language"), "en"),
            kv(format!("{prefix}AccountCode"), ""),
            kv(format!("{prefix}Context"), &c.context),
            kv(format!("{prefix}Exten"), &c.exten),
            kv(format!("{prefix}Priority"), c.prio.to_string()),
            kv(format!("{prefix}Uniqueid"), &c.uniqueid),
            kv(format!("{prefix}Linkedid"), &c.linkedid),
        ];
        for (var, value) in [("SIPCALLID", &c.callid), ("QUEUENAME", &c.queue)] {
            let key = match self.style {
                ChanvarStyle::Legacy => format!("{prefix}ChanVariable({})", c.name),
                ChanvarStyle::Modern => format!("{prefix}ChanVariable"),
            };
            h.push(kv(key, format!("{var}={value}")));
        }
        h
    }

    fn event(
        &mut self,
        name: &str,
        privilege: Option<&str>,
        headers: Headers,
        actionid: Option<&str>,
    ) -> Headers {
        self.tick();
        let mut h = Vec::with_capacity(headers.len() + 2);
        h.push(kv("Event", name));
        if let Some(id) = actionid {
            h.push(kv("ActionID", id));
        } else if let Some(p) = privilege.filter(|p| !p.is_empty()) {
            h.push(kv("Privilege", p));
        }
        h.extend(headers);
        h
    }

    fn response(&mut self, headers: Headers) -> Headers {
        self.tick();
        headers
    }

    fn rtcp(&mut self, c: &mut Chan, sent: bool) -> Headers {
        c.rtp_pkts += 250;
        c.rtp_seq = (c.rtp_seq + 250) & 0xffff;
        let r = &mut self.r;
        let peer = format!("192.0.2.{}:{}", r.randint(2, 250), c.rport);
        let pt = if r.random() < 0.9 {
            "200(SR)"
        } else {
            "201(RR)"
        };
        let mut common = vec![
            kv("SSRC", format!("0x{:08x}", c.ssrc)),
            kv("PT", pt),
            kv(if sent { "To" } else { "From" }, peer),
            kv("ReportCount", "1"),
        ];
        if sent {
            common.extend([
                kv("SentNTP", format!("{:.6}", self.now)),
                kv("SentRTP", (c.rtp_pkts * 160).to_string()),
                kv("SentPackets", c.rtp_pkts.to_string()),
                kv("SentOctets", (c.rtp_pkts * 160).to_string()),
            ]);
        } else {
            common.push(kv("RTT", format!("0.{:04}", r.randint(0, 9999))));
        }
        let source_ssrc = r.bits(32);
        let fraction_lost = r.choice(&[0, 0, 0, 0, 1, 3]);
        let cumulative_lost = r.choice(&[0, 0, 0, 1, 2, 7]);
        let jitter = r.randint(0, 40);
        let lsr = r.bits(32);
        let dlsr = r.uniform(0.0, 5.0);
        common.extend([
            kv("Report0SourceSSRC", format!("0x{source_ssrc:08x}")),
            kv("Report0FractionLost", fraction_lost.to_string()),
            kv("Report0CumulativeLost", cumulative_lost.to_string()),
            kv("Report0HighestSequence", c.rtp_seq.to_string()),
            kv("Report0SequenceNumberCycles", "0"),
            kv("Report0IAJitter", jitter.to_string()),
            kv("Report0LSR", lsr.to_string()),
            kv("Report0DLSR", format!("{dlsr:.4}")),
        ]);
        let mut h = self.snapshot(c, "");
        h.extend(common);
        let name = if sent { "RTCPSent" } else { "RTCPReceived" };
        self.event(name, Some("reporting,all"), h, None)
    }

    fn queue_member_status(&mut self) -> Headers {
        let now = self.now_secs();
        let r = &mut self.r;
        let ext = ext(r).to_string();
        let queue = r.choice(&QUEUES);
        let member = r.choice(&FIRST);
        let membership = r.choice(&["dynamic", "static", "realtime"]);
        let penalty = r.choice(&[0, 0, 1, 2]);
        let calls_taken = r.randint(0, 80);
        let last_call = now - r.randint(0, 3600);
        let login_time = EPOCH0 - r.randint(0, 30_000);
        let in_call = r.randint(0, 1);
        let status = r.choice(&[1, 1, 2, 6, 5]);
        let paused = r.choice(&[0, 0, 0, 1]);
        let paused_reason = r.choice(&["", "", "Lunch", "Break"]);
        let h = vec![
            kv("Queue", *queue),
            kv("MemberName", *member),
            kv("Interface", format!("PJSIP/{ext}")),
            kv("StateInterface", format!("PJSIP/{ext}")),
            kv("Membership", *membership),
            kv("Penalty", penalty.to_string()),
            kv("CallsTaken", calls_taken.to_string()),
            kv("LastCall", last_call.to_string()),
            kv("LastPause", "0"),
            kv("LoginTime", login_time.to_string()),
            kv("InCall", in_call.to_string()),
            kv("Status", status.to_string()),
            kv("Paused", paused.to_string()),
            kv("PausedReason", *paused_reason),
            kv("Ringinuse", "0"),
            kv("Wrapuptime", "0"),
        ];
        self.event("QueueMemberStatus", Some("agent,all"), h, None)
    }

    fn peer_status(&mut self) -> Headers {
        let r = &mut self.r;
        let peer = format!("PJSIP/{}", ext(r));
        let status = r.choice(&["Reachable", "Reachable", "Unreachable"]);
        let address = format!("198.51.100.{}:5060", r.randint(2, 250));
        let h = vec![
            kv("ChannelType", "PJSIP"),
            kv("Peer", peer),
            kv("PeerStatus", *status),
            kv("Address", address),
        ];
        self.event("PeerStatus", Some("system,all"), h, None)
    }

    fn next_actionid(&mut self, kind: &str) -> String {
        self.action_seq += 1;
        if self.r.random() < 0.5 {
            return format!("{kind}-{}", self.action_seq);
        }
        uuid_like(&mut self.r)
    }

    fn response_unit(&mut self) -> Vec<Headers> {
        const KINDS: [&str; 5] = ["ping", "success", "error", "command", "list"];
        let kind = KINDS[self.r.choices_index(&[40, 30, 10, 8, 12])];
        match kind {
            "ping" => {
                let aid = self.next_actionid("ping");
                let timestamp = format!("{:.6}", self.now);
                vec![self.response(vec![
                    kv("Response", "Success"),
                    kv("ActionID", aid),
                    kv("Ping", "Pong"),
                    kv("Timestamp", timestamp),
                ])]
            }
            "success" => {
                let aid = self.next_actionid("act");
                let msg = *self.r.choice(&[
                    "Originate successfully queued",
                    "Variable Set",
                    "Redirect successful",
                    "Added interface to queue",
                    "Interface paused successfully",
                    "Absolute timeout set",
                ]);
                vec![self.response(vec![
                    kv("Response", "Success"),
                    kv("ActionID", aid),
                    kv("Message", msg),
                ])]
            }
            "error" => {
                let aid = self.next_actionid("act");
                let msg = *self.r.choice(&[
                    "No such channel",
                    "Permission denied",
                    "Invalid/unknown command",
                    "Unable to remove interface: Not there",
                ]);
                vec![self.response(vec![
                    kv("Response", "Error"),
                    kv("ActionID", aid),
                    kv("Message", msg),
                ])]
            }
            "command" => vec![self.command_response()],
            _ => self.event_list(),
        }
    }

    /// A `Command` answer in the Asterisk 14+ `Output:` form.
    fn command_response(&mut self) -> Headers {
        let aid = self.next_actionid("cmd");
        let r = &mut self.r;
        let n = r.randint(1, 8);
        let mut lines = vec![
            "Channel              Location             State   Application(Data)             "
                .to_owned(),
        ];
        for _ in 0..n {
            let e = ext(r);
            let id = r.randint(0, 0xfff);
            let exten = ext(r);
            let prio = r.randint(1, 9);
            let dest = ext(r);
            lines.push(format!(
                "PJSIP/{e}-{id:08x}  {exten}@from-internal:{prio} Up      Dial(PJSIP/{dest},30,tTr)        "
            ));
        }
        lines.push(format!("{n} active channels"));
        lines.push(format!("{} active calls", n / 2 + 1));
        lines.push(format!("{} calls processed", r.randint(1000, 99_999)));
        let mut h = vec![
            kv("Response", "Success"),
            kv("ActionID", aid),
            kv("Message", "Command output follows"),
        ];
        h.extend(lines.into_iter().map(|l| kv("Output", l)));
        self.response(h)
    }

    /// An event list: `EventList: start`, the list events carrying the
    /// ActionID, and the `...Complete` event.
    fn event_list(&mut self) -> Vec<Headers> {
        let which = *self
            .r
            .choice(&["CoreShowChannels", "QueueStatus", "PJSIPShowContacts"]);
        let aid = self.next_actionid(&which.to_lowercase());
        let n = self.r.randint(0, 20);
        let message = match which {
            "CoreShowChannels" => "Channels will follow",
            "QueueStatus" => "Queue status will follow",
            _ => "A listing of Contacts follows, presented as ContactList events",
        };
        let mut out = vec![self.response(vec![
            kv("Response", "Success"),
            kv("ActionID", aid.clone()),
            kv("EventList", "start"),
            kv("Message", message),
        ])];
        for _ in 0..n {
            let item = match which {
                "CoreShowChannels" => self.core_show_channel(&aid),
                "QueueStatus" => {
                    let qms = self.queue_member_status();
                    // qms[2:]: without `Event` and `Privilege`.
                    let h = qms.into_iter().skip(2).collect();
                    self.event("QueueMember", None, h, Some(&aid))
                }
                _ => self.contact_list(&aid),
            };
            out.push(item);
        }
        out.push(self.event(
            &format!("{which}Complete"),
            None,
            vec![kv("EventList", "Complete"), kv("ListItems", n.to_string())],
            Some(&aid),
        ));
        out
    }

    fn core_show_channel(&mut self, aid: &str) -> Headers {
        let r = &mut self.r;
        let tech_res = format!("PJSIP/{}", ext(r));
        let cidnum = ext(r).to_string();
        let cidname = r.choice(&FIRST).to_string();
        let exten = ext(r).to_string();
        let mut c = self.new_chan(NewChan {
            tech_res: &tech_res,
            cidnum,
            cidname,
            context: "from-internal",
            exten,
            linkedid: None,
            queue: String::new(),
        });
        c.state = 6;
        let mut h = self.snapshot(&c, "");
        let r = &mut self.r;
        let app_data = format!("PJSIP/{},30,tTr", ext(r));
        let minutes = r.randint(0, 59);
        let seconds = r.randint(0, 59);
        h.extend([
            kv("BridgeId", ""),
            kv("Application", "Dial"),
            kv("ApplicationData", app_data),
            kv("Duration", format!("00:{minutes:02}:{seconds:02}")),
            kv("BridgedChannel", ""),
            kv("BridgedUniqueID", ""),
        ]);
        self.event("CoreShowChannel", None, h, Some(aid))
    }

    fn contact_list(&mut self, aid: &str) -> Headers {
        let now = self.now_secs();
        let r = &mut self.r;
        let ext = ext(r);
        let object_name = format!("{ext}/sip:{ext}@198.51.100.{}:5060", r.randint(2, 250));
        let via = format!("198.51.100.{}", r.randint(2, 250));
        let call_id = format!("{:032x}", r.getrandbits(128));
        let uri = format!("sip:{ext}@198.51.100.{}:5060", r.randint(2, 250));
        let agent = *r.choice(&[
            "Yealink SIP-T46S 66.86.0.15",
            "Zoiper rv2.10.20.2",
            "PolycomVVX-VVX_450-UA/6.4.3.5",
        ]);
        let rtt = r.randint(500, 90_000);
        let h = vec![
            kv("ObjectType", "contact"),
            kv("ObjectName", object_name),
            kv("ViaAddr", via),
            kv("ViaPort", "5060"),
            kv("QualifyTimeout", "3.000000"),
            kv("CallId", call_id),
            kv("RegServer", ""),
            kv("PruneOnBoot", "false"),
            kv("Path", ""),
            kv("Endpoint", ext.to_string()),
            kv("AuthenticateQualify", "false"),
            kv("Uri", uri),
            kv("QualifyFrequency", "60"),
            kv("UserAgent", agent),
            kv("ExpirationTime", (now + 3600).to_string()),
            kv("OutboundProxy", ""),
            kv("Status", "Reachable"),
            kv("RoundtripUsec", rtt.to_string()),
        ];
        self.event("ContactList", None, h, Some(aid))
    }
}

/// Where a call flow resumes: the statement after the `yield` it stopped
/// at in the Python generator `Gen.call_flow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pc {
    /// Not started.
    Start,
    /// After `Newchannel` of A: draw how many `Newexten`s.
    ExtenLoop,
    /// Top of the `Newexten` loop.
    Exten,
    /// After a `Newexten`: draw how many `VarSet`s.
    VarLoop,
    /// Top of the `VarSet` loop.
    Var,
    DialExten,
    NewchannelB,
    DialBegin,
    RingingB,
    RingingA,
    DialStatus,
    // A call that is not answered.
    FailHangupB,
    FailVarSet,
    FailVoicemail,
    FailHangupA,
    // An answered call.
    UpDialEnd,
    UpNewstateA,
    AnswerVar(u8),
    BridgeEnterA,
    BridgeEnterB,
    /// After the `BridgeEnter`s: draw how many RTCP rounds.
    RtcpLoop,
    /// Top of the inner RTCP loop (`rtcp_round`, `rtcp_chan`).
    RtcpSent,
    /// After an `RTCPSent`: maybe an `RTCPReceived`.
    RtcpReceived,
    BridgeLeaveFirst,
    BridgeLeaveOther,
    /// The QoS `VarSet`s then the `Hangup` of the hang-up order's channel
    /// `.0`; `.1` is 0 (`RTPAUDIOQOS`), 1 (`RTPAUDIOQOSJITTER`) or 2 (`Hangup`).
    Teardown(u8, u8),
    Done,
}

/// One call, as the Python generator `Gen.call_flow`.
#[derive(Debug)]
struct CallFlow {
    pc: Pc,
    a: Option<Chan>,
    b: Option<Chan>,
    callee: String,
    queue: String,
    exten_count: i64,
    exten_index: i64,
    var_count: i64,
    var_index: i64,
    status: &'static str,
    bridge_id: String,
    rtcp_rounds: i64,
    rtcp_round: i64,
    /// 0 for A, 1 for B.
    rtcp_chan: u8,
    /// Whether A hangs up first.
    a_first: bool,
}

impl CallFlow {
    fn new() -> Self {
        Self {
            pc: Pc::Start,
            a: None,
            b: None,
            callee: String::new(),
            queue: String::new(),
            exten_count: 0,
            exten_index: 0,
            var_count: 0,
            var_index: 0,
            status: "",
            bridge_id: String::new(),
            rtcp_rounds: 0,
            rtcp_round: 0,
            rtcp_chan: 0,
            a_first: true,
        }
    }

    fn a(&self) -> &Chan {
        self.a
            .as_ref()
            .expect("channel A exists after the first step")
    }

    fn b(&self) -> &Chan {
        self.b
            .as_ref()
            .expect("channel B exists after its Newchannel")
    }

    fn chan_mut(&mut self, which: u8) -> &mut Chan {
        let c = if which == 0 { &mut self.a } else { &mut self.b };
        c.as_mut().expect("both channels exist once bridged")
    }

    fn bridge_headers(&self, n: u32) -> Headers {
        vec![
            kv("BridgeUniqueid", &self.bridge_id),
            kv("BridgeType", "basic"),
            kv("BridgeTechnology", "simple_bridge"),
            kv("BridgeCreator", "<unknown>"),
            kv("BridgeName", "<unknown>"),
            kv("BridgeNumChannels", n.to_string()),
            kv("BridgeVideoSourceMode", "none"),
        ]
    }

    /// `snapshot(a) + snapshot(b, "Dest") + extra`.
    fn dial_headers(&self, g: &Ctx, extra: (&str, &str)) -> Headers {
        let mut h = g.snapshot(self.a(), "");
        h.extend(g.snapshot(self.b(), "Dest"));
        h.push(kv(extra.0, extra.1));
        h
    }

    fn var_set(&self, g: &mut Ctx, which: u8, var: &str, value: String) -> Headers {
        let c = if which == 0 { self.a() } else { self.b() };
        let mut h = g.snapshot(c, "");
        h.extend([kv("Variable", var), kv("Value", value)]);
        g.event("VarSet", Some("dialplan,all"), h, None)
    }

    fn newexten(&self, g: &mut Ctx, app: &str, data: String) -> Headers {
        let a = self.a();
        let mut h = g.snapshot(a, "");
        h.extend([
            kv("Extension", &a.exten),
            kv("Application", app),
            kv("AppData", data),
        ]);
        g.event("Newexten", Some("dialplan,all"), h, None)
    }

    /// `bh(n) + snapshot(c)`: a bridge event about channel `which`.
    fn bridge_event(&self, g: &mut Ctx, name: &str, n: u32, which: u8) -> Headers {
        let c = if which == 0 { self.a() } else { self.b() };
        let mut h = self.bridge_headers(n);
        h.extend(g.snapshot(c, ""));
        g.event(name, Some("call,all"), h, None)
    }

    /// `snapshot(c) + extra`: a call event about channel `which`.
    fn snapshot_event(&self, g: &mut Ctx, name: &str, which: u8, extra: Headers) -> Headers {
        let c = if which == 0 { self.a() } else { self.b() };
        let mut h = g.snapshot(c, "");
        h.extend(extra);
        g.event(name, Some("call,all"), h, None)
    }

    /// `next(generator)`: runs to the next `yield` and returns its message,
    /// or `None` once the call is over (`StopIteration`).
    fn step(&mut self, g: &mut Ctx) -> Option<Headers> {
        loop {
            match self.pc {
                Pc::Start => {
                    self.start(g);
                    self.pc = Pc::ExtenLoop;
                    return Some(self.snapshot_event(g, "Newchannel", 0, Vec::new()));
                }
                Pc::ExtenLoop => {
                    self.exten_count = g.r.randint(3, 10);
                    self.exten_index = 0;
                    self.pc = Pc::Exten;
                }
                Pc::Exten => {
                    if self.exten_index == self.exten_count {
                        self.pc = Pc::DialExten;
                        continue;
                    }
                    let app = g.r.randrange(APPS.len());
                    let data = app_data(app, self.a());
                    self.pc = Pc::VarLoop;
                    return Some(self.newexten(g, APPS[app], data));
                }
                Pc::VarLoop => {
                    self.var_count = g.r.randint(0, 3);
                    self.var_index = 0;
                    self.pc = Pc::Var;
                }
                Pc::Var => {
                    if self.var_index == self.var_count {
                        self.chan_mut(0).prio += 1;
                        self.exten_index += 1;
                        self.pc = Pc::Exten;
                        continue;
                    }
                    self.var_index += 1;
                    let var = g.r.randrange(DIALPLAN_VARS.len());
                    let value = dialplan_value(&mut g.r, var);
                    return Some(self.var_set(g, 0, DIALPLAN_VARS[var], value));
                }
                Pc::DialExten => {
                    self.pc = Pc::NewchannelB;
                    let dialstr = format!("PJSIP/{},30,tTr", self.callee);
                    return Some(self.newexten(g, "Dial", dialstr));
                }
                Pc::NewchannelB => {
                    let cidname = g.r.choice(&FIRST).to_string();
                    let tech_res = format!("PJSIP/{}", self.callee);
                    let mut b = g.new_chan(NewChan {
                        tech_res: &tech_res,
                        cidnum: self.callee.clone(),
                        cidname,
                        context: "from-internal",
                        exten: "s".to_owned(),
                        linkedid: Some(self.a().linkedid.clone()),
                        queue: self.queue.clone(),
                    });
                    b.connum.clone_from(&self.a().cidnum);
                    b.conname.clone_from(&self.a().cidname);
                    b.state = 0;
                    self.b = Some(b);
                    self.pc = Pc::DialBegin;
                    return Some(self.snapshot_event(g, "Newchannel", 1, Vec::new()));
                }
                Pc::DialBegin => {
                    self.pc = Pc::RingingB;
                    let h = self.dial_headers(g, ("DialString", &self.callee));
                    return Some(g.event("DialBegin", Some("call,all"), h, None));
                }
                Pc::RingingB => {
                    self.chan_mut(1).state = 5;
                    self.pc = Pc::RingingA;
                    return Some(self.snapshot_event(g, "Newstate", 1, Vec::new()));
                }
                Pc::RingingA => {
                    let (num, name) = (self.b().cidnum.clone(), self.b().cidname.clone());
                    let a = self.chan_mut(0);
                    a.connum = num;
                    a.conname = name;
                    self.pc = Pc::DialStatus;
                    if g.r.random() < 0.5 {
                        return Some(self.snapshot_event(g, "Newstate", 0, Vec::new()));
                    }
                    let ring_time = g.r.randint(1, 9).to_string();
                    return Some(self.var_set(g, 0, "RINGTIME", ring_time));
                }
                Pc::DialStatus => {
                    const STATUSES: [&str; 4] = ["ANSWER", "NOANSWER", "BUSY", "CANCEL"];
                    self.status = STATUSES[g.r.choices_index(&[70, 15, 8, 7])];
                    if self.status != "ANSWER" {
                        self.pc = Pc::FailHangupB;
                        let h = self.dial_headers(g, ("DialStatus", self.status));
                        return Some(g.event("DialEnd", Some("call,all"), h, None));
                    }
                    self.chan_mut(1).state = 6;
                    self.pc = Pc::UpDialEnd;
                    return Some(self.snapshot_event(g, "Newstate", 1, Vec::new()));
                }
                Pc::FailHangupB => {
                    self.pc = Pc::FailVarSet;
                    let (cause, text) = if self.status == "NOANSWER" {
                        ("19", "No answer")
                    } else {
                        ("17", "User busy")
                    };
                    let extra = vec![kv("Cause", cause), kv("Cause-txt", text)];
                    return Some(self.snapshot_event(g, "Hangup", 1, extra));
                }
                Pc::FailVarSet => {
                    self.pc = Pc::FailVoicemail;
                    return Some(self.var_set(g, 0, "DIALSTATUS", self.status.to_owned()));
                }
                Pc::FailVoicemail => {
                    self.chan_mut(0).prio += 1;
                    self.pc = Pc::FailHangupA;
                    let data = format!("{}@default,u", self.callee);
                    return Some(self.newexten(g, "VoiceMail", data));
                }
                Pc::FailHangupA => {
                    let (cause, text) = *g.r.choice(&HANGUP_CAUSES);
                    self.pc = Pc::Done;
                    let extra = vec![kv("Cause", cause.to_string()), kv("Cause-txt", text)];
                    return Some(self.snapshot_event(g, "Hangup", 0, extra));
                }
                Pc::UpDialEnd => {
                    self.pc = Pc::UpNewstateA;
                    let h = self.dial_headers(g, ("DialStatus", "ANSWER"));
                    return Some(g.event("DialEnd", Some("call,all"), h, None));
                }
                Pc::UpNewstateA => {
                    self.chan_mut(0).state = 6;
                    self.pc = Pc::AnswerVar(0);
                    return Some(self.snapshot_event(g, "Newstate", 0, Vec::new()));
                }
                Pc::AnswerVar(k) => {
                    let (var, value) = match k {
                        0 => ("DIALSTATUS", "ANSWER".to_owned()),
                        1 => ("BRIDGEPEER", self.b().name.clone()),
                        2 => ("BRIDGEPVTCALLID", self.b().callid.clone()),
                        _ => ("DIALEDPEERNUMBER", format!("PJSIP/{0}/{0}", self.callee)),
                    };
                    self.pc = if k < 3 {
                        Pc::AnswerVar(k + 1)
                    } else {
                        Pc::BridgeEnterA
                    };
                    return Some(self.var_set(g, 0, var, value));
                }
                Pc::BridgeEnterA => {
                    g.bridge_seq += 1;
                    let first = g.bridge_seq.wrapping_mul(2_654_435_761) & 0xffff_ffff;
                    let r = &mut g.r;
                    let (p2, p3, p4, p5) = (r.bits(16), r.bits(12), r.bits(12), r.bits(48));
                    self.bridge_id = format!("{first:08x}-{p2:04x}-4{p3:03x}-a{p4:03x}-{p5:012x}");
                    self.pc = Pc::BridgeEnterB;
                    return Some(self.bridge_event(g, "BridgeEnter", 1, 0));
                }
                Pc::BridgeEnterB => {
                    self.pc = Pc::RtcpLoop;
                    return Some(self.bridge_event(g, "BridgeEnter", 2, 1));
                }
                Pc::RtcpLoop => {
                    self.rtcp_rounds = g.r.randint(1, 12);
                    self.rtcp_round = 0;
                    self.rtcp_chan = 0;
                    self.pc = Pc::RtcpSent;
                }
                Pc::RtcpSent => {
                    if self.rtcp_round == self.rtcp_rounds {
                        self.pc = Pc::BridgeLeaveFirst;
                        continue;
                    }
                    self.pc = Pc::RtcpReceived;
                    return Some(g.rtcp(self.chan_mut(self.rtcp_chan), true));
                }
                Pc::RtcpReceived => {
                    let which = self.rtcp_chan;
                    if which == 1 {
                        self.rtcp_chan = 0;
                        self.rtcp_round += 1;
                    } else {
                        self.rtcp_chan = 1;
                    }
                    self.pc = Pc::RtcpSent;
                    if g.r.random() < 0.6 {
                        return Some(g.rtcp(self.chan_mut(which), false));
                    }
                }
                Pc::BridgeLeaveFirst => {
                    self.a_first = g.r.random() < 0.5;
                    self.pc = Pc::BridgeLeaveOther;
                    return Some(self.bridge_event(g, "BridgeLeave", 1, self.order(0)));
                }
                Pc::BridgeLeaveOther => {
                    self.pc = Pc::Teardown(0, 0);
                    return Some(self.bridge_event(g, "BridgeLeave", 0, self.order(1)));
                }
                Pc::Teardown(nth, part) => {
                    let which = self.order(nth);
                    self.pc = match (nth, part) {
                        (_, 0 | 1) => Pc::Teardown(nth, part + 1),
                        (0, _) => Pc::Teardown(1, 0),
                        _ => Pc::Done,
                    };
                    let c = if which == 0 { self.a() } else { self.b() };
                    let r = &mut g.r;
                    return Some(match part {
                        0 => {
                            let (ssrc, pkts) = (c.ssrc, c.rtp_pkts);
                            let them = r.bits(32);
                            let rxjitter = r.randint(0, 999);
                            let txjitter = r.randint(0, 999);
                            let txcount = pkts + r.randint(0, 9);
                            let rtt = r.randint(0, 999);
                            let value = format!(
                                "ssrc={ssrc};themssrc={them};lp=0;rxjitter=0.000{rxjitter:03};rxcount={pkts};txjitter=0.000{txjitter:03};txcount={txcount};rlp=0;rtt=0.000{rtt:03}"
                            );
                            self.var_set(g, which, "RTPAUDIOQOS", value)
                        }
                        1 => {
                            let max = r.randint(0, 9999);
                            let avg = r.randint(0, 999);
                            let stdev = r.randint(0, 999);
                            let value = format!(
                                "minrxjitter=0.000000;maxrxjitter=0.00{max:04};avgrxjitter=0.000{avg:03};stdevrxjitter=0.000{stdev:03}"
                            );
                            self.var_set(g, which, "RTPAUDIOQOSJITTER", value)
                        }
                        _ => {
                            let (cause, text) = *r.choice(&HANGUP_CAUSES[..3]);
                            let extra = vec![kv("Cause", cause.to_string()), kv("Cause-txt", text)];
                            self.snapshot_event(g, "Hangup", which, extra)
                        }
                    });
                }
                Pc::Done => return None,
            }
        }
    }

    /// The channel that hangs up `nth` (0: first): 0 for A, 1 for B.
    fn order(&self, nth: u8) -> u8 {
        if self.a_first { nth } else { 1 - nth }
    }

    /// The code before the first `yield`: who calls whom, and channel A.
    fn start(&mut self, g: &mut Ctx) {
        let r = &mut g.r;
        let inbound = r.random() < 0.45;
        let ext_a = ext(r).to_string();
        let callee = ext(r).to_string();
        let queue = if inbound && r.random() < 0.5 {
            r.choice(&QUEUES).to_string()
        } else {
            String::new()
        };
        let mut a = if inbound {
            let cidnum = format!("+1{:010}", r.randint(2_000_000_000, 9_899_999_999));
            let trunk = *r.choice(&TRUNKS);
            let i = r.randrange(FIRST.len() + TRUNK_NAMES_EXTRA.len());
            let cidname = FIRST
                .get(i)
                .unwrap_or_else(|| &TRUNK_NAMES_EXTRA[i - FIRST.len()])
                .to_string();
            let exten = format!("+1555{:07}", r.randint(0, 9_999_999));
            g.new_chan(NewChan {
                tech_res: trunk,
                cidnum,
                cidname,
                context: "from-trunk",
                exten,
                linkedid: None,
                queue: queue.clone(),
            })
        } else {
            let cidname = r.choice(&FIRST).to_string();
            let exten = if r.random() < 0.7 {
                callee.clone()
            } else {
                format!("9{:010}", r.randint(2_000_000_000, 9_899_999_999))
            };
            g.new_chan(NewChan {
                tech_res: &format!("PJSIP/{ext_a}"),
                cidnum: ext_a,
                cidname,
                context: "from-internal",
                exten,
                linkedid: None,
                queue: String::new(),
            })
        };
        a.state = 4;
        self.a = Some(a);
        self.callee = callee;
        self.queue = queue;
    }
}
