//! The audit of the project's generated sample evidence with the example estate, fixture IP data,
//! the bundled catalog and the bundled policy packs.

mod common;

use common::{sample_capture, setup, work_dir};
use ringfence_audit::{Finding, Report, audit_evidence};
use ringfence_model::{Basis, Decision};
use std::net::IpAddr;

const KASPERSKY: &str = "kaspersky-endpoint-security";
const KASPERSKY_CH: &str = "kaspersky-lab-switzerland";

fn finding<'r>(
    report: &'r Report,
    system: &str,
    product: &str,
    operator: &str,
) -> Vec<&'r Finding> {
    report
        .findings
        .iter()
        .filter(|f| {
            f.system.as_deref() == Some(system)
                && f.product.as_deref() == Some(product)
                && f.operator.as_deref() == Some(operator)
        })
        .collect()
}

#[test]
fn kaspersky_on_the_national_security_system_is_denied_under_both_packs() {
    let dir = work_dir("both-packs");
    let evidence = vec![sample_capture(&dir, 1, 3 * 1024 * 1024)];
    let setup = setup(&dir, &["ncsc-2017", "bod-17-01"]);
    let report = audit_evidence(&setup, &evidence, 1).unwrap();

    // Kaspersky on the SECRET, national-security desks, to its Swiss operator owned from Russia.
    let secret = finding(&report, "policy-desks", KASPERSKY, KASPERSKY_CH);
    assert!(
        !secret.is_empty(),
        "no Kaspersky finding on policy-desks: {:#?}",
        report.findings
    );
    for f in &secret {
        assert_eq!(f.decision, Decision::Deny);
        assert!(
            f.policies
                .iter()
                .any(|p| p == "ncsc-2017-egress-ru-supplier"),
            "{:?}",
            f.policies
        );
        assert!(
            f.policies.iter().any(|p| p == "bod-17-01-egress-kaspersky"),
            "{:?}",
            f.policies
        );
        assert!(f.connections > 0 && f.bytes_out > 0 && f.bytes_in > 0);
        assert!(f.first_seen <= f.last_seen);
        // Location is not control: CH by routing, RU by registry, both kept.
        let routing = f
            .countries
            .iter()
            .find(|c| c.basis == Basis::RoutingCountry)
            .unwrap();
        assert!(
            routing.countries.contains(&"CH".to_owned()),
            "{:?}",
            f.countries
        );
        let registry = f
            .countries
            .iter()
            .find(|c| c.basis == Basis::RegistryCountry)
            .unwrap();
        assert!(
            registry.countries.contains(&"RU".to_owned()),
            "{:?}",
            f.countries
        );
        assert!(
            !f.example_names.is_empty() && f.example_names.iter().all(|n| n.contains("kaspersky"))
        );
        assert!(!f.evidence.is_empty() && f.evidence.len() <= 5);
        assert!(
            f.evidence
                .iter()
                .all(|e| e.sha256 == report.inputs.evidence[0].sha256 && e.record > 0)
        );
        assert!(
            f.example_hosts
                .iter()
                .all(|h| in_range(*h, "10.20.0.16", "10.20.0.39") || h.is_ipv6())
        );
    }

    // The same product on the OFFICIAL desks and the CNI servers: BOD 17-01 alone denies it.
    for system in ["office-desks", "grid-servers"] {
        let found: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| {
                f.system.as_deref() == Some(system) && f.product.as_deref() == Some(KASPERSKY)
            })
            .collect();
        assert!(!found.is_empty(), "no Kaspersky finding on {system}");
        for f in found {
            assert_eq!(f.decision, Decision::Deny);
            assert_eq!(f.policies, ["bod-17-01-egress-kaspersky"]);
        }
    }

    // ESET on the national-security desks: a Slovak supplier, allowed.
    let eset = finding(&report, "policy-desks", "eset-endpoint-security", "eset");
    assert!(!eset.is_empty(), "no ESET finding");
    assert!(eset.iter().all(|f| f.decision == Decision::Allow));

    // Findings are in report order: deny first, then unknown, then allow.
    let ranks: Vec<u8> = report
        .findings
        .iter()
        .map(|f| match f.decision {
            Decision::Deny => 0,
            Decision::Unknown => 1,
            Decision::Allow => 2,
        })
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]));

    // The contractors' laptops left out of the estate.
    let t = &report.totals;
    assert!(!t.hosts_not_in_estate.hosts.is_empty());
    assert!(
        t.hosts_not_in_estate
            .hosts
            .iter()
            .all(|h| in_range(*h, "10.20.0.56", "10.20.0.60")),
        "{:?}",
        t.hosts_not_in_estate.hosts
    );
    let outsiders: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.system.is_none())
        .collect();
    assert!(!outsiders.is_empty());
    // Outside the estate nothing is known about the system, so the verdict is unknown, unless a
    // policy decides regardless of the system (BOD 17-01: no Kaspersky on any system).
    for f in &outsiders {
        match f.decision {
            Decision::Unknown => assert!(
                f.reasons.iter().any(|r| r == "host not in estate"),
                "{f:#?}"
            ),
            Decision::Deny => {
                assert_eq!(f.product.as_deref(), Some(KASPERSKY));
                assert_eq!(f.policies, ["bod-17-01-egress-kaspersky"]);
            }
            Decision::Allow => panic!("a host outside the estate was allowed: {f:#?}"),
        }
    }
    assert!(outsiders.iter().any(|f| f.decision == Decision::Unknown));

    // Web browsing is attributed to nothing and stays in the report as unknown.
    assert!(t.unattributed.connections > 0);
    assert!(report.findings.iter().any(|f| f.product.is_none()
        && f.decision == Decision::Unknown
        && f.reasons.iter().any(|r| r == "product not attributed")));

    // Totals add up.
    assert_eq!(t.traffic.connections, report.inputs.evidence[0].connections);
    assert_eq!(
        t.judged.connections + t.internal.connections,
        t.traffic.connections
    );
    assert!(
        t.internal.connections > 0,
        "DNS to the office resolver is internal"
    );
    let sum: u64 = report.findings.iter().map(|f| f.connections).sum();
    assert_eq!(sum, t.judged.connections);
    assert_eq!(
        t.deny.connections + t.unknown.connections + t.allow.connections,
        sum
    );
    assert!(t.deny.findings >= 3);
    assert!(report.has_deny());
    assert!(!report.has_skipped_input());

    // Where the data went: both bases recorded, and the disagreement on Kaspersky's Swiss range.
    assert!(
        report
            .countries
            .iter()
            .any(|c| c.basis == Basis::RoutingCountry && c.country == "CH")
    );
    assert!(
        report
            .countries
            .iter()
            .any(|c| c.basis == Basis::RegistryCountry && c.country == "RU")
    );
    assert_eq!(report.map_basis(), Some(Basis::RoutingCountry));
    assert!(report.disagreements.groups.iter().any(|g| in_range(
        g.example_address,
        "77.74.176.0",
        "77.74.183.255"
    )));
    assert!(report.disagreements.traffic.connections > 0);

    // Provenance: every input's digest, the catalog records behind the findings.
    let inputs = &report.inputs;
    assert_eq!(inputs.evidence.len(), 1);
    assert_eq!(inputs.evidence[0].sha256.len(), 64);
    assert_eq!(inputs.estate.sha256.len(), 64);
    assert_eq!(inputs.catalog.sha256.len(), 64);
    assert_eq!(inputs.intel.len(), 3);
    assert!(
        inputs
            .policies
            .ids
            .contains(&"ncsc-2017-egress-ru-supplier".to_owned())
    );
    assert_eq!(inputs.policies.sha256.len(), 64);
    assert!(report.product(KASPERSKY).is_some());
    let chain: Vec<&str> = report
        .ownership_chain(KASPERSKY_CH)
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(chain, [KASPERSKY_CH, "ao-kaspersky-lab"]);
    let range = report.time_range.unwrap();
    assert!(range.first_seen.nanos() >= (ringfence_samples::EPOCH_US as i64) * 1000);
    assert!(range.first_seen < range.last_seen);
}

#[test]
fn under_ncsc_alone_kaspersky_on_official_desks_is_allowed() {
    let dir = work_dir("ncsc-only");
    let evidence = vec![sample_capture(&dir, 1, 2 * 1024 * 1024)];
    let report = audit_evidence(&setup(&dir, &["ncsc-2017"]), &evidence, 1).unwrap();
    let office = finding(&report, "office-desks", KASPERSKY, KASPERSKY_CH);
    assert!(!office.is_empty());
    assert!(
        office.iter().all(|f| f.decision == Decision::Allow),
        "{office:#?}"
    );
    let secret = finding(&report, "policy-desks", KASPERSKY, KASPERSKY_CH);
    assert!(
        secret
            .iter()
            .all(|f| f.decision == Decision::Deny
                && !f.policies.iter().any(|p| p.starts_with("bod")))
    );
}

#[test]
fn report_bytes_do_not_depend_on_the_thread_count() {
    let dir = work_dir("threads");
    let evidence: Vec<String> = (1..=3)
        .map(|seed| sample_capture(&dir, seed, 1024 * 1024))
        .collect();
    let setup = setup(&dir, &["ncsc-2017", "bod-17-01"]);
    let one = audit_evidence(&setup, &evidence, 1)
        .unwrap()
        .to_canonical_json();
    let four = audit_evidence(&setup, &evidence, 4)
        .unwrap()
        .to_canonical_json();
    let again = audit_evidence(&setup, &evidence, 4)
        .unwrap()
        .to_canonical_json();
    assert!(one == four, "1 and 4 threads differ");
    assert!(four == again, "two runs with 4 threads differ");
    // A different evidence order is a different audit (evidence references are by position).
    let mut reversed = evidence.clone();
    reversed.reverse();
    let other = audit_evidence(&setup, &reversed, 2).unwrap();
    assert_eq!(other.inputs.evidence[0].path, evidence[2]);
    let report: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(report["format"], "ringfence-report/2");
    assert_eq!(report["inputs"]["evidence"].as_array().unwrap().len(), 3);
}

#[test]
fn unreadable_records_are_counted_and_unopenable_evidence_is_an_error() {
    let dir = work_dir("unreadable");
    let good = sample_capture(&dir, 1, 512 * 1024);
    let mut bytes = std::fs::read(&good).unwrap();
    // Corrupt a record header in the middle: a length beyond the snap length.
    let middle = bytes.len() / 2;
    bytes.truncate(bytes.len() - 7);
    bytes.splice(middle..middle + 16, [0xffu8; 16]);
    let bad = dir.join("damaged.pcap");
    std::fs::write(&bad, &bytes).unwrap();
    let bad = bad.to_string_lossy().into_owned();
    let setup = setup(&dir, &["ncsc-2017"]);
    let report = audit_evidence(&setup, &[good.clone(), bad.clone()], 2).unwrap();
    assert!(report.has_skipped_input());
    let files = &report.totals.unreadable.files;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, bad);
    assert!(files[0].problem_count >= 1 && !files[0].problems.is_empty());
    assert_eq!(
        report.totals.unreadable.problem_count,
        files[0].problem_count
    );

    let missing = dir.join("missing.pcap").to_string_lossy().into_owned();
    let error = audit_evidence(&setup, &[good.clone(), missing], 1)
        .expect_err("missing evidence is an error");
    assert!(error.to_string().contains("missing.pcap"), "{error}");
    let not_capture = dir.join("notes.txt");
    std::fs::write(&not_capture, "not a capture").unwrap();
    assert!(audit_evidence(&setup, &[not_capture.to_string_lossy().into_owned()], 1).is_err());
    assert!(audit_evidence(&setup, &[], 1).is_err());
    assert!(audit_evidence(&setup, &["-".to_owned(), "-".to_owned()], 1).is_err());
}

fn in_range(address: IpAddr, low: &str, high: &str) -> bool {
    let (IpAddr::V4(a), IpAddr::V4(l), IpAddr::V4(h)) =
        (address, low.parse().unwrap(), high.parse().unwrap())
    else {
        return false;
    };
    (u32::from(l)..=u32::from(h)).contains(&u32::from(a))
}

#[test]
fn the_ledger_commitment_is_derived_from_the_report_bytes_alone() {
    let dir = work_dir("commitment");
    let evidence = vec![
        sample_capture(&dir, 1, 1024 * 1024),
        sample_capture(&dir, 2, 1024 * 1024),
    ];
    let report = audit_evidence(&setup(&dir, &["ncsc-2017", "bod-17-01"]), &evidence, 2).unwrap();
    let bytes = report.to_canonical_json();
    let commitment = ringfence_audit::commitment::commitment_of(&bytes).unwrap();

    assert_eq!(commitment.report_sha256, report.sha256());
    let count = |decision| {
        report
            .findings
            .iter()
            .filter(|f| f.decision == decision)
            .count() as u64
    };
    assert_eq!(commitment.findings.deny, count(Decision::Deny));
    assert_eq!(commitment.findings.unknown, count(Decision::Unknown));
    assert!(commitment.findings.deny > 0);
    assert_eq!(
        commitment.inputs.get("evidence/000001"),
        Some(&report.inputs.evidence[1].sha256)
    );
    assert_eq!(
        commitment.inputs.get("estate"),
        Some(&report.inputs.estate.sha256)
    );
    assert_eq!(
        commitment.inputs.get("policies"),
        Some(&report.inputs.policies.sha256)
    );
    assert!(commitment.inputs.contains_key("catalog"));
    assert!(
        commitment
            .policy_ids
            .contains(&"ncsc-2017-egress-controlled-ru".to_string())
    );
    let range = report.time_range.as_ref().unwrap();
    assert_eq!(
        commitment.time_range.as_ref().unwrap().first,
        range.first_seen.to_string()
    );
    // The entry is small and canonical, far below the 64 KiB limit.
    let entry = commitment.to_entry().unwrap();
    assert!(entry.len() < 4096, "{} bytes", entry.len());

    // Any change to the bytes, even one that keeps them valid JSON, is refused or changes the digest.
    let pretty =
        serde_json::to_vec_pretty(&serde_json::from_slice::<serde_json::Value>(&bytes).unwrap())
            .unwrap();
    assert!(ringfence_audit::commitment::commitment_of(&pretty).is_err());
    assert!(ringfence_audit::commitment::commitment_of(b"{\"format\":\"other\"}").is_err());
}
