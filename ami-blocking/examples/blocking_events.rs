//! An event loop: prints events until N have arrived (default 20).
//!
//! ```text
//! cargo run -p ami-blocking --example blocking_events -- [URL] [N]
//! ```
//!
//! URL defaults to `$AMI_URL`; without either, an embedded fake Asterisk
//! (ami-testkit's busy PBX) is started on 127.0.0.1.

use std::time::Duration;

use ami_blocking::{Client, Incoming};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next();
    let count: usize = args.next().map_or(Ok(20), |n| n.parse())?;
    let (url, _pbx) = ami_testkit::url_or_demo(url);
    let mut client = Client::connect(&url)?;
    let mut seen = 0;
    while seen < count {
        match client.next_event(Duration::from_secs(30))? {
            Some(Incoming::Event(event)) => {
                seen += 1;
                println!(
                    "--- {}",
                    event.name().map(|n| n.to_string()).unwrap_or_default()
                );
                for (key, value) in event.headers().skip(1) {
                    println!("{key}: {value}");
                }
            }
            Some(Incoming::Lost(n)) => eprintln!("(lost {n} events: reading too slowly)"),
            Some(_) => {}
            None => eprintln!("(no event for 30 s)"),
        }
    }
    client.disconnect()?;
    Ok(())
}
