//! TLS for every adapter: which certificates to trust (a CA file, the
//! Mozilla roots, a pin), the certificate verifier, and the typed error a
//! failed handshake gives, in plain words. Certificates are always
//! verified; there is no switch to turn that off.
//!
//! The error types and [`Fingerprint`] are always here; the rustls parts
//! (feature `rustls`) are [`Trust`], [`client_config`], [`server_name`] and
//! [`Handshake`], which an adapter builds per connection attempt, hands its
//! configuration to rustls, lets see the bytes the server sends, and asks
//! for the error when the handshake fails.
//!
//! What is trusted:
//! * a CA file: the certificates in it as CA certificates, and each one as
//!   it is, byte for byte — a self-signed Asterisk certificate (`CA:TRUE`,
//!   made by `openssl req -x509`) given as its own CA file is accepted once
//!   its validity period and names are checked (its common name, when it
//!   has no subject alternative names, as OpenSSL does);
//! * a pin (`sha256:…`): the server's certificate must have this SHA-256
//!   fingerprint. A pin alone is enough: with no CA file, chain, names and
//!   dates are not looked at — the pin is the identity. With a CA file
//!   too, both must hold;
//! * else the Mozilla root certificates.
//!
//! The handshake's signatures are verified in every case.

mod error;
mod pin;

#[cfg(feature = "rustls")]
mod cert;
#[cfg(feature = "rustls")]
mod verify;

pub use error::{PresentedCertificate, TlsError, TlsErrorKind};
pub use pin::{Fingerprint, PinError};

#[cfg(feature = "rustls")]
pub use connect::{Handshake, Received, Trust, client_config, server_name};

#[cfg(feature = "rustls")]
mod connect {
    use std::sync::Arc;

    use rustls::client::WebPkiServerVerifier;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};

    use super::error::printable_start;
    use super::verify::{Observed, Verifier, classify};
    use super::{Fingerprint, TlsError, TlsErrorKind};
    use crate::{ClientError, ClientOptions};

    /// Which certificates a TLS client trusts.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub enum Trust {
        /// The Mozilla root certificates (`webpki-roots`).
        #[default]
        WebPkiRoots,
        /// Only the certificates in this PEM text, as CA certificates and
        /// each one as it is: a self-signed Asterisk certificate, or a
        /// private CA.
        Pem(Vec<u8>),
    }

    fn ca_error(reason: impl Into<String>) -> TlsError {
        TlsError::new(TlsErrorKind::CaFile(reason.into()))
    }

    /// The verifier for `trust` and `pin`, reporting to `observed`.
    fn verifier(
        trust: &Trust,
        pin: Option<Fingerprint>,
        source: &str,
        observed: Arc<Observed>,
    ) -> Result<Verifier, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        let mut exact = Vec::new();
        match trust {
            Trust::WebPkiRoots => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            Trust::Pem(pem) => {
                for cert in CertificateDer::pem_slice_iter(pem) {
                    let cert = cert.map_err(|e| ca_error(format!("{source} is not PEM: {e}")))?;
                    roots.add(cert.clone()).map_err(|e| {
                        ca_error(format!(
                            "{source} holds a certificate that cannot be used: {e}"
                        ))
                    })?;
                    exact.push(cert);
                }
                if exact.is_empty() {
                    return Err(ca_error(format!(
                        "{source} holds no certificate (no -----BEGIN CERTIFICATE----- block)"
                    )));
                }
            }
        }
        let webpki = if pin.is_some() && *trust == Trust::WebPkiRoots {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| ca_error(format!("{source}: {e}")))?,
            )
        };
        Ok(Verifier::new(webpki, exact, pin, &provider, observed))
    }

    fn config(verifier: Verifier) -> Result<Arc<rustls::ClientConfig>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::new(TlsErrorKind::Handshake(e.to_string())))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(Arc::new(config))
    }

    /// A rustls client configuration trusting `trust` (see the [module
    /// docs](super)), with the `ring` provider and the safe default protocol
    /// versions. [`Handshake`] does the same and also reports why a
    /// handshake failed.
    ///
    /// ```
    /// use ami_client::tls::{client_config, Trust};
    /// assert!(client_config(&Trust::WebPkiRoots).is_ok());
    /// assert!(client_config(&Trust::Pem(b"not a certificate".to_vec())).is_err());
    /// ```
    pub fn client_config(trust: &Trust) -> Result<Arc<rustls::ClientConfig>, TlsError> {
        config(verifier(trust, None, "the CA PEM", Arc::default())?)
    }

    /// The name to verify the server's certificate against: the host of
    /// the address (a DNS name or an IP address).
    pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
        ServerName::try_from(host.to_owned()).map_err(|e| {
            TlsError::new(TlsErrorKind::ServerName(format!(
                "\"{host}\" cannot be checked against a certificate: {e}"
            )))
        })
    }

    /// One TLS connection attempt, client side: the rustls configuration
    /// and server name for the options' address and trust, and what the
    /// handshake saw, to turn its failure into a [`TlsError`].
    ///
    /// An adapter makes one per connection, passes every byte it reads
    /// from the socket during the handshake to [`Received::record`], and
    /// on failure returns [`Handshake::error`].
    ///
    /// ```
    /// use ami_client::ClientOptions;
    /// use ami_client::tls::Handshake;
    ///
    /// let options = ClientOptions::new("tls://admin:amp111@pbx.example:5039")?;
    /// let handshake = Handshake::new(&options)?;
    /// assert_eq!(handshake.server_name().to_str(), "pbx.example");
    /// // A server that answers in plaintext.
    /// handshake.received().record(b"Asterisk Call Manager/9.0.0\r\n");
    /// let failed = std::io::Error::other("corrupt message");
    /// let error = handshake.error(failed).to_string();
    /// assert!(error.contains("does not speak TLS"), "{error}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[derive(Debug)]
    pub struct Handshake {
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
        observed: Arc<Observed>,
        server: String,
        trusted: String,
    }

    /// Where an adapter reports what the server sent during the handshake.
    #[derive(Debug, Clone)]
    pub struct Received(Arc<Observed>);

    impl Received {
        /// Bytes read from the socket (only the first few are kept).
        pub fn record(&self, bytes: &[u8]) {
            self.0.record_received(bytes);
        }
    }

    impl Handshake {
        /// The handshake for the options' address, CA file or PEM and pin.
        /// Fails when the CA file cannot be read or holds no usable
        /// certificate, or the host is no name a certificate can have.
        pub fn new(options: &ClientOptions) -> Result<Self, TlsError> {
            let (trust, trusted) = match options.ca_pem_bytes() {
                Ok(Some(pem)) => (Trust::Pem(pem), options.ca_description()),
                Ok(None) => (
                    Trust::WebPkiRoots,
                    "the Mozilla root certificates, and no CA file was given".to_owned(),
                ),
                Err(e) => {
                    return Err(ca_error(format!(
                        "cannot read {}: {e}",
                        options.ca_description()
                    )));
                }
            };
            let observed = Arc::new(Observed::default());
            let pin = options.pinned().copied();
            let verifier = verifier(&trust, pin, &trusted, observed.clone())?;
            let endpoint = options.endpoint();
            Ok(Self {
                config: config(verifier)?,
                name: server_name(&endpoint.host)?,
                observed,
                server: endpoint.authority(),
                trusted,
            })
        }

        /// The rustls configuration (with this handshake's verifier).
        #[must_use]
        pub fn config(&self) -> Arc<rustls::ClientConfig> {
            self.config.clone()
        }

        /// The name the certificate is checked against.
        #[must_use]
        pub fn server_name(&self) -> ServerName<'static> {
            self.name.clone()
        }

        /// Where to report the bytes the server sends.
        #[must_use]
        pub fn received(&self) -> Received {
            Received(self.observed.clone())
        }

        /// What the failure of this handshake with `error` (from rustls or
        /// the socket) means, as a [`ClientError::Tls`].
        #[must_use]
        pub fn error(&self, error: std::io::Error) -> ClientError {
            ClientError::Tls(Box::new(self.tls_error(&error)))
        }

        fn tls_error(&self, error: &std::io::Error) -> TlsError {
            let presented = self.observed.presented();
            let with = |kind| {
                TlsError::new(kind)
                    .server(self.server.clone())
                    .trusted(self.trusted.clone())
                    .certificate(presented.clone())
            };
            if let Some(kind) = self.observed.failure() {
                return with(kind);
            }
            let received = self.observed.received();
            // Every TLS record starts with a content type from 20 to 24.
            if received.first().is_some_and(|b| !(20..=24).contains(b)) {
                return with(TlsErrorKind::NotTls {
                    received: printable_start(&received),
                });
            }
            let rustls_error = error
                .get_ref()
                .and_then(|e| e.downcast_ref::<rustls::Error>());
            let kind = match rustls_error {
                Some(rustls::Error::InvalidCertificate(e)) => match &presented {
                    Some(p) => classify(e, p),
                    None => TlsErrorKind::Rejected(e.to_string()),
                },
                Some(rustls::Error::AlertReceived(alert)) => {
                    TlsErrorKind::Handshake(alert_words(*alert))
                }
                Some(rustls::Error::PeerIncompatible(_)) => TlsErrorKind::Handshake(
                    "the server and this client have no TLS version, cipher suite or \
                     signature scheme in common"
                        .into(),
                ),
                Some(rustls::Error::InvalidMessage(_)) if received.is_empty() => {
                    TlsErrorKind::NotTls { received: None }
                }
                Some(other) => TlsErrorKind::Handshake(other.to_string()),
                None => TlsErrorKind::Handshake(io_words(error)),
            };
            with(kind)
        }
    }

    fn io_words(error: &std::io::Error) -> String {
        use std::io::ErrorKind;
        match error.kind() {
            ErrorKind::UnexpectedEof
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted => {
                "the server closed the connection during the handshake (is this its TLS port?)"
                    .into()
            }
            ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                "no answer to the TLS handshake in time (is this its TLS port?)".into()
            }
            _ => error.to_string(),
        }
    }

    fn alert_words(alert: rustls::AlertDescription) -> String {
        use rustls::AlertDescription as A;
        let why = match alert {
            A::HandshakeFailure => "it accepts none of this client's TLS parameters",
            A::ProtocolVersion => "it accepts none of this client's TLS versions (1.2, 1.3)",
            A::UnrecognisedName => "it does not know the host name asked for",
            A::CertificateRequired => "it requires a client certificate",
            A::InternalError => "it had an internal error",
            _ => "it sent a fatal TLS alert",
        };
        format!(
            "the server refused the handshake: {why} (alert {})",
            u8::from(alert)
        )
    }
}
