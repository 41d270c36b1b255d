//! TLS: the server's certificate made at start with rcgen (signed by a CA
//! made with it, or self-signed as most Asterisk installs have), and a
//! rustls (ring provider) session shared by a reader and a writer thread.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex, MutexGuard};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection};

/// Which certificate a TLS server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Certificate {
    /// A certificate for `localhost`, `127.0.0.1` and `::1` (subject
    /// alternative names), signed by a CA made at start; clients trust the
    /// CA. What [`Builder::tls`](crate::Builder::tls) serves.
    #[default]
    CaSigned,
    /// One self-signed `CA:TRUE` certificate with `CN=localhost` and no
    /// subject alternative names, as `openssl req -x509 -subj /CN=localhost`
    /// makes: what most Asterisk installs have. Clients trust the
    /// certificate itself.
    SelfSignedCa,
    /// The same, expired: valid from 2020-01-01 to 2021-01-01.
    ExpiredSelfSignedCa,
}

/// The server's TLS identity.
#[derive(Debug)]
pub(crate) struct Identity {
    pub(crate) config: Arc<ServerConfig>,
    /// The CA certificate clients trust, PEM.
    pub(crate) ca_pem: String,
    /// The same, DER.
    pub(crate) ca_der: CertificateDer<'static>,
    /// The certificate the server presents, DER.
    pub(crate) leaf_der: CertificateDer<'static>,
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::other(e)
}

/// Makes the server's certificate (and its CA).
pub(crate) fn identity(certificate: Certificate) -> io::Result<Identity> {
    match certificate {
        Certificate::CaSigned => ca_signed(),
        Certificate::SelfSignedCa => self_signed_ca(false),
        Certificate::ExpiredSelfSignedCa => self_signed_ca(true),
    }
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: &KeyPair,
) -> io::Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(other)?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(other)?;
    Ok(Arc::new(config))
}

/// A self-signed `CA:TRUE` certificate, `CN=localhost`, no subject
/// alternative names (what `openssl req -x509` makes).
fn self_signed_ca(expired: bool) -> io::Result<Identity> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(other)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().map_err(other)?;
    let cert = params.self_signed(&key).map_err(other)?;
    Ok(Identity {
        config: server_config(vec![cert.der().clone()], &key)?,
        ca_pem: cert.pem(),
        ca_der: cert.der().clone(),
        leaf_der: cert.der().clone(),
    })
}

/// A CA and a certificate for `localhost`, `127.0.0.1` and `::1` signed by
/// it.
fn ca_signed() -> io::Result<Identity> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(other)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ami-testkit CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(other)?)
        .map_err(other)?;

    let names = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    let mut params = CertificateParams::new(names).map_err(other)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(other)?;
    let cert = params.signed_by(&key, &ca).map_err(other)?;

    Ok(Identity {
        config: server_config(vec![cert.der().clone(), ca.der().clone()], &key)?,
        ca_pem: ca.pem(),
        ca_der: ca.der().clone(),
        leaf_der: cert.der().clone(),
    })
}

/// A rustls server session over a socket, usable from two threads: the
/// reader feeds ciphertext in, the writer pushes plaintext out; every
/// ciphertext write to the socket is serialised by `write_lock`.
#[derive(Debug)]
pub(crate) struct TlsTransport {
    socket: TcpStream,
    conn: Mutex<ServerConnection>,
    write_lock: Mutex<()>,
    /// Ciphertext read from the socket, not yet taken by rustls.
    incoming: Mutex<Vec<u8>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl TlsTransport {
    pub(crate) fn new(socket: TcpStream, config: Arc<ServerConfig>) -> io::Result<Self> {
        let mut conn = ServerConnection::new(config).map_err(other)?;
        // Plaintext written before the handshake ends (the banner) waits.
        conn.set_buffer_limit(None);
        Ok(Self {
            socket,
            conn: Mutex::new(conn),
            write_lock: Mutex::new(()),
            incoming: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn socket(&self) -> &TcpStream {
        &self.socket
    }

    /// Writes whatever ciphertext rustls has ready.
    fn flush(&self) -> io::Result<()> {
        let _serial = lock(&self.write_lock);
        let mut out = Vec::new();
        {
            let mut conn = lock(&self.conn);
            while conn.wants_write() {
                conn.write_tls(&mut out)?;
            }
        }
        (&self.socket).write_all(&out)
    }

    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut incoming = lock(&self.incoming);
        let mut raw = [0u8; 16 * 1024];
        loop {
            let result = {
                let mut conn = lock(&self.conn);
                while !incoming.is_empty() {
                    let mut rd = &incoming[..];
                    let Ok(n) = conn.read_tls(&mut rd) else {
                        // Its plaintext buffer is full: read that first.
                        break;
                    };
                    incoming.drain(..n);
                    if let Err(e) = conn.process_new_packets() {
                        drop(conn);
                        let _ = self.flush();
                        return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                    }
                    if n == 0 {
                        break;
                    }
                }
                (conn.reader().read(buf), conn.wants_write())
            };
            let (result, wants_write) = result;
            if wants_write {
                self.flush()?;
            }
            match result {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            let n = (&self.socket).read(&mut raw)?;
            if n == 0 {
                return Ok(0);
            }
            incoming.extend_from_slice(&raw[..n]);
        }
    }

    pub(crate) fn write_all(&self, data: &[u8]) -> io::Result<()> {
        let _serial = lock(&self.write_lock);
        let mut out = Vec::new();
        {
            let mut conn = lock(&self.conn);
            conn.writer().write_all(data)?;
            while conn.wants_write() {
                conn.write_tls(&mut out)?;
            }
        }
        (&self.socket).write_all(&out)
    }

    pub(crate) fn close_notify(&self) {
        lock(&self.conn).send_close_notify();
        let _ = self.flush();
    }
}
