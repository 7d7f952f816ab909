//! A monitor: re-hashes a whole log from its entry bundles, checks every hash tile against the
//! re-derived hashes and the root against the signed checkpoint, and checks that every
//! checkpoint seen before is consistent with the current one (a mismatch is a fork).

use std::path::Path;

use crate::checkpoint::{Checkpoint, parse_decimal};
use crate::edge::{Edge, TileEvent};
use crate::hash::Hash;
use crate::keys::VerifierKey;
use crate::note::open_checkpoint;
use crate::proof::range_root;
use crate::tile_path::TILE_WIDTH;
use crate::tile_source::{TileNodes, TileReader, read_entry_bundle, read_hash_tile};

/// The result of one monitoring pass.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorReport {
    pub checkpoint: Checkpoint,
    /// Entries re-hashed.
    pub entries: u64,
    /// Problems found: tile mismatches, root mismatch, forks. Empty means all is well.
    pub problems: Vec<String>,
    /// Earlier checkpoints (size, root) confirmed consistent with the current one.
    pub consistent_with: Vec<(u64, Hash)>,
}

/// Most seen checkpoints a state file may hold.
const MAX_SEEN: usize = 100_000;

/// Reads a monitor state file: one `<size> <base64 root>` line per checkpoint seen.
pub fn read_seen(path: &Path) -> Result<Vec<(u64, Hash)>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if out.len() >= MAX_SEEN {
            return Err("monitor state holds too many checkpoints".into());
        }
        let (size, root) = line.split_once(' ').ok_or("malformed monitor state line")?;
        let size = parse_decimal(size).ok_or("malformed size in monitor state")?;
        let root = Hash::from_base64(root).ok_or("malformed root in monitor state")?;
        out.push((size, root));
    }
    Ok(out)
}

/// Writes the monitor state atomically.
pub fn write_seen(path: &Path, seen: &[(u64, Hash)]) -> Result<(), String> {
    let text: String = seen.iter().map(|(s, r)| format!("{s} {r}\n")).collect();
    crate::durable::replace_atomically(path, text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Monitors the log behind `reader`, whose key is `vkey`, against the `seen` checkpoints.
pub fn monitor<R: TileReader>(
    reader: &R,
    vkey: &VerifierKey,
    seen: &[(u64, Hash)],
) -> Result<MonitorReport, String> {
    let bytes = reader
        .read("checkpoint")?
        .ok_or("the log has no checkpoint")?;
    let (_, cp) = open_checkpoint(&bytes, vkey)?;
    let mut problems = Vec::new();
    let mut edge = Edge::empty();
    let mut events = Vec::new();
    let bundles = cp.size.div_ceil(TILE_WIDTH);
    for n in 0..bundles {
        let width = (cp.size - n * TILE_WIDTH).min(TILE_WIDTH);
        let entries = read_entry_bundle(reader, n, width)?;
        for e in &entries {
            edge.append(e, &mut events)?;
        }
        // Compare every full hash tile as soon as it has been re-derived; memory stays bounded.
        for ev in events.drain(..) {
            if let TileEvent::Hashes { level, n, hashes } = ev {
                check_tile(reader, level, n, &hashes, &mut problems);
            }
        }
    }
    for ev in edge.partial_events() {
        if let TileEvent::Hashes { level, n, hashes } = ev {
            check_tile(reader, level, n, &hashes, &mut problems);
        }
    }
    if edge.root() != cp.root {
        problems.push(format!(
            "entries hash to root {} but the checkpoint of size {} says {}",
            edge.root(),
            cp.size,
            cp.root
        ));
    }
    let mut consistent_with = Vec::new();
    for (size, root) in seen {
        if *size > cp.size {
            problems.push(format!(
                "fork or rollback: a checkpoint of size {size} was seen but the log is now at {}",
                cp.size
            ));
            continue;
        }
        match range_root(&mut TileNodes::new(reader, cp.size), 0, *size) {
            Ok(r) if r == *root => consistent_with.push((*size, *root)),
            Ok(r) => problems.push(format!(
                "fork: the checkpoint seen at size {size} had root {root}, the current tree has {r} there"
            )),
            Err(e) => problems.push(format!("cannot check size {size}: {e}")),
        }
    }
    Ok(MonitorReport {
        checkpoint: cp,
        entries: edge.size(),
        problems,
        consistent_with,
    })
}

fn check_tile<R: TileReader>(
    reader: &R,
    level: u32,
    n: u64,
    hashes: &[Hash],
    problems: &mut Vec<String>,
) {
    match read_hash_tile(reader, level, n, hashes.len() as u64) {
        Ok(stored) if stored == hashes => {}
        Ok(_) => problems.push(format!(
            "tile {level}/{n} (width {}) does not match the entries",
            hashes.len()
        )),
        Err(e) => problems.push(format!("tile {level}/{n}: {e}")),
    }
}
