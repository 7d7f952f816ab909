//! One source's answer in the compact form the lookup path works with, borrowed from the loaded
//! data; turned into the model's `SourceAnswer` (owned strings) only when a `Destination` is
//! built.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// A network prefix: the range an answer holds for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    pub address: IpAddr,
    pub prefix: u8,
}

impl Network {
    /// The network of `prefix` bits around `address`.
    #[inline]
    pub fn around(address: IpAddr, prefix: u8) -> Network {
        let address = match address {
            IpAddr::V4(v4) => {
                let keep = u32::MAX.checked_shl(32u32.saturating_sub(u32::from(prefix)));
                IpAddr::V4(Ipv4Addr::from(u32::from(v4) & keep.unwrap_or(0)))
            }
            IpAddr::V6(v6) => {
                let keep = u128::MAX.checked_shl(128u32.saturating_sub(u32::from(prefix)));
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & keep.unwrap_or(0)))
            }
        };
        Network { address, prefix }
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// The data of one record: shared by every address the record covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordData {
    pub country: Option<[u8; 2]>,
    pub asn: Option<u32>,
    pub organisation: Option<Arc<str>>,
}

/// What one source says about one address (all empty: the source does not say). The
/// organisation is borrowed from the loaded data; only a record decoded on demand (a database
/// with more distinct records than are decoded at load) owns it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer<'a> {
    pub country: Option<[u8; 2]>,
    pub asn: Option<u32>,
    pub organisation: Option<Cow<'a, str>>,
    pub network: Option<Network>,
}

impl<'a> Answer<'a> {
    /// The answer of `data` for `network`.
    pub fn of(data: &'a RecordData, network: Network) -> Answer<'a> {
        Answer {
            country: data.country,
            asn: data.asn,
            organisation: data.organisation.as_deref().map(Cow::Borrowed),
            network: Some(network),
        }
    }

    /// The country as text (two upper-case ASCII letters).
    pub fn country_str(&self) -> Option<&str> {
        self.country
            .as_ref()
            .and_then(|c| std::str::from_utf8(c).ok())
    }
}

/// The largest prefix that contains `addr` and lies inside `[start, end]`, in a space of `bits`
/// bits (32 for IPv4, 128 for IPv6). A CSV range is not always one prefix; this is the one that
/// the answer for `addr` certainly holds for.
pub fn enclosing_prefix(addr: u128, start: u128, end: u128, bits: u32) -> (u128, u8) {
    let space = if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    for prefix in 0..=bits {
        let host_bits = bits - prefix;
        let host = if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        } & space;
        let block_start = addr & !host & space;
        let block_end = block_start | host;
        if block_start >= start && block_end <= end {
            return (block_start, prefix as u8);
        }
    }
    (addr, bits as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_around_an_address() {
        let at = |a: &str, p| Network::around(a.parse().unwrap(), p).to_string();
        assert_eq!(at("77.74.181.1", 21), "77.74.176.0/21");
        assert_eq!(at("77.74.181.1", 0), "0.0.0.0/0");
        assert_eq!(at("77.74.181.1", 32), "77.74.181.1/32");
        assert_eq!(at("2a03:2480:8::1", 29), "2a03:2480::/29");
        assert_eq!(at("2a03:2480:8::1", 128), "2a03:2480:8::1/128");
        assert_eq!(at("2a03:2480:8::1", 0), "::/0");
    }

    #[test]
    fn enclosing_prefix_of_ranges() {
        // 77.74.176.0 - 77.74.183.255 is exactly a /21.
        let start = u128::from(u32::from_be_bytes([77, 74, 176, 0]));
        let end = u128::from(u32::from_be_bytes([77, 74, 183, 255]));
        let addr = u128::from(u32::from_be_bytes([77, 74, 181, 1]));
        assert_eq!(enclosing_prefix(addr, start, end, 32), (start, 21));
        // 1.0.0.0 - 1.0.2.255 is a /23 plus a /24: 1.0.2.7 gets the /24.
        let start = u128::from(u32::from_be_bytes([1, 0, 0, 0]));
        let end = u128::from(u32::from_be_bytes([1, 0, 2, 255]));
        let addr = u128::from(u32::from_be_bytes([1, 0, 2, 7]));
        assert_eq!(
            enclosing_prefix(addr, start, end, 32),
            (u128::from(u32::from_be_bytes([1, 0, 2, 0])), 24)
        );
        assert_eq!(enclosing_prefix(5, 0, u128::MAX, 128), (0, 0));
        assert_eq!(enclosing_prefix(5, 5, 5, 128), (5, 128));
    }
}
