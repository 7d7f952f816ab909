//! Durable file writes: data is fsynced before it is acknowledged, and every directory whose
//! entries changed is fsynced too, so a crash (or `kill -9`, or power loss) never loses an
//! acknowledged write.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Collects writes so that one batch pays for each fsync once.
#[derive(Default)]
pub struct DurableBatch {
    files: Vec<(PathBuf, File)>,
    dirs: BTreeSet<PathBuf>,
}

impl DurableBatch {
    /// Writes `bytes` to `path` (creating parent directories), without syncing yet.
    pub fn write(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            self.create_dirs(parent)?;
            self.dirs.insert(parent.to_path_buf());
        }
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        f.write_all(bytes)?;
        self.files.push((path.to_path_buf(), f));
        Ok(())
    }

    fn create_dirs(&mut self, dir: &Path) -> std::io::Result<()> {
        if dir.as_os_str().is_empty() || dir.is_dir() {
            return Ok(());
        }
        if let Some(parent) = dir.parent() {
            self.create_dirs(parent)?;
            // The new directory's entry lives in its parent.
            self.dirs.insert(parent.to_path_buf());
        }
        match fs::create_dir(dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Syncs every written file, then every touched directory.
    pub fn commit(self) -> std::io::Result<()> {
        for (path, f) in &self.files {
            f.sync_data()
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        }
        for d in &self.dirs {
            sync_dir(d)?;
        }
        Ok(())
    }
}

/// Fsyncs a directory so that entries created or renamed in it survive a crash.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let d = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(d)?.sync_all()
}

/// Atomically replaces `path` with `bytes`: write a temporary file, fsync it, rename it over
/// `path`, fsync the directory. Readers see the old or the new content, never a mix.
pub fn replace_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    sync_dir(dir)
}

/// Creates `path` with mode 0600 holding `bytes`; fails if it exists (never overwrites a key).
pub fn create_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Creates `path` holding `bytes`; fails if it exists.
pub fn create_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}
