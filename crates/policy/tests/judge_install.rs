mod common;

use common::*;
use ringfence_model::Decision;
use ringfence_policy::{Judge, REASON_HOST};

#[test]
fn kaspersky_on_a_national_security_secret_system_is_denied_by_ncsc_2017() {
    let policies = load(&["ncsc-2017"]);
    let facts = facts();
    let mut judge = Judge::with_facts(&policies, &facts);
    let verdict = judge.install(Some(&secret_ns()), &kaspersky());
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(verdict.policies, vec!["ncsc-2017-install-ru-supplier"]);
    assert!(verdict.reasons.is_empty(), "{verdict:?}");
}

#[test]
fn kaspersky_on_an_official_system_is_allowed_by_ncsc_2017_but_denied_by_bod_17_01() {
    let facts = facts();
    let ncsc = load(&["ncsc-2017"]);
    let verdict = Judge::with_facts(&ncsc, &facts).install(Some(&official()), &kaspersky());
    assert_eq!(verdict.decision, Decision::Allow);
    assert_eq!(verdict.policies, vec!["ncsc-2017-install-otherwise"]);

    let bod = load(&["bod-17-01"]);
    let verdict = Judge::with_facts(&bod, &facts).install(Some(&official()), &kaspersky());
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(verdict.policies, vec!["bod-17-01-install-kaspersky"]);
}

#[test]
fn a_non_russian_product_is_allowed_on_a_national_security_system() {
    let policies = load(&["ncsc-2017", "bod-17-01"]);
    let facts = facts();
    let verdict = Judge::with_facts(&policies, &facts).install(Some(&secret_ns()), &eset());
    assert_eq!(verdict.decision, Decision::Allow);
    assert_eq!(
        verdict.policies,
        vec!["bod-17-01-install-otherwise", "ncsc-2017-install-otherwise"]
    );
}

#[test]
fn both_packs_together_name_every_forbid_that_applies() {
    let policies = load(&["ncsc-2017", "bod-17-01"]);
    let facts = facts();
    let verdict = Judge::with_facts(&policies, &facts).install(Some(&secret_ns()), &kaspersky());
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(
        verdict.policies,
        vec![
            "bod-17-01-install-kaspersky",
            "ncsc-2017-install-ru-supplier"
        ]
    );
}

#[test]
fn a_host_outside_the_estate_is_unknown_unless_a_policy_decides_regardless() {
    let facts = facts();
    // ncsc-2017 depends on the system's flag: unknown.
    let ncsc = load(&["ncsc-2017"]);
    let verdict = Judge::with_facts(&ncsc, &facts).install(None, &kaspersky());
    assert_eq!(verdict.decision, Decision::Unknown);
    assert_eq!(verdict.reasons, vec![REASON_HOST]);
    assert!(
        verdict
            .policies
            .contains(&"ncsc-2017-install-ru-supplier".to_string()),
        "{verdict:?}"
    );
    // bod-17-01 forbids Kaspersky on any system: decided whatever the system.
    let bod = load(&["bod-17-01"]);
    let verdict = Judge::with_facts(&bod, &facts).install(None, &kaspersky());
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(verdict.policies, vec!["bod-17-01-install-kaspersky"]);
    assert!(verdict.reasons.is_empty());
}

#[test]
fn an_unlisted_classification_is_judged_at_every_level() {
    let facts = facts();
    let policies = load(&["ncsc-2017"]);
    // Flags known, level unknown: ncsc-2017 does not look at the level, so it still decides.
    let odd = system("odd", "RESTRICTED", true);
    let verdict = Judge::with_facts(&policies, &facts).install(Some(&odd), &kaspersky());
    assert_eq!(verdict.decision, Decision::Deny);
    // With the estate's own levels the classification is found.
    let levels = vec!["UNCLASSIFIED".to_string(), "RESTRICTED".to_string()];
    let mut judge = Judge::with_facts(&policies, &facts).with_levels(&levels);
    assert_eq!(judge.install(Some(&odd), &eset()).decision, Decision::Allow);
}
