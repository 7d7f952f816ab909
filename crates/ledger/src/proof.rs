//! RFC 6962 inclusion and consistency proofs: verification (the transparency-dev/merkle
//! algorithm, which never recurses and never allocates) and generation from any source of
//! complete-subtree hashes (tiles on disk, or memory in tests).

use crate::hash::{Hash, largest_power_of_two_below, node_hash};

/// Proofs deeper than this cannot belong to a tree of at most 2^64 leaves.
pub const MAX_PROOF_LEN: usize = 64;

/// Why a proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("proof has {got} hashes, expected {want}")]
    WrongLength { got: usize, want: usize },
    #[error("old size {old} is larger than new size {new}")]
    SizesReversed { old: u64, new: u64 },
    #[error("root hash mismatch: computed {computed}, expected {expected}")]
    RootMismatch { computed: Hash, expected: Hash },
    #[error("a proof is not possible for this tree: {0}")]
    Unprovable(&'static str),
    #[error("reading the tree: {0}")]
    Source(String),
}

fn inner_proof_size(index: u64, size: u64) -> usize {
    (64 - (index ^ (size - 1)).leading_zeros()) as usize
}

fn decomp_incl_proof(index: u64, size: u64) -> (usize, usize) {
    let inner = inner_proof_size(index, size);
    let border = (index.checked_shr(inner as u32).unwrap_or(0)).count_ones() as usize;
    (inner, border)
}

fn chain_inner(mut seed: Hash, proof: &[Hash], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        if (index >> i) & 1 == 0 {
            seed = node_hash(&seed, h);
        } else {
            seed = node_hash(h, &seed);
        }
    }
    seed
}

fn chain_inner_right(mut seed: Hash, proof: &[Hash], index: u64) -> Hash {
    for (i, h) in proof.iter().enumerate() {
        if (index >> i) & 1 == 1 {
            seed = node_hash(h, &seed);
        }
    }
    seed
}

fn chain_border_right(mut seed: Hash, proof: &[Hash]) -> Hash {
    for h in proof {
        seed = node_hash(h, &seed);
    }
    seed
}

fn verify_match(computed: Hash, expected: &Hash) -> Result<(), ProofError> {
    if computed == *expected {
        Ok(())
    } else {
        Err(ProofError::RootMismatch {
            computed,
            expected: *expected,
        })
    }
}

/// The root implied by an inclusion proof of `leaf` at `index` in a tree of `size` leaves.
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (inner, border) = decomp_incl_proof(index, size);
    if proof.len() != inner + border {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want: inner + border,
        });
    }
    let (inner_part, border_part) = proof.split_at(inner);
    let res = chain_inner(*leaf, inner_part, index);
    Ok(chain_border_right(res, border_part))
}

/// Checks that `leaf` is at `index` in the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    verify_match(root_from_inclusion_proof(index, size, leaf, proof)?, root)
}

/// Checks that the tree of `size1` leaves with `root1` is a prefix of the tree of `size2`
/// leaves with `root2`. `size1` must not be 0.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), ProofError> {
    if size2 < size1 {
        return Err(ProofError::SizesReversed {
            old: size1,
            new: size2,
        });
    }
    if size1 == 0 {
        // Every tree extends the empty tree, so a "proof" from size 0 proves nothing; like
        // transparency-dev/merkle we refuse it (tlog-witness handles old size 0 before this).
        return Err(ProofError::Unprovable(
            "consistency from the empty tree is meaningless",
        ));
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        return verify_match(*root1, root2);
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength { got: 0, want: 1 });
    }
    // 0 < size1 < size2.
    let (inner, border) = decomp_incl_proof(size1 - 1, size2);
    let shift = size1.trailing_zeros() as usize;
    // shift < inner because size1 < size2.
    let inner = inner.saturating_sub(shift);
    let (seed, rest) = if size1 == 1u64 << shift {
        (*root1, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(ProofError::WrongLength { got: 0, want: 1 }),
        }
    };
    let want_total = proof.len() - rest.len() + inner + border;
    if rest.len() != inner + border {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want: want_total,
        });
    }
    let (inner_part, border_part) = rest.split_at(inner);
    let mask = (size1 - 1) >> shift;
    let hash1 = chain_border_right(chain_inner_right(seed, inner_part, mask), border_part);
    verify_match(hash1, root1)?;
    let hash2 = chain_border_right(chain_inner(seed, inner_part, mask), border_part);
    verify_match(hash2, root2)
}

/// A source of complete-subtree hashes: `node(level, index)` is the root of leaves
/// `[index * 2^level, (index + 1) * 2^level)`, which the caller guarantees are all present.
pub trait NodeSource {
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, ProofError>;
}

/// MTH(D[lo:hi]) for a range that arises in the RFC 6962 recursion (lo aligned to the largest
/// power of two not above hi - lo), computed from complete subtrees.
pub fn range_root<S: NodeSource>(src: &mut S, lo: u64, hi: u64) -> Result<Hash, ProofError> {
    let n = hi - lo;
    if n == 0 {
        return Ok(crate::hash::empty_root());
    }
    if n.is_power_of_two() {
        let level = n.trailing_zeros();
        return src.node(level, lo >> level);
    }
    let k = largest_power_of_two_below(n);
    let left = range_root(src, lo, lo + k)?;
    let right = range_root(src, lo + k, hi)?;
    Ok(node_hash(&left, &right))
}

/// The RFC 6962 audit path for leaf `index` in the tree of `size` leaves, leaf sibling first.
pub fn inclusion_proof<S: NodeSource>(
    src: &mut S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut out = Vec::with_capacity(MAX_PROOF_LEN);
    let (mut lo, mut hi) = (0u64, size);
    // Walk down from the root, remembering the sibling at each step; reverse at the end.
    while hi - lo > 1 {
        let k = largest_power_of_two_below(hi - lo);
        if index < lo + k {
            out.push(range_root(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            out.push(range_root(src, lo, lo + k)?);
            lo += k;
        }
    }
    out.reverse();
    Ok(out)
}

/// The RFC 6962 consistency proof from `size1` to `size2` (SUBPROOF(m, D[n], true)).
pub fn consistency_proof<S: NodeSource>(
    src: &mut S,
    size1: u64,
    size2: u64,
) -> Result<Vec<Hash>, ProofError> {
    if size1 > size2 {
        return Err(ProofError::SizesReversed {
            old: size1,
            new: size2,
        });
    }
    if size1 == 0 || size1 == size2 {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(MAX_PROOF_LEN);
    let (mut lo, mut hi, mut m, mut whole) = (0u64, size2, size1, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !whole {
                out.push(range_root(src, lo, hi)?);
            }
            break;
        }
        let k = largest_power_of_two_below(n);
        if m <= k {
            out.push(range_root(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            out.push(range_root(src, lo, lo + k)?);
            lo += k;
            m -= k;
            whole = false;
        }
    }
    out.reverse();
    Ok(out)
}

/// Leaf hashes held in memory, for tests and for small in-memory trees.
pub struct MemoryTree<'a>(pub &'a [Hash]);

impl NodeSource for MemoryTree<'_> {
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, ProofError> {
        let width = 1u64
            .checked_shl(level)
            .ok_or(ProofError::Unprovable("level too high"))?;
        let start = index
            .checked_mul(width)
            .ok_or(ProofError::Unprovable("index overflow"))?;
        let end = start
            .checked_add(width)
            .ok_or(ProofError::Unprovable("index overflow"))?;
        let slice = usize::try_from(start)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(s, e)| self.0.get(s..e))
            .ok_or(ProofError::Unprovable("subtree beyond the tree"))?;
        Ok(crate::hash::root_of_hashes(slice))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{leaf_hash, root_of_hashes};

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(&(i as u64).to_be_bytes()))
            .collect()
    }

    #[test]
    fn every_generated_proof_verifies_up_to_40_leaves() {
        let all = leaves(40);
        for size in 1..=all.len() {
            let tree = &all[..size];
            let root = root_of_hashes(tree);
            for index in 0..size {
                let p = inclusion_proof(&mut MemoryTree(tree), index as u64, size as u64).unwrap();
                verify_inclusion(index as u64, size as u64, &tree[index], &p, &root).unwrap();
                let wrong = leaf_hash(b"other");
                assert!(verify_inclusion(index as u64, size as u64, &wrong, &p, &root).is_err());
            }
            assert!(
                verify_consistency(0, size as u64, &[], &crate::hash::empty_root(), &root).is_err()
            );
            for old in 1..=size {
                let old_root = root_of_hashes(&all[..old]);
                let p = consistency_proof(&mut MemoryTree(tree), old as u64, size as u64).unwrap();
                verify_consistency(old as u64, size as u64, &p, &old_root, &root).unwrap();
                if old > 0 && old < size {
                    let bad = root_of_hashes(&all[1..old + 1]);
                    assert!(verify_consistency(old as u64, size as u64, &p, &bad, &root).is_err());
                }
            }
        }
    }

    #[test]
    fn malformed_inputs_are_errors_not_panics() {
        let h = leaf_hash(b"a");
        assert!(root_from_inclusion_proof(0, 0, &h, &[]).is_err());
        assert!(root_from_inclusion_proof(u64::MAX, u64::MAX, &h, &[h; 3]).is_err());
        assert!(root_from_inclusion_proof(u64::MAX - 1, u64::MAX, &h, &[h; 64]).is_err());
        assert!(verify_consistency(u64::MAX - 1, u64::MAX, &[h; 3], &h, &h).is_err());
        assert!(verify_consistency(3, 2, &[], &h, &h).is_err());
        assert!(verify_consistency(5, 9, &[], &h, &h).is_err());
    }
}
