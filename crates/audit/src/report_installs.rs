//! The report's parts about software on hosts (where each product is installed, judged with the
//! `install` action), what the evidence covered, and the comparison with an earlier report.

use crate::report::{EvidenceExample, FileDigest};
use ringfence_model::{Decision, HostIdentity, InstallSource, Timestamp};
use serde::Serialize;

/// Hosts listed per installation finding; the count is always exact.
pub const MAX_LISTED_HOSTS: usize = 1000;

/// Software found on hosts, from inventories and process starts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Installations {
    /// One per system × catalog product with at least one host where it is installed. Sorted:
    /// deny, unknown, allow; then system (not in estate last), product.
    pub findings: Vec<InstallFinding>,
    /// Products the evidence shows removed (osquery differential `removed` rows, not followed
    /// by a later sighting), per system × product, sorted by system then product.
    pub removed: Vec<InstallRemoval>,
    /// Every host the evidence inventoried (sorted by name, then address): what makes "not
    /// found" mean "not installed" rather than "not looked at".
    pub inventoried_hosts: Vec<InventoriedHost>,
    /// True when more hosts were inventoried than listed.
    pub inventoried_hosts_truncated: bool,
    /// Installation records read (every item of every inventory, every process start).
    pub records: u64,
    /// Records that matched a catalog product.
    pub attributed: u64,
    /// Records about host × product pairs beyond the bound, left out of the findings.
    pub dropped: u64,
}

/// Where one product is installed within one system, and what policy says about it there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstallFinding {
    /// The estate system of the hosts; absent: hosts not in the estate (or not named at all).
    pub system: Option<String>,
    pub product: String,
    pub decision: Decision,
    /// The deciding policies, sorted.
    pub policies: Vec<String>,
    pub reasons: Vec<String>,
    /// Hosts where the product is installed.
    pub host_count: u64,
    /// Up to [`MAX_LISTED_HOSTS`] of them, sorted by name, then address.
    pub hosts: Vec<HostIdentity>,
    /// The kinds of record that showed it, sorted.
    pub sources: Vec<InstallSource>,
    /// Up to [`crate::findings::EXAMPLES`] names (with versions) as the records gave them.
    pub example_names: Vec<String>,
    /// The latest time a record carrying a time showed it; absent when none did (dpkg status,
    /// `rpm -qa`).
    pub last_seen: Option<Timestamp>,
    /// Up to [`crate::findings::EXAMPLES`] records showing it, earliest in evidence order first.
    pub evidence: Vec<EvidenceExample>,
    /// Compared with `--baseline`: new or persisting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineStatus>,
}

/// A product the evidence itself shows removed from hosts of a system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstallRemoval {
    pub system: Option<String>,
    pub product: String,
    pub host_count: u64,
    /// Up to [`MAX_LISTED_HOSTS`], sorted.
    pub hosts: Vec<HostIdentity>,
    /// Up to [`crate::findings::EXAMPLES`] removal records, earliest in evidence order first.
    pub evidence: Vec<EvidenceExample>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InventoriedHost {
    pub host: HostIdentity,
    pub system: Option<String>,
    /// The first record about the host.
    pub evidence: EvidenceExample,
}

/// What the evidence observed of one system: its hosts' connections and inventories.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SystemCoverage {
    /// Absent: hosts not in the estate.
    pub system: Option<String>,
    /// Up to [`crate::findings::EXAMPLES`] of the first connections from its hosts.
    pub connection_evidence: Vec<EvidenceExample>,
    /// Hosts of the system the evidence inventoried (as listed in `inventoried_hosts`).
    pub inventoried_hosts: u64,
}

/// A finding's standing against the baseline report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineStatus {
    /// Not in the baseline.
    New,
    /// In the baseline and still seen.
    Persisting,
    /// In the baseline, not seen now, and this audit's evidence covers where it was.
    Resolved,
    /// In the baseline, not seen now, but this audit's evidence does not cover where it was:
    /// the evidence cannot tell whether it is gone.
    Unverified,
}

/// The comparison with an earlier report (`ringfence audit --baseline`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BaselineComparison {
    /// The earlier report as given, and the SHA-256 of its bytes.
    pub report: FileDigest,
    /// Findings of this report not in the baseline (connection and installation findings).
    pub new: u64,
    pub persisting: u64,
    /// Baseline findings no longer seen, resolved or unverified; sorted by kind, system,
    /// product, operator.
    pub gone: Vec<GoneFinding>,
}

/// Which list a finding belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// A connection finding (`findings`).
    Egress,
    /// An installation finding (`installations.findings`).
    Install,
}

/// A baseline finding this audit no longer shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GoneFinding {
    pub kind: FindingKind,
    pub system: Option<String>,
    pub product: Option<String>,
    /// Egress findings: the destination operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// The decision the baseline gave it.
    pub baseline_decision: Decision,
    /// `resolved` or `unverified`.
    pub status: BaselineStatus,
    /// This audit's evidence that shows it gone: removal records and inventories of its hosts
    /// (installations), or connections from its system without it (egress).
    pub evidence: Vec<EvidenceExample>,
    /// Installations: hosts the baseline listed that this audit did not inventory.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts_not_inventoried: Vec<HostIdentity>,
}
