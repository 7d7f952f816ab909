//! One entry of a system's `hosts`: an address, a CIDR range or a hostname.

use std::net::IpAddr;

/// A parsed host entry. An address is a range of full length, so `10.0.0.1` and `10.0.0.1/32`
/// are the same entry (and listing both in two systems is caught as a conflict).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HostPattern {
    Network(Network),
    /// Lower case, without a trailing dot.
    Name(String),
}

/// An address range: the address bits (IPv4 in the low 32 bits) masked to `len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Network {
    pub v6: bool,
    pub bits: u128,
    pub len: u8,
}

impl Network {
    pub fn max_len(v6: bool) -> u8 {
        if v6 { 128 } else { 32 }
    }

    /// The address bits of `address` masked to `len` (the key under which a range is stored).
    pub fn masked(address: IpAddr, len: u8) -> Network {
        let (v6, bits) = address_bits(address);
        Network {
            v6,
            bits: bits & mask(v6, len),
            len,
        }
    }
}

/// An IPv4-mapped IPv6 address is the IPv4 host it maps: captures show either form.
pub fn address_bits(address: IpAddr) -> (bool, u128) {
    match address {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => (false, u128::from(u32::from(v4))),
            None => (true, u128::from(v6)),
        },
    }
}

fn mask(v6: bool, len: u8) -> u128 {
    let width = u32::from(Network::max_len(v6));
    let len = u32::from(len).min(width);
    let full: u128 = if v6 { u128::MAX } else { u128::from(u32::MAX) };
    if len == 0 {
        0
    } else {
        full & !(full.checked_shr(len).unwrap_or(0))
    }
}

impl HostPattern {
    /// Parses an entry; the error says what is wrong in words a user can act on.
    pub fn parse(text: &str) -> Result<HostPattern, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("a host entry is empty".into());
        }
        if let Some((address, len)) = trimmed.split_once('/') {
            let address: IpAddr = address
                .parse()
                .map_err(|_| format!("`{trimmed}`: `{address}` is not an IP address"))?;
            let (v6, bits) = address_bits(address);
            let max = Network::max_len(v6);
            let len: u8 = len
                .parse()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| format!("`{trimmed}`: the prefix length must be 0 to {max}"))?;
            let network = Network::masked(address, len);
            if network.bits != bits {
                return Err(format!(
                    "`{trimmed}` has bits set after the prefix; the range is `{}/{len}`",
                    network_address(network)
                ));
            }
            return Ok(HostPattern::Network(network));
        }
        if let Ok(address) = trimmed.parse::<IpAddr>() {
            let (v6, _) = address_bits(address);
            return Ok(HostPattern::Network(Network::masked(
                address,
                Network::max_len(v6),
            )));
        }
        let name = normalise_name(trimmed);
        if is_hostname(&name) {
            Ok(HostPattern::Name(name))
        } else {
            Err(format!(
                "`{trimmed}` is not an IP address, a CIDR range or a hostname"
            ))
        }
    }
}

/// Hostnames compare case-insensitively and without the root's trailing dot.
pub fn normalise_name(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// RFC 1123 names (letters, digits, hyphens; labels of 1 to 63 characters not starting or ending
/// with a hyphen; 253 characters at most). Underscores are accepted because Windows host names
/// and service labels use them.
fn is_hostname(name: &str) -> bool {
    // An all-digit last label is a mistyped address (`10.0.0.300`), not a name.
    let numeric_tld = name
        .rsplit('.')
        .next()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    !name.is_empty()
        && !numeric_tld
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn network_address(network: Network) -> IpAddr {
    if network.v6 {
        IpAddr::V6(network.bits.into())
    } else {
        IpAddr::V4(u32::try_from(network.bits).unwrap_or(0).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_full_length_ranges() {
        assert_eq!(
            HostPattern::parse("10.0.0.1"),
            HostPattern::parse("10.0.0.1/32")
        );
        assert_eq!(
            HostPattern::parse("::ffff:10.0.0.1"),
            HostPattern::parse("10.0.0.1")
        );
        assert_eq!(
            HostPattern::parse("2001:db8::1"),
            HostPattern::parse("2001:db8::1/128")
        );
    }

    #[test]
    fn ranges_and_names() {
        assert!(matches!(
            HostPattern::parse("0.0.0.0/0"),
            Ok(HostPattern::Network(Network { len: 0, .. }))
        ));
        assert!(matches!(
            HostPattern::parse("2001:db8:20::/64"),
            Ok(HostPattern::Network(Network {
                v6: true,
                len: 64,
                ..
            }))
        ));
        assert_eq!(
            HostPattern::parse("PC-01.Corp.Example."),
            Ok(HostPattern::Name("pc-01.corp.example".into()))
        );
        let error = HostPattern::parse("10.20.0.5/24").unwrap_err();
        assert!(error.contains("10.20.0.0/24"), "{error}");
        assert!(HostPattern::parse("10.0.0.0/x").is_err());
        assert!(HostPattern::parse("pc..example").is_err());
        assert!(HostPattern::parse("10.0.0.300").is_err());
        assert!(HostPattern::parse(&"a".repeat(64)).is_err());
    }
}
