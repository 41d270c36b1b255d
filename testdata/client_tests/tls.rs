//! TLS against the testkit with the certificates real Asterisk installs
//! have: a self-signed `CA:TRUE` certificate for `CN=localhost` trusted as
//! its own CA file, pins, and the error each failure gives. Written once;
//! each client's `tests/tls.rs` includes it beside its `ping` (connect,
//! ping, close on that runtime) and `RUNTIME` name.

use std::path::PathBuf;
use std::time::Duration;

use ami_client::tls::{Fingerprint, TlsError, TlsErrorKind};
use ami_client::{ClientError as Error, ClientOptions};

use super::{RUNTIME, ping};

type Result<T> = std::result::Result<T, Error>;
use ami_testkit::{Certificate, Server};

fn self_signed() -> Server {
    Server::builder()
        .tls_certificate(Certificate::SelfSignedCa)
        .start()
}

/// `tls://admin:amp111@HOST:PORT` plus `query`.
fn options(server: &Server, host: &str, query: &str) -> ClientOptions {
    let url = format!("tls://admin:amp111@{host}:{}{query}", server.addr().port());
    ClientOptions::new(&url)
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
}

fn fingerprint(server: &Server) -> Fingerprint {
    Fingerprint::of_der(server.presented_der().unwrap())
}

/// The server's own certificate in a file of its own.
fn cert_file(server: &Server, name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "ami-{RUNTIME}-tls-{}-{name}.pem",
        std::process::id()
    ));
    std::fs::write(&path, server.cert_pem().unwrap()).unwrap();
    path
}

fn tls_error(result: Result<()>) -> TlsError {
    match result {
        Err(Error::Tls(error)) => *error,
        Err(other) => panic!("not a TLS error: {other}"),
        Ok(()) => panic!("connected"),
    }
}

#[test]
fn its_own_certificate_as_the_ca_file() {
    let server = self_signed();
    let path = cert_file(&server, "own");
    ping(options(&server, "localhost", "").ca_file(&path)).unwrap();
    std::fs::remove_file(path).unwrap();
}

#[test]
fn no_ca_says_self_signed_with_the_fingerprint() {
    let server = self_signed();
    let error = tls_error(ping(options(&server, "localhost", "")));
    assert_eq!(error.kind, TlsErrorKind::SelfSigned);
    assert_eq!(error.subject(), Some("CN=localhost"));
    assert_eq!(error.fingerprint(), Some(fingerprint(&server)));
    let text = Error::Tls(Box::new(error)).to_string();
    assert!(text.starts_with("TLS: localhost:"), "{text}");
    assert!(text.contains("self-signed"), "{text}");
    assert!(text.contains(&fingerprint(&server).colon_hex()), "{text}");
    assert!(text.contains("--ca-file"), "{text}");
    assert!(
        text.contains(&format!("--tls-pin {}", fingerprint(&server))),
        "{text}"
    );
}

#[test]
fn a_ca_signed_certificate_with_another_ca_is_an_unknown_issuer() {
    let server = Server::builder().tls().start();
    let other = self_signed();
    let error = tls_error(ping(
        options(&server, "localhost", "").ca_pem(other.cert_pem().unwrap()),
    ));
    assert_eq!(error.kind, TlsErrorKind::UnknownIssuer);
    assert!(error.to_string().contains("unknown CA"), "{error}");
}

#[test]
fn pins() {
    let server = self_signed();
    let pin = fingerprint(&server);
    // The builder, in OpenSSL's form (colons, uppercase).
    ping(options(&server, "localhost", "").tls_pin(pin)).unwrap();
    // The URL, bare lowercase hex; any host name: the pin is the identity.
    let hex: String = pin.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    ping(options(&server, "127.0.0.1", &format!("?pin=sha256:{hex}"))).unwrap();
    ping(options(
        &server,
        "localhost",
        &format!("?pin={}", pin.to_string().to_lowercase()),
    ))
    .unwrap();
    // With a CA file too, both must hold.
    let path = cert_file(&server, "pin");
    ping(
        options(&server, "localhost", "")
            .ca_file(&path)
            .tls_pin(pin),
    )
    .unwrap();
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_wrong_pin_says_expected_and_got() {
    let server = self_signed();
    let wrong = Fingerprint::from_bytes([0xab; 32]);
    let error = tls_error(ping(options(&server, "localhost", "").tls_pin(wrong)));
    assert_eq!(
        error.kind,
        TlsErrorKind::WrongPin {
            expected: wrong,
            got: fingerprint(&server)
        }
    );
    let text = error.to_string();
    assert!(text.contains("does not match the pin"), "{text}");
    assert!(text.contains(&format!("expected {wrong}")), "{text}");
    assert!(
        text.contains(&format!("got {}", fingerprint(&server))),
        "{text}"
    );
}

#[test]
fn a_malformed_pin_is_refused_when_parsed() {
    assert!(ClientOptions::new("tls://admin:amp111@localhost:5039?pin=sha256:abc").is_err());
    assert!(ClientOptions::new("tls://admin:amp111@localhost:5039?pin=md5:ab").is_err());
}

#[test]
fn another_host_name_is_a_name_mismatch() {
    let server = self_signed();
    let error = tls_error(ping(
        options(&server, "127.0.0.1", "").ca_pem(server.cert_pem().unwrap()),
    ));
    assert_eq!(
        error.kind,
        TlsErrorKind::NameMismatch {
            expected: "127.0.0.1".into(),
            names: vec!["localhost".into()]
        }
    );
    assert!(
        error
            .to_string()
            .contains("for localhost, not for 127.0.0.1"),
        "{error}"
    );
}

#[test]
fn an_expired_certificate_says_when() {
    let server = Server::builder()
        .tls_certificate(Certificate::ExpiredSelfSignedCa)
        .start();
    let error = tls_error(ping(
        options(&server, "localhost", "").ca_pem(server.cert_pem().unwrap()),
    ));
    assert!(
        matches!(&error.kind, TlsErrorKind::Expired { not_after, .. } if not_after.contains("2021")),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("expired on Jan  1 00:00:00 2021"),
        "{error}"
    );
}

#[test]
fn a_plaintext_server_is_not_tls() {
    let server = Server::start();
    let error = tls_error(ping(options(&server, "127.0.0.1", "")));
    assert_eq!(
        error.kind,
        TlsErrorKind::NotTls {
            received: Some("Asterisk Call Manager/11.0.0".into())
        }
    );
    let text = error.to_string();
    assert!(text.contains("does not speak TLS"), "{text}");
    assert!(text.contains("Asterisk Call Manager"), "{text}");
    assert!(text.contains("tcp://"), "{text}");
}
