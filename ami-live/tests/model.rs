//! The model's rules, one case each: events racing a sync, reconnects,
//! refused lists, late and malformed events.

use ami_live::{Change, ChannelState, Key, Live, Part, PartStatus, Removed, SyncRequest, Unparked};
use ami_proto::{Decoded, Decoder, Message, Response};

/// Messages from `Key: Value` lines, blocks separated by empty lines.
fn msgs(text: &str) -> Vec<Message> {
    let wire = text.trim().replace('\n', "\r\n") + "\r\n\r\n";
    let mut d = Decoder::new();
    // A first line that is not a header would be taken for the banner.
    d.feed(b"Asterisk Call Manager/11.0.0\r\n");
    d.feed(wire.as_bytes());
    let mut out = Vec::new();
    while let Some(item) = d.decode() {
        if let Decoded::Message(m) = item {
            out.push(m);
        }
    }
    out
}

fn apply(live: &mut Live, text: &str) {
    for m in msgs(text) {
        live.apply(&m);
    }
    live.state().check().expect("consistent");
}

fn answer(live: &mut Live, request: &SyncRequest, text: &str) -> Vec<SyncRequest> {
    let mut all = msgs(&format!("Response: Success\nEventList: start\n\n{text}")).into_iter();
    let head = all.next().expect("a head");
    let entries: Vec<Message> = all.filter(|m| m.name().is_some()).collect();
    let next = live.sync_response(request, &Response::from_parts(head, entries, None));
    live.state().check().expect("consistent");
    next
}

fn refuse(live: &mut Live, request: &SyncRequest, message: &str) {
    let head = msgs(&format!("Response: Error\nMessage: {message}")).remove(0);
    live.sync_response(request, &Response::from_parts(head, Vec::new(), None));
}

fn request(live: &mut Live, part: Part) -> SyncRequest {
    live.start_part(part)
}

fn newchannel(uid: &str, name: &str) -> String {
    format!(
        "Event: Newchannel\nChannel: {name}\nChannelState: 4\nChannelStateDesc: Ring\n\
         CallerIDNum: 100\nCallerIDName: Alice\nContext: default\nExten: 200\nPriority: 1\n\
         Uniqueid: {uid}\nLinkedid: {uid}\n"
    )
}

fn hangup(uid: &str, name: &str, cause: u32) -> String {
    format!(
        "Event: Hangup\nChannel: {name}\nChannelState: 6\nUniqueid: {uid}\nLinkedid: {uid}\n\
         Cause: {cause}\nCause-txt: Normal Clearing\n"
    )
}

fn listed(uid: &str, name: &str, state: u8, bridge: &str) -> String {
    format!(
        "Event: CoreShowChannel\nChannel: {name}\nChannelState: {state}\nCallerIDNum: 100\n\
         CallerIDName: Alice\nContext: default\nExten: 200\nPriority: 1\nUniqueid: {uid}\n\
         Linkedid: {uid}\nApplication: Dial\nApplicationData: PJSIP/200\nDuration: 00:00:05\n\
         BridgeId: {bridge}\n"
    )
}

fn changes(live: &mut Live) -> Vec<Change> {
    std::iter::from_fn(|| live.poll_change()).collect()
}

#[test]
fn a_list_entry_older_than_a_hangup_does_not_bring_the_channel_back() {
    let mut live = Live::new();
    apply(&mut live, &newchannel("1.1", "PJSIP/a-1"));
    let r = request(&mut live, Part::Channels);
    // The hangup comes after the request was sent, before its answer, and
    // the answer (made before the hangup) still lists the channel.
    apply(&mut live, &hangup("1.1", "PJSIP/a-1", 16));
    answer(&mut live, &r, &listed("1.1", "PJSIP/a-1", 6, ""));
    assert!(live.state().channel("1.1").is_none());
    assert_eq!(live.state().status(Part::Channels), &PartStatus::Synced);
}

#[test]
fn a_channel_created_while_the_sync_runs_is_kept_though_the_list_misses_it() {
    let mut live = Live::new();
    let r = request(&mut live, Part::Channels);
    apply(&mut live, &newchannel("1.2", "PJSIP/b-2"));
    answer(&mut live, &r, "");
    assert!(live.state().channel("1.2").is_some());
}

#[test]
fn an_event_newer_than_the_list_wins() {
    let mut live = Live::new();
    apply(&mut live, &newchannel("1.3", "PJSIP/c-3"));
    let r = request(&mut live, Part::Channels);
    apply(
        &mut live,
        "Event: Newstate\nChannel: PJSIP/c-3\nChannelState: 6\nUniqueid: 1.3\nLinkedid: 1.3\n",
    );
    // An entry from before the answer: Ring.
    answer(&mut live, &r, &listed("1.3", "PJSIP/c-3", 4, ""));
    assert_eq!(live.state().channel("1.3").unwrap().state, ChannelState::Up);
}

#[test]
fn what_no_list_shows_and_no_event_touched_is_removed() {
    let mut live = Live::new();
    apply(&mut live, &newchannel("1.4", "PJSIP/d-4"));
    apply(&mut live, &newchannel("1.5", "PJSIP/e-5"));
    changes(&mut live);
    let r = request(&mut live, Part::Channels);
    answer(&mut live, &r, &listed("1.5", "PJSIP/e-5", 6, ""));
    assert!(live.state().channel("1.4").is_none());
    let removed: Vec<Key> = changes(&mut live)
        .into_iter()
        .filter_map(|c| match c {
            Change::Removed(r) => Some(r.key()),
            _ => None,
        })
        .collect();
    assert_eq!(
        removed,
        [Key::Channel("1.4".into()), Key::Call("1.4".into())]
    );
    // The list fills in what events had not said.
    let e = live.state().channel("1.5").unwrap();
    assert_eq!(
        (e.state, e.application.as_str()),
        (ChannelState::Up, "Dial")
    );
}

#[test]
fn a_reconnect_marks_everything_stale_and_the_next_sync_removes_what_vanished() {
    let mut live = Live::new();
    let requests = live.start_sync();
    assert_eq!(requests.len(), Part::ALL.len());
    for r in &requests {
        let text = if r.part == Part::Channels {
            listed("2.1", "PJSIP/f-1", 6, "") + "\n" + &listed("2.2", "PJSIP/g-2", 6, "")
        } else {
            String::new()
        };
        answer(&mut live, r, &text);
    }
    assert!(live.state().is_synced());
    live.disconnected();
    assert_eq!(live.state().status(Part::Channels), &PartStatus::Stale);
    assert_eq!(live.state().channels().count(), 2, "kept, as last known");
    // The answers of before the drop are ignored if they come late.
    answer(&mut live, &requests[1], "");
    assert_eq!(live.state().channels().count(), 2);
    changes(&mut live);
    // Back: 2.1 hung up meanwhile, 2.3 is new.
    let again = live.start_sync();
    let r = again.iter().find(|r| r.part == Part::Channels).unwrap();
    answer(
        &mut live,
        r,
        &(listed("2.2", "PJSIP/g-2", 6, "") + "\n" + &listed("2.3", "PJSIP/h-3", 6, "")),
    );
    let ids: Vec<&str> = {
        let mut v: Vec<&str> = live
            .state()
            .channels()
            .map(|c| c.uniqueid.as_str())
            .collect();
        v.sort_unstable();
        v
    };
    assert_eq!(ids, ["2.2", "2.3"]);
    let gone = changes(&mut live).into_iter().find_map(|c| match c {
        Change::Removed(r) => match *r {
            Removed::Channel(c) => Some(c),
            _ => None,
        },
        _ => None,
    });
    let gone = gone.expect("2.1 reported removed");
    assert_eq!(gone.uniqueid, "2.1");
    assert_eq!(
        gone.hangup, None,
        "no cause known: it vanished while disconnected"
    );
}

#[test]
fn a_refused_list_marks_its_part_unavailable_and_no_conference_is_an_empty_list() {
    let mut live = Live::new();
    let requests = live.start_sync();
    for r in &requests {
        match r.part {
            Part::Agents => refuse(&mut live, r, "Invalid/unknown command: Agents."),
            Part::Conferences => refuse(&mut live, r, "No active conferences."),
            _ => {
                answer(&mut live, r, "");
            }
        }
    }
    assert_eq!(
        live.state().status(Part::Agents),
        &PartStatus::Unavailable("Invalid/unknown command: Agents.".into())
    );
    assert_eq!(live.state().status(Part::Conferences), &PartStatus::Synced);
    assert!(live.state().is_synced());
    assert!(changes(&mut live).contains(&Change::Unavailable(
        Part::Agents,
        "Invalid/unknown command: Agents.".into()
    )));
}

#[test]
fn a_late_event_of_a_hung_up_channel_does_not_bring_it_back() {
    let mut live = Live::new();
    apply(&mut live, &newchannel("3.1", "PJSIP/i-1"));
    apply(&mut live, &hangup("3.1", "PJSIP/i-1", 17));
    apply(
        &mut live,
        "Event: VarSet\nChannel: PJSIP/i-1\nChannelState: 6\nUniqueid: 3.1\nLinkedid: 3.1\n\
         Variable: X\nValue: 1\n",
    );
    apply(
        &mut live,
        "Event: Newstate\nChannel: PJSIP/i-1\nChannelState: 6\nUniqueid: 3.1\nLinkedid: 3.1\n",
    );
    assert!(live.state().channel("3.1").is_none());
    assert_eq!(live.stats().unknown_object, 1);
}

#[test]
fn the_hangup_cause_travels_with_the_removed_channel() {
    let mut live = Live::new();
    apply(&mut live, &newchannel("3.2", "PJSIP/j-2"));
    changes(&mut live);
    apply(&mut live, &hangup("3.2", "PJSIP/j-2", 17));
    let Some(Change::Removed(r)) = live.poll_change() else {
        panic!("a removal")
    };
    let Removed::Channel(c) = *r else {
        panic!("a channel")
    };
    let h = c.hangup.expect("a cause");
    assert_eq!(h.cause.name(), Some("USER_BUSY"));
    assert_eq!(h.text, "Normal Clearing");
}

#[test]
fn malformed_and_unknown_events_are_counted_and_change_nothing() {
    let mut live = Live::new();
    apply(
        &mut live,
        "Event: Newchannel\nChannel: PJSIP/x\nChannelState: 4\n",
    );
    apply(&mut live, "Event: BridgeEnter\nChannel: PJSIP/x\n");
    apply(
        &mut live,
        "Event: QueueCallerLeave\nQueue: q\nUniqueid: 9.9\nChannel: PJSIP/x\nCount: 0\n",
    );
    apply(&mut live, "Event: UserEvent\nUserEvent: Foo\n");
    apply(
        &mut live,
        "Event: Newstate\nChannel: PJSIP/x\nChannelState: banana\nUniqueid: 9.8\nLinkedid: 9.8\n",
    );
    let s = live.stats();
    assert_eq!(s.events, 5);
    assert_eq!(s.malformed, 2, "{:?}", s.recent);
    assert_eq!(s.ignored, 1);
    assert_eq!(s.applied + s.unknown_object, 2);
    assert_eq!(s.recent.front().unwrap().event, "Newchannel");
    // A state that does not parse keeps the old one (none here: Down).
    assert_eq!(
        live.state().channel("9.8").map(|c| c.state),
        Some(ChannelState::Down)
    );
}

#[test]
fn queue_callers_move_up_when_one_leaves() {
    let mut live = Live::new();
    for (i, uid) in ["4.1", "4.2", "4.3"].iter().enumerate() {
        apply(
            &mut live,
            &format!(
                "Event: QueueCallerJoin\nChannel: PJSIP/q-{i}\nChannelState: 6\nUniqueid: {uid}\n\
                 Linkedid: {uid}\nQueue: support\nPosition: {}\nCount: {}\n",
                i + 1,
                i + 1
            ),
        );
    }
    apply(
        &mut live,
        "Event: QueueCallerAbandon\nChannel: PJSIP/q-0\nUniqueid: 4.1\nLinkedid: 4.1\nQueue: support\n\
         Position: 1\nOriginalPosition: 1\nHoldTime: 3\n\n\
         Event: QueueCallerLeave\nChannel: PJSIP/q-0\nChannelState: 6\nUniqueid: 4.1\nLinkedid: 4.1\n\
         Queue: support\nPosition: 1\nCount: 2\n",
    );
    let q = live.state().queue("support").unwrap();
    let order: Vec<(&str, u32)> = q
        .callers
        .iter()
        .map(|c| (c.uniqueid.as_str(), c.position))
        .collect();
    assert_eq!(order, [("4.2", 1), ("4.3", 2)]);
    assert_eq!((q.calls, q.abandoned), (2, 1));
    let left = changes(&mut live).into_iter().find_map(|c| match c {
        Change::Removed(r) => match *r {
            Removed::Caller(_, c) => Some(c),
            _ => None,
        },
        _ => None,
    });
    assert!(left.expect("a caller left").abandoned);
}

#[test]
fn bridges_follow_enter_leave_merge_and_destroy() {
    let mut live = Live::new();
    let bridge = |id: &str| {
        format!(
            "BridgeUniqueid: {id}\nBridgeType: basic\nBridgeTechnology: simple_bridge\nBridgeCreator: <unknown>\nBridgeName: <unknown>\nBridgeNumChannels: 0\n"
        )
    };
    apply(&mut live, &newchannel("5.1", "PJSIP/a-1"));
    apply(&mut live, &newchannel("5.2", "PJSIP/b-2"));
    apply(&mut live, &format!("Event: BridgeCreate\n{}", bridge("b1")));
    apply(&mut live, &format!("Event: BridgeCreate\n{}", bridge("b2")));
    apply(
        &mut live,
        &format!(
            "Event: BridgeEnter\n{}Channel: PJSIP/a-1\nUniqueid: 5.1\nLinkedid: 5.1\n",
            bridge("b1")
        ),
    );
    apply(
        &mut live,
        &format!(
            "Event: BridgeEnter\n{}Channel: PJSIP/b-2\nUniqueid: 5.2\nLinkedid: 5.2\n",
            bridge("b2")
        ),
    );
    apply(
        &mut live,
        "Event: BridgeMerge\nToBridgeUniqueid: b1\nFromBridgeUniqueid: b2\n",
    );
    let members: Vec<&str> = live
        .state()
        .channels_in_bridge("b1")
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(members, ["PJSIP/a-1", "PJSIP/b-2"]);
    // A leave of a bridge the channel is not in changes nothing.
    apply(
        &mut live,
        &format!(
            "Event: BridgeLeave\n{}Channel: PJSIP/b-2\nUniqueid: 5.2\nLinkedid: 5.2\n",
            bridge("b2")
        ),
    );
    assert_eq!(
        live.state().channel("5.2").unwrap().bridge.as_deref(),
        Some("b1")
    );
    apply(
        &mut live,
        &format!("Event: BridgeDestroy\n{}", bridge("b1")),
    );
    assert!(live.state().channels().all(|c| c.bridge.is_none()));
}

#[test]
fn parked_calls_leave_with_their_reason() {
    let mut live = Live::new();
    let parkee = "ParkeeChannel: PJSIP/p-1\nParkeeChannelState: 6\nParkeeUniqueid: 6.1\nParkeeLinkedid: 6.1\n";
    apply(
        &mut live,
        &format!(
            "Event: ParkedCall\n{parkee}ParkerDialString: PJSIP/100\nParkinglot: default\nParkingSpace: 701\nParkingTimeout: 45\nParkingDuration: 0\n"
        ),
    );
    let p = live.state().parked_call("6.1").unwrap();
    assert_eq!(
        (p.lot.as_str(), p.space.as_str(), p.timeout),
        ("default", "701", 45)
    );
    assert!(
        live.state().channel("6.1").is_some(),
        "the parkee is a channel"
    );
    changes(&mut live);
    apply(
        &mut live,
        &format!("Event: ParkedCallTimeOut\n{parkee}Parkinglot: default\nParkingSpace: 701\n"),
    );
    let why = changes(&mut live).into_iter().find_map(|c| match c {
        Change::Removed(r) => match *r {
            Removed::Parked(_, why) => Some(why),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(why, Some(Unparked::TimedOut));
}

#[test]
fn conferences_sync_their_participants_with_a_request_each() {
    let mut live = Live::new();
    let r = request(&mut live, Part::Conferences);
    let next = answer(
        &mut live,
        &r,
        "Event: ConfbridgeListRooms\nConference: 1\nParties: 1\nMarked: 0\nLocked: No\nMuted: No\n",
    );
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].action.get("Conference"), Some(&b"1"[..]));
    assert_eq!(live.state().status(Part::Conferences), &PartStatus::Syncing);
    answer(
        &mut live,
        &next[0],
        "Event: ConfbridgeList\nConference: 1\nAdmin: Yes\nMarkedUser: No\nMuted: Yes\nTalking: No\n\
         Waiting: No\nChannel: Local/800@default-00000005;2\nUniqueid: 7.1\nLinkedid: 7.0\n",
    );
    assert_eq!(live.state().status(Part::Conferences), &PartStatus::Synced);
    let c = live.state().conference("1").unwrap();
    let p = &c.participants["7.1"];
    assert!(p.admin && p.muted && !p.talking);
}

#[test]
fn every_event_the_model_lists_is_read_and_no_other() {
    for name in ami_live::EVENTS {
        let mut live = Live::new();
        apply(&mut live, &format!("Event: {name}\nPrivilege: call,all\n"));
        assert_eq!(live.stats().ignored, 0, "{name} was ignored");
    }
    let mut live = Live::new();
    apply(
        &mut live,
        "Event: VarSet\nChannel: PJSIP/a-1\nUniqueid: 1.1\nLinkedid: 1.1\nChannelState: 6\n",
    );
    assert_eq!(live.stats().ignored, 1);
    assert!(live.state().channel("1.1").is_none());
}
