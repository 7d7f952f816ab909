//! The log side of C2SP tlog-witness: ask each configured witness to cosign a new checkpoint
//! (`POST <prefix>/add-checkpoint` with a consistency proof from the size it last cosigned) and
//! keep only cosignatures that verify under the witness's key.

use std::sync::Mutex;
use std::time::Duration;

use signed_note::Signature;

use crate::hash::Hash;
use crate::keys::KeyRing;
use crate::note::SignedNote;
use crate::policy::{Policy, PolicyWitness};

/// Largest witness response we read (a few signature lines).
const MAX_RESPONSE: u64 = 64 * 1024;

/// One witness and the size it last cosigned for our log, as far as we know.
struct Remote {
    witness: PolicyWitness,
    url: String,
    known_size: Mutex<u64>,
}

/// The witnesses a log asks for cosignatures.
pub struct WitnessClient {
    remotes: Vec<Remote>,
    agent: ureq::Agent,
}

/// What one round of cosigning achieved.
#[derive(Debug, Default)]
pub struct CosignOutcome {
    pub signatures: Vec<Signature>,
    /// One line per witness that did not cosign, with the reason.
    pub failures: Vec<String>,
}

impl WitnessClient {
    /// Witnesses of `policy` that have a URL (their submission prefix).
    pub fn new(policy: &Policy, timeout: Duration) -> WitnessClient {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build();
        WitnessClient {
            remotes: policy
                .witnesses
                .iter()
                .filter_map(|w| {
                    w.url.as_ref().map(|u| Remote {
                        witness: w.clone(),
                        url: format!("{}/add-checkpoint", u.trim_end_matches('/')),
                        known_size: Mutex::new(0),
                    })
                })
                .collect(),
            agent: config.into(),
        }
    }

    /// Whether any witness is configured.
    pub fn is_empty(&self) -> bool {
        self.remotes.is_empty()
    }

    /// Asks every witness, in parallel, to cosign `note` (a checkpoint of `size` leaves).
    /// `prove(old)` gives the consistency proof from `old` leaves.
    pub fn cosign<F>(&self, note: &SignedNote, size: u64, prove: F) -> CosignOutcome
    where
        F: Fn(u64) -> Result<Vec<Hash>, String> + Sync,
    {
        let results: Vec<Result<Vec<Signature>, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .remotes
                .iter()
                .map(|r| s.spawn(|| self.cosign_one(r, note, size, &prove)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("witness thread failed".into()))
                })
                .collect()
        });
        let mut out = CosignOutcome::default();
        for (r, res) in self.remotes.iter().zip(results) {
            match res {
                Ok(sigs) => out.signatures.extend(sigs),
                Err(e) => out.failures.push(format!("{}: {e}", r.url)),
            }
        }
        out
    }

    fn cosign_one<F>(
        &self,
        r: &Remote,
        note: &SignedNote,
        size: u64,
        prove: &F,
    ) -> Result<Vec<Signature>, String>
    where
        F: Fn(u64) -> Result<Vec<Hash>, String>,
    {
        let mut old = *r.known_size.lock().map_err(|_| "poisoned")?;
        // One retry: a 409 tells us the size the witness really has.
        for _ in 0..2 {
            if old > size {
                return Err(format!(
                    "witness has cosigned size {old}, larger than ours ({size}): possible fork"
                ));
            }
            let proof = if old == 0 { Vec::new() } else { prove(old)? };
            let mut body = format!("old {old}\n");
            for h in &proof {
                body.push_str(&h.to_base64());
                body.push('\n');
            }
            body.push('\n');
            let mut bytes = body.into_bytes();
            bytes.extend_from_slice(&note.to_bytes());
            let mut resp = self
                .agent
                .post(&r.url)
                .content_type("text/plain; charset=utf-8")
                .send(&bytes[..])
                .map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let text = resp
                .body_mut()
                .with_config()
                .limit(MAX_RESPONSE)
                .read_to_string()
                .map_err(|e| e.to_string())?;
            match status {
                200 => {
                    let sigs = parse_cosignatures(&text, note, &r.witness)?;
                    if let Ok(mut k) = r.known_size.lock() {
                        *k = size;
                    }
                    return Ok(sigs);
                }
                409 => {
                    old = text
                        .strip_suffix('\n')
                        .and_then(crate::checkpoint::parse_decimal)
                        .ok_or("409 without a tree size")?;
                    if let Ok(mut k) = r.known_size.lock() {
                        *k = old;
                    }
                }
                s => {
                    return Err(format!(
                        "HTTP {s}: {}",
                        text.chars().take(200).collect::<String>()
                    ));
                }
            }
        }
        Err("witness kept answering 409 Conflict".into())
    }
}

/// Keeps the signature lines of a witness response that verify under the witness's key.
fn parse_cosignatures(
    text: &str,
    note: &SignedNote,
    witness: &PolicyWitness,
) -> Result<Vec<Signature>, String> {
    let mut sigs = Vec::new();
    for line in text.lines().take(64) {
        if line.is_empty() {
            continue;
        }
        let sig = Signature::from_bytes(line.as_bytes())
            .map_err(|e| format!("bad signature line: {e}"))?;
        if sig.name() == witness.key.name && sig.id() == witness.key.id {
            sigs.push(sig);
        }
    }
    let candidate = SignedNote {
        body: note.body.clone(),
        signatures: sigs,
    };
    candidate
        .verified_by(&KeyRing(vec![witness.key.clone()]))
        .map_err(|e| format!("cosignature does not verify: {e}"))
}
