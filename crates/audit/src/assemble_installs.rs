//! Turning the per-host product states into installation findings (judged per system × product),
//! removals, the list of inventoried hosts, and the per-system coverage.

use crate::findings::{Aggregate, EXAMPLES, SystemKey, rank};
use crate::installs::{HostProductState, InstallAggregate};
use crate::report::EvidenceExample;
use crate::report_installs::{
    InstallFinding, InstallRemoval, Installations, InventoriedHost, MAX_LISTED_HOSTS,
    SystemCoverage,
};
use crate::smallest::Smallest;
use ringfence_model::{
    Decision, Estate, EvidenceRef, HostIdentity, InstallSource, Timestamp, Verdict,
};
use std::collections::{BTreeMap, BTreeSet};

/// Judges the installation of a product (by catalog id) on a system (None: not in the estate).
pub type JudgeInstall<'a> = dyn FnMut(Option<usize>, &str) -> Option<Verdict> + 'a;

/// Resolves evidence positions to the digests the report names them by.
pub type EvidenceDigest<'a> = dyn Fn(EvidenceRef) -> EvidenceExample + 'a;

/// Hosts of one system × product, folded.
struct Group {
    hosts: BTreeSet<HostIdentity>,
    sources: BTreeSet<InstallSource>,
    names: Smallest<String>,
    evidence: Smallest<EvidenceRef>,
    last_seen: Option<Timestamp>,
}

impl Group {
    fn new() -> Self {
        Group {
            hosts: BTreeSet::new(),
            sources: BTreeSet::new(),
            names: Smallest::new(EXAMPLES),
            evidence: Smallest::new(EXAMPLES),
            last_seen: None,
        }
    }
}

fn system_id(estate: &Estate, system: SystemKey) -> Option<String> {
    match system {
        SystemKey::InEstate(index) => estate.systems.get(index).map(|s| s.id.clone()),
        SystemKey::NotInEstate => None,
    }
}

fn system_index(system: SystemKey) -> Option<usize> {
    match system {
        SystemKey::InEstate(index) => Some(index),
        SystemKey::NotInEstate => None,
    }
}

fn listed(hosts: &BTreeSet<HostIdentity>) -> Vec<HostIdentity> {
    hosts.iter().take(MAX_LISTED_HOSTS).cloned().collect()
}

/// The products installed, judged; the products removed. Installation findings are returned with
/// the product ids they name, so the caller can add the catalog records to the report.
pub fn installations(
    installs: InstallAggregate,
    estate: &Estate,
    judge: &mut JudgeInstall<'_>,
    digest: &EvidenceDigest<'_>,
) -> Installations {
    let mut present: BTreeMap<(SystemKey, String), Group> = BTreeMap::new();
    let mut removed: BTreeMap<
        (SystemKey, String),
        (BTreeSet<HostIdentity>, Smallest<EvidenceRef>),
    > = BTreeMap::new();
    for (key, state) in installs.host_products {
        let installed = state.installed();
        let HostProductState {
            present: sighting,
            removed: removal,
            ..
        } = state;
        if installed {
            let group = present
                .entry((key.system, key.product))
                .or_insert_with(Group::new);
            group.hosts.insert(key.host);
            group.sources.extend(state.sources);
            group.names.merge(state.names);
            group.evidence.merge(state.evidence);
            let time = sighting.and_then(|s| s.time);
            group.last_seen = group.last_seen.max(time);
        } else if let Some(removal) = removal {
            let (hosts, evidence) = removed
                .entry((key.system, key.product))
                .or_insert_with(|| (BTreeSet::new(), Smallest::new(EXAMPLES)));
            hosts.insert(key.host);
            evidence.offer(removal.evidence);
        }
    }

    let mut findings = Vec::with_capacity(present.len());
    for ((system, product), group) in present {
        let verdict = judge(system_index(system), &product).unwrap_or_else(|| Verdict {
            decision: Decision::Unknown,
            policies: Vec::new(),
            reasons: vec![format!("product `{product}` is not in the catalog")],
        });
        findings.push(InstallFinding {
            system: system_id(estate, system),
            product,
            decision: verdict.decision,
            policies: verdict.policies,
            reasons: verdict.reasons,
            host_count: group.hosts.len() as u64,
            hosts: listed(&group.hosts),
            sources: group.sources.into_iter().collect(),
            example_names: group.names.into_vec(),
            last_seen: group.last_seen,
            evidence: group.evidence.into_vec().into_iter().map(digest).collect(),
            baseline: None,
        });
    }
    // Deny, unknown, allow; then system in estate order (not in estate last); then product. The
    // map above was already in system, product order, and the sort is stable.
    findings.sort_by_key(|f| rank(f.decision));

    Installations {
        findings,
        removed: removed
            .into_iter()
            .map(|((system, product), (hosts, evidence))| InstallRemoval {
                system: system_id(estate, system),
                product,
                host_count: hosts.len() as u64,
                hosts: listed(&hosts),
                evidence: evidence.into_vec().into_iter().map(digest).collect(),
            })
            .collect(),
        inventoried_hosts: installs
            .inventoried
            .into_iter()
            .map(|(host, (system, evidence))| InventoriedHost {
                host,
                system: system_id(estate, system),
                evidence: digest(evidence),
            })
            .collect(),
        inventoried_hosts_truncated: installs.inventoried_truncated,
        records: installs.records,
        attributed: installs.attributed,
        dropped: installs.host_products_dropped,
    }
}

/// Per system (estate order, not in estate last): the first connections from its hosts and how
/// many of its hosts were inventoried. Systems the evidence did not observe at all are listed
/// too, with nothing, so a reader sees the gap.
pub fn coverage(
    aggregate: &mut Aggregate,
    installations: &Installations,
    estate: &Estate,
    digest: &EvidenceDigest<'_>,
) -> Vec<SystemCoverage> {
    let mut inventoried: BTreeMap<Option<&str>, u64> = BTreeMap::new();
    for host in &installations.inventoried_hosts {
        *inventoried.entry(host.system.as_deref()).or_default() += 1;
    }
    let keys = (0..estate.systems.len())
        .map(SystemKey::InEstate)
        .chain(std::iter::once(SystemKey::NotInEstate));
    let mut coverage = Vec::with_capacity(estate.systems.len() + 1);
    for key in keys {
        let system = system_id(estate, key);
        let connection_evidence: Vec<EvidenceExample> = aggregate
            .systems_seen
            .remove(&key)
            .map(|seen| seen.into_vec().into_iter().map(digest).collect())
            .unwrap_or_default();
        let inventoried_hosts = inventoried.get(&system.as_deref()).copied().unwrap_or(0);
        if key == SystemKey::NotInEstate && connection_evidence.is_empty() && inventoried_hosts == 0
        {
            continue;
        }
        coverage.push(SystemCoverage {
            system,
            connection_evidence,
            inventoried_hosts,
        });
    }
    coverage
}
