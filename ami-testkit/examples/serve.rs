//! Runs the fake Asterisk until interrupted, printing what clients send:
//! a target for a client under development, or for `telnet`.
//!
//! ```sh
//! cargo run -p ami-testkit --example serve -- [--port 5038] [--asterisk13] [--quiet]
//! ```
//!
//! `--quiet` turns the busy PBX off (no calls, no periodic events).

use std::time::Duration;

use ami_testkit::{Personality, Server};

fn main() {
    let mut builder = Server::builder();
    let mut busy = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let port = args.next().and_then(|p| p.parse().ok());
                builder = builder.port(port.expect("--port takes a number"));
            }
            "--asterisk13" => builder = builder.personality(Personality::Asterisk13),
            "--quiet" => busy = false,
            other => {
                eprintln!("unknown argument {other:?}");
                std::process::exit(2);
            }
        }
    }
    if busy {
        builder = builder.busy_pbx();
    }
    let server = builder.start();
    println!("listening: {}", server.url());
    let mut seen = 0;
    loop {
        // Print each message as it arrives (secrets redacted by Debug).
        if let Some(received) = server.wait_received(seen + 1, Duration::from_secs(3600)) {
            for message in &received[seen..] {
                println!("<< {message:?}");
            }
            seen = received.len();
        }
    }
}
