//! IP data sources: installation, MMDB and CSV readers, and destinations with every answer.
//!
//! Layout of the data directory after `ringfence data install`:
//!
//! ```text
//! <data_dir>/ipdata/iptoasn-country-mmdb/{iptoasn-country.mmdb, README.md, manifest.json}
//! <data_dir>/ipdata/geo-whois-asn-country-mmdb/{geo-whois-asn-country.mmdb, NRO_LICENSE, README.md, manifest.json}
//! <data_dir>/ipdata/asn/{asn-ipv4.csv, asn-ipv6.csv, DBIP-LICENSE, NRO_LICENSE, ROUTEVIEWS-LICENSE, MODIFICATIONS, README.md, manifest.json}
//! <data_dir>/world-atlas/{countries-110m.json, LICENSE, manifest.json}
//! ```

mod answer;
mod asn_csv;
mod batch;
mod cache;
mod config;
mod enrichment;
mod error;
mod install;
mod intel;
mod manifest;
mod merged;
mod mmdb;
pub mod packages;
mod paths;
mod prefetch;
mod range_table;
mod record;
mod source;
mod sri;
mod tree;

pub use answer::{Answer, Network, RecordData};
pub use enrichment::{Answers, Enrichment};
pub use error::{InstallError, IntelError};
pub use install::{InstallReport, install, install_packages, npm_pack};
pub use intel::{DEFAULT_CACHE_CAPACITY, ENRICH_BATCH, IndexStats, IpIntel};
pub use manifest::{Manifest, ManifestFile};
pub use packages::{PinnedFile, PinnedPackage};
pub use paths::{DATA_DIR_ENV, default_data_dir, world_atlas_path};
pub use source::{MAX_SOURCE_BYTES, SourceSpec};
pub use sri::sha512_integrity;
