//! The entries ringfence commits to its log: canonical-JSON commitments to audit reports
//! (never raw evidence). Entries must stay far below the 64 KiB entry limit.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Largest entry the tile format can hold (uint16 length prefix).
pub const MAX_ENTRY_BYTES: usize = 65_535;
/// Largest commitment we create or accept as a file (well below the format limit).
pub const MAX_COMMITMENT_BYTES: usize = 16 * 1024;

/// Counts of the findings a report lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FindingCounts {
    pub deny: u64,
    pub unknown: u64,
}

/// The time the evidence of a report covers (RFC 3339 strings from the evidence, never the
/// wall clock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    pub first: String,
    pub last: String,
}

/// What a report commits to, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportCommitment {
    /// Always `ringfence.report.v1`, so later entry kinds (proxy decision batches) are distinct.
    pub kind: String,
    /// SHA-256 (lower-case hex) of the report's canonical JSON.
    pub report_sha256: String,
    /// Input name -> SHA-256 (lower-case hex) of each input (evidence, estate, catalog, intel,
    /// policy), sorted by name.
    pub inputs: BTreeMap<String, String>,
    pub findings: FindingCounts,
    pub time_range: Option<TimeRange>,
    /// Ids of the policies that decided, sorted and unique.
    pub policy_ids: Vec<String>,
    pub ringfence_version: String,
}

/// The `kind` of a report commitment.
pub const REPORT_KIND: &str = "ringfence.report.v1";

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl ReportCommitment {
    /// Checks the invariants a logged commitment must hold.
    pub fn validate(&self) -> Result<(), String> {
        if self.kind != REPORT_KIND {
            return Err(format!(
                "commitment kind is {:?}, expected {REPORT_KIND:?}",
                self.kind
            ));
        }
        if !is_sha256_hex(&self.report_sha256) {
            return Err("report_sha256 is not 64 lower-case hex digits".into());
        }
        if let Some((name, _)) = self.inputs.iter().find(|(_, d)| !is_sha256_hex(d)) {
            return Err(format!(
                "input {name:?} digest is not 64 lower-case hex digits"
            ));
        }
        if self.policy_ids.windows(2).any(|w| w[0] >= w[1]) {
            return Err("policy_ids are not sorted and unique".into());
        }
        Ok(())
    }

    /// The entry bytes: RFC 8785 canonical JSON.
    pub fn to_entry(&self) -> Result<Vec<u8>, String> {
        self.validate()?;
        let bytes = ringfence_model::canonical_json::to_canonical_json(self);
        if bytes.len() > MAX_COMMITMENT_BYTES {
            return Err(format!(
                "commitment is {} bytes, more than {MAX_COMMITMENT_BYTES}",
                bytes.len()
            ));
        }
        Ok(bytes)
    }

    /// Parses entry bytes, requiring them to be exactly the canonical form.
    pub fn from_entry(bytes: &[u8]) -> Result<ReportCommitment, String> {
        if bytes.len() > MAX_COMMITMENT_BYTES {
            return Err("commitment too large".into());
        }
        let c: ReportCommitment =
            serde_json::from_slice(bytes).map_err(|e| format!("commitment JSON: {e}"))?;
        if c.to_entry()? != bytes {
            return Err("commitment is not in canonical JSON form".into());
        }
        Ok(c)
    }
}

/// Checks that arbitrary bytes are a JSON document in RFC 8785 canonical form (what
/// `ringfence log append` accepts before the audit exists).
pub fn check_canonical_json(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() > MAX_COMMITMENT_BYTES {
        return Err(format!("entry is larger than {MAX_COMMITMENT_BYTES} bytes"));
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    if ringfence_model::canonical_json::to_canonical_json(&value) != bytes {
        return Err("JSON is not in RFC 8785 canonical form".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> ReportCommitment {
        ReportCommitment {
            kind: REPORT_KIND.into(),
            report_sha256: "ab".repeat(32),
            inputs: [
                ("evidence/a.pcap".to_string(), "01".repeat(32)),
                ("catalog".to_string(), "02".repeat(32)),
            ]
            .into_iter()
            .collect(),
            findings: FindingCounts {
                deny: 2,
                unknown: 5,
            },
            time_range: Some(TimeRange {
                first: "2017-12-01T00:00:00Z".into(),
                last: "2017-12-02T00:00:00Z".into(),
            }),
            policy_ids: vec!["ncsc-2017".into(), "no-russia".into()],
            ringfence_version: "0.1.0".into(),
        }
    }

    #[test]
    fn commitments_are_canonical_and_round_trip() {
        let c = sample();
        let bytes = c.to_entry().unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.starts_with(r#"{"findings":{"deny":2,"unknown":5},"inputs":{"catalog":"#));
        assert_eq!(ReportCommitment::from_entry(&bytes).unwrap(), c);
        check_canonical_json(&bytes).unwrap();
        let spaced = text.replacen(':', ": ", 1);
        assert!(ReportCommitment::from_entry(spaced.as_bytes()).is_err());
        assert!(check_canonical_json(spaced.as_bytes()).is_err());
    }

    #[test]
    fn invalid_commitments_are_refused() {
        let mut c = sample();
        c.report_sha256 = "AB".repeat(32);
        assert!(c.to_entry().is_err());
        let mut c = sample();
        c.policy_ids = vec!["b".into(), "a".into()];
        assert!(c.to_entry().is_err());
    }
}
