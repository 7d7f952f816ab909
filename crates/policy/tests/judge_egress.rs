mod common;

use common::*;
use ringfence_model::{Basis, Decision};
use ringfence_policy::{Judge, REASON_HOST, REASON_OPERATOR, REASON_PRODUCT};

#[test]
fn egress_to_a_russian_owned_swiss_operator_is_denied_with_every_applicable_reason() {
    let policies = load(&["ncsc-2017"]);
    let facts = facts();
    let mut judge = Judge::with_facts(&policies, &facts);
    let verdict = judge.egress(Some(&secret_ns()), Some(&kaspersky()), &kaspersky_ch_full());
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(
        verdict.policies,
        vec![
            "ncsc-2017-egress-controlled-ru",
            "ncsc-2017-egress-located-ru",
            "ncsc-2017-egress-ru-supplier"
        ]
    );
}

#[test]
fn ownership_denies_even_when_only_the_routing_country_is_given() {
    let policies = load(&["ncsc-2017"]);
    let facts = facts();
    let mut judge = Judge::with_facts(&policies, &facts);
    // Routing says CH; only the operator's Russian parent makes it Russian. ESET's product makes
    // the connection, so the supplier rule does not apply either: ownership alone decides.
    let verdict = judge.egress(
        Some(&secret_ns()),
        Some(&eset()),
        &kaspersky_ch_routing_only(),
    );
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(verdict.policies, vec!["ncsc-2017-egress-controlled-ru"]);
    // Even unattributed, the operator decides: every possible product is denied.
    let verdict = judge.egress(Some(&secret_ns()), None, &kaspersky_ch_routing_only());
    assert_eq!(verdict.decision, Decision::Deny);
    // Only the ownership rule decided in every shape of the missing product.
    assert_eq!(verdict.policies, vec!["ncsc-2017-egress-controlled-ru"]);
    assert!(verdict.reasons.is_empty(), "{verdict:?}");
}

#[test]
fn the_same_egress_from_an_official_system_is_allowed_by_ncsc_and_denied_by_bod_for_kaspersky() {
    let facts = facts();
    let ncsc = load(&["ncsc-2017"]);
    let verdict = Judge::with_facts(&ncsc, &facts).egress(
        Some(&official()),
        Some(&kaspersky()),
        &kaspersky_ch_full(),
    );
    assert_eq!(verdict.decision, Decision::Allow);
    assert_eq!(verdict.policies, vec!["ncsc-2017-egress-otherwise"]);
    let bod = load(&["bod-17-01"]);
    let verdict = Judge::with_facts(&bod, &facts).egress(
        Some(&official()),
        Some(&kaspersky()),
        &kaspersky_ch_full(),
    );
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(verdict.policies, vec!["bod-17-01-egress-kaspersky"]);
}

#[test]
fn an_unattributed_connection_to_an_unknown_operator_is_unknown() {
    let policies = load(&["ncsc-2017"]);
    let facts = facts();
    let mut judge = Judge::with_facts(&policies, &facts);
    let verdict = judge.egress(Some(&secret_ns()), None, &unknown_operator_de());
    assert_eq!(verdict.decision, Decision::Unknown);
    assert_eq!(verdict.reasons, vec![REASON_PRODUCT, REASON_OPERATOR]);
    // The policies that decide in some shape of the missing facts are named: the permit as things
    // stand, and the supplier rule should the product turn out to be Russian.
    assert_eq!(
        verdict.policies,
        vec!["ncsc-2017-egress-otherwise", "ncsc-2017-egress-ru-supplier"]
    );
}

#[test]
fn an_attributed_connection_to_an_unknown_operator_is_unknown_on_a_national_security_system() {
    let policies = load(&["ncsc-2017"]);
    let facts = facts();
    let mut judge = Judge::with_facts(&policies, &facts);
    let verdict = judge.egress(Some(&secret_ns()), Some(&eset()), &unknown_operator_de());
    assert_eq!(verdict.decision, Decision::Unknown);
    assert_eq!(verdict.reasons, vec![REASON_OPERATOR]);
    assert_eq!(
        verdict.policies,
        vec![
            "ncsc-2017-egress-controlled-ru",
            "ncsc-2017-egress-otherwise"
        ]
    );
}

#[test]
fn location_alone_decides_when_the_operator_is_unknown() {
    let policies = load(&["ncsc-2017"]);
    let facts = facts();
    let mut judge = Judge::with_facts(&policies, &facts);
    let russian = destination(
        "198.51.100.7",
        vec![
            answer(Basis::GeolocatedCountry, Some("ru"), None),
            answer(Basis::RoutingCountry, Some("DE"), None),
        ],
    );
    let verdict = judge.egress(Some(&secret_ns()), None, &russian);
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(verdict.policies, vec!["ncsc-2017-egress-located-ru"]);
    assert!(verdict.reasons.is_empty());
}

#[test]
fn unknown_facts_on_a_system_no_forbid_can_reach_are_allowed_by_the_explicit_permit() {
    let policies = load(&["ncsc-2017"]);
    let facts = facts();
    let mut judge = Judge::with_facts(&policies, &facts);
    let verdict = judge.egress(Some(&official()), None, &unknown_operator_de());
    assert_eq!(verdict.decision, Decision::Allow);
    assert_eq!(verdict.policies, vec!["ncsc-2017-egress-otherwise"]);
}

#[test]
fn bod_17_01_cannot_clear_an_unattributed_connection() {
    let policies = load(&["bod-17-01"]);
    let facts = facts();
    let mut judge = Judge::with_facts(&policies, &facts);
    // Any product could be Kaspersky-branded: unknown, whatever the destination.
    let verdict = judge.egress(Some(&official()), None, &kaspersky_ch_full());
    assert_eq!(verdict.decision, Decision::Unknown);
    assert_eq!(verdict.reasons, vec![REASON_PRODUCT]);
    assert_eq!(
        judge
            .egress(Some(&official()), Some(&eset()), &unknown_operator_de())
            .decision,
        Decision::Allow
    );
}

#[test]
fn a_host_outside_the_estate_is_unknown_for_ncsc_egress() {
    let policies = load(&["ncsc-2017"]);
    let facts = facts();
    let mut judge = Judge::with_facts(&policies, &facts);
    let verdict = judge.egress(None, Some(&eset()), &kaspersky_ch_full());
    assert_eq!(verdict.decision, Decision::Unknown);
    assert_eq!(verdict.reasons, vec![REASON_HOST]);
}

#[test]
fn a_policy_about_missing_facts_decides_as_written() {
    let dir = std::env::temp_dir().join(format!("ringfence-policy-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("fail-closed.cedar");
    std::fs::write(
        &file,
        "@id(\"fail-closed-unattributed\")\nforbid (principal, action == Action::\"egress\", resource)\nwhen { !context.attributed };\n@id(\"rest\")\npermit (principal, action, resource);\n",
    )
    .expect("write policy");
    let policies = ringfence_policy::PolicySet::load(&[file.display().to_string()]).expect("loads");
    std::fs::remove_dir_all(&dir).ok();
    let facts = facts();
    let mut judge = Judge::with_facts(&policies, &facts);
    let verdict = judge.egress(Some(&official()), None, &unknown_operator_de());
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(verdict.policies, vec!["fail-closed-unattributed"]);
}

#[test]
fn verdicts_are_cached_per_distinct_tuple() {
    let policies = load(&["ncsc-2017", "bod-17-01"]);
    let facts = facts();
    let mut judge = Judge::with_facts(&policies, &facts);
    let first = judge.egress(Some(&secret_ns()), Some(&kaspersky()), &kaspersky_ch_full());
    let evaluations = judge.evaluations();
    assert_eq!(evaluations, 1);
    // Another address with the same facts (answer order differs): served from the cache.
    let mut other = kaspersky_ch_full();
    other.address = "77.74.181.2".parse().expect("address");
    other.answers.reverse();
    assert_eq!(
        judge.egress(Some(&secret_ns()), Some(&kaspersky()), &other),
        first
    );
    assert_eq!(judge.evaluations(), evaluations);
    assert_eq!(judge.cached(), 1);
    // A different system is a different tuple.
    let second = judge.egress(Some(&official()), Some(&kaspersky()), &other);
    assert_ne!(second, first);
    assert_eq!(judge.cached(), 2);
}
