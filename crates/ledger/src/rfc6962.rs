//! Checkpoint signatures of Static CT logs (C2SP static-ct-api, e.g. Sunlight): an RFC 6962
//! note signature (type 0x05), ECDSA P-256 over RFC 6962's TreeHeadSignature structure. ringfence
//! signs its own logs with Ed25519; this verifies the certificate-transparency logs that the same
//! tools (witnesses, monitors) already follow, so `ringfence log monitor` users and the interop
//! tests can check them with the key a log publishes (its DER SubjectPublicKeyInfo).
//!
//! Written here rather than taken from `signed_note` because that crate knows only Ed25519 note
//! signatures; the ECDSA arithmetic itself is the RustCrypto `p256` crate's.

use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey as _;
use sha2::{Digest, Sha256};

use crate::checkpoint::Checkpoint;
use crate::note::SignedNote;

/// Signature type byte of an RFC 6962 note signature.
pub const TYPE_RFC6962: u8 = 0x05;
/// TLS `HashAlgorithm.sha256` and `SignatureAlgorithm.ecdsa` (RFC 5246 §7.4.1.4.1).
const HASH_SHA256: u8 = 4;
const SIGNATURE_ECDSA: u8 = 3;
/// RFC 6962 §3.5: `Version.v1` and `SignatureType.tree_hash`.
const V1: u8 = 0;
const TREE_HASH: u8 = 1;

/// A Static CT log's public key, under the note key name (the log's origin).
#[derive(Debug, Clone)]
pub struct Rfc6962Key {
    pub name: String,
    /// SHA-256 of the DER SubjectPublicKeyInfo (RFC 6962's LogID).
    pub log_id: [u8; 32],
    key: VerifyingKey,
}

impl Rfc6962Key {
    /// A P-256 key from its DER SubjectPublicKeyInfo, as a log list's `key` field holds it.
    pub fn from_spki_der(name: &str, der: &[u8]) -> Result<Rfc6962Key, String> {
        let key = VerifyingKey::from_public_key_der(der)
            .map_err(|e| format!("not a P-256 public key: {e}"))?;
        Ok(Rfc6962Key {
            name: name.to_owned(),
            log_id: Sha256::digest(der).into(),
            key,
        })
    }

    /// The note key ID: the first four bytes of SHA-256(name || "\n" || 0x05 || LogID).
    pub fn key_id(&self) -> u32 {
        let mut hasher = Sha256::new();
        hasher.update(self.name.as_bytes());
        hasher.update([b'\n', TYPE_RFC6962]);
        hasher.update(self.log_id);
        let digest = hasher.finalize();
        u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
    }

    /// Verifies this log's signature on a checkpoint note and returns its timestamp
    /// (milliseconds since the Unix epoch).
    pub fn verify(&self, note: &SignedNote) -> Result<u64, String> {
        let checkpoint = note.checkpoint()?;
        if checkpoint.origin != self.name {
            return Err(format!(
                "the checkpoint's origin is {:?}, not {:?}",
                checkpoint.origin, self.name
            ));
        }
        let id = self.key_id();
        let signature = note
            .signatures
            .iter()
            .find(|s| s.name() == self.name && s.id() == id)
            .ok_or_else(|| format!("no signature by {} ({id:08x})", self.name))?;
        let (timestamp, der) = parse_signature(signature.signature())?;
        let signature =
            Signature::from_der(der).map_err(|e| format!("malformed ECDSA signature: {e}"))?;
        self.key
            .verify(&tree_head_input(&checkpoint, timestamp), &signature)
            .map_err(|_| "the ECDSA signature does not verify".to_string())?;
        Ok(timestamp)
    }
}

/// `timestamp (u64) || DigitallySigned { hash, signature algorithm, opaque<0..2^16-1> }`.
fn parse_signature(bytes: &[u8]) -> Result<(u64, &[u8]), String> {
    let (timestamp, rest) = bytes
        .split_first_chunk::<8>()
        .ok_or("RFC 6962 note signature shorter than its timestamp")?;
    let ([hash, algorithm], rest) = rest
        .split_first_chunk::<2>()
        .map(|(a, r)| (*a, r))
        .ok_or("RFC 6962 note signature has no algorithm")?;
    if (hash, algorithm) != (HASH_SHA256, SIGNATURE_ECDSA) {
        return Err(format!(
            "RFC 6962 note signature uses hash {hash} / signature {algorithm}, not SHA-256 / ECDSA"
        ));
    }
    let (length, der) = rest
        .split_first_chunk::<2>()
        .ok_or("RFC 6962 note signature has no length")?;
    if usize::from(u16::from_be_bytes(*length)) != der.len() {
        return Err("RFC 6962 note signature length does not match its bytes".into());
    }
    Ok((u64::from_be_bytes(*timestamp), der))
}

/// RFC 6962 §3.5 TreeHeadSignature: version, signature type, timestamp, tree size, root hash.
fn tree_head_input(checkpoint: &Checkpoint, timestamp: u64) -> Vec<u8> {
    let mut input = Vec::with_capacity(50);
    input.extend_from_slice(&[V1, TREE_HASH]);
    input.extend_from_slice(&timestamp.to_be_bytes());
    input.extend_from_slice(&checkpoint.size.to_be_bytes());
    input.extend_from_slice(checkpoint.root.as_bytes());
    input
}
