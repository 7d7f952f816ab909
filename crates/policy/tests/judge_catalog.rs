//! The packs against the repository's real catalog (`catalog/*.toml`, bundled into ringfence-intel):
//! the ids the bod-17-01 pack names must be the catalog's, and ownership must run through it.

mod common;

use common::*;
use ringfence_intel::catalog::Catalog;
use ringfence_model::{Basis, Decision};
use ringfence_policy::Judge;

fn catalog_kaspersky(catalog: &Catalog) -> ringfence_model::Product {
    catalog
        .product("kaspersky-endpoint-security")
        .cloned()
        .unwrap_or_else(|| panic!("the bundled catalog has no kaspersky-endpoint-security product"))
}

#[test]
fn the_catalogs_kaspersky_product_is_denied_by_both_packs() {
    let catalog = Catalog::bundled();
    let product = catalog_kaspersky(&catalog);
    let ncsc = load(&["ncsc-2017"]);
    let verdict = Judge::new(&ncsc, &catalog).install(Some(&secret_ns()), &product);
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(verdict.policies, vec!["ncsc-2017-install-ru-supplier"]);
    let bod = load(&["bod-17-01"]);
    let verdict = Judge::new(&bod, &catalog).install(Some(&official()), &product);
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(verdict.policies, vec!["bod-17-01-install-kaspersky"]);
}

#[test]
fn every_organisation_the_packs_name_is_in_the_catalog() {
    let catalog = Catalog::bundled();
    for pack in ringfence_policy::pack_names() {
        let set = load(&[pack]);
        for source in set.sources() {
            for (i, _) in source.text.match_indices("Organisation::\"") {
                let rest = source
                    .text
                    .get(i + "Organisation::\"".len()..)
                    .unwrap_or("");
                let id = rest.split('"').next().unwrap_or("");
                assert!(
                    catalog.organisation(id).is_some(),
                    "{}: Organisation::\"{id}\" is not in the catalog",
                    source.name
                );
            }
        }
    }
}

#[test]
fn egress_to_the_swiss_subsidiarys_network_is_denied_through_its_russian_parent() {
    let catalog = Catalog::bundled();
    let swiss = catalog
        .organisation("kaspersky-lab-switzerland")
        .unwrap_or_else(|| panic!("the bundled catalog has no kaspersky-lab-switzerland"));
    let asn = *swiss
        .asns
        .first()
        .unwrap_or_else(|| panic!("kaspersky-lab-switzerland has no ASN in the catalog"));
    let policies = load(&["ncsc-2017"]);
    let mut judge = Judge::new(&policies, &catalog);
    // Only the routing country (CH) and the announcing ASN are given.
    let destination = destination(
        "77.74.181.1",
        vec![
            answer(Basis::RoutingCountry, Some("CH"), None),
            answer(Basis::AsnOrganisation, None, Some(asn)),
        ],
    );
    let verdict = judge.egress(Some(&secret_ns()), None, &destination);
    assert_eq!(verdict.decision, Decision::Deny, "{verdict:?}");
    assert_eq!(verdict.policies, vec!["ncsc-2017-egress-controlled-ru"]);
}
