//! Names waiting for their connection record, keyed by Zeek `uid` or Suricata `flow_id`, in a
//! bounded table.
//!
//! A log's application records (ssl.log, EVE `tls`) and its connection records come in about the
//! same order, and a table holding a whole ssl.log is far larger than the CPU's caches. So the
//! waiting keys sit in slots in insertion order (a connection's lookup mostly lands next to the
//! previous one), found through a small index from a 64-bit fingerprint of the key to its slot:
//! a lookup touches one 16-byte index entry and one slot instead of a large hash-table entry and
//! the heap blocks it points to. The slot holds the key itself, so two different keys with the
//! same fingerprint are never confused: the second one is indexed by its full key instead.

use super::join::{AppName, MAX_NAMES, PendingName};
use foldhash::HashMap;
use std::collections::VecDeque;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, Hash};

/// Names waiting for their connection, at most `capacity` keys; when full, the key waiting
/// longest is dropped (and counted). `S` makes the fingerprints (tests give one that collides).
pub(crate) struct PendingNames<K, S = foldhash::fast::RandomState> {
    fingerprints: S,
    /// Fingerprint → sequence number of the slot of the waiting key with that fingerprint.
    index: HashMap<u64, u64>,
    /// Waiting keys whose fingerprint was already in `index` (for another key) when they came.
    collided: HashMap<K, u64>,
    /// In insertion order: `slots[i]` has sequence number `first + i`. A slot whose names were
    /// taken stays until the front passes it; the deque is compacted now and then.
    slots: VecDeque<Slot<K>>,
    first: u64,
    /// Slots still waiting.
    live: usize,
    capacity: usize,
    /// Keys dropped for space, by the evidence that was being read when it happened.
    dropped: HashMap<u32, u64>,
}

struct Slot<K> {
    key: K,
    /// The evidence (position in the run) whose record gave the first name.
    evidence: u32,
    /// The names, the first one inline (most keys have one); `None` once taken or dropped.
    names: Option<PendingName>,
    more: Vec<PendingName>,
}

/// The names that were waiting for a key, in the order they came.
#[derive(Default)]
pub(crate) struct Waiting {
    first: Option<PendingName>,
    more: Vec<PendingName>,
}

impl IntoIterator for Waiting {
    type Item = PendingName;
    type IntoIter =
        std::iter::Chain<std::option::IntoIter<PendingName>, std::vec::IntoIter<PendingName>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.more)
    }
}

impl<K: Hash + Eq + Clone> PendingNames<K> {
    pub(crate) fn new(capacity: usize) -> Self {
        PendingNames::with_fingerprints(capacity, foldhash::fast::RandomState::default())
    }
}

impl<K: Hash + Eq + Clone, S: BuildHasher> PendingNames<K, S> {
    pub(crate) fn with_fingerprints(capacity: usize, fingerprints: S) -> Self {
        PendingNames {
            fingerprints,
            index: HashMap::default(),
            collided: HashMap::default(),
            slots: VecDeque::new(),
            first: 0,
            live: 0,
            capacity: capacity.max(1),
            dropped: HashMap::default(),
        }
    }

    /// Adds `raw` (as the log wrote it) for `key`; returns false when it normalises to nothing.
    pub(crate) fn add(&mut self, key: &K, raw: &str, kind: AppName, evidence: u32) -> bool {
        let name = kind.normalise(raw);
        if name.is_empty() {
            return false;
        }
        let pending = PendingName { name, kind };
        let fingerprint = self.fingerprints.hash_one(key);
        if let Some(slot) = self.find(key, fingerprint) {
            slot.push(pending);
            return true;
        }
        if self.live >= self.capacity {
            self.drop_oldest(evidence);
        }
        let sequence = self.first + self.slots.len() as u64;
        match self.index.entry(fingerprint) {
            Entry::Vacant(vacant) => {
                vacant.insert(sequence);
            }
            Entry::Occupied(_) => {
                self.collided.insert(key.clone(), sequence);
            }
        }
        self.slots.push_back(Slot {
            key: key.clone(),
            evidence,
            names: Some(pending),
            more: Vec::new(),
        });
        self.live += 1;
        self.compact();
        true
    }

    /// The names waiting for `key`, which stops waiting.
    pub(crate) fn take(&mut self, key: &K) -> Waiting {
        let fingerprint = self.fingerprints.hash_one(key);
        let sequence = match self.index.entry(fingerprint) {
            Entry::Occupied(entry)
                if slot_at(&self.slots, self.first, *entry.get())
                    .is_some_and(|s| s.key == *key) =>
            {
                entry.remove()
            }
            _ => match self.collided.is_empty() {
                true => return Waiting::default(),
                false => match self.collided.remove(key) {
                    Some(sequence) => sequence,
                    None => return Waiting::default(),
                },
            },
        };
        let Some(slot) = slot_at_mut(&mut self.slots, self.first, sequence) else {
            return Waiting::default();
        };
        let waiting = Waiting {
            first: slot.names.take(),
            more: std::mem::take(&mut slot.more),
        };
        self.live -= 1;
        self.pop_taken();
        waiting
    }

    /// Keys dropped for space while `evidence` was being read.
    pub(crate) fn dropped_for(&self, evidence: u32) -> u64 {
        self.dropped.get(&evidence).copied().unwrap_or(0)
    }

    /// Keys still waiting, by the evidence that gave their first name.
    pub(crate) fn waiting_by_evidence(&self) -> HashMap<u32, u64> {
        let mut counts = HashMap::default();
        for slot in self.slots.iter().filter(|s| s.names.is_some()) {
            *counts.entry(slot.evidence).or_insert(0) += 1;
        }
        counts
    }

    /// The slot of the waiting `key`.
    fn find(&mut self, key: &K, fingerprint: u64) -> Option<&mut Slot<K>> {
        let indexed = self.index.get(&fingerprint).copied();
        let sequence = match indexed {
            Some(sequence)
                if slot_at(&self.slots, self.first, sequence).is_some_and(|s| s.key == *key) =>
            {
                sequence
            }
            _ if self.collided.is_empty() => return None,
            _ => *self.collided.get(key)?,
        };
        slot_at_mut(&mut self.slots, self.first, sequence)
    }

    fn drop_oldest(&mut self, evidence: u32) {
        self.pop_taken();
        let Some(oldest) = self.slots.pop_front() else {
            return;
        };
        let sequence = self.first;
        self.first += 1;
        let fingerprint = self.fingerprints.hash_one(&oldest.key);
        match self.index.entry(fingerprint) {
            Entry::Occupied(entry) if *entry.get() == sequence => {
                entry.remove();
            }
            _ => {
                self.collided.remove(&oldest.key);
            }
        }
        self.live -= 1;
        *self.dropped.entry(evidence).or_insert(0) += 1;
        self.pop_taken();
    }

    /// Forgets the slots at the front whose names were taken.
    fn pop_taken(&mut self) {
        while self.slots.front().is_some_and(|s| s.names.is_none()) {
            self.slots.pop_front();
            self.first += 1;
        }
    }

    /// Forgets the slots taken since, once they outnumber the live ones, and renumbers the rest.
    fn compact(&mut self) {
        if self.slots.len() <= 2 * self.capacity + 1024 {
            return;
        }
        let old = std::mem::take(&mut self.slots);
        let mut kept = VecDeque::with_capacity(self.live);
        for (sequence, slot) in (self.first..).zip(old) {
            if slot.names.is_none() {
                continue;
            }
            let renumbered = self.first + kept.len() as u64;
            let fingerprint = self.fingerprints.hash_one(&slot.key);
            match self.index.get_mut(&fingerprint) {
                // Renumbered slots only move down, below every old number still to come, so an
                // index entry equal to the old number is this slot's.
                Some(indexed) if *indexed == sequence => *indexed = renumbered,
                _ => {
                    if let Some(collided) = self.collided.get_mut(&slot.key) {
                        *collided = renumbered;
                    }
                }
            }
            kept.push_back(slot);
        }
        self.slots = kept;
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.live
    }
}

impl<K> Slot<K> {
    fn push(&mut self, pending: PendingName) {
        let known = self.names.as_ref() == Some(&pending) || self.more.contains(&pending);
        if 1 + self.more.len() < MAX_NAMES && !known {
            self.more.push(pending);
        }
    }
}

fn slot_at<K>(slots: &VecDeque<Slot<K>>, first: u64, sequence: u64) -> Option<&Slot<K>> {
    let position = usize::try_from(sequence.checked_sub(first)?).ok()?;
    slots.get(position)
}

fn slot_at_mut<K>(
    slots: &mut VecDeque<Slot<K>>,
    first: u64,
    sequence: u64,
) -> Option<&mut Slot<K>> {
    let position = usize::try_from(sequence.checked_sub(first)?).ok()?;
    slots.get_mut(position)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasherDefault;

    #[test]
    fn pending_names_are_bounded_and_drop_the_oldest() {
        let mut pending: PendingNames<u64> = PendingNames::new(3);
        for key in 0..5u64 {
            assert!(pending.add(&key, &format!("h{key}.example"), AppName::Tls, 7));
        }
        assert_eq!(pending.len(), 3);
        assert_eq!(pending.dropped_for(7), 2);
        assert!(pending.take(&0).into_iter().next().is_none());
        assert!(pending.take(&1).into_iter().next().is_none());
        assert_eq!(pending.take(&2).into_iter().count(), 1);
        // Taken keys do not count against the capacity, and the slots stay few.
        for key in 100..10_000u64 {
            pending.add(&key, "x.example", AppName::Quic, 7);
            pending.take(&key);
        }
        assert!(pending.slots.len() <= 2 * 3 + 1024 + 1);
        assert_eq!(pending.dropped_for(7), 2);
    }

    /// A hasher that gives every key the same fingerprint.
    #[derive(Default)]
    struct Colliding;

    impl std::hash::Hasher for Colliding {
        fn finish(&self) -> u64 {
            42
        }
        fn write(&mut self, _: &[u8]) {}
    }

    fn names(waiting: Waiting) -> Vec<String> {
        waiting.into_iter().map(|p| p.name).collect()
    }

    #[test]
    fn keys_with_the_same_fingerprint_are_never_joined() {
        let mut pending: PendingNames<String, BuildHasherDefault<Colliding>> =
            PendingNames::with_fingerprints(4, BuildHasherDefault::default());
        let key = |k: &str| k.to_string();
        pending.add(&key("C1"), "one.example", AppName::Tls, 0);
        pending.add(&key("C2"), "two.example", AppName::Tls, 0);
        pending.add(&key("C2"), "two-b.example", AppName::Tls, 0);
        pending.add(&key("C3"), "three.example", AppName::Tls, 0);
        assert!(names(pending.take(&key("C4"))).is_empty());
        assert_eq!(
            names(pending.take(&key("C2"))),
            ["two.example", "two-b.example"]
        );
        assert!(names(pending.take(&key("C2"))).is_empty());
        // C1 leaves the index; C5 takes its place there while C3 is still in the other table.
        assert_eq!(names(pending.take(&key("C1"))), ["one.example"]);
        pending.add(&key("C5"), "five.example", AppName::Tls, 0);
        // Full: C3 (the oldest) and then C5 are dropped, from whichever table held them.
        for k in ["C6", "C7", "C8", "C9"] {
            pending.add(&key(k), "later.example", AppName::Tls, 1);
        }
        assert_eq!(pending.dropped_for(1), 2);
        assert!(names(pending.take(&key("C3"))).is_empty());
        assert!(names(pending.take(&key("C5"))).is_empty());
        for k in ["C6", "C7", "C8", "C9"] {
            assert_eq!(names(pending.take(&key(k))), ["later.example"], "{k}");
        }
        assert_eq!(pending.len(), 0);
        assert!(pending.index.is_empty() && pending.collided.is_empty());
    }

    #[test]
    fn compaction_keeps_every_waiting_key_findable() {
        for colliding in [false, true] {
            let mut plain: PendingNames<u64> = PendingNames::new(9);
            let mut same: PendingNames<u64, BuildHasherDefault<Colliding>> =
                PendingNames::with_fingerprints(9, BuildHasherDefault::default());
            // Keys 0..8 wait throughout; thousands of others come and go behind them.
            for key in 0..8u64 {
                plain.add(&key, &format!("k{key}.example"), AppName::Tls, 0);
                same.add(&key, &format!("k{key}.example"), AppName::Tls, 0);
            }
            for key in 100..5_000u64 {
                if colliding {
                    same.add(&key, "x.example", AppName::Tls, 0);
                    same.take(&key);
                } else {
                    plain.add(&key, "x.example", AppName::Tls, 0);
                    plain.take(&key);
                }
            }
            let (taken, dropped): (Vec<Vec<String>>, u64) = if colliding {
                let taken = (0..8u64).map(|k| names(same.take(&k))).collect();
                (taken, same.dropped_for(0))
            } else {
                let taken = (0..8u64).map(|k| names(plain.take(&k))).collect();
                (taken, plain.dropped_for(0))
            };
            assert_eq!(dropped, 0);
            for (key, names) in taken.iter().enumerate() {
                assert_eq!(names, &[format!("k{key}.example")], "colliding {colliding}");
            }
            assert!(plain.slots.len() <= 2 * 9 + 1024 + 1);
            assert!(same.slots.len() <= 2 * 9 + 1024 + 1);
        }
    }
}
