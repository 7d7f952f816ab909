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
        process: None,
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
        vendors.len() >= 30,
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
        "tencent",
        "cisco",
        "emsisoft",
        "panda-security",
        "k7-computing",
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

fn chain(catalog: &Catalog, id: &str) -> Vec<String> {
    catalog
        .ownership_chain(id)
        .iter()
        .map(|o| o.id.clone())
        .collect()
}

#[test]
fn vendor_groups_lead_to_their_ultimate_owners() {
    let catalog = Catalog::bundled();
    for (start, expected) in [
        ("avast-software", &["avast-software", "gen-digital"][..]),
        ("sophos", &["sophos", "thoma-bravo"]),
        ("mcafee", &["mcafee", "advent-international"]),
        ("trellix", &["trellix", "stg-partners"]),
        ("panda-security", &["panda-security", "watchguard"]),
        ("google", &["google", "alphabet"]),
    ] {
        assert_eq!(chain(&catalog, start), expected, "{start}");
    }
    for product in ["symantec-endpoint-security", "norton-antivirus"] {
        let vendor = catalog
            .product(product)
            .map(|p| p.vendor.clone())
            .unwrap_or_else(|| panic!("{product} missing"));
        let expected = if product == "norton-antivirus" {
            "gen-digital"
        } else {
            "broadcom"
        };
        assert_eq!(vendor, expected, "{product}");
    }
    assert_eq!(catalog.jurisdictions("panda-security"), ["ES", "US"]);
    assert_eq!(catalog.jurisdictions("alibaba-group"), ["HK", "KY"]);
}

#[test]
fn process_images_identify_products() {
    let catalog = Catalog::bundled();
    let cases = [
        (
            r"C:\Program Files (x86)\Kaspersky Lab\KES.12.6\avp.exe",
            "kaspersky-endpoint-security",
        ),
        (
            r"C:\Program Files\ESET\ESET Security\ekrn.exe",
            "eset-endpoint-security",
        ),
        (
            r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MsMpEng.exe",
            "microsoft-defender-antivirus",
        ),
        (
            r"C:\Program Files\Windows Defender Advanced Threat Protection\MsSense.exe",
            "microsoft-defender-for-endpoint",
        ),
        (
            r"C:\ProgramData\Microsoft\Windows Defender Advanced Threat Protection\Platform\10.8760\SenseIR.exe",
            "microsoft-defender-for-endpoint",
        ),
        (
            "/opt/microsoft/mdatp/sbin/wdavdaemon",
            "microsoft-defender-for-endpoint",
        ),
        (
            r"C:\Program Files\CrowdStrike\CSFalconService.exe",
            "crowdstrike-falcon",
        ),
        (
            r"C:\Program Files\SentinelOne\Sentinel Agent 23.4.2.14\SentinelAgent.exe",
            "sentinelone-singularity",
        ),
        (
            r"C:\Program Files\Sophos\Sophos File Scanner\SophosFileScanner.exe",
            "sophos-endpoint",
        ),
        (
            r"C:\Program Files (x86)\Tencent\QQPCMgr\QQPCTray.exe",
            "tencent-pc-manager",
        ),
        (
            r"C:\Program Files\Huorong\Sysdiag\bin\HipsDaemon.exe",
            "huorong-internet-security",
        ),
        ("ZhuDongFangYu.exe", "360-total-security"),
    ];
    let c = connection("192.0.2.1", &[]);
    for (image, product) in cases {
        let a = catalog
            .attribute(&c, &nowhere("192.0.2.1"), Some(image))
            .unwrap_or_else(|| panic!("{image} is not attributed"));
        assert_eq!(a.product, product, "{image}");
        assert!(
            matches!(a.basis, AttributionBasis::ProcessImage { .. }),
            "{image}: {:?}",
            a.basis
        );
    }
    // SentinelAgent.exe is matched by its documented install path only.
    assert_eq!(
        catalog.attribute(
            &c,
            &nowhere("192.0.2.1"),
            Some(r"C:\Users\x\Downloads\SentinelAgent.exe")
        ),
        None
    );
}

fn with_asn(address: &str, asn: u32) -> Destination {
    Destination {
        address: address
            .parse()
            .unwrap_or_else(|_| panic!("address {address}")),
        answers: vec![SourceAnswer {
            source: "asn".into(),
            basis: ringfence_model::Basis::AsnOrganisation,
            country: None,
            asn: Some(asn),
            organisation: None,
            network: None,
        }],
    }
}

#[test]
fn cloud_and_cdn_operators_are_named_but_never_a_product() {
    let catalog = Catalog::bundled();
    for (address, asn, operator) in [
        ("52.4.1.1", 14_618, "amazon"),
        ("3.5.140.2", 16_509, "amazon"),
        ("40.126.32.1", 8_075, "microsoft"),
        ("142.250.1.1", 15_169, "google"),
        ("104.16.1.1", 13_335, "cloudflare"),
        ("23.32.1.1", 20_940, "akamai"),
        ("151.101.1.1", 54_113, "fastly"),
        ("77.88.8.8", 13_238, "yandex"),
        ("188.93.1.1", 49_505, "selectel"),
        ("47.74.1.1", 45_102, "alibaba-group"),
        ("43.128.1.1", 132_203, "shenzhen-tencent-computer-systems"),
    ] {
        let destination = with_asn(address, asn);
        let found = catalog
            .operator_of(&destination)
            .unwrap_or_else(|| panic!("AS{asn} has no operator"));
        assert_eq!(found.id, operator, "AS{asn}");
        assert!(found.hosts_others, "AS{asn}");
        let c = connection(address, &[]);
        assert_eq!(catalog.attribute(&c, &destination, None), None, "AS{asn}");
    }
    // A security vendor's own network still names its product.
    let destination = with_asn("198.51.100.7", 200_107);
    let c = connection("198.51.100.7", &[]);
    let a = catalog
        .attribute(&c, &destination, None)
        .unwrap_or_else(|| panic!("AS200107"));
    assert_eq!(a.product, "kaspersky-endpoint-security");
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

#[test]
fn running_images_map_to_products() {
    let catalog = Catalog::bundled();
    let id = |image: &str| catalog.product_for_image(image).map(|p| p.id.as_str());
    assert_eq!(
        id(r"C:\Program Files (x86)\Kaspersky Lab\Kaspersky Endpoint Security for Windows\AVP.EXE"),
        Some("kaspersky-endpoint-security")
    );
    assert_eq!(id(r"C:\Windows\System32\svchost.exe"), None);
    assert_eq!(id(""), None);
}
