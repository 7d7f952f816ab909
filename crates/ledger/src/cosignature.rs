//! C2SP tlog-cosignature `cosignature/v1` (Ed25519): the signed message is
//! `cosignature/v1\ntime <T>\n` followed by the checkpoint body; the signature is the 8-byte
//! big-endian timestamp followed by the 64-byte Ed25519 signature.

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use crate::keys::verify_ed25519;

/// Length of a `timestamped_signature` for Ed25519.
pub const COSIGNATURE_LEN: usize = 8 + 64;

/// The message a cosigner signs for `body` at `timestamp`.
pub fn message(body: &[u8], timestamp: u64) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(body);
    m
}

/// Signs `body` at `timestamp` (seconds since the epoch, at most 2^63 - 1).
pub fn sign(key: &SigningKey, body: &[u8], timestamp: u64) -> Result<Vec<u8>, String> {
    if timestamp > i64::MAX as u64 {
        return Err("cosignature timestamp exceeds 2^63 - 1".into());
    }
    let sig = key.sign(&message(body, timestamp));
    let mut out = timestamp.to_be_bytes().to_vec();
    out.extend_from_slice(&sig.to_bytes());
    Ok(out)
}

/// Verifies a cosignature over `body` and returns its timestamp.
pub fn verify(key: &VerifyingKey, body: &[u8], sig: &[u8]) -> Result<u64, String> {
    if sig.len() != COSIGNATURE_LEN {
        return Err(format!("cosignature has {} bytes, expected 72", sig.len()));
    }
    let (ts_bytes, ed_sig) = sig.split_at(8);
    let mut ts = [0u8; 8];
    ts.copy_from_slice(ts_bytes);
    let timestamp = u64::from_be_bytes(ts);
    if timestamp > i64::MAX as u64 {
        return Err("cosignature timestamp exceeds 2^63 - 1".into());
    }
    if verify_ed25519(key, &message(body, timestamp), ed_sig) {
        Ok(timestamp)
    } else {
        Err("cosignature does not verify".into())
    }
}

/// Extracts the timestamp of a cosignature without verifying it.
pub fn timestamp_of(sig: &[u8]) -> Option<u64> {
    let ts: [u8; 8] = sig.get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(ts))
}
