//! The blocking live model against ami-testkit (the Originate handler of
//! `testdata/client_tests/live.rs`).

use std::time::Duration;

use ami_blocking::ami_live::{Change, Key, Progress};
use ami_blocking::{Client, Live};
use ami_proto::{EventMask, ServerMessage};
use ami_testkit::Server;

#[allow(unused_macros)]
#[path = "../../testdata/client_tests/live.rs"]
mod live;

use live::{options, originate};

#[test]
fn syncs_at_start_and_follows_events() {
    let server = Server::builder().busy_pbx().start();
    let mut live = Live::start(Client::connect_with(options(&server)).unwrap()).unwrap();
    assert!(live.state().is_synced());
    assert!(live.missing_events().is_empty());
    for part in ami_blocking::ami_live::Part::ALL {
        assert_eq!(server.received_actions(part.action_name()).len(), 1);
    }
    server.push_event(
        ServerMessage::event("DeviceStateChange")
            .header("Privilege", "call,all")
            .header("Device", "Custom:b1")
            .header("State", "INUSE"),
    );
    let held = live
        .wait_for(|s| s.device("Custom:b1").is_some(), Duration::from_secs(5))
        .unwrap();
    assert!(held);
    let mut seen = false;
    while let Some(c) = live.poll(Duration::from_millis(50)).unwrap() {
        seen |= c == Change::Added(Key::Device("Custom:b1".into()));
    }
    assert!(seen);
}

#[test]
fn originate_is_tracked_and_events_off_is_worked_around() {
    let server = Server::start();
    server.on_action("Originate", live::originate_like_asterisk);
    let client = Client::connect_with(options(&server).events(EventMask::Off)).unwrap();
    let mut live = Live::start(client).unwrap();
    assert_eq!(live.missing_events(), ["call", "dialplan", "agent"]);
    let answered = live.originate(originate("Local/x@default")).unwrap();
    assert_eq!(
        answered.steps,
        [Progress::Dialing, Progress::Ringing, Progress::Answered]
    );
    assert_eq!(answered.outcome, Progress::Answered);
    assert_eq!(
        answered.channels,
        [
            answered.channel_id.clone(),
            answered.other_channel_id.clone()
        ]
    );
    assert!(live.state().channel(&answered.channel_id).is_some());
    let busy = live.originate(originate("Local/busy@default")).unwrap();
    assert_eq!(busy.outcome, Progress::Busy);
    let masks: Vec<String> = server
        .received_actions("Events")
        .iter()
        .map(|m| m.get("EventMask").unwrap().to_string())
        .collect();
    assert_eq!(masks, ["call", "off", "call", "off"]);
}
