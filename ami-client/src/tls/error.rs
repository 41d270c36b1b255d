//! What a failed TLS connection reports: a typed kind, the server, the
//! certificate it presented, and, in plain words, the option that would
//! trust it.

use std::fmt;

use super::Fingerprint;

/// The certificate a server presented, as far as an error needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PresentedCertificate {
    /// The subject, `CN=localhost` style.
    pub subject: String,
    /// The issuer, in the same style; the subject again when self-signed.
    pub issuer: String,
    /// The host names and addresses it is for: its subject alternative
    /// names, or its common name when it has none.
    pub names: Vec<String>,
    /// Start of validity, `Dec  6 18:50:30 2026 +00:00` style.
    pub not_before: String,
    /// End of validity, in the same style.
    pub not_after: String,
    /// The SHA-256 fingerprint of its DER bytes.
    pub fingerprint: Fingerprint,
    /// Its issuer is its subject.
    pub self_signed: bool,
}

impl PresentedCertificate {
    /// A certificate known by its fingerprint only (one that could not be
    /// parsed).
    #[must_use]
    pub fn unparsed(fingerprint: Fingerprint) -> Self {
        Self {
            subject: "(not readable)".into(),
            issuer: "(not readable)".into(),
            names: Vec::new(),
            not_before: String::new(),
            not_after: String::new(),
            fingerprint,
            self_signed: false,
        }
    }
}

/// What went wrong with a TLS connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The server's certificate is self-signed (its own issuer) and is not
    /// trusted: not in the CA file, not pinned.
    SelfSigned,
    /// The server's certificate is signed by a CA that is not trusted.
    UnknownIssuer,
    /// The certificate's validity ended.
    Expired {
        /// When it ended.
        not_after: String,
        /// The time of the check.
        now: String,
    },
    /// The certificate's validity has not begun.
    NotYetValid {
        /// When it begins.
        not_before: String,
        /// The time of the check.
        now: String,
    },
    /// The certificate is not for the host name connected to.
    NameMismatch {
        /// The host of the address.
        expected: String,
        /// The names in the certificate.
        names: Vec<String>,
    },
    /// A pin was given, and the certificate is another one.
    WrongPin {
        /// The pin.
        expected: Fingerprint,
        /// The presented certificate's fingerprint.
        got: Fingerprint,
    },
    /// The server did not answer with TLS at all.
    NotTls {
        /// The start of what it sent, when it is text (a plaintext AMI port
        /// sends `Asterisk Call Manager/…`).
        received: Option<String>,
    },
    /// The certificate cannot be used for another reason, in words.
    Rejected(String),
    /// The handshake failed for a reason other than the certificate, in
    /// words (an alert from the server, no common protocol version, the
    /// connection dropped).
    Handshake(String),
    /// The CA file or PEM text cannot be used, in words.
    CaFile(String),
    /// The host cannot be checked against a certificate, in words.
    ServerName(String),
    /// This build has no TLS support.
    Unsupported,
}

/// A TLS connection that failed, or could not be set up: the kind of
/// failure, the server, and the certificate it presented. Its `Display`
/// says what is wrong and how to trust the certificate if it is the
/// right one.
///
/// ```
/// use ami_client::tls::{Fingerprint, PresentedCertificate, TlsError, TlsErrorKind};
///
/// let fingerprint = Fingerprint::from_bytes([0xab; 32]);
/// let mut certificate = PresentedCertificate::unparsed(fingerprint);
/// certificate.subject = "CN=localhost".into();
/// certificate.self_signed = true;
/// let error = TlsError::new(TlsErrorKind::SelfSigned)
///     .server("localhost:5039")
///     .certificate(Some(certificate));
/// let text = error.to_string();
/// assert!(text.starts_with("localhost:5039 presented a self-signed certificate"));
/// assert!(text.contains("CN=localhost"));
/// assert!(text.contains("AB:AB:AB"));
/// assert!(text.contains("--ca-file"));
/// assert!(text.contains("--tls-pin sha256:AB:AB"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsError {
    /// What went wrong.
    pub kind: TlsErrorKind,
    /// The server, `host:port`, when a connection was made.
    pub server: Option<Box<str>>,
    /// The certificate the server presented, when the handshake got so far.
    pub certificate: Option<Box<PresentedCertificate>>,
    /// What was trusted: `the CA file ca.pem`, `the Mozilla root
    /// certificates, and no CA file was given`, …
    pub trusted: Option<Box<str>>,
}

impl TlsError {
    /// An error of this kind, with nothing else known.
    #[must_use]
    pub fn new(kind: TlsErrorKind) -> Self {
        Self {
            kind,
            server: None,
            certificate: None,
            trusted: None,
        }
    }

    /// With the server's `host:port`.
    #[must_use]
    pub fn server(mut self, server: impl Into<String>) -> Self {
        self.server = Some(server.into().into_boxed_str());
        self
    }

    /// With the certificate the server presented.
    #[must_use]
    pub fn certificate(mut self, certificate: Option<PresentedCertificate>) -> Self {
        self.certificate = certificate.map(Box::new);
        self
    }

    /// With a description of what was trusted.
    #[must_use]
    pub fn trusted(mut self, trusted: impl Into<String>) -> Self {
        self.trusted = Some(trusted.into().into_boxed_str());
        self
    }

    /// The presented certificate's subject, if one was presented.
    #[must_use]
    pub fn subject(&self) -> Option<&str> {
        self.certificate.as_ref().map(|c| c.subject.as_str())
    }

    /// The presented certificate's fingerprint, if one was presented.
    #[must_use]
    pub fn fingerprint(&self) -> Option<Fingerprint> {
        self.certificate.as_ref().map(|c| c.fingerprint)
    }
}

impl std::error::Error for TlsError {}

/// "; to trust it anyway, pin it: …" for a certificate.
fn pin_hint(fingerprint: Fingerprint) -> String {
    format!("--tls-pin {fingerprint} (or the same as ?pin= in the URL)")
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let server = self.server.as_deref().unwrap_or("the server");
        let cert = self.certificate.as_deref();
        let about = |f: &mut fmt::Formatter<'_>| match cert {
            Some(c) => write!(
                f,
                "subject {}, SHA-256 fingerprint {}",
                c.subject,
                c.fingerprint.colon_hex()
            ),
            None => f.write_str("no certificate details"),
        };
        let trusted = self
            .trusted
            .as_deref()
            .unwrap_or("the trusted certificates");
        match &self.kind {
            TlsErrorKind::SelfSigned => {
                write!(
                    f,
                    "{server} presented a self-signed certificate, which is not trusted: \
                     it is not in {trusted}. Its "
                )?;
                about(f)?;
                f.write_str(
                    ". If it is your server's certificate, trust it: give that certificate \
                     itself as the CA file (--ca-file <the certificate's PEM file>, \
                     on Asterisk manager.conf's tlscertfile)",
                )?;
                if let Some(c) = cert {
                    write!(f, ", or pin it with {}", pin_hint(c.fingerprint))?;
                }
                Ok(())
            }
            TlsErrorKind::UnknownIssuer => {
                write!(
                    f,
                    "{server} presented a certificate signed by an unknown CA, one not in \
                     {trusted}. Its "
                )?;
                about(f)?;
                if let Some(c) = cert {
                    write!(f, ", issued by {}", c.issuer)?;
                }
                f.write_str(
                    ". To trust it, give the issuing CA's certificate as the CA file \
                     (--ca-file <ca.pem>)",
                )?;
                if let Some(c) = cert {
                    write!(
                        f,
                        ", or pin the server's certificate with {}",
                        pin_hint(c.fingerprint)
                    )?;
                }
                Ok(())
            }
            TlsErrorKind::Expired { not_after, now } => {
                write!(
                    f,
                    "{server} presented a certificate that expired on {not_after} (it is now {now}): "
                )?;
                about(f)?;
                f.write_str(". Renew the server's certificate")
            }
            TlsErrorKind::NotYetValid { not_before, now } => {
                write!(
                    f,
                    "{server} presented a certificate that is not valid before {not_before} \
                     (it is now {now}): "
                )?;
                about(f)?;
                f.write_str(". Check the clocks of this machine and of the server")
            }
            TlsErrorKind::NameMismatch { expected, names } => {
                if names.is_empty() {
                    write!(
                        f,
                        "{server} presented a certificate with no host names in it, so not one \
                         for {expected}: "
                    )?;
                } else {
                    write!(
                        f,
                        "{server} presented a certificate for {}, not for {expected}: ",
                        names.join(", ")
                    )?;
                }
                about(f)?;
                f.write_str(". Connect with a name the certificate has")?;
                if let Some(c) = cert {
                    write!(f, ", or pin it with {}", pin_hint(c.fingerprint))?;
                }
                Ok(())
            }
            TlsErrorKind::WrongPin { expected, got } => {
                write!(
                    f,
                    "{server} presented a certificate that does not match the pin: \
                     expected {expected}, got {got}"
                )?;
                if let Some(c) = cert {
                    write!(f, " (subject {})", c.subject)?;
                }
                write!(
                    f,
                    ". If the server's certificate was replaced on purpose, pin the new one: {}",
                    pin_hint(*got)
                )
            }
            TlsErrorKind::NotTls { received } => match received {
                Some(text) if text.starts_with("Asterisk Call Manager") => write!(
                    f,
                    "{server} does not speak TLS: it answered in plaintext with the AMI banner \
                     \"{text}\". That is a plain AMI port: connect with tcp://, or to the TLS \
                     port (manager.conf's tlsbindaddr, 5039 by default)"
                ),
                Some(text) => write!(
                    f,
                    "{server} does not speak TLS: it answered in plaintext, \"{text}\". \
                     Is this the right port?"
                ),
                None => write!(
                    f,
                    "{server} does not speak TLS: its answer is not a TLS record. \
                     Is this the right port?"
                ),
            },
            TlsErrorKind::Rejected(reason) => {
                write!(
                    f,
                    "{server} presented a certificate that cannot be used: {reason}: "
                )?;
                about(f)
            }
            TlsErrorKind::Handshake(reason) => {
                write!(f, "the TLS handshake with {server} failed: {reason}")
            }
            TlsErrorKind::CaFile(reason) => write!(f, "CA certificates: {reason}"),
            TlsErrorKind::ServerName(reason) => f.write_str(reason),
            TlsErrorKind::Unsupported => {
                f.write_str("this build has no TLS support (the adapter's `tls` feature is off)")
            }
        }
    }
}

/// The start of what a server sent, as text if it is printable ASCII (a
/// banner, an HTTP status line): its first line, at most 60 characters.
#[cfg(feature = "rustls")]
pub(crate) fn printable_start(bytes: &[u8]) -> Option<String> {
    let line = bytes.split(|&b| b == b'\r' || b == b'\n').next()?;
    if line.is_empty() || !line.iter().all(|b| (0x20..0x7f).contains(b)) {
        return None;
    }
    let line = &line[..line.len().min(60)];
    // Printable ASCII is UTF-8.
    Some(String::from_utf8_lossy(line).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert() -> PresentedCertificate {
        let mut c = PresentedCertificate::unparsed(Fingerprint::from_bytes([0xfd; 32]));
        c.subject = "CN=localhost".into();
        c.issuer = "CN=Some CA".into();
        c.names = vec!["localhost".into(), "::1".into()];
        c
    }

    fn text(kind: TlsErrorKind) -> String {
        TlsError::new(kind)
            .server("pbx:5039")
            .certificate(Some(cert()))
            .trusted("the CA file ca.pem")
            .to_string()
    }

    #[test]
    fn every_kind_says_what_is_wrong_in_words() {
        let fp = "FD:FD:FD:FD";
        let pin = "--tls-pin sha256:FD:FD";
        let cases: Vec<(TlsErrorKind, Vec<&str>)> = vec![
            (
                TlsErrorKind::SelfSigned,
                vec![
                    "self-signed",
                    "not in the CA file ca.pem",
                    "CN=localhost",
                    fp,
                    "--ca-file",
                    pin,
                    "?pin=",
                ],
            ),
            (
                TlsErrorKind::UnknownIssuer,
                vec!["unknown CA", "issued by CN=Some CA", fp, "--ca-file", pin],
            ),
            (
                TlsErrorKind::Expired {
                    not_after: "Jan  1 00:00:00 2020 +00:00".into(),
                    now: "later".into(),
                },
                vec!["expired on Jan  1 00:00:00 2020", fp, "Renew"],
            ),
            (
                TlsErrorKind::NotYetValid {
                    not_before: "Jan  1 00:00:00 2099 +00:00".into(),
                    now: "now".into(),
                },
                vec!["not valid before Jan  1 00:00:00 2099", fp, "clocks"],
            ),
            (
                TlsErrorKind::NameMismatch {
                    expected: "127.0.0.1".into(),
                    names: vec!["localhost".into()],
                },
                vec!["for localhost, not for 127.0.0.1", fp, pin],
            ),
            (
                TlsErrorKind::NameMismatch {
                    expected: "pbx".into(),
                    names: vec![],
                },
                vec!["no host names", "pbx"],
            ),
            (
                TlsErrorKind::WrongPin {
                    expected: Fingerprint::from_bytes([0xaa; 32]),
                    got: Fingerprint::from_bytes([0xfd; 32]),
                },
                vec![
                    "does not match the pin",
                    "expected sha256:AA:AA",
                    "got sha256:FD:FD",
                    "CN=localhost",
                    pin,
                ],
            ),
            (
                TlsErrorKind::NotTls {
                    received: Some("Asterisk Call Manager/9.0.0".into()),
                },
                vec![
                    "does not speak TLS",
                    "plaintext",
                    "\"Asterisk Call Manager/9.0.0\"",
                    "tcp://",
                ],
            ),
            (
                TlsErrorKind::NotTls { received: None },
                vec!["does not speak TLS", "not a TLS record"],
            ),
            (
                TlsErrorKind::Rejected("it is revoked".into()),
                vec!["cannot be used: it is revoked", fp],
            ),
            (
                TlsErrorKind::Handshake("the server closed the connection".into()),
                vec!["handshake with pbx:5039 failed"],
            ),
        ];
        for (kind, wants) in cases {
            let text = text(kind);
            assert!(
                text.starts_with("pbx:5039 ") || text.starts_with("the TLS handshake"),
                "{text}"
            );
            for want in wants {
                assert!(text.contains(want), "{want:?} not in {text:?}");
            }
            assert!(!text.contains("Fingerprint("), "{text}");
            assert!(!text.contains("Some("), "{text}");
        }
    }

    #[cfg(feature = "rustls")]
    #[test]
    fn printable_starts() {
        assert_eq!(
            printable_start(b"Asterisk Call Manager/9.0.0\r\nAction: x").as_deref(),
            Some("Asterisk Call Manager/9.0.0")
        );
        assert_eq!(printable_start(b"\x16\x03\x03"), None);
        assert_eq!(printable_start(b""), None);
        assert_eq!(printable_start(&[b'x'; 100]).map(|s| s.len()), Some(60));
    }
}
