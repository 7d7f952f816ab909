//! The user's own IP data sources, from a TOML file:
//!
//! ```toml
//! [[source]]
//! name = "GeoLite2-Country"
//! path = "GeoLite2-Country.mmdb"      # relative to this file
//! basis = "geolocated_country"        # optional: routing_country, registry_country,
//!                                     # geolocated_country or asn_organisation
//! licence = "GeoLite2 EULA"
//! version = "2026-06-01"              # optional: an MMDB's build date by default
//! ```
//!
//! Without `basis`, an MMDB whose `database_type` mentions ASN answers "ASN and organisation",
//! a CSV table likewise, and any other MMDB "geolocated country" (what MaxMind, IPinfo and DB-IP
//! country databases estimate).

use super::error::IntelError;
use super::mmdb::MmdbSource;
use super::source::SourceSpec;
use ringfence_model::Basis;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    source: Vec<ConfigSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigSource {
    name: String,
    path: PathBuf,
    basis: Option<Basis>,
    licence: String,
    version: Option<String>,
}

/// A configured source whose basis or version is still to be read from the file itself.
#[derive(Debug)]
pub struct ConfiguredSource {
    pub spec: SourceSpec,
    pub basis_given: bool,
    pub version_given: bool,
}

/// The largest config file read (it only lists sources).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

pub fn read_config(path: &Path) -> Result<Vec<ConfiguredSource>, IntelError> {
    let config_error = |reason: String| IntelError::Config {
        path: path.to_path_buf(),
        reason,
    };
    let size = std::fs::metadata(path)
        .map_err(|source| IntelError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if size > MAX_CONFIG_BYTES {
        return Err(config_error(format!(
            "larger than {MAX_CONFIG_BYTES} bytes"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|source| IntelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| config_error(e.to_string()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    file.source
        .into_iter()
        .map(|s| {
            if s.name.trim().is_empty() {
                return Err(config_error("a [[source]] has an empty name".into()));
            }
            Ok(ConfiguredSource {
                basis_given: s.basis.is_some(),
                version_given: s.version.is_some(),
                spec: SourceSpec {
                    name: s.name,
                    path: base.join(s.path),
                    basis: s.basis.unwrap_or(Basis::GeolocatedCountry),
                    licence: s.licence,
                    version: s.version.unwrap_or_default(),
                },
            })
        })
        .collect()
}

/// The basis a source without one in the config answers on.
pub fn inferred_basis(path: &Path, mmdb: Option<&MmdbSource>) -> Basis {
    match mmdb {
        Some(db) if db.database_type().to_ascii_lowercase().contains("asn") => {
            Basis::AsnOrganisation
        }
        Some(_) => Basis::GeolocatedCountry,
        None if path.is_dir()
            || path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv")) =>
        {
            Basis::AsnOrganisation
        }
        None => Basis::GeolocatedCountry,
    }
}

/// `built YYYY-MM-DD` from an MMDB build epoch (UTC), the version of a source given none.
pub fn build_date(epoch: u64) -> String {
    let days = i64::try_from(epoch / 86_400).unwrap_or(0);
    // Civil-from-days (H. Hinnant), proleptic Gregorian.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("built {year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_dates() {
        assert_eq!(build_date(0), "built 1970-01-01");
        assert_eq!(build_date(951_782_400), "built 2000-02-29");
        assert_eq!(build_date(1_781_740_800), "built 2026-06-18");
    }

    #[test]
    fn config_paths_are_relative_to_the_file_and_unknown_keys_rejected() {
        let dir =
            std::env::temp_dir().join(format!("ringfence-intel-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("intel.toml");
        std::fs::write(
            &path,
            "[[source]]\nname = \"mine\"\npath = \"db/x.mmdb\"\nbasis = \"registry_country\"\nlicence = \"CC0\"\n",
        )
        .unwrap();
        let sources = read_config(&path).unwrap();
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0].spec.path, dir.join("db/x.mmdb"));
        assert_eq!(sources[0].spec.basis, Basis::RegistryCountry);
        assert!(!sources[0].version_given);
        std::fs::write(
            &path,
            "[[source]]\nname = \"m\"\npath = \"x\"\nlicence = \"l\"\ncolour = 1\n",
        )
        .unwrap();
        let err = read_config(&path).unwrap_err().to_string();
        assert!(
            err.contains("intel.toml") && err.contains("colour"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
