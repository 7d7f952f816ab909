//! SHA-256 Merkle tree hashing as defined by RFC 6962 section 2.1.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::digest::generic_array::GenericArray;
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

/// SHA-256 initial state (FIPS 180-4 section 5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Length in bits of a node hash's input (0x01 || left || right = 65 bytes), as SHA-256
/// padding encodes it in the last 8 bytes of the final block.
const NODE_INPUT_BITS: u64 = (1 + 2 * HASH_LEN as u64) * 8;

/// SHA-256(0x01 || left || right).
///
/// This is the inner loop of every proof check, tile build and monitor pass, so it lays out
/// the two padded 64-byte blocks itself and calls the raw compression function once (SHA-NI
/// when the CPU has it, detected by `sha2` at run time) rather than going through the
/// streaming `Digest` API, whose buffering and finalisation copies cost about as much as a
/// third of the compressions. The result is identical (see the tests).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    // Block 0: 0x01, the 32 bytes of `left`, the first 31 bytes of `right`.
    // Block 1: the last byte of `right`, the 0x80 padding marker, zeros, the bit length.
    let mut blocks = [GenericArray::<u8, sha2::digest::consts::U64>::default(); 2];
    let [b0, b1] = &mut blocks;
    let [right_head @ .., right_last] = right.0;
    b0[0] = 1;
    b0[1..1 + HASH_LEN].copy_from_slice(&left.0);
    b0[1 + HASH_LEN..].copy_from_slice(&right_head);
    b1[0] = right_last;
    b1[1] = 0x80;
    b1[56..].copy_from_slice(&NODE_INPUT_BITS.to_be_bytes());
    let mut state = SHA256_IV;
    sha2::compress256(&mut state, &blocks);
    let mut out = [0u8; HASH_LEN];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    Hash(out)
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

    /// The reference definition node_hash replaces: SHA-256 over the concatenated input.
    fn node_hash_via_digest(left: &Hash, right: &Hash) -> Hash {
        let mut h = Sha256::new();
        h.update([1u8]);
        h.update(left.0);
        h.update(right.0);
        Hash(h.finalize().into())
    }

    #[test]
    fn node_hash_matches_sha256_of_prefixed_concatenation() {
        // Fixed inputs with every byte value in every position of both halves, chained so that
        // each output feeds the next input.
        let mut left = Hash([0u8; HASH_LEN]);
        let mut right = Hash([0xffu8; HASH_LEN]);
        for round in 0..300u32 {
            for (i, b) in left.0.iter_mut().enumerate() {
                *b = b
                    .wrapping_add((round as u8).wrapping_mul(31))
                    .wrapping_add(i as u8);
            }
            let got = node_hash(&left, &right);
            assert_eq!(got, node_hash_via_digest(&left, &right), "round {round}");
            assert_ne!(
                node_hash(&right, &left),
                got,
                "order matters, round {round}"
            );
            left = right;
            right = got;
        }
        // Root of the RFC 6962 tree of the two entries "" and "a", computed independently
        // with Python's hashlib: sha256(b"\x01" + sha256(b"\x00") + sha256(b"\x00a")).
        assert_eq!(
            node_hash(&leaf_hash(b""), &leaf_hash(b"a")).to_base64(),
            "aI3GJEsEEZnnq0mQ32NAzj3BTKpc1aDhExrdqhIJ4aY="
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
