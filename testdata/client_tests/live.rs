//! The async live handle against ami-testkit, written once for the Tokio
//! and smol clients: `live_tests!(ami_tokio)` in each crate's
//! `tests/live.rs`, which defines `run(future)` for its runtime.
//!
//! The testkit's built-in Originate makes uniqueids of its own (it ignores
//! `ChannelId`), so these tests answer Originate with a handler that plays
//! what a real Asterisk 22 sends (recorded for `Local/500`, `Local/502`).

use std::time::Duration;

use ami_client::ClientOptions;
use ami_proto::{Action, Message, ServerMessage};
use ami_testkit::{Reply, Server};

/// The options every live test connects with.
pub(crate) fn options(server: &Server) -> ClientOptions {
    ClientOptions::new(&server.url())
        .expect("the testkit's URL parses")
        .connect_timeout(Duration::from_secs(5))
        .action_timeout(Duration::from_secs(10))
}

/// An Originate of `channel` to `Wait(5)`.
pub(crate) fn originate(channel: &str) -> Action {
    Action::new("Originate")
        .header("Channel", channel)
        .header("Application", "Wait")
        .header("Data", "5")
}

fn id_of(action: &Message, key: &str) -> String {
    action.get(key).map(|v| v.to_string()).unwrap_or_default()
}

pub(crate) fn channel_event(
    name: &str,
    channel: &str,
    state: u8,
    uid: &str,
    linkedid: &str,
) -> ServerMessage {
    ServerMessage::event(name)
        .header("Privilege", "call,all")
        .header("Channel", channel)
        .header("ChannelState", state.to_string())
        .header("CallerIDNum", "<unknown>")
        .header("CallerIDName", "<unknown>")
        .header("Context", "default")
        .header("Exten", "500")
        .header("Priority", "1")
        .header("Uniqueid", uid)
        .header("Linkedid", linkedid)
}

/// An Originate answered the way Asterisk answers `Local/<exten>@default`:
/// `busy` → busy, anything else → answered.
pub(crate) fn originate_like_asterisk(action: &Message) -> Reply {
    let first = id_of(action, "ChannelId");
    let second = id_of(action, "OtherChannelId");
    let busy = id_of(action, "Channel").contains("busy");
    let base = "Local/x@default-00000001";
    let (one, two) = (format!("{base};1"), format!("{base};2"));
    let mut out = vec![
        ServerMessage::response_to(action, "Success")
            .header("Message", "Originate successfully queued"),
        channel_event("Newchannel", &one, 0, &first, &first),
        channel_event("Newchannel", &two, 4, &second, &first),
        ServerMessage::event("DialBegin")
            .header("Privilege", "call,all")
            .header("DestChannel", &one)
            .header("DestChannelState", "0")
            .header("DestUniqueid", &first)
            .header("DestLinkedid", &first)
            .header("DialString", "x@default"),
    ];
    let response = ServerMessage::event("OriginateResponse")
        .header("Privilege", "call,all")
        .header("Uniqueid", &first);
    if busy {
        out.push(channel_event("Newstate", &two, 7, &second, &first));
        out.push(
            ServerMessage::event("DialEnd")
                .header("Privilege", "call,all")
                .header("DestChannel", &one)
                .header("DestUniqueid", &first)
                .header("DialStatus", "BUSY"),
        );
        out.push(response.header("Response", "Failure").header("Reason", "5"));
        out.push(channel_event("Hangup", &one, 0, &first, &first).header("Cause", "0"));
        out.push(channel_event("Hangup", &two, 7, &second, &first).header("Cause", "17"));
    } else {
        out.push(channel_event("Newstate", &one, 5, &first, &first));
        out.push(
            ServerMessage::event("DialState")
                .header("Privilege", "call,all")
                .header("DestChannel", &one)
                .header("DestUniqueid", &first)
                .header("DialStatus", "RINGING"),
        );
        out.push(channel_event("Newstate", &two, 6, &second, &first));
        out.push(channel_event("Newstate", &one, 6, &first, &first));
        out.push(response.header("Response", "Success").header("Reason", "4"));
    }
    Reply::messages(out)
}

macro_rules! live_tests {
    ($krate:ident) => {
        use std::time::Duration;

        use ami_proto::{EventMask, ServerMessage};
        use ami_testkit::{Reply, Server};
        use $krate::ami_live::{Change, Key, Progress};
        use $krate::{Client, Update};

        use crate::live::{options, originate};

        #[test]
        fn syncs_and_the_snapshot_shows_what_the_lists_list() {
            let server = Server::builder().busy_pbx().start();
            run(async {
                let client = Client::connect_with(options(&server)).await.unwrap();
                let live = client.live().unwrap();
                assert!(live.missing_events().is_empty());
                live.wait_for(|s| s.is_synced(), Duration::from_secs(5))
                    .await
                    .expect("every part synced or unavailable");
                // Each list answered at once: one of each was sent.
                for part in ami_live_parts() {
                    assert!(!server.received_actions(part).is_empty(), "{part} was sent");
                }
                // The busy PBX has calls; the model has their channels.
                live.wait_for(|s| s.channels().count() > 0, Duration::from_secs(5))
                    .await
                    .expect("channels");
                client.close().await;
                live.wait_for(|_| false, Duration::from_secs(5))
                    .await
                    .expect_err("closed");
                assert!(live.is_closed());
            });
        }

        fn ami_live_parts() -> Vec<&'static str> {
            $krate::ami_live::Part::ALL
                .iter()
                .map(|p| p.action_name())
                .collect()
        }

        #[test]
        fn an_originate_is_tracked_to_answered_with_its_two_channels() {
            let server = Server::start();
            server.on_action("Originate", crate::live::originate_like_asterisk);
            run(async {
                let client = Client::connect_with(options(&server)).await.unwrap();
                let live = client.live().unwrap();
                let mut call = live.originate(originate("Local/x@default")).unwrap();
                let (first, second) = (
                    call.channel_id().to_owned(),
                    call.other_channel_id().to_owned(),
                );
                let mut steps = Vec::new();
                while let Some(step) = call.next().await {
                    steps.push(step);
                }
                assert_eq!(
                    steps,
                    [Progress::Dialing, Progress::Ringing, Progress::Answered]
                );
                assert_eq!(call.channels(), [first.clone(), second.clone()]);
                let sent = server.received_actions("Originate");
                assert_eq!(sent[0].get("ChannelId").unwrap().to_string(), first);
                assert_eq!(sent[0].get("Async").unwrap().to_string(), "true");
                // The model saw the same events.
                let f = first.clone();
                live.wait_for(
                    move |s| s.channels_of_call(&f).count() == 2,
                    Duration::from_secs(5),
                )
                .await
                .unwrap();
                assert_eq!(
                    live.snapshot().channel(&first).unwrap().state.as_str(),
                    "Up"
                );
                // Events on: no Events action was needed.
                assert!(server.received_actions("Events").is_empty());
                client.close().await;
            });
        }

        #[test]
        fn a_busy_originate_is_busy_and_its_channels_leave_the_model() {
            let server = Server::start();
            server.on_action("Originate", crate::live::originate_like_asterisk);
            run(async {
                let client = Client::connect_with(options(&server)).await.unwrap();
                let live = client.live().unwrap();
                let mut changes = live.changes();
                let mut call = live.originate(originate("Local/busy@default")).unwrap();
                assert_eq!(call.outcome().await, Progress::Busy);
                let id = call.channel_id().to_owned();
                live.wait_for(move |s| s.call(&id).is_none(), Duration::from_secs(5))
                    .await
                    .unwrap();
                let mut removed = Vec::new();
                while let Some(Update::Change(c)) = changes.try_recv() {
                    if let Change::Removed(r) = c {
                        removed.push(r.key());
                    }
                }
                assert!(removed.contains(&Key::Channel(call.channel_id().to_owned())));
                assert!(removed.contains(&Key::Call(call.channel_id().to_owned())));
                client.close().await;
            });
        }

        #[test]
        fn events_off_says_what_is_missing_and_originate_turns_call_events_on_for_its_time() {
            let server = Server::start();
            server.on_action("Originate", crate::live::originate_like_asterisk);
            run(async {
                let client = Client::connect_with(options(&server).events(EventMask::Off))
                    .await
                    .unwrap();
                let live = client.live().unwrap();
                assert_eq!(live.missing_events(), ["call", "dialplan", "agent"]);
                let mut a = live.originate(originate("Local/x@default")).unwrap();
                let mut b = live.originate(originate("Local/busy@default")).unwrap();
                assert_eq!(a.outcome().await, Progress::Answered);
                assert_eq!(b.outcome().await, Progress::Busy);
                // One Events on before both Originates, one restore after
                // the last: the order the server saw them in.
                let deadline = std::time::Instant::now() + Duration::from_secs(5);
                while server.received_actions("Events").len() < 2 {
                    assert!(std::time::Instant::now() < deadline, "no restore");
                    std::thread::sleep(Duration::from_millis(10));
                }
                let order: Vec<String> = server
                    .received()
                    .iter()
                    .filter_map(|m| {
                        let name = m.get("Action")?.to_string();
                        match name.as_str() {
                            "Events" => Some(format!("Events {}", m.get("EventMask")?)),
                            "Originate" => Some(name),
                            _ => None,
                        }
                    })
                    .collect();
                assert_eq!(
                    order,
                    ["Events call", "Originate", "Originate", "Events off"]
                );
                client.close().await;
            });
        }

        #[test]
        fn events_stay_on_until_the_channels_of_an_answer_that_came_first_are_seen() {
            // A busy Asterisk writes the OriginateResponse before the
            // channels' events (they come through its message bus).
            let server = Server::start();
            server.on_action("Originate", |action| {
                Reply::messages([
                    ServerMessage::response_to(action, "Success")
                        .header("Message", "Originate successfully queued"),
                    ServerMessage::event("OriginateResponse")
                        .header("Privilege", "call,all")
                        .header("Response", "Success")
                        .header("Channel", "Local/x@default-00000001;1")
                        .header("Reason", "4")
                        .header("Uniqueid", action.get("ChannelId").unwrap().to_string()),
                ])
            });
            run(async {
                let client = Client::connect_with(options(&server).events(EventMask::Off))
                    .await
                    .unwrap();
                let live = client.live().unwrap();
                let mut call = live.originate(originate("Local/x@default")).unwrap();
                assert_eq!(call.outcome().await, Progress::Answered);
                let (first, second) = (
                    call.channel_id().to_owned(),
                    call.other_channel_id().to_owned(),
                );
                assert_eq!(call.channels(), [first.clone(), second.clone()]);
                // Without its channels' events the mask stays open.
                let _ = live.wait_for(|_| false, Duration::from_millis(300)).await;
                assert_eq!(server.received_actions("Events").len(), 1, "restored early");
                let base = "Local/x@default-00000001";
                for (half, uid, state) in [(1, &first, 6), (2, &second, 6)] {
                    let channel = format!("{base};{half}");
                    let event =
                        crate::live::channel_event("Newchannel", &channel, state, uid, &first);
                    assert_eq!(server.push_event(event), 1, "the session takes call events");
                }
                let (a, b) = (first.clone(), second.clone());
                live.wait_for(
                    move |s| s.channel(&a).is_some() && s.channel(&b).is_some(),
                    Duration::from_secs(5),
                )
                .await
                .expect("the model has both channels");
                let deadline = std::time::Instant::now() + Duration::from_secs(5);
                while server.received_actions("Events").len() < 2 {
                    assert!(std::time::Instant::now() < deadline, "no restore");
                    let _ = live.wait_for(|_| false, Duration::from_millis(10)).await;
                }
                let restore = &server.received_actions("Events")[1];
                assert_eq!(restore.get("EventMask").unwrap(), "off");
                client.close().await;
            });
        }

        #[test]
        fn a_slow_changes_reader_is_told_how_many_it_lost() {
            let server = Server::start();
            run(async {
                let client = Client::connect_with(options(&server)).await.unwrap();
                let live = client.live().unwrap();
                live.wait_for(|s| s.is_synced(), Duration::from_secs(5))
                    .await
                    .unwrap();
                let mut changes = live.changes_bounded(2);
                for n in 0..5 {
                    server.push_event(
                        ServerMessage::event("DeviceStateChange")
                            .header("Privilege", "call,all")
                            .header("Device", format!("Custom:d{n}"))
                            .header("State", "INUSE"),
                    );
                }
                live.wait_for(|s| s.device("Custom:d4").is_some(), Duration::from_secs(5))
                    .await
                    .unwrap();
                assert_eq!(changes.recv().await, Some(Update::Lost(3)));
                assert_eq!(
                    changes.recv().await,
                    Some(Update::Change(Change::Added(Key::Device(
                        "Custom:d3".into()
                    ))))
                );
                client.close().await;
                // Says the connection went, then ends with the task.
                let mut last = Vec::new();
                while let Some(u) = changes.recv().await {
                    last.push(u);
                }
                assert_eq!(last.last(), Some(&Update::Disconnected));
            });
        }
    };
}
