//! Opening the socket: TCP with a timeout and options, TLS on top.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use ami_client::driver::Io;
use ami_client::{ClientOptions, Transport};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::{Error, Result};

/// A connected socket, plain or TLS.
pub(crate) enum Stream {
    Tcp(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::client::TlsStream<Recording>>),
}

/// The TCP socket under TLS: tells the handshake what the server sends,
/// until the handshake is over.
#[cfg(feature = "tls")]
pub(crate) struct Recording {
    tcp: TcpStream,
    received: Option<ami_client::tls::Received>,
}

/// Connects to the options' address: every resolved address in turn, each
/// within the connect timeout; then TLS if asked.
pub(crate) async fn open(options: &ClientOptions) -> Result<Stream> {
    let endpoint = options.endpoint();
    let addr = endpoint.authority();
    let connect_error = |source| Error::Connect {
        addr: addr.clone(),
        source,
    };
    let addrs = tokio::net::lookup_host(&addr)
        .await
        .map_err(connect_error)?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    let mut tcp = None;
    for sockaddr in addrs {
        match tokio::time::timeout(options.connect_timeout, TcpStream::connect(sockaddr)).await {
            Ok(Ok(stream)) => {
                tcp = Some(stream);
                break;
            }
            Ok(Err(e)) => last = e,
            Err(_) => last = io::Error::new(io::ErrorKind::TimedOut, "connect timed out"),
        }
    }
    let tcp = tcp.ok_or_else(|| connect_error(last))?;
    tcp.set_nodelay(true)?;
    if let Some(idle) = options.tcp_keepalive {
        let keepalive = socket2::TcpKeepalive::new().with_time(idle);
        socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive)?;
    }
    match endpoint.transport {
        Transport::Tcp => Ok(Stream::Tcp(tcp)),
        #[cfg(feature = "tls")]
        Transport::Tls => {
            let handshake = ami_client::tls::Handshake::new(options)?;
            let recording = Recording {
                tcp,
                received: Some(handshake.received()),
            };
            let connecting = tokio_rustls::TlsConnector::from(handshake.config())
                .connect(handshake.server_name(), recording);
            let mut tls = tokio::time::timeout(options.connect_timeout, connecting)
                .await
                .unwrap_or_else(|_| {
                    Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "TLS handshake timed out",
                    ))
                })
                .map_err(|e| handshake.error(e))?;
            tls.get_mut().0.received = None;
            Ok(Stream::Tls(Box::new(tls)))
        }
        #[cfg(not(feature = "tls"))]
        Transport::Tls => {
            Err(ami_client::tls::TlsError::new(ami_client::tls::TlsErrorKind::Unsupported).into())
        }
    }
}

impl Io for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut read = ReadBuf::new(buf);
        let polled = match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_read(cx, &mut read),
            #[cfg(feature = "tls")]
            Self::Tls(s) => Pin::new(s).poll_read(cx, &mut read),
        };
        polled.map_ok(|()| read.filled().len())
    }

    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Self::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            Self::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Self::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(feature = "tls")]
impl AsyncRead for Recording {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.tcp).poll_read(cx, buf);
        if let Some(received) = &this.received {
            received.record(&buf.filled()[before..]);
        }
        polled
    }
}

#[cfg(feature = "tls")]
impl AsyncWrite for Recording {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}
