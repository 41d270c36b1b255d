//! TLS for `tls://` addresses: rustls over the blocking socket, with the
//! trust settings of `ami_proto::tls`.

use std::net::TcpStream;

use ami_proto::ClientOptions;
use ami_proto::tls::{Trust, client_config, server_name};

use crate::{Error, Result};

/// Wraps a connected socket in a TLS session for `host`, trusting what
/// `options` say.
pub(crate) fn wrap(
    options: &ClientOptions,
    host: &str,
    tcp: TcpStream,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    let trust = match options.ca_pem_bytes() {
        Ok(Some(pem)) => Trust::Pem(pem),
        Ok(None) => Trust::WebPkiRoots,
        Err(e) => return Err(Error::Tls(format!("CA file: {e}"))),
    };
    let config = client_config(&trust).map_err(|e| Error::Tls(e.0))?;
    let name = server_name(host).map_err(|e| Error::Tls(e.0))?;
    let conn =
        rustls::ClientConnection::new(config, name).map_err(|e| Error::Tls(e.to_string()))?;
    Ok(rustls::StreamOwned::new(conn, tcp))
}
