//! Dropping a server stops it and every thread it started. Alone in its
//! test binary, so that the thread count is this test's own.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use ami_proto::{Action, CloseReason, EventMask};
use ami_testkit::{Fault, Server};
use common::{Client, TIMEOUT, config};

/// Threads of this process (Linux; elsewhere the check is skipped).
fn threads() -> Option<usize> {
    std::fs::read_dir("/proc/self/task")
        .ok()
        .map(Iterator::count)
}

#[test]
fn dropping_the_server_stops_everything() {
    let before = threads();
    let started = Instant::now();
    {
        let server = Server::builder().busy_pbx().start();
        let mut a = Client::connect_with(server.addr(), config(EventMask::On));
        let mut b = Client::connect(&server);
        assert!(a.send(Action::new("Ping")).is_ok());
        assert!(b.send(Action::new("Ping")).is_ok());
        // A stalled session and one in the middle of an endless line.
        let mut raw = common::socket(server.addr());
        raw.write_all(b"Action: Login\r\nUsername: admin\r\nSecret: amp111\r\n\r\n")
            .unwrap();
        assert!(server.wait_logged_in(3, TIMEOUT));
        server.inject(Fault::EndlessLine { limit: None });
        server.inject(Fault::StallForever);
        let _async = a.start(
            Action::new("Originate")
                .header("Channel", "Local/1@default")
                .header("Async", "true"),
        );
        drop(server);
        // The clients see the end of the stream.
        assert_eq!(a.wait_closed(TIMEOUT), Some(CloseReason::PeerClosed));
        assert_eq!(b.wait_closed(TIMEOUT), Some(CloseReason::PeerClosed));
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    if let Some(before) = before {
        // Joined threads are gone at once; a client's own thread that has
        // returned may still be counted for a moment (seen once in CI: one
        // more): wait a little for it, not for a leak.
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut after = threads();
        while after.is_some_and(|a| a > before) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            after = threads();
        }
        if let Some(after) = after {
            assert_eq!(after, before, "threads left running");
        }
    }

    // shutdown() does the same, and is quick on an idle server.
    let server = Server::start();
    let addr = server.addr();
    let t = Instant::now();
    server.shutdown();
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(std::net::TcpStream::connect(addr).is_err());
}
