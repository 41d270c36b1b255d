//! The embedded busy PBX, watched through ami-proto's client state machine
//! over a plain socket: no Asterisk needed.
//!
//! ```sh
//! cargo run -p ami-testkit --example demo          # 5 seconds
//! cargo run -p ami-testkit --example demo -- 20    # 20 seconds
//! ```

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ami_proto::{Action, Config, Connection, Event, Login, Message};

/// A header's value as text, empty when absent.
fn text(message: &Message, key: &str) -> String {
    message.get(key).map(|v| v.to_string()).unwrap_or_default()
}

fn main() -> io::Result<()> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let pbx = ami_testkit::demo();
    println!("fake Asterisk listening at {}", pbx.url());

    let mut socket = TcpStream::connect(pbx.addr())?;
    socket.set_read_timeout(Some(Duration::from_millis(50)))?;
    let config = Config {
        login: Some(Login::new(pbx.username(), pbx.secret())),
        ..Config::default()
    };
    let now = Instant::now();
    let mut conn = Connection::new(config, now);
    let channels = conn.send_action(Action::new("CoreShowChannels"), now);
    let deadline = now + Duration::from_secs(seconds);
    let mut closing = false;
    let mut buf = vec![0; 64 * 1024];
    loop {
        let mut out = Vec::new();
        let _ = conn.poll_transmit(&mut out);
        socket.write_all(&out)?;
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Connected(banner) => println!("connected: {}", banner.line()),
                Event::Authenticated => println!("logged in"),
                Event::ActionCompleted { handle, outcome } if handle == channels => {
                    let list = outcome.expect("CoreShowChannels");
                    println!("{} channels up:", list.events().len());
                    for channel in list.events() {
                        println!(
                            "  {} {}",
                            text(channel, "Channel"),
                            text(channel, "ChannelStateDesc")
                        );
                    }
                }
                Event::Message(event) => {
                    let name = event.name().map(|n| n.to_string()).unwrap_or_default();
                    let what = match text(&event, "Channel") {
                        channel if channel.is_empty() => text(&event, "Queue"),
                        channel => channel,
                    };
                    let state = text(&event, "ChannelStateDesc");
                    println!("event {name:<18} {what} {state}");
                }
                Event::Closed(reason) => {
                    println!("closed: {reason}");
                    return Ok(());
                }
                _ => {}
            }
        }
        let now = Instant::now();
        if now >= deadline && !closing {
            conn.close(now);
            closing = true;
            continue;
        }
        if conn.poll_timeout().is_some_and(|t| t <= now) {
            conn.handle_timeout(now);
            continue;
        }
        match socket.read(&mut buf) {
            Ok(0) => conn.handle_disconnect(Instant::now()),
            Ok(n) => conn.handle_input(Instant::now(), &buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }
}
