//! JA4, the TLS client fingerprint of FoxIO (BSD-3-Clause), computed from a parsed ClientHello as
//! the specification describes: <https://github.com/FoxIO-LLC/ja4/blob/main/technical_details/JA4.md>.
//! Only JA4 (and its raw form JA4_r) is implemented; the other JA4+ fingerprints are under a
//! restrictive licence.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The ClientHello fields JA4 is computed from, in wire order.
#[derive(Clone, Copy, Debug)]
pub struct Ja4Input<'a> {
    /// `'t'` for TLS over TCP, `'q'` for QUIC, `'d'` for DTLS.
    pub protocol: char,
    /// The highest version offered: the highest non-GREASE `supported_versions` entry when that
    /// extension is present, else the legacy ClientHello version.
    pub version: u16,
    /// Whether the server_name extension is present.
    pub has_sni: bool,
    pub ciphers: &'a [u16],
    /// Extension types in the order sent (GREASE included; it is removed here).
    pub extensions: &'a [u16],
    /// The first ALPN protocol value, raw.
    pub first_alpn: Option<&'a [u8]>,
    /// The signature_algorithms values in the order sent.
    pub signature_algorithms: &'a [u16],
}

/// GREASE values (RFC 8701): 0x0a0a, 0x1a1a, … 0xfafa.
pub fn is_grease(value: u16) -> bool {
    value & 0x0f0f == 0x0a0a && value >> 8 == value & 0xff
}

fn version_code(version: u16) -> &'static str {
    match version {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0200 => "s2",
        0x0100 => "s1",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// First and last character of the first ALPN value; when either end is not ASCII alphanumeric,
/// the first and last characters of the value's hex form instead; "00" without ALPN.
fn alpn_code(alpn: Option<&[u8]>) -> String {
    let Some(value) = alpn else {
        return "00".to_owned();
    };
    match (value.first(), value.last()) {
        (Some(&first), Some(&last))
            if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() =>
        {
            format!("{}{}", first as char, last as char)
        }
        (Some(&first), Some(&last)) => {
            let nibble = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
            format!("{}{}", nibble(first >> 4), nibble(last & 0x0f))
        }
        _ => "00".to_owned(),
    }
}

fn hex_list(values: &[u16]) -> String {
    let mut out = String::with_capacity(values.len() * 5);
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{v:04x}");
    }
    out
}

fn truncated_sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = hex::encode(digest);
    out.truncate(12);
    out
}

/// The three parts before hashing: the `a` prefix, the sorted cipher list, and the sorted extension
/// list (without SNI and ALPN) joined with the signature algorithms.
fn parts(input: &Ja4Input<'_>) -> (String, String, String) {
    let mut ciphers: Vec<u16> = input
        .ciphers
        .iter()
        .copied()
        .filter(|c| !is_grease(*c))
        .collect();
    let extensions: Vec<u16> = input
        .extensions
        .iter()
        .copied()
        .filter(|e| !is_grease(*e))
        .collect();
    let a = format!(
        "{}{}{}{:02}{:02}{}",
        input.protocol,
        version_code(input.version),
        if input.has_sni { 'd' } else { 'i' },
        ciphers.len().min(99),
        extensions.len().min(99),
        alpn_code(input.first_alpn),
    );
    ciphers.sort_unstable();
    let mut hashed_extensions: Vec<u16> = extensions
        .into_iter()
        .filter(|e| *e != 0x0000 && *e != 0x0010)
        .collect();
    hashed_extensions.sort_unstable();
    let signature_algorithms: Vec<u16> = input
        .signature_algorithms
        .iter()
        .copied()
        .filter(|s| !is_grease(*s))
        .collect();
    let mut c = hex_list(&hashed_extensions);
    if !signature_algorithms.is_empty() {
        c.push('_');
        c.push_str(&hex_list(&signature_algorithms));
    }
    (a, hex_list(&ciphers), c)
}

/// JA4: `a_b_c` with `b` and `c` the first 12 hex digits of SHA-256 of the cipher list and of the
/// extension + signature-algorithm list ("000000000000" when the list is empty).
pub fn ja4(input: &Ja4Input<'_>) -> String {
    let (a, ciphers, extensions) = parts(input);
    let hash = |s: &str| {
        if s.is_empty() {
            "000000000000".to_owned()
        } else {
            truncated_sha256(s)
        }
    };
    format!("{a}_{}_{}", hash(&ciphers), hash(&extensions))
}

/// JA4_r: the same fields unhashed (useful to see why two fingerprints differ).
pub fn ja4_r(input: &Ja4Input<'_>) -> String {
    let (a, ciphers, extensions) = parts(input);
    format!("{a}_{ciphers}_{extensions}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values() {
        assert!(is_grease(0x0a0a));
        assert!(is_grease(0xfafa));
        assert!(!is_grease(0x0a1a));
        assert!(!is_grease(0x1301));
    }

    #[test]
    fn alpn_codes() {
        assert_eq!(alpn_code(None), "00");
        assert_eq!(alpn_code(Some(b"")), "00");
        assert_eq!(alpn_code(Some(b"h2")), "h2");
        assert_eq!(alpn_code(Some(b"http/1.1")), "h1");
        assert_eq!(alpn_code(Some(b"h")), "hh");
        assert_eq!(alpn_code(Some(&[0xab, 0xcd])), "ad");
        assert_eq!(alpn_code(Some(&[b'h', 0x99])), "69");
    }

    #[test]
    fn empty_lists_hash_to_zeros() {
        let input = Ja4Input {
            protocol: 'q',
            version: 0x0304,
            has_sni: false,
            ciphers: &[],
            extensions: &[],
            first_alpn: None,
            signature_algorithms: &[],
        };
        assert_eq!(ja4(&input), "q13i000000_000000000000_000000000000");
    }
}
