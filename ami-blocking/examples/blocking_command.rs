//! Connects and runs a CLI command.
//!
//! ```text
//! cargo run -p ami-blocking --example blocking_command -- [URL] ["core show channels"]
//! ```
//!
//! URL defaults to `$AMI_URL`; without either, an embedded fake Asterisk
//! (ami-testkit's busy PBX) is started on 127.0.0.1.

use ami_blocking::Client;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next();
    let command = args.next().unwrap_or_else(|| "core show channels".into());
    let (url, _pbx) = ami_testkit::url_or_demo(url);
    let mut client = Client::connect(&url)?;
    eprintln!("connected, AMI {}", client.version().unwrap_or_default());
    for line in client.command(&command)? {
        println!("{line}");
    }
    client.disconnect()?;
    Ok(())
}
