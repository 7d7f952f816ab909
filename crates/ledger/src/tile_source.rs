//! Reading a tiled log: hash tiles and entry bundles from a directory or an HTTP prefix, and
//! complete-subtree hashes computed from those tiles for proofs.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::PathBuf;

use crate::hash::{HASH_LEN, Hash, root_of_hashes};
use crate::proof::{NodeSource, ProofError};
use crate::tile_path::{
    FULL_TILE_BYTES, TILE_HEIGHT, TILE_WIDTH, entries_path, hash_tile_path, tile_width,
};

/// Largest resource we accept: a full entry bundle of 256 entries of at most 64 KiB each.
pub const MAX_RESOURCE_BYTES: u64 = 256 * (2 + 65_535);

/// Where a log's resources (checkpoint, tiles, bundles) are read from.
pub trait TileReader {
    /// The bytes of the resource at `path` (relative, e.g. `tile/0/000`), or `None` if absent.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String>;
}

/// A log directory on the local file system.
pub struct FsTiles(pub PathBuf);

impl TileReader for FsTiles {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let full = self.0.join(path);
        let file = match std::fs::File::open(&full) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", full.display())),
        };
        let mut buf = Vec::new();
        file.take(MAX_RESOURCE_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("{}: {e}", full.display()))?;
        if buf.len() as u64 > MAX_RESOURCE_BYTES {
            return Err(format!("{}: larger than any tile", full.display()));
        }
        Ok(Some(buf))
    }
}

/// A log served over HTTP(S) under a URL prefix (a monitor's view).
pub struct HttpTiles {
    prefix: String,
    agent: ureq::Agent,
}

impl HttpTiles {
    pub fn new(prefix: &str) -> HttpTiles {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .http_status_as_error(false)
            .build();
        HttpTiles {
            prefix: prefix.trim_end_matches('/').to_string(),
            agent: config.into(),
        }
    }
}

impl TileReader for HttpTiles {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let url = format!("{}/{path}", self.prefix);
        let mut resp = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| format!("{url}: {e}"))?;
        let status = resp.status().as_u16();
        if status == 404 {
            return Ok(None);
        }
        if status != 200 {
            return Err(format!("{url}: HTTP status {status}"));
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESOURCE_BYTES)
            .read_to_vec()
            .map_err(|e| format!("{url}: {e}"))?;
        Ok(Some(body))
    }
}

/// Parses a hash tile that must hold exactly `width` hashes.
pub fn parse_hash_tile(bytes: &[u8], width: u64) -> Result<Vec<Hash>, String> {
    if bytes.len() as u64 != width * HASH_LEN as u64 || bytes.len() > FULL_TILE_BYTES {
        return Err(format!(
            "hash tile has {} bytes, expected {} hashes",
            bytes.len(),
            width
        ));
    }
    Ok(bytes
        .chunks_exact(HASH_LEN)
        .filter_map(Hash::from_slice)
        .collect())
}

/// Splits an entry bundle (big-endian u16 length-prefixed entries) into its entries.
pub fn parse_entry_bundle(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if out.len() as u64 >= TILE_WIDTH {
            return Err("entry bundle holds more than 256 entries".into());
        }
        let (len, tail) = match rest {
            [a, b, tail @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), tail),
            _ => return Err("entry bundle ends inside a length prefix".into()),
        };
        let entry = tail.get(..len).ok_or("entry bundle ends inside an entry")?;
        out.push(entry);
        rest = tail.get(len..).unwrap_or_default();
    }
    Ok(out)
}

/// Complete-subtree hashes of the tree of `size` leaves, read from tiles (cached per tile).
pub struct TileNodes<'r, R: TileReader> {
    reader: &'r R,
    size: u64,
    cache: HashMap<(u32, u64), Vec<Hash>>,
}

impl<'r, R: TileReader> TileNodes<'r, R> {
    pub fn new(reader: &'r R, size: u64) -> Self {
        TileNodes {
            reader,
            size,
            cache: HashMap::new(),
        }
    }

    /// The hashes of tile `n` at `level`, as wide as the tree of `size` makes it.
    pub fn tile(&mut self, level: u32, n: u64) -> Result<&[Hash], ProofError> {
        if !self.cache.contains_key(&(level, n)) {
            let width = tile_width(level, n, self.size);
            if width == 0 {
                return Err(ProofError::Unprovable("tile beyond the tree"));
            }
            let hashes = read_hash_tile(self.reader, level, n, width)?;
            // Bound the cache: a proof touches at most a few tiles per level.
            if self.cache.len() > 256 {
                self.cache.clear();
            }
            self.cache.insert((level, n), hashes);
        }
        Ok(self
            .cache
            .get(&(level, n))
            .map(Vec::as_slice)
            .unwrap_or_default())
    }
}

/// Reads tile `n` at `level` with `width` hashes, falling back to the full tile when a
/// partial one has been deleted (tlog-tiles allows that once the full tile exists).
pub fn read_hash_tile<R: TileReader>(
    reader: &R,
    level: u32,
    n: u64,
    width: u64,
) -> Result<Vec<Hash>, ProofError> {
    let path = hash_tile_path(level, n, width);
    let bytes = match reader.read(&path).map_err(ProofError::Source)? {
        Some(b) => b,
        None if width < TILE_WIDTH => {
            let full = hash_tile_path(level, n, TILE_WIDTH);
            let bytes = reader
                .read(&full)
                .map_err(ProofError::Source)?
                .ok_or_else(|| ProofError::Source(format!("missing tile {path}")))?;
            let mut hashes = parse_hash_tile(&bytes, TILE_WIDTH).map_err(ProofError::Source)?;
            hashes.truncate(width as usize);
            return Ok(hashes);
        }
        None => return Err(ProofError::Source(format!("missing tile {path}"))),
    };
    parse_hash_tile(&bytes, width).map_err(|e| ProofError::Source(format!("{path}: {e}")))
}

/// Reads entry bundle `n` with `width` entries, falling back to the full bundle.
pub fn read_entry_bundle<R: TileReader>(
    reader: &R,
    n: u64,
    width: u64,
) -> Result<Vec<Vec<u8>>, String> {
    let path = entries_path(n, width);
    let bytes = match reader.read(&path)? {
        Some(b) => b,
        None if width < TILE_WIDTH => reader
            .read(&entries_path(n, TILE_WIDTH))?
            .ok_or_else(|| format!("missing entry bundle {path}"))?,
        None => return Err(format!("missing entry bundle {path}")),
    };
    let entries = parse_entry_bundle(&bytes).map_err(|e| format!("{path}: {e}"))?;
    if (entries.len() as u64) < width {
        return Err(format!(
            "{path}: holds {} entries, expected {width}",
            entries.len()
        ));
    }
    Ok(entries
        .into_iter()
        .take(width as usize)
        .map(<[u8]>::to_vec)
        .collect())
}

impl<R: TileReader> NodeSource for TileNodes<'_, R> {
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, ProofError> {
        let tile_level = level / TILE_HEIGHT;
        let within = level % TILE_HEIGHT;
        // The node covers 2^within consecutive hashes of the tile level.
        let first = index
            .checked_shl(within)
            .filter(|f| f >> within == index)
            .ok_or(ProofError::Unprovable("node index overflow"))?;
        let count = 1u64 << within;
        let n = first / TILE_WIDTH;
        let offset = (first % TILE_WIDTH) as usize;
        let hashes = self.tile(tile_level, n)?;
        let slice = hashes
            .get(offset..offset + count as usize)
            .ok_or(ProofError::Unprovable("subtree beyond the tree"))?;
        Ok(root_of_hashes(slice))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_parse_and_reject_truncation() {
        let bundle = [0u8, 2, b'h', b'i', 0, 0, 0, 1, b'x'];
        let entries = parse_entry_bundle(&bundle).unwrap();
        assert_eq!(entries, vec![&b"hi"[..], &b""[..], &b"x"[..]]);
        assert!(parse_entry_bundle(&bundle[..8]).is_err());
        assert!(parse_entry_bundle(&[0]).is_err());
    }

    #[test]
    fn hash_tiles_must_have_the_expected_width() {
        assert!(parse_hash_tile(&[0; 64], 2).is_ok());
        assert!(parse_hash_tile(&[0; 65], 2).is_err());
        assert!(parse_hash_tile(&[0; 64], 3).is_err());
    }
}
