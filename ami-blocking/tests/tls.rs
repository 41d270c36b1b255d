//! TLS on the blocking client: the shared cases of
//! `testdata/client_tests/tls.rs`.
#![cfg(feature = "tls")]

use ami_blocking::Client;
use ami_client::{ClientError, ClientOptions};

const RUNTIME: &str = "blocking";

/// Connects, pings, logs off.
fn ping(options: ClientOptions) -> Result<(), ClientError> {
    let mut client = Client::connect_with(options)?;
    client.ping()?;
    client.disconnect()
}

#[path = "../../testdata/client_tests/tls.rs"]
mod tls;
