//! TLS for `tls://` addresses: rustls over the blocking socket, with the
//! trust settings of `ami_proto::tls`.

use std::net::TcpStream;
use std::path::PathBuf;

use ami_proto::tls::{Trust, client_config, server_name};

use crate::error::{Error, Result};

/// Which certificates to trust: a CA file, PEM text, or the Mozilla roots.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsOptions {
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) ca_pem: Option<Vec<u8>>,
}

impl TlsOptions {
    fn trust(&self) -> Result<Trust> {
        let mut pem = self.ca_pem.clone().unwrap_or_default();
        if let Some(path) = &self.ca_file {
            let file = std::fs::read(path)
                .map_err(|e| Error::Tls(format!("CA file {}: {e}", path.display())))?;
            pem.push(b'\n');
            pem.extend_from_slice(&file);
        }
        Ok(if self.ca_file.is_some() || self.ca_pem.is_some() {
            Trust::Pem(pem)
        } else {
            Trust::WebPkiRoots
        })
    }
}

/// Wraps a connected socket in a TLS session for `host`.
pub(crate) fn wrap(
    options: &TlsOptions,
    host: &str,
    tcp: TcpStream,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    let config = client_config(&options.trust()?).map_err(|e| Error::Tls(e.0))?;
    let name = server_name(host).map_err(|e| Error::Tls(e.0))?;
    let conn =
        rustls::ClientConnection::new(config, name).map_err(|e| Error::Tls(e.to_string()))?;
    Ok(rustls::StreamOwned::new(conn, tcp))
}
