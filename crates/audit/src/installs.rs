//! Folding installations into per-host product state: which catalog product each host was seen
//! with (and, from osquery differential logs, without), and which hosts were inventoried at all.
//!
//! A host's state for a product is the latest record about it, so the result does not depend on
//! the order files were read in: an osquery `removed` row after an `added` row leaves the product
//! gone, while an upgrade (the old version removed and the new one added at the same moment)
//! leaves it installed. Like the connection findings, every part merges order-independently and
//! every table is bounded; what a bound leaves out is counted and flagged in the report.

use crate::findings::{EXAMPLES, SystemKey, bounded_name};
use crate::smallest::Smallest;
use ringfence_model::{EvidenceRef, HostIdentity, InstallSource, Installation, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

/// Host × product states kept. Each is a catalog product on one host, so an estate of 100 000
/// hosts with one monitored product each fits.
pub const MAX_HOST_PRODUCTS: usize = 100_000;
/// Inventoried hosts listed (the smallest identities kept past the bound).
pub const MAX_INVENTORIED_HOSTS: usize = 100_000;

/// When a record saw a product: its own time when it has one (records without a time count as
/// earliest), then its place in the evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sighting {
    pub time: Option<Timestamp>,
    pub evidence: EvidenceRef,
}

/// One catalog product on one host.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HostProductKey {
    pub system: SystemKey,
    pub host: HostIdentity,
    pub product: String,
}

#[derive(Clone, Debug)]
pub struct HostProductState {
    /// The latest record showing the product there.
    pub present: Option<Sighting>,
    /// The latest record showing it gone (osquery differential `removed`).
    pub removed: Option<Sighting>,
    pub sources: BTreeSet<InstallSource>,
    /// Names (with versions) as the records gave them, smallest first.
    pub names: Smallest<String>,
    /// Records showing the product present, earliest in evidence order first.
    pub evidence: Smallest<EvidenceRef>,
}

impl HostProductState {
    fn new() -> Self {
        HostProductState {
            present: None,
            removed: None,
            sources: BTreeSet::new(),
            names: Smallest::new(EXAMPLES),
            evidence: Smallest::new(EXAMPLES),
        }
    }

    /// Installed unless a removal is later than the latest sighting. At the same moment the
    /// sighting wins: that is how an upgrade looks in an osquery differential.
    pub fn installed(&self) -> bool {
        match (self.present, self.removed) {
            (Some(present), Some(removed)) => present.time >= removed.time,
            (present, _) => present.is_some(),
        }
    }

    fn merge(&mut self, other: HostProductState) {
        self.present = self.present.max(other.present);
        self.removed = self.removed.max(other.removed);
        self.sources.extend(other.sources);
        self.names.merge(other.names);
        self.evidence.merge(other.evidence);
    }
}

/// The installation part of an aggregate.
#[derive(Clone, Debug, Default)]
pub struct InstallAggregate {
    /// Installation records read (every item of every inventory, every process start).
    pub records: u64,
    /// Records that matched a catalog product.
    pub attributed: u64,
    pub host_products: BTreeMap<HostProductKey, HostProductState>,
    /// Records about host × product pairs beyond [`MAX_HOST_PRODUCTS`].
    pub host_products_dropped: u64,
    /// Every host an inventory listed, with its system and the first record about it.
    pub inventoried: BTreeMap<HostIdentity, (SystemKey, EvidenceRef)>,
    pub inventoried_truncated: bool,
}

impl InstallAggregate {
    /// Counts a record and, when it comes from an inventory, notes its host as inventoried. A
    /// process start does not make a host inventoried: a log without the product's process
    /// does not show the product gone.
    pub fn inventoried(&mut self, system: SystemKey, installation: &Installation) {
        self.records = self.records.saturating_add(1);
        if installation.source != InstallSource::RunningProcess {
            self.note_host(&installation.host, system, installation.evidence);
        }
    }

    fn note_host(&mut self, host: &HostIdentity, system: SystemKey, evidence: EvidenceRef) {
        if let Some((_, first)) = self.inventoried.get_mut(host) {
            *first = (*first).min(evidence);
            return;
        }
        if self.inventoried.len() >= MAX_INVENTORIED_HOSTS {
            self.inventoried_truncated = true;
            if self
                .inventoried
                .last_key_value()
                .is_none_or(|(last, _)| host > last)
            {
                return;
            }
            self.inventoried.pop_last();
        }
        self.inventoried.insert(host.clone(), (system, evidence));
    }

    /// Folds a record that matched catalog product `product`.
    pub fn add(&mut self, system: SystemKey, product: &str, installation: &Installation) {
        self.attributed = self.attributed.saturating_add(1);
        let key = HostProductKey {
            system,
            host: installation.host.clone(),
            product: product.to_owned(),
        };
        if !self.host_products.contains_key(&key) && self.host_products.len() >= MAX_HOST_PRODUCTS {
            self.host_products_dropped = self.host_products_dropped.saturating_add(1);
            return;
        }
        let state = self
            .host_products
            .entry(key)
            .or_insert_with(HostProductState::new);
        let sighting = Some(Sighting {
            time: installation.time,
            evidence: installation.evidence,
        });
        if installation.present {
            state.present = state.present.max(sighting);
            state.sources.insert(installation.source);
            state.names.offer(shown_name(installation));
            state.evidence.offer(installation.evidence);
        } else {
            state.removed = state.removed.max(sighting);
        }
    }

    pub fn merge(&mut self, other: InstallAggregate) {
        self.records = self.records.saturating_add(other.records);
        self.attributed = self.attributed.saturating_add(other.attributed);
        self.host_products_dropped = self
            .host_products_dropped
            .saturating_add(other.host_products_dropped);
        for (key, state) in other.host_products {
            if let Some(existing) = self.host_products.get_mut(&key) {
                existing.merge(state);
            } else if self.host_products.len() < MAX_HOST_PRODUCTS {
                self.host_products.insert(key, state);
            } else {
                self.host_products_dropped = self.host_products_dropped.saturating_add(1);
            }
        }
        self.inventoried_truncated |= other.inventoried_truncated;
        for (host, (system, evidence)) in other.inventoried {
            self.note_host(&host, system, evidence);
        }
    }
}

/// The name as an inventory shows it, with the version when the record has one; bounded, since
/// the evidence chooses it.
fn shown_name(installation: &Installation) -> String {
    match &installation.version {
        Some(version) if !installation.name.ends_with(version.as_str()) => {
            bounded_name(&format!("{} {}", installation.name, version))
        }
        _ => bounded_name(&installation.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(host: &str, time: Option<i64>, present: bool, record: u64) -> Installation {
        Installation {
            host: HostIdentity {
                name: Some(host.into()),
                address: None,
            },
            source: InstallSource::WindowsProgram,
            name: "Kaspersky Endpoint Security for Windows".into(),
            version: Some("12.6.0.438".into()),
            publisher: Some("AO Kaspersky Lab".into()),
            product: None,
            location: None,
            hashes: None,
            time: time.map(|s| Timestamp::from_nanos(s * 1_000_000_000)),
            present,
            evidence: EvidenceRef {
                evidence: 0,
                record,
                offset: record * 100,
            },
        }
    }

    fn state_after(records: &[Installation]) -> bool {
        let mut aggregate = InstallAggregate::default();
        for r in records {
            aggregate.inventoried(SystemKey::InEstate(0), r);
            aggregate.add(SystemKey::InEstate(0), "kes", r);
        }
        let (_, state) = aggregate.host_products.iter().next().unwrap();
        state.installed()
    }

    #[test]
    fn the_latest_record_decides_whatever_the_order() {
        let added = record("pc-01", Some(100), true, 1);
        let removed = record("pc-01", Some(200), false, 2);
        assert!(!state_after(&[added.clone(), removed.clone()]));
        assert!(!state_after(&[removed, added.clone()]));
        let readded = record("pc-01", Some(300), true, 3);
        assert!(state_after(&[added, readded]));
    }

    #[test]
    fn an_upgrade_at_one_moment_stays_installed() {
        let old_removed = record("pc-01", Some(100), false, 1);
        let new_added = record("pc-01", Some(100), true, 2);
        assert!(state_after(&[old_removed, new_added]));
    }

    #[test]
    fn merging_parts_gives_the_same_state_as_one_pass() {
        let records: Vec<Installation> = (0..40)
            .map(|i| record(&format!("pc-{:02}", i % 7), Some(i), i % 3 != 0, i as u64))
            .collect();
        let mut whole = InstallAggregate::default();
        let mut left = InstallAggregate::default();
        let mut right = InstallAggregate::default();
        for (i, r) in records.iter().enumerate() {
            whole.inventoried(SystemKey::NotInEstate, r);
            whole.add(SystemKey::NotInEstate, "kes", r);
            let part = if i % 2 == 0 { &mut left } else { &mut right };
            part.inventoried(SystemKey::NotInEstate, r);
            part.add(SystemKey::NotInEstate, "kes", r);
        }
        right.merge(left);
        let installed = |a: &InstallAggregate| -> Vec<(String, bool)> {
            a.host_products
                .iter()
                .map(|(k, s)| (k.host.name.clone().unwrap(), s.installed()))
                .collect()
        };
        assert_eq!(installed(&whole), installed(&right));
        assert_eq!(whole.records, right.records);
        assert_eq!(whole.inventoried, right.inventoried);
    }
}
