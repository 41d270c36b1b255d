//! TLS on Tokio: the shared cases of `testdata/client_tests/tls.rs`.
#![cfg(feature = "tls")]

use ami_client::{ClientError, ClientOptions};
use ami_tokio::Client;

const RUNTIME: &str = "tokio";

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

#[path = "../../testdata/client_tests/tls.rs"]
mod tls;
