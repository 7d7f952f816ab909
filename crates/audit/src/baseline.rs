//! Remediation across audits (`ringfence audit --baseline PREVIOUS-REPORT`): every finding is
//! marked new or persisting, and every baseline finding no longer seen is listed as resolved,
//! with the later evidence that shows it gone, or as unverified when this audit's evidence does
//! not cover where it was (an honest unknown: not seen is not the same as gone).
//!
//! A connection finding is matched by system × product × destination operator, an installation
//! finding by system × product; the decision is not part of the match, so a finding whose verdict
//! changed with the policy still persists.

use crate::error::AuditError;
use crate::findings::{EXAMPLES, rank};
use crate::report::{EvidenceExample, FileDigest, Report};
use crate::report_installs::{BaselineComparison, BaselineStatus, FindingKind, GoneFinding};
use ringfence_model::{Decision, HostIdentity};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A baseline report larger than this is refused rather than read into memory.
pub const MAX_BASELINE_BYTES: u64 = 256 << 20;

/// Report formats a baseline may have (format 1 had no installations).
const BASELINE_FORMATS: [&str; 2] = ["ringfence-report/1", "ringfence-report/2"];

/// The parts of an earlier report the comparison needs.
#[derive(Clone, Debug, Deserialize)]
struct PreviousReport {
    format: String,
    findings: Vec<PreviousFinding>,
    #[serde(default)]
    installations: PreviousInstallations,
}

#[derive(Clone, Debug, Deserialize)]
struct PreviousFinding {
    system: Option<String>,
    product: Option<String>,
    operator: Option<String>,
    decision: Decision,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct PreviousInstallations {
    findings: Vec<PreviousInstall>,
}

#[derive(Clone, Debug, Deserialize)]
struct PreviousInstall {
    system: Option<String>,
    product: String,
    decision: Decision,
    host_count: u64,
    hosts: Vec<HostIdentity>,
}

/// An earlier report, read and checked.
#[derive(Clone, Debug)]
pub struct Baseline {
    file: FileDigest,
    previous: PreviousReport,
}

type EgressKey = (Option<String>, Option<String>, Option<String>);
type InstallKey = (Option<String>, String);

impl Baseline {
    /// Reads the report at `path` (canonical JSON as `ringfence audit --json` writes it).
    pub fn read(path: &Path) -> Result<Baseline, AuditError> {
        let problem = |message: String| AuditError::Baseline {
            path: path.to_owned(),
            message,
        };
        let size = std::fs::metadata(path)
            .map_err(|e| problem(e.to_string()))?
            .len();
        if size > MAX_BASELINE_BYTES {
            return Err(problem(format!(
                "{size} bytes is larger than the {MAX_BASELINE_BYTES}-byte limit for a report"
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| problem(e.to_string()))?;
        Baseline::from_bytes(&path.to_string_lossy(), &bytes).map_err(problem)
    }

    /// Parses a report's bytes; `label` is how the report names the file.
    pub fn from_bytes(label: &str, bytes: &[u8]) -> Result<Baseline, String> {
        let previous: PreviousReport = serde_json::from_slice(bytes)
            .map_err(|e| format!("not a ringfence JSON report: {e}"))?;
        if !BASELINE_FORMATS.contains(&previous.format.as_str()) {
            return Err(format!(
                "report format `{}` is not one this version compares with ({})",
                previous.format,
                BASELINE_FORMATS.join(", ")
            ));
        }
        Ok(Baseline {
            file: FileDigest {
                path: label.to_owned(),
                sha256: hex::encode(Sha256::digest(bytes)),
            },
            previous,
        })
    }

    /// Marks `report`'s findings against the baseline and lists the baseline findings gone.
    pub fn compare(&self, report: &mut Report) {
        let mut new = 0u64;
        let mut persisting = 0u64;
        let mut tally = |status: BaselineStatus| {
            match status {
                BaselineStatus::New => new += 1,
                _ => persisting += 1,
            }
            Some(status)
        };

        let previous_egress = self.previous_egress();
        let mut current_egress: BTreeSet<EgressKey> = BTreeSet::new();
        for finding in &mut report.findings {
            let key = (
                finding.system.clone(),
                finding.product.clone(),
                finding.operator.clone(),
            );
            finding.baseline = tally(status_of(previous_egress.contains_key(&key)));
            current_egress.insert(key);
        }
        let previous_installs = self.previous_installs();
        let mut current_installs: BTreeSet<InstallKey> = BTreeSet::new();
        for finding in &mut report.installations.findings {
            let key = (finding.system.clone(), finding.product.clone());
            finding.baseline = tally(status_of(previous_installs.contains_key(&key)));
            current_installs.insert(key);
        }

        let mut gone = Vec::new();
        for ((system, product, operator), decision) in previous_egress {
            if current_egress.contains(&(system.clone(), product.clone(), operator.clone())) {
                continue;
            }
            let evidence = report
                .coverage
                .iter()
                .find(|c| c.system == system)
                .map(|c| c.connection_evidence.clone())
                .unwrap_or_default();
            gone.push(GoneFinding {
                kind: FindingKind::Egress,
                system,
                product,
                operator,
                baseline_decision: decision,
                status: resolved_if(!evidence.is_empty()),
                evidence,
                hosts_not_inventoried: Vec::new(),
            });
        }
        for ((system, product), install) in previous_installs {
            if current_installs.contains(&(system.clone(), product.clone())) {
                continue;
            }
            gone.push(gone_install(report, system, product, install));
        }

        report.baseline = Some(BaselineComparison {
            report: self.file.clone(),
            new,
            persisting,
            gone,
        });
    }

    /// Baseline connection findings by key, each with its most severe decision.
    fn previous_egress(&self) -> BTreeMap<EgressKey, Decision> {
        let mut keys: BTreeMap<EgressKey, Decision> = BTreeMap::new();
        for f in &self.previous.findings {
            let key = (f.system.clone(), f.product.clone(), f.operator.clone());
            let decision = keys.entry(key).or_insert(f.decision);
            *decision = most_severe(*decision, f.decision);
        }
        keys
    }

    fn previous_installs(&self) -> BTreeMap<InstallKey, &PreviousInstall> {
        self.previous
            .installations
            .findings
            .iter()
            .map(|f| ((f.system.clone(), f.product.clone()), f))
            .collect()
    }
}

fn status_of(in_baseline: bool) -> BaselineStatus {
    if in_baseline {
        BaselineStatus::Persisting
    } else {
        BaselineStatus::New
    }
}

fn resolved_if(covered: bool) -> BaselineStatus {
    if covered {
        BaselineStatus::Resolved
    } else {
        BaselineStatus::Unverified
    }
}

fn most_severe(a: Decision, b: Decision) -> Decision {
    if rank(b) < rank(a) { b } else { a }
}

/// An installation finding no longer seen: resolved when every host the baseline listed was
/// inventoried again (or shown removed) and the baseline listed all of its hosts.
fn gone_install(
    report: &Report,
    system: Option<String>,
    product: String,
    install: &PreviousInstall,
) -> GoneFinding {
    let removal = report
        .installations
        .removed
        .iter()
        .find(|r| r.system == system && r.product == product);
    let mut evidence: BTreeSet<(u32, u64, u64, String)> = BTreeSet::new();
    let mut offer = |e: &EvidenceExample| {
        evidence.insert((e.evidence, e.record, e.offset, e.sha256.clone()));
    };
    let mut hosts_not_inventoried = Vec::new();
    for host in &install.hosts {
        let removed_here = removal.is_some_and(|r| r.hosts.contains(host));
        let inventoried = report
            .installations
            .inventoried_hosts
            .binary_search_by(|h| h.host.cmp(host))
            .ok()
            .and_then(|i| report.installations.inventoried_hosts.get(i));
        match (removed_here, inventoried) {
            (true, _) => removal
                .iter()
                .flat_map(|r| &r.evidence)
                .for_each(&mut offer),
            (false, Some(h)) => offer(&h.evidence),
            (false, None) => hosts_not_inventoried.push(host.clone()),
        }
    }
    let all_hosts_listed = install.host_count == install.hosts.len() as u64;
    let covered = hosts_not_inventoried.is_empty() && all_hosts_listed && !evidence.is_empty();
    GoneFinding {
        kind: FindingKind::Install,
        system,
        product: Some(product),
        operator: None,
        baseline_decision: install.decision,
        status: resolved_if(covered),
        evidence: evidence
            .into_iter()
            .take(EXAMPLES)
            .map(|(evidence, record, offset, sha256)| EvidenceExample {
                sha256,
                evidence,
                record,
                offset,
            })
            .collect(),
        hosts_not_inventoried,
    }
}
