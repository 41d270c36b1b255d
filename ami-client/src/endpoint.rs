//! Where to connect: `tcp://user:secret@host:5038` and its variants, parsed
//! once here for every adapter and the CLI.

use std::fmt;
use std::str::FromStr;

use crate::tls::{Fingerprint, PinError};
use ami_proto::{AuthMethod, EventMask, Login, Secret};

/// The transport an [`Endpoint`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Plain TCP (`tcp://`, default port 5038).
    Tcp,
    /// TLS (`tls://` or `ssl://`, default port 5039).
    Tls,
}

impl Transport {
    /// Asterisk's default port for this transport.
    #[must_use]
    pub fn default_port(self) -> u16 {
        match self {
            Self::Tcp => 5038,
            Self::Tls => 5039,
        }
    }
}

/// A parsed AMI address.
///
/// Accepted forms: `tcp://user:secret@host:port`, `tls://…` (`ssl://` too),
/// `user:secret@host`, `host:port`, `host`. The user and secret are
/// percent-decoded. Query options: `auth=md5` (challenge login),
/// `events=on|off|<mask>`, and for `tls://` `pin=sha256:<hex>` (the
/// server's certificate must have this SHA-256 fingerprint; see
/// [`Fingerprint`]).
///
/// ```
/// use ami_proto::{AuthMethod, EventMask};
/// use ami_client::{Endpoint, Transport};
///
/// let e: Endpoint = "tls://admin:p%40ss@pbx.example:5039?auth=md5&events=call,user".parse().unwrap();
/// assert_eq!(e.transport, Transport::Tls);
/// assert_eq!((e.host.as_str(), e.port), ("pbx.example", 5039));
/// let login = e.login.as_ref().unwrap();
/// assert_eq!((login.username.as_str(), login.secret.expose()), ("admin", "p@ss"));
/// assert_eq!(login.auth, AuthMethod::Md5);
/// assert_eq!(e.events, Some(EventMask::Mask("call,user".into())));
/// assert!(!format!("{e:?}").contains("p@ss"));
///
/// let pinned: Endpoint = "tls://pbx?pin=sha256:fd:ae:72:5b:44:cb:ed:e6:ed:2a:13:18:4e:4f:61:08:\
///     1e:a0:67:73:1d:af:6a:01:fe:8e:af:bd:1d:a0:48:57".parse().unwrap();
/// assert!(pinned.pin.unwrap().to_string().starts_with("sha256:FD:AE:72"));
/// assert!("tls://pbx?pin=sha256:fdae".parse::<Endpoint>().is_err());
///
/// let bare: Endpoint = "127.0.0.1".parse().unwrap();
/// assert_eq!((bare.transport, bare.port, bare.login), (Transport::Tcp, 5038, None));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// TCP or TLS.
    pub transport: Transport,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Credentials, when the address carried a user.
    pub login: Option<Login>,
    /// The `events=` option, when given.
    pub events: Option<EventMask>,
    /// The `pin=` option, when given: the SHA-256 fingerprint the server's
    /// certificate must have.
    pub pin: Option<Fingerprint>,
}

impl Endpoint {
    /// Parses an address; see the type's docs for the forms.
    pub fn parse(text: &str) -> Result<Self, EndpointError> {
        let text = text.trim();
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("tcp://{text}")
        };
        let url =
            url::Url::parse(&with_scheme).map_err(|e| EndpointError::Invalid(e.to_string()))?;
        let transport = match url.scheme() {
            "tcp" | "ami" => Transport::Tcp,
            "tls" | "ssl" | "amis" => Transport::Tls,
            other => return Err(EndpointError::Scheme(other.to_owned())),
        };
        let host = match url.host() {
            Some(url::Host::Ipv6(addr)) => addr.to_string(),
            Some(host) => host.to_string(),
            None => return Err(EndpointError::Invalid("no host".into())),
        };
        if !matches!(url.path(), "" | "/") {
            return Err(EndpointError::Invalid(format!(
                "unexpected path {:?}",
                url.path()
            )));
        }
        let port = url.port().unwrap_or(transport.default_port());
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| EndpointError::Invalid("user or secret is not UTF-8".into()))
        };
        let mut login = if url.username().is_empty() {
            None
        } else {
            let secret = decode(url.password().unwrap_or(""))?;
            Some(Login::new(decode(url.username())?, Secret::new(secret)))
        };
        let mut events = None;
        let mut pin = None;
        for (key, value) in url.query_pairs() {
            match (&*key, &*value) {
                ("auth", "md5") => match &mut login {
                    Some(login) => login.auth = AuthMethod::Md5,
                    None => return Err(EndpointError::Invalid("auth=md5 without a user".into())),
                },
                ("auth", "plain" | "plaintext") => {}
                ("events", "on") => events = Some(EventMask::On),
                ("events", "off") => events = Some(EventMask::Off),
                ("events", mask) => events = Some(EventMask::Mask(mask.to_owned())),
                ("pin", value) => pin = Some(value.parse().map_err(EndpointError::Pin)?),
                (key, _) => return Err(EndpointError::Option(key.to_owned())),
            }
        }
        if pin.is_some() && transport != Transport::Tls {
            return Err(EndpointError::Invalid(
                "pin= is for tls:// addresses (a certificate pin needs TLS)".into(),
            ));
        }
        Ok(Self {
            transport,
            host,
            port,
            login,
            events,
            pin,
        })
    }

    /// `host:port`, with brackets around an IPv6 address, for
    /// `ToSocketAddrs`.
    #[must_use]
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("transport", &self.transport)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("login", &self.login)
            .field("events", &self.events)
            .field("pin", &self.pin)
            .finish()
    }
}

impl fmt::Display for Endpoint {
    /// The address without the secret: `tcp://admin@host:5038`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.transport {
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        };
        write!(f, "{scheme}://")?;
        if let Some(login) = &self.login {
            write!(f, "{}@", login.username)?;
        }
        f.write_str(&self.authority())
    }
}

/// Why an address could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// Not an address at all.
    #[error("invalid AMI address: {0}")]
    Invalid(String),
    /// A scheme other than tcp, tls or ssl.
    #[error("unknown scheme {0:?} (use tcp:// or tls://)")]
    Scheme(String),
    /// An unknown query option.
    #[error("unknown option \"{0}\" (known: auth=md5, events=on|off|<mask>, pin=sha256:<hex>)")]
    Option(String),
    /// A `pin=` option that is no SHA-256 fingerprint.
    #[error("invalid pin= option: {0}")]
    Pin(PinError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let cases = [
            (
                "tcp://admin:amp111@127.0.0.1:5038",
                Transport::Tcp,
                "127.0.0.1",
                5038,
                Some("admin"),
            ),
            (
                "admin:amp111@localhost",
                Transport::Tcp,
                "localhost",
                5038,
                Some("admin"),
            ),
            ("localhost:6000", Transport::Tcp, "localhost", 6000, None),
            ("ssl://u:s@pbx", Transport::Tls, "pbx", 5039, Some("u")),
            ("tls://[::1]:5039", Transport::Tls, "::1", 5039, None),
        ];
        for (text, transport, host, port, user) in cases {
            let e = Endpoint::parse(text).unwrap();
            assert_eq!(e.transport, transport, "{text}");
            assert_eq!(e.host, host, "{text}");
            assert_eq!(e.port, port, "{text}");
            assert_eq!(
                e.login.as_ref().map(|l| l.username.as_str()),
                user,
                "{text}"
            );
        }
        assert_eq!(
            Endpoint::parse("tls://[::1]:5039").unwrap().authority(),
            "[::1]:5039"
        );
    }

    #[test]
    fn refusals() {
        assert!(matches!(
            Endpoint::parse("http://x"),
            Err(EndpointError::Scheme(_))
        ));
        assert!(matches!(
            Endpoint::parse("tcp://x?foo=1"),
            Err(EndpointError::Option(_))
        ));
        assert!(matches!(
            Endpoint::parse("tcp://x?auth=md5"),
            Err(EndpointError::Invalid(_))
        ));
        assert!(matches!(
            Endpoint::parse("tcp://x/path"),
            Err(EndpointError::Invalid(_))
        ));
        assert!(Endpoint::parse("tcp://:99999").is_err());
        assert!(matches!(
            Endpoint::parse("tls://x?pin=abcd"),
            Err(EndpointError::Pin(PinError::Algorithm))
        ));
        assert!(matches!(
            Endpoint::parse("tls://x?pin=sha256:abcd"),
            Err(EndpointError::Pin(PinError::Length(4)))
        ));
        let pin = format!("sha256:{}", "ab".repeat(32));
        assert!(matches!(
            Endpoint::parse(&format!("tcp://x?pin={pin}")),
            Err(EndpointError::Invalid(_))
        ));
        let e = Endpoint::parse(&format!("tls://x?pin={pin}")).unwrap();
        assert_eq!(e.pin, Some(pin.parse().unwrap()));
    }

    #[test]
    fn display_hides_the_secret() {
        let e = Endpoint::parse("tcp://admin:amp111@h:1").unwrap();
        assert_eq!(e.to_string(), "tcp://admin@h:1");
    }
}
