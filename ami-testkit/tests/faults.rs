//! Every fault, seen from a client.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use ami_proto::{Action, ActionError, CloseReason, Config, EventMask, Keepalive, SendOptions};
use ami_testkit::{Fault, Server};
use common::{Client, TIMEOUT, config, read_to_close, read_until};

fn short(ms: u64) -> SendOptions {
    SendOptions {
        timeout: Some(Duration::from_millis(ms)),
        ..SendOptions::default()
    }
}

#[test]
fn close_mid_message() {
    let server = Server::start();
    let mut client = Client::connect(&server);
    server.inject(Fault::CloseMidMessage);
    let outcome = client.send(Action::new("Ping"));
    // The client sees half a response, then the end of the stream.
    assert!(
        matches!(
            outcome,
            Err(ActionError::Malformed(_) | ActionError::ConnectionClosed(_))
        ),
        "{outcome:?}"
    );
    assert_eq!(client.closed, Some(CloseReason::PeerClosed));

    // On the wire: half a response, then the end of the stream.
    let mut socket = common::socket(server.addr());
    socket
        .write_all(b"Action: Login\r\nUsername: admin\r\nSecret: amp111\r\nEvents: off\r\n\r\n")
        .unwrap();
    assert!(server.wait_logged_in(1, TIMEOUT));
    let want = b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nMessage: Authentication accepted\r\n\r\n";
    assert_eq!(read_until(&mut socket, want.len(), TIMEOUT), want);
    server.inject(Fault::CloseMidMessage);
    socket
        .write_all(b"Action: Ping\r\nActionID: cut\r\n\r\n")
        .unwrap();
    let (got, closed) = read_to_close(&mut socket, TIMEOUT);
    assert!(closed);
    assert!(
        !got.is_empty()
            && b"Response: Success\r\nActionID: cut\r\n".starts_with(&got[..got.len().min(34)])
    );
    assert!(!got.ends_with(b"\r\n\r\n"));
}

#[test]
fn stall_for_a_while() {
    let server = Server::start();
    let mut client = Client::connect(&server);
    server.inject(Fault::Stall(Duration::from_millis(300)));
    let started = Instant::now();
    assert!(client.send(Action::new("Ping")).is_ok());
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[test]
fn stall_forever_until_cleared() {
    let server = Server::start();
    let mut client = Client::connect(&server);
    server.inject(Fault::StallForever);
    let outcome = client.send_with(Action::new("Ping"), short(200));
    assert!(matches!(outcome, Err(ActionError::Timeout)));
    server.clear_faults();
    assert!(client.send(Action::new("Ping")).is_ok());
}

#[test]
fn byte_at_a_time() {
    let server = Server::start();
    server.inject(Fault::ByteAtATime);
    let mut client = Client::connect_events(&server);
    assert!(client.send(Action::new("QueueStatus")).is_ok());
    assert_eq!(
        client.next_message(TIMEOUT).unwrap().name().unwrap(),
        "FullyBooted"
    );

    // Many small reads on the wire.
    let mut socket = common::socket(server.addr());
    let mut reads = 0;
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    let deadline = Instant::now() + TIMEOUT;
    while got.len() < 30 && Instant::now() < deadline {
        if let Ok(n) = socket.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
            reads += 1;
        }
    }
    assert_eq!(got, b"Asterisk Call Manager/11.0.0\r\n");
    assert!(reads >= 1);
}

#[test]
fn garbage_between_messages() {
    let server = Server::start();
    let mut client = Client::connect(&server);
    server.inject(Fault::Garbage(b"\x00\xff no colon here\r\n\r\n".to_vec()));
    let junk = client.next_message(TIMEOUT).unwrap();
    assert_eq!(junk.header_count(), 0);
    assert!(client.send(Action::new("Ping")).is_ok());
}

#[test]
fn endless_line_with_a_limit() {
    let server = Server::start();
    let mut client = Client::connect(&server);
    server.inject(Fault::EndlessLine {
        limit: Some(3 << 20),
    });
    // End the line and the broken message, then talk again.
    server.inject(Fault::Garbage(b"\r\n\r\n".to_vec()));
    assert!(client.until(TIMEOUT, |c| !c.violations.is_empty()));
    assert!(
        client.violations[0].contains("line"),
        "{:?}",
        client.violations
    );
    assert!(client.send(Action::new("Ping")).is_ok());
}

#[test]
fn endless_line_until_the_client_leaves() {
    let server = Server::start();
    let mut socket = common::socket(server.addr());
    socket
        .write_all(b"Action: Login\r\nUsername: admin\r\nSecret: amp111\r\n\r\n")
        .unwrap();
    assert!(server.wait_logged_in(1, TIMEOUT));
    server.inject(Fault::EndlessLine { limit: None });
    let got = read_until(&mut socket, 4 << 20, TIMEOUT);
    assert!(got.len() >= 4 << 20);
    assert!(got[got.len() - 1000..].iter().all(|&b| b == b'x'));
    drop(socket);
    assert!(server.wait_sessions(0, TIMEOUT));
}

#[test]
fn flood_of_events() {
    const N: u64 = 20_000;
    let server = Server::start();
    let mut client = Client::connect_with(server.addr(), config(EventMask::Off));
    server.inject(Fault::Flood(N));
    let mut count = 0u64;
    let mut kinds = std::collections::HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while count < N && Instant::now() < deadline {
        client.pump();
        while let Some(m) = client.messages.pop_front() {
            kinds.insert(m.name().unwrap().to_string());
            count += 1;
        }
    }
    assert_eq!(count, N);
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    // The session still works after the flood.
    assert!(client.send(Action::new("Ping")).is_ok());
    assert!(client.messages.is_empty());
}

#[test]
fn flood_throughput_on_raw_socket() {
    const N: u64 = 100_000;
    let server = Server::start();
    let mut socket = common::socket(server.addr());
    socket
        .write_all(b"Action: Login\r\nUsername: admin\r\nSecret: amp111\r\nEvents: off\r\n\r\n")
        .unwrap();
    let want = b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nMessage: Authentication accepted\r\n\r\n";
    assert_eq!(read_until(&mut socket, want.len(), TIMEOUT), want);
    let started = Instant::now();
    server.inject(Fault::Flood(N));
    // Count the empty lines that end messages: "\r\n\r\n", across reads.
    let (mut events, mut run) = (0u64, 0u8);
    let mut bytes = 0usize;
    let mut buf = vec![0u8; 256 * 1024];
    while events < N && started.elapsed() < Duration::from_secs(60) {
        if let Ok(n) = socket.read(&mut buf) {
            bytes += n;
            for &b in &buf[..n] {
                run = match (run, b) {
                    (0 | 2, b'\r') => run + 1,
                    (1, b'\n') => 2,
                    (3, b'\n') => {
                        events += 1;
                        0
                    }
                    (_, b'\r') => 1,
                    _ => 0,
                };
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(events, N);
    eprintln!(
        "flood: {N} events, {bytes} bytes in {secs:.3} s ({:.0} events/s)",
        N as f64 / secs
    );
}

#[test]
fn refuse_login() {
    let server = Server::builder().fault(Fault::RefuseLogin).start();
    let mut client = Client::over(
        Box::new(common::socket(server.addr())),
        config(EventMask::Off),
    );
    assert!(!client.wait_ready());
    assert!(matches!(
        client.closed,
        Some(CloseReason::AuthenticationFailed(_))
    ));
    server.clear_faults();
    let _ok = Client::connect(&server);
}

#[test]
fn ignore_pings_trips_the_keepalive() {
    let server = Server::start();
    server.inject(Fault::IgnorePings);
    let keepalive = Config {
        keepalive: Some(Keepalive {
            interval: Duration::from_millis(50),
            timeout: Duration::from_millis(200),
        }),
        ..config(EventMask::Off)
    };
    let mut client = Client::connect_with(server.addr(), keepalive);
    assert_eq!(
        client.wait_closed(TIMEOUT),
        Some(CloseReason::KeepaliveTimeout)
    );
    assert!(!server.received_actions("Ping").is_empty());
}

#[test]
fn disconnect() {
    let server = Server::start();
    let mut client = Client::connect(&server);
    let mut other = Client::connect(&server);
    server.inject(Fault::Disconnect);
    assert_eq!(client.wait_closed(TIMEOUT), Some(CloseReason::PeerClosed));
    assert_eq!(other.wait_closed(TIMEOUT), Some(CloseReason::PeerClosed));
    assert!(server.wait_sessions(0, TIMEOUT));
    // New sessions are fine.
    let mut again = Client::connect(&server);
    assert!(again.send(Action::new("Ping")).is_ok());
}

#[test]
fn one_shot_faults_wait_for_the_next_login() {
    let server = Server::start();
    server.inject(Fault::Flood(10));
    let mut client = Client::connect_with(server.addr(), config(EventMask::Off));
    assert!(client.until(TIMEOUT, |c| c.messages.len() == 10));
}

#[test]
fn slow_readers_are_disconnected() {
    let server = Server::builder()
        .write_timeout(Duration::from_millis(100))
        .start();
    let mut socket = common::socket(server.addr());
    socket
        .write_all(b"Action: Login\r\nUsername: admin\r\nSecret: amp111\r\n\r\n")
        .unwrap();
    assert!(server.wait_logged_in(1, TIMEOUT));
    // Never read: the server gives up on us.
    server.inject(Fault::Flood(2_000_000));
    assert!(server.wait_sessions(0, Duration::from_secs(20)));
}
