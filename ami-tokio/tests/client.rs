//! The Tokio client against ami-testkit: concurrency, reconnection, a
//! lagging subscriber under a flood (and one that keeps up), keepalive with
//! paused time, cancel safety, closing, TLS.

use std::time::Duration;

use ami_proto::{Action, CloseReason, ServerMessage};
use ami_testkit::{Fault, Reply, Server};
use ami_tokio::{Client, ClientOptions, Error, Incoming, Reconnect};

fn options(server: &Server) -> ClientOptions {
    ClientOptions::new(&server.url())
        .expect("the testkit's URL parses")
        .connect_timeout(Duration::from_secs(5))
        .action_timeout(Duration::from_secs(20))
}

/// Answers `Echo` actions with their `Tag`.
fn echo_server() -> Server {
    let server = Server::start();
    server.on_action("Echo", |action| {
        let tag = action.get("Tag").map(|t| t.to_string()).unwrap_or_default();
        Reply::messages([ServerMessage::response_to(action, "Success").header("Tag", tag)])
    });
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_actions_from_fifty_tasks() {
    let server = echo_server();
    let client = Client::connect_with(options(&server)).await.unwrap();
    let mut tasks = Vec::new();
    for task in 0..50 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..20 {
                let tag = format!("{task}-{n}");
                let response = client
                    .send(Action::new("Echo").header("Tag", &tag))
                    .await
                    .unwrap();
                assert_eq!(response.get("Tag").unwrap(), tag.as_str());
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(server.received_actions("Echo").len(), 1000);
    client.close().await;
}

#[tokio::test]
async fn command_and_version() {
    let server = Server::start();
    let client = Client::connect_with(options(&server)).await.unwrap();
    assert_eq!(client.version().unwrap(), "11.0.0");
    let lines = client.command("core show version").await.unwrap();
    assert_eq!(lines.len(), 1);
    assert!(matches!(
        client.command("foo bar baz").await,
        Err(Error::Rejected(_))
    ));
    client.close().await;
}

#[tokio::test]
async fn bad_secret_is_an_authentication_error() {
    let server = Server::start();
    match Client::connect_with(options(&server).login("admin", "wrong")).await {
        Err(Error::Authentication(message)) => assert_eq!(message, "Authentication failed"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn reconnects_after_the_server_drops_mid_list() {
    let server = Server::start();
    server.on_action("CoreShowChannels", |action| {
        let id = action
            .action_id()
            .map(|v| v.to_string())
            .unwrap_or_default();
        Reply::messages([
            ServerMessage::response("Success")
                .header("ActionID", &id)
                .header("EventList", "start"),
            ServerMessage::event("CoreShowChannel")
                .header("ActionID", &id)
                .header("Channel", "PJSIP/100-00000001"),
        ])
        .then_close()
    });
    let reconnect = Reconnect {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(200),
        ..Reconnect::default()
    };
    let client = Client::connect_with(options(&server).reconnect(reconnect))
        .await
        .unwrap();
    let mut events = client.events();
    match client.send(Action::new("CoreShowChannels")).await {
        Err(Error::Closed(CloseReason::PeerClosed)) => {}
        other => panic!("{other:?}"),
    }
    let mut saw = Vec::new();
    while let Some(item) = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .unwrap()
    {
        match item {
            Incoming::Disconnected(reason) => saw.push(format!("disconnected {reason}")),
            Incoming::Reconnected => {
                saw.push("reconnected".into());
                break;
            }
            _ => {}
        }
    }
    assert_eq!(
        saw,
        ["disconnected connection closed by the peer", "reconnected"]
    );
    client.ping().await.unwrap();
    // The action that was in flight was not resent.
    assert_eq!(server.received_actions("CoreShowChannels").len(), 1);
    assert_eq!(server.received_actions("Login").len(), 2);
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lagging_subscriber_under_a_flood() {
    const FLOOD: u64 = 100_000;
    let server = Server::start();
    let client = Client::connect_with(options(&server).event_buffer(1_000))
        .await
        .unwrap();
    let mut events = client.events();
    server.inject(Fault::Flood(FLOOD));
    let (mut delivered, mut lost) = (0u64, 0u64);
    while delivered + lost < FLOOD {
        let item = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("the flood keeps coming")
            .expect("the stream is open");
        match item {
            Incoming::Event(event) => {
                let name = event.name().unwrap().to_string();
                if ["Newchannel", "Newstate", "Hangup"].contains(&name.as_str()) {
                    delivered += 1;
                }
                if delivered % 64 == 0 {
                    // A slow subscriber.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            Incoming::Lost(n) => lost += n,
            other => panic!("{other:?}"),
        }
    }
    eprintln!("flood: {delivered} delivered, {lost} lost");
    assert_eq!(
        delivered + lost,
        FLOOD,
        "every event delivered or counted as lost"
    );
    assert!(lost > 0, "the slow subscriber lost some");
    // The driver kept draining the socket: the connection is alive.
    client.ping().await.unwrap();
    client.close().await;
}

#[tokio::test]
async fn a_subscriber_that_keeps_up_on_the_drivers_thread_loses_nothing() {
    // Current-thread runtime: the driver and the subscriber take turns.
    // The driver yields after each read's worth of events (at most what
    // the buffer holds), so a subscriber that keeps up never falls a
    // buffer behind, however fast the flood comes.
    const FLOOD: u64 = 50_000;
    let server = Server::start();
    let client = Client::connect_with(options(&server).event_buffer(1_000))
        .await
        .unwrap();
    let mut events = client.events();
    server.inject(Fault::Flood(FLOOD));
    let mut delivered = 0u64;
    while delivered < FLOOD {
        let item = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("the flood keeps coming")
            .expect("the stream is open");
        match item {
            Incoming::Event(event) => {
                let name = event.name().unwrap().to_string();
                if ["Newchannel", "Newstate", "Hangup"].contains(&name.as_str()) {
                    delivered += 1;
                }
            }
            other => panic!("after {delivered} events: {other:?}"),
        }
    }
    client.ping().await.unwrap();
    client.close().await;
}

#[tokio::test]
async fn keepalive_detects_a_dead_server_with_paused_time() {
    let server = Server::builder().fault(Fault::IgnorePings).start();
    let client = Client::connect_with(
        options(&server).keepalive(Duration::from_secs(20), Duration::from_secs(5)),
    )
    .await
    .unwrap();
    let mut events = client.events();
    tokio::time::pause();
    let start = tokio::time::Instant::now();
    let real = std::time::Instant::now();
    loop {
        match events.recv().await {
            Some(Incoming::Disconnected(reason)) => {
                assert_eq!(reason, CloseReason::KeepaliveTimeout);
                break;
            }
            Some(_) => {}
            None => panic!("stream ended without Disconnected"),
        }
    }
    assert!(
        start.elapsed() >= Duration::from_secs(25),
        "{:?}",
        start.elapsed()
    );
    assert!(real.elapsed() < Duration::from_secs(10));
    assert!(client.is_closed());
    assert!(matches!(client.ping().await, Err(Error::Closed(_))));
}

#[tokio::test]
async fn dropped_send_future_does_not_disturb_the_connection() {
    let server = echo_server();
    server.on_action("Slow", |action| {
        Reply::messages([ServerMessage::response_to(action, "Success").header("Tag", "slow")])
            .after(Duration::from_millis(300))
    });
    let client = Client::connect_with(options(&server)).await.unwrap();
    let cancelled =
        tokio::time::timeout(Duration::from_millis(20), client.send(Action::new("Slow"))).await;
    assert!(cancelled.is_err(), "timed out and dropped");
    let response = client
        .send(Action::new("Echo").header("Tag", "after"))
        .await
        .unwrap();
    assert_eq!(response.get("Tag").unwrap(), "after");
    // The late answer to the dropped action went nowhere harmful.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = client
        .send(Action::new("Echo").header("Tag", "again"))
        .await
        .unwrap();
    assert_eq!(again.get("Tag").unwrap(), "again");
    client.close().await;
}

#[tokio::test]
async fn events_since_login_reach_the_first_subscriber() {
    let server = Server::start();
    let client = Client::connect_with(options(&server)).await.unwrap();
    let early = ServerMessage::event("UserEvent")
        .header("Privilege", "user,all")
        .header("UserEvent", "early");
    assert_eq!(server.push_event(early), 1);
    client.ping().await.unwrap();
    // Subscribing only now still sees FullyBooted and the early event.
    let mut events = client.events();
    let mut names = Vec::new();
    while names.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
            Ok(Some(Incoming::Event(event))) => names.push(event.name().unwrap().to_string()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(names, ["FullyBooted", "UserEvent"]);
    client.close().await;
}

#[tokio::test]
async fn close_and_end() {
    let server = echo_server();
    let client = Client::connect_with(options(&server)).await.unwrap();
    let mut events = client.events();
    let pending = {
        let client = client.clone();
        tokio::spawn(async move { client.send(Action::new("Echo").header("Tag", "x")).await })
    };
    // Let the action reach the driver before the soft close.
    tokio::time::sleep(Duration::from_millis(20)).await;
    client.end().await;
    assert!(pending.await.unwrap().is_ok(), "end() let it finish");
    assert!(client.is_closed());
    assert!(matches!(
        client.send(Action::new("Ping")).await,
        Err(Error::Closed(CloseReason::LoggedOff))
    ));
    let mut last = None;
    while let Some(item) = events.recv().await {
        last = Some(item);
    }
    assert_eq!(last, Some(Incoming::Disconnected(CloseReason::LoggedOff)));
    assert!(
        server
            .wait_for_action("Logoff", Duration::from_secs(5))
            .is_some()
    );
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn tls_with_a_self_signed_certificate() {
    let server = Server::builder().tls().start();
    let pem = server.cert_pem().unwrap().to_owned();
    assert!(
        Client::connect_with(options(&server)).await.is_err(),
        "verified by default"
    );
    let client = Client::connect_with(options(&server).ca_pem(pem))
        .await
        .unwrap();
    client.ping().await.unwrap();
    client.close().await;
}

/// A message over the decoder's limits reaches `on_violation`, and the
/// events after it still come.
#[tokio::test]
async fn skipped_messages_reach_the_violation_hook() {
    let server = Server::start();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = options(&server).on_violation(move |v| sink.lock().unwrap().push(v.to_string()));
    let client = Client::connect_with(options).await.unwrap();
    let mut events = client.events();
    let mut bytes = format!("Event: Long\r\nLong: {}\r\n\r\n", "x".repeat(2 << 20)).into_bytes();
    bytes.extend_from_slice(b"Event: After\r\n\r\n");
    server.push_bytes(bytes);
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(Incoming::Event(e)) = events.recv().await
                && e.name().unwrap() == "After"
            {
                break;
            }
        }
    })
    .await
    .expect("the After event");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].starts_with("line longer than 1048576 bytes"),
        "{seen:?}"
    );
}

// ---- overflow policies -----------------------------------------------------

/// Reads a flood of `n` events, sleeping `pause` every `every` events;
/// returns (delivered, lost).
async fn read_flood(
    events: &mut ami_tokio::Subscription,
    n: u64,
    every: u64,
    pause: Duration,
) -> (u64, u64) {
    let (mut delivered, mut lost) = (0u64, 0u64);
    while delivered + lost < n {
        let item = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("the flood keeps coming")
            .expect("the stream is open");
        match item {
            Incoming::Event(event) => {
                let name = event.name().unwrap().to_string();
                if ["Newchannel", "Newstate", "Hangup"].contains(&name.as_str()) {
                    delivered += 1;
                    if delivered % every == 0 {
                        // Blocks the thread, as a descheduled one would be.
                        std::thread::sleep(pause);
                    }
                }
            }
            Incoming::Lost(k) => lost += k,
            other => panic!("{other:?}"),
        }
    }
    (delivered, lost)
}

/// With backpressure a slow subscriber loses nothing: the driver stops
/// reading while the buffer is full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backpressure_loses_nothing_to_a_slow_subscriber() {
    const FLOOD: u64 = 50_000;
    let server = Server::start();
    let options = options(&server)
        .event_buffer(1_000)
        .overflow(ami_client::Overflow::Backpressure);
    let client = Client::connect_with(options).await.unwrap();
    let mut events = client.events();
    server.inject(Fault::Flood(FLOOD));
    let got = read_flood(&mut events, FLOOD, 100, Duration::from_millis(1)).await;
    assert_eq!(got, (FLOOD, 0));
    client.ping().await.unwrap();
    client.close().await;
}

/// At the defaults, on a multi-thread runtime (`#[tokio::main]`'s), a
/// subscriber paused now and then loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_defaults_lose_nothing_to_a_paused_subscriber() {
    const FLOOD: u64 = 100_000;
    let server = Server::start();
    let client = Client::connect_with(options(&server)).await.unwrap();
    let mut events = client.events();
    server.inject(Fault::Flood(FLOOD));
    let got = read_flood(&mut events, FLOOD, 20_000, Duration::from_millis(30)).await;
    assert_eq!(got, (FLOOD, 0));
    client.close().await;
}
