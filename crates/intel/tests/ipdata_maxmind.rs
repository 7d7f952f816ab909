//! The readers on MaxMind's own test databases, answers compared with the JSON they were built
//! from (`../shared/data/ipdata/maxmind-test-data`).

use ringfence_intel::ipdata::{IpIntel, SourceSpec};
use ringfence_model::Basis;
use std::net::IpAddr;
use std::path::PathBuf;

fn shared(path: &str) -> PathBuf {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/ipdata/maxmind-test-data/"
    ))
    .join(path);
    assert!(p.exists(), "missing shared test data {}", p.display());
    p
}

/// (network, record) pairs of a source-data JSON file: an array of one-key objects.
fn source_records(name: &str) -> Vec<(String, serde_json::Value)> {
    let text = std::fs::read(shared(&format!("source-data/{name}"))).unwrap();
    let items: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(&text).unwrap();
    items.into_iter().flat_map(|m| m.into_iter()).collect()
}

fn first_address(network: &str) -> IpAddr {
    network.split('/').next().unwrap().parse().unwrap()
}

fn intel(file: &str, basis: Basis) -> IpIntel {
    IpIntel::from_sources(vec![SourceSpec {
        name: file.into(),
        path: shared(&format!("test-data/{file}")),
        basis,
        licence: "MIT OR Apache-2.0".into(),
        version: "test".into(),
    }])
    .unwrap()
}

#[test]
fn geoip2_country_answers_match_the_source_data() {
    let intel = intel("GeoIP2-Country-Test.mmdb", Basis::GeolocatedCountry);
    let records = source_records("GeoIP2-Country-Test.json");
    assert!(records.len() > 100);
    let mut compared = 0;
    for (network, record) in &records {
        let answer = &intel.destination(first_address(network)).answers[0];
        let expected = record["country"]["iso_code"].as_str();
        assert_eq!(answer.country.as_deref(), expected, "{network}");
        assert!(answer.network.is_some(), "{network}");
        compared += 1;
    }
    assert_eq!(compared, records.len());
    // Records whose registered country differs from the located one (11 in the test data): a
    // registry-country source reads the registered country, a geolocation source the located one.
    let registry = self::intel("GeoIP2-Country-Test.mmdb", Basis::RegistryCountry);
    let differing: Vec<_> = records
        .iter()
        .filter(|(_, r)| {
            r["registered_country"]["iso_code"].is_string()
                && r["registered_country"]["iso_code"] != r["country"]["iso_code"]
        })
        .collect();
    assert_eq!(differing.len(), 11);
    for (network, record) in differing {
        let d = registry.destination(first_address(network));
        assert_eq!(
            d.answers[0].country.as_deref(),
            record["registered_country"]["iso_code"].as_str(),
            "{network}"
        );
    }
}

#[test]
fn geolite2_asn_answers_match_the_source_data() {
    let intel = intel("GeoLite2-ASN-Test.mmdb", Basis::AsnOrganisation);
    let records = source_records("GeoLite2-ASN-Test.json");
    assert!(records.len() > 50);
    for (network, record) in &records {
        let answer = &intel.destination(first_address(network)).answers[0];
        assert_eq!(
            answer.asn.map(u64::from),
            record["autonomous_system_number"].as_u64(),
            "{network}"
        );
        assert_eq!(
            answer.organisation.as_deref(),
            record["autonomous_system_organization"].as_str(),
            "{network}"
        );
        assert_eq!(answer.country, None);
    }
    // 1.128.0.0/11 is Telstra in the source data; the answer names the database's prefix.
    let telstra = &intel.destination("1.128.0.1".parse().unwrap()).answers[0];
    assert_eq!(
        (telstra.asn, telstra.network.as_deref()),
        (Some(1221), Some("1.128.0.0/11"))
    );
}

#[test]
fn city_and_decoder_databases_load_and_answer() {
    let city = intel("GeoIP2-City-Test.mmdb", Basis::GeolocatedCountry);
    // 81.2.69.160 is London in MaxMind's test data.
    assert_eq!(
        city.destination("81.2.69.160".parse().unwrap()).answers[0]
            .country
            .as_deref(),
        Some("GB")
    );
    for file in [
        "MaxMind-DB-test-decoder.mmdb",
        "MaxMind-DB-test-mixed-28.mmdb",
        "MaxMind-DB-test-ipv4-32.mmdb",
    ] {
        let db = intel(file, Basis::GeolocatedCountry);
        let d = db.destination("1.1.1.1".parse().unwrap());
        assert_eq!(d.answers.len(), 1, "{file}");
        assert!(db.lookup_errors().iter().all(|(_, n)| *n == 0), "{file}");
    }
}
