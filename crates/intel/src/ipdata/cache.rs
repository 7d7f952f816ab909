//! A bounded per-address cache of destinations: traffic goes to few distinct addresses many times,
//! so repeated lookups cost a hash and an atomic increment instead of a tree walk per source.
//!
//! Direct-mapped and sharded: each shard is a small array of slots under its own lock, an address
//! maps to exactly one slot, and a newcomer replaces whatever sat there. Memory is fixed by the
//! slot count whatever the input; threads looking up different addresses rarely share a lock.

use ringfence_model::Destination;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

const SHARDS: usize = 64;

type Slot = Option<(IpAddr, Arc<Destination>)>;

pub struct DestinationCache {
    shards: Box<[Mutex<Box<[Slot]>>]>,
    /// Slots per shard, a power of two.
    slots_per_shard: usize,
}

impl DestinationCache {
    /// A cache of about `capacity` entries (rounded up to a power of two, at least one per shard;
    /// 0 disables caching).
    pub fn new(capacity: usize) -> DestinationCache {
        if capacity == 0 {
            return DestinationCache {
                shards: Box::new([]),
                slots_per_shard: 0,
            };
        }
        let slots_per_shard = capacity.div_ceil(SHARDS).next_power_of_two();
        let shards = (0..SHARDS)
            .map(|_| Mutex::new(vec![None; slots_per_shard].into_boxed_slice()))
            .collect();
        DestinationCache {
            shards,
            slots_per_shard,
        }
    }

    /// The number of entries the cache can hold.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.shards.len() * self.slots_per_shard
    }

    fn locate(&self, address: &IpAddr) -> Option<(&Mutex<Box<[Slot]>>, usize)> {
        let h = hash(address);
        let shard = self.shards.get((h as usize) % SHARDS.max(1))?;
        let slot = ((h >> 32) as usize) & self.slots_per_shard.wrapping_sub(1);
        Some((shard, slot))
    }

    pub fn get(&self, address: &IpAddr) -> Option<Arc<Destination>> {
        let (shard, slot) = self.locate(address)?;
        let slots = shard.lock().ok()?;
        match slots.get(slot) {
            Some(Some((cached, destination))) if cached == address => Some(destination.clone()),
            _ => None,
        }
    }

    pub fn insert(&self, address: IpAddr, destination: Arc<Destination>) {
        if let Some((shard, slot)) = self.locate(&address)
            && let Ok(mut slots) = shard.lock()
            && let Some(entry) = slots.get_mut(slot)
        {
            *entry = Some((address, destination));
        }
    }
}

/// A fast, well-mixed 64-bit hash of an address (a multiply-xorshift finaliser; keys are not
/// attacker-chosen in a way that matters here: collisions only cost a cache miss).
fn hash(address: &IpAddr) -> u64 {
    let x = match address {
        IpAddr::V4(v4) => u64::from(u32::from(*v4)),
        IpAddr::V6(v6) => {
            let n = u128::from(*v6);
            ((n >> 64) as u64).rotate_left(29) ^ (n as u64) ^ 0x9e37_79b9_7f4a_7c15
        }
    };
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destination(address: IpAddr) -> Arc<Destination> {
        Arc::new(Destination {
            address,
            answers: Vec::new(),
        })
    }

    #[test]
    fn holds_entries_and_stays_bounded() {
        let cache = DestinationCache::new(1000);
        assert_eq!(cache.capacity(), 1024);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(cache.get(&a).is_none());
        cache.insert(a, destination(a));
        assert_eq!(cache.get(&a).unwrap().address, a);
        for i in 0..100_000u32 {
            let ip = IpAddr::V4(i.into());
            cache.insert(ip, destination(ip));
        }
        let held = (0..100_000u32)
            .filter(|&i| cache.get(&IpAddr::V4(i.into())).is_some())
            .count();
        assert!(
            held <= cache.capacity() && held > cache.capacity() / 2,
            "held {held}"
        );
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let cache = DestinationCache::new(0);
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        cache.insert(a, destination(a));
        assert!(cache.get(&a).is_none());
    }
}
