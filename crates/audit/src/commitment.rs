//! The ledger entry for a report: its digest, the digests of every input (the baseline report
//! among them), the counts of deny and unknown findings (connections and installations), the time range, the deciding policies and the ringfence version.
//!
//! It is derived from the report's canonical JSON bytes alone, never from the in-memory report,
//! so that `ringfence verify` rebuilds exactly the entry `ringfence audit --ledger` logged from
//! nothing but the report file a third party was handed.

use ringfence_ledger::{FindingCounts, ReportCommitment, TimeRange};
use ringfence_model::canonical_json::to_canonical_json;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// The largest report `commitment_of` reads (a report is bounded by its aggregation; this is far
/// above any real one and below what a hostile file could make us allocate).
pub const MAX_REPORT_BYTES: usize = 256 << 20;

/// The parts of a report the commitment needs; everything else is covered by the digest.
#[derive(Deserialize)]
struct ReportFields {
    format: String,
    ringfence_version: String,
    inputs: InputFields,
    time_range: Option<TimeRangeFields>,
    findings: Vec<FindingFields>,
    /// Absent from format 1 reports.
    #[serde(default)]
    installations: InstallationFields,
    baseline: Option<BaselineFields>,
}

#[derive(Default, Deserialize)]
struct InstallationFields {
    findings: Vec<FindingFields>,
}

#[derive(Deserialize)]
struct BaselineFields {
    report: Digested,
}

#[derive(Deserialize)]
struct InputFields {
    evidence: Vec<Digested>,
    estate: Digested,
    catalog: Digested,
    intel: Vec<NamedDigest>,
    policies: Digested,
}

#[derive(Deserialize)]
struct Digested {
    sha256: String,
}

#[derive(Deserialize)]
struct NamedDigest {
    name: String,
    sha256: String,
}

#[derive(Deserialize)]
struct TimeRangeFields {
    first_seen: String,
    last_seen: String,
}

#[derive(Deserialize)]
struct FindingFields {
    decision: String,
    policies: Vec<String>,
}

/// Builds the commitment of a report from its bytes, which must be the report's canonical JSON
/// exactly as `ringfence audit --json` writes it (no trailing newline).
pub fn commitment_of(report: &[u8]) -> Result<ReportCommitment, String> {
    if report.len() > MAX_REPORT_BYTES {
        return Err(format!(
            "the report is {} bytes, more than {MAX_REPORT_BYTES}",
            report.len()
        ));
    }
    let value: serde_json::Value =
        serde_json::from_slice(report).map_err(|e| format!("the report is not JSON: {e}"))?;
    if to_canonical_json(&value) != report {
        return Err(
            "the report is not in canonical JSON form (RFC 8785) as `ringfence audit --json` writes it"
                .into(),
        );
    }
    let fields: ReportFields = serde_json::from_value(value)
        .map_err(|e| format!("the report lacks a field the commitment needs: {e}"))?;
    if !fields.format.starts_with("ringfence-report/") {
        return Err(format!(
            "not a ringfence report (format {:?})",
            fields.format
        ));
    }

    let mut inputs = BTreeMap::new();
    for (i, evidence) in fields.inputs.evidence.iter().enumerate() {
        inputs.insert(format!("evidence/{i:06}"), evidence.sha256.clone());
    }
    inputs.insert("estate".into(), fields.inputs.estate.sha256);
    inputs.insert("catalog".into(), fields.inputs.catalog.sha256);
    for source in &fields.inputs.intel {
        inputs.insert(format!("intel/{}", source.name), source.sha256.clone());
    }
    inputs.insert("policies".into(), fields.inputs.policies.sha256);
    if let Some(baseline) = fields.baseline {
        inputs.insert("baseline".into(), baseline.report.sha256);
    }

    let mut findings = FindingCounts::default();
    let mut policy_ids = BTreeSet::new();
    for finding in fields.findings.iter().chain(&fields.installations.findings) {
        match finding.decision.as_str() {
            "deny" => findings.deny += 1,
            "unknown" => findings.unknown += 1,
            _ => {}
        }
        policy_ids.extend(finding.policies.iter().cloned());
    }

    let commitment = ReportCommitment {
        kind: ringfence_ledger::entry::REPORT_KIND.into(),
        report_sha256: hex::encode(Sha256::digest(report)),
        inputs,
        findings,
        time_range: fields.time_range.map(|t| TimeRange {
            first: t.first_seen,
            last: t.last_seen,
        }),
        policy_ids: policy_ids.into_iter().collect(),
        ringfence_version: fields.ringfence_version,
    };
    commitment.validate()?;
    Ok(commitment)
}
