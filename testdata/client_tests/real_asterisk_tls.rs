//! TLS against a real Asterisk, whose certificate is a self-signed
//! `CA:TRUE` one made by `openssl req -x509`: with it as the CA file, with
//! a pin computed from it, and a wrong pin. Runs only when
//! `AMI_TEST_TLS_URL` and `AMI_TEST_CA` are set
//! (`eval "$(../shared/asterisk/start)"`). Written once; each client's
//! `tests/real_asterisk_tls.rs` includes it beside its `ping`.

use std::io::Write;
use std::time::Duration;

use ami_client::tls::{Fingerprint, TlsErrorKind};
use ami_client::{ClientError as Error, ClientOptions};

use super::ping;

fn ping_within(options: ClientOptions) -> Result<(), Error> {
    ping(options.connect_timeout(Duration::from_secs(10)))
}

#[test]
fn real_asterisk_tls() {
    let (Ok(url), Ok(ca)) = (
        std::env::var("AMI_TEST_TLS_URL"),
        std::env::var("AMI_TEST_CA"),
    ) else {
        // Straight to stderr: the test harness captures `println!`.
        let _ = writeln!(
            std::io::stderr(),
            "real_asterisk_tls: skipped: AMI_TEST_TLS_URL and AMI_TEST_CA are not set"
        );
        return;
    };
    let options = || ClientOptions::new(&url).expect("AMI_TEST_TLS_URL parses");
    ping_within(options().ca_file(&ca)).expect("the server's own certificate as the CA file");

    let pin =
        Fingerprint::of_pem(&std::fs::read(&ca).unwrap()).expect("a certificate in AMI_TEST_CA");
    ping_within(options().tls_pin(pin)).expect("pinned");

    let wrong = Fingerprint::from_bytes([0x42; 32]);
    match ping_within(options().tls_pin(wrong)) {
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
