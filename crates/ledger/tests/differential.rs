//! Differential tests against ct-merkle, a second RFC 6962 implementation: roots, inclusion
//! proofs and consistency proofs must be byte-identical, for random trees.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use proptest::prelude::*;
use ringfence_ledger::edge::Edge;
use ringfence_ledger::hash::{Hash, leaf_hash};
use ringfence_ledger::proof::{
    MemoryTree, consistency_proof, inclusion_proof, verify_consistency, verify_inclusion,
};

fn flat(proof: &[Hash]) -> Vec<u8> {
    proof.iter().flat_map(|h| h.0).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn same_roots_and_proofs_as_ct_merkle(size in 1usize..700, seed in any::<u64>()) {
        let entries: Vec<Vec<u8>> = (0..size).map(|i| format!("{seed}-{i}").into_bytes()).collect();
        let mut theirs: MemoryBackedTree<sha2_011::Sha256, Vec<u8>> = MemoryBackedTree::new();
        let mut edge = Edge::empty();
        let mut events = Vec::new();
        for e in &entries {
            theirs.push(e.clone());
            edge.append(e, &mut events).unwrap();
        }
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        let their_root = theirs.root();
        prop_assert_eq!(their_root.as_bytes().as_slice(), &edge.root().0[..]);
        let idx = (seed % size as u64) as usize;
        let ours = inclusion_proof(&mut MemoryTree(&leaves), idx as u64, size as u64).unwrap();
        let their_proof = theirs.prove_inclusion(idx);
        prop_assert_eq!(their_proof.as_bytes(), &flat(&ours)[..]);
        verify_inclusion(idx as u64, size as u64, &leaves[idx], &ours, &edge.root()).unwrap();
        let old = ((seed >> 20) % size as u64) as usize + 1;
        if old < size {
            let ours = consistency_proof(&mut MemoryTree(&leaves), old as u64, size as u64).unwrap();
            let their_proof = theirs.prove_consistency(size - old);
            prop_assert_eq!(their_proof.as_bytes(), &flat(&ours)[..]);
            let old_root = ringfence_ledger::hash::root_of_hashes(&leaves[..old]);
            verify_consistency(old as u64, size as u64, &ours, &old_root, &edge.root()).unwrap();
        }
    }

    #[test]
    fn verifiers_never_panic_on_arbitrary_proofs(
        index in any::<u64>(), size in any::<u64>(), n in 0usize..70, b in any::<u8>()
    ) {
        let h = Hash([b; 32]);
        let proof = vec![h; n];
        let _ = verify_inclusion(index, size, &h, &proof, &h);
        let _ = verify_consistency(index, size, &proof, &h, &h);
    }
}
