//! One source's answer in the compact form the lookup path works with; turned into the model's
//! `SourceAnswer` (owned strings) only once per distinct address.

use std::net::IpAddr;
use std::sync::Arc;

/// A network prefix: the range an answer holds for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    pub address: IpAddr,
    pub prefix: u8,
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

/// What one source says about one address (all empty: the source does not say).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub data: RecordData,
    pub network: Option<Network>,
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
