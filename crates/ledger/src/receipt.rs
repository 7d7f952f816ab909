//! Offline verification of a receipt (tlog-proof) for an entry against a tlog-policy: the log
//! signature, the witness quorum and the inclusion proof.

use std::collections::BTreeSet;

use crate::checkpoint::Checkpoint;
use crate::hash::leaf_hash;
use crate::keys::KeyRing;
use crate::policy::Policy;
use crate::proof::verify_inclusion;
use crate::tlog_proof::TlogProof;

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedReceipt {
    pub index: u64,
    pub checkpoint: Checkpoint,
    /// Policy names of the witnesses whose cosignatures verified.
    pub witnesses: Vec<String>,
}

/// Why a receipt was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("the checkpoint is malformed: {0}")]
    Checkpoint(String),
    #[error("the policy trusts no log with origin {0:?}")]
    UnknownLog(String),
    #[error("the log signature does not verify: {0}")]
    LogSignature(String),
    #[error("a trusted witness's cosignature is invalid: {0}")]
    BadCosignature(String),
    #[error("witness quorum not met: cosigned by {0:?}")]
    Quorum(Vec<String>),
    #[error("the inclusion proof does not verify: {0}")]
    Inclusion(String),
}

/// Verifies that `entry` is in the log at `proof.index`, under a checkpoint signed by a log and
/// cosigned by witnesses as `policy` demands. Needs no network.
pub fn verify_receipt(
    entry: &[u8],
    proof: &TlogProof,
    policy: &Policy,
) -> Result<VerifiedReceipt, ReceiptError> {
    let checkpoint = proof
        .checkpoint
        .checkpoint()
        .map_err(ReceiptError::Checkpoint)?;
    let log_keys = KeyRing(
        policy
            .logs
            .iter()
            .filter(|l| l.key.name == checkpoint.origin)
            .map(|l| l.key.clone())
            .collect(),
    );
    if log_keys.0.is_empty() {
        return Err(ReceiptError::UnknownLog(checkpoint.origin.clone()));
    }
    proof
        .checkpoint
        .verified_by(&log_keys)
        .map_err(ReceiptError::LogSignature)?;

    let cosigned: BTreeSet<usize> = if policy.witnesses.is_empty() {
        BTreeSet::new()
    } else {
        match proof.checkpoint.verified_by(&policy.witness_keys()) {
            Ok(sigs) => sigs
                .iter()
                .filter_map(|s| {
                    policy
                        .witnesses
                        .iter()
                        .position(|w| w.key.name == s.name() && w.key.id == s.id())
                })
                .collect(),
            // No cosignature from any known witness.
            Err(e) if e == signed_note::NoteError::UnverifiedNote.to_string() => BTreeSet::new(),
            Err(e) => return Err(ReceiptError::BadCosignature(e)),
        }
    };
    let names: Vec<String> = cosigned
        .iter()
        .filter_map(|i| policy.witnesses.get(*i))
        .map(|w| String::from_utf8_lossy(&w.name).into_owned())
        .collect();
    if !policy.quorum_met(&cosigned) {
        return Err(ReceiptError::Quorum(names));
    }
    verify_inclusion(
        proof.index,
        checkpoint.size,
        &leaf_hash(entry),
        &proof.inclusion,
        &checkpoint.root,
    )
    .map_err(|e| ReceiptError::Inclusion(e.to_string()))?;
    Ok(VerifiedReceipt {
        index: proof.index,
        checkpoint,
        witnesses: names,
    })
}
