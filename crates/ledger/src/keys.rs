//! Signed-note keys: Ed25519 log keys (signature type 0x01) and Ed25519 `cosignature/v1`
//! witness keys (type 0x04), in the C2SP vkey / Go note private-key text formats.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use signed_note::{VerificationError, Verifier, Verifiers, is_key_name_valid, key_id};

use crate::cosignature;

/// Signature type byte of a plain Ed25519 note signature (log checkpoints).
pub const TYPE_ED25519: u8 = 0x01;
/// Signature type byte of an Ed25519 `cosignature/v1` (witnesses).
pub const TYPE_COSIGNATURE_V1: u8 = 0x04;

/// Longest key text we parse (a vkey is about 100 bytes).
const MAX_KEY_TEXT: usize = 1024;

/// Which of the two supported Ed25519 signature formats a key makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Signs the note text directly (tlog-checkpoint log signatures).
    Ed25519,
    /// Signs `cosignature/v1\ntime T\n` + note text, with a timestamp (tlog-cosignature).
    CosignatureV1,
}

impl KeyKind {
    fn type_byte(self) -> u8 {
        match self {
            KeyKind::Ed25519 => TYPE_ED25519,
            KeyKind::CosignatureV1 => TYPE_COSIGNATURE_V1,
        }
    }

    fn from_type_byte(b: u8) -> Option<KeyKind> {
        match b {
            TYPE_ED25519 => Some(KeyKind::Ed25519),
            TYPE_COSIGNATURE_V1 => Some(KeyKind::CosignatureV1),
            _ => None,
        }
    }
}

/// A public key that verifies note signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    pub id: u32,
    pub kind: KeyKind,
    pub key: VerifyingKey,
}

impl VerifierKey {
    /// Parses `<name>+<hex id>+<base64(type || key)>`, checking the key ID.
    pub fn parse(vkey: &str) -> Result<VerifierKey, String> {
        if vkey.len() > MAX_KEY_TEXT {
            return Err("verifier key too long".into());
        }
        let vkey = vkey.trim();
        let mut parts = vkey.splitn(3, '+');
        let (name, id_hex, key_b64) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => return Err("verifier key is not name+id+key".into()),
        };
        if !is_key_name_valid(name) {
            return Err(format!("invalid key name {name:?}"));
        }
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("verifier key id is not 8 hex digits".into());
        }
        let id = u32::from_str_radix(id_hex, 16).map_err(|e| e.to_string())?;
        let raw = B64
            .decode(key_b64)
            .map_err(|e| format!("verifier key: {e}"))?;
        let (type_byte, key_bytes) = raw.split_first().ok_or("verifier key is empty")?;
        let kind = KeyKind::from_type_byte(*type_byte)
            .ok_or_else(|| format!("unsupported signature type 0x{type_byte:02x}"))?;
        let key_bytes: [u8; 32] = key_bytes
            .try_into()
            .map_err(|_| "Ed25519 public key is not 32 bytes")?;
        let key = VerifyingKey::from_bytes(&key_bytes).map_err(|e| format!("public key: {e}"))?;
        if key_id(name, &raw) != id {
            return Err(format!("key id {id_hex} does not match the key"));
        }
        Ok(VerifierKey {
            name: name.to_string(),
            id,
            kind,
            key,
        })
    }

    /// The vkey text form.
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![self.kind.type_byte()];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, B64.encode(raw))
    }

    /// True when both wrap the same public key (tlog-policy duplicate rule).
    pub fn same_key(&self, other: &VerifierKey) -> bool {
        self.key == other.key
    }
}

impl Verifier for VerifierKey {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self.kind {
            KeyKind::Ed25519 => verify_ed25519(&self.key, msg, sig),
            KeyKind::CosignatureV1 => cosignature::verify(&self.key, msg, sig).is_ok(),
        }
    }
}

/// Ed25519 verification as used everywhere in the ledger: `verify_strict`, which rejects
/// non-canonical S, non-canonical and small-order R and A (see README: CCTV edge cases).
pub fn verify_ed25519(key: &VerifyingKey, msg: &[u8], sig: &[u8]) -> bool {
    let Ok(bytes) = <[u8; 64]>::try_from(sig) else {
        return false;
    };
    key.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&bytes))
        .is_ok()
}

/// A set of trusted keys, looked up by name and key ID when verifying a note.
#[derive(Debug, Clone, Default)]
pub struct KeyRing(pub Vec<VerifierKey>);

impl Verifiers for KeyRing {
    fn verifier(&self, name: &str, id: u32) -> Result<&dyn Verifier, VerificationError> {
        let mut found = self.0.iter().filter(|k| k.name == name && k.id == id);
        match (found.next(), found.next()) {
            (Some(k), None) => Ok(k),
            (Some(_), Some(_)) => Err(VerificationError::AmbiguousKey {
                name: name.to_string(),
                id,
            }),
            (None, _) => Err(VerificationError::UnknownKey {
                name: name.to_string(),
                id,
            }),
        }
    }
}

/// A private key: signs checkpoints (log) or cosigns them (witness).
#[derive(Clone)]
pub struct SignerKey {
    pub name: String,
    pub kind: KeyKind,
    key: SigningKey,
}

impl std::fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SignerKey")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl SignerKey {
    /// A fresh key from the operating system's random source.
    pub fn generate(name: &str, kind: KeyKind) -> Result<SignerKey, String> {
        if !is_key_name_valid(name) {
            return Err(format!(
                "invalid key name {name:?}: it must be non-empty, without spaces or '+'"
            ));
        }
        let key = SigningKey::generate(&mut rand_core::OsRng);
        Ok(SignerKey {
            name: name.to_string(),
            kind,
            key,
        })
    }

    /// Builds a key from a 32-byte seed (tests and benchmarks).
    pub fn from_seed(name: &str, kind: KeyKind, seed: [u8; 32]) -> Result<SignerKey, String> {
        if !is_key_name_valid(name) {
            return Err(format!("invalid key name {name:?}"));
        }
        Ok(SignerKey {
            name: name.to_string(),
            kind,
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>` (the Go note format).
    pub fn parse(skey: &str) -> Result<SignerKey, String> {
        if skey.len() > MAX_KEY_TEXT {
            return Err("private key too long".into());
        }
        let rest = skey
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or("private key does not start with PRIVATE+KEY+")?;
        let mut parts = rest.splitn(3, '+');
        let (name, id_hex, key_b64) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => return Err("private key is not PRIVATE+KEY+name+id+key".into()),
        };
        let raw = B64
            .decode(key_b64)
            .map_err(|_| "private key is not base64")?;
        let (type_byte, seed) = raw.split_first().ok_or("private key is empty")?;
        let kind = KeyKind::from_type_byte(*type_byte)
            .ok_or("private key has an unsupported signature type")?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| "private key is not 32 bytes")?;
        let key = SignerKey::from_seed(name, kind, seed)?;
        if format!("{:08x}", key.verifier().id) != id_hex {
            return Err("private key id does not match its public key".into());
        }
        Ok(key)
    }

    /// The private-key text form. Callers write it only to a 0600 file.
    pub fn to_skey(&self) -> String {
        let mut raw = vec![self.kind.type_byte()];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.verifier().id,
            B64.encode(raw)
        )
    }

    /// The matching public key.
    pub fn verifier(&self) -> VerifierKey {
        let key = self.key.verifying_key();
        let mut raw = vec![self.kind.type_byte()];
        raw.extend_from_slice(key.as_bytes());
        VerifierKey {
            name: self.name.clone(),
            id: key_id(&self.name, &raw),
            kind: self.kind,
            key,
        }
    }

    /// A note signature line over `text` (for cosignatures, at `timestamp` seconds).
    pub fn sign_note(&self, text: &[u8], timestamp: u64) -> Result<signed_note::Signature, String> {
        let sig = match self.kind {
            KeyKind::Ed25519 => self.key.sign(text).to_bytes().to_vec(),
            KeyKind::CosignatureV1 => cosignature::sign(&self.key, text, timestamp)?,
        };
        signed_note::Signature::new(self.name.clone(), self.verifier().id, sig)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_ids_are_checked() {
        for kind in [KeyKind::Ed25519, KeyKind::CosignatureV1] {
            let k = SignerKey::from_seed("example.com/log", kind, [7; 32]).unwrap();
            let again = SignerKey::parse(&k.to_skey()).unwrap();
            assert_eq!(again.verifier(), k.verifier());
            let v = VerifierKey::parse(&k.verifier().to_vkey()).unwrap();
            assert_eq!(v, k.verifier());
        }
        let v = SignerKey::from_seed("a", KeyKind::Ed25519, [1; 32])
            .unwrap()
            .verifier()
            .to_vkey();
        let tampered = v.replacen("a+", "b+", 1);
        assert!(VerifierKey::parse(&tampered).is_err());
        assert!(VerifierKey::parse("a+0000+AQ==").is_err());
        assert!(SignerKey::parse("PRIVATE+KEY+a+00000000+AQ==").is_err());
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let k = SignerKey::from_seed("n", KeyKind::Ed25519, [9; 32]).unwrap();
        let skey = k.to_skey();
        let secret = skey.rsplit('+').next().unwrap();
        assert!(!format!("{k:?}").contains(secret));
    }
}
