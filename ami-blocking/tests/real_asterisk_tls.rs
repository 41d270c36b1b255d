//! TLS against a real Asterisk on blocking: the shared test of
//! `testdata/client_tests/real_asterisk_tls.rs`.
#![cfg(feature = "tls")]

use ami_blocking::Client;
use ami_client::{ClientError, ClientOptions};

/// Connects, pings, logs off.
fn ping(options: ClientOptions) -> Result<(), ClientError> {
    let mut client = Client::connect_with(options)?;
    client.ping()?;
    client.disconnect()
}

#[path = "../../testdata/client_tests/real_asterisk_tls.rs"]
mod real_asterisk_tls;
