//! The byte pipe of a session: a plain TCP socket, or TLS over one.
//! Shared by the session's reader and writer threads.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};

/// A session's socket, readable and writable from two threads at once.
#[derive(Debug)]
pub(crate) enum Transport {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<crate::tls::TlsTransport>),
}

impl Transport {
    /// Reads plaintext; `Ok(0)` at end of stream.
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(stream) => (&*stream).read(buf),
            #[cfg(feature = "tls")]
            Self::Tls(tls) => tls.read(buf),
        }
    }

    /// Writes all of `data` (flushed to the socket).
    pub(crate) fn write_all(&self, data: &[u8]) -> io::Result<()> {
        match self {
            Self::Plain(stream) => (&*stream).write_all(data),
            #[cfg(feature = "tls")]
            Self::Tls(tls) => tls.write_all(data),
        }
    }

    /// Ends the writing side gracefully (TLS `close_notify`, then TCP FIN);
    /// the reader goes on until the client closes.
    pub(crate) fn close_write(&self) {
        #[cfg(feature = "tls")]
        if let Self::Tls(tls) = self {
            tls.close_notify();
        }
        let _ = self.socket().shutdown(Shutdown::Write);
    }

    /// Shuts both directions down at once: blocked reads and writes return.
    pub(crate) fn abort(&self) {
        let _ = self.socket().shutdown(Shutdown::Both);
    }

    fn socket(&self) -> &TcpStream {
        match self {
            Self::Plain(stream) => stream,
            #[cfg(feature = "tls")]
            Self::Tls(tls) => tls.socket(),
        }
    }
}
