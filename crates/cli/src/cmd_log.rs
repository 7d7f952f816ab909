//! `ringfence log ...`: create a transparency log, append commitments, print proofs and
//! checkpoints, ask witnesses to cosign, and monitor a log for forks.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use ringfence_ledger::log::{
    default_key_path, default_vkey_path, default_witnesses_path, init_log, read_small,
};
use ringfence_ledger::monitor::{monitor, read_seen, write_seen};
use ringfence_ledger::tile_source::{FsTiles, HttpTiles};
use ringfence_ledger::{Log, LogOptions, Policy, VerifierKey};

const OK: u8 = 0;
const FAILED: u8 = 1;
const USAGE: u8 = 2;

#[derive(Args)]
pub struct LogArgs {
    #[command(subcommand)]
    command: LogCommand,
}

#[derive(Subcommand)]
enum LogCommand {
    /// Create an empty log in DIR and its Ed25519 key pair (private key mode 0600, never printed)
    Init {
        /// The log directory, served as it is by any static web server (C2SP tlog-tiles)
        dir: PathBuf,
        /// The log's origin line and key name, e.g. example.org/ringfence/2026
        #[arg(long)]
        origin: String,
        /// Private key file [default: DIR.key, beside the directory]
        #[arg(long)]
        key: Option<PathBuf>,
        /// Public key (vkey) file [default: DIR.vkey]
        #[arg(long)]
        vkey: Option<PathBuf>,
    },
    /// Append canonical-JSON commitment files; prints "INDEX FILE" once each is durable
    Append {
        dir: PathBuf,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        keys: KeyArgs,
        /// Write each file's receipt (C2SP tlog-proof) to FILE.tlog-proof
        #[arg(long)]
        receipts: bool,
    },
    /// Print the receipt (C2SP tlog-proof) of entry INDEX against the current checkpoint
    Prove {
        dir: PathBuf,
        index: u64,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Print the consistency proof from tree size OLD to NEW (default: the current size)
    Consistency {
        dir: PathBuf,
        old: u64,
        new: Option<u64>,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Print the current signed checkpoint
    Checkpoint {
        dir: PathBuf,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Ask the configured witnesses to cosign the current checkpoint again
    Cosign {
        dir: PathBuf,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Re-hash a whole log from its tiles and check earlier checkpoints for forks (exit 1 on any)
    Monitor {
        /// A log directory or an http(s):// URL prefix
        log: String,
        /// The log's public key: a vkey string or a file holding one
        #[arg(long)]
        vkey: String,
        /// File of checkpoints seen before (size and root per line); updated when all is well
        #[arg(long)]
        state: Option<PathBuf>,
    },
}

#[derive(Args)]
struct KeyArgs {
    /// Private key file [default: DIR.key]
    #[arg(long)]
    key: Option<PathBuf>,
    /// Witnesses to ask for cosignatures, a C2SP tlog-policy file with witness URLs
    /// [default: DIR.witnesses if it exists]
    #[arg(long)]
    witnesses: Option<PathBuf>,
}

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("ringfence log: {msg}");
    ExitCode::from(code)
}

fn open(dir: &Path, keys: &KeyArgs) -> Result<Log, ExitCode> {
    let mut opts = LogOptions::defaults(dir).map_err(|e| fail(USAGE, e))?;
    if let Some(k) = &keys.key {
        opts.key_path = k.clone();
    }
    if let Some(w) = &keys.witnesses {
        let text = read_small(w, 256 * 1024).map_err(|e| fail(USAGE, e))?;
        let policy = Policy::parse(text.as_bytes())
            .map_err(|e| fail(USAGE, format!("{}: {e}", w.display())))?;
        opts.witnesses = Some(policy);
    }
    Log::open_with(dir, opts).map_err(|e| fail(USAGE, e))
}

/// Runs `ringfence log`.
pub fn run(args: LogArgs) -> ExitCode {
    match run_inner(args) {
        Ok(code) | Err(code) => code,
    }
}

fn run_inner(args: LogArgs) -> Result<ExitCode, ExitCode> {
    let mut out = std::io::stdout().lock();
    match args.command {
        LogCommand::Init {
            dir,
            origin,
            key,
            vkey,
        } => {
            let key = key.unwrap_or_else(|| default_key_path(&dir));
            let vkey_path = vkey.unwrap_or_else(|| default_vkey_path(&dir));
            let v = init_log(&dir, &origin, &key, &vkey_path).map_err(|e| fail(USAGE, e))?;
            let _ = writeln!(out, "{}", v.to_vkey());
            eprintln!(
                "created log {} (private key {}, public key {}; witnesses are read from {} when it exists)",
                dir.display(),
                key.display(),
                vkey_path.display(),
                default_witnesses_path(&dir).display()
            );
        }
        LogCommand::Append {
            dir,
            files,
            keys,
            receipts,
        } => {
            let mut entries = Vec::with_capacity(files.len());
            for f in &files {
                let bytes = read_small(f, ringfence_ledger::entry::MAX_COMMITMENT_BYTES as u64)
                    .map_err(|e| fail(USAGE, e))?
                    .into_bytes();
                // Accept the file with or without one trailing newline; log the canonical bytes.
                let bytes = bytes
                    .strip_suffix(b"\n")
                    .map(<[u8]>::to_vec)
                    .unwrap_or(bytes);
                ringfence_ledger::entry::check_canonical_json(&bytes)
                    .map_err(|e| fail(USAGE, format!("{}: {e}", f.display())))?;
                entries.push(bytes);
            }
            let log = open(&dir, &keys)?;
            let indices = log.append(entries).map_err(|e| fail(USAGE, e))?;
            for (f, i) in files.iter().zip(&indices) {
                let _ = writeln!(out, "{i} {}", f.display());
                if receipts {
                    let proof = log.receipt(*i).map_err(|e| fail(USAGE, e))?;
                    let mut path = f.clone().into_os_string();
                    path.push(".tlog-proof");
                    std::fs::write(&path, proof.to_text()).map_err(|e| {
                        fail(USAGE, format!("{}: {e}", PathBuf::from(&path).display()))
                    })?;
                }
            }
        }
        LogCommand::Prove { dir, index, keys } => {
            let log = open(&dir, &keys)?;
            let proof = log.receipt(index).map_err(|e| fail(USAGE, e))?;
            let _ = out.write_all(&proof.to_text());
        }
        LogCommand::Consistency {
            dir,
            old,
            new,
            keys,
        } => {
            let log = open(&dir, &keys)?;
            let (_, cp) = log.checkpoint().map_err(|e| fail(USAGE, e))?;
            let new = new.unwrap_or(cp.size);
            let proof = log.consistency(old, new).map_err(|e| fail(USAGE, e))?;
            for h in proof {
                let _ = writeln!(out, "{h}");
            }
        }
        LogCommand::Checkpoint { dir, keys } => {
            let log = open(&dir, &keys)?;
            let (note, _) = log.checkpoint().map_err(|e| fail(USAGE, e))?;
            let _ = out.write_all(&note.to_bytes());
        }
        LogCommand::Cosign { dir, keys } => {
            let log = open(&dir, &keys)?;
            let failures = log.cosign_current().map_err(|e| fail(USAGE, e))?;
            let (note, _) = log.checkpoint().map_err(|e| fail(USAGE, e))?;
            let _ = out.write_all(&note.to_bytes());
            if !failures.is_empty() {
                for f in failures {
                    eprintln!("ringfence log: witness did not cosign: {f}");
                }
                return Ok(ExitCode::from(FAILED));
            }
        }
        LogCommand::Monitor { log, vkey, state } => {
            let vkey_text = if Path::new(&vkey).is_file() {
                read_small(Path::new(&vkey), 4096).map_err(|e| fail(USAGE, e))?
            } else {
                vkey
            };
            let vkey = VerifierKey::parse(&vkey_text).map_err(|e| fail(USAGE, e))?;
            let seen = match &state {
                Some(p) => read_seen(p).map_err(|e| fail(USAGE, e))?,
                None => Vec::new(),
            };
            let report = if log.starts_with("http://") || log.starts_with("https://") {
                monitor(&HttpTiles::new(&log), &vkey, &seen)
            } else {
                monitor(&FsTiles(PathBuf::from(&log)), &vkey, &seen)
            }
            .map_err(|e| fail(FAILED, e))?;
            let _ = writeln!(
                out,
                "log {} size {} root {}: re-hashed {} entries, consistent with {} earlier checkpoint(s)",
                report.checkpoint.origin,
                report.checkpoint.size,
                report.checkpoint.root,
                report.entries,
                report.consistent_with.len()
            );
            if !report.problems.is_empty() {
                for p in &report.problems {
                    let _ = writeln!(out, "PROBLEM: {p}");
                }
                return Ok(ExitCode::from(FAILED));
            }
            if let Some(p) = &state {
                let mut seen = seen;
                let current = (report.checkpoint.size, report.checkpoint.root);
                if !seen.contains(&current) {
                    seen.push(current);
                }
                write_seen(p, &seen).map_err(|e| fail(USAGE, e))?;
            }
        }
    }
    Ok(ExitCode::from(OK))
}
