//! Bugs the fuzz targets (`fuzz/`) found, as plain tests. The inputs that
//! found them are kept in `fuzz/regressions/<target>/`.

use std::time::Instant;

use ami_proto::{Action, Config, Connection, Decoded, Decoder, Event};

/// `connection` target, `fuzz/regressions/connection/generated-id-equals-caller-id`:
/// the caller set `f-2` on an action in flight, then the connection
/// generated `f-2` for the next one. Two actions in flight under one
/// ActionID: the answer to one was taken for the other, and the second one
/// could only time out. Generated IDs now skip IDs in flight.
#[test]
fn generated_action_id_skips_a_caller_id_in_flight() {
    let t0 = Instant::now();
    let config = Config {
        action_id_prefix: Some("f".into()),
        ..Config::default()
    };
    let mut conn = Connection::new(config, t0);
    conn.handle_input(t0, b"Asterisk Call Manager/11.0.0\r\n");
    let first = conn.send_action(Action::new("Ping"), t0);
    let caller = conn.send_action(Action::new("Ping").action_id("f-2"), t0);
    let next = conn.send_action(Action::new("Ping"), t0);
    let ids: Vec<String> = [first, caller, next]
        .iter()
        .map(|&h| {
            conn.action_id(h)
                .expect("in flight")
                .to_str_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(ids, ["f-1", "f-2", "f-3"]);

    // What went out, and every action answered by its own ActionID.
    let mut out = Vec::new();
    let _ = conn.poll_transmit(&mut out);
    let mut decoder = Decoder::new();
    decoder.feed(&out);
    let mut sent = Vec::new();
    while let Some(Decoded::Message(m)) = decoder.decode() {
        sent.push(
            m.action_id()
                .expect("an ActionID")
                .to_str_lossy()
                .into_owned(),
        );
    }
    assert_eq!(sent, ids);
    for id in &ids {
        conn.handle_input(
            t0,
            format!("Response: Success\r\nActionID: {id}\r\nPing: Pong\r\n\r\n").as_bytes(),
        );
    }
    let mut completed = Vec::new();
    while let Some(event) = conn.poll_event() {
        if let Event::ActionCompleted { handle, outcome } = event {
            assert!(outcome.is_ok(), "{outcome:?}");
            completed.push(handle);
        }
    }
    assert_eq!(completed, [first, caller, next]);
    assert_eq!(conn.in_flight(), 0);
}

/// `connection` target, `fuzz/regressions/connection/answer-to-action-queued-behind-logoff`:
/// a `Logoff` and another action given before the login completed. Once
/// ready, the client sends the `Logoff` and holds back what follows it —
/// but marked it as sent, so a response without ActionID (here after the
/// Logoff was refused) completed an action that never went out. It now
/// stays queued until it times out or the connection closes.
#[test]
fn action_queued_behind_a_logoff_is_never_answered() {
    let t0 = Instant::now();
    let config = Config {
        action_id_prefix: Some("f".into()),
        ..Config::default()
    };
    let mut conn = Connection::new(config, t0);
    let logoff = conn.send_action(Action::new("Logoff"), t0);
    let ping = conn.send_action(Action::new("Ping"), t0);
    conn.handle_input(t0, b"Asterisk Call Manager/11.0.0\r\n");
    let mut out = Vec::new();
    let _ = conn.poll_transmit(&mut out);
    assert_eq!(out, b"Action: Logoff\r\nActionID: f-1\r\n\r\n");
    conn.handle_input(
        t0,
        b"Response: Error\r\nActionID: f-1\r\nMessage: no\r\n\r\n",
    );
    conn.handle_input(t0, b"Response: Success\r\nPing: Pong\r\n\r\n");
    let mut outcomes = Vec::new();
    while let Some(event) = conn.poll_event() {
        if let Event::ActionCompleted { handle, outcome } = event {
            outcomes.push((handle, outcome.is_ok()));
        }
    }
    assert_eq!(outcomes, [(logoff, false)], "the Ping was never sent");
    assert_eq!(conn.action_id(ping).unwrap(), "f-2");
    conn.handle_disconnect(t0);
    let mut ended = Vec::new();
    while let Some(event) = conn.poll_event() {
        if let Event::ActionCompleted { handle, outcome } = event {
            ended.push((handle, outcome.is_err()));
        }
    }
    assert_eq!(ended, [(ping, true)]);
}
