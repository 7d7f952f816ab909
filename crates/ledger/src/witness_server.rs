//! A C2SP tlog-witness: `POST /add-checkpoint` verifies the log's signature and the consistency
//! proof from the size it last cosigned, persists the new checkpoint atomically (one file per
//! origin, replaced by rename after fsync) and returns a `cosignature/v1`;
//! `GET /<sha256(origin) hex>/checkpoint` serves the latest cosigned checkpoint.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::checkpoint::parse_decimal;
use crate::hash::{Hash, empty_root, sha256};
use crate::keys::{KeyKind, KeyRing, SignerKey};
use crate::note::SignedNote;
use crate::proof::verify_consistency;

/// Largest request body (a checkpoint with signatures and 63 proof lines is a few KiB).
const MAX_BODY: usize = 128 * 1024;
/// The spec's limit on consistency proof lines.
const MAX_PROOF_LINES: usize = 63;

/// A witness: its key, the logs it trusts, and the directory where it keeps its state.
pub struct Witness {
    key: SignerKey,
    logs: KeyRing,
    state_dir: PathBuf,
    /// Serialises check-then-persist so that two requests cannot roll the state back.
    lock: Mutex<()>,
}

/// The answer to an add-checkpoint request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessAnswer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

fn answer(status: u16, body: impl Into<Vec<u8>>) -> WitnessAnswer {
    WitnessAnswer {
        status,
        content_type: "text/plain; charset=utf-8",
        body: body.into(),
    }
}

impl Witness {
    /// A witness cosigning with `key` (a cosignature/v1 key) for the logs in `logs`.
    pub fn new(key: SignerKey, logs: KeyRing, state_dir: &Path) -> Result<Witness, String> {
        if key.kind != KeyKind::CosignatureV1 {
            return Err("a witness key must be a cosignature/v1 (type 0x04) key".into());
        }
        std::fs::create_dir_all(state_dir).map_err(|e| format!("{}: {e}", state_dir.display()))?;
        Ok(Witness {
            key,
            logs,
            state_dir: state_dir.to_path_buf(),
            lock: Mutex::new(()),
        })
    }

    fn state_path(&self, origin: &str) -> PathBuf {
        self.state_dir.join(sha256(origin.as_bytes()).to_hex())
    }

    /// The latest checkpoint cosigned for the origin whose SHA-256 is `origin_hash_hex`.
    pub fn latest(&self, origin_hash_hex: &str) -> Option<Vec<u8>> {
        if origin_hash_hex.len() != 64
            || !origin_hash_hex
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return None;
        }
        std::fs::read(self.state_dir.join(origin_hash_hex)).ok()
    }

    /// Handles an add-checkpoint request body.
    pub fn add_checkpoint(&self, body: &[u8]) -> WitnessAnswer {
        if body.len() > MAX_BODY {
            return answer(400, "request too large\n");
        }
        let Some(split) = body.windows(2).position(|w| w == b"\n\n") else {
            return answer(400, "no blank line after the consistency proof\n");
        };
        let (head, note_bytes) = (&body[..split + 1], &body[split + 2..]);
        let Ok(head) = std::str::from_utf8(head) else {
            return answer(400, "request is not UTF-8\n");
        };
        let mut lines = head.lines();
        let Some(old) = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .and_then(parse_decimal)
        else {
            return answer(400, "malformed old size line\n");
        };
        let mut proof = Vec::new();
        for l in lines {
            if proof.len() >= MAX_PROOF_LINES {
                return answer(400, "more than 63 consistency proof lines\n");
            }
            let Some(h) = Hash::from_base64(l) else {
                return answer(400, "malformed consistency proof line\n");
            };
            proof.push(h);
        }
        let note = match SignedNote::parse(note_bytes) {
            Ok(n) => n,
            Err(e) => return answer(400, format!("{e}\n")),
        };
        let cp = match note.checkpoint() {
            Ok(c) => c,
            Err(e) => return answer(400, format!("{e}\n")),
        };
        let origin_keys = KeyRing(
            self.logs
                .0
                .iter()
                .filter(|k| k.name == cp.origin)
                .cloned()
                .collect(),
        );
        if origin_keys.0.is_empty() {
            return answer(404, "unknown log origin\n");
        }
        let log_sigs = match note.verified_by(&origin_keys) {
            Ok(s) => s,
            Err(e) => return answer(403, format!("log signature: {e}\n")),
        };
        if old > cp.size {
            return answer(400, "old size is larger than the checkpoint size\n");
        }
        if cp.size == 0 && cp.root != empty_root() {
            return answer(422, "a checkpoint of size 0 must have the empty root\n");
        }
        let Ok(_guard) = self.lock.lock() else {
            return answer(500, "witness state lock poisoned\n");
        };
        let path = self.state_path(&cp.origin);
        let (known_size, known_root) = match std::fs::read(&path) {
            Ok(bytes) => match SignedNote::parse(&bytes).and_then(|n| n.checkpoint()) {
                Ok(c) => (c.size, c.root),
                Err(e) => return answer(500, format!("witness state is corrupt: {e}\n")),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (0, empty_root()),
            Err(e) => return answer(500, format!("reading witness state: {e}\n")),
        };
        if old != known_size {
            return WitnessAnswer {
                status: 409,
                content_type: "text/x.tlog.size",
                body: format!("{known_size}\n").into_bytes(),
            };
        }
        if old == 0 && !proof.is_empty() {
            return answer(422, "a proof from size 0 must be empty\n");
        }
        if old > 0
            && let Err(e) = verify_consistency(old, cp.size, &proof, &known_root, &cp.root)
        {
            return answer(422, format!("consistency proof: {e}\n"));
        }
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(1)
            .max(1);
        let cosig = match self.key.sign_note(&note.body, timestamp) {
            Ok(s) => s,
            Err(e) => return answer(500, format!("signing: {e}\n")),
        };
        // Keep the log signatures we verified and our cosignature.
        let mut stored = SignedNote {
            body: note.body.clone(),
            signatures: log_sigs,
        };
        stored.merge(std::slice::from_ref(&cosig));
        if let Err(e) = crate::durable::replace_atomically(&path, &stored.to_bytes()) {
            return answer(500, format!("persisting witness state: {e}\n"));
        }
        answer(200, cosig.to_bytes())
    }

    /// The HTTP routes, with `prefix` as both the submission and the monitoring prefix.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/add-checkpoint", post(add_checkpoint_handler))
            .route("/{origin_hash}/checkpoint", get(checkpoint_handler))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(self)
    }
}

async fn add_checkpoint_handler(State(w): State<Arc<Witness>>, body: Bytes) -> Response {
    // The check-and-persist section does blocking file I/O and fsync.
    let res = tokio::task::spawn_blocking(move || w.add_checkpoint(&body)).await;
    match res {
        Ok(a) => {
            let status =
                StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, [(header::CONTENT_TYPE, a.content_type)], a.body).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn checkpoint_handler(
    State(w): State<Arc<Witness>>,
    UrlPath(origin_hash): UrlPath<String>,
) -> Response {
    match w.latest(&origin_hash) {
        Some(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves `witness` on `listener` until `shutdown` resolves.
pub async fn serve(
    witness: Arc<Witness>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, witness.router())
        .with_graceful_shutdown(shutdown)
        .await
}
