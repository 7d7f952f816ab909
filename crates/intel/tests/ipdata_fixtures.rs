//! IP data on tiny MMDB and CSV files the tests build: the writer itself (read back with the
//! `maxminddb` crate), every vendor layout, disagreement between sources, and hostile files.

#[path = "common/mmdb_writer.rs"]
mod mmdb_writer;

use mmdb_writer::{MmdbWriter, Value, map, s};
use ringfence_intel::ipdata::{IntelError, IpIntel, SourceSpec};
use ringfence_model::Basis;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn fixture_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("ipdata-fixtures")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn spec(name: &str, path: PathBuf, basis: Basis) -> SourceSpec {
    SourceSpec {
        name: name.into(),
        path,
        basis,
        licence: "CC0-1.0".into(),
        version: "test".into(),
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// The ip-location-db country layout: `{country_code: "CH"}`, IPv4 and IPv6 in one tree.
fn country_db(record_size: u16, entries: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = MmdbWriter::new("ip-location-db-country", 6, record_size);
    for (network, code) in entries {
        writer.insert(network, &map(&[("country_code", s(code))]));
    }
    writer.build()
}

#[test]
fn writer_output_reads_back_with_the_maxminddb_crate() {
    for record_size in [24u16, 28, 32] {
        for ip_version in [4u16, 6] {
            let mut writer = MmdbWriter::new("Test-Types", ip_version, record_size);
            let record = map(&[
                ("text", s("Kaspersky Lab Switzerland GmbH")),
                ("long", s(&"x".repeat(300))),
                ("n16", Value::U16(443)),
                ("n32", Value::U32(200_107)),
                ("n64", Value::U64(1 << 40)),
                ("flag", Value::Bool(true)),
                ("pi", Value::Double(3.25)),
                ("list", Value::Array(vec![s("a"), s("b")])),
            ]);
            writer.insert("77.74.176.0/21", &record);
            writer.insert("10.0.0.0/8", &map(&[("n32", Value::U32(1))]));
            if ip_version == 6 {
                writer.insert("2a03:2480::/29", &map(&[("n32", Value::U32(6))]));
            }
            // Pad the tree with many distinct records so 28- and 32-bit pointers are exercised
            // beyond 16 bits.
            for i in 0..300u32 {
                writer.insert(
                    &format!("100.{}.{}.0/24", i / 256, i % 256),
                    &map(&[("n32", Value::U32(i))]),
                );
            }
            let bytes = writer.build();
            let reader = maxminddb::Reader::from_source(bytes).unwrap();
            reader.verify().unwrap();
            assert_eq!(reader.metadata().record_size, record_size);
            let result = reader.lookup(ip("77.74.181.1")).unwrap();
            let network = result.network().unwrap();
            assert_eq!(network.to_string(), "77.74.176.0/21");
            let decoded: serde_json::Value = result.decode().unwrap().unwrap();
            assert_eq!(decoded["text"], "Kaspersky Lab Switzerland GmbH");
            assert_eq!(decoded["long"].as_str().unwrap().len(), 300);
            assert_eq!(decoded["n16"], 443);
            assert_eq!(decoded["n32"], 200_107);
            assert_eq!(decoded["n64"], 1u64 << 40);
            assert_eq!(decoded["flag"], true);
            assert_eq!(decoded["pi"], 3.25);
            assert_eq!(decoded["list"][1], "b");
            let other: serde_json::Value = reader
                .lookup(ip("100.1.43.9"))
                .unwrap()
                .decode()
                .unwrap()
                .unwrap();
            assert_eq!(other["n32"], 299);
            assert!(!reader.lookup(ip("11.0.0.1")).unwrap().has_data());
            if ip_version == 6 {
                let v6: serde_json::Value = reader
                    .lookup(ip("2a03:2480::1"))
                    .unwrap()
                    .decode()
                    .unwrap()
                    .unwrap();
                assert_eq!(v6["n32"], 6);
            }
        }
    }
}

/// The 77.74.181.1 example: CH by routing, RU by registry, operated by AS200107.
fn disagreement_fixture(test: &str) -> IpIntel {
    let dir = fixture_dir(test);
    let routing = write(
        &dir,
        "routing.mmdb",
        &country_db(24, &[("77.74.176.0/21", "CH"), ("2a03:2480::/29", "ch")]),
    );
    let registry = write(
        &dir,
        "registry.mmdb",
        &country_db(28, &[("77.74.176.0/20", "RU"), ("2a03:2480::/29", "RU")]),
    );
    let asn = write(
        &dir,
        "asn.csv",
        b"77.74.176.0,77.74.183.255,200107,Kaspersky Lab Switzerland GmbH\n\
          2a03:2480::,2a03:2487:ffff:ffff:ffff:ffff:ffff:ffff,200107,\"Kaspersky Lab Switzerland GmbH\"\n",
    );
    IpIntel::from_sources(vec![
        spec("routing", routing, Basis::RoutingCountry),
        spec("registry", registry, Basis::RegistryCountry),
        spec("asn", asn, Basis::AsnOrganisation),
    ])
    .unwrap()
}

#[test]
fn routing_and_registry_disagree_on_77_74_181_1() {
    let intel = disagreement_fixture("disagree");
    let names: Vec<&str> = intel.sources().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["routing", "registry", "asn"]);
    assert!(intel.sources().iter().all(|s| s.sha256.len() == 64));
    let destination = intel.destination(ip("77.74.181.1"));
    assert!(destination.sources_disagree());
    assert_eq!(
        destination.countries(),
        vec![
            ("CH", Basis::RoutingCountry),
            ("RU", Basis::RegistryCountry)
        ]
    );
    let [routing, registry, asn] = &destination.answers[..] else {
        panic!("three answers")
    };
    assert_eq!(
        (routing.country.as_deref(), routing.network.as_deref()),
        (Some("CH"), Some("77.74.176.0/21"))
    );
    assert_eq!(
        (registry.country.as_deref(), registry.network.as_deref()),
        (Some("RU"), Some("77.74.176.0/20"))
    );
    assert_eq!(asn.asn, Some(200_107));
    assert_eq!(
        asn.organisation.as_deref(),
        Some("Kaspersky Lab Switzerland GmbH")
    );
    assert_eq!(asn.network.as_deref(), Some("77.74.176.0/21"));
    assert_eq!(destination.asns(), vec![200_107]);

    // IPv6, and the country code upper-cased.
    let v6 = intel.destination(ip("2a03:2480:8::1"));
    assert_eq!(
        v6.countries(),
        vec![
            ("CH", Basis::RoutingCountry),
            ("RU", Basis::RegistryCountry)
        ]
    );
    assert_eq!(v6.answers[2].network.as_deref(), Some("2a03:2480::/29"));

    // Repeats come from the cache and are identical; an IPv4-mapped address answers as IPv4.
    assert_eq!(intel.destination(ip("77.74.181.1")), destination);
    let shared = intel.destination_shared(ip("77.74.181.1"));
    assert!(std::sync::Arc::ptr_eq(
        &shared,
        &intel.destination_shared(ip("77.74.181.1"))
    ));
    let mapped = intel.destination(ip("::ffff:77.74.181.1"));
    assert_eq!(mapped.address, ip("::ffff:77.74.181.1"));
    assert_eq!(mapped.answers, destination.answers);

    // An address no source knows: every source answers, none says anything.
    let unknown = intel.destination(ip("192.0.2.1"));
    assert_eq!(unknown.answers.len(), 3);
    assert!(
        unknown
            .answers
            .iter()
            .all(|a| a.country.is_none() && a.asn.is_none() && a.network.is_none())
    );
    assert!(!unknown.sources_disagree());
    assert!(intel.lookup_errors().iter().all(|(_, n)| *n == 0));
}

/// Source, country, ASN and organisation of one answer.
type AnswerSummary<'a> = (&'a str, Option<&'a str>, Option<u32>, Option<&'a str>);

#[test]
fn every_vendor_layout_is_read() {
    let dir = fixture_dir("layouts");
    // MaxMind GeoIP2-Country / DB-IP country lite.
    let mut geoip2 = MmdbWriter::new("GeoIP2-Country", 6, 24);
    geoip2.insert(
        "81.2.69.0/24",
        &map(&[
            ("continent", map(&[("code", s("EU"))])),
            (
                "country",
                map(&[
                    ("geoname_id", Value::U32(2635167)),
                    ("iso_code", s("GB")),
                    ("names", map(&[("en", s("United Kingdom"))])),
                ]),
            ),
            ("registered_country", map(&[("iso_code", s("DE"))])),
        ]),
    );
    // MaxMind GeoLite2-ASN / DB-IP ASN lite / ip-location-db asn-mmdb.
    let mut asn = MmdbWriter::new("GeoLite2-ASN", 6, 24);
    asn.insert(
        "81.2.69.0/24",
        &map(&[
            ("autonomous_system_number", Value::U32(20712)),
            ("autonomous_system_organization", s("Andrews & Arnold Ltd")),
        ]),
    );
    // IPinfo lite: country_code, asn as "AS…", as_name.
    let mut ipinfo = MmdbWriter::new("ipinfo lite.mmdb", 6, 32);
    ipinfo.insert(
        "81.2.69.0/24",
        &map(&[
            ("asn", s("AS20712")),
            ("as_name", s("Andrews & Arnold Ltd")),
            ("country", s("United Kingdom")),
            ("country_code", s("GB")),
        ]),
    );
    // IPinfo country: country as a code string; IPinfo ASN: asn string and name.
    let mut ipinfo_country = MmdbWriter::new("ipinfo country.mmdb", 4, 24);
    ipinfo_country.insert(
        "81.2.69.0/24",
        &map(&[("country", s("gb")), ("country_name", s("United Kingdom"))]),
    );
    let mut ipinfo_asn = MmdbWriter::new("ipinfo asn.mmdb", 4, 28);
    ipinfo_asn.insert(
        "81.2.69.0/24",
        &map(&[
            ("asn", s("AS20712")),
            ("name", s("Andrews & Arnold Ltd")),
            ("domain", s("aa.net.uk")),
        ]),
    );
    let intel = IpIntel::from_sources(vec![
        spec(
            "geoip2",
            write(&dir, "geoip2.mmdb", &geoip2.build()),
            Basis::GeolocatedCountry,
        ),
        spec(
            "geoip2-registered",
            write(&dir, "geoip2b.mmdb", &geoip2.build()),
            Basis::RegistryCountry,
        ),
        spec(
            "geolite2-asn",
            write(&dir, "asn.mmdb", &asn.build()),
            Basis::AsnOrganisation,
        ),
        spec(
            "ipinfo-lite",
            write(&dir, "ipinfo.mmdb", &ipinfo.build()),
            Basis::GeolocatedCountry,
        ),
        spec(
            "ipinfo-country",
            write(&dir, "ipinfo-country.mmdb", &ipinfo_country.build()),
            Basis::GeolocatedCountry,
        ),
        spec(
            "ipinfo-asn",
            write(&dir, "ipinfo-asn.mmdb", &ipinfo_asn.build()),
            Basis::AsnOrganisation,
        ),
    ])
    .unwrap();
    let d = intel.destination(ip("81.2.69.160"));
    let summary: Vec<AnswerSummary<'_>> = d
        .answers
        .iter()
        .map(|a| {
            (
                a.source.as_str(),
                a.country.as_deref(),
                a.asn,
                a.organisation.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("geoip2", Some("GB"), None, None),
            // A registry-country source reads where the block is registered.
            ("geoip2-registered", Some("DE"), None, None),
            (
                "geolite2-asn",
                None,
                Some(20712),
                Some("Andrews & Arnold Ltd")
            ),
            // IPinfo lite's `country` is a name, not a code: `country_code` answers.
            (
                "ipinfo-lite",
                Some("GB"),
                Some(20712),
                Some("Andrews & Arnold Ltd")
            ),
            ("ipinfo-country", Some("GB"), None, None),
            (
                "ipinfo-asn",
                None,
                Some(20712),
                Some("Andrews & Arnold Ltd")
            ),
        ]
    );
    assert!(
        d.answers
            .iter()
            .all(|a| a.network.as_deref() == Some("81.2.69.0/24"))
    );
}

#[test]
fn hostile_and_broken_files_are_errors_naming_the_file() {
    let dir = fixture_dir("hostile");
    let good = country_db(24, &[("77.74.176.0/21", "CH")]);
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.mmdb", Vec::new()),
        ("garbage.mmdb", b"this is not a database at all".repeat(50)),
        ("no-metadata.mmdb", good[..good.len() / 2].to_vec()),
        ("truncated-metadata.mmdb", good[..good.len() - 20].to_vec()),
    ];
    // The data section cut away, metadata kept: tree pointers now point past the data.
    let marker = good
        .windows(14)
        .position(|w| w == b"\xAB\xCD\xEFMaxMind.com")
        .unwrap();
    // The record {country_code: "CH"} is the last 17 bytes before the marker: cut its tail.
    let mut cut = good[..marker - 5].to_vec();
    cut.extend_from_slice(&good[marker..]);
    cases.push(("cut-data.mmdb", cut));
    // A string length rewritten to run past the data section.
    let mut long_string = good.clone();
    let field = long_string.windows(2).position(|w| w == b"CH").unwrap();
    long_string[field - 1] = 0x5f; // utf8 string, size 31 + 3 more bytes: huge
    cases.push(("bad-length.mmdb", long_string));
    for (name, bytes) in &cases {
        let path = write(&dir, name, bytes);
        let err = match IpIntel::from_sources(vec![spec("x", path.clone(), Basis::RoutingCountry)])
        {
            Err(err) => err,
            Ok(_) => panic!("{name} was accepted"),
        };
        assert!(
            err.to_string().contains(path.to_str().unwrap()),
            "{name}: {err}"
        );
    }
    let maxmind = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/ipdata/maxmind-test-data/test-data");
    assert!(
        maxmind.is_dir(),
        "missing shared test data at {}",
        maxmind.display()
    );
    for name in [
        "MaxMind-DB-test-broken-pointers-24.mmdb",
        "MaxMind-DB-test-broken-search-tree-24.mmdb",
        "GeoIP2-City-Test-Invalid-Node-Count.mmdb",
        "GeoIP2-City-Test-Broken-Double-Format.mmdb",
    ] {
        let path = maxmind.join(name);
        match IpIntel::from_sources(vec![spec("broken", path.clone(), Basis::GeolocatedCountry)]) {
            Err(IntelError::Mmdb { path: named, .. }) => assert_eq!(named, path),
            Err(other) => panic!("{name}: unexpected error {other}"),
            Ok(_) => panic!("{name} was accepted"),
        }
    }
    let missing = dir.join("absent.mmdb");
    let err = IpIntel::from_sources(vec![spec("x", missing.clone(), Basis::RoutingCountry)])
        .err()
        .unwrap();
    assert!(err.to_string().contains("absent.mmdb"), "{err}");
}

#[test]
fn missing_bundled_data_says_to_run_install() {
    let dir = fixture_dir("missing");
    let err = IpIntel::load(&dir, None)
        .err()
        .expect("empty data dir must fail");
    let text = err.to_string();
    assert!(
        text.contains("ringfence data install") && text.contains("iptoasn-country.mmdb"),
        "{text}"
    );
}

#[test]
fn duplicate_source_names_are_refused() {
    let dir = fixture_dir("duplicate");
    let db = write(&dir, "a.mmdb", &country_db(24, &[("10.0.0.0/8", "GB")]));
    let err = IpIntel::from_sources(vec![
        spec("same", db.clone(), Basis::RoutingCountry),
        spec("same", db, Basis::RegistryCountry),
    ])
    .err()
    .unwrap();
    assert!(matches!(err, IntelError::DuplicateName { .. }), "{err}");
}
