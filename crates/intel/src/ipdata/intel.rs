//! `IpIntel`: every source's answer for an address, in source order, with a per-address cache.

use super::answer::Answer;
use super::cache::DestinationCache;
use super::config::{build_date, inferred_basis, read_config};
use super::error::IntelError;
use super::manifest::read_manifest;
use super::packages::{ASN, GEO_WHOIS_ASN_COUNTRY, IPTOASN_COUNTRY, PinnedPackage, installed_name};
use super::paths::package_dir;
use super::source::{OpenedSource, SourceReader, SourceSpec, open};
use ringfence_model::{Basis, Destination, IntelSource, SourceAnswer};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

/// Destinations cached by default: enough for the distinct remote addresses of a large audit.
pub const DEFAULT_CACHE_CAPACITY: usize = 1 << 16;

pub struct IpIntel {
    sources: Vec<IntelSource>,
    readers: Vec<SourceReader>,
    cache: DestinationCache,
}

/// The bundled sources: name, basis, licence, package and the file (or directory) read.
struct Bundled {
    name: &'static str,
    basis: Basis,
    licence: &'static str,
    package: PinnedPackage,
    /// A file of the package, or `None` for the package directory (the ASN CSV tables).
    file: Option<&'static str>,
}

const BUNDLED_SOURCES: [Bundled; 3] = [
    Bundled {
        name: "iptoasn-country",
        basis: Basis::RoutingCountry,
        licence: "PDDL-1.0 (IPtoASN)",
        package: IPTOASN_COUNTRY,
        file: Some("package/iptoasn-country.mmdb"),
    },
    Bundled {
        name: "geo-whois-asn-country",
        basis: Basis::RegistryCountry,
        licence: "CC-BY-4.0 (NRO)",
        package: GEO_WHOIS_ASN_COUNTRY,
        file: Some("package/geo-whois-asn-country.mmdb"),
    },
    Bundled {
        name: "asn",
        basis: Basis::AsnOrganisation,
        licence: "CC-BY-4.0 (RouteViews, DB-IP)",
        package: ASN,
        file: None,
    },
];

impl IpIntel {
    /// The three bundled sources from `data_dir` (an error naming the missing file and
    /// `ringfence data install` if absent, or naming a file altered since install), then the
    /// user's sources from the optional TOML `config`.
    pub fn load(data_dir: &Path, config: Option<&Path>) -> Result<IpIntel, IntelError> {
        let mut opened = Vec::new();
        for bundled in &BUNDLED_SOURCES {
            opened.push(open_bundled(data_dir, bundled)?);
        }
        if let Some(config) = config {
            for configured in read_config(config)? {
                let mut source = open(&configured.spec, true)?;
                let mmdb = match &source.reader {
                    SourceReader::Mmdb(mmdb) => Some(mmdb),
                    SourceReader::Asn(_) => None,
                };
                if !configured.version_given {
                    source.info.version = mmdb.map_or_else(
                        || "unversioned".to_string(),
                        |m| build_date(m.build_epoch()),
                    );
                }
                if !configured.basis_given {
                    let basis = inferred_basis(&configured.spec.path, mmdb);
                    if basis != source.info.basis {
                        // The basis decides which country field is read: reopen with the right one.
                        let spec = SourceSpec {
                            basis,
                            ..configured.spec.clone()
                        };
                        let version = source.info.version.clone();
                        source = open(&spec, false)?;
                        source.info.version = version;
                    }
                }
                opened.push(source);
            }
        }
        IpIntel::from_opened(opened)
    }

    /// Builds from explicit sources, in the order given (each MMDB is verified in full).
    pub fn from_sources(sources: Vec<SourceSpec>) -> Result<IpIntel, IntelError> {
        let opened = sources
            .iter()
            .map(|spec| open(spec, true))
            .collect::<Result<Vec<_>, _>>()?;
        IpIntel::from_opened(opened)
    }

    fn from_opened(opened: Vec<OpenedSource>) -> Result<IpIntel, IntelError> {
        let mut sources = Vec::with_capacity(opened.len());
        let mut readers = Vec::with_capacity(opened.len());
        for source in opened {
            if sources
                .iter()
                .any(|s: &IntelSource| s.name == source.info.name)
            {
                return Err(IntelError::DuplicateName {
                    name: source.info.name,
                });
            }
            sources.push(source.info);
            readers.push(source.reader);
        }
        Ok(IpIntel {
            sources,
            readers,
            cache: DestinationCache::new(DEFAULT_CACHE_CAPACITY),
        })
    }

    /// The same sources with a per-address cache of about `capacity` entries (0: none).
    pub fn with_cache_capacity(mut self, capacity: usize) -> IpIntel {
        self.cache = DestinationCache::new(capacity);
        self
    }

    pub fn sources(&self) -> &[IntelSource] {
        &self.sources
    }

    /// Every source's answer for one address, in source order (an owned copy of
    /// [`destination_shared`](Self::destination_shared)).
    pub fn destination(&self, address: IpAddr) -> Destination {
        Destination::clone(&self.destination_shared(address))
    }

    /// Every source's answer for one address, shared: a repeated address costs a cache probe and
    /// a reference-count increment, no allocation. The hot path for enrichment.
    pub fn destination_shared(&self, address: IpAddr) -> Arc<Destination> {
        if let Some(hit) = self.cache.get(&address) {
            return hit;
        }
        let destination = Arc::new(self.lookup_uncached(address));
        self.cache.insert(address, destination.clone());
        destination
    }

    /// Every source's answer without touching the cache.
    pub fn lookup_uncached(&self, address: IpAddr) -> Destination {
        // An IPv4-mapped IPv6 address is the IPv4 host: look it up as one, keep the address as
        // given.
        let lookup = lookup_address(address);
        let answers = self
            .sources
            .iter()
            .zip(&self.readers)
            .map(|(source, reader)| {
                let answer = reader.answer(lookup);
                SourceAnswer {
                    source: source.name.clone(),
                    basis: source.basis,
                    country: answer
                        .data
                        .country
                        .map(|c| String::from_utf8_lossy(&c).into_owned()),
                    asn: answer.data.asn,
                    organisation: answer.data.organisation.map(|o| o.to_string()),
                    network: answer.network.map(|n| n.to_string()),
                }
            })
            .collect();
        Destination { address, answers }
    }

    /// One source's compact answer for `address` (by its index in [`sources`](Self::sources)),
    /// without building a [`Destination`] or touching the cache: the country as two ASCII
    /// letters, the AS number and organisation, the network. IPv4-mapped IPv6 addresses are
    /// looked up as IPv4, as in [`lookup_uncached`](Self::lookup_uncached). `None` for an index
    /// past the last source.
    pub fn source_answer(&self, index: usize, address: IpAddr) -> Option<Answer> {
        Some(self.readers.get(index)?.answer(lookup_address(address)))
    }

    /// Per source, how many lookups met corrupt data and were answered empty.
    pub fn lookup_errors(&self) -> Vec<(&str, u64)> {
        self.sources
            .iter()
            .zip(&self.readers)
            .map(|(s, r)| (s.name.as_str(), r.errors()))
            .collect()
    }
}

/// The address the sources are asked about: an IPv4-mapped IPv6 address is the IPv4 host (the
/// databases hold IPv4 data in their IPv4 subtree).
fn lookup_address(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// Opens one bundled source and checks its files against the install manifest.
fn open_bundled(data_dir: &Path, bundled: &Bundled) -> Result<OpenedSource, IntelError> {
    let dir = package_dir(data_dir, bundled.package.install_dir);
    let path = match bundled.file {
        Some(file) => dir.join(installed_name(file)),
        None => dir.clone(),
    };
    let manifest = read_manifest(&dir);
    let Some(manifest) = manifest.filter(|_| path.exists()) else {
        return Err(IntelError::Missing { path });
    };
    let spec = SourceSpec {
        name: bundled.name.to_string(),
        path: path.clone(),
        basis: bundled.basis,
        licence: bundled.licence.to_string(),
        version: manifest.version.clone(),
    };
    let opened = open(&spec, false)?;
    for (file, digest) in &opened.files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let recorded = manifest.files.iter().find(|f| f.path == name);
        if recorded.is_none_or(|f| &f.sha256 != digest) {
            return Err(IntelError::Mmdb {
                path: file.clone(),
                reason:
                    "differs from the install manifest; run `ringfence data install` to restore it"
                        .into(),
            });
        }
    }
    Ok(opened)
}
