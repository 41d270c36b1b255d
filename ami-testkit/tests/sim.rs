//! The simulated PBX agrees with itself: after every step, what the list
//! actions say and what a replay of the events rebuilds equal its truth.

use std::collections::{BTreeMap, BTreeSet};

use ami_proto::{Decoded, Decoder, Message};
use ami_testkit::sim::{
    BridgeTruth, ChannelTruth, ConferenceTruth, HintTruth, MemberTruth, ParkedTruth,
    ParticipantTruth, QueueCallerTruth, QueueTruth, Sim, Truth,
};

/// Every message in `bytes`.
fn decode(bytes: &[u8]) -> Vec<Message> {
    let mut decoder = Decoder::new();
    // Not a stream start: nothing here is a banner.
    decoder.feed(b"\r\n");
    decoder.feed(bytes);
    let mut out = Vec::new();
    while let Some(decoded) = decoder.decode() {
        match decoded {
            Decoded::Message(m) => out.push(m),
            other => panic!("not a message: {other:?}"),
        }
    }
    out
}

fn s(m: &Message, key: &str) -> String {
    m.get(key).map(|v| v.to_string()).unwrap_or_default()
}

fn name(m: &Message) -> String {
    m.name().map(|n| n.to_string()).unwrap_or_default()
}

/// Sends a list action; returns its items, checking the list's frame.
fn list(sim: &mut Sim, headers: &[(&str, &str)]) -> Option<Vec<Message>> {
    let mut all = vec![("ActionID", "snap")];
    all.splice(0..0, headers.iter().copied());
    let messages = decode(&sim.action_headers(&all));
    let first = &messages[0];
    assert_eq!(s(first, "ActionID"), "snap");
    if s(first, "Response") == "Error" {
        assert_eq!(messages.len(), 1);
        return None;
    }
    assert_eq!(s(first, "Response"), "Success", "{first:?}");
    assert_eq!(s(first, "EventList"), "start");
    let done = messages.last().unwrap();
    assert!(name(done).ends_with("Complete"), "{done:?}");
    assert_eq!(s(done, "EventList"), "Complete");
    let items = messages[1..messages.len() - 1].to_vec();
    assert_eq!(s(done, "ListItems"), items.len().to_string());
    for item in &items {
        assert_eq!(s(item, "ActionID"), "snap");
    }
    assert!(sim.take_events().is_empty(), "a list action caused events");
    Some(items)
}

fn channel_from(m: &Message, prefix: &str) -> ChannelTruth {
    let f = |k: &str| s(m, &format!("{prefix}{k}"));
    ChannelTruth {
        name: f("Channel"),
        linkedid: f("Linkedid"),
        state: f("ChannelState").parse().unwrap(),
        caller_num: f("CallerIDNum"),
        caller_name: f("CallerIDName"),
        connected_num: f("ConnectedLineNum"),
        connected_name: f("ConnectedLineName"),
        context: f("Context"),
        exten: f("Exten"),
        priority: f("Priority").parse().unwrap(),
        application: String::new(),
        application_data: String::new(),
        bridge: None,
        on_hold: false,
    }
}

/// The PBX as the list actions tell it. Hold is not in any list: it is
/// taken from `hold_from`.
fn snapshot(sim: &mut Sim, hold_from: &Truth) -> Truth {
    let mut truth = Truth::default();
    for item in list(sim, &[("Action", "CoreShowChannels")]).unwrap() {
        assert_eq!(name(&item), "CoreShowChannel");
        let uid = s(&item, "Uniqueid");
        let mut c = channel_from(&item, "");
        c.application = s(&item, "Application");
        c.application_data = s(&item, "ApplicationData");
        c.bridge = Some(s(&item, "BridgeId")).filter(|b| !b.is_empty());
        c.on_hold = hold_from.channels.get(&uid).is_some_and(|h| h.on_hold);
        assert!(
            truth.channels.insert(uid, c).is_none(),
            "a channel listed twice"
        );
    }
    for item in list(sim, &[("Action", "BridgeList")]).unwrap() {
        let id = s(&item, "BridgeUniqueid");
        let info =
            decode(&sim.action_headers(&[("Action", "BridgeInfo"), ("BridgeUniqueid", &id)]));
        let done = info.last().unwrap();
        assert_eq!(name(done), "BridgeInfoComplete");
        assert_eq!(s(done, "BridgeUniqueid"), id);
        let members: Vec<String> = info[1..info.len() - 1]
            .iter()
            .map(|m| s(m, "Uniqueid"))
            .collect();
        assert_eq!(s(&item, "BridgeNumChannels"), members.len().to_string());
        truth.bridges.insert(
            id,
            BridgeTruth {
                kind: s(&item, "BridgeType"),
                technology: s(&item, "BridgeTechnology"),
                creator: s(&item, "BridgeCreator"),
                name: s(&item, "BridgeName"),
                members,
            },
        );
    }
    for item in list(sim, &[("Action", "QueueStatus")]).unwrap() {
        let queue = s(&item, "Queue");
        match name(&item).as_str() {
            "QueueParams" => {
                truth.queues.insert(
                    queue,
                    QueueTruth {
                        strategy: s(&item, "Strategy"),
                        completed: s(&item, "Completed").parse().unwrap(),
                        abandoned: s(&item, "Abandoned").parse().unwrap(),
                        members: BTreeMap::new(),
                        callers: Vec::new(),
                    },
                );
            }
            "QueueMember" => {
                let member = MemberTruth {
                    name: s(&item, "Name"),
                    state_interface: s(&item, "StateInterface"),
                    status: s(&item, "Status").parse().unwrap(),
                    paused: s(&item, "Paused") == "1",
                    paused_reason: s(&item, "PausedReason"),
                    penalty: s(&item, "Penalty").parse().unwrap(),
                    calls_taken: s(&item, "CallsTaken").parse().unwrap(),
                    in_call: s(&item, "InCall") == "1",
                };
                let q = truth.queues.get_mut(&queue).expect("QueueParams first");
                q.members.insert(s(&item, "Location"), member);
            }
            "QueueEntry" => {
                let q = truth.queues.get_mut(&queue).expect("QueueParams first");
                q.callers.push(QueueCallerTruth {
                    uniqueid: s(&item, "Uniqueid"),
                    channel: s(&item, "Channel"),
                    position: s(&item, "Position").parse().unwrap(),
                });
            }
            other => panic!("QueueStatus item {other}"),
        }
    }
    let parked = decode(&sim.action_headers(&[("Action", "ParkedCalls"), ("ActionID", "p")]));
    let done = parked.last().unwrap();
    assert_eq!(s(done, "Total"), (parked.len() - 2).to_string());
    for item in list(sim, &[("Action", "ParkedCalls")]).unwrap() {
        let left: u64 = s(&item, "ParkingTimeout").parse().unwrap();
        let passed: u64 = s(&item, "ParkingDuration").parse().unwrap();
        truth.parked.insert(
            s(&item, "ParkeeUniqueid"),
            ParkedTruth {
                channel: s(&item, "ParkeeChannel"),
                lot: s(&item, "Parkinglot"),
                space: s(&item, "ParkingSpace"),
                timeout: left + passed,
            },
        );
    }
    match list(sim, &[("Action", "ConfbridgeListRooms")]) {
        None => {
            let none =
                decode(&sim.action_headers(&[("Action", "ConfbridgeList"), ("Conference", "1")]));
            assert_eq!(s(&none[0], "Message"), "No active conferences.");
        }
        Some(rooms) => {
            for room in rooms {
                let conference = s(&room, "Conference");
                let people = list(
                    sim,
                    &[("Action", "ConfbridgeList"), ("Conference", &conference)],
                )
                .expect("a listed room lists its people");
                assert_eq!(s(&room, "Parties"), people.len().to_string());
                let marked = people
                    .iter()
                    .filter(|p| s(p, "MarkedUser") == "Yes")
                    .count();
                assert_eq!(s(&room, "Marked"), marked.to_string());
                let participants = people
                    .iter()
                    .map(|p| {
                        (
                            s(p, "Uniqueid"),
                            ParticipantTruth {
                                admin: s(p, "Admin") == "Yes",
                                muted: s(p, "Muted") == "Yes",
                                marked: s(p, "MarkedUser") == "Yes",
                            },
                        )
                    })
                    .collect();
                truth
                    .conferences
                    .insert(conference, ConferenceTruth { participants });
            }
        }
    }
    for item in list(sim, &[("Action", "DeviceStateList")]).unwrap() {
        truth.devices.insert(s(&item, "Device"), s(&item, "State"));
    }
    for item in list(sim, &[("Action", "ExtensionStateList")]).unwrap() {
        truth.hints.insert(
            (s(&item, "Exten"), s(&item, "Context")),
            HintTruth {
                hint: s(&item, "Hint"),
                status: s(&item, "Status").parse().unwrap(),
            },
        );
    }
    truth
}

/// What a client rebuilds from the events alone, from a first snapshot on:
/// channels, bridges, queue members and callers, parked calls,
/// conferences, devices and hints.
#[derive(Debug, Clone, Default)]
struct Replay {
    truth: Truth,
}

impl Replay {
    fn member_from(m: &Message) -> MemberTruth {
        MemberTruth {
            name: s(m, "MemberName"),
            state_interface: s(m, "StateInterface"),
            status: s(m, "Status").parse().unwrap(),
            paused: s(m, "Paused") == "1",
            paused_reason: s(m, "PausedReason"),
            penalty: s(m, "Penalty").parse().unwrap(),
            calls_taken: s(m, "CallsTaken").parse().unwrap(),
            in_call: s(m, "InCall") == "1",
        }
    }

    fn apply(&mut self, e: &Message) {
        let t = &mut self.truth;
        let event = name(e);
        // Every channel snapshot in an event is the channel as it is now.
        for prefix in ["", "Dest", "Parkee", "Retriever", "LocalOne", "LocalTwo"] {
            let uid = s(e, &format!("{prefix}Uniqueid"));
            if let (Some(c), true) = (
                t.channels.get_mut(&uid),
                e.contains(&format!("{prefix}ChannelState")),
            ) {
                let fresh = channel_from(e, prefix);
                c.name = fresh.name;
                c.state = fresh.state;
                c.caller_num = fresh.caller_num;
                c.caller_name = fresh.caller_name;
                c.connected_num = fresh.connected_num;
                c.connected_name = fresh.connected_name;
                c.context = fresh.context;
                c.exten = fresh.exten;
                c.priority = fresh.priority;
            }
        }
        let uid = s(e, "Uniqueid");
        let bridge = s(e, "BridgeUniqueid");
        match event.as_str() {
            "Newchannel" => {
                assert!(!t.channels.contains_key(&uid), "Newchannel twice: {uid}");
                t.channels.insert(uid, channel_from(e, ""));
            }
            "Newexten" => {
                let c = t
                    .channels
                    .get_mut(&uid)
                    .expect("Newexten of a known channel");
                c.application = s(e, "Application");
                c.application_data = s(e, "AppData");
            }
            "Hangup" => {
                let c = t.channels.remove(&uid).expect("Hangup of a known channel");
                assert_eq!(c.bridge, None, "hung up inside a bridge");
                assert!(e.contains("Cause-txt"));
            }
            "Hold" | "Unhold" => {
                t.channels.get_mut(&uid).expect("known").on_hold = event == "Hold";
            }
            "BridgeCreate" => {
                assert_eq!(s(e, "BridgeNumChannels"), "0");
                t.bridges.insert(
                    bridge,
                    BridgeTruth {
                        kind: s(e, "BridgeType"),
                        technology: s(e, "BridgeTechnology"),
                        creator: s(e, "BridgeCreator"),
                        name: s(e, "BridgeName"),
                        members: Vec::new(),
                    },
                );
            }
            "BridgeEnter" => {
                let b = t
                    .bridges
                    .get_mut(&bridge)
                    .expect("BridgeEnter of a known bridge");
                b.members.push(uid.clone());
                assert_eq!(s(e, "BridgeNumChannels"), b.members.len().to_string());
                t.channels.get_mut(&uid).expect("known").bridge = Some(bridge);
            }
            "BridgeLeave" => {
                let b = t
                    .bridges
                    .get_mut(&bridge)
                    .expect("BridgeLeave of a known bridge");
                b.members.retain(|m| *m != uid);
                assert_eq!(s(e, "BridgeNumChannels"), b.members.len().to_string());
                t.channels.get_mut(&uid).expect("known").bridge = None;
            }
            "BridgeDestroy" => {
                let b = t
                    .bridges
                    .remove(&bridge)
                    .expect("BridgeDestroy of a known bridge");
                assert!(b.members.is_empty());
            }
            "QueueMemberAdded" => {
                let q = t.queues.get_mut(&s(e, "Queue")).expect("known queue");
                assert!(
                    q.members
                        .insert(s(e, "Interface"), Self::member_from(e))
                        .is_none()
                );
            }
            "QueueMemberRemoved" => {
                let q = t.queues.get_mut(&s(e, "Queue")).expect("known queue");
                assert!(q.members.remove(&s(e, "Interface")).is_some());
            }
            "QueueMemberStatus" | "QueueMemberPause" => {
                let q = t.queues.get_mut(&s(e, "Queue")).expect("known queue");
                let m = q.members.get_mut(&s(e, "Interface")).expect("known member");
                *m = Self::member_from(e);
            }
            "QueueCallerJoin" => {
                let q = t.queues.get_mut(&s(e, "Queue")).expect("known queue");
                let position: u32 = s(e, "Position").parse().unwrap();
                assert_eq!(position as usize, q.callers.len() + 1);
                assert_eq!(s(e, "Count"), position.to_string());
                q.callers.push(QueueCallerTruth {
                    uniqueid: uid,
                    channel: s(e, "Channel"),
                    position,
                });
            }
            "QueueCallerLeave" => {
                let q = t.queues.get_mut(&s(e, "Queue")).expect("known queue");
                let position: usize = s(e, "Position").parse().unwrap();
                assert_eq!(q.callers[position - 1].uniqueid, uid);
                q.callers.remove(position - 1);
                for (c, p) in q.callers.iter_mut().zip(1..) {
                    c.position = p;
                }
                assert_eq!(s(e, "Count"), q.callers.len().to_string());
            }
            "QueueCallerAbandon" => {
                t.queues
                    .get_mut(&s(e, "Queue"))
                    .expect("known queue")
                    .abandoned += 1;
            }
            "AgentComplete" => {
                // The queue's completed count goes up with the call.
                t.queues
                    .get_mut(&s(e, "Queue"))
                    .expect("known queue")
                    .completed += 1;
            }
            "ParkedCall" => {
                let left: u64 = s(e, "ParkingTimeout").parse().unwrap();
                let passed: u64 = s(e, "ParkingDuration").parse().unwrap();
                t.parked.insert(
                    s(e, "ParkeeUniqueid"),
                    ParkedTruth {
                        channel: s(e, "ParkeeChannel"),
                        lot: s(e, "Parkinglot"),
                        space: s(e, "ParkingSpace"),
                        timeout: left + passed,
                    },
                );
            }
            "ParkedCallTimeOut" | "ParkedCallGiveUp" | "UnParkedCall" => {
                assert!(
                    t.parked.remove(&s(e, "ParkeeUniqueid")).is_some(),
                    "{event} of a parked call"
                );
            }
            "ConfbridgeStart" => {
                assert!(
                    t.conferences
                        .insert(
                            s(e, "Conference"),
                            ConferenceTruth {
                                participants: BTreeMap::new()
                            }
                        )
                        .is_none()
                );
            }
            "ConfbridgeJoin" => {
                let c = t.conferences.get_mut(&s(e, "Conference")).expect("started");
                c.participants.insert(
                    uid,
                    ParticipantTruth {
                        admin: s(e, "Admin") == "Yes",
                        muted: s(e, "Muted") == "Yes",
                        // Not in the event: only ConfbridgeList tells.
                        marked: false,
                    },
                );
            }
            "ConfbridgeMute" | "ConfbridgeUnmute" => {
                let c = t.conferences.get_mut(&s(e, "Conference")).expect("started");
                c.participants.get_mut(&uid).expect("joined").muted = event == "ConfbridgeMute";
            }
            "ConfbridgeLeave" => {
                let c = t.conferences.get_mut(&s(e, "Conference")).expect("started");
                assert!(c.participants.remove(&uid).is_some());
            }
            "ConfbridgeEnd" => {
                let c = t.conferences.remove(&s(e, "Conference")).expect("started");
                assert!(c.participants.is_empty());
            }
            "DeviceStateChange" => {
                t.devices.insert(s(e, "Device"), s(e, "State"));
            }
            "ExtensionStatus" => {
                let hint = t
                    .hints
                    .get_mut(&(s(e, "Exten"), s(e, "Context")))
                    .expect("a known hint");
                hint.status = s(e, "Status").parse().unwrap();
                assert_eq!(hint.hint, s(e, "Hint"));
            }
            _ => {}
        }
    }

    /// The replay with what the events cannot tell (a participant's
    /// `marked`) taken from `truth`.
    fn compared(&self, truth: &Truth) -> Truth {
        let mut mine = self.truth.clone();
        for (room, c) in &mut mine.conferences {
            for (uid, p) in &mut c.participants {
                p.marked = truth
                    .conferences
                    .get(room)
                    .and_then(|c| c.participants.get(uid))
                    .is_some_and(|p| p.marked);
            }
        }
        mine
    }
}

/// The first difference, for a readable failure.
fn diff(what: &str, want: &Truth, got: &Truth) -> String {
    macro_rules! field {
        ($f:ident) => {
            if want.$f != got.$f {
                let keys: BTreeSet<_> = want.$f.keys().chain(got.$f.keys()).collect();
                for key in keys {
                    if want.$f.get(key) != got.$f.get(key) {
                        return format!(
                            "{what}: {} {key:?}\n  truth: {:?}\n  {what}: {:?}",
                            stringify!($f),
                            want.$f.get(key),
                            got.$f.get(key)
                        );
                    }
                }
            }
        };
    }
    field!(channels);
    field!(bridges);
    field!(queues);
    field!(parked);
    field!(conferences);
    field!(devices);
    field!(hints);
    String::new()
}

/// Runs `steps` steps of seed `seed`, checking after each; returns the
/// event names seen.
fn run(seed: u64, steps: usize) -> BTreeSet<String> {
    let mut sim = Sim::new(seed);
    let start = sim.truth();
    let mut replay = Replay {
        truth: snapshot(&mut sim, &start),
    };
    assert_eq!(replay.truth, start);
    let mut seen = BTreeSet::new();
    let mut clock = seed;
    for step in 0..steps {
        clock = clock
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let bytes = if (clock >> 40).is_multiple_of(5) {
            // Now and then an action instead of a step.
            let _ = random_action(&mut sim, clock >> 20);
            sim.take_events()
        } else {
            let bytes = sim.step();
            assert!(
                !bytes.is_empty(),
                "seed {seed} step {step}: a step without events"
            );
            bytes
        };
        let events = decode(&bytes);
        for event in &events {
            assert!(event.contains("Event"), "{event:?}");
            assert!(event.contains("Privilege"), "{event:?}");
            seen.insert(name(event));
            replay.apply(event);
        }
        let truth = sim.truth();
        let listed = snapshot(&mut sim, &truth);
        assert!(
            listed == truth,
            "seed {seed} step {step}: {}",
            diff("lists", &truth, &listed)
        );
        let replayed = replay.compared(&truth);
        assert!(
            replayed == truth,
            "seed {seed} step {step}: {}",
            diff("replay", &truth, &replayed)
        );
        assert!(truth.channels.len() <= 40, "population bounded");
        // A deterministic, varied clock: 0–5 s between steps; parked calls
        // time out.
        sim.advance((clock >> 33) % 6);
        for event in decode(&sim.take_events()) {
            seen.insert(name(&event));
            replay.apply(&event);
        }
    }
    seen
}

/// One of the actions that change the PBX, on a channel or member picked
/// with `r`; returns the answer.
fn random_action(sim: &mut Sim, r: u64) -> Vec<Message> {
    let truth = sim.truth();
    let names: Vec<&String> = truth.channels.values().map(|c| &c.name).collect();
    let channel = if names.is_empty() {
        "PJSIP/none-1".to_owned()
    } else {
        names[(r as usize / 7) % names.len()].clone()
    };
    let targets = [
        "Local/600@from-internal",
        "Local/100@default",
        "PJSIP/150",
        "PJSIP/busy-1",
    ];
    let target = targets[(r as usize / 11) % targets.len()];
    let headers: Vec<(&str, &str)> = match r % 9 {
        0 | 1 => vec![
            ("Action", "Originate"),
            ("Channel", target),
            ("Application", "Wait"),
            ("Data", "30"),
            ("Async", "true"),
        ],
        2 => vec![
            ("Action", "Originate"),
            ("Channel", target),
            ("Context", "default"),
            ("Exten", "200"),
        ],
        3 => vec![("Action", "Hangup"), ("Channel", &channel)],
        4 => vec![("Action", "Hangup"), ("Channel", "/;2$/"), ("Cause", "17")],
        5 => vec![
            ("Action", "Redirect"),
            ("Channel", &channel),
            ("Context", "default"),
            ("Exten", "200"),
        ],
        6 => vec![("Action", "Park"), ("Channel", &channel)],
        7 => vec![
            ("Action", "QueuePause"),
            ("Interface", "Local/101@default"),
            ("Paused", if r.is_multiple_of(2) { "yes" } else { "no" }),
        ],
        _ => vec![
            ("Action", "ConfbridgeMute"),
            ("Conference", "1"),
            ("Channel", "all"),
        ],
    };
    decode(&sim.action_headers(&headers))
}

#[test]
fn lists_and_event_replay_agree_with_the_truth() {
    let mut seen = BTreeSet::new();
    for seed in 0..10 {
        seen.extend(run(seed, 2_000));
    }
    for wanted in [
        "Newchannel",
        "Newexten",
        "Newstate",
        "NewCallerid",
        "NewConnectedLine",
        "DialBegin",
        "DialEnd",
        "BridgeCreate",
        "BridgeEnter",
        "BridgeLeave",
        "BridgeDestroy",
        "Hold",
        "Unhold",
        "QueueCallerJoin",
        "QueueCallerLeave",
        "QueueCallerAbandon",
        "AgentCalled",
        "AgentConnect",
        "AgentComplete",
        "QueueMemberPause",
        "QueueMemberStatus",
        "QueueMemberAdded",
        "QueueMemberRemoved",
        "ParkedCall",
        "ParkedCallTimeOut",
        "ParkedCallGiveUp",
        "UnParkedCall",
        "ConfbridgeStart",
        "ConfbridgeJoin",
        "ConfbridgeMute",
        "ConfbridgeUnmute",
        "ConfbridgeLeave",
        "ConfbridgeEnd",
        "DeviceStateChange",
        "ExtensionStatus",
        "HangupRequest",
        "SoftHangupRequest",
        "Hangup",
    ] {
        assert!(seen.contains(wanted), "{wanted} never happened: {seen:?}");
    }
}

#[test]
fn every_kind_of_object_shows_up_within_a_few_hundred_steps() {
    for seed in 0..8 {
        let mut sim = Sim::new(seed);
        let (mut bridges, mut parked, mut rooms, mut callers, mut held) = (0, 0, 0, 0, 0);
        for _ in 0..400 {
            let _ = sim.step();
            sim.advance(2);
            let _ = sim.take_events();
            let t = sim.truth();
            bridges = bridges.max(t.bridges.values().filter(|b| b.kind == "basic").count());
            parked = parked.max(t.parked.len());
            rooms = rooms.max(t.conferences.len());
            callers = callers.max(t.queues["support"].callers.len());
            held = held.max(t.channels.values().filter(|c| c.on_hold).count());
        }
        assert!(
            bridges > 0 && parked > 0 && rooms > 0 && callers > 0 && held > 0,
            "seed {seed}: bridges {bridges} parked {parked} rooms {rooms} callers {callers} held {held}"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_pbx() {
    let run = |seed| {
        let mut sim = Sim::new(seed);
        let mut bytes = Vec::new();
        for _ in 0..300 {
            bytes.extend(sim.step());
            sim.advance(1);
        }
        (bytes, sim.truth())
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5).0, run(6).0);
}

/// The comparison catches a lie: a list answer with one item left out, or
/// an event dropped from the stream, no longer matches.
#[test]
fn the_checks_catch_a_missing_item_or_event() {
    let mut sim = Sim::new(3);
    let start = sim.truth();
    let mut replay = Replay {
        truth: snapshot(&mut sim, &start),
    };
    let mut dropped = false;
    for _ in 0..300 {
        for event in decode(&sim.step()) {
            // Drop the first BridgeEnter.
            if !dropped && name(&event) == "BridgeEnter" {
                dropped = true;
                continue;
            }
            replay.apply_lenient(&event);
        }
        if dropped {
            break;
        }
    }
    assert!(dropped);
    assert_ne!(replay.compared(&sim.truth()), sim.truth());

    let truth = sim.truth();
    let mut listed = snapshot(&mut sim, &truth);
    assert_eq!(listed, truth);
    let first = listed.channels.keys().next().cloned().expect("a channel");
    listed.channels.remove(&first);
    assert_ne!(listed, truth);
    assert!(diff("lists", &truth, &listed).contains(&first));
}

/// Actions change the PBX as a real one would, and the lists follow.
#[test]
fn actions_change_the_pbx() {
    let mut sim = Sim::new(11);
    let answer = decode(&sim.action_headers(&[
        ("Action", "Originate"),
        ("ActionID", "o1"),
        ("Channel", "Local/500@default"),
        ("Application", "Wait"),
        ("Data", "8"),
        ("Async", "true"),
        ("ChannelId", "mine-a"),
        ("OtherChannelId", "mine-b"),
    ]));
    assert_eq!(s(&answer[0], "Message"), "Originate successfully queued");
    let events = decode(&sim.take_events());
    let response = events
        .iter()
        .find(|e| name(e) == "OriginateResponse")
        .unwrap();
    assert_eq!(s(response, "ActionID"), "o1");
    assert_eq!(s(response, "Response"), "Success");
    assert_eq!(s(response, "Reason"), "4");
    assert_eq!(s(response, "Uniqueid"), "mine-a");
    let t = sim.truth();
    assert_eq!(t.channels["mine-a"].name, "Local/500@default-00000000;1");
    assert_eq!(t.channels["mine-b"].linkedid, "mine-a");
    assert_eq!(t.channels["mine-a"].application, "Wait");

    // Redirect, then hang up by regular expression.
    let redirected = decode(&sim.action_headers(&[
        ("Action", "Redirect"),
        ("Channel", "Local/500@default-00000000;2"),
        ("Context", "default"),
        ("Exten", "200"),
        ("Priority", "1"),
    ]));
    assert_eq!(s(&redirected[0], "Message"), "Redirect successful");
    assert_eq!(sim.truth().channels["mine-b"].application, "Echo");
    let missing = decode(&sim.action_headers(&[("Action", "Redirect"), ("Channel", "PJSIP/x-1")]));
    assert_eq!(
        s(&missing[0], "Message"),
        "Channel does not exist: PJSIP/x-1"
    );
    let _ = sim.take_events();
    let hung = decode(&sim.action_headers(&[
        ("Action", "Hangup"),
        ("ActionID", "h"),
        ("Channel", "/^Local/500@default-.*;2$/"),
    ]));
    assert_eq!(s(&hung[0], "Message"), "Channels hung up will follow");
    assert_eq!(name(&hung[1]), "ChannelHungup");
    assert_eq!(s(&hung[1], "Channel"), "Local/500@default-00000000;2");
    assert_eq!(s(&hung[2], "ListItems"), "1");
    let hangups: Vec<(String, String)> = decode(&sim.take_events())
        .iter()
        .filter(|e| name(e) == "Hangup")
        .map(|e| (s(e, "Channel"), s(e, "Cause")))
        .collect();
    assert_eq!(
        hangups,
        [
            ("Local/500@default-00000000;2".to_owned(), "0".to_owned()),
            ("Local/500@default-00000000;1".to_owned(), "16".to_owned())
        ]
    );
    assert!(sim.truth().channels.is_empty());

    // Queue members.
    let pause = |sim: &mut Sim, paused: &str| {
        decode(&sim.action_headers(&[
            ("Action", "QueuePause"),
            ("Interface", "Local/100@default"),
            ("Paused", paused),
            ("Reason", "lunch"),
        ]))
    };
    assert_eq!(
        s(&pause(&mut sim, "true")[0], "Message"),
        "Interface paused successfully"
    );
    let member = &sim.truth().queues["support"].members["Local/100@default"];
    assert!(member.paused);
    assert_eq!(member.paused_reason, "lunch");
    assert_eq!(name(&decode(&sim.take_events())[0]), "QueueMemberPause");
    assert_eq!(
        s(&pause(&mut sim, "false")[0], "Message"),
        "Interface unpaused successfully"
    );
    let add = [
        ("Action", "QueueAdd"),
        ("Queue", "support"),
        ("Interface", "Local/555@default"),
        ("MemberName", "Zed"),
        ("Penalty", "2"),
    ];
    assert_eq!(
        s(&decode(&sim.action_headers(&add))[0], "Message"),
        "Added interface to queue"
    );
    assert_eq!(
        s(&decode(&sim.action_headers(&add))[0], "Message"),
        "Unable to add interface: Already there"
    );
    assert_eq!(
        sim.truth().queues["support"].members["Local/555@default"].name,
        "Zed"
    );
    let remove = [
        ("Action", "QueueRemove"),
        ("Queue", "support"),
        ("Interface", "Local/555@default"),
    ];
    assert_eq!(
        s(&decode(&sim.action_headers(&remove))[0], "Message"),
        "Removed interface from queue"
    );
    assert_eq!(
        s(&decode(&sim.action_headers(&remove))[0], "Message"),
        "Unable to remove interface: Not there"
    );

    // Errors as the real server words them.
    for (headers, text) in [
        (
            vec![("Action", "BridgeInfo")],
            "BridgeUniqueid must be provided",
        ),
        (
            vec![("Action", "BridgeInfo"), ("BridgeUniqueid", "x")],
            "Specified BridgeUniqueid not found",
        ),
        (
            vec![("Action", "ConfbridgeListRooms")],
            "No active conferences.",
        ),
        (
            vec![("Action", "ConfbridgeList")],
            "No Conference name provided.",
        ),
        (
            vec![("Action", "ConfbridgeList"), ("Conference", "1")],
            "No active conferences.",
        ),
        (vec![("Action", "Park")], "Channel not specified"),
        (
            vec![("Action", "Hangup"), ("Channel", "nope")],
            "No such channel",
        ),
    ] {
        let answer = decode(&sim.action_headers(&headers));
        assert_eq!(s(&answer[0], "Response"), "Error", "{headers:?}");
        assert_eq!(s(&answer[0], "Message"), text, "{headers:?}");
    }
}

impl Replay {
    /// `apply` without the bookkeeping asserts, for a stream known to be
    /// broken.
    fn apply_lenient(&mut self, e: &Message) {
        let before = self.clone();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut copy = before.clone();
            copy.apply(e);
            copy
        }));
        if let Ok(after) = result {
            *self = after;
        }
    }
}

/// A client of the networked server sees one PBX: the channels it rebuilds
/// from a first `CoreShowChannels` and the events after it are the ones a
/// later `CoreShowChannels` lists — the busy PBX, an Originate and a
/// Hangup running meanwhile.
#[test]
fn the_server_events_and_lists_agree() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    let server = ami_testkit::Server::builder().busy_pbx().start();
    let mut socket = std::net::TcpStream::connect(server.addr()).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    socket
        .write_all(
            b"Action: Login\r\nUsername: admin\r\nSecret: amp111\r\n\r\n\
              Action: CoreShowChannels\r\nActionID: first\r\n\r\n",
        )
        .unwrap();
    let mut decoder = Decoder::new();
    let mut channels: Option<BTreeSet<String>> = None;
    let mut listing = BTreeSet::new();
    let mut checked = 0;
    let mut sent_second = false;
    let start = Instant::now();
    let mut buf = [0; 65536];
    while checked < 3 {
        assert!(start.elapsed() < Duration::from_secs(30), "no answer");
        match socket.read(&mut buf) {
            Ok(0) => panic!("closed"),
            Ok(n) => decoder.feed(&buf[..n]),
            Err(_) => {}
        }
        while let Some(decoded) = decoder.decode() {
            let Decoded::Message(m) = decoded else {
                continue;
            };
            match (name(&m).as_str(), s(&m, "ActionID").as_str()) {
                ("CoreShowChannel", _) => {
                    listing.insert(s(&m, "Uniqueid"));
                }
                ("CoreShowChannelsComplete", id) => {
                    let listed = std::mem::take(&mut listing);
                    if let Some(mine) = &channels {
                        assert_eq!(mine, &listed, "list {id}");
                        checked += 1;
                    }
                    channels = Some(listed);
                    sent_second = false;
                }
                ("Newchannel", _) => {
                    if let Some(mine) = &mut channels {
                        assert!(mine.insert(s(&m, "Uniqueid")));
                    }
                }
                ("Hangup", _) => {
                    if let Some(mine) = &mut channels {
                        assert!(mine.remove(&s(&m, "Uniqueid")));
                    }
                }
                _ => {}
            }
        }
        if channels.is_some()
            && !sent_second
            && start.elapsed() > Duration::from_millis(700 * (checked + 1))
        {
            sent_second = true;
            let extra: &[u8] = if checked == 1 {
                b"Action: Originate\r\nChannel: Local/100@default\r\nApplication: Wait\r\nData: 9\r\nAsync: true\r\n\r\n\
                  Action: Hangup\r\nChannel: /;1$/\r\n\r\n"
            } else {
                b""
            };
            socket.write_all(extra).unwrap();
            socket
                .write_all(
                    format!("Action: CoreShowChannels\r\nActionID: again-{checked}\r\n\r\n")
                        .as_bytes(),
                )
                .unwrap();
        }
    }
}
