//! Addresses as logs write them. Dotted-quad IPv4 (most addresses in most logs) is read straight
//! from the bytes; anything else goes through the standard library's parser, which the fast path
//! agrees with on every input it accepts (same octets, no leading zeros, at most 255).

use std::net::{IpAddr, Ipv4Addr};

pub(crate) fn parse_address(text: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = dotted_quad(text) {
        return Some(IpAddr::V4(v4));
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn dotted_quad(text: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split(|&b| b == b'.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || (part.len() > 1 && part.first() == Some(&b'0')) {
            return None;
        }
        let mut value: u16 = 0;
        for &b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u16::from(b - b'0');
        }
        *octet = u8::try_from(value).ok()?;
    }
    match parts.next() {
        None => Some(Ipv4Addr::from(octets)),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_standard_parser() {
        for text in [
            "10.20.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "1.2.3.4 ",
            "",
            "2001:db8::1",
            "2001:0db8:0000:0000:0000:0000:0000:0001",
            "::ffff:10.0.0.1",
            "fe80::1%eth0",
            "1.2.3.-4",
            "999.1.1.1",
            "1.2.3.04",
        ] {
            assert_eq!(
                parse_address(text.as_bytes()),
                text.parse::<IpAddr>().ok(),
                "{text:?}"
            );
        }
        assert_eq!(parse_address(b"\xff.1.1.1"), None);
    }
}
