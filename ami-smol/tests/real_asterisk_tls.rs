//! TLS against a real Asterisk on smol: the shared test of
//! `testdata/client_tests/real_asterisk_tls.rs`.
#![cfg(feature = "tls")]

use ami_client::{ClientError, ClientOptions};
use ami_smol::Client;

/// Connects on smol, pings, closes.
fn ping(options: ClientOptions) -> Result<(), ClientError> {
    smol::block_on(async {
        let client = Client::connect_with(options).await?;
        client.ping().await?;
        client.close().await;
        Ok(())
    })
}

#[path = "../../testdata/client_tests/real_asterisk_tls.rs"]
mod real_asterisk_tls;
