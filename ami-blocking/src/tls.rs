//! TLS for `tls://` addresses, with rustls. Certificates are always
//! verified: against the Mozilla roots by default, or against the CA
//! certificates the caller names (Asterisk's are often self-signed).

use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::error::{Error, Result};

/// Which certificates to trust.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsOptions {
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) ca_pem: Option<Vec<u8>>,
}

/// The rustls client configuration for `options`.
pub(crate) fn client_config(options: &TlsOptions) -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let mut own: Vec<CertificateDer<'static>> = Vec::new();
    if let Some(path) = &options.ca_file {
        for cert in CertificateDer::pem_file_iter(path)
            .map_err(|e| Error::Tls(format!("CA file {}: {e}", path.display())))?
        {
            own.push(cert.map_err(|e| Error::Tls(format!("CA file {}: {e}", path.display())))?);
        }
    }
    if let Some(pem) = &options.ca_pem {
        for cert in CertificateDer::pem_slice_iter(pem) {
            own.push(cert.map_err(|e| Error::Tls(format!("CA PEM: {e}")))?);
        }
    }
    if options.ca_file.is_some() || options.ca_pem.is_some() {
        if own.is_empty() {
            return Err(Error::Tls("no certificate in the given CA".into()));
        }
        for cert in own {
            roots
                .add(cert)
                .map_err(|e| Error::Tls(format!("bad CA certificate: {e}")))?;
        }
    } else {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// Wraps a connected socket in a TLS session for `host`.
pub(crate) fn wrap(
    options: &TlsOptions,
    host: &str,
    tcp: TcpStream,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    let config = client_config(options)?;
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| Error::Tls(format!("server name {host:?}: {e}")))?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| Error::Tls(e.to_string()))?;
    Ok(rustls::StreamOwned::new(conn, tcp))
}
