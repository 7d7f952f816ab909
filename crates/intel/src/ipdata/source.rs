//! Sources: what a user or the set-up step names (`SourceSpec`), opened into a reader with the
//! provenance the report records (`IntelSource`).

use super::answer::{Answer, RecordData};
use super::asn_csv::{AsnTable, AsnTableBuilder};
use super::error::IntelError;
use super::merged::{Flatten, Ranges};
use super::mmdb::MmdbSource;
use super::prefetch::prefetch;
use ringfence_model::{Basis, IntelSource};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// An IP data source to open: an MMDB file, an ASN CSV file, or a directory of ASN CSV files
/// (read in name order; its digest is the SHA-256 of their concatenation in that order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSpec {
    pub name: String,
    pub path: PathBuf,
    pub basis: Basis,
    pub licence: String,
    pub version: String,
}

/// The largest source file read into memory (GeoIP2-City is about 70 MB; the ASN CSVs 33 MB).
pub const MAX_SOURCE_BYTES: u64 = 1024 * 1024 * 1024;

// A run holds one reader per source, a handful at most: the variants' size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum SourceReader {
    Mmdb(MmdbSource),
    Asn(AsnTable),
}

impl SourceReader {
    /// The answer for `address` by the source's own lookup (tree walk or bisection).
    pub fn answer(&self, address: IpAddr) -> Answer<'_> {
        match self {
            SourceReader::Mmdb(mmdb) => mmdb.answer(address),
            SourceReader::Asn(table) => table.answer(address),
        }
    }

    /// The record a slot of the merged index names.
    #[inline]
    pub fn record(&self, id: u32) -> Option<&RecordData> {
        match self {
            SourceReader::Mmdb(mmdb) => mmdb.record(id),
            SourceReader::Asn(table) => table.record(id),
        }
    }

    /// Starts fetching record `id` (see [`prefetch`]).
    #[inline]
    pub fn prefetch_record(&self, id: u32) {
        prefetch(self.record(id));
    }

    /// Lookups answered empty because the data was corrupt.
    pub fn errors(&self) -> u64 {
        match self {
            SourceReader::Mmdb(mmdb) => mmdb.errors(),
            SourceReader::Asn(_) => 0,
        }
    }
}

impl Flatten for SourceReader {
    fn ranges(&self, v6: bool) -> Option<Ranges<'_>> {
        match self {
            SourceReader::Mmdb(mmdb) => mmdb.ranges(v6),
            SourceReader::Asn(table) => Some(table.ranges(v6)),
        }
    }
}

pub struct OpenedSource {
    pub info: IntelSource,
    pub reader: SourceReader,
    /// Every file read with its SHA-256, for checking against an install manifest.
    pub files: Vec<(PathBuf, String)>,
}

/// Opens `spec`. `verify` walks a whole MMDB up front so corruption is a load error.
pub fn open(spec: &SourceSpec, verify: bool) -> Result<OpenedSource, IntelError> {
    let metadata = std::fs::metadata(&spec.path).map_err(|source| io_error(&spec.path, source))?;
    let mut combined = Sha256::new();
    let mut files = Vec::new();
    let reader = if metadata.is_dir() {
        let mut builder = AsnTableBuilder::default();
        for path in csv_files_in(&spec.path)? {
            let bytes = read_capped(&path)?;
            combined.update(&bytes);
            files.push((path.clone(), hex::encode(Sha256::digest(&bytes))));
            builder.add_csv(&path, &bytes)?;
        }
        if files.is_empty() {
            return Err(IntelError::Csv {
                path: spec.path.clone(),
                line: 0,
                reason: "no .csv files in the directory".into(),
            });
        }
        SourceReader::Asn(builder.finish())
    } else {
        let bytes = read_capped(&spec.path)?;
        combined.update(&bytes);
        files.push((spec.path.clone(), hex::encode(Sha256::digest(&bytes))));
        if is_csv(&spec.path) {
            let mut builder = AsnTableBuilder::default();
            builder.add_csv(&spec.path, &bytes)?;
            SourceReader::Asn(builder.finish())
        } else {
            SourceReader::Mmdb(MmdbSource::from_bytes(
                &spec.path, bytes, spec.basis, verify,
            )?)
        }
    };
    let info = IntelSource {
        name: spec.name.clone(),
        basis: spec.basis,
        version: spec.version.clone(),
        licence: spec.licence.clone(),
        sha256: hex::encode(combined.finalize()),
    };
    Ok(OpenedSource {
        info,
        reader,
        files,
    })
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

fn csv_files_in(dir: &Path) -> Result<Vec<PathBuf>, IntelError> {
    let entries = std::fs::read_dir(dir).map_err(|source| io_error(dir, source))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && is_csv(p))
        .collect();
    paths.sort();
    Ok(paths)
}

fn read_capped(path: &Path) -> Result<Vec<u8>, IntelError> {
    let file = std::fs::File::open(path).map_err(|source| io_error(path, source))?;
    let mut bytes = Vec::new();
    file.take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| io_error(path, source))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(IntelError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit: MAX_SOURCE_BYTES,
        });
    }
    Ok(bytes)
}

fn io_error(path: &Path, source: std::io::Error) -> IntelError {
    IntelError::Io {
        path: path.to_path_buf(),
        source,
    }
}
