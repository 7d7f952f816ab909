//! C2SP tlog-proof files (`c2sp.org/tlog-proof@v1`): a receipt binding one entry to a
//! cosigned checkpoint through an inclusion proof.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::checkpoint::parse_decimal;
use crate::hash::Hash;
use crate::note::SignedNote;
use crate::proof::MAX_PROOF_LEN;

const HEADER: &str = "c2sp.org/tlog-proof@v1";
/// Extra data is opaque and unauthenticated; keep it small.
const MAX_EXTRA: usize = 16 * 1024;

/// A parsed tlog-proof.
#[derive(Debug, Clone, PartialEq)]
pub struct TlogProof {
    pub extra: Option<Vec<u8>>,
    pub index: u64,
    pub inclusion: Vec<Hash>,
    pub checkpoint: SignedNote,
}

impl TlogProof {
    /// The file's text.
    pub fn to_text(&self) -> Vec<u8> {
        let mut s = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            s.push_str(&format!("extra {}\n", B64.encode(extra)));
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.inclusion {
            s.push_str(&h.to_base64());
            s.push('\n');
        }
        s.push('\n');
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.checkpoint.to_bytes());
        out
    }

    /// Parses a proof file strictly.
    pub fn parse(bytes: &[u8]) -> Result<TlogProof, String> {
        if bytes.len() > crate::note::MAX_NOTE_BYTES + 8 * 1024 + MAX_EXTRA * 2 {
            return Err("tlog-proof too large".into());
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "tlog-proof is not UTF-8")?;
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or("tlog-proof has no blank line before the checkpoint")?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(format!("tlog-proof does not start with {HEADER}"));
        }
        let mut line = lines.next().ok_or("tlog-proof has no index line")?;
        let mut extra = None;
        if let Some(e) = line.strip_prefix("extra ") {
            if e.len() > MAX_EXTRA * 2 {
                return Err("tlog-proof extra data too large".into());
            }
            extra = Some(
                B64.decode(e)
                    .map_err(|_| "tlog-proof extra is not base64")?,
            );
            line = lines.next().ok_or("tlog-proof has no index line")?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(parse_decimal)
            .ok_or("tlog-proof index line is malformed")?;
        let mut inclusion = Vec::new();
        for l in lines {
            if inclusion.len() >= MAX_PROOF_LEN {
                return Err("tlog-proof inclusion proof too long".into());
            }
            inclusion.push(Hash::from_base64(l).ok_or("tlog-proof proof line is not a hash")?);
        }
        let checkpoint = SignedNote::parse(checkpoint.as_bytes())?;
        Ok(TlogProof {
            extra,
            index,
            inclusion,
            checkpoint,
        })
    }
}
