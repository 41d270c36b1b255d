//! The server certificate verifier every adapter uses: webpki's, plus a
//! certificate trusted byte for byte (a self-signed Asterisk certificate
//! given as the CA file) and pins; and what it saw, for the error.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

use super::cert::{check_exact, describe, format_time};
use super::{Fingerprint, PresentedCertificate, TlsErrorKind};

/// How many bytes of the server's first answer are kept to tell a
/// plaintext server.
const KEEP_RECEIVED: usize = 80;

/// What one handshake saw: the certificate presented, why the verifier
/// refused it, the first bytes received. Shared by the verifier (inside the
/// rustls configuration) and the adapter (which reports the error).
#[derive(Debug, Default)]
pub(crate) struct Observed {
    presented: Mutex<Option<CertificateDer<'static>>>,
    failure: Mutex<Option<TlsErrorKind>>,
    received: Mutex<Vec<u8>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Observed {
    pub(crate) fn record_received(&self, bytes: &[u8]) {
        let mut received = lock(&self.received);
        let room = KEEP_RECEIVED.saturating_sub(received.len());
        received.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    pub(crate) fn received(&self) -> Vec<u8> {
        lock(&self.received).clone()
    }

    pub(crate) fn presented(&self) -> Option<PresentedCertificate> {
        lock(&self.presented).as_ref().map(|der| describe(der))
    }

    pub(crate) fn failure(&self) -> Option<TlsErrorKind> {
        lock(&self.failure).clone()
    }

    fn refuse(&self, kind: TlsErrorKind, error: Error) -> Error {
        *lock(&self.failure) = Some(kind);
        error
    }
}

/// webpki's verifier, with two additions. A certificate found byte for
/// byte among the trusted ones is accepted when webpki only objects that
/// it is a CA or has no trusted issuer (a self-signed `CA:TRUE`
/// certificate, as `openssl req -x509` makes), once its validity period
/// and names are checked. A pin must match the presented certificate's
/// fingerprint; without CA certificates it is all that is checked.
/// Handshake signatures are always verified by the crypto provider.
#[derive(Debug)]
pub(crate) struct Verifier {
    /// `None` with a pin and no CA certificates.
    webpki: Option<Arc<WebPkiServerVerifier>>,
    /// The certificates trusted as they are: those of the CA file.
    exact: Vec<CertificateDer<'static>>,
    pin: Option<Fingerprint>,
    algorithms: WebPkiSupportedAlgorithms,
    observed: Arc<Observed>,
}

impl Verifier {
    pub(crate) fn new(
        webpki: Option<Arc<WebPkiServerVerifier>>,
        exact: Vec<CertificateDer<'static>>,
        pin: Option<Fingerprint>,
        provider: &CryptoProvider,
        observed: Arc<Observed>,
    ) -> Self {
        Self {
            webpki,
            exact,
            pin,
            algorithms: provider.signature_verification_algorithms,
            observed,
        }
    }
}

/// The error kind for webpki's objection to `presented`.
pub(crate) fn classify(error: &CertificateError, presented: &PresentedCertificate) -> TlsErrorKind {
    let unknown_issuer = || {
        if presented.self_signed {
            TlsErrorKind::SelfSigned
        } else {
            TlsErrorKind::UnknownIssuer
        }
    };
    let rejected = |why: &str| TlsErrorKind::Rejected(why.to_owned());
    #[allow(deprecated)] // UnsupportedSignatureAlgorithm, still produced by older paths
    match error {
        CertificateError::UnknownIssuer => unknown_issuer(),
        CertificateError::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(webpki::Error::CaUsedAsEndEntity) if presented.self_signed => unknown_issuer(),
            Some(webpki::Error::CaUsedAsEndEntity) => rejected(
                "it is a CA certificate (CA:TRUE), which identifies a server only when that \
                 very certificate is trusted (as the CA file, or pinned)",
            ),
            Some(webpki::Error::UnknownIssuer) => unknown_issuer(),
            _ => TlsErrorKind::Rejected(format!("webpki refused it ({error})")),
        },
        CertificateError::Expired => TlsErrorKind::Expired {
            not_after: presented.not_after.clone(),
            now: "now".into(),
        },
        CertificateError::ExpiredContext { time, not_after } => TlsErrorKind::Expired {
            not_after: format_time(not_after.as_secs()),
            now: format_time(time.as_secs()),
        },
        CertificateError::NotValidYet => TlsErrorKind::NotYetValid {
            not_before: presented.not_before.clone(),
            now: "now".into(),
        },
        CertificateError::NotValidYetContext { time, not_before } => TlsErrorKind::NotYetValid {
            not_before: format_time(not_before.as_secs()),
            now: format_time(time.as_secs()),
        },
        CertificateError::NotValidForNameContext {
            expected,
            presented: names,
        } => TlsErrorKind::NameMismatch {
            expected: expected.to_str().into_owned(),
            names: names.clone(),
        },
        CertificateError::NotValidForName => TlsErrorKind::NameMismatch {
            expected: "the host connected to".into(),
            names: presented.names.clone(),
        },
        CertificateError::BadSignature => {
            rejected("its signature does not verify (damaged, or not made by its issuer)")
        }
        CertificateError::BadEncoding => rejected("it is not a well-formed X.509 certificate"),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            rejected("it is not meant for TLS servers (its extended key usage lacks serverAuth)")
        }
        CertificateError::UnhandledCriticalExtension => {
            rejected("it has a critical extension this client does not understand")
        }
        CertificateError::Revoked => rejected("it is revoked"),
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            rejected("it is signed with an algorithm this client does not support")
        }
        other => TlsErrorKind::Rejected(format!("webpki refused it ({other})")),
    }
}

/// The rustls error (and so the TLS alert) for a refusal of our own.
fn certificate_error(kind: &TlsErrorKind) -> Error {
    Error::InvalidCertificate(match kind {
        TlsErrorKind::Expired { .. } => CertificateError::Expired,
        TlsErrorKind::NotYetValid { .. } => CertificateError::NotValidYet,
        TlsErrorKind::NameMismatch { .. } => CertificateError::NotValidForName,
        TlsErrorKind::Rejected(_) => CertificateError::BadEncoding,
        _ => CertificateError::ApplicationVerificationFailure,
    })
}

/// webpki objects only that the certificate is a CA, or that its issuer
/// is unknown: what it says of a self-signed certificate it was not told
/// to trust as an end entity.
fn only_untrusted_issuer(error: &Error) -> bool {
    match error {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => true,
        Error::InvalidCertificate(CertificateError::Other(other)) => matches!(
            other.0.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity | webpki::Error::UnknownIssuer)
        ),
        _ => false,
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        *lock(&self.observed.presented) = Some(end_entity.clone().into_owned());
        if let Some(pin) = self.pin {
            let got = Fingerprint::of_der(end_entity);
            if got != pin {
                let kind = TlsErrorKind::WrongPin { expected: pin, got };
                let error = certificate_error(&kind);
                return Err(self.observed.refuse(kind, error));
            }
        }
        let Some(webpki) = &self.webpki else {
            // Pinned, and no CA certificates: the pin is the identity.
            return Ok(ServerCertVerified::assertion());
        };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Ok(verified) => Ok(verified),
            Err(error)
                if only_untrusted_issuer(&error)
                    && self.exact.iter().any(|c| c.as_ref() == end_entity.as_ref()) =>
            {
                match check_exact(end_entity, server_name, now) {
                    Ok(()) => Ok(ServerCertVerified::assertion()),
                    Err(kind) => {
                        let error = certificate_error(&kind);
                        Err(self.observed.refuse(kind, error))
                    }
                }
            }
            Err(error) => {
                if let Error::InvalidCertificate(certificate) = &error {
                    let kind = classify(certificate, &describe(end_entity));
                    return Err(self.observed.refuse(kind, error));
                }
                Err(error)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
