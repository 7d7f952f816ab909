//! SHA-256 Merkle tree hashing as defined by RFC 6962 section 2.1.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

/// Size of every hash in the log (SHA-256).
pub const HASH_LEN: usize = 32;

/// A SHA-256 Merkle tree hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_LEN]);

impl Hash {
    /// Parses exactly 32 bytes; any other length is not a hash.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; HASH_LEN]>::try_from(bytes).ok().map(Hash)
    }

    /// Parses the standard base64 (RFC 4648 section 4) form used by checkpoints and proofs.
    pub fn from_base64(text: &str) -> Option<Hash> {
        // 32 bytes encode to 44 characters; refuse anything longer before decoding.
        if text.len() != 44 {
            return None;
        }
        let bytes = B64.decode(text).ok()?;
        Hash::from_slice(&bytes)
    }

    /// The standard base64 form.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }

    /// Lower-case hex, as used for digests in commitments.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hash({})", self.to_base64())
    }
}

impl std::fmt::Display for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// MTH({}) = SHA-256(""), the root of the empty tree.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// MTH({d}) = SHA-256(0x00 || d).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 1 + 2 * HASH_LEN];
    buf[0] = 1;
    buf[1..1 + HASH_LEN].copy_from_slice(&left.0);
    buf[1 + HASH_LEN..].copy_from_slice(&right.0);
    Hash(Sha256::digest(buf).into())
}

/// The SHA-256 of arbitrary bytes (not a Merkle hash): used for digests of reports and inputs.
pub fn sha256(bytes: &[u8]) -> Hash {
    Hash(Sha256::digest(bytes).into())
}

/// Root of a list of hashes treated as the leaves' hashes of an RFC 6962 tree (any length).
/// Used for the levels inside one tile and for rebuilding the right edge.
pub fn root_of_hashes(hashes: &[Hash]) -> Hash {
    match hashes.len() {
        0 => empty_root(),
        1 => hashes[0],
        n => {
            let k = largest_power_of_two_below(n as u64) as usize;
            let (left, right) = hashes.split_at(k);
            node_hash(&root_of_hashes(left), &root_of_hashes(right))
        }
    }
}

/// The largest power of two strictly smaller than `n` (n >= 2), the RFC 6962 split point.
pub fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            empty_root().to_base64(),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn split_points() {
        assert_eq!(largest_power_of_two_below(2), 1);
        assert_eq!(largest_power_of_two_below(3), 2);
        assert_eq!(largest_power_of_two_below(4), 2);
        assert_eq!(largest_power_of_two_below(5), 4);
        assert_eq!(largest_power_of_two_below(257), 256);
        assert_eq!(largest_power_of_two_below(u64::MAX), 1 << 63);
    }

    #[test]
    fn base64_round_trip_and_rejects_bad_lengths() {
        let h = leaf_hash(b"x");
        assert_eq!(Hash::from_base64(&h.to_base64()), Some(h));
        assert_eq!(Hash::from_base64("ZG9uJ3QgY2FyZSAx"), None);
        assert_eq!(
            Hash::from_base64(&format!("{}=", "A".repeat(43))),
            Some(Hash([0; 32]))
        );
        assert_eq!(Hash::from_base64(&"A".repeat(44)), None);
    }
}
