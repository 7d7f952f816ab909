//! Address ranges in CIDR notation, parsed without allocation and tested by masking.

use std::net::IpAddr;

/// An IPv4 or IPv6 prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cidr {
    address: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x::y/n`; the error says what is wrong.
    pub(crate) fn parse(text: &str) -> Result<Cidr, String> {
        let (addr, prefix) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} has no /prefix length"))?;
        let address: IpAddr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an IP address"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| format!("{prefix:?} is not a prefix length"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(format!("prefix length {prefix} exceeds {max}"));
        }
        let cidr = Cidr { address, prefix };
        if cidr.network_bits(address) != bits(address) {
            return Err(format!("{text:?} has host bits set"));
        }
        Ok(cidr)
    }

    pub(crate) fn prefix(&self) -> u8 {
        self.prefix
    }

    pub(crate) fn contains(&self, address: IpAddr) -> bool {
        address.is_ipv4() == self.address.is_ipv4()
            && self.network_bits(address) == bits(self.address)
    }

    fn network_bits(&self, address: IpAddr) -> u128 {
        let width: u32 = if address.is_ipv4() { 32 } else { 128 };
        let host_bits = width.saturating_sub(u32::from(self.prefix));
        let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
        bits(address) & mask
    }
}

fn bits(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("bad test address {s}"))
    }

    #[test]
    fn v4_and_v6_prefixes_contain_their_addresses_only() {
        let k = Cidr::parse("77.74.176.0/21").unwrap_or_else(|e| panic!("{e}"));
        assert!(k.contains(ip("77.74.181.1")));
        assert!(k.contains(ip("77.74.183.255")));
        assert!(!k.contains(ip("77.74.184.0")));
        assert!(!k.contains(ip("::ffff:77.74.181.1")));
        let v6 = Cidr::parse("2a03:2480::/32").unwrap_or_else(|e| panic!("{e}"));
        assert!(v6.contains(ip("2a03:2480:8::1")));
        assert!(!v6.contains(ip("2a03:2481::1")));
        let all = Cidr::parse("0.0.0.0/0").unwrap_or_else(|e| panic!("{e}"));
        assert!(all.contains(ip("8.8.8.8")));
        assert_eq!(all.prefix(), 0);
    }

    #[test]
    fn malformed_ranges_are_refused_with_a_reason() {
        assert!(
            Cidr::parse("77.74.176.0")
                .unwrap_err()
                .contains("no /prefix")
        );
        assert!(
            Cidr::parse("77.74.176.1/21")
                .unwrap_err()
                .contains("host bits")
        );
        assert!(
            Cidr::parse("77.74.176.0/33")
                .unwrap_err()
                .contains("exceeds 32")
        );
        assert!(
            Cidr::parse("kaspersky/8")
                .unwrap_err()
                .contains("not an IP")
        );
        assert!(Cidr::parse("::/129").is_err());
    }
}
