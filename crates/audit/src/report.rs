//! The result of one audit, as canonical JSON (RFC 8785): the same inputs give byte-identical
//! bytes whatever the thread count or machine. Nothing in it comes from the wall clock, a hash
//! map's order or thread timing; every list has a defined order (documented on its field).

use crate::report_installs::{BaselineComparison, BaselineStatus, Installations, SystemCoverage};
use ringfence_model::{
    AttributionBasis, Basis, Decision, EvidenceKind, IntelSource, Organisation, Product,
    ReadProblem, SourceAnswer, System, Timestamp,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// Names the shape of this document; bumped when a field changes meaning.
pub const REPORT_FORMAT: &str = "ringfence-report/2";

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub format: String,
    pub ringfence_version: String,
    pub inputs: Inputs,
    /// From the evidence (earliest first_seen, latest last_seen); absent when it held no connection.
    pub time_range: Option<TimeRange>,
    /// The estate's systems, in the estate file's order.
    pub systems: Vec<System>,
    /// The catalog records of every product in a finding, with their sources; sorted by id.
    pub products: Vec<Product>,
    /// The catalog records of every vendor and destination operator in a finding and of their
    /// owners up the chain, with their sources; sorted by id.
    pub organisations: Vec<Organisation>,
    /// Sorted: deny, unknown, allow; then system (not in estate last), product, operator, policies.
    pub findings: Vec<Finding>,
    /// Software found on hosts: where each catalog product is installed, judged per system.
    pub installations: Installations,
    /// What the evidence observed of each system (estate order; hosts not in the estate last).
    pub coverage: Vec<SystemCoverage>,
    /// The comparison with the report given as `--baseline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
    /// Bytes per destination country, per basis (a connection counts for every country any source
    /// of that basis names); sorted by basis, then country.
    pub countries: Vec<CountryTraffic>,
    pub disagreements: Disagreements,
    pub totals: Totals,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inputs {
    /// In the order given.
    pub evidence: Vec<EvidenceInput>,
    pub estate: FileDigest,
    pub catalog: CatalogInput,
    /// In the order the IP data was loaded (the order every destination lists its answers).
    pub intel: Vec<IntelSource>,
    pub policies: PolicyInput,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvidenceInput {
    /// As given on the command line (`-` for standard input).
    pub path: String,
    pub kind: Option<EvidenceKind>,
    pub sha256: String,
    pub bytes: u64,
    /// Frames of a capture; flow or log records of other evidence.
    pub frames: u64,
    pub connections: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileDigest {
    pub path: String,
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CatalogInput {
    pub sha256: String,
    pub organisations: u64,
    pub products: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyInput {
    /// Pack names or policy files, as given.
    pub packs: Vec<String>,
    /// Sorted.
    pub ids: Vec<String>,
    pub sha256: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TimeRange {
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

/// Traffic of one (system × product × destination operator) with one verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The estate system of the local host; absent: the host is not in the estate.
    pub system: Option<String>,
    /// The catalog product; absent: unattributed.
    pub product: Option<String>,
    /// The catalog organisation operating the destination; absent: not established.
    pub operator: Option<String>,
    pub decision: Decision,
    /// The deciding policies, sorted.
    pub policies: Vec<String>,
    pub reasons: Vec<String>,
    pub connections: u64,
    /// Bytes at the IP layer from the local host to the remote side.
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Countries the IP data names for the destinations, per basis (sorted by basis).
    pub countries: Vec<BasisCountries>,
    /// Up to [`crate::findings::EXAMPLES`] distinct attribution bases (smallest first).
    pub attributions: Vec<AttributionBasis>,
    /// Up to [`crate::findings::EXAMPLES`] names learned for the remote side (smallest first;
    /// each cut to [`crate::findings::MAX_NAME_BYTES`]).
    pub example_names: Vec<String>,
    /// Up to [`crate::findings::EXAMPLES`] local hosts (smallest first).
    pub example_hosts: Vec<IpAddr>,
    /// Up to [`crate::findings::EXAMPLES`] remote addresses (smallest first).
    pub example_destinations: Vec<IpAddr>,
    /// Up to [`crate::findings::EXAMPLES`] evidence records (earliest in the evidence order first).
    pub evidence: Vec<EvidenceExample>,
    /// Compared with `--baseline`: new or persisting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineStatus>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BasisCountries {
    pub basis: Basis,
    /// ISO 3166-1 alpha-2, sorted.
    pub countries: Vec<String>,
}

/// Where to find one connection of a finding: the evidence file's digest, its position in the
/// evidence list, and the record (1-based packet number) and byte offset of its first packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvidenceExample {
    pub sha256: String,
    pub evidence: u32,
    pub record: u64,
    pub offset: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CountryTraffic {
    pub basis: Basis,
    pub country: String,
    pub connections: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
}

/// Destinations whose sources name more than one country, grouped by the sources' answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disagreements {
    /// Up to [`crate::findings::MAX_DISAGREEMENTS`] groups, sorted by their answers.
    pub groups: Vec<Disagreement>,
    /// All traffic to disagreeing destinations, including groups beyond the kept ones.
    pub traffic: Traffic,
    /// True when groups were left out because of the bound.
    pub truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// Every source's answer, in source order, without the address-specific prefix.
    pub answers: Vec<SourceAnswer>,
    /// The smallest remote address with these answers.
    pub example_address: IpAddr,
    pub connections: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Traffic {
    pub connections: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
}

/// Traffic of the findings with one decision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DecisionTotals {
    pub findings: u64,
    pub connections: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Every connection in the evidence.
    pub traffic: Traffic,
    /// Judged connections (every connection except unattributed ones between two estate hosts).
    pub judged: Traffic,
    /// Unattributed connections between two estate hosts (DNS to the office resolver, file
    /// shares…): not egress, so not judged, only counted.
    pub internal: Traffic,
    /// Judged connections no product could be attributed to.
    pub unattributed: Traffic,
    pub deny: DecisionTotals,
    pub unknown: DecisionTotals,
    pub allow: DecisionTotals,
    pub hosts_not_in_estate: HostsNotInEstate,
    pub unreadable: Unreadable,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HostsNotInEstate {
    pub traffic: Traffic,
    /// Up to [`crate::findings::MAX_HOSTS_NOT_IN_ESTATE`] addresses, smallest first.
    pub hosts: Vec<IpAddr>,
    /// True when there were more hosts than listed.
    pub truncated: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// Problems in all files.
    pub problem_count: u64,
    /// The files with problems, in evidence order.
    pub files: Vec<UnreadableFile>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnreadableFile {
    pub path: String,
    pub sha256: String,
    pub problem_count: u64,
    /// The first problems (at most 100), in file order.
    pub problems: Vec<ReadProblem>,
}

impl Report {
    /// RFC 8785 canonical JSON: the bytes whose digest identifies this audit.
    pub fn to_canonical_json(&self) -> Vec<u8> {
        ringfence_model::canonical_json::to_canonical_json(self)
    }

    /// Lower-case hex SHA-256 of [`Report::to_canonical_json`].
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.to_canonical_json()))
    }

    /// True when any finding (connection or installation) is denied by policy.
    pub fn has_deny(&self) -> bool {
        self.totals.deny.findings > 0
            || self
                .installations
                .findings
                .iter()
                .any(|f| f.decision == Decision::Deny)
    }

    /// True when some evidence could not be read and was skipped.
    pub fn has_skipped_input(&self) -> bool {
        self.totals.unreadable.problem_count > 0
    }

    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    pub fn organisation(&self, id: &str) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.id == id)
    }

    pub fn system(&self, id: &str) -> Option<&System> {
        self.systems.iter().find(|s| s.id == id)
    }

    /// The organisation and its owners up to the ultimate one (cycle-safe), as recorded.
    pub fn ownership_chain(&self, id: &str) -> Vec<&Organisation> {
        let mut chain: Vec<&Organisation> = Vec::new();
        let mut next = self.organisation(id);
        while let Some(org) = next {
            if chain.iter().any(|o| o.id == org.id) {
                break;
            }
            chain.push(org);
            next = org.parent.as_deref().and_then(|p| self.organisation(p));
        }
        chain
    }

    /// The basis the world map shades by: routing country when any source gives it (where the
    /// network that carries the traffic is), else the first basis that located anything.
    pub fn map_basis(&self) -> Option<Basis> {
        let has = |basis: Basis| self.countries.iter().any(|c| c.basis == basis);
        [
            Basis::RoutingCountry,
            Basis::RegistryCountry,
            Basis::GeolocatedCountry,
        ]
        .into_iter()
        .find(|b| has(*b))
    }
}
