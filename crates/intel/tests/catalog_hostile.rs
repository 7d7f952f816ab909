//! Catalogs and evidence that try to break the catalog: broken TOML, ownership cycles, names
//! that end like a vendor's domain without being in it, hostile lengths; and each attribution
//! basis on a hand-built catalog, strongest first.

use ringfence_intel::catalog::{Catalog, CatalogError};
use ringfence_model::{
    AttributionBasis, Basis, Connection, Destination, EvidenceRef, FlowKey, LearnedName,
    NameSource, SourceAnswer, Timestamp, Transport,
};
use std::net::IpAddr;

const SRC: &str = r#"sources = [{ url = "https://example.org/a", checked = "2026-11-23" }]"#;

fn catalog(text: &str) -> Catalog {
    Catalog::from_texts([("test.toml", text)]).unwrap_or_else(|e| panic!("{e}"))
}

fn org(id: &str, parent: Option<&str>, asns: &str) -> String {
    let parent = parent.map_or(String::new(), |p| format!("parent = \"{p}\"\n"));
    format!(
        "[[organisation]]\nid = \"{id}\"\nname = \"{id}\"\n{parent}incorporated = \"RU\"\n\
         headquarters = \"RU\"\nasns = [{asns}]\n{SRC}\n"
    )
}

fn small() -> Catalog {
    let text = format!(
        "{}{}[[product]]\nid = \"kes\"\nname = \"KES\"\nvendor = \"kl\"\ncategory = \"anti-virus\"\n\
         process_images = ['*\\avp.exe']\nendpoints = [\".kaspersky.com\", \"ts.eset.example\"]\n\
         networks = [\"77.74.176.0/21\"]\n{SRC}\n\
         [[product]]\nid = \"upd\"\nname = \"Updater\"\nvendor = \"kl\"\ncategory = \"other\"\n\
         endpoints = [\".upd.kaspersky.com\"]\n{SRC}\n",
        org("kl", None, "209030"),
        org("kl-ch", Some("kl"), "200107"),
    );
    catalog(&text)
}

fn connection(names: &[(&str, NameSource)]) -> Connection {
    Connection {
        community_id: String::new(),
        key: FlowKey {
            transport: Transport::Tcp,
            orig_addr: IpAddr::from([10, 0, 0, 5]),
            orig_port: 50_000,
            resp_addr: IpAddr::from([192, 0, 2, 1]),
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
            .map(|(n, s)| LearnedName {
                name: (*n).to_string(),
                source: *s,
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

fn destination(address: &str, asn: Option<u32>) -> Destination {
    Destination {
        address: address.parse().unwrap_or_else(|_| panic!("bad address")),
        answers: vec![SourceAnswer {
            source: "asn".into(),
            basis: Basis::AsnOrganisation,
            country: None,
            asn,
            organisation: None,
            network: None,
        }],
    }
}

#[test]
fn broken_toml_names_file_line_and_column() {
    let text = "[[organisation]]\nid = \"x\"\nname = \"unterminated\n";
    match Catalog::from_texts([("broken.toml", text)]) {
        Err(CatalogError::Parse {
            file, line, column, ..
        }) => {
            assert_eq!(file, "broken.toml");
            assert_eq!(line, 3);
            assert!(column >= 8, "column {column}");
        }
        Err(other) => panic!("wrong error {other}"),
        Ok(_) => panic!("broken TOML accepted"),
    }
    let dir = std::env::temp_dir().join(format!("ringfence-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("bad.toml");
    std::fs::write(&path, "[[product]]\nid = 3\n").unwrap_or_else(|e| panic!("{e}"));
    let message = match Catalog::load_dir(&dir) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("bad file accepted"),
    };
    assert!(message.contains("bad.toml:2:"), "{message}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ownership_cycle_is_reported_not_looped_on() {
    let text = format!(
        "{}{}{}",
        org("a", Some("b"), ""),
        org("b", Some("c"), ""),
        org("c", Some("a"), "")
    );
    let c = catalog(&text);
    let chain: Vec<&str> = c
        .ownership_chain("a")
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(chain, ["a", "b", "c"]);
    let problems = c.check();
    let cycles: Vec<_> = problems
        .iter()
        .filter(|p| p.reason.contains("ownership cycle"))
        .collect();
    assert_eq!(cycles.len(), 1, "{problems:?}");
    assert!(
        cycles.iter().all(|p| p.reason.contains("a → b → c → a")),
        "{cycles:?}"
    );
    assert_eq!(cycles.first().map(|p| p.file.as_str()), Some("test.toml"));
}

#[test]
fn check_reports_each_kind_of_problem_with_file_and_reason() {
    let text = "[[organisation]]\nid = \"x\"\nname = \"X\"\nparent = \"ghost\"\nincorporated = \"UK\"\n\
                headquarters = \"ru\"\nsources = [{ url = \"http://x.org\", checked = \"2026-02-30\" }]\n\
                [[organisation]]\nid = \"x\"\nname = \"X again\"\nincorporated = \"GB\"\nheadquarters = \"GB\"\nsources = []\n\
                [[product]]\nid = \"p\"\nname = \"P\"\nvendor = \"nobody\"\ncategory = \"edr\"\n\
                endpoints = [\"Bad..Name\"]\nnetworks = [\"10.0.0.1/8\"]\nsources = []\n";
    let problems = catalog(text).check();
    let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let joined = all.join("\n");
    for needle in [
        "parent \"ghost\"",
        "\"UK\" is not an ISO 3166-1",
        "\"ru\" is not an ISO 3166-1",
        "not an https URL",
        "not a valid ISO 8601 date",
        "used by more than one organisation",
        "has no source",
        "vendor \"nobody\"",
        "endpoint pattern \"Bad..Name\"",
        "host bits set",
    ] {
        assert!(joined.contains(needle), "missing {needle:?} in:\n{joined}");
    }
    assert!(
        problems
            .iter()
            .all(|p| p.file == "test.toml" && p.line.is_some()),
        "{joined}"
    );
}

#[test]
fn suffixes_match_only_on_label_boundaries() {
    let c = small();
    let d = destination("192.0.2.1", None);
    for name in [
        "notkaspersky.com",
        "kaspersky.com.evil.example",
        "xkaspersky.com",
        "kaspersky.com",
    ] {
        let a = c.attribute(&connection(&[(name, NameSource::Sni)]), &d, None);
        assert_eq!(a, None, "{name} must not match .kaspersky.com");
    }
    let a = c.attribute(
        &connection(&[("S01.UPD.Kaspersky.COM.", NameSource::Sni)]),
        &d,
        None,
    );
    let a = a.unwrap_or_else(|| panic!("upper case and trailing dot still match"));
    // The longest suffix wins.
    assert_eq!(a.product, "upd");
    assert_eq!(
        a.basis,
        AttributionBasis::EndpointName {
            name: "S01.UPD.Kaspersky.COM.".into(),
            pattern: ".upd.kaspersky.com".into()
        }
    );
    let exact = c.attribute(
        &connection(&[("ts.eset.example", NameSource::Dns)]),
        &d,
        None,
    );
    assert_eq!(exact.map(|a| a.product), Some("kes".to_string()));
    assert_eq!(
        c.attribute(
            &connection(&[("x.ts.eset.example", NameSource::Dns)]),
            &d,
            None
        ),
        None
    );
}

#[test]
fn hostile_names_and_images_are_refused_cheaply() {
    let c = small();
    let d = destination("192.0.2.1", None);
    let long_label = format!("{}.kaspersky.com", "a".repeat(65_536));
    let dots = format!("{}kaspersky.com", "a.".repeat(40_000));
    let names = [
        long_label.as_str(),
        dots.as_str(),
        "",
        ".",
        "\u{0}.kaspersky.com",
    ];
    for name in names {
        let _ = c.attribute(&connection(&[(name, NameSource::Sni)]), &d, None);
    }
    assert_eq!(
        c.attribute(
            &connection(&[(long_label.as_str(), NameSource::Sni)]),
            &d,
            None
        ),
        None
    );
    let image = format!("C:\\{}\\avp.exe", "*".repeat(100_000));
    assert_eq!(c.attribute(&connection(&[]), &d, Some(&image)), None);
    assert_eq!(c.product_for_package(&"x".repeat(10_000)), None);
}

#[test]
fn each_basis_in_order_of_strength() {
    let c = small();
    // 1. Process image beats everything, case-insensitive on the file name.
    let everything = destination("77.74.181.1", Some(209_030));
    let conn = connection(&[("s01.upd.kaspersky.com", NameSource::Sni)]);
    let a = c
        .attribute(
            &conn,
            &everything,
            Some(r"C:\Program Files (x86)\Kaspersky Lab\KES\AVP.EXE"),
        )
        .unwrap_or_else(|| panic!("image basis"));
    assert_eq!(a.product, "kes");
    assert!(
        matches!(a.basis, AttributionBasis::ProcessImage { ref pattern, .. } if pattern == r"*\avp.exe")
    );
    // 2. Without an image, the name decides.
    let a = c
        .attribute(&conn, &everything, Some(r"C:\Windows\explorer.exe"))
        .unwrap_or_else(|| panic!("name"));
    assert_eq!(a.product, "upd");
    // 3. Without a name, the vendor's network.
    let a = c
        .attribute(&connection(&[]), &everything, None)
        .unwrap_or_else(|| panic!("network"));
    assert_eq!(
        a.basis,
        AttributionBasis::VendorNetwork {
            network: "77.74.176.0/21".into()
        }
    );
    // 4. Outside the networks, the vendor's ASN (here its Swiss subsidiary's).
    let a = c
        .attribute(
            &connection(&[]),
            &destination("198.51.100.9", Some(200_107)),
            None,
        )
        .unwrap_or_else(|| panic!("asn"));
    assert_eq!(a.basis, AttributionBasis::VendorAsn { asn: 200_107 });
    assert_eq!(a.product, "kes");
    assert_eq!(
        c.operator_of(&destination("198.51.100.9", Some(200_107)))
            .map(|o| o.id.as_str()),
        Some("kl-ch")
    );
    // Nothing known: unattributed.
    assert_eq!(
        c.attribute(
            &connection(&[]),
            &destination("198.51.100.9", Some(64_500)),
            None
        ),
        None
    );
    assert_eq!(c.operator_of(&destination("198.51.100.9", None)), None);
}

#[test]
fn digest_ignores_file_layout_but_not_facts() {
    let a = format!("{}{}", org("a", None, ""), org("b", None, ""));
    let one = Catalog::from_texts([("one.toml", a.as_str())]).unwrap_or_else(|e| panic!("{e}"));
    let b1 = org("b", None, "");
    let a1 = org("a", None, "");
    let two = Catalog::from_texts([("x.toml", b1.as_str()), ("y.toml", a1.as_str())])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(one.sha256(), two.sha256());
    let changed = format!("{}{}", org("a", None, "1"), org("b", None, ""));
    assert_ne!(one.sha256(), catalog(&changed).sha256());
}
