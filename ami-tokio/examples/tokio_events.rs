//! An event stream with a filter: prints the named events (default
//! `Newchannel,Hangup`) until N have arrived (default 10).
//!
//! ```text
//! cargo run -p ami-tokio --example tokio_events -- [URL] [Name,Name] [N]
//! ```
//!
//! URL defaults to `$AMI_URL`; without either, an embedded fake Asterisk
//! (ami-testkit's busy PBX) is started on 127.0.0.1.

use ami_tokio::{Client, Incoming};
use tokio_stream::StreamExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next();
    let names: Vec<String> = args
        .next()
        .unwrap_or_else(|| "Newchannel,Hangup".into())
        .split(',')
        .map(str::to_owned)
        .collect();
    let count: usize = args.next().map_or(Ok(10), |n| n.parse())?;
    let (url, _pbx) = ami_testkit::url_or_demo(url);
    let client = Client::connect(&url).await?;
    let mut events = client
        .events()
        .filter(|incoming| match incoming {
            Incoming::Event(event) => event
                .name()
                .is_some_and(|n| names.iter().any(|want| n.eq_ignore_ascii_case(want))),
            _ => true,
        })
        .take(count);
    while let Some(incoming) = events.next().await {
        match incoming {
            Incoming::Event(event) => println!(
                "{} {}",
                event.name().map(|n| n.to_string()).unwrap_or_default(),
                event
                    .get("Channel")
                    .map(|c| c.to_string())
                    .unwrap_or_default()
            ),
            other => eprintln!("{other:?}"),
        }
    }
    client.close().await;
    Ok(())
}
