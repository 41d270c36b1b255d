//! TLS for `tls://` addresses: rustls over the blocking socket, with the
//! trust, verifier and errors of `ami_client::tls`. The handshake is done
//! here, within the connect timeout, so that its failure is reported as a
//! TLS error.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use ami_client::ClientOptions;
use ami_client::tls::{Handshake, Received};

use crate::Result;

/// The socket during the handshake, telling what it reads.
struct Recording<'a> {
    tcp: &'a TcpStream,
    received: Received,
}

impl Read for Recording<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.tcp.read(buf)?;
        self.received.record(&buf[..n]);
        Ok(n)
    }
}

impl Write for Recording<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// Wraps a connected socket in a TLS session for the options' host, and
/// completes the handshake.
pub(crate) fn wrap(
    options: &ClientOptions,
    tcp: TcpStream,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    let handshake = Handshake::new(options)?;
    let mut conn = rustls::ClientConnection::new(handshake.config(), handshake.server_name())
        .map_err(|e| handshake.error(io::Error::other(e)))?;
    tcp.set_read_timeout(Some(options.connect_timeout))?;
    tcp.set_write_timeout(Some(options.connect_timeout))?;
    let mut recording = Recording {
        tcp: &tcp,
        received: handshake.received(),
    };
    while conn.is_handshaking() {
        conn.complete_io(&mut recording)
            .map_err(|e| handshake.error(e))?;
    }
    // The client sets its own read timeouts from here.
    tcp.set_read_timeout(None)?;
    tcp.set_write_timeout(None)?;
    Ok(rustls::StreamOwned::new(conn, tcp))
}
