//! The repository's own catalog: it must pass `check`, cover the vendors the issue names, and
//! attribute every product of the sample capture (crates/samples/src/endpoints.rs).

use ringfence_intel::catalog::Catalog;
use ringfence_model::{
    AttributionBasis, Connection, Destination, EvidenceRef, FlowKey, LearnedName, NameSource,
    SourceAnswer, Timestamp, Transport,
};
use std::net::IpAddr;

fn connection(remote: &str, names: &[(&str, NameSource)]) -> Connection {
    let resp_addr: IpAddr = remote
        .parse()
        .unwrap_or_else(|_| panic!("bad address {remote}"));
    Connection {
        community_id: String::new(),
        key: FlowKey {
            transport: Transport::Tcp,
            orig_addr: IpAddr::from([10, 0, 0, 5]),
            orig_port: 50_000,
            resp_addr,
            resp_port: 443,
        },
        first_seen: Timestamp::from_nanos(0),
        last_seen: Timestamp::from_nanos(1),
        orig_packets: 1,
        orig_bytes: 60,
        orig_payload_bytes: 0,
        resp_packets: 1,
        resp_bytes: 60,
        resp_payload_bytes: 0,
        tcp_state: None,
        names: names
            .iter()
            .map(|(name, source)| LearnedName {
                name: (*name).to_string(),
                source: *source,
                cname_chain: Vec::new(),
            })
            .collect(),
        alpn: Vec::new(),
        ja4: None,
        http: Vec::new(),
        tunnels: Vec::new(),
        split: false,
        evidence: EvidenceRef {
            evidence: 0,
            record: 0,
            offset: 0,
        },
    }
}

fn nowhere(address: &str) -> Destination {
    Destination {
        address: address
            .parse()
            .unwrap_or_else(|_| panic!("bad address {address}")),
        answers: Vec::new(),
    }
}

#[test]
fn bundled_catalog_passes_check() {
    let catalog = Catalog::bundled();
    let problems = catalog.check();
    let listing: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        problems.is_empty(),
        "bundled catalog problems:\n{}",
        listing.join("\n")
    );
}

#[test]
fn bundled_catalog_has_at_least_25_vendors_including_the_named_ones() {
    let catalog = Catalog::bundled();
    let mut vendors: Vec<&str> = catalog
        .products()
        .iter()
        .map(|p| p.vendor.as_str())
        .collect();
    vendors.sort_unstable();
    vendors.dedup();
    assert!(
        vendors.len() >= 25,
        "only {} vendors: {vendors:?}",
        vendors.len()
    );
    for id in [
        "ao-kaspersky-lab",
        "doctor-web",
        "eset",
        "bitdefender",
        "avast-software",
        "gen-digital",
        "sophos",
        "microsoft",
        "crowdstrike",
        "sentinelone",
        "palo-alto-networks",
        "trend-micro",
        "mcafee",
        "trellix",
        "broadcom",
        "withsecure",
        "f-secure",
        "check-point",
        "malwarebytes",
        "qihoo-360",
        "huorong",
        "ahnlab",
    ] {
        assert!(vendors.contains(&id), "vendor {id} missing");
    }
    assert_eq!(catalog.sha256().len(), 64);
    assert_eq!(catalog.sha256(), Catalog::bundled().sha256());
}

#[test]
fn kaspersky_switzerland_is_owned_from_russia() {
    let catalog = Catalog::bundled();
    let chain = catalog.ownership_chain("kaspersky-lab-switzerland");
    let ids: Vec<&str> = chain.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["kaspersky-lab-switzerland", "ao-kaspersky-lab"]);
    let first = chain.first().unwrap_or_else(|| panic!("empty chain"));
    let ultimate = chain.last().unwrap_or_else(|| panic!("empty chain"));
    assert_eq!(first.incorporated, "CH");
    assert_eq!(ultimate.incorporated, "RU");
    assert_eq!(ultimate.headquarters, "RU");
    assert_eq!(
        catalog.jurisdictions("kaspersky-lab-switzerland"),
        ["CH", "RU"]
    );
    let sophos: Vec<&str> = catalog
        .ownership_chain("sophos")
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(sophos, ["sophos", "thoma-bravo"]);
    let avast: Vec<&str> = catalog
        .ownership_chain("avast-software")
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(avast, ["avast-software", "gen-digital"]);
}

#[test]
fn every_product_of_the_sample_capture_is_attributed_by_name() {
    let catalog = Catalog::bundled();
    let cases = [
        ("s01.upd.kaspersky.com", "kaspersky-endpoint-security"),
        ("dnl-01.geo.kaspersky.com", "kaspersky-endpoint-security"),
        ("activation-v2.kaspersky.com", "kaspersky-endpoint-security"),
        (
            "ksn-url-geo.kaspersky-labs.com",
            "kaspersky-endpoint-security",
        ),
        ("crl.kaspersky.com", "kaspersky-endpoint-security"),
        ("um01.eset.com", "eset-endpoint-security"),
        ("i1.cwip.eset.com", "eset-endpoint-security"),
        ("ts.eset.com", "eset-endpoint-security"),
        ("expire.eset.com", "eset-endpoint-security"),
        ("central.sophos.com", "sophos-endpoint"),
        ("dci.sophosupd.com", "sophos-endpoint"),
        ("downloads.sophos.com", "sophos-endpoint"),
        ("4.sophosxl.net", "sophos-endpoint"),
        ("wdcp.microsoft.com", "microsoft-defender-antivirus"),
        ("eu.wdcp.microsoft.com", "microsoft-defender-antivirus"),
        (
            "definitionupdates.microsoft.com",
            "microsoft-defender-antivirus",
        ),
        ("ctldl.windowsupdate.com", "microsoft-defender-antivirus"),
        (
            "wseu1northprod.blob.core.windows.net",
            "microsoft-defender-antivirus",
        ),
        (
            "settings-win.data.microsoft.com",
            "microsoft-defender-antivirus",
        ),
        (
            "vortex-win.data.microsoft.com",
            "microsoft-defender-antivirus",
        ),
        ("ts01-gyr-maverick.cloudsink.net", "crowdstrike-falcon"),
        ("lfodown01-gyr-maverick.cloudsink.net", "crowdstrike-falcon"),
        ("lfoup01-gyr-maverick.cloudsink.net", "crowdstrike-falcon"),
    ];
    for (name, product) in cases {
        let c = connection("192.0.2.1", &[(name, NameSource::Sni)]);
        let a = catalog
            .attribute(&c, &nowhere("192.0.2.1"), None)
            .unwrap_or_else(|| panic!("{name} is not attributed"));
        assert_eq!(a.product, product, "{name}");
        assert!(
            matches!(a.basis, AttributionBasis::EndpointName { .. }),
            "{name}: {:?}",
            a.basis
        );
    }
    // Browsing in the sample stays unattributed.
    for name in [
        "www.google.com",
        "github.com",
        "www.gov.uk",
        "outlook.office365.com",
    ] {
        let c = connection("192.0.2.1", &[(name, NameSource::Sni)]);
        assert_eq!(
            catalog.attribute(&c, &nowhere("192.0.2.1"), None),
            None,
            "{name}"
        );
    }
}

#[test]
fn unnamed_traffic_falls_back_to_vendor_networks_then_asns() {
    let catalog = Catalog::bundled();
    let c = connection("77.74.181.1", &[]);
    let a = catalog
        .attribute(&c, &nowhere("77.74.181.1"), None)
        .unwrap_or_else(|| panic!("77.74.181.1 is in a Kaspersky range"));
    assert_eq!(a.product, "kaspersky-endpoint-security");
    assert_eq!(
        a.basis,
        AttributionBasis::VendorNetwork {
            network: "77.74.176.0/21".into()
        }
    );

    let destination = Destination {
        address: "198.51.100.7".parse().unwrap_or_else(|_| panic!("address")),
        answers: vec![SourceAnswer {
            source: "asn".into(),
            basis: ringfence_model::Basis::AsnOrganisation,
            country: None,
            asn: Some(200_107),
            organisation: Some("Kaspersky Lab Switzerland GmbH".into()),
            network: None,
        }],
    };
    let c = connection("198.51.100.7", &[]);
    let a = catalog
        .attribute(&c, &destination, None)
        .unwrap_or_else(|| panic!("ASN basis"));
    assert_eq!(a.product, "kaspersky-endpoint-security");
    assert_eq!(a.basis, AttributionBasis::VendorAsn { asn: 200_107 });
    let operator = catalog
        .operator_of(&destination)
        .unwrap_or_else(|| panic!("operator"));
    assert_eq!(operator.id, "kaspersky-lab-switzerland");
}

#[test]
fn installed_programs_and_purls_map_to_products() {
    let catalog = Catalog::bundled();
    let id = |name: &str| catalog.product_for_package(name).map(|p| p.id.as_str());
    assert_eq!(
        id("Kaspersky Endpoint Security for Windows"),
        Some("kaspersky-endpoint-security")
    );
    assert_eq!(
        id("kaspersky endpoint security for windows 12.6.0.438"),
        Some("kaspersky-endpoint-security")
    );
    assert_eq!(id("ESET Endpoint Security"), Some("eset-endpoint-security"));
    assert_eq!(
        id("Malwarebytes version 5.1"),
        Some("malwarebytes-anti-malware")
    );
    assert_eq!(id("LibreOffice 7.6"), None);
    assert_eq!(id(""), None);
}
