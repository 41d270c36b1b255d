//! Connects and runs a CLI command.
//!
//! ```text
//! cargo run -p ami-smol --example smol_command -- [URL] ["core show channels"]
//! ```
//!
//! URL defaults to `$AMI_URL`; without either, an embedded fake Asterisk
//! (ami-testkit's busy PBX) is started on 127.0.0.1.

use ami_smol::Client;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    smol::block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next();
    let command = args.next().unwrap_or_else(|| "core show channels".into());
    let (url, _pbx) = ami_testkit::url_or_demo(url);
    let client = Client::connect(&url).await?;
    eprintln!("connected, AMI {}", client.version().unwrap_or_default());
    for line in client.command(&command).await? {
        println!("{line}");
    }
    client.close().await;
    Ok(())
}
