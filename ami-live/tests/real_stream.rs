//! The model against a stream recorded from a real Asterisk 22.10.1: calls
//! into a queue (answered, and one abandoned), a Dial bridge, a park, a
//! ConfBridge, a device state, a regex Hangup, with every list action sent
//! again and again in between (`testdata/live/real-scenario.{sent,bin}`).
//!
//! Each list answer is checked against the model *before* it is applied:
//! from the second round on, the model that events alone kept must already
//! say what the list says.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ami_live::{Live, Part, PartStatus, SyncRequest};
use ami_proto::{Decoded, Decoder, Message, MessageKind, Response};

const SENT: &[u8] = include_bytes!("../../testdata/live/real-scenario.sent");
const RECEIVED: &[u8] = include_bytes!("../../testdata/live/real-scenario.bin");

fn decode(bytes: &[u8]) -> Vec<Message> {
    let mut d = Decoder::new();
    d.feed(bytes);
    let mut out = Vec::new();
    while let Some(item) = d.decode() {
        if let Decoded::Message(m) = item {
            out.push(m);
        }
    }
    out
}

fn get(m: &Message, key: &str) -> String {
    m.get(key)
        .map(|v| v.to_str_lossy().into_owned())
        .unwrap_or_default()
}

fn part_of(action: &str) -> Option<Part> {
    Part::ALL.into_iter().find(|p| p.action_name() == action)
}

/// What a list says, and the same read off the model, in one comparable form.
#[derive(Debug, PartialEq, Eq, Default)]
struct View(BTreeMap<String, String>);

fn list_view(part: Part, entries: &[Message]) -> View {
    let mut v = BTreeMap::new();
    for e in entries {
        match part {
            Part::Channels => {
                let bridge = get(e, "BridgeId");
                v.insert(
                    get(e, "Uniqueid"),
                    format!(
                        "{} {} bridge={}",
                        get(e, "Channel"),
                        get(e, "ChannelState"),
                        bridge
                    ),
                );
            }
            Part::Bridges => {
                v.insert(get(e, "BridgeUniqueid"), get(e, "BridgeType"));
            }
            Part::Parking => {
                v.insert(
                    get(e, "ParkeeUniqueid"),
                    format!("{} {}", get(e, "Parkinglot"), get(e, "ParkingSpace")),
                );
            }
            Part::Queues => match e.name().map(|n| n.to_str_lossy().into_owned()).as_deref() {
                Some("QueueParams") => {
                    v.insert(
                        get(e, "Queue"),
                        format!(
                            "calls={} completed={} abandoned={}",
                            get(e, "Calls"),
                            get(e, "Completed"),
                            get(e, "Abandoned")
                        ),
                    );
                }
                Some("QueueMember") => {
                    v.insert(
                        format!("{}/{}", get(e, "Queue"), get(e, "Location")),
                        format!(
                            "{} incall={} paused={} taken={} status={}",
                            get(e, "Name"),
                            get(e, "InCall"),
                            get(e, "Paused"),
                            get(e, "CallsTaken"),
                            get(e, "Status")
                        ),
                    );
                }
                Some("QueueEntry") => {
                    v.insert(
                        format!("{}#{}", get(e, "Queue"), get(e, "Position")),
                        get(e, "Uniqueid"),
                    );
                }
                _ => {}
            },
            Part::Conferences => {
                v.insert(get(e, "Conference"), String::new());
            }
            Part::Devices => {
                v.insert(get(e, "Device"), get(e, "State"));
            }
            Part::Hints => {
                v.insert(
                    format!("{}@{}", get(e, "Exten"), get(e, "Context")),
                    get(e, "Status"),
                );
            }
            Part::Agents => {}
        }
    }
    View(v)
}

fn model_view(part: Part, live: &Live) -> View {
    let s = live.state();
    let mut v = BTreeMap::new();
    match part {
        Part::Channels => {
            for c in s.channels() {
                v.insert(
                    c.uniqueid.clone(),
                    format!(
                        "{} {} bridge={}",
                        c.name,
                        c.state.code(),
                        c.bridge.clone().unwrap_or_default()
                    ),
                );
            }
        }
        Part::Bridges => {
            for b in s.bridges() {
                v.insert(b.id.clone(), b.bridge_type.clone());
            }
        }
        Part::Parking => {
            for p in s.parked_calls() {
                v.insert(p.uniqueid.clone(), format!("{} {}", p.lot, p.space));
            }
        }
        Part::Queues => {
            for q in s.queues() {
                v.insert(
                    q.name.clone(),
                    format!(
                        "calls={} completed={} abandoned={}",
                        q.calls, q.completed, q.abandoned
                    ),
                );
                for m in q.members.values() {
                    v.insert(
                        format!("{}/{}", q.name, m.interface),
                        format!(
                            "{} incall={} paused={} taken={} status={}",
                            m.name,
                            u8::from(m.in_call),
                            u8::from(m.paused),
                            m.calls_taken,
                            member_status_code(&m.status)
                        ),
                    );
                }
                for c in &q.callers {
                    v.insert(format!("{}#{}", q.name, c.position), c.uniqueid.clone());
                }
            }
        }
        Part::Conferences => {
            for c in s.conferences() {
                v.insert(c.name.clone(), String::new());
            }
        }
        Part::Devices => {
            for d in s.devices() {
                v.insert(d.name.clone(), d.state.as_str().to_owned());
            }
        }
        Part::Hints => {
            for h in s.hints() {
                v.insert(format!("{}@{}", h.exten, h.context), h.status.to_string());
            }
        }
        Part::Agents => {}
    }
    View(v)
}

fn member_status_code(s: &ami_live::DeviceState) -> String {
    (0..=8)
        .find(|&i| ami_live::DeviceState::from_code(i) == *s)
        .map_or_else(|| s.as_str().to_owned(), |i| i.to_string())
}

#[test]
fn events_alone_keep_the_model_equal_to_every_list_of_a_real_asterisk() {
    let actions: HashMap<String, String> = decode(SENT)
        .iter()
        .map(|m| (get(m, "ActionID"), get(m, "Action")))
        .collect();
    let mut live = Live::new();
    // Lists being received: ActionID → (the response, its entries).
    let mut open: HashMap<String, (Message, Vec<Message>)> = HashMap::new();
    // ConfbridgeList requests the model asked for, by conference.
    let mut wanted: Vec<SyncRequest> = Vec::new();
    let mut rounds: HashMap<Part, u32> = HashMap::new();
    let mut compared = 0;
    let mut ever_listed: BTreeSet<String> = BTreeSet::new();

    for msg in decode(RECEIVED) {
        let aid = get(&msg, "ActionID");
        let action = actions.get(&aid).cloned().unwrap_or_default();
        let list = part_of(&action).is_some() || action == "ConfbridgeList";
        if msg.kind() == MessageKind::Response && list {
            if msg.get("EventList").is_some() {
                open.insert(aid, (msg, Vec::new()));
            } else {
                // An error answer: "No active conferences." and the like.
                let response = Response::from_parts(msg, Vec::new(), None);
                if let Some(part) = part_of(&action) {
                    let request = live.start_part(part);
                    wanted.extend(live.sync_response(&request, &response));
                } else if let Some(i) = wanted
                    .iter()
                    .position(|r| r.action.name() == b"ConfbridgeList")
                {
                    let request = wanted.remove(i);
                    live.sync_response(&request, &response);
                }
            }
            continue;
        }
        if let Some((_, entries)) = open.get_mut(&aid) {
            if get(&msg, "EventList") == "Complete" {
                let (head, entries) = open.remove(&aid).expect("open");
                if let Some(part) = part_of(&action) {
                    let round = rounds.entry(part).or_default();
                    *round += 1;
                    if *round > 1 && part != Part::Agents {
                        let mut model = model_view(part, &live);
                        if part == Part::Devices {
                            // The states of Local/… and CBAnn/… devices are
                            // not cachable: Asterisk sends their events but
                            // DeviceStateList never lists them.
                            let listed = list_view(part, &entries);
                            model
                                .0
                                .retain(|k, _| ever_listed.contains(k) || listed.0.contains_key(k));
                        }
                        assert_eq!(
                            model,
                            list_view(part, &entries),
                            "{part} before list {aid} (round {round}) applied"
                        );
                        compared += 1;
                    }
                    if part == Part::Devices {
                        ever_listed.extend(list_view(part, &entries).0.into_keys());
                    }
                    let request = live.start_part(part);
                    let response = Response::from_parts(head, entries, Some(msg));
                    wanted.extend(live.sync_response(&request, &response));
                    let awaiting = part == Part::Conferences && !wanted.is_empty();
                    let expect = if !awaiting {
                        PartStatus::Synced
                    } else {
                        PartStatus::Syncing
                    };
                    assert_eq!(live.state().status(part), &expect, "{part}");
                } else {
                    let response = Response::from_parts(head, entries, Some(msg));
                    if let Some(i) = wanted
                        .iter()
                        .position(|r| r.action.name() == b"ConfbridgeList")
                    {
                        let request = wanted.remove(i);
                        live.sync_response(&request, &response);
                        assert_eq!(live.state().status(Part::Conferences), &PartStatus::Synced);
                    }
                }
            } else {
                entries.push(msg);
            }
            continue;
        }
        live.apply(&msg);
    }
    // Six rounds of seven lists; the first round of each is not compared.
    assert!(compared >= 30, "compared only {compared} lists");
    let stats = live.stats();
    assert_eq!(stats.malformed, 0, "{:?}", stats.recent);
    // At the end every call is over.
    assert_eq!(live.state().channels().count(), 0);
    assert_eq!(live.state().calls().count(), 0);
    assert_eq!(live.state().parked_calls().count(), 0);
    assert_eq!(live.state().conferences().count(), 0);
    let support = live.state().queue("support").expect("queue support");
    assert_eq!(support.completed, 3);
    assert!(support.callers.is_empty());
    let names: BTreeSet<&str> = support.members.values().map(|m| m.name.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["Alice", "Bob"]));
}
