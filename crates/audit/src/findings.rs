//! Folding judged connections into findings: one aggregate per (system × product × destination
//! operator × verdict), never one entry per connection, so memory depends on the estate and the
//! catalog, not on the size of the evidence.
//!
//! Every part merges order-independently (sums, minima, maxima, sets of the smallest members), so
//! per-file partial aggregates built on any number of threads merge to the same result.

use crate::installs::InstallAggregate;
use crate::report::{TimeRange, Traffic};
use crate::smallest::Smallest;
use ringfence_model::{
    Attribution, AttributionBasis, Basis, Connection, Decision, Destination, EvidenceRef,
    SourceAnswer, Timestamp, Verdict,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Examples kept per finding (names, hosts, destinations, evidence records, attribution bases).
pub const EXAMPLES: usize = 5;
/// A learned name is evidence an attacker chooses; the report keeps at most this many bytes of it.
pub const MAX_NAME_BYTES: usize = 256;
/// Groups of disagreeing answers kept.
pub const MAX_DISAGREEMENTS: usize = 1000;
/// Hosts not in the estate listed by address.
pub const MAX_HOSTS_NOT_IN_ESTATE: usize = 1000;

/// Where the local host of a connection belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SystemKey {
    /// Position in the estate's list of systems.
    InEstate(usize),
    NotInEstate,
}

/// What a finding aggregates over. The order is the report's order: deny, unknown, allow; then
/// the system in estate order (hosts not in the estate last), product, operator, verdict details.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FindingKey {
    pub rank: u8,
    pub system: SystemKey,
    pub product: Option<String>,
    pub operator: Option<String>,
    pub decision: Decision,
    pub policies: Vec<String>,
    pub reasons: Vec<String>,
}

/// The report's order of decisions: deny, unknown, allow.
pub fn rank(decision: Decision) -> u8 {
    match decision {
        Decision::Deny => 0,
        Decision::Unknown => 1,
        Decision::Allow => 2,
    }
}

#[derive(Clone, Debug)]
pub struct FindingAggregate {
    pub traffic: Traffic,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub countries: BTreeMap<Basis, BTreeSet<String>>,
    pub attributions: Smallest<AttributionBasis>,
    pub names: Smallest<String>,
    pub hosts: Smallest<IpAddr>,
    pub destinations: Smallest<IpAddr>,
    pub evidence: Smallest<EvidenceRef>,
}

impl FindingAggregate {
    fn new(first_seen: Timestamp, last_seen: Timestamp) -> Self {
        FindingAggregate {
            traffic: Traffic::default(),
            first_seen,
            last_seen,
            countries: BTreeMap::new(),
            attributions: Smallest::new(EXAMPLES),
            names: Smallest::new(EXAMPLES),
            hosts: Smallest::new(EXAMPLES),
            destinations: Smallest::new(EXAMPLES),
            evidence: Smallest::new(EXAMPLES),
        }
    }

    fn merge(&mut self, other: FindingAggregate) {
        self.traffic = add(self.traffic, other.traffic);
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        for (basis, countries) in other.countries {
            self.countries.entry(basis).or_default().extend(countries);
        }
        self.attributions.merge(other.attributions);
        self.names.merge(other.names);
        self.hosts.merge(other.hosts);
        self.destinations.merge(other.destinations);
        self.evidence.merge(other.evidence);
    }
}

#[derive(Clone, Debug)]
pub struct DisagreementAggregate {
    pub example_address: IpAddr,
    pub traffic: Traffic,
}

/// One connection, oriented from the estate's side.
pub struct Oriented<'a> {
    pub connection: &'a Connection,
    pub local: IpAddr,
    pub system: SystemKey,
    pub bytes_out: u64,
    pub bytes_in: u64,
}

/// What the pipeline concluded about a connection.
pub enum Outcome<'a> {
    /// Between two estate hosts and attributed to nothing: counted, not judged.
    Internal,
    Judged {
        destination: &'a Destination,
        attribution: Option<&'a Attribution>,
        operator: Option<&'a str>,
        verdict: &'a Verdict,
    },
}

/// The aggregate of any part of the evidence.
#[derive(Clone, Debug)]
pub struct Aggregate {
    pub findings: BTreeMap<FindingKey, FindingAggregate>,
    pub countries: BTreeMap<(Basis, String), Traffic>,
    pub disagreements: BTreeMap<Vec<SourceAnswer>, DisagreementAggregate>,
    pub disagreements_truncated: bool,
    pub disagreement_traffic: Traffic,
    pub traffic: Traffic,
    pub internal: Traffic,
    pub not_in_estate: Traffic,
    pub hosts_not_in_estate: Smallest<IpAddr>,
    pub time_range: Option<TimeRange>,
    /// Per system, the first connections seen from its hosts: the evidence that observed the
    /// system at all (what a resolved finding cites).
    pub systems_seen: BTreeMap<SystemKey, Smallest<EvidenceRef>>,
    pub installs: InstallAggregate,
}

impl Default for Aggregate {
    fn default() -> Self {
        Aggregate {
            findings: BTreeMap::new(),
            countries: BTreeMap::new(),
            disagreements: BTreeMap::new(),
            disagreements_truncated: false,
            disagreement_traffic: Traffic::default(),
            traffic: Traffic::default(),
            internal: Traffic::default(),
            not_in_estate: Traffic::default(),
            hosts_not_in_estate: Smallest::new(MAX_HOSTS_NOT_IN_ESTATE),
            time_range: None,
            systems_seen: BTreeMap::new(),
            installs: InstallAggregate::default(),
        }
    }
}

fn add(a: Traffic, b: Traffic) -> Traffic {
    Traffic {
        connections: a.connections.saturating_add(b.connections),
        bytes_out: a.bytes_out.saturating_add(b.bytes_out),
        bytes_in: a.bytes_in.saturating_add(b.bytes_in),
    }
}

fn one(oriented: &Oriented<'_>) -> Traffic {
    Traffic {
        connections: 1,
        bytes_out: oriented.bytes_out,
        bytes_in: oriented.bytes_in,
    }
}

fn widen(range: Option<TimeRange>, other: TimeRange) -> TimeRange {
    match range {
        Some(r) => TimeRange {
            first_seen: r.first_seen.min(other.first_seen),
            last_seen: r.last_seen.max(other.last_seen),
        },
        None => other,
    }
}

/// Cuts a hostile name to [`MAX_NAME_BYTES`] on a character boundary, marking the cut.
pub fn bounded_name(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_owned();
    }
    let mut end = MAX_NAME_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", name.get(..end).unwrap_or(""))
}

impl Aggregate {
    pub fn add(&mut self, oriented: &Oriented<'_>, outcome: &Outcome<'_>) {
        let connection = oriented.connection;
        let traffic = one(oriented);
        self.traffic = add(self.traffic, traffic);
        self.time_range = Some(widen(
            self.time_range,
            TimeRange {
                first_seen: connection.first_seen,
                last_seen: connection.last_seen,
            },
        ));
        self.systems_seen
            .entry(oriented.system)
            .or_insert_with(|| Smallest::new(EXAMPLES))
            .offer(connection.evidence);
        if oriented.system == SystemKey::NotInEstate {
            self.not_in_estate = add(self.not_in_estate, traffic);
            self.hosts_not_in_estate.offer(oriented.local);
        }
        let Outcome::Judged {
            destination,
            attribution,
            operator,
            verdict,
        } = outcome
        else {
            self.internal = add(self.internal, traffic);
            return;
        };

        let key = FindingKey {
            rank: rank(verdict.decision),
            system: oriented.system,
            product: attribution.map(|a| a.product.clone()),
            operator: operator.map(str::to_owned),
            decision: verdict.decision,
            policies: verdict.policies.clone(),
            reasons: verdict.reasons.clone(),
        };
        let finding = self
            .findings
            .entry(key)
            .or_insert_with(|| FindingAggregate::new(connection.first_seen, connection.last_seen));
        finding.traffic = add(finding.traffic, traffic);
        finding.first_seen = finding.first_seen.min(connection.first_seen);
        finding.last_seen = finding.last_seen.max(connection.last_seen);
        for (country, basis) in destination.countries() {
            let set = finding.countries.entry(basis).or_default();
            if !set.contains(country) {
                set.insert(country.to_owned());
            }
            match self.countries.get_mut(&(basis, country.to_owned())) {
                Some(total) => *total = add(*total, traffic),
                None => {
                    self.countries.insert((basis, country.to_owned()), traffic);
                }
            }
        }
        if let Some(attribution) = attribution {
            finding
                .attributions
                .offer_with(&attribution.basis, || attribution.basis.clone());
        }
        for name in &connection.names {
            let bounded = bounded_name(&name.name);
            finding.names.offer(bounded);
        }
        finding.hosts.offer(oriented.local);
        finding.destinations.offer(destination.address);
        finding.evidence.offer(connection.evidence);

        if destination.sources_disagree() {
            self.add_disagreement(destination, traffic);
        }
    }

    fn add_disagreement(&mut self, destination: &Destination, traffic: Traffic) {
        self.disagreement_traffic = add(self.disagreement_traffic, traffic);
        // The prefix differs per address within one allocation; the answers are what disagree.
        let answers: Vec<SourceAnswer> = destination
            .answers
            .iter()
            .map(|a| SourceAnswer {
                network: None,
                ..a.clone()
            })
            .collect();
        self.offer_disagreement(
            answers,
            DisagreementAggregate {
                example_address: destination.address,
                traffic,
            },
        );
    }

    /// Keeps the [`MAX_DISAGREEMENTS`] smallest groups: a group once pushed out can never be among
    /// the smallest again, so the kept groups' totals are exact whatever the order.
    fn offer_disagreement(&mut self, answers: Vec<SourceAnswer>, value: DisagreementAggregate) {
        if let Some(existing) = self.disagreements.get_mut(&answers) {
            existing.traffic = add(existing.traffic, value.traffic);
            existing.example_address = existing.example_address.min(value.example_address);
            return;
        }
        if self.disagreements.len() >= MAX_DISAGREEMENTS {
            self.disagreements_truncated = true;
            let larger_than_last = self
                .disagreements
                .last_key_value()
                .is_none_or(|(last, _)| answers > *last);
            if larger_than_last {
                return;
            }
            self.disagreements.pop_last();
        }
        self.disagreements.insert(answers, value);
    }

    /// Folds `other` (a later part of the evidence, or any other part) into this one.
    pub fn merge(&mut self, other: Aggregate) {
        for (key, finding) in other.findings {
            match self.findings.get_mut(&key) {
                Some(existing) => existing.merge(finding),
                None => {
                    self.findings.insert(key, finding);
                }
            }
        }
        for (key, traffic) in other.countries {
            let total = self.countries.entry(key).or_default();
            *total = add(*total, traffic);
        }
        self.disagreements_truncated |= other.disagreements_truncated;
        self.disagreement_traffic = add(self.disagreement_traffic, other.disagreement_traffic);
        for (answers, value) in other.disagreements {
            self.offer_disagreement(answers, value);
        }
        self.traffic = add(self.traffic, other.traffic);
        self.internal = add(self.internal, other.internal);
        self.not_in_estate = add(self.not_in_estate, other.not_in_estate);
        self.hosts_not_in_estate.merge(other.hosts_not_in_estate);
        if let Some(range) = other.time_range {
            self.time_range = Some(widen(self.time_range, range));
        }
        for (system, evidence) in other.systems_seen {
            match self.systems_seen.get_mut(&system) {
                Some(existing) => existing.merge(evidence),
                None => {
                    self.systems_seen.insert(system, evidence);
                }
            }
        }
        self.installs.merge(other.installs);
    }
}
