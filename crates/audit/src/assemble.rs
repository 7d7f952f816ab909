//! Turning the merged aggregate into the report: findings in their final order, the catalog
//! records they refer to, and the totals.

use crate::assemble_installs::{JudgeInstall, coverage, installations};
use crate::findings::{Aggregate, FindingKey, SystemKey};
use crate::report::{
    BasisCountries, CountryTraffic, DecisionTotals, Disagreement, Disagreements, EvidenceExample,
    Finding, HostsNotInEstate, Inputs, REPORT_FORMAT, Report, Totals, Traffic, Unreadable,
};
use ringfence_intel::catalog::Catalog;
use ringfence_model::{Decision, Estate, EvidenceRef, Organisation, Product};
use std::collections::BTreeMap;

/// The ringfence version every report records.
pub const RINGFENCE_VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn assemble(
    mut aggregate: Aggregate,
    estate: &Estate,
    catalog: &Catalog,
    inputs: Inputs,
    unreadable: Unreadable,
    judge_install: &mut JudgeInstall<'_>,
) -> Report {
    let evidence_digest = |index: u32| {
        usize::try_from(index)
            .ok()
            .and_then(|i| inputs.evidence.get(i))
            .map(|e| e.sha256.clone())
            .unwrap_or_default()
    };
    let example = |r: EvidenceRef| EvidenceExample {
        sha256: evidence_digest(r.evidence),
        evidence: r.evidence,
        record: r.record,
        offset: r.offset,
    };
    let installations = installations(
        std::mem::take(&mut aggregate.installs),
        estate,
        judge_install,
        &example,
    );
    let coverage = coverage(&mut aggregate, &installations, estate, &example);
    let mut totals = Totals {
        traffic: aggregate.traffic,
        internal: aggregate.internal,
        hosts_not_in_estate: HostsNotInEstate {
            traffic: aggregate.not_in_estate,
            truncated: aggregate.hosts_not_in_estate.truncated,
            hosts: aggregate.hosts_not_in_estate.into_vec(),
        },
        unreadable,
        ..Totals::default()
    };

    let mut products: BTreeMap<String, Product> = BTreeMap::new();
    let mut organisations: BTreeMap<String, Organisation> = BTreeMap::new();
    let add_owners = |organisations: &mut BTreeMap<String, Organisation>, id: &str| {
        for org in catalog.ownership_chain(id) {
            organisations
                .entry(org.id.clone())
                .or_insert_with(|| org.clone());
        }
    };

    let mut findings = Vec::with_capacity(aggregate.findings.len());
    for (key, finding) in aggregate.findings {
        let FindingKey {
            system,
            product,
            operator,
            decision,
            policies,
            reasons,
            ..
        } = key;
        let system = match system {
            SystemKey::InEstate(index) => estate.systems.get(index).map(|s| s.id.clone()),
            SystemKey::NotInEstate => None,
        };
        if let Some(product) = product.as_deref().and_then(|id| catalog.product(id)) {
            add_owners(&mut organisations, &product.vendor);
            products
                .entry(product.id.clone())
                .or_insert_with(|| product.clone());
        }
        if let Some(operator) = &operator {
            add_owners(&mut organisations, operator);
        }
        let decision_totals = match decision {
            Decision::Deny => &mut totals.deny,
            Decision::Unknown => &mut totals.unknown,
            Decision::Allow => &mut totals.allow,
        };
        count(decision_totals, finding.traffic);
        totals.judged = sum(totals.judged, finding.traffic);
        if product.is_none() {
            totals.unattributed = sum(totals.unattributed, finding.traffic);
        }
        findings.push(Finding {
            system,
            product,
            operator,
            decision,
            policies,
            reasons,
            connections: finding.traffic.connections,
            bytes_out: finding.traffic.bytes_out,
            bytes_in: finding.traffic.bytes_in,
            first_seen: finding.first_seen,
            last_seen: finding.last_seen,
            countries: finding
                .countries
                .into_iter()
                .map(|(basis, countries)| BasisCountries {
                    basis,
                    countries: countries.into_iter().collect(),
                })
                .collect(),
            attributions: finding.attributions.into_vec(),
            example_names: finding.names.into_vec(),
            example_hosts: finding.hosts.into_vec(),
            example_destinations: finding.destinations.into_vec(),
            evidence: finding
                .evidence
                .into_vec()
                .into_iter()
                .map(example)
                .collect(),
            baseline: None,
        });
    }
    for finding in &installations.findings {
        if let Some(product) = catalog.product(&finding.product) {
            add_owners(&mut organisations, &product.vendor);
            products
                .entry(product.id.clone())
                .or_insert_with(|| product.clone());
        }
    }

    Report {
        format: REPORT_FORMAT.to_owned(),
        ringfence_version: RINGFENCE_VERSION.to_owned(),
        inputs,
        time_range: aggregate.time_range,
        systems: estate.systems.clone(),
        products: products.into_values().collect(),
        organisations: organisations.into_values().collect(),
        findings,
        installations,
        coverage,
        baseline: None,
        countries: aggregate
            .countries
            .into_iter()
            .map(|((basis, country), t)| CountryTraffic {
                basis,
                country,
                connections: t.connections,
                bytes_out: t.bytes_out,
                bytes_in: t.bytes_in,
            })
            .collect(),
        disagreements: Disagreements {
            groups: aggregate
                .disagreements
                .into_iter()
                .map(|(answers, d)| Disagreement {
                    answers,
                    example_address: d.example_address,
                    connections: d.traffic.connections,
                    bytes_out: d.traffic.bytes_out,
                    bytes_in: d.traffic.bytes_in,
                })
                .collect(),
            traffic: aggregate.disagreement_traffic,
            truncated: aggregate.disagreements_truncated,
        },
        totals,
    }
}

fn sum(a: Traffic, b: Traffic) -> Traffic {
    Traffic {
        connections: a.connections.saturating_add(b.connections),
        bytes_out: a.bytes_out.saturating_add(b.bytes_out),
        bytes_in: a.bytes_in.saturating_add(b.bytes_in),
    }
}

fn count(totals: &mut DecisionTotals, traffic: Traffic) {
    totals.findings = totals.findings.saturating_add(1);
    totals.connections = totals.connections.saturating_add(traffic.connections);
    totals.bytes_out = totals.bytes_out.saturating_add(traffic.bytes_out);
    totals.bytes_in = totals.bytes_in.saturating_add(traffic.bytes_in);
}
