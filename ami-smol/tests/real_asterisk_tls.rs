//! TLS against a real Asterisk, whose certificate is a self-signed
//! `CA:TRUE` one made by `openssl req -x509`: with it as the CA file, with
//! a pin computed from it, and a wrong pin. Runs only when
//! `AMI_TEST_TLS_URL` and `AMI_TEST_CA` are set
//! (`eval "$(../shared/asterisk/start)"`).
#![cfg(feature = "tls")]

use std::time::Duration;

use ami_proto::tls::{Fingerprint, TlsErrorKind};
use ami_smol::{Client, ClientOptions, Error, Result};

/// Connects on smol, pings, closes.
fn ping(options: ClientOptions) -> Result<()> {
    smol::block_on(async {
        let client = Client::connect_with(options.connect_timeout(Duration::from_secs(10))).await?;
        client.ping().await?;
        client.close().await;
        Ok(())
    })
}

#[test]
fn real_asterisk_tls() {
    let (Ok(url), Ok(ca)) = (
        std::env::var("AMI_TEST_TLS_URL"),
        std::env::var("AMI_TEST_CA"),
    ) else {
        println!("skipped: AMI_TEST_TLS_URL not set");
        return;
    };
    let options = || ClientOptions::new(&url).expect("AMI_TEST_TLS_URL parses");
    ping(options().ca_file(&ca)).expect("the server's own certificate as the CA file");

    let pin =
        Fingerprint::of_pem(&std::fs::read(&ca).unwrap()).expect("a certificate in AMI_TEST_CA");
    ping(options().tls_pin(pin)).expect("pinned");

    let wrong = Fingerprint::from_bytes([0x42; 32]);
    match ping(options().tls_pin(wrong)) {
        Err(Error::Tls(error)) => {
            assert_eq!(
                error.kind,
                TlsErrorKind::WrongPin {
                    expected: wrong,
                    got: pin
                }
            );
            assert!(error.to_string().contains(&pin.colon_hex()), "{error}");
        }
        other => panic!("a wrong pin gave {other:?}"),
    }
}
