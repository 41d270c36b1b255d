//! An async Originate that waits for its `OriginateResponse` event.
//!
//! ```text
//! cargo run -p ami-smol --example smol_originate -- [URL] [CHANNEL] [EXTEN]
//! ```
//!
//! URL defaults to `$AMI_URL`; without either, an embedded fake Asterisk
//! (ami-testkit's busy PBX) is started on 127.0.0.1.

use std::time::Duration;

use ami_proto::{Action, SendOptions};
use ami_smol::Client;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    smol::block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next();
    let channel = args.next().unwrap_or_else(|| "Local/100@default".into());
    let exten = args.next().unwrap_or_else(|| "200".into());
    let (url, _pbx) = ami_testkit::url_or_demo(url);
    let client = Client::connect(&url).await?;
    let originate = Action::new("Originate")
        .header("Channel", &channel)
        .header("Context", "default")
        .header("Exten", &exten)
        .header("Priority", "1")
        .header("Async", "true");
    let options = SendOptions {
        timeout: Some(Duration::from_secs(60)),
        ..SendOptions::originate_response()
    };
    match client.send_with(originate, options).await {
        Ok(response) => {
            let event = response
                .completion()
                .expect("completed by its OriginateResponse");
            println!(
                "call up: {} (reason {})",
                event
                    .get("Channel")
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                event
                    .get("Reason")
                    .map(|r| r.to_string())
                    .unwrap_or_default()
            );
        }
        Err(ami_smol::Error::Rejected(response)) => {
            println!("call failed: {response:?}");
        }
        Err(other) => return Err(other.into()),
    }
    client.close().await;
    Ok(())
}
