//! The MMDB search tree walked directly over the database bytes: the hot path of a country lookup
//! is a loop of at most 32 (IPv4) or 128 (IPv6) record reads, with no decoding and no allocation.
//!
//! Semantics match `maxminddb::Reader::lookup` exactly (the tests compare both on every fixture):
//! an IPv4 address in an IPv6 tree starts at the node reached by 96 zero bits (precomputed), a
//! record equal to `node_count` or bits running out on a node is "no data", and a record above it
//! points into the data section at `record - node_count - 16`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Bytes shared between the `maxminddb` reader (used to decode a record the first time) and the
/// tree walker, without a second copy of the file.
#[derive(Clone)]
pub struct SharedBytes(pub Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

/// Where a lookup ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// No data for the address.
    Empty,
    /// A data record: the raw tree record (the key of the pre-decoded answers) and the network
    /// it holds for.
    Data {
        record: usize,
        network: (IpAddr, u8),
    },
    /// A record pointing outside the data section (a corrupt database).
    Invalid,
    /// An IPv6 address asked of an IPv4-only database.
    WrongFamily,
}

pub struct SearchTree {
    bytes: SharedBytes,
    record_size: u16,
    node_count: usize,
    ip_version: u16,
    /// The node reached from the root by 96 zero bits in an IPv6 tree (0 in an IPv4 tree), and
    /// the depth at which the walk stopped (less than 96 when it left the tree early).
    ipv4_start: usize,
    ipv4_start_depth: u8,
    /// Length of the data section (tree records pointing at or beyond it are invalid).
    data_section_len: usize,
}

const DATA_SECTION_SEPARATOR: usize = 16;
const METADATA_MARKER: &[u8] = b"\xAB\xCD\xEFMaxMind.com";

impl SearchTree {
    /// The tree of a database the `maxminddb` reader has already accepted (so node count, record
    /// size and section bounds are consistent); `None` if they are not after all.
    pub fn new(
        bytes: SharedBytes,
        record_size: u16,
        node_count: u32,
        ip_version: u16,
    ) -> Option<SearchTree> {
        let node_count = usize::try_from(node_count).ok()?;
        if !matches!(record_size, 24 | 28 | 32) || !matches!(ip_version, 4 | 6) {
            return None;
        }
        let tree_len = node_count.checked_mul(usize::from(record_size))? / 4;
        let marker_start = bytes
            .as_ref()
            .windows(METADATA_MARKER.len())
            .rposition(|w| w == METADATA_MARKER)?;
        let data_section_len =
            marker_start.checked_sub(tree_len.checked_add(DATA_SECTION_SEPARATOR)?)?;
        let mut tree = SearchTree {
            bytes,
            record_size,
            node_count,
            ip_version,
            ipv4_start: 0,
            ipv4_start_depth: 0,
            data_section_len,
        };
        if ip_version == 6 {
            let mut node = 0;
            let mut depth = 0u8;
            while depth < 96 && node < node_count {
                node = tree.record(node, 0);
                depth += 1;
            }
            tree.ipv4_start = node;
            tree.ipv4_start_depth = depth;
        }
        Some(tree)
    }

    pub fn node_count(&self) -> usize {
        self.node_count
    }

    /// Bits in the tree's addresses: 32 or 128.
    pub fn bits(&self) -> u32 {
        if self.ip_version == 6 { 128 } else { 32 }
    }

    /// Record `bit` (0 left, 1 right) of `node`. Out-of-range reads (impossible for a tree the
    /// reader accepted) read as "no data" rather than panicking.
    pub fn record(&self, node: usize, bit: usize) -> usize {
        let tree = self.bytes.as_ref();
        match self.record_size {
            24 => read24(tree, node, bit),
            28 => read28(tree, node, bit),
            _ => read32(tree, node, bit),
        }
        .unwrap_or(self.node_count)
    }

    pub fn lookup(&self, address: IpAddr) -> Leaf {
        match self.record_size {
            24 => self.lookup_with(address, read24),
            28 => self.lookup_with(address, read28),
            _ => self.lookup_with(address, read32),
        }
    }

    #[inline(always)]
    fn lookup_with(&self, address: IpAddr, read: fn(&[u8], usize, usize) -> Option<usize>) -> Leaf {
        let tree = self.bytes.as_ref();
        let node_count = self.node_count;
        let (record, network) = match address {
            IpAddr::V4(v4) => {
                let ip = u32::from(v4);
                let mut node = self.ipv4_start;
                let mut depth = 0u8;
                while depth < 32 && node < node_count {
                    let bit = ((ip >> (31 - u32::from(depth))) & 1) as usize;
                    node = read(tree, node, bit).unwrap_or(node_count);
                    depth += 1;
                }
                let network = if self.ip_version == 6 && self.ipv4_start >= node_count {
                    // The tree ends above the IPv4 subtree: the network is the IPv6 prefix.
                    let prefix = self.ipv4_start_depth;
                    (IpAddr::V6(Ipv6Addr::UNSPECIFIED), prefix)
                } else {
                    (IpAddr::V4(Ipv4Addr::from(mask32(ip, depth))), depth)
                };
                (node, network)
            }
            IpAddr::V6(v6) => {
                if self.ip_version == 4 {
                    return Leaf::WrongFamily;
                }
                let ip = u128::from(v6);
                let mut node = 0usize;
                let mut depth = 0u8;
                while depth < 128 && node < node_count {
                    let bit = ((ip >> (127 - u32::from(depth))) & 1) as usize;
                    node = read(tree, node, bit).unwrap_or(node_count);
                    depth += 1;
                }
                (
                    node,
                    (IpAddr::V6(Ipv6Addr::from(mask128(ip, depth))), depth),
                )
            }
        };
        if record <= node_count {
            return Leaf::Empty;
        }
        match (record - node_count).checked_sub(DATA_SECTION_SEPARATOR) {
            Some(offset) if offset < self.data_section_len => Leaf::Data { record, network },
            _ => Leaf::Invalid,
        }
    }

    /// Every distinct data record reachable from the root, each with one address that reaches it,
    /// at most `limit` of them. Each node is visited once (aliases and hostile cycles included),
    /// so the walk is linear in the tree size.
    pub fn data_records(&self, limit: usize) -> Vec<(usize, IpAddr)> {
        let bits = self.bits();
        let mut visited = vec![0u64; self.node_count.div_ceil(64)];
        let mut found: std::collections::HashSet<usize, foldhash::fast::FixedState> =
            std::collections::HashSet::default();
        let mut out = Vec::new();
        // (node, depth, address bits chosen so far, left-aligned in `bits`).
        let mut stack: Vec<(usize, u32, u128)> = vec![(0, 0, 0)];
        if let Some(word) = visited.first_mut() {
            *word |= 1;
        }
        while let Some((node, depth, path)) = stack.pop() {
            if depth >= bits {
                continue;
            }
            for bit in 0..2usize {
                let child = self.record(node, bit);
                let child_path = path | ((bit as u128) << (bits - 1 - depth));
                if child < self.node_count {
                    if let Some(word) = visited.get_mut(child / 64) {
                        let mask = 1u64 << (child % 64);
                        if *word & mask == 0 {
                            *word |= mask;
                            stack.push((child, depth + 1, child_path));
                        }
                    }
                } else if child > self.node_count && out.len() < limit && found.insert(child) {
                    let address = if bits == 32 {
                        IpAddr::V4(Ipv4Addr::from(child_path as u32))
                    } else {
                        IpAddr::V6(Ipv6Addr::from(child_path))
                    };
                    out.push((child, address));
                }
            }
        }
        out
    }
}

/// A leaf of the tree met by [`SearchTree::leaves`]: what a lookup of any address under it ends in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafKind {
    /// No data (the "empty" record, or the bits ran out on a node).
    Empty,
    /// A data record (the raw tree record, as in [`Leaf::Data`]).
    Data(usize),
    /// Not flattened: a subtree already listed under another prefix (an alias such as IPv4 under
    /// `::/96` or `2002::/16`, or a hostile shared node), a pointer outside the data section, or
    /// an address family the tree cannot answer. Lookups under it walk the tree.
    Walk,
}

/// The leaves of one address family's subtree in address order: `(first address, prefix
/// length, kind)`, covering the whole family without gaps. Each node is expanded once, so the
/// walk is linear in the tree size whatever aliases or hostile sharing it holds.
pub struct Leaves<'a> {
    tree: &'a SearchTree,
    bits: u32,
    visited: Vec<u64>,
    /// Pending subtrees and leaves, the next in address order on top: (record, depth, path).
    stack: Vec<(usize, u32, u128)>,
}

impl SearchTree {
    /// The leaves an IPv4 (`v6 == false`) or IPv6 lookup can end in. IPv4 starts at the IPv4
    /// subtree of an IPv6 tree, as [`lookup`](Self::lookup) does; the IPv6 walk leaves that
    /// subtree (reached under `::/96` and any alias) to the tree walk.
    pub fn leaves(&self, v6: bool) -> Leaves<'_> {
        let mut leaves = Leaves {
            tree: self,
            bits: if v6 { 128 } else { 32 },
            visited: vec![0u64; self.node_count.div_ceil(64)],
            stack: Vec::new(),
        };
        let ipv4_root_is_a_node = self.ipv4_start < self.node_count;
        match (v6, self.ip_version) {
            (true, 4) => leaves.stack.push((WALK_ALL, 0, 0)),
            (true, _) => {
                if self.ip_version == 6 && ipv4_root_is_a_node {
                    leaves.mark(self.ipv4_start);
                }
                leaves.stack.push((0, 0, 0));
            }
            // The tree ends above its IPv4 subtree: the network is an IPv6 prefix, left to the
            // walk.
            (false, _) if !ipv4_root_is_a_node => leaves.stack.push((WALK_ALL, 0, 0)),
            (false, _) => leaves.stack.push((self.ipv4_start, 0, 0)),
        }
        leaves
    }
}

/// A stack entry standing for "the whole family is left to the walk" (not a valid record: the
/// largest node count is below it).
const WALK_ALL: usize = usize::MAX;

impl Leaves<'_> {
    /// Marks `node` visited; false if it already was.
    fn mark(&mut self, node: usize) -> bool {
        match self.visited.get_mut(node / 64) {
            Some(word) if *word & (1u64 << (node % 64)) == 0 => {
                *word |= 1u64 << (node % 64);
                true
            }
            _ => false,
        }
    }
}

impl Iterator for Leaves<'_> {
    type Item = (u128, u8, LeafKind);

    fn next(&mut self) -> Option<(u128, u8, LeafKind)> {
        let node_count = self.tree.node_count;
        while let Some((record, depth, path)) = self.stack.pop() {
            let prefix = depth as u8;
            if record == WALK_ALL {
                return Some((path, prefix, LeafKind::Walk));
            }
            if record < node_count {
                if depth >= self.bits {
                    return Some((path, prefix, LeafKind::Empty));
                }
                if !self.mark(record) {
                    return Some((path, prefix, LeafKind::Walk));
                }
                let right = path | (1u128 << (self.bits - 1 - depth));
                self.stack
                    .push((self.tree.record(record, 1), depth + 1, right));
                self.stack
                    .push((self.tree.record(record, 0), depth + 1, path));
                continue;
            }
            let kind = match (record - node_count).checked_sub(DATA_SECTION_SEPARATOR) {
                None if record == node_count => LeafKind::Empty,
                Some(offset) if offset < self.tree.data_section_len => LeafKind::Data(record),
                _ => LeafKind::Walk,
            };
            return Some((path, prefix, kind));
        }
        None
    }
}

fn mask32(ip: u32, prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p if p >= 32 => ip,
        p => ip & (u32::MAX << (32 - u32::from(p))),
    }
}

fn mask128(ip: u128, prefix: u8) -> u128 {
    match prefix {
        0 => 0,
        p if p >= 128 => ip,
        p => ip & (u128::MAX << (128 - u32::from(p))),
    }
}

#[inline(always)]
fn read24(tree: &[u8], node: usize, bit: usize) -> Option<usize> {
    let offset = node.wrapping_mul(6).wrapping_add(bit * 3);
    let b: &[u8; 3] = tree.get(offset..offset.wrapping_add(3))?.try_into().ok()?;
    Some((usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2]))
}

#[inline(always)]
fn read28(tree: &[u8], node: usize, bit: usize) -> Option<usize> {
    let b: &[u8; 7] = tree
        .get(node.wrapping_mul(7)..node.wrapping_mul(7).wrapping_add(7))?
        .try_into()
        .ok()?;
    Some(if bit == 0 {
        (usize::from(b[3] & 0xF0) << 20)
            | (usize::from(b[0]) << 16)
            | (usize::from(b[1]) << 8)
            | usize::from(b[2])
    } else {
        (usize::from(b[3] & 0x0F) << 24)
            | (usize::from(b[4]) << 16)
            | (usize::from(b[5]) << 8)
            | usize::from(b[6])
    })
}

#[inline(always)]
fn read32(tree: &[u8], node: usize, bit: usize) -> Option<usize> {
    let offset = node.wrapping_mul(8).wrapping_add(bit * 4);
    let b: [u8; 4] = tree.get(offset..offset.wrapping_add(4))?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(b)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_prefix_bits() {
        assert_eq!(mask32(0xC000_0201, 24), 0xC000_0200);
        assert_eq!(mask32(0xC000_0201, 0), 0);
        assert_eq!(mask32(0xC000_0201, 32), 0xC000_0201);
        assert_eq!(mask128(u128::MAX, 1), 1u128 << 127);
        assert_eq!(mask128(u128::MAX, 128), u128::MAX);
    }

    #[test]
    fn records_read_big_endian_per_size() {
        let node = [0x12, 0x34, 0x56, 0xAB, 0x78, 0x9A, 0xBC, 0xDE];
        assert_eq!(read24(&node, 0, 0), Some(0x12_3456));
        assert_eq!(read24(&node, 0, 1), Some(0xAB_789A));
        assert_eq!(read28(&node, 0, 0), Some(0xA12_3456));
        assert_eq!(read28(&node, 0, 1), Some(0xB78_9ABC));
        assert_eq!(read32(&node, 0, 1), Some(0x789A_BCDE));
        assert_eq!(read32(&node, 1, 0), None);
    }

    /// The walker agrees with `maxminddb::Reader::lookup` (data offset and network) on every
    /// MaxMind test database, for addresses at and around every network boundary plus random
    /// ones: record sizes 24/28/32, IPv4, IPv6 and mixed trees, a tree without an IPv4 subtree
    /// and broken pointers.
    #[test]
    fn agrees_with_the_maxminddb_crate_on_the_maxmind_test_databases() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/ipdata/maxmind-test-data/test-data"
        );
        let entries = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("MaxMind test data missing at {dir}: {e}"));
        let mut compared = 0usize;
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("mmdb") {
                continue;
            }
            let bytes = SharedBytes(Arc::new(std::fs::read(&path).unwrap()));
            let Ok(reader) = maxminddb::Reader::from_source(bytes.clone()) else {
                continue;
            };
            let m = reader.metadata();
            let tree = SearchTree::new(bytes, m.record_size, m.node_count, m.ip_version)
                .unwrap_or_else(|| panic!("{}: tree refused", path.display()));
            let mut addresses: Vec<IpAddr> = Vec::new();
            let mut seed = 0x9e37_79b9_7f4a_7c15u64;
            for _ in 0..2000 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                addresses.push(IpAddr::V4(Ipv4Addr::from(seed as u32)));
                addresses.push(IpAddr::V6(Ipv6Addr::from(
                    (u128::from(seed) << 64) | u128::from(seed.rotate_left(17)),
                )));
            }
            for (_, address) in tree.data_records(10_000) {
                addresses.push(address);
                if let IpAddr::V6(v6) = address {
                    addresses.push(IpAddr::V6(Ipv6Addr::from(u128::from(v6) | 0xff)));
                    if let Some(v4) = v6.to_ipv4_mapped() {
                        addresses.push(IpAddr::V4(v4));
                    }
                    let low = u128::from(v6);
                    if low >> 32 == 0 {
                        addresses.push(IpAddr::V4(Ipv4Addr::from(low as u32)));
                    }
                }
            }
            for address in addresses {
                let ours = tree.lookup(address);
                let theirs = reader.lookup(address);
                match (ours, theirs) {
                    (Leaf::WrongFamily, Err(_)) | (Leaf::Invalid, Err(_)) => {}
                    (Leaf::Empty, Ok(r)) => assert!(!r.has_data(), "{}: {address}", path.display()),
                    (Leaf::Data { record, network }, Ok(r)) => {
                        assert_eq!(
                            r.offset(),
                            Some(record - tree.node_count() - DATA_SECTION_SEPARATOR),
                            "{}: {address}",
                            path.display()
                        );
                        let n = r.network().unwrap();
                        assert_eq!(
                            (n.network(), n.prefix()),
                            network,
                            "{}: {address}",
                            path.display()
                        );
                    }
                    (ours, theirs) => panic!(
                        "{}: {address}: walker {ours:?}, crate {:?}",
                        path.display(),
                        theirs.map(|r| r.offset())
                    ),
                }
                compared += 1;
            }
        }
        assert!(compared > 50_000, "compared only {compared} lookups");
    }
}
