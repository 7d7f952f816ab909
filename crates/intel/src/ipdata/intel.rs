//! `IpIntel`: every source's answer for an address, in source order: compact and borrowed from
//! the merged range index ([`IpIntel::enrich`]), or as an owned `Destination` through a
//! per-thread cache ([`IpIntel::destination_shared`]).

use super::answer::Answer;
use super::batch::Index;
use super::cache::DestinationCache;
use super::config::{build_date, inferred_basis, read_config};
use super::enrichment::Enrichment;
use super::error::IntelError;
use super::manifest::read_manifest;
use super::merged;
use super::packages::{ASN, GEO_WHOIS_ASN_COUNTRY, IPTOASN_COUNTRY, PinnedPackage, installed_name};
use super::paths::package_dir;
use super::range_table::RangeTable;
use super::source::{OpenedSource, SourceReader, SourceSpec, open};
use ringfence_model::{Basis, Destination, IntelSource, SourceAnswer};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

/// Addresses [`IpIntel::enrich_many`] looks up together: enough cache misses in flight to cover
/// a memory read's latency, few enough for the processor's outstanding-miss buffers.
pub const ENRICH_BATCH: usize = 32;

/// Destinations cached by default, per thread: enough for the distinct remote addresses one
/// worker meets in a large audit, bounded (a few MiB per thread when full).
pub const DEFAULT_CACHE_CAPACITY: usize = 1 << 14;

pub struct IpIntel {
    sources: Vec<IntelSource>,
    readers: Vec<SourceReader>,
    /// Every source's answers for IPv4 and IPv6, merged into one range table each.
    v4: RangeTable<u16>,
    v6: RangeTable<u128>,
    /// Per source, whether its IPv4 and its IPv6 answers are in the tables.
    flattened: Vec<(bool, bool)>,
    cache: DestinationCache,
}

/// The size of the merged range index (see [`IpIntel::index_stats`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexStats {
    pub v4_ranges: usize,
    pub v6_ranges: usize,
    /// Bytes of both tables.
    pub bytes: usize,
    /// Per source, in source order: whether its IPv4 and its IPv6 answers are in the index
    /// (a source that is not answers through its own lookup).
    pub flattened: Vec<(bool, bool)>,
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
        let (v4, flat_v4) = merged::build(false, &readers);
        let (v6, flat_v6) = merged::build(true, &readers);
        Ok(IpIntel {
            sources,
            readers,
            v4,
            v6,
            flattened: flat_v4.into_iter().zip(flat_v6).collect(),
            cache: DestinationCache::new(DEFAULT_CACHE_CAPACITY),
        })
    }

    /// The same sources with a per-address cache of about `capacity` entries per thread (0:
    /// none).
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

    /// Every source's answer for one address, shared: a repeated address costs a probe of this
    /// thread's cache and a reference-count increment, no lock and no allocation.
    pub fn destination_shared(&self, address: IpAddr) -> Arc<Destination> {
        self.cache
            .get_or_insert_with(address, || self.lookup_uncached(address))
    }

    /// Every source's answer without touching the cache.
    pub fn lookup_uncached(&self, address: IpAddr) -> Destination {
        let enrichment = self.enrich(address);
        let answers = self
            .sources
            .iter()
            .zip(enrichment.answers())
            .map(|(source, answer)| SourceAnswer {
                source: source.name.clone(),
                basis: source.basis,
                country: answer.country_str().map(str::to_string),
                asn: answer.asn,
                organisation: answer.organisation.map(|o| o.into_owned()),
                network: answer.network.map(|n| n.to_string()),
            })
            .collect();
        Destination { address, answers }
    }

    /// Every source's compact answer for one address, borrowed from the loaded data: one search
    /// of the merged range index, no allocation, no lock. The hot path for enrichment. An
    /// IPv4-mapped IPv6 address is looked up as the IPv4 host (the databases hold IPv4 data in
    /// their IPv4 subtree).
    #[inline]
    pub fn enrich(&self, address: IpAddr) -> Enrichment<'_> {
        let lookup = lookup_address(address);
        let slots = match lookup {
            IpAddr::V4(v4) => self.v4.slots(u128::from(u32::from(v4))),
            IpAddr::V6(v6) => self.v6.slots(u128::from(v6)),
        };
        Enrichment::new(&self.readers, lookup, slots)
    }

    /// Every source's compact answer for each of `addresses`: `out` is cleared and receives
    /// `sources().len()` answers per address, address by address, each exactly what
    /// [`enrich`](Self::enrich) gives. Faster than one `enrich` after another for many addresses:
    /// the index is read for [`ENRICH_BATCH`] addresses at a time, step by step, each step
    /// prefetching what the next reads, so the memory latencies of different addresses overlap
    /// instead of adding up.
    pub fn enrich_many<'a>(&'a self, addresses: &[IpAddr], out: &mut Vec<Answer<'a>>) {
        let index = Index {
            v4: &self.v4,
            v6: &self.v6,
            readers: &self.readers,
        };
        index.enrich_many(addresses, out);
    }

    /// One source's compact answer for `address` (by its index in [`sources`](Self::sources)):
    /// [`enrich`](Self::enrich)`(address).answer(index)`. `None` for an index past the last
    /// source.
    pub fn source_answer(&self, index: usize, address: IpAddr) -> Option<Answer<'_>> {
        self.enrich(address).answer(index)
    }

    /// The size of the merged range index and which sources it holds.
    pub fn index_stats(&self) -> IndexStats {
        IndexStats {
            v4_ranges: self.v4.ranges(),
            v6_ranges: self.v6.ranges(),
            bytes: self.v4.bytes() + self.v6.bytes(),
            flattened: self.flattened.clone(),
        }
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
pub(super) fn lookup_address(address: IpAddr) -> IpAddr {
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

#[cfg(test)]
mod tests {
    //! The merged index against each source's own lookup (tree walk, bisection), on the real
    //! installed data, on MaxMind's test databases and on corrupted trees.

    use super::*;
    use crate::ipdata::asn_csv::AsnTableBuilder;
    use crate::ipdata::mmdb::MmdbSource;
    use crate::ipdata::{default_data_dir, install};
    use std::net::{Ipv4Addr, Ipv6Addr};

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn next128(&mut self) -> u128 {
            (u128::from(self.next()) << 64) | u128::from(self.next())
        }
    }

    /// Random IPv4 and IPv6 addresses: public IPv4, IPv6 in the allocated `2000::/3` and anywhere,
    /// and IPv4 embedded in IPv6 (mapped, compatible, 6to4, NAT64) where trees alias their IPv4
    /// subtree.
    fn random_addresses(count: usize, seed: u64) -> Vec<IpAddr> {
        let mut rng = XorShift(seed);
        (0..count)
            .map(|i| {
                let r = rng.next128();
                let v4 = r as u32;
                let v6 = |n: u128| IpAddr::V6(Ipv6Addr::from(n));
                match i % 16 {
                    0..=8 => IpAddr::V4(Ipv4Addr::from(v4)),
                    9..=11 => v6((0x2000u128 << 112) | (r >> 3)),
                    12 => v6(r),
                    13 => v6((0xffffu128 << 32) | u128::from(v4)),
                    14 => v6(if r >> 127 == 0 {
                        u128::from(v4)
                    } else {
                        (0x2002u128 << 112) | (u128::from(v4) << 80)
                    }),
                    _ => v6((0x0064_ff9bu128 << 96) | u128::from(v4)),
                }
            })
            .collect()
    }

    /// The first address of every `step`-th range of the index, and the address before it.
    fn boundaries(intel: &IpIntel, step: usize) -> Vec<IpAddr> {
        let v4 = intel.v4.starts().into_iter().step_by(step).flat_map(|s| {
            let s = s as u32;
            [s, s.wrapping_sub(1)].map(|a| IpAddr::V4(Ipv4Addr::from(a)))
        });
        let v6 = intel
            .v6
            .starts()
            .into_iter()
            .step_by(step)
            .flat_map(|s| [s, s.wrapping_sub(1)].map(|a| IpAddr::V6(Ipv6Addr::from(a))));
        v4.chain(v6).collect()
    }

    /// Every source's answer through the index is its own lookup's, and the destination built
    /// from them is the one the sources' lookups give.
    fn assert_index_agrees(intel: &IpIntel, addresses: &[IpAddr], what: &str) {
        for &address in addresses {
            let lookup = lookup_address(address);
            let enrichment = intel.enrich(address);
            for (index, reader) in intel.readers.iter().enumerate() {
                assert_eq!(
                    enrichment.answer(index),
                    Some(reader.answer(lookup)),
                    "{what}: source {} at {address}",
                    intel.sources[index].name
                );
            }
        }
    }

    fn unverified(name: &str, reader: SourceReader) -> OpenedSource {
        OpenedSource {
            info: IntelSource {
                name: name.into(),
                basis: Basis::GeolocatedCountry,
                version: "test".into(),
                licence: "test".into(),
                sha256: String::new(),
            },
            reader,
            files: Vec::new(),
        }
    }

    #[test]
    fn index_agrees_with_each_sources_lookup_on_the_installed_data() {
        let data_dir = default_data_dir();
        install(&data_dir).unwrap_or_else(|e| {
            panic!(
                "IP data missing at {} and not installable: {e}",
                data_dir.display()
            )
        });
        let intel = IpIntel::load(&data_dir, None).expect("the installed IP data");
        let stats = intel.index_stats();
        assert_eq!(stats.flattened, vec![(true, true); 3], "{stats:?}");
        assert!(
            stats.v4_ranges > 100_000 && stats.v6_ranges > 10_000,
            "{stats:?}"
        );
        assert_index_agrees(
            &intel,
            &random_addresses(300_000, 0x9e37_79b9_7f4a_7c15),
            "random",
        );
        let step = (stats.v4_ranges + stats.v6_ranges) / 100_000 + 1;
        assert_index_agrees(&intel, &boundaries(&intel, step), "boundaries");
        assert!(intel.lookup_errors().iter().all(|(_, n)| *n == 0));
        // Many at a time: the same answers, in order, a partial last batch included.
        assert_many_agrees_with_one_by_one(&intel, &random_addresses(1_000 + ENRICH_BATCH / 2, 3));
        // The real example: two sources disagree on 77.74.181.1.
        let d = intel.lookup_uncached("77.74.181.1".parse().unwrap());
        assert_eq!(d.answers.len(), 3);
        assert!(
            d.answers[2]
                .organisation
                .as_deref()
                .is_some_and(|o| o.contains("Kaspersky")),
            "{d:?}"
        );
    }

    fn maxmind_test_databases() -> Vec<(String, Vec<u8>)> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/ipdata/maxmind-test-data/test-data"
        );
        let entries = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("MaxMind test data missing at {dir}: {e}"));
        let mut out: Vec<(String, Vec<u8>)> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "mmdb"))
            .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
            .collect();
        out.sort();
        out
    }

    /// Every MaxMind test database that opens (broken pointers and search trees included, since
    /// they are not verified here), each as the only source and all together.
    #[test]
    fn index_agrees_on_the_maxmind_test_databases() {
        let mut opened = Vec::new();
        for (path, bytes) in maxmind_test_databases() {
            let Ok(mmdb) =
                MmdbSource::from_bytes(Path::new(&path), bytes, Basis::RegistryCountry, false)
            else {
                continue;
            };
            opened.push(unverified(&path, SourceReader::Mmdb(mmdb)));
        }
        assert!(opened.len() > 30, "only {} databases opened", opened.len());
        let intel = IpIntel::from_opened(opened).unwrap();
        let stats = intel.index_stats();
        assert!(
            stats
                .flattened
                .iter()
                .filter(|f| **f == (true, true))
                .count()
                > 20,
            "{stats:?}"
        );
        assert_index_agrees(&intel, &boundaries(&intel, 1), "boundaries");
        assert_index_agrees(&intel, &random_addresses(20_000, 7), "random");
    }

    /// Many at a time on sources the index leaves partly or wholly to their own lookup (walk
    /// slots, sources not flattened, broken trees): the answers of one `enrich` after another.
    #[test]
    fn enrich_many_agrees_with_enrich_on_the_maxmind_test_databases() {
        let opened: Vec<OpenedSource> = maxmind_test_databases()
            .into_iter()
            .filter_map(|(path, bytes)| {
                let mmdb =
                    MmdbSource::from_bytes(Path::new(&path), bytes, Basis::RegistryCountry, false)
                        .ok()?;
                Some(unverified(&path, SourceReader::Mmdb(mmdb)))
            })
            .collect();
        let intel = IpIntel::from_opened(opened).unwrap();
        let mut addresses = boundaries(&intel, 1);
        addresses.extend(random_addresses(3_000 + ENRICH_BATCH / 3, 11));
        assert_many_agrees_with_one_by_one(&intel, &addresses);
    }

    /// `enrich_many` gives every source's answer for each address, exactly as `enrich` does.
    fn assert_many_agrees_with_one_by_one(intel: &IpIntel, addresses: &[IpAddr]) {
        let mut many = Vec::new();
        intel.enrich_many(addresses, &mut many);
        let one_by_one: Vec<Answer<'_>> = addresses
            .iter()
            .flat_map(|&a| intel.enrich(a).answers().collect::<Vec<_>>())
            .collect();
        assert_eq!(many.len(), addresses.len() * intel.sources().len());
        assert!(many == one_by_one);
    }

    /// ASN tables of random, overlapping ranges of both families (made disjoint at load, then
    /// cut into CIDR blocks for the index) answer through the index as by bisection.
    #[test]
    fn index_agrees_on_random_overlapping_asn_tables() {
        let mut rng = XorShift(0x5eed);
        for round in 0..20 {
            let mut csv = String::new();
            for line in 0..500 {
                let r = rng.next128();
                let (start, end): (IpAddr, IpAddr) = if line % 3 == 0 {
                    let start = (0x2000u128 << 112) | (r >> 4);
                    let end = start.saturating_add(rng.next128() >> (rng.next() % 128));
                    (Ipv6Addr::from(start).into(), Ipv6Addr::from(end).into())
                } else {
                    let start = r as u32;
                    let end = start.saturating_add((rng.next() as u32) >> (rng.next() % 32));
                    (Ipv4Addr::from(start).into(), Ipv4Addr::from(end).into())
                };
                let asn = rng.next() % 7;
                csv.push_str(&format!("{start},{end},{asn},org {}\n", asn % 3));
            }
            if round == 0 {
                csv.push_str("0.0.0.0,255.255.255.255,1,all\n::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,2,all\n");
            }
            let mut builder = AsnTableBuilder::default();
            builder
                .add_csv(Path::new("random.csv"), csv.as_bytes())
                .unwrap();
            let intel =
                IpIntel::from_opened(vec![unverified("asn", SourceReader::Asn(builder.finish()))])
                    .unwrap();
            assert_eq!(intel.index_stats().flattened, [(true, true)]);
            assert_index_agrees(&intel, &boundaries(&intel, 1), "boundaries");
            assert_index_agrees(&intel, &random_addresses(2_000, round), "random");
        }
    }

    /// Trees with random bytes overwritten still open (without verification) into an index
    /// that answers exactly as the walk does, corrupt pointers and cycles included: no panic.
    #[test]
    fn index_agrees_on_corrupted_trees() {
        let (path, good) = maxmind_test_databases()
            .into_iter()
            .find(|(p, _)| p.ends_with("MaxMind-DB-test-mixed-24.mmdb"))
            .expect("MaxMind-DB-test-mixed-24.mmdb");
        let tree_len = {
            let reader = maxminddb::Reader::from_source(good.as_slice()).unwrap();
            reader.metadata().node_count as usize * 6
        };
        let mut rng = XorShift(42);
        let mut compared = 0;
        for round in 0..200 {
            let mut bytes = good.clone();
            for _ in 0..1 + round % 8 {
                let at = rng.next() as usize % tree_len;
                bytes[at] = rng.next() as u8;
            }
            let Ok(mmdb) =
                MmdbSource::from_bytes(Path::new(&path), bytes, Basis::GeolocatedCountry, false)
            else {
                continue;
            };
            let intel = IpIntel::from_opened(vec![unverified("corrupt", SourceReader::Mmdb(mmdb))])
                .unwrap();
            assert_index_agrees(&intel, &boundaries(&intel, 1), "boundaries");
            assert_index_agrees(&intel, &random_addresses(500, round), "random");
            compared += 1;
        }
        assert!(compared > 150, "only {compared} corrupted databases opened");
    }
}
