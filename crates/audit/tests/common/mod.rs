//! Fixtures for the audit tests: the project's sample capture (generated here, small), tiny IP
//! data built here, the bundled catalog and policy packs, and the example estate.
#![allow(dead_code)] // each test binary uses its own part of these helpers

// IPDATA's test MMDB writer, reused as is; `rustfmt::skip` keeps formatting this crate from
// touching another crate's file.
#[rustfmt::skip]
#[path = "../../../intel/tests/common/mmdb_writer.rs"]
mod mmdb_writer;

use mmdb_writer::{MmdbWriter, map, s};
use ringfence_audit::{AuditSetup, read_estate};
use ringfence_intel::catalog::Catalog;
use ringfence_intel::ipdata::{IpIntel, SourceSpec};
use ringfence_model::Basis;
use ringfence_policy::PolicySet;
use ringfence_samples::{SampleConfig, write_capture};
use std::path::{Path, PathBuf};

/// A fresh directory for one test.
pub fn work_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("audit-tests")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The repository's example estate for the sample office.
pub fn example_estate() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/estate.toml"
    ))
}

/// Writes the sample capture for `seed`, about `bytes` long.
pub fn sample_capture(dir: &Path, seed: u64, bytes: u64) -> String {
    let path = dir.join(format!("sample-{seed}.pcap"));
    let file = std::fs::File::create(&path).unwrap();
    write_capture(
        &SampleConfig {
            seed,
            target_bytes: bytes,
        },
        file,
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

/// Routing country, registry country and ASN data for the sample's destinations. The routing
/// and registry sources disagree on Kaspersky's Swiss range (CH by routing, RU by registry), as
/// the real data does for 77.74.181.1.
pub fn fixture_intel(dir: &Path) -> IpIntel {
    const ROUTING: &[(&str, &str)] = &[
        ("13.0.0.0/8", "US"),
        ("18.0.0.0/8", "US"),
        ("20.0.0.0/8", "US"),
        ("23.0.0.0/8", "NL"),
        ("34.0.0.0/8", "US"),
        ("40.0.0.0/8", "IE"),
        ("52.0.0.0/8", "IE"),
        ("52.28.0.0/15", "DE"),
        ("52.58.0.0/15", "DE"),
        ("54.93.0.0/16", "DE"),
        ("77.74.176.0/21", "CH"),
        ("91.228.164.0/22", "SK"),
        ("104.16.0.0/13", "US"),
        ("140.82.112.0/20", "US"),
        ("142.250.0.0/15", "US"),
        ("151.101.0.0/16", "US"),
        ("185.15.56.0/22", "NL"),
        ("185.85.12.0/22", "RU"),
        ("2a00:1450::/32", "IE"),
        ("2a02:26f0::/29", "NL"),
        ("2603:1000::/24", "US"),
    ];
    const REGISTRY: &[(&str, &str)] = &[
        ("13.0.0.0/8", "US"),
        ("20.0.0.0/8", "US"),
        ("40.0.0.0/8", "US"),
        ("52.0.0.0/8", "US"),
        ("77.74.176.0/20", "RU"),
        ("91.228.164.0/22", "SK"),
        ("142.250.0.0/15", "US"),
        ("185.85.12.0/22", "RU"),
    ];
    let country_db = |entries: &[(&str, &str)]| {
        let mut writer = MmdbWriter::new("ip-location-db-country", 6, 24);
        for (network, code) in entries {
            writer.insert(network, &map(&[("country_code", s(code))]));
        }
        writer.build()
    };
    let routing = dir.join("routing.mmdb");
    let registry = dir.join("registry.mmdb");
    let asn = dir.join("asn.csv");
    std::fs::write(&routing, country_db(ROUTING)).unwrap();
    std::fs::write(&registry, country_db(REGISTRY)).unwrap();
    std::fs::write(
        &asn,
        "77.74.176.0,77.74.183.255,200107,Kaspersky Lab Switzerland GmbH\n\
         91.228.164.0,91.228.167.255,50881,ESET spol. s r.o.\n\
         185.85.12.0,185.85.15.255,209030,Kaspersky Lab AO\n",
    )
    .unwrap();
    let spec = |name: &str, path: PathBuf, basis| SourceSpec {
        name: name.into(),
        path,
        basis,
        licence: "CC0-1.0".into(),
        version: "test".into(),
    };
    IpIntel::from_sources(vec![
        spec("routing", routing, Basis::RoutingCountry),
        spec("registry", registry, Basis::RegistryCountry),
        spec("asn", asn, Basis::AsnOrganisation),
    ])
    .unwrap()
}

/// Everything but the evidence, as `ringfence audit` would load it, with the fixture IP data.
pub fn setup(dir: &Path, packs: &[&str]) -> AuditSetup {
    let (estate, estate_file) = read_estate(&example_estate()).unwrap();
    let packs: Vec<String> = packs.iter().map(|p| p.to_string()).collect();
    AuditSetup {
        estate,
        estate_file,
        catalog: Catalog::bundled(),
        intel: fixture_intel(dir),
        policies: PolicySet::load(&packs).unwrap(),
        policy_packs: packs,
    }
}
