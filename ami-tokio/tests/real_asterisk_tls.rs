//! TLS against a real Asterisk on tokio: the shared test of
//! `testdata/client_tests/real_asterisk_tls.rs`.
#![cfg(feature = "tls")]

use ami_client::{ClientError, ClientOptions};
use ami_tokio::Client;

/// Connects on a Tokio runtime of its own, pings, closes.
fn ping(options: ClientOptions) -> Result<(), ClientError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = Client::connect_with(options).await?;
        client.ping().await?;
        client.close().await;
        Ok(())
    })
}

#[path = "../../testdata/client_tests/real_asterisk_tls.rs"]
mod real_asterisk_tls;
