//! Reading a presented certificate (x509-parser) for error messages, and
//! the checks that still apply to a certificate trusted byte for byte:
//! its validity period and its names.

use std::net::IpAddr;

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;
use x509_parser::time::ASN1Time;

use super::{Fingerprint, PresentedCertificate, TlsErrorKind};

/// A Unix time in the style of certificate dates (`Dec  6 18:50:30 2026
/// +00:00`).
pub(crate) fn format_time(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|secs| ASN1Time::from_timestamp(secs).ok())
        .map_or_else(|| format!("{secs} seconds after 1970"), |t| t.to_string())
}

/// The names a certificate is for: DNS names and IP addresses of its
/// subject alternative names, else its common names.
fn names(cert: &X509Certificate<'_>) -> (Vec<String>, bool) {
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        let names = san
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => ip_of(bytes).map(|ip| ip.to_string()),
                _ => None,
            })
            .collect();
        return (names, true);
    }
    (common_names(cert), false)
}

fn common_names(cert: &X509Certificate<'_>) -> Vec<String> {
    cert.subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok().map(str::to_owned))
        .collect()
}

fn ip_of(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// What an error says about a presented certificate.
pub(crate) fn describe(der: &[u8]) -> PresentedCertificate {
    let fingerprint = Fingerprint::of_der(der);
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return PresentedCertificate::unparsed(fingerprint);
    };
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    let self_signed = cert.subject().as_raw() == cert.issuer().as_raw();
    PresentedCertificate {
        subject: if subject.is_empty() {
            "(empty)".into()
        } else {
            subject
        },
        issuer,
        names: names(&cert).0,
        not_before: cert.validity().not_before.to_string(),
        not_after: cert.validity().not_after.to_string(),
        fingerprint,
        self_signed,
    }
}

/// The checks for a certificate trusted as it is (found byte for byte in
/// the CA file): within its validity period at `now`, and for `name`. A
/// certificate without subject alternative names is matched on its common
/// name, as OpenSSL does: `openssl req -x509 -subj /CN=host` makes such
/// certificates, and Asterisk installs use them.
pub(crate) fn check_exact(
    der: &CertificateDer<'_>,
    name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), TlsErrorKind> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|_| TlsErrorKind::Rejected("it is not a well-formed X.509 certificate".into()))?;
    let validity = cert.validity();
    let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if now_secs < validity.not_before.timestamp() {
        return Err(TlsErrorKind::NotYetValid {
            not_before: validity.not_before.to_string(),
            now: format_time(now.as_secs()),
        });
    }
    if now_secs > validity.not_after.timestamp() {
        return Err(TlsErrorKind::Expired {
            not_after: validity.not_after.to_string(),
            now: format_time(now.as_secs()),
        });
    }
    let (names, from_san) = names(&cert);
    let matches = if from_san {
        webpki::EndEntityCert::try_from(der)
            .is_ok_and(|ee| ee.verify_is_valid_for_subject_name(name).is_ok())
    } else {
        let wanted = name.to_str();
        names.iter().any(|cn| common_name_matches(cn, &wanted))
    };
    if matches {
        Ok(())
    } else {
        Err(TlsErrorKind::NameMismatch {
            expected: name.to_str().into_owned(),
            names,
        })
    }
}

/// A common name names the host exactly (ignoring ASCII case and a final
/// dot); no wildcards.
fn common_name_matches(cn: &str, host: &str) -> bool {
    let trim = |s: &str| s.strip_suffix('.').unwrap_or(s).to_owned();
    match (cn.parse::<IpAddr>(), host.parse::<IpAddr>()) {
        (Ok(a), Ok(b)) => a == b,
        (Err(_), Err(_)) => trim(cn).eq_ignore_ascii_case(&trim(host)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names() {
        let cases = [
            ("localhost", "localhost", true),
            ("LocalHost", "localhost.", true),
            ("localhost", "127.0.0.1", false),
            ("127.0.0.1", "127.0.0.1", true),
            ("::1", "0:0::1", true),
            ("*.example", "pbx.example", false),
            ("pbx.example", "pbx.example.org", false),
        ];
        for (cn, host, want) in cases {
            assert_eq!(common_name_matches(cn, host), want, "{cn} {host}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(format_time(0), "Jan  1 00:00:00 1970 +00:00");
        assert_eq!(
            format_time(u64::MAX),
            "18446744073709551615 seconds after 1970"
        );
    }

    #[test]
    fn unreadable_certificates_keep_their_fingerprint() {
        let c = describe(b"not a certificate");
        assert_eq!(c.fingerprint, Fingerprint::of_der(b"not a certificate"));
        assert!(!c.self_signed);
    }
}
