//! Committing an audit report to a transparency log: the report's commitment becomes a log entry,
//! and the entry's receipt (C2SP tlog-proof) is written beside the report.

use ringfence_audit::commitment::commitment_of;
use ringfence_ledger::{Log, LogOptions};
use std::path::Path;

/// Opens the log in `dir` with its default options (key `DIR.key`, witnesses `DIR.witnesses`),
/// or the given private key.
pub fn open_log(dir: &Path, key: Option<&Path>) -> Result<Log, String> {
    let mut options = LogOptions::defaults(dir).map_err(|e| e.to_string())?;
    if let Some(key) = key {
        options.key_path = key.to_owned();
    }
    Log::open_with(dir, options).map_err(|e| format!("{}: {e}", dir.display()))
}

/// Appends the commitment of `report` (canonical JSON bytes) once it is durable and covered by a
/// signed checkpoint (cosigned when witnesses are configured), then writes its receipt.
pub fn commit(log: &Log, report: &[u8], receipt: &Path) -> Result<u64, String> {
    let entry = commitment_of(report)?.to_entry()?;
    let index = log
        .append(vec![entry])
        .map_err(|e| e.to_string())?
        .first()
        .copied()
        .ok_or("the log acknowledged no entry")?;
    let proof = log.receipt(index).map_err(|e| e.to_string())?;
    std::fs::write(receipt, proof.to_text()).map_err(|e| format!("{}: {e}", receipt.display()))?;
    Ok(index)
}
