//! The model against ami-testkit's simulated PBX, whose events and list
//! answers describe one PBX and which knows its own truth.
//!
//! Random call scenarios (the simulator's steps and clock), random sync
//! points — a list's answer made by the PBX some steps after the request
//! and delivered some steps after that, so events both older and newer
//! than the list reach the model before it — and random disconnects
//! (events lost, then a reconnect and a sync). At quiescence the model must
//! equal the PBX's truth, and a fresh sync must change nothing.

use std::collections::{BTreeMap, VecDeque};

use ami_live::{Change, Live, Removed, State, SyncRequest};
use ami_proto::{Decoded, Decoder, Message, MessageKind, Response};
use ami_testkit::sim::{
    BridgeTruth, ChannelTruth, ConferenceTruth, HintTruth, MemberTruth, ParkedTruth,
    ParticipantTruth, QueueCallerTruth, QueueTruth, Sim, Truth,
};
use proptest::prelude::*;

fn decode(bytes: &[u8]) -> Vec<Message> {
    let mut d = Decoder::new();
    d.feed(b"Asterisk Call Manager/11.0.0\r\n");
    d.feed(bytes);
    let mut out = Vec::new();
    while let Some(item) = d.decode() {
        match item {
            Decoded::Message(m) => out.push(m),
            Decoded::Error(e) => panic!("the simulator sent something undecodable: {e}"),
            Decoded::Banner(_) => {}
        }
    }
    out
}

/// What the model may not know, and is let off for.
#[derive(Clone, Copy)]
struct Unknowns {
    /// `on_hold: None` (a channel first met in a list) takes the PBX's value.
    hold: bool,
    /// `marked: None` (a participant seen only in `ConfbridgeJoin`) too.
    marked: bool,
}

const LENIENT: Unknowns = Unknowns {
    hold: true,
    marked: true,
};

/// The model as the simulator's [`Truth`] has it. What the model does not
/// know takes the PBX's value where `allow` lets it off, else a wrong one.
fn truth_of(s: &State, pbx: &Truth, allow: Unknowns) -> Truth {
    let channels = s
        .channels()
        .map(|c| {
            (
                c.uniqueid.clone(),
                ChannelTruth {
                    name: c.name.clone(),
                    linkedid: c.linkedid.clone(),
                    state: c.state.code(),
                    caller_num: c.caller_id.num.clone(),
                    caller_name: c.caller_id.name.clone(),
                    connected_num: c.connected_line.num.clone(),
                    connected_name: c.connected_line.name.clone(),
                    context: c.context.clone(),
                    exten: c.exten.clone(),
                    priority: c.priority,
                    application: c.application.clone(),
                    application_data: c.application_data.clone(),
                    bridge: c.bridge.clone(),
                    on_hold: c.on_hold.unwrap_or_else(|| {
                        let theirs = pbx.channels.get(&c.uniqueid).is_some_and(|t| t.on_hold);
                        if allow.hold { theirs } else { !theirs }
                    }),
                },
            )
        })
        .collect();
    let bridges = s
        .bridges()
        .map(|b| {
            let mut members = b.channels.clone();
            members.sort();
            (
                b.id.clone(),
                BridgeTruth {
                    kind: b.bridge_type.clone(),
                    technology: b.technology.clone(),
                    creator: b.creator.clone(),
                    name: b.name.clone(),
                    members,
                },
            )
        })
        .collect();
    let queues = s
        .queues()
        .map(|q| {
            let members = q
                .members
                .values()
                .map(|m| {
                    (
                        m.interface.clone(),
                        MemberTruth {
                            name: m.name.clone(),
                            state_interface: m.state_interface.clone(),
                            status: m.status.code().unwrap_or(u8::MAX),
                            paused: m.paused,
                            paused_reason: m.paused_reason.clone(),
                            penalty: u32::try_from(m.penalty).unwrap_or(u32::MAX),
                            calls_taken: u32::try_from(m.calls_taken).unwrap_or(u32::MAX),
                            in_call: m.in_call,
                        },
                    )
                })
                .collect();
            let callers = q
                .callers
                .iter()
                .map(|c| QueueCallerTruth {
                    uniqueid: c.uniqueid.clone(),
                    channel: c.channel.clone(),
                    position: c.position,
                })
                .collect();
            (
                q.name.clone(),
                QueueTruth {
                    strategy: q.strategy.clone(),
                    completed: u32::try_from(q.completed).unwrap_or(u32::MAX),
                    abandoned: u32::try_from(q.abandoned).unwrap_or(u32::MAX),
                    members,
                    callers,
                },
            )
        })
        .collect();
    let parked = s
        .parked_calls()
        .map(|p| {
            (
                p.uniqueid.clone(),
                ParkedTruth {
                    channel: p.channel.clone(),
                    lot: p.lot.clone(),
                    space: p.space.clone(),
                    timeout: p.timeout,
                },
            )
        })
        .collect();
    let conferences = s
        .conferences()
        .map(|c| {
            let participants = c
                .participants
                .values()
                .map(|p| {
                    (
                        p.uniqueid.clone(),
                        ParticipantTruth {
                            admin: p.admin,
                            muted: p.muted,
                            marked: p.marked.unwrap_or_else(|| {
                                let theirs = pbx
                                    .conferences
                                    .get(&c.name)
                                    .and_then(|t| t.participants.get(&p.uniqueid))
                                    .is_some_and(|t| t.marked);
                                if allow.marked { theirs } else { !theirs }
                            }),
                        },
                    )
                })
                .collect();
            (c.name.clone(), ConferenceTruth { participants })
        })
        .collect();
    let devices = s
        .devices()
        .map(|d| (d.name.clone(), d.state.as_str().to_owned()))
        .collect();
    let hints = s
        .hints()
        .map(|h| {
            (
                (h.exten.clone(), h.context.clone()),
                HintTruth {
                    hint: h.hint.clone(),
                    status: i32::try_from(h.status).unwrap_or(i32::MIN),
                },
            )
        })
        .collect();
    Truth {
        channels,
        bridges,
        queues,
        parked,
        conferences,
        devices,
        hints,
    }
}

/// The simulator's truth with bridge members in the order the model can
/// know (a list says who is in a bridge, not who came first).
fn normalized(mut t: Truth) -> Truth {
    for b in t.bridges.values_mut() {
        b.members.sort();
    }
    t
}

/// A request the model made, and the PBX's answer once it made it.
struct Pending {
    request: SyncRequest,
    answer: Option<Vec<u8>>,
}

struct Run {
    sim: Sim,
    live: Live,
    pending: VecDeque<Pending>,
    next_id: u64,
    /// Events are being lost (the connection is down) for this many more
    /// steps.
    down: u32,
}

impl Run {
    fn new(seed: u64) -> Self {
        let mut live = Live::new();
        live.set_now(1_700_000_000);
        Self {
            sim: Sim::new(seed),
            live,
            pending: VecDeque::new(),
            next_id: 0,
            down: 0,
        }
    }

    fn events(&mut self, bytes: &[u8]) {
        if self.down > 0 {
            return; // lost with the connection
        }
        for m in decode(bytes) {
            assert_eq!(m.kind(), MessageKind::Event, "{m:?}");
            self.live.apply(&m);
        }
        self.check();
    }

    fn check(&self) {
        if let Err(e) = self.live.state().check() {
            panic!("inconsistent model: {e}");
        }
    }

    fn step(&mut self) {
        let bytes = self.sim.step();
        self.events(&bytes);
        let more = self.sim.take_events();
        self.events(&more);
        if self.down > 0 {
            self.down -= 1;
            if self.down == 0 {
                // Back, logged in again: sync anew.
                let requests = self.live.start_sync();
                self.ask(requests);
            }
        }
    }

    fn advance(&mut self, secs: u64) {
        self.sim.advance(secs);
        self.live
            .set_now(1_700_000_000 + i64::try_from(self.sim.now()).unwrap_or(0));
        let bytes = self.sim.take_events();
        self.events(&bytes);
    }

    fn ask(&mut self, requests: Vec<SyncRequest>) {
        for request in requests {
            self.pending.push_back(Pending {
                request,
                answer: None,
            });
        }
    }

    /// The PBX answers the oldest request it has not answered yet.
    fn make_answer(&mut self) {
        let Some(p) = self.pending.iter_mut().find(|p| p.answer.is_none()) else {
            return;
        };
        self.next_id += 1;
        let id = format!("sync-{}", self.next_id);
        let name = String::from_utf8_lossy(p.request.action.name()).into_owned();
        let extra: Vec<(String, String)> = p
            .request
            .action
            .headers()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(k).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect();
        let mut headers: Vec<(&str, &str)> = vec![("Action", &name), ("ActionID", &id)];
        headers.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        p.answer = Some(self.sim.action_headers(&headers));
    }

    /// The oldest answer reaches the model (if it has been made).
    fn deliver(&mut self) {
        if self.pending.front().is_none_or(|p| p.answer.is_none()) {
            return;
        }
        let p = self.pending.pop_front().expect("a front");
        let mut all = decode(&p.answer.expect("made")).into_iter();
        let head = all.next().expect("a response");
        let mut entries = Vec::new();
        let mut completion = None;
        for m in all {
            if m.get("EventList").is_some_and(|v| v == "Complete") {
                completion = Some(m);
            } else {
                entries.push(m);
            }
        }
        let response = Response::from_parts(head, entries, completion);
        if self.down > 0 {
            // The connection is down: the answer never comes.
            self.live.sync_failed(&p.request);
            return;
        }
        let next = self.live.sync_response(&p.request, &response);
        self.ask(next);
        self.check();
    }

    fn disconnect(&mut self, steps: u32) {
        if self.down == 0 {
            self.live.disconnected();
        }
        self.down = self.down.max(steps.max(1));
    }

    /// Runs until nothing is in flight, the connection up.
    fn settle(&mut self) {
        while self.down > 0 {
            self.step();
        }
        while !self.pending.is_empty() {
            self.make_answer();
            self.deliver();
        }
    }
}

fn run(seed: u64, ops: &[u8]) {
    let mut r = Run::new(seed);
    let requests = r.live.start_sync();
    r.ask(requests);
    for &op in ops {
        match op % 16 {
            0..=7 => r.step(),
            8 => r.advance(u64::from(op / 16) + 1),
            9 | 10 => r.make_answer(),
            11 | 12 => r.deliver(),
            13 => {
                // A sync of one part, at a random moment.
                let part = ami_live::Part::ALL[usize::from(op / 16) % ami_live::Part::ALL.len()];
                let request = r.live.start_part(part);
                r.ask(vec![request]);
            }
            14 => {
                let requests = r.live.start_sync();
                r.ask(requests);
            }
            _ => r.disconnect(u32::from(op / 16) % 6 + 1),
        }
    }
    r.settle();
    assert!(r.live.state().is_synced(), "parts not synced at the end");
    let truth = normalized(r.sim.truth());
    // Right after the scenario, the last answers may be older than events
    // the model applied before them: every object is right, but a queue's
    // counters (counted on from events; a list's value may already hold an
    // event that overtook it) can be off until a list made at rest.
    let mut model = truth_of(r.live.state(), &truth, LENIENT);
    for (name, q) in &mut model.queues {
        if let Some(t) = truth.queues.get(name) {
            q.completed = t.completed;
            q.abandoned = t.abandoned;
        }
    }
    assert_truth_eq(&model, &truth, "when the scenario stops");
    // At quiescence: a sync with nothing happening meanwhile.
    let requests = r.live.start_sync();
    r.ask(requests);
    r.settle();
    let model = truth_of(r.live.state(), &truth, LENIENT);
    assert_truth_eq(&model, &truth, "at quiescence");

    // A fresh sync confirms it all: nothing added or removed.
    while r.live.poll_change().is_some() {}
    let requests = r.live.start_sync();
    r.ask(requests);
    r.settle();
    let moved: Vec<Change> = std::iter::from_fn(|| r.live.poll_change())
        .filter(|c| matches!(c, Change::Added(_) | Change::Removed(_)))
        .collect();
    assert!(
        moved.is_empty(),
        "a fresh sync changed the model: {moved:?}"
    );
    // The lists said who is marked.
    let allow = Unknowns {
        marked: false,
        ..LENIENT
    };
    assert_truth_eq(
        &truth_of(r.live.state(), &truth, allow),
        &truth,
        "after a fresh sync",
    );
    let s = r.live.stats();
    assert_eq!(s.malformed, 0, "{:?}", s.recent);
}

fn assert_truth_eq(model: &Truth, truth: &Truth, when: &str) {
    if model == truth {
        return;
    }
    // Say which part differs, and how, rather than two huge dumps.
    fn diff<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
        what: &str,
        a: &BTreeMap<K, V>,
        b: &BTreeMap<K, V>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for (k, v) in a {
            match b.get(k) {
                None => out.push(format!("{what} {k:?}: in the model only: {v:?}")),
                Some(w) if w != v => out.push(format!("{what} {k:?}: model {v:?}, PBX {w:?}")),
                _ => {}
            }
        }
        for (k, w) in b {
            if !a.contains_key(k) {
                out.push(format!("{what} {k:?}: missing from the model: {w:?}"));
            }
        }
        out
    }
    let mut d = diff("channel", &model.channels, &truth.channels);
    d.extend(diff("bridge", &model.bridges, &truth.bridges));
    d.extend(diff("queue", &model.queues, &truth.queues));
    d.extend(diff("parked", &model.parked, &truth.parked));
    d.extend(diff("conference", &model.conferences, &truth.conferences));
    d.extend(diff("device", &model.devices, &truth.devices));
    d.extend(diff("hint", &model.hints, &truth.hints));
    panic!("{when}, the model is not the PBX:\n{}", d.join("\n"));
}

#[test]
fn long_runs_with_every_kind_of_interleaving() {
    for seed in 0..6u64 {
        let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) + 1;
        let ops: Vec<u8> = (0..1500)
            .map(|_| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                (rng >> 24) as u8
            })
            .collect();
        run(seed, &ops);
    }
}

#[test]
fn events_alone_keep_a_synced_model_right() {
    // No sync after the first: the events must do it all.
    let mut r = Run::new(42);
    let requests = r.live.start_sync();
    r.ask(requests);
    r.settle();
    for i in 0..3000 {
        r.step();
        if i % 7 == 0 {
            r.advance(3);
        }
    }
    // Every channel was born after the sync, in an event: its hold is known.
    let truth = normalized(r.sim.truth());
    let allow = Unknowns {
        hold: false,
        ..LENIENT
    };
    assert_truth_eq(
        &truth_of(r.live.state(), &truth, allow),
        &truth,
        "after 3000 steps",
    );
    // And what left the model was reported, with hangup causes.
    let removed_channels = std::iter::from_fn(|| r.live.poll_change())
        .filter(|c| matches!(c, Change::Removed(r) if matches!(**r, Removed::Channel(ref ch) if ch.hangup.is_some())))
        .count();
    assert!(
        removed_channels > 100,
        "only {removed_channels} hangups seen"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_scenarios_sync_points_and_disconnects(seed in 0u64..1_000_000, ops in proptest::collection::vec(any::<u8>(), 0..400)) {
        run(seed, &ops);
    }
}
