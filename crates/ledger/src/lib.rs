//! ringfence's transparency log: an RFC 6962 SHA-256 Merkle log stored in the C2SP tlog-tiles
//! layout, checkpoints as C2SP signed notes (Ed25519), `cosignature/v1` witnesses (server and
//! client), tlog-policy quorums, tlog-proof receipts, proofs and a monitor.
//!
//! The audit calls [`Log::open`], [`Log::append`] and [`Log::receipt`]; verifiers call
//! [`verify_receipt`].

pub mod checkpoint;
pub mod cosignature;
pub mod durable;
pub mod edge;
pub mod entry;
pub mod hash;
pub mod keys;
pub mod log;
pub mod monitor;
pub mod note;
pub mod policy;
pub mod proof;
pub mod receipt;
pub mod rfc6962;
pub mod tile_path;
pub mod tile_source;
pub mod tlog_proof;
pub mod witness_client;
pub mod witness_server;

pub use checkpoint::Checkpoint;
pub use entry::{FindingCounts, ReportCommitment, TimeRange};
pub use hash::Hash;
pub use keys::{KeyKind, SignerKey, VerifierKey};
pub use log::{Log, LogOptions, init_log};
pub use note::SignedNote;
pub use policy::Policy;
pub use receipt::{ReceiptError, VerifiedReceipt, verify_receipt};
pub use tlog_proof::TlogProof;

use std::path::Path;

/// Errors of the log writer.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Input(String),
    #[error("the log is corrupt: {0}")]
    Corrupt(String),
    #[error("append failed: {0}")]
    Append(String),
    #[error("internal lock poisoned by an earlier panic")]
    Poisoned,
}

impl LedgerError {
    pub(crate) fn io(path: &Path, e: std::io::Error) -> LedgerError {
        LedgerError::Io(format!("{}: {e}", path.display()))
    }
}
