//! Where the IP data lives on disk.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "RINGFENCE_DATA_DIR";

/// `$RINGFENCE_DATA_DIR`, else `$XDG_DATA_HOME/ringfence`, else `~/.local/share/ringfence`
/// (the XDG base-directory default), else `./ringfence-data` when no home is known.
pub fn default_data_dir() -> PathBuf {
    data_dir_from(
        std::env::var_os(DATA_DIR_ENV),
        std::env::var_os("XDG_DATA_HOME"),
        std::env::var_os("HOME"),
    )
}

/// The rule of [`default_data_dir`] on explicit values (empty values count as unset, as the
/// XDG specification says).
pub(crate) fn data_dir_from(
    override_dir: Option<std::ffi::OsString>,
    xdg_data_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> PathBuf {
    if let Some(dir) = override_dir.filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    // XDG: a relative XDG_DATA_HOME is invalid and must be ignored.
    if let Some(dir) = xdg_data_home.map(PathBuf::from).filter(|d| d.is_absolute()) {
        return dir.join("ringfence");
    }
    match home.filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/ringfence"),
        None => PathBuf::from("ringfence-data"),
    }
}

/// The world map the HTML report draws: world-atlas 2.0.2 `countries-110m.json`.
pub fn world_atlas_path(data_dir: &Path) -> PathBuf {
    data_dir.join("world-atlas").join("countries-110m.json")
}

/// The directory one installed package's files live in.
pub(crate) fn package_dir(data_dir: &Path, install_dir: &str) -> PathBuf {
    data_dir.join(install_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_wins_then_xdg_then_home() {
        assert_eq!(
            data_dir_from(Some("/o".into()), Some("/x".into()), Some("/h".into())),
            PathBuf::from("/o")
        );
        assert_eq!(
            data_dir_from(None, Some("/x".into()), Some("/h".into())),
            PathBuf::from("/x/ringfence")
        );
        assert_eq!(
            data_dir_from(Some("".into()), Some("rel".into()), Some("/h".into())),
            PathBuf::from("/h/.local/share/ringfence")
        );
        assert_eq!(
            data_dir_from(None, None, None),
            PathBuf::from("ringfence-data")
        );
        assert_eq!(
            world_atlas_path(Path::new("/d")),
            PathBuf::from("/d/world-atlas/countries-110m.json")
        );
    }
}
