//! TLS on smol: the shared cases of `testdata/client_tests/tls.rs`.
#![cfg(feature = "tls")]

use ami_client::{ClientError, ClientOptions};
use ami_smol::Client;

const RUNTIME: &str = "smol";

/// Connects on smol, pings, closes.
fn ping(options: ClientOptions) -> Result<(), ClientError> {
    smol::block_on(async {
        let client = Client::connect_with(options).await?;
        client.ping().await?;
        client.close().await;
        Ok(())
    })
}

#[path = "../../testdata/client_tests/tls.rs"]
mod tls;
