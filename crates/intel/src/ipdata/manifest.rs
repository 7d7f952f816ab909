//! The manifest written beside each installed package: what was installed and its digests, so a
//! later install can tell that the data is already present and intact.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

pub const MANIFEST_NAME: &str = "manifest.json";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub package: String,
    pub version: String,
    /// The tarball's `sha512-…` integrity, as pinned.
    pub sha512: String,
    pub files: Vec<ManifestFile>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// The file name inside the package's install directory.
    pub path: String,
    pub bytes: u64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Lower-case hex SHA-256 of a file, read in chunks so a large file costs no large buffer.
pub fn sha256_file(path: &Path) -> std::io::Result<(u64, String)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total: u64 = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
        total = total.saturating_add(n as u64);
    }
    Ok((total, hex::encode(hasher.finalize())))
}

/// The manifest in `dir`, if present and readable (anything else counts as "not installed").
pub fn read_manifest(dir: &Path) -> Option<Manifest> {
    let text = std::fs::read(dir.join(MANIFEST_NAME)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// True when every file the manifest lists is present in `dir` with its recorded digest.
pub fn files_match(dir: &Path, manifest: &Manifest) -> bool {
    manifest.files.iter().all(|f| {
        // A manifest is our own output, but a file name that could leave the directory is
        // never followed.
        if f.path.contains('/') || f.path.contains('\\') || f.path.starts_with('.') {
            return false;
        }
        matches!(sha256_file(&dir.join(&f.path)), Ok((bytes, digest)) if bytes == f.bytes && digest == f.sha256)
    })
}
