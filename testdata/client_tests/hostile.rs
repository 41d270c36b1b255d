//! Hostile and broken servers, for every client: written once over
//! [`Session`](crate::session::Session); each crate's `tests/hostile.rs`
//! turns them into `#[test]`s with `hostile_tests!`.

use std::time::{Duration, Instant};

use ami_client::{ClientError, ClientOptions, ConnectPhase, Incoming};
use ami_proto::{Action, CloseReason, ServerMessage};
use ami_testkit::{Reply, Server};

use crate::session::Session;

fn options(server: &Server) -> ClientOptions {
    ClientOptions::new(&server.url())
        .expect("the testkit's URL parses")
        .connect_timeout(Duration::from_secs(5))
        .action_timeout(Duration::from_secs(10))
}

/// A TCP port on 127.0.0.1 that accepts one connection and never writes.
fn mute_listener() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let accepted = listener.accept();
        std::thread::sleep(Duration::from_secs(5));
        drop(accepted);
    });
    port
}

/// A server that answers HTTP instead of the banner gets no credentials;
/// the error quotes what came.
pub(crate) fn a_wrong_banner_gets_no_credentials<S: Session>() {
    let server = Server::builder()
        .greeting(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec())
        .start();
    match S::connect(options(&server)) {
        Err(ClientError::Closed(CloseReason::NotAmi(first))) => {
            assert_eq!(first, "HTTP/1.1 200 OK");
        }
        Err(other) => panic!("{}: {other}", S::RUNTIME),
        Ok(_) => panic!("{}: logged in to an HTTP server", S::RUNTIME),
    }
    std::thread::sleep(Duration::from_millis(100));
    assert!(server.received().is_empty(), "{:?}", server.received());
}

/// A server that accepts and says nothing: every phase has a deadline, and
/// the error names it.
pub(crate) fn silent_servers_time_out_naming_the_phase<S: Session>() {
    let server = Server::builder().greeting(Vec::new()).start();
    let started = Instant::now();
    match S::connect(options(&server).connect_timeout(Duration::from_millis(300))) {
        Err(ClientError::ConnectTimeout(ConnectPhase::Banner)) => {}
        Err(other) => panic!("{}: {other}", S::RUNTIME),
        Ok(_) => panic!("{}: logged in to a silent server", S::RUNTIME),
    }
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(server.received().is_empty());

    // TLS: a TCP listener that never answers the handshake (the async
    // clients reconnect through the same path).
    let port = mute_listener();
    let started = Instant::now();
    let url = format!("tls://u:s@localhost:{port}?pin=sha256:{}", "ab".repeat(32));
    let quick = ClientOptions::new(&url)
        .unwrap()
        .connect_timeout(Duration::from_millis(300));
    match S::connect(quick) {
        Err(ClientError::Tls(e)) => assert!(e.to_string().contains("in time"), "{e}"),
        Err(other) => panic!("{}: {other}", S::RUNTIME),
        Ok(_) => panic!("{}: a TLS handshake with nobody", S::RUNTIME),
    }
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// An ID-less Error (`Missing action in request`) is nobody's answer: the
/// action in flight still gets its own, and the stray one is handed out.
pub(crate) fn an_idless_error_does_not_steal_an_answer<S: Session>() {
    let server = Server::start();
    server.on_action("Ping", |action| {
        let mut bytes = b"Response: Error\r\nMessage: Missing action in request\r\n\r\n".to_vec();
        bytes.extend(
            ServerMessage::response_to(action, "Success")
                .header("Ping", "Pong")
                .to_bytes()
                .unwrap(),
        );
        Reply::raw(bytes)
    });
    let mut session = S::connect(options(&server)).unwrap();
    let pong = session.send(Action::new("Ping")).unwrap();
    assert_eq!(pong.get("Ping").unwrap(), "Pong");
    let deadline = Instant::now() + Duration::from_secs(2);
    let stray = loop {
        assert!(
            Instant::now() < deadline,
            "{}: the stray answer was not handed out",
            S::RUNTIME
        );
        match session.next(Duration::from_millis(200)) {
            Some(Incoming::Event(m)) if m.get("Response").is_some() => break m,
            _ => {}
        }
    };
    assert_eq!(stray.get("Message").unwrap(), "Missing action in request");
    session.close();
}

/// A flood of tiny events (26 bytes each, as issue 22 measured), read by a
/// consumer that keeps up: at the default settings nothing is lost, on
/// every runtime (the buffer is bounded by bytes, and an event counts 64
/// more than its own).
pub(crate) fn a_flood_of_tiny_events_loses_nothing_at_the_defaults<S: Session>() {
    const EVENTS: usize = 300_000;
    let server = Server::start();
    let mut session = S::connect(options(&server)).unwrap();
    let tiny = b"Event: T\r\nN: 123456789\r\n\r\n";
    assert_eq!(tiny.len(), 26);
    let mut flood = Vec::with_capacity(EVENTS * tiny.len());
    for _ in 0..EVENTS {
        flood.extend_from_slice(tiny);
    }
    server.push_bytes(flood);
    let (mut delivered, mut lost) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    while delivered + lost < EVENTS as u64 {
        assert!(
            Instant::now() < deadline,
            "{}: {delivered} delivered, {lost} lost",
            S::RUNTIME
        );
        match session.next(Duration::from_secs(5)) {
            Some(Incoming::Event(e)) if e.name().is_some_and(|n| n == "T") => delivered += 1,
            Some(Incoming::Lost(n)) => lost += n,
            _ => {}
        }
    }
    assert_eq!((delivered, lost), (EVENTS as u64, 0), "{}", S::RUNTIME);
    session.close();
}

/// One `#[test]` per scenario for the session type given.
macro_rules! hostile_tests {
    ($session:ty) => {
        hostile_tests!(@ $session;
            a_wrong_banner_gets_no_credentials, silent_servers_time_out_naming_the_phase,
            an_idless_error_does_not_steal_an_answer,
            a_flood_of_tiny_events_loses_nothing_at_the_defaults);
    };
    (@ $session:ty; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                hostile::$name::<$session>();
            }
        )*
    };
}
