//! TLS client settings shared by every adapter (feature `rustls`): which
//! certificates to trust, turned into a rustls configuration. Certificates
//! are always verified; there is no switch to turn that off.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

/// Which certificates a TLS client trusts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Trust {
    /// The Mozilla root certificates (`webpki-roots`).
    #[default]
    WebPkiRoots,
    /// Only the CA certificates in this PEM text: a self-signed Asterisk
    /// certificate, or a private CA.
    Pem(Vec<u8>),
}

/// Why TLS could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TLS: {0}")]
pub struct TlsError(pub String);

/// A rustls client configuration trusting `trust`, with the `ring`
/// provider and the safe default protocol versions.
///
/// ```
/// use ami_proto::tls::{client_config, Trust};
/// assert!(client_config(&Trust::WebPkiRoots).is_ok());
/// assert!(client_config(&Trust::Pem(b"not a certificate".to_vec())).is_err());
/// ```
pub fn client_config(trust: &Trust) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    match trust {
        Trust::WebPkiRoots => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Trust::Pem(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| TlsError(format!("CA PEM: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| TlsError(format!("bad CA certificate: {e}")))?;
            }
            if roots.is_empty() {
                return Err(TlsError("no certificate in the given CA".into()));
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The name to verify the server's certificate against: the host of the
/// address (a DNS name or an IP address).
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_owned())
        .map_err(|e| TlsError(format!("server name {host:?}: {e}")))
}
