//! The log writer: a directory in the C2SP tlog-tiles layout that any static web server can
//! serve. Appends are batched by a group-commit sequencer, made durable (file and directory
//! fsync) before they are acknowledged, serialised across processes with a file lock, and
//! published by atomically replacing the signed checkpoint.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::LedgerError;
use crate::checkpoint::Checkpoint;
use crate::durable::{DurableBatch, create_new, create_private, replace_atomically};
use crate::edge::{Edge, TileEvent};
use crate::entry::MAX_ENTRY_BYTES;
use crate::hash::{Hash, empty_root};
use crate::keys::{KeyKind, SignerKey, VerifierKey};
use crate::note::{SignedNote, open_checkpoint, sign_checkpoint};
use crate::policy::Policy;
use crate::proof::{consistency_proof, inclusion_proof};
use crate::tile_path::{TILE_WIDTH, entries_path, hash_tile_path, index_path};
use crate::tile_source::{FsTiles, TileNodes};
use crate::tlog_proof::TlogProof;
use crate::witness_client::WitnessClient;

/// Most entries one `append` call may carry (bounds a batch's memory).
pub const MAX_ENTRIES_PER_CALL: usize = 100_000;
const LOCK_FILE: &str = ".lock";

/// Where the private key of the log in `dir` lives by default: beside the directory (never
/// inside it, because the directory is meant to be served as it is).
pub fn default_key_path(dir: &Path) -> PathBuf {
    sibling(dir, "key")
}

/// The default public key file: `<DIR>.vkey`.
pub fn default_vkey_path(dir: &Path) -> PathBuf {
    sibling(dir, "vkey")
}

/// The default witness configuration (a tlog-policy with witness URLs): `<DIR>.witnesses`.
pub fn default_witnesses_path(dir: &Path) -> PathBuf {
    sibling(dir, "witnesses")
}

fn sibling(dir: &Path, ext: &str) -> PathBuf {
    let trimmed = dir.components().collect::<PathBuf>();
    let mut name = trimmed
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "log".into());
    name.push(format!(".{ext}"));
    trimmed.with_file_name(name)
}

/// Creates an empty log in `dir` with a fresh Ed25519 key named `origin`: the private key goes
/// to `key_path` (mode 0600), the public key (vkey) to `vkey_path`; the empty checkpoint is
/// signed. Returns the public key.
pub fn init_log(
    dir: &Path,
    origin: &str,
    key_path: &Path,
    vkey_path: &Path,
) -> Result<VerifierKey, LedgerError> {
    let key = SignerKey::generate(origin, KeyKind::Ed25519).map_err(LedgerError::Input)?;
    if dir.join("checkpoint").exists() {
        return Err(LedgerError::Input(format!(
            "{} already holds a log",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| LedgerError::io(dir, e))?;
    create_private(key_path, format!("{}\n", key.to_skey()).as_bytes())
        .map_err(|e| LedgerError::io(key_path, e))?;
    let vkey = key.verifier();
    create_new(vkey_path, format!("{}\n", vkey.to_vkey()).as_bytes())
        .map_err(|e| LedgerError::io(vkey_path, e))?;
    let empty = Checkpoint {
        origin: origin.to_string(),
        size: 0,
        root: empty_root(),
        extensions: Vec::new(),
    };
    let note = sign_checkpoint(&empty, &key).map_err(LedgerError::Input)?;
    create_new(&dir.join("checkpoint"), &note.to_bytes()).map_err(|e| LedgerError::io(dir, e))?;
    Ok(vkey)
}

/// Reads a private key file.
pub fn read_signer_key(path: &Path) -> Result<SignerKey, LedgerError> {
    let text = read_small(path, 4096)?;
    SignerKey::parse(&text).map_err(|e| LedgerError::Input(format!("{}: {e}", path.display())))
}

/// Reads a small text file (keys, policies) with a size cap.
pub fn read_small(path: &Path, cap: u64) -> Result<String, LedgerError> {
    use std::io::Read as _;
    let f = File::open(path).map_err(|e| LedgerError::io(path, e))?;
    let mut s = String::new();
    f.take(cap + 1)
        .read_to_string(&mut s)
        .map_err(|e| LedgerError::io(path, e))?;
    if s.len() as u64 > cap {
        return Err(LedgerError::Input(format!(
            "{} is larger than {cap} bytes",
            path.display()
        )));
    }
    Ok(s)
}

struct State {
    edge: Edge,
    note: SignedNote,
    note_bytes: Vec<u8>,
    lock: File,
}

#[derive(Default)]
struct Queue {
    pending: Vec<(u64, Vec<Vec<u8>>)>,
    committing: bool,
    next_ticket: u64,
    done: HashMap<u64, Result<Vec<u64>, String>>,
}

/// An open log.
pub struct Log {
    dir: PathBuf,
    key: SignerKey,
    vkey: VerifierKey,
    witnesses: Option<WitnessClient>,
    state: Mutex<State>,
    queue: Mutex<Queue>,
    wake: Condvar,
}

/// Options for [`Log::open_with`].
pub struct LogOptions {
    pub key_path: PathBuf,
    /// Witnesses to ask for cosignatures after each checkpoint (None: do not ask).
    pub witnesses: Option<Policy>,
    pub witness_timeout: Duration,
}

impl LogOptions {
    /// The defaults for `dir`: key at `<DIR>.key`, witnesses from `<DIR>.witnesses` if present.
    pub fn defaults(dir: &Path) -> Result<LogOptions, LedgerError> {
        let wpath = default_witnesses_path(dir);
        let witnesses = if wpath.exists() {
            let text = read_small(&wpath, 256 * 1024)?;
            Some(
                Policy::parse(text.as_bytes())
                    .map_err(|e| LedgerError::Input(format!("{}: {e}", wpath.display())))?,
            )
        } else {
            None
        };
        Ok(LogOptions {
            key_path: default_key_path(dir),
            witnesses,
            witness_timeout: Duration::from_secs(10),
        })
    }
}

impl Log {
    /// Opens the log in `dir` with the default options.
    pub fn open(dir: &Path) -> Result<Log, LedgerError> {
        Log::open_with(dir, LogOptions::defaults(dir)?)
    }

    /// Opens the log in `dir`, checking that its checkpoint is signed by the key and that the
    /// tiles on disk rebuild the checkpoint's root.
    pub fn open_with(dir: &Path, opts: LogOptions) -> Result<Log, LedgerError> {
        let key = read_signer_key(&opts.key_path)?;
        if key.kind != KeyKind::Ed25519 {
            return Err(LedgerError::Input(
                "a log key must be an Ed25519 note key".into(),
            ));
        }
        let vkey = key.verifier();
        let lock_path = dir.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| LedgerError::io(&lock_path, e))?;
        lock.lock().map_err(|e| LedgerError::io(&lock_path, e))?;
        let loaded = load_state(dir, &vkey);
        let _ = lock.unlock();
        let (edge, note, note_bytes) = loaded?;
        let witnesses = opts
            .witnesses
            .as_ref()
            .map(|p| WitnessClient::new(p, opts.witness_timeout))
            .filter(|w| !w.is_empty());
        Ok(Log {
            dir: dir.to_path_buf(),
            key,
            vkey,
            witnesses,
            state: Mutex::new(State {
                edge,
                note,
                note_bytes,
                lock,
            }),
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        })
    }

    /// The log's public key.
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.vkey
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current signed checkpoint and its body.
    pub fn checkpoint(&self) -> Result<(SignedNote, Checkpoint), LedgerError> {
        let st = self.state.lock().map_err(|_| LedgerError::Poisoned)?;
        let cp = st.note.checkpoint().map_err(LedgerError::Corrupt)?;
        Ok((st.note.clone(), cp))
    }

    /// Appends entries and returns their indices once they are durable and covered by a signed
    /// (and, if witnesses are configured, cosigned) checkpoint. Concurrent callers are batched
    /// together so that one fsync round covers many entries.
    pub fn append(&self, entries: Vec<Vec<u8>>) -> Result<Vec<u64>, LedgerError> {
        if entries.len() > MAX_ENTRIES_PER_CALL {
            return Err(LedgerError::Input(format!(
                "more than {MAX_ENTRIES_PER_CALL} entries in one call"
            )));
        }
        if let Some(e) = entries.iter().find(|e| e.len() > MAX_ENTRY_BYTES) {
            return Err(LedgerError::Input(format!(
                "entry of {} bytes exceeds {MAX_ENTRY_BYTES}",
                e.len()
            )));
        }
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = self.queue.lock().map_err(|_| LedgerError::Poisoned)?;
        let ticket = q.next_ticket;
        q.next_ticket += 1;
        q.pending.push((ticket, entries));
        loop {
            if let Some(res) = q.done.remove(&ticket) {
                return res.map_err(LedgerError::Append);
            }
            if !q.committing {
                // Become the leader: commit everything queued so far as one batch.
                q.committing = true;
                let batch = std::mem::take(&mut q.pending);
                drop(q);
                let results = self.commit_batch(&batch);
                q = self.queue.lock().map_err(|_| LedgerError::Poisoned)?;
                q.committing = false;
                for ((t, _), r) in batch.iter().zip(results) {
                    q.done.insert(*t, r);
                }
                self.wake.notify_all();
                continue;
            }
            q = self.wake.wait(q).map_err(|_| LedgerError::Poisoned)?;
        }
    }

    fn commit_batch(&self, batch: &[(u64, Vec<Vec<u8>>)]) -> Vec<Result<Vec<u64>, String>> {
        match self.commit_inner(batch) {
            Ok(firsts) => batch
                .iter()
                .zip(firsts)
                .map(|((_, entries), first)| Ok((first..first + entries.len() as u64).collect()))
                .collect(),
            Err(e) => batch.iter().map(|_| Err(e.to_string())).collect(),
        }
    }

    fn commit_inner(&self, batch: &[(u64, Vec<Vec<u8>>)]) -> Result<Vec<u64>, LedgerError> {
        let mut st = self.state.lock().map_err(|_| LedgerError::Poisoned)?;
        let lock_path = self.dir.join(LOCK_FILE);
        st.lock.lock().map_err(|e| LedgerError::io(&lock_path, e))?;
        let result = self.commit_locked(&mut st, batch);
        let _ = st.lock.unlock();
        result
    }

    fn commit_locked(
        &self,
        st: &mut State,
        batch: &[(u64, Vec<Vec<u8>>)],
    ) -> Result<Vec<u64>, LedgerError> {
        // Another process may have appended since we last looked.
        let on_disk = std::fs::read(self.dir.join("checkpoint"))
            .map_err(|e| LedgerError::io(&self.dir, e))?;
        if on_disk != st.note_bytes {
            let (edge, note, bytes) = load_state(&self.dir, &self.vkey)?;
            st.edge = edge;
            st.note = note;
            st.note_bytes = bytes;
        }
        let mut edge = st.edge.clone();
        let mut events = Vec::new();
        let mut firsts = Vec::with_capacity(batch.len());
        for (_, entries) in batch {
            firsts.push(edge.size());
            for e in entries {
                edge.append(e, &mut events).map_err(LedgerError::Append)?;
            }
        }
        events.extend(edge.partial_events());
        // Later events for the same path supersede earlier ones.
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut completed = Vec::new();
        for ev in events {
            match ev {
                TileEvent::Hashes { level, n, hashes } => {
                    let width = hashes.len() as u64;
                    if width == TILE_WIDTH {
                        completed.push(format!("tile/{level}/{}.p", index_path(n)));
                    }
                    let bytes: Vec<u8> = hashes.iter().flat_map(|h| h.0).collect();
                    files.insert(hash_tile_path(level, n, width), bytes);
                }
                TileEvent::Entries { n, count, bytes } => {
                    if count == TILE_WIDTH {
                        completed.push(format!("tile/entries/{}.p", index_path(n)));
                    }
                    files.insert(entries_path(n, count), bytes);
                }
            }
        }
        // Files of the published checkpoint must never be rewritten: a crash in the middle of
        // rewriting one would corrupt an acknowledged state. The same path always has the same
        // content in a consistent log, so an unchanged partial tile is simply skipped.
        let published: std::collections::HashSet<String> =
            st.edge.partial_events().iter().map(event_path).collect();
        let mut writes = DurableBatch::default();
        for (path, bytes) in &files {
            if published.contains(path) {
                continue;
            }
            writes
                .write(&self.dir.join(path), bytes)
                .map_err(|e| LedgerError::io(&self.dir.join(path), e))?;
        }
        writes.commit().map_err(|e| LedgerError::io(&self.dir, e))?;
        let checkpoint = Checkpoint {
            origin: self.vkey.name.clone(),
            size: edge.size(),
            root: edge.root(),
            extensions: Vec::new(),
        };
        let mut note = sign_checkpoint(&checkpoint, &self.key).map_err(LedgerError::Append)?;
        let cp_path = self.dir.join("checkpoint");
        replace_atomically(&cp_path, &note.to_bytes()).map_err(|e| LedgerError::io(&cp_path, e))?;
        // The entries are now durable and published. Ask witnesses to cosign, then republish.
        if let Some(w) = &self.witnesses {
            let reader = FsTiles(self.dir.clone());
            let size = edge.size();
            let outcome = w.cosign(&note, size, |old| {
                consistency_proof(&mut TileNodes::new(&reader, size), old, size)
                    .map_err(|e| e.to_string())
            });
            if !outcome.signatures.is_empty() {
                note.merge(&outcome.signatures);
                replace_atomically(&cp_path, &note.to_bytes())
                    .map_err(|e| LedgerError::io(&cp_path, e))?;
            }
            for f in outcome.failures {
                eprintln!("ringfence ledger: witness did not cosign size {size}: {f}");
            }
        }
        st.note_bytes = note.to_bytes();
        st.note = note;
        st.edge = edge;
        // Partial tiles superseded by full ones may go (tlog-tiles allows it); readers fall back
        // to the full tile. Failure to delete is harmless.
        for dir in completed {
            let _ = std::fs::remove_dir_all(self.dir.join(dir));
        }
        Ok(firsts)
    }

    /// The receipt for entry `index`: a tlog-proof against the current checkpoint.
    pub fn receipt(&self, index: u64) -> Result<TlogProof, LedgerError> {
        let (note, cp) = self.checkpoint()?;
        let reader = FsTiles(self.dir.clone());
        let inclusion = inclusion_proof(&mut TileNodes::new(&reader, cp.size), index, cp.size)
            .map_err(|e| LedgerError::Input(e.to_string()))?;
        Ok(TlogProof {
            extra: None,
            index,
            inclusion,
            checkpoint: note,
        })
    }

    /// A consistency proof between two sizes of this log (`new` at most the current size).
    pub fn consistency(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        let (_, cp) = self.checkpoint()?;
        if new > cp.size {
            return Err(LedgerError::Input(format!(
                "size {new} is beyond the log's size {}",
                cp.size
            )));
        }
        // Read the current tiles: they hold every complete subtree of any smaller size, whereas
        // partial tiles of sizes that were never checkpointed do not exist.
        let reader = FsTiles(self.dir.clone());
        consistency_proof(&mut TileNodes::new(&reader, cp.size), old, new)
            .map_err(|e| LedgerError::Input(e.to_string()))
    }

    /// Asks the configured witnesses to cosign the current checkpoint again (after an outage).
    pub fn cosign_current(&self) -> Result<Vec<String>, LedgerError> {
        let Some(w) = &self.witnesses else {
            return Err(LedgerError::Input("no witnesses are configured".into()));
        };
        let mut st = self.state.lock().map_err(|_| LedgerError::Poisoned)?;
        let lock_path = self.dir.join(LOCK_FILE);
        st.lock.lock().map_err(|e| LedgerError::io(&lock_path, e))?;
        let result = (|| {
            let (edge, mut note, _) = load_state(&self.dir, &self.vkey)?;
            let size = edge.size();
            let reader = FsTiles(self.dir.clone());
            let outcome = w.cosign(&note, size, |old| {
                consistency_proof(&mut TileNodes::new(&reader, size), old, size)
                    .map_err(|e| e.to_string())
            });
            note.merge(&outcome.signatures);
            let cp_path = self.dir.join("checkpoint");
            replace_atomically(&cp_path, &note.to_bytes())
                .map_err(|e| LedgerError::io(&cp_path, e))?;
            st.note_bytes = note.to_bytes();
            st.note = note;
            st.edge = edge;
            Ok(outcome.failures)
        })();
        let _ = st.lock.unlock();
        result
    }
}

/// The resource path of a tile event.
fn event_path(ev: &TileEvent) -> String {
    match ev {
        TileEvent::Hashes { level, n, hashes } => hash_tile_path(*level, *n, hashes.len() as u64),
        TileEvent::Entries { n, count, .. } => entries_path(*n, *count),
    }
}

/// Reads and verifies the checkpoint and rebuilds the right edge from the tiles.
fn load_state(dir: &Path, vkey: &VerifierKey) -> Result<(Edge, SignedNote, Vec<u8>), LedgerError> {
    let cp_path = dir.join("checkpoint");
    let bytes = std::fs::read(&cp_path).map_err(|e| LedgerError::io(&cp_path, e))?;
    let (note, cp) = open_checkpoint(&bytes, vkey)
        .map_err(|e| LedgerError::Corrupt(format!("{}: {e}", cp_path.display())))?;
    let edge = Edge::load(&FsTiles(dir.to_path_buf()), cp.size, true)
        .map_err(|e| LedgerError::Corrupt(e.to_string()))?;
    if edge.root() != cp.root {
        return Err(LedgerError::Corrupt(format!(
            "tiles rebuild root {} but the checkpoint says {}",
            edge.root(),
            cp.root
        )));
    }
    Ok((edge, note, bytes))
}
