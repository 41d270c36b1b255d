//! Opening the socket: TCP with a timeout and options, TLS on top.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use ami_client::driver::Io;
use ami_client::{ClientOptions, Transport};
use async_io::Timer;
use async_net::TcpStream;
use futures_lite::FutureExt;
use futures_lite::io::{AsyncRead, AsyncWrite};

use crate::{Error, Result};

/// A connected socket, plain or TLS.
pub(crate) enum Stream {
    Tcp(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<futures_rustls::client::TlsStream<Recording>>),
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
    let addrs = async_net::resolve(addr.as_str())
        .await
        .map_err(connect_error)?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    let mut tcp = None;
    for sockaddr in addrs {
        let timeout = options.connect_timeout;
        let attempt = async { Some(TcpStream::connect(sockaddr).await) }
            .or(async {
                Timer::after(timeout).await;
                None
            })
            .await;
        match attempt {
            Some(Ok(stream)) => {
                tcp = Some(stream);
                break;
            }
            Some(Err(e)) => last = e,
            None => last = io::Error::new(io::ErrorKind::TimedOut, "connect timed out"),
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
            let connecting = futures_rustls::TlsConnector::from(handshake.config())
                .connect(handshake.server_name(), recording);
            let mut tls = connecting
                .or(async {
                    Timer::after(options.connect_timeout).await;
                    Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "TLS handshake timed out",
                    ))
                })
                .await
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
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Self::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
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
            Self::Tcp(s) => Pin::new(s).poll_close(cx),
            #[cfg(feature = "tls")]
            Self::Tls(s) => Pin::new(s).poll_close(cx),
        }
    }
}

#[cfg(feature = "tls")]
impl AsyncRead for Recording {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.tcp).poll_read(cx, buf);
        if let (Poll::Ready(Ok(n)), Some(received)) = (&polled, &this.received) {
            received.record(&buf[..*n]);
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

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_close(cx)
    }
}
