//! The right edge of a tiled tree: the partial tile at each level and the partial entry
//! bundle. Appending to it yields the tiles that change; its root is the tree's root. The log
//! uses it to write tiles and the monitor to re-derive and compare them.

use crate::hash::{Hash, empty_root, leaf_hash, node_hash, root_of_hashes};
use crate::proof::ProofError;
use crate::tile_path::{TILE_HEIGHT, TILE_WIDTH};
use crate::tile_source::{TileReader, read_entry_bundle, read_hash_tile};

/// A tile (or bundle) that an append produced, full or partial.
#[derive(Debug, Clone, PartialEq)]
pub enum TileEvent {
    /// Hash tile `n` at `level` now holds `hashes` (256 = full).
    Hashes {
        level: u32,
        n: u64,
        hashes: Vec<Hash>,
    },
    /// Entry bundle `n` now holds `count` entries encoded as `bytes`.
    Entries { n: u64, count: u64, bytes: Vec<u8> },
}

/// The right edge of a tree of `size` leaves.
#[derive(Debug, Clone, Default)]
pub struct Edge {
    size: u64,
    /// `levels[l]`: hashes of the partial tile at level `l` (fewer than 256).
    levels: Vec<Vec<Hash>>,
    /// The partial entry bundle, encoded.
    bundle: Vec<u8>,
    bundle_count: u64,
}

fn encode_entry(out: &mut Vec<u8>, entry: &[u8]) -> Result<(), String> {
    let len = u16::try_from(entry.len()).map_err(|_| "entry longer than 65535 bytes")?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(entry);
    Ok(())
}

impl Edge {
    /// The edge of the empty tree.
    pub fn empty() -> Edge {
        Edge::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Loads the edge of the tree of `size` leaves from its tiles.
    pub fn load<R: TileReader>(
        reader: &R,
        size: u64,
        with_entries: bool,
    ) -> Result<Edge, ProofError> {
        let mut levels = Vec::new();
        let mut level = 0u32;
        while let Some(count) = size.checked_shr(TILE_HEIGHT * level).filter(|c| *c > 0) {
            let width = count % TILE_WIDTH;
            let hashes = if width > 0 {
                read_hash_tile(reader, level, count / TILE_WIDTH, width)?
            } else {
                Vec::new()
            };
            levels.push(hashes);
            level += 1;
        }
        let mut bundle = Vec::new();
        let bundle_count = size % TILE_WIDTH;
        if with_entries && bundle_count > 0 {
            let entries = read_entry_bundle(reader, size / TILE_WIDTH, bundle_count)
                .map_err(ProofError::Source)?;
            for e in entries {
                encode_entry(&mut bundle, &e).map_err(ProofError::Source)?;
            }
        }
        Ok(Edge {
            size,
            levels,
            bundle,
            bundle_count,
        })
    }

    /// Appends one entry; completed full tiles are pushed to `events`.
    pub fn append(&mut self, entry: &[u8], events: &mut Vec<TileEvent>) -> Result<(), String> {
        let new_size = self.size.checked_add(1).ok_or("log is full")?;
        encode_entry(&mut self.bundle, entry)?;
        self.bundle_count += 1;
        self.size = new_size;
        if self.bundle_count == TILE_WIDTH {
            events.push(TileEvent::Entries {
                n: new_size / TILE_WIDTH - 1,
                count: TILE_WIDTH,
                bytes: std::mem::take(&mut self.bundle),
            });
            self.bundle_count = 0;
        }
        self.push_hash(0, leaf_hash(entry), events);
        Ok(())
    }

    /// Appends a leaf whose hash is known but whose entry is not kept (monitors of level 0).
    fn push_hash(&mut self, level: u32, hash: Hash, events: &mut Vec<TileEvent>) {
        let idx = level as usize;
        while self.levels.len() <= idx {
            self.levels.push(Vec::new());
        }
        let Some(tile) = self.levels.get_mut(idx) else {
            return;
        };
        tile.push(hash);
        if tile.len() as u64 == TILE_WIDTH {
            let hashes = std::mem::take(tile);
            let root = root_of_hashes(&hashes);
            let n = (self.size >> (TILE_HEIGHT * level)) / TILE_WIDTH - 1;
            events.push(TileEvent::Hashes { level, n, hashes });
            self.push_hash(level + 1, root, events);
        }
    }

    /// The partial tiles and bundle of the current size (what a checkpoint of this size needs
    /// besides the full tiles).
    pub fn partial_events(&self) -> Vec<TileEvent> {
        let mut out = Vec::new();
        for (level, hashes) in self.levels.iter().enumerate() {
            if !hashes.is_empty() {
                let level = level as u32;
                out.push(TileEvent::Hashes {
                    level,
                    n: (self.size >> (TILE_HEIGHT * level)) / TILE_WIDTH,
                    hashes: hashes.clone(),
                });
            }
        }
        if self.bundle_count > 0 {
            out.push(TileEvent::Entries {
                n: self.size / TILE_WIDTH,
                count: self.bundle_count,
                bytes: self.bundle.clone(),
            });
        }
        out
    }

    /// The Merkle tree hash of the whole tree.
    pub fn root(&self) -> Hash {
        let mut subtrees = Vec::new();
        for hashes in self.levels.iter().rev() {
            let mut offset = 0usize;
            for bit in (0..TILE_HEIGHT).rev() {
                let width = 1usize << bit;
                if hashes.len() & width != 0 {
                    if let Some(part) = hashes.get(offset..offset + width) {
                        subtrees.push(root_of_hashes(part));
                    }
                    offset += width;
                }
            }
        }
        let mut iter = subtrees.into_iter().rev();
        let Some(mut acc) = iter.next() else {
            return empty_root();
        };
        for left in iter {
            acc = node_hash(&left, &acc);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn edge_root_matches_the_recursive_definition() {
        let mut edge = Edge::empty();
        let mut leaves = Vec::new();
        let mut events = Vec::new();
        assert_eq!(edge.root(), empty_root());
        for i in 0u32..70_000 {
            let e = i.to_be_bytes();
            edge.append(&e, &mut events).unwrap();
            leaves.push(leaf_hash(&e));
            if [
                1, 2, 3, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, 69_999,
            ]
            .contains(&(i + 1))
            {
                assert_eq!(edge.root(), root_of_hashes(&leaves), "size {}", i + 1);
            }
        }
        // 273 full level-0 tiles, 273 full bundles and one full level-1 tile.
        let full0 = events
            .iter()
            .filter(|e| matches!(e, TileEvent::Hashes { level: 0, .. }))
            .count();
        let full1 = events
            .iter()
            .filter(|e| matches!(e, TileEvent::Hashes { level: 1, .. }))
            .count();
        let bundles = events
            .iter()
            .filter(|e| matches!(e, TileEvent::Entries { .. }))
            .count();
        assert_eq!((full0, full1, bundles), (273, 1, 273));
        let partial: Vec<(u32, u64, usize)> = edge
            .partial_events()
            .iter()
            .filter_map(|e| match e {
                TileEvent::Hashes { level, n, hashes } => Some((*level, *n, hashes.len())),
                TileEvent::Entries { .. } => None,
            })
            .collect();
        assert_eq!(partial, vec![(0, 273, 112), (1, 1, 17), (2, 0, 1)]);
    }
}
