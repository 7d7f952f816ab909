//! A hint to the processor to start fetching a cache line, so lookups taken in steps over a batch
//! of addresses (see `batch.rs`) wait for their memory reads together rather than one by one.

/// Starts fetching the cache line holding `item` (`None`: nothing), without waiting for it. A
/// no-op on processors without the x86-64 prefetch instruction.
#[inline(always)]
pub fn prefetch<T>(item: Option<&T>) {
    #[cfg(target_arch = "x86_64")]
    if let Some(item) = item {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: `_mm_prefetch` only needs SSE, which every x86-64 processor has; a prefetch
        // reads nothing into the program, writes nothing and never faults, and the pointer is
        // taken from a live reference anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((item as *const T).cast()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = item;
}

#[cfg(test)]
mod tests {
    use super::prefetch;

    /// A hint changes nothing: the data reads the same after it, for any element and none.
    #[test]
    fn prefetching_changes_nothing() {
        let data: Vec<u64> = (0..1 << 16).collect();
        for index in [0, 1, 4_095, 65_535, 65_536, usize::MAX] {
            prefetch(data.get(index));
        }
        prefetch::<u64>(None);
        assert!(data.iter().enumerate().all(|(i, &v)| v == i as u64));
    }
}
