//! C2SP tlog-checkpoint note bodies: origin, tree size, root hash, optional extension lines.

use crate::hash::Hash;

/// Longest checkpoint body we accept (the note limit is far higher; real bodies are ~100 bytes).
pub const MAX_CHECKPOINT_BODY: usize = 16 * 1024;

/// The body of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub extensions: Vec<String>,
}

/// Parses an ASCII decimal with no leading zeroes (except `0` itself).
pub fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty()
        || text.len() > 20
        || !text.bytes().all(|b| b.is_ascii_digit())
        || (text.len() > 1 && text.starts_with('0'))
    {
        return None;
    }
    text.parse().ok()
}

impl Checkpoint {
    /// Parses a note body (text up to and including the final newline, no signatures).
    pub fn parse(body: &[u8]) -> Result<Checkpoint, String> {
        if body.len() > MAX_CHECKPOINT_BODY {
            return Err("checkpoint body too long".into());
        }
        let text = std::str::from_utf8(body).map_err(|_| "checkpoint is not UTF-8")?;
        let text = text
            .strip_suffix('\n')
            .ok_or("checkpoint body does not end in a newline")?;
        let mut lines = text.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err("checkpoint origin is empty".into());
        }
        let size = lines
            .next()
            .and_then(parse_decimal)
            .ok_or("checkpoint tree size is not a canonical decimal")?;
        let root = lines
            .next()
            .and_then(Hash::from_base64)
            .ok_or("checkpoint root hash is not 32 bytes of base64")?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err("checkpoint has an empty extension line".into());
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }

    /// The note body, newline-terminated.
    pub fn to_body(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strictness() {
        let body = "example.com/log\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let c = Checkpoint::parse(body.as_bytes()).unwrap();
        assert_eq!(c.size, 20852163);
        assert_eq!(c.to_body(), body);
        for bad in [
            "example.com/log\n020852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
            "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "example.com/log\n1\nZG9uJ3QgY2FyZSAx\n",
            "example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
            "example.com/log\n99999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        ] {
            assert!(Checkpoint::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }
}
