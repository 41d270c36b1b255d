//! The smol client against ami-testkit, under `smol::block_on` and under
//! another executor (`futures_lite::future::block_on`): concurrency,
//! reconnection, a lagging subscriber under a flood, keepalive, cancel
//! safety, closing, TLS.

use std::time::{Duration, Instant};

use ami_proto::{Action, CloseReason, ServerMessage};
use ami_smol::{Client, ClientOptions, Error, Incoming, Reconnect};
use ami_testkit::{Fault, Reply, Server};
use async_io::Timer;
use futures_lite::FutureExt;

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

/// `future`, or `None` after `timeout`.
async fn within<T>(timeout: Duration, future: impl Future<Output = T>) -> Option<T> {
    async { Some(future.await) }
        .or(async {
            Timer::after(timeout).await;
            None
        })
        .await
}

#[test]
fn thousand_concurrent_actions_from_fifty_tasks() {
    let server = echo_server();
    smol::block_on(async {
        let client = Client::connect_with(options(&server)).await.unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|task| {
                let client = client.clone();
                smol::spawn(async move {
                    for n in 0..20 {
                        let tag = format!("{task}-{n}");
                        let response = client
                            .send(Action::new("Echo").header("Tag", &tag))
                            .await
                            .unwrap();
                        assert_eq!(response.get("Tag").unwrap(), tag.as_str());
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
        client.close().await;
    });
    assert_eq!(server.received_actions("Echo").len(), 1000);
}

#[test]
fn runs_under_another_executor() {
    let server = Server::start();
    futures_lite::future::block_on(async {
        let client = Client::connect_with(options(&server)).await.unwrap();
        assert_eq!(client.version().unwrap(), "11.0.0");
        assert_eq!(client.command("core show version").await.unwrap().len(), 1);
        assert!(matches!(
            client.command("foo bar baz").await,
            Err(Error::Rejected(_))
        ));
        client.close().await;
    });
}

#[test]
fn bad_secret_is_an_authentication_error() {
    let server = Server::start();
    smol::block_on(async {
        match Client::connect_with(options(&server).login("admin", "wrong")).await {
            Err(Error::Authentication(message)) => assert_eq!(message, "Authentication failed"),
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn reconnects_after_the_server_drops_mid_list() {
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
    smol::block_on(async {
        let client = Client::connect_with(options(&server).reconnect(reconnect))
            .await
            .unwrap();
        let mut events = client.events();
        match client.send(Action::new("CoreShowChannels")).await {
            Err(Error::Closed(CloseReason::PeerClosed)) => {}
            other => panic!("{other:?}"),
        }
        let mut saw = Vec::new();
        while let Some(item) = within(Duration::from_secs(10), events.recv())
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
        client.close().await;
    });
    assert_eq!(server.received_actions("CoreShowChannels").len(), 1);
    assert_eq!(server.received_actions("Login").len(), 2);
}

#[test]
fn lagging_subscriber_under_a_flood() {
    const FLOOD: u64 = 100_000;
    let server = Server::start();
    smol::block_on(async {
        let client = Client::connect_with(options(&server).event_buffer(1_000))
            .await
            .unwrap();
        let mut events = client.events();
        server.inject(Fault::Flood(FLOOD));
        let (mut delivered, mut lost) = (0u64, 0u64);
        while delivered + lost < FLOOD {
            let item = within(Duration::from_secs(30), events.recv())
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
                        Timer::after(Duration::from_millis(1)).await;
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
        client.ping().await.unwrap();
        client.close().await;
    });
}

#[test]
fn keepalive_detects_a_dead_server() {
    let server = Server::builder().fault(Fault::IgnorePings).start();
    smol::block_on(async {
        let client = Client::connect_with(
            options(&server).keepalive(Duration::from_millis(200), Duration::from_millis(300)),
        )
        .await
        .unwrap();
        let mut events = client.events();
        let start = Instant::now();
        loop {
            match within(Duration::from_secs(10), events.recv())
                .await
                .unwrap()
            {
                Some(Incoming::Disconnected(reason)) => {
                    assert_eq!(reason, CloseReason::KeepaliveTimeout);
                    break;
                }
                Some(_) => {}
                None => panic!("stream ended without Disconnected"),
            }
        }
        assert!(start.elapsed() >= Duration::from_millis(500));
        assert!(client.is_closed());
    });
}

#[test]
fn dropped_send_future_does_not_disturb_the_connection() {
    let server = echo_server();
    server.on_action("Slow", |action| {
        Reply::messages([ServerMessage::response_to(action, "Success").header("Tag", "slow")])
            .after(Duration::from_millis(300))
    });
    smol::block_on(async {
        let client = Client::connect_with(options(&server)).await.unwrap();
        let cancelled = within(Duration::from_millis(20), client.send(Action::new("Slow"))).await;
        assert!(cancelled.is_none(), "timed out and dropped");
        let response = client
            .send(Action::new("Echo").header("Tag", "after"))
            .await
            .unwrap();
        assert_eq!(response.get("Tag").unwrap(), "after");
        Timer::after(Duration::from_millis(400)).await;
        let again = client
            .send(Action::new("Echo").header("Tag", "again"))
            .await
            .unwrap();
        assert_eq!(again.get("Tag").unwrap(), "again");
        client.close().await;
    });
}

#[test]
fn close_and_end() {
    let server = echo_server();
    smol::block_on(async {
        let client = Client::connect_with(options(&server)).await.unwrap();
        let mut events = client.events();
        let pending = {
            let client = client.clone();
            smol::spawn(async move { client.send(Action::new("Echo").header("Tag", "x")).await })
        };
        // Let the action reach the driver before the soft close.
        Timer::after(Duration::from_millis(20)).await;
        client.end().await;
        assert!(pending.await.is_ok(), "end() let it finish");
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
    });
}

#[cfg(feature = "tls")]
#[test]
fn tls_with_a_self_signed_certificate() {
    let server = Server::builder().tls().start();
    let pem = server.cert_pem().unwrap().to_owned();
    smol::block_on(async {
        assert!(
            Client::connect_with(options(&server)).await.is_err(),
            "verified by default"
        );
        let client = Client::connect_with(options(&server).ca_pem(pem))
            .await
            .unwrap();
        client.ping().await.unwrap();
        client.close().await;
    });
}

/// A message over the decoder's limits reaches `on_violation`, and the
/// events after it still come.
#[test]
fn skipped_messages_reach_the_violation_hook() {
    smol::block_on(async {
        let server = Server::start();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = seen.clone();
        let options =
            options(&server).on_violation(move |v| sink.lock().unwrap().push(v.to_string()));
        let client = Client::connect_with(options).await.unwrap();
        let mut events = client.events();
        let mut bytes =
            format!("Event: Long\r\nLong: {}\r\n\r\n", "x".repeat(2 << 20)).into_bytes();
        bytes.extend_from_slice(b"Event: After\r\n\r\n");
        server.push_bytes(bytes);
        let found = async {
            loop {
                if let Some(Incoming::Event(e)) = events.recv().await
                    && e.name().unwrap() == "After"
                {
                    break true;
                }
            }
        }
        .or(async {
            Timer::after(Duration::from_secs(10)).await;
            false
        })
        .await;
        assert!(found, "the After event");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(
            seen[0].starts_with("line longer than 1048576 bytes"),
            "{seen:?}"
        );
    });
}

// ---- overflow policies -----------------------------------------------------

/// Reads a flood of `n` events, sleeping `pause` every `every` events;
/// returns (delivered, lost).
async fn read_flood(
    events: &mut ami_smol::Subscription,
    n: u64,
    every: u64,
    pause: Duration,
) -> (u64, u64) {
    let (mut delivered, mut lost) = (0u64, 0u64);
    while delivered + lost < n {
        let item = within(Duration::from_secs(30), events.recv())
            .await
            .expect("the flood keeps coming")
            .expect("the stream is open");
        match item {
            Incoming::Event(event) => {
                let name = event.name().unwrap().to_string();
                if ["Newchannel", "Newstate", "Hangup"].contains(&name.as_str()) {
                    delivered += 1;
                    if delivered % every == 0 {
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

/// With backpressure a slow subscriber loses nothing.
#[test]
fn backpressure_loses_nothing_to_a_slow_subscriber() {
    const FLOOD: u64 = 50_000;
    let server = Server::start();
    smol::block_on(async {
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
    });
}

/// At the defaults, a subscriber paused now and then loses nothing.
#[test]
fn the_defaults_lose_nothing_to_a_paused_subscriber() {
    const FLOOD: u64 = 100_000;
    let server = Server::start();
    smol::block_on(async {
        let client = Client::connect_with(options(&server)).await.unwrap();
        let mut events = client.events();
        server.inject(Fault::Flood(FLOOD));
        let got = read_flood(&mut events, FLOOD, 20_000, Duration::from_millis(30)).await;
        assert_eq!(got, (FLOOD, 0));
        client.close().await;
    });
}
