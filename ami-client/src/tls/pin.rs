//! A certificate's SHA-256 fingerprint: what a pin (`?pin=sha256:…`,
//! `--tls-pin`) names, and what errors report.

use std::fmt;
use std::str::FromStr;

/// The SHA-256 digest of a certificate's DER bytes: what
/// `openssl x509 -noout -fingerprint -sha256` prints.
///
/// Parsed from `sha256:` followed by 64 hex digits, in any case, with or
/// without colons between them; displayed as `sha256:` and colon-separated
/// uppercase pairs, which parses back.
///
/// ```
/// use ami_client::tls::Fingerprint;
///
/// let openssl = "sha256:FD:AE:72:5B:44:CB:ED:E6:ED:2A:13:18:4E:4F:61:08:\
///                1E:A0:67:73:1D:AF:6A:01:FE:8E:AF:BD:1D:A0:48:57";
/// let pin: Fingerprint = openssl.parse()?;
/// let bare: Fingerprint =
///     "SHA256:fdae725b44cbede6ed2a13184e4f61081ea067731daf6a01fe8eafbd1da04857".parse()?;
/// assert_eq!(pin, bare);
/// assert_eq!(pin.to_string(), openssl);
/// assert_eq!(&pin.colon_hex()[..8], "FD:AE:72");
/// assert!("sha256:fdae".parse::<Fingerprint>().is_err());
/// # Ok::<(), ami_client::tls::PinError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// A fingerprint from its 32 digest bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The SHA-256 fingerprint of a DER certificate.
    ///
    /// ```
    /// use ami_client::tls::Fingerprint;
    /// // SHA-256 of no bytes at all.
    /// assert!(Fingerprint::of_der(b"").colon_hex().starts_with("E3:B0:C4:42"));
    /// ```
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn of_der(der: &[u8]) -> Self {
        use sha2::Digest;
        Self(sha2::Sha256::digest(der).into())
    }

    /// The fingerprint of the first certificate in PEM text (a CA file, or
    /// Asterisk's `tlscertfile`), if it holds one.
    ///
    /// ```
    /// use ami_client::tls::Fingerprint;
    /// assert_eq!(Fingerprint::of_pem(b"no certificate"), None);
    /// ```
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn of_pem(pem: &[u8]) -> Option<Self> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let der = CertificateDer::pem_slice_iter(pem).next()?.ok()?;
        Some(Self::of_der(&der))
    }

    /// The digest bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Colon-separated uppercase hex pairs (`FD:AE:…`), as OpenSSL prints
    /// them.
    #[must_use]
    pub fn colon_hex(&self) -> String {
        let mut out = String::with_capacity(95);
        for (i, byte) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(':');
            }
            out.push_str(&format!("{byte:02X}"));
        }
        out
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.colon_hex())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// Why a pin could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    /// It does not start with `sha256:`.
    #[error(
        "a certificate pin starts with \"sha256:\" and then has the 64 hex digits of the \
         certificate's SHA-256 fingerprint (openssl x509 -noout -fingerprint -sha256)"
    )]
    Algorithm,
    /// A character other than a hex digit or a colon.
    #[error(
        "certificate pin: '{0}' is not a hex digit (only 0-9, a-f and colons may follow \"sha256:\")"
    )]
    NotHex(char),
    /// Not 64 hex digits.
    #[error("certificate pin: a SHA-256 fingerprint has 64 hex digits, this one has {0}")]
    Length(usize),
}

impl FromStr for Fingerprint {
    type Err = PinError;

    fn from_str(text: &str) -> Result<Self, PinError> {
        let text = text.trim();
        let hex = match text.get(..7) {
            Some(prefix) if prefix.eq_ignore_ascii_case("sha256:") => &text[7..],
            _ => return Err(PinError::Algorithm),
        };
        let mut digits = Vec::with_capacity(64);
        for c in hex.chars().filter(|&c| c != ':') {
            let digit = c.to_digit(16).ok_or(PinError::NotHex(c))?;
            // A hex digit is below 16, so it fits a byte.
            digits.push(digit as u8);
        }
        if digits.len() != 64 {
            return Err(PinError::Length(digits.len()));
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = (pair[0] << 4) | pair[1];
        }
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "fdae725b44cbede6ed2a13184e4f61081ea067731daf6a01fe8eafbd1da04857";

    #[test]
    fn accepted_forms() {
        let want: Fingerprint = format!("sha256:{HEX}").parse().unwrap();
        let colons: String = HEX
            .as_bytes()
            .chunks(2)
            .map(|p| std::str::from_utf8(p).unwrap())
            .collect::<Vec<_>>()
            .join(":");
        for text in [
            format!("sha256:{}", HEX.to_uppercase()),
            format!("SHA256:{colons}"),
            format!("sha256:{}", colons.to_uppercase()),
            format!("  sha256:{HEX}\n"),
        ] {
            assert_eq!(text.parse::<Fingerprint>(), Ok(want), "{text}");
        }
        assert_eq!(want.to_string().parse::<Fingerprint>(), Ok(want));
        assert_eq!(want.as_bytes()[0], 0xfd);
    }

    #[test]
    fn refused_forms() {
        let cases: [(&str, PinError); 6] = [
            (HEX, PinError::Algorithm),
            ("sha1:ab", PinError::Algorithm),
            ("", PinError::Algorithm),
            ("sha256:", PinError::Length(0)),
            ("sha256:abcg", PinError::NotHex('g')),
            ("sha256:ab cd", PinError::NotHex(' ')),
        ];
        for (text, error) in cases {
            assert_eq!(text.parse::<Fingerprint>(), Err(error), "{text}");
        }
        assert_eq!(
            format!("sha256:{HEX}00").parse::<Fingerprint>(),
            Err(PinError::Length(66))
        );
        assert_eq!(
            format!("sha256:{}", &HEX[1..]).parse::<Fingerprint>(),
            Err(PinError::Length(63))
        );
    }

    #[cfg(feature = "rustls")]
    #[test]
    fn known_answer() {
        assert_eq!(
            Fingerprint::of_der(b"abc").to_string(),
            "sha256:BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:\
             B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
    }
}
