//! Signed notes holding checkpoints: signing, splitting into body and signature lines,
//! verification against trusted keys (via the `signed_note` crate) and merging cosignatures.

use signed_note::{Note, Signature};

use crate::checkpoint::Checkpoint;
use crate::keys::{KeyRing, SignerKey, VerifierKey};

/// Largest signed note we read (a checkpoint with a hundred cosignatures is ~15 KiB).
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

/// A signed note split into its body and its signature lines.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedNote {
    pub body: Vec<u8>,
    pub signatures: Vec<Signature>,
}

impl SignedNote {
    /// Parses a signed note; it must be well formed per C2SP signed-note.
    pub fn parse(bytes: &[u8]) -> Result<SignedNote, String> {
        if bytes.len() > MAX_NOTE_BYTES {
            return Err("signed note too large".into());
        }
        // Validates the whole note (UTF-8, no control characters, signature block syntax).
        Note::from_bytes(bytes).map_err(|e| format!("signed note: {e}"))?;
        let text = std::str::from_utf8(bytes).map_err(|_| "signed note is not UTF-8")?;
        let (body, sigs) = text
            .rsplit_once("\n\n")
            .ok_or("signed note has no signature block")?;
        let signatures = sigs
            .strip_suffix('\n')
            .unwrap_or(sigs)
            .split('\n')
            .map(|line| Signature::from_bytes(line.as_bytes()).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SignedNote {
            body: format!("{body}\n").into_bytes(),
            signatures,
        })
    }

    /// The note text: body, blank line, signature lines.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.body.clone();
        out.push(b'\n');
        for s in &self.signatures {
            out.extend_from_slice(&s.to_bytes());
        }
        out
    }

    /// The signatures that verify under `keys` (unknown keys are ignored). An error if no
    /// trusted key signed, or if a trusted key's signature fails (the note is then malformed).
    pub fn verified_by(&self, keys: &KeyRing) -> Result<Vec<Signature>, String> {
        let note = Note::new(&self.body, &self.signatures).map_err(|e| e.to_string())?;
        let (verified, _unknown) = note.verify(keys).map_err(|e| e.to_string())?;
        Ok(verified)
    }

    /// Adds signatures, replacing any earlier one by the same key (name and ID).
    pub fn merge(&mut self, new: &[Signature]) {
        for s in new {
            self.signatures
                .retain(|old| !(old.name() == s.name() && old.id() == s.id()));
            self.signatures.push(s.clone());
        }
    }

    /// The checkpoint in the body.
    pub fn checkpoint(&self) -> Result<Checkpoint, String> {
        Checkpoint::parse(&self.body)
    }
}

/// Signs a checkpoint with the log key; the result is a one-signature note.
pub fn sign_checkpoint(checkpoint: &Checkpoint, key: &SignerKey) -> Result<SignedNote, String> {
    let body = checkpoint.to_body().into_bytes();
    let sig = key.sign_note(&body, 0)?;
    Ok(SignedNote {
        body,
        signatures: vec![sig],
    })
}

/// Parses a checkpoint note and checks that `log_key` signed it and that its origin is the
/// key's name.
pub fn open_checkpoint(
    bytes: &[u8],
    log_key: &VerifierKey,
) -> Result<(SignedNote, Checkpoint), String> {
    let note = SignedNote::parse(bytes)?;
    let checkpoint = note.checkpoint()?;
    if checkpoint.origin != log_key.name {
        return Err(format!(
            "checkpoint origin {:?} is not the log key's name {:?}",
            checkpoint.origin, log_key.name
        ));
    }
    note.verified_by(&KeyRing(vec![log_key.clone()]))
        .map_err(|e| format!("checkpoint signature: {e}"))?;
    Ok((note, checkpoint))
}
