//! Hand-built ownership facts for the scenario tests: a few organisations modelled on the
//! catalog's (Kaspersky Lab with its Swiss subsidiary, ESET), an ASN map standing in for the
//! catalog's `operator_of`, and systems of a small estate.

#![allow(dead_code)] // each test file uses its own subset of these helpers

use ringfence_model::{
    Basis, Destination, FactSource, Organisation, Product, ProductCategory, SourceAnswer, System,
};
use ringfence_policy::OwnershipFacts;

/// A private-use ASN standing in for the Swiss subsidiary's network in these tests.
pub const KASPERSKY_CH_ASN: u32 = 64512;
pub const ESET_ASN: u32 = 64513;

pub struct Facts {
    pub organisations: Vec<Organisation>,
}

impl OwnershipFacts for Facts {
    fn organisation(&self, id: &str) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.id == id)
    }
    fn organisations(&self) -> &[Organisation] {
        &self.organisations
    }
    fn operator_of(&self, destination: &Destination) -> Option<&Organisation> {
        let asns = destination.asns();
        self.organisations
            .iter()
            .find(|o| o.asns.iter().any(|a| asns.contains(a)))
    }
}

fn source() -> Vec<FactSource> {
    vec![FactSource {
        url: "https://example.invalid/test-fixture".into(),
        checked: "2026-01-01".into(),
    }]
}

fn org(id: &str, parent: Option<&str>, country: &str, asns: &[u32]) -> Organisation {
    Organisation {
        id: id.into(),
        name: id.into(),
        parent: parent.map(String::from),
        incorporated: country.into(),
        headquarters: country.into(),
        asns: asns.to_vec(),
        hosts_others: false,
        sources: source(),
    }
}

pub fn facts() -> Facts {
    Facts {
        organisations: vec![
            org("ao-kaspersky-lab", None, "RU", &[]),
            org(
                "kaspersky-lab-switzerland",
                Some("ao-kaspersky-lab"),
                "CH",
                &[KASPERSKY_CH_ASN],
            ),
            org("eset", None, "SK", &[ESET_ASN]),
        ],
    }
}

pub fn product(id: &str, vendor: &str) -> Product {
    Product {
        id: id.into(),
        name: id.into(),
        vendor: vendor.into(),
        category: ProductCategory::AntiVirus,
        process_images: Vec::new(),
        package_names: Vec::new(),
        endpoints: Vec::new(),
        networks: Vec::new(),
        sources: source(),
    }
}

/// Kaspersky Endpoint Security, sold by the Swiss subsidiary: Russian only through its parent.
pub fn kaspersky() -> Product {
    product("kaspersky-endpoint-security", "kaspersky-lab-switzerland")
}

pub fn eset() -> Product {
    product("eset-endpoint-security", "eset")
}

pub fn system(id: &str, classification: &str, national_security: bool) -> System {
    System {
        id: id.into(),
        name: id.into(),
        classification: classification.into(),
        national_security,
        cni: false,
        hosts: vec!["10.0.0.0/24".into()],
    }
}

pub fn secret_ns() -> System {
    system("defence-secret", "SECRET", true)
}

pub fn official() -> System {
    system("office", "OFFICIAL", false)
}

pub fn answer(basis: Basis, country: Option<&str>, asn: Option<u32>) -> SourceAnswer {
    SourceAnswer {
        source: format!("{basis:?}"),
        basis,
        country: country.map(String::from),
        asn,
        organisation: None,
        network: None,
    }
}

pub fn destination(address: &str, answers: Vec<SourceAnswer>) -> Destination {
    Destination {
        address: address.parse().expect("test address parses"),
        answers,
    }
}

/// 77.74.181.1: CH by routing, RU by registry, in the Swiss subsidiary's network.
pub fn kaspersky_ch_full() -> Destination {
    destination(
        "77.74.181.1",
        vec![
            answer(Basis::RoutingCountry, Some("CH"), None),
            answer(Basis::RegistryCountry, Some("RU"), None),
            answer(Basis::AsnOrganisation, None, Some(KASPERSKY_CH_ASN)),
        ],
    )
}

/// The same address as a single routing-country source and the ASN table see it.
pub fn kaspersky_ch_routing_only() -> Destination {
    destination(
        "77.74.181.1",
        vec![
            answer(Basis::RoutingCountry, Some("CH"), None),
            answer(Basis::AsnOrganisation, None, Some(KASPERSKY_CH_ASN)),
        ],
    )
}

/// An address in Germany whose operator the catalog does not know.
pub fn unknown_operator_de() -> Destination {
    destination(
        "192.0.2.10",
        vec![
            answer(Basis::RoutingCountry, Some("DE"), None),
            answer(Basis::AsnOrganisation, None, Some(64999)),
        ],
    )
}

pub fn load(packs: &[&str]) -> ringfence_policy::PolicySet {
    let packs: Vec<String> = packs.iter().map(|p| p.to_string()).collect();
    ringfence_policy::PolicySet::load(&packs)
        .unwrap_or_else(|e| panic!("packs {packs:?} load: {e}"))
}
