//! IP fragment reassembly (IPv4 and the IPv6 Fragment header), bounded in every dimension:
//! datagram size, datagrams pending, total bytes held, and age in capture time.
//!
//! Overlapping fragments are an evasion technique (the monitor and the host may reassemble
//! different bytes), so a datagram with overlapping, non-identical fragments is dropped and
//! reported, as RFC 5722 requires for IPv6. Exact duplicates (a fragment captured twice) are
//! ignored.

use ringfence_model::Timestamp;
use std::collections::VecDeque;
use std::net::IpAddr;

/// An IP datagram cannot be longer than this (its payload is shorter still).
pub(crate) const MAX_DATAGRAM: usize = 65_535;
/// Datagrams being reassembled at once; the oldest is evicted for a new one.
pub(crate) const MAX_PENDING: usize = 1024;
/// Bytes held across all pending datagrams.
const MAX_PENDING_BYTES: usize = 16 << 20;
/// A datagram not completed within this much capture time is dropped.
pub(crate) const TIMEOUT_NANOS: i64 = 30_000_000_000;

/// Fragment data arrives in 8-byte units (except for the last fragment's tail).
const UNIT: usize = 8;
const UNITS: usize = MAX_DATAGRAM.div_ceil(UNIT);

/// The identity of a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FragmentKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    pub protocol: u8,
}

/// One fragment as the IP layer saw it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fragment<'a> {
    /// Byte offset of `data` in the datagram payload.
    pub offset: u32,
    pub more: bool,
    pub data: &'a [u8],
    /// The fragment's payload length per its IP header; more than `data` if the snap length cut it.
    pub stated_len: u32,
}

/// What became of a fragment.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Stored; the datagram is incomplete.
    Held,
    /// The datagram is complete; its payload was written to the output buffer.
    Complete,
    /// The fragment (and possibly its datagram) was dropped for this reason.
    Dropped(&'static str),
}

struct Pending {
    key: FragmentKey,
    first_seen: Timestamp,
    data: Vec<u8>,
    /// One bit per 8-byte unit received.
    received: Box<[u64]>,
    units_received: usize,
    /// Known once the last fragment (more = false) arrived.
    total_len: Option<usize>,
}

impl Pending {
    fn new(key: FragmentKey, now: Timestamp) -> Pending {
        Pending {
            key,
            first_seen: now,
            data: Vec::new(),
            received: vec![0u64; UNITS.div_ceil(64)].into_boxed_slice(),
            units_received: 0,
            total_len: None,
        }
    }

    fn is_set(&self, unit: usize) -> bool {
        self.received
            .get(unit / 64)
            .is_some_and(|word| word & (1 << (unit % 64)) != 0)
    }

    fn set(&mut self, unit: usize) {
        if let Some(word) = self.received.get_mut(unit / 64) {
            *word |= 1 << (unit % 64);
        }
    }

    fn is_complete(&self) -> bool {
        self.total_len
            .is_some_and(|total| self.units_received >= total.div_ceil(UNIT))
    }
}

/// Reassembly state for one capture.
pub(crate) struct Reassembler {
    /// Oldest first.
    pending: VecDeque<Pending>,
    bytes_held: usize,
}

impl Default for Reassembler {
    fn default() -> Self {
        Self::new()
    }
}

impl Reassembler {
    pub(crate) fn new() -> Reassembler {
        Reassembler {
            pending: VecDeque::new(),
            bytes_held: 0,
        }
    }

    /// Datagrams currently incomplete.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Adds a fragment received at capture time `now`. On [`Outcome::Complete`] `out` holds the
    /// datagram's payload (its previous contents are replaced).
    pub(crate) fn insert(
        &mut self,
        key: FragmentKey,
        fragment: Fragment<'_>,
        now: Timestamp,
        out: &mut Vec<u8>,
    ) -> Outcome {
        self.expire(now);
        if (fragment.data.len() as u64) < u64::from(fragment.stated_len) {
            return Outcome::Dropped("fragment cut by the snap length; datagram not reassembled");
        }
        let start = fragment.offset as usize;
        let Some(end) = start
            .checked_add(fragment.data.len())
            .filter(|end| *end <= MAX_DATAGRAM)
        else {
            self.remove(&key);
            return Outcome::Dropped("fragment extends beyond the maximum datagram size");
        };
        if fragment.more && (!fragment.data.len().is_multiple_of(UNIT) || fragment.data.is_empty())
        {
            self.remove(&key);
            return Outcome::Dropped("non-final fragment length is not a multiple of 8");
        }

        let index = match self.pending.iter().position(|p| p.key == key) {
            Some(index) => index,
            None => {
                if self.pending.len() >= MAX_PENDING {
                    self.evict_oldest();
                }
                self.pending.push_back(Pending::new(key, now));
                self.pending.len() - 1
            }
        };
        // Keep the total held under its cap by dropping the oldest other datagrams.
        let held_here = self.pending.get(index).map_or(0, |p| p.data.len());
        let growth = end.saturating_sub(held_here);
        while self.bytes_held + growth > MAX_PENDING_BYTES {
            match self.pending.iter().position(|p| p.key != key) {
                Some(victim) => {
                    self.remove_at(victim);
                }
                None => break,
            }
        }
        let Some(index) = self.pending.iter().position(|p| p.key == key) else {
            return Outcome::Dropped("fragment's datagram was evicted");
        };
        let Some(entry) = self.pending.get_mut(index) else {
            return Outcome::Dropped("fragment's datagram was evicted");
        };

        if let Some(total) = entry.total_len {
            let past_end = end > total || (!fragment.more && end != total);
            if past_end {
                self.remove_at(index);
                return Outcome::Dropped("fragment disagrees with the datagram's end");
            }
        } else if !fragment.more {
            if end < entry.data.len() {
                self.remove_at(index);
                return Outcome::Dropped("final fragment ends before data already received");
            }
            entry.total_len = Some(end);
        }

        let first_unit = start / UNIT;
        let last_unit = end.div_ceil(UNIT);
        let overlaps = (first_unit..last_unit).any(|u| entry.is_set(u));
        if overlaps {
            let all_set = (first_unit..last_unit).all(|u| entry.is_set(u));
            let same = entry.data.get(start..end) == Some(fragment.data);
            if all_set && same {
                return Outcome::Held;
            }
            self.remove_at(index);
            return Outcome::Dropped("overlapping fragments with different data; datagram dropped");
        }

        if end > entry.data.len() {
            self.bytes_held += end - entry.data.len();
            entry.data.resize(end, 0);
        }
        if let Some(slot) = entry.data.get_mut(start..end) {
            slot.copy_from_slice(fragment.data);
        }
        for unit in first_unit..last_unit {
            entry.set(unit);
        }
        entry.units_received += last_unit - first_unit;

        if entry.is_complete() {
            if let Some(done) = self.remove_at(index) {
                let total = done.total_len.unwrap_or(done.data.len());
                out.clear();
                out.extend_from_slice(done.data.get(..total).unwrap_or(&done.data));
            }
            return Outcome::Complete;
        }
        Outcome::Held
    }

    /// Drops datagrams older than the timeout, by capture time.
    fn expire(&mut self, now: Timestamp) {
        while let Some(oldest) = self.pending.front() {
            if now.nanos().saturating_sub(oldest.first_seen.nanos()) <= TIMEOUT_NANOS {
                break;
            }
            self.evict_oldest();
        }
    }

    fn evict_oldest(&mut self) {
        if let Some(gone) = self.pending.pop_front() {
            self.bytes_held = self.bytes_held.saturating_sub(gone.data.len());
        }
    }

    fn remove(&mut self, key: &FragmentKey) {
        if let Some(index) = self.pending.iter().position(|p| p.key == *key) {
            self.remove_at(index);
        }
    }

    fn remove_at(&mut self, index: usize) -> Option<Pending> {
        let gone = self.pending.remove(index)?;
        self.bytes_held = self.bytes_held.saturating_sub(gone.data.len());
        Some(gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u32) -> FragmentKey {
        FragmentKey {
            src: "192.0.2.1".parse().unwrap(),
            dst: "192.0.2.2".parse().unwrap(),
            id,
            protocol: 17,
        }
    }

    fn frag(offset: u32, more: bool, data: &[u8]) -> Fragment<'_> {
        Fragment {
            offset,
            more,
            data,
            stated_len: data.len() as u32,
        }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_secs_nanos(secs, 0)
    }

    #[test]
    fn reassembles_out_of_order_and_ignores_duplicates() {
        let payload: Vec<u8> = (0..=255u8).cycle().take(3001).collect();
        let mut r = Reassembler::new();
        let mut out = Vec::new();
        let parts = [
            (1480, &payload[1480..2960], true),
            (2960, &payload[2960..], false),
        ];
        for (offset, data, more) in parts {
            assert_eq!(
                r.insert(key(1), frag(offset, more, data), at(0), &mut out),
                Outcome::Held
            );
        }
        // The same fragment captured twice changes nothing.
        let dup = frag(2960, false, &payload[2960..]);
        assert_eq!(r.insert(key(1), dup, at(0), &mut out), Outcome::Held);
        let first = frag(0, true, &payload[..1480]);
        assert_eq!(r.insert(key(1), first, at(1), &mut out), Outcome::Complete);
        assert_eq!(out, payload);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn overlapping_different_data_drops_the_datagram() {
        let mut r = Reassembler::new();
        let mut out = Vec::new();
        assert_eq!(
            r.insert(key(2), frag(0, true, &[1; 16]), at(0), &mut out),
            Outcome::Held
        );
        let overlap = frag(8, false, &[2; 16]);
        assert!(matches!(
            r.insert(key(2), overlap, at(0), &mut out),
            Outcome::Dropped(_)
        ));
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn rejects_oversize_misaligned_and_truncated_fragments() {
        let mut r = Reassembler::new();
        let mut out = Vec::new();
        let big = frag(65_528, false, &[0; 16]);
        assert!(matches!(
            r.insert(key(3), big, at(0), &mut out),
            Outcome::Dropped(_)
        ));
        let odd = frag(0, true, &[0; 12]);
        assert!(matches!(
            r.insert(key(3), odd, at(0), &mut out),
            Outcome::Dropped(_)
        ));
        let cut = Fragment {
            offset: 0,
            more: true,
            data: &[0; 8],
            stated_len: 16,
        };
        assert!(matches!(
            r.insert(key(3), cut, at(0), &mut out),
            Outcome::Dropped(_)
        ));
        // A final fragment ending before bytes already held is inconsistent.
        assert_eq!(
            r.insert(key(4), frag(64, true, &[0; 8]), at(0), &mut out),
            Outcome::Held
        );
        let early_end = frag(0, false, &[0; 8]);
        assert!(matches!(
            r.insert(key(4), early_end, at(0), &mut out),
            Outcome::Dropped(_)
        ));
    }

    #[test]
    fn expires_by_capture_time_and_bounds_pending() {
        let mut r = Reassembler::new();
        let mut out = Vec::new();
        assert_eq!(
            r.insert(key(5), frag(8, false, &[5; 8]), at(0), &mut out),
            Outcome::Held
        );
        // 31 s later the first half arrives: the datagram has expired, so this starts anew.
        assert_eq!(
            r.insert(key(5), frag(0, true, &[5; 8]), at(31), &mut out),
            Outcome::Held
        );
        assert_eq!(r.pending(), 1);
        for id in 0..(MAX_PENDING as u32 + 10) {
            r.insert(key(1000 + id), frag(8, false, &[0; 8]), at(31), &mut out);
        }
        assert_eq!(r.pending(), MAX_PENDING);
    }
}
