//! A bounded per-address cache of destinations, one per thread: traffic goes to few distinct
//! addresses many times, and building a `Destination` (owned strings) costs far more than finding
//! the answers, so a repeated address costs a hash, a compare and a reference-count increment.
//!
//! Each thread that looks up gets its own slot array (`thread_local::ThreadLocal`, dropped with
//! the cache): no lock and no shared cache line on the hot path. Two-way set-associative: an
//! address may sit in either slot of its pair, a newcomer takes the first and moves the entry
//! there to the second (dropping the older), so two busy addresses that hash alike do not evict
//! each other. Memory is fixed by the slot count per thread whatever the input.

use ringfence_model::Destination;
use std::cell::RefCell;
use std::net::IpAddr;
use std::sync::Arc;
use thread_local::ThreadLocal;

type Slot = Option<(IpAddr, Arc<Destination>)>;

pub struct DestinationCache {
    per_thread: ThreadLocal<RefCell<Box<[Slot]>>>,
    /// Slots per thread, a power of two, at least two (0: no caching).
    slots: usize,
}

impl DestinationCache {
    /// A cache of about `capacity` entries per thread (rounded up to a power of two; 0 disables
    /// caching).
    pub fn new(capacity: usize) -> DestinationCache {
        DestinationCache {
            per_thread: ThreadLocal::new(),
            slots: if capacity == 0 {
                0
            } else {
                capacity.next_power_of_two().max(2)
            },
        }
    }

    /// The number of entries the cache can hold per thread.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.slots
    }

    /// The entries this thread's slots hold.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.per_thread
            .get()
            .map_or(0, |cell| cell.borrow().iter().flatten().count())
    }

    /// The cached destination of `address`, or `make()`'s, then cached.
    pub fn get_or_insert_with(
        &self,
        address: IpAddr,
        make: impl FnOnce() -> Destination,
    ) -> Arc<Destination> {
        if self.slots == 0 {
            return Arc::new(make());
        }
        let pair = (hash(&address) as usize) & (self.slots - 1) & !1;
        let cell = self
            .per_thread
            .get_or(|| RefCell::new(vec![None; self.slots].into_boxed_slice()));
        if let Ok(slots) = cell.try_borrow()
            && let Some(pair) = slots.get(pair..pair + 2)
            && let Some((_, destination)) = pair.iter().flatten().find(|(a, _)| *a == address)
        {
            return destination.clone();
        }
        let destination = Arc::new(make());
        if let Ok(mut slots) = cell.try_borrow_mut()
            && let Some([first, second]) = slots.get_mut(pair..pair + 2)
        {
            *second = first.take();
            *first = Some((address, destination.clone()));
        }
        destination
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

    fn destination(address: IpAddr) -> Destination {
        Destination {
            address,
            answers: Vec::new(),
        }
    }

    #[test]
    fn holds_entries_per_thread_and_stays_bounded() {
        let cache = DestinationCache::new(1000);
        assert_eq!(cache.capacity(), 1024);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let first = cache.get_or_insert_with(a, || destination(a));
        let again = cache.get_or_insert_with(a, || panic!("cached"));
        assert!(Arc::ptr_eq(&first, &again));
        // Another thread has its own slots: it builds its own.
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let theirs = cache.get_or_insert_with(a, || destination(a));
                assert!(!Arc::ptr_eq(&first, &theirs));
            });
        });
        for i in 0..100_000u32 {
            let ip = IpAddr::V4(i.into());
            cache.get_or_insert_with(ip, || destination(ip));
        }
        let held = cache.held();
        assert!(
            held <= cache.capacity() && held > cache.capacity() / 2,
            "held {held}"
        );
        // The most recent address is still there.
        let last = IpAddr::V4(99_999u32.into());
        cache.get_or_insert_with(last, || panic!("cached"));
    }

    #[test]
    fn two_addresses_of_one_pair_are_both_kept() {
        // Two slots: one pair, which every address maps to.
        let cache = DestinationCache::new(2);
        let [a, b, c]: [IpAddr; 3] =
            ["192.0.2.1", "2001:db8::1", "192.0.2.3"].map(|t| t.parse().unwrap());
        cache.get_or_insert_with(a, || destination(a));
        cache.get_or_insert_with(b, || destination(b));
        cache.get_or_insert_with(a, || panic!("a cached"));
        cache.get_or_insert_with(b, || panic!("b cached"));
        // A third evicts the older of the two.
        cache.get_or_insert_with(c, || destination(c));
        cache.get_or_insert_with(b, || panic!("b still cached"));
        let mut rebuilt = false;
        cache.get_or_insert_with(a, || {
            rebuilt = true;
            destination(a)
        });
        assert!(rebuilt);
        assert_eq!(cache.held(), 2);
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let cache = DestinationCache::new(0);
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let first = cache.get_or_insert_with(a, || destination(a));
        let again = cache.get_or_insert_with(a, || destination(a));
        assert!(!Arc::ptr_eq(&first, &again));
    }
}
