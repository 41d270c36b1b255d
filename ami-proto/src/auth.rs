//! MD5 challenge login: the key both sides compute.

use md5::{Digest, Md5};

/// The `Key` of an MD5 login: the lowercase hex MD5 of the challenge
/// followed by the secret. A client sends it; a test server checks it.
///
/// ```
/// // From a real Asterisk 22 exchange (capture 04).
/// assert_eq!(
///     ami_proto::md5_key(b"205883911", b"amp111"),
///     "b5690284deaa1036140f53d2aae2d859"
/// );
/// ```
#[must_use]
pub fn md5_key(challenge: &[u8], secret: &[u8]) -> String {
    let digest = Md5::new()
        .chain_update(challenge)
        .chain_update(secret)
        .finalize();
    let mut hex = String::with_capacity(32);
    for byte in digest {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";
