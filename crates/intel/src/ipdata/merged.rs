//! The merged range index: every flattened source's answers for an address found by one search.
//!
//! Built once at load, per address family: the union of all sources' range boundaries, each
//! range holding one [`Slot`] per source (a tuple, in source order). A slot names the source's
//! compact record by id plus the prefix length of the source's own network, so every source's
//! answer stays separate and its network is `address & mask(prefix)` (the network of an MMDB
//! leaf, or the CIDR block of a CSV range that holds the address). Adjacent ranges with the
//! same tuple are one range: the network still comes out right, since each address's own block
//! is the one its prefix masks to.
//!
//! A lookup reads a direct table on the top 16 bits of the address, giving the few ranges that
//! start in that block, and bisects them (IPv4 keeps only the low 16 bits of each start). Written
//! here rather than taken from a crate: what is searched is this tuple layout, and the lookup is
//! a few lines over plain arrays.

use super::prefetch::prefetch;

/// One source's answer for a range: a record id and prefix length, or one of two markers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot(pub u32);

/// What a slot says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotKind {
    /// The source says nothing about the range.
    Empty,
    /// The source's record `id`, for the network of `prefix` bits around the address.
    Data { id: u32, prefix: u8 },
    /// The range is answered by the source's own lookup (not flattened).
    Walk,
}

const EMPTY_ID: u32 = 0x00FF_FFFF;
const WALK_ID: u32 = 0x00FF_FFFE;

/// Record ids a slot can hold: the 24 bits above the prefix, less the two markers.
pub const MAX_RECORD_IDS: usize = WALK_ID as usize;

impl Slot {
    pub const EMPTY: Slot = Slot(EMPTY_ID << 8);
    pub const WALK: Slot = Slot(WALK_ID << 8);

    /// The slot of record `id` (an index into the source's records, below [`MAX_RECORD_IDS`]).
    pub fn data(id: usize, prefix: u8) -> Slot {
        match u32::try_from(id) {
            Ok(id) if id < WALK_ID => Slot((id << 8) | u32::from(prefix)),
            _ => Slot::WALK,
        }
    }

    pub fn kind(self) -> SlotKind {
        match self.0 >> 8 {
            EMPTY_ID => SlotKind::Empty,
            WALK_ID => SlotKind::Walk,
            id => SlotKind::Data {
                id,
                prefix: self.0 as u8,
            },
        }
    }
}

/// Ranges one source may contribute per family: a database with more leaves is not flattened
/// and answers through its own lookup (the bundled sources have under a million each).
const MAX_SOURCE_RANGES: usize = 1 << 22;

/// Ranges the whole index may hold per family, whatever the number of sources.
const MAX_INDEX_RANGES: usize = 1 << 25;

/// Bits of the address that pick a block in the direct table.
const BUCKET_BITS: u32 = 16;

/// How the starts of ranges are kept: all of them in the block's low bits for IPv4 (`u16`), the
/// whole address for IPv6.
pub trait Key: Copy + Ord {
    fn low(start: u128) -> Self;
    /// The start again, from the key and the start of its block.
    #[cfg(test)]
    fn start(self, block_start: u128) -> u128;
}

impl Key for u16 {
    fn low(start: u128) -> u16 {
        start as u16
    }
    #[cfg(test)]
    fn start(self, block_start: u128) -> u128 {
        block_start | u128::from(self)
    }
}

impl Key for u128 {
    fn low(start: u128) -> u128 {
        start
    }
    #[cfg(test)]
    fn start(self, _block_start: u128) -> u128 {
        self
    }
}

/// One family's merged ranges.
pub struct RangeTable<K> {
    /// Bits in the family's addresses (32 or 128).
    bits: u32,
    /// `blocks[b]`: the first range starting at or after block `b`; `blocks[2^16]` is the count.
    blocks: Box<[u32]>,
    keys: Box<[K]>,
    /// `width` slots per range.
    slots: Box<[u32]>,
    width: usize,
}

impl<K: Key> RangeTable<K> {
    /// The slots of every source for `address` (the family's bits, right-aligned).
    #[inline]
    pub fn slots(&self, address: u128) -> Option<&[u32]> {
        let mut probe = Probe::new(address);
        self.find_candidates(&mut probe);
        self.find_range(&mut probe);
        self.slots_of(&probe)
    }

    /// The first step of a lookup in steps ([`Probe`]): starts fetching the block entry.
    #[inline]
    pub fn start(&self, probe: &Probe) {
        prefetch(self.blocks.get(self.block(probe.address)));
    }

    /// Reads the block entry: the ranges starting in the address's block. Starts fetching the
    /// first key the bisection reads.
    #[inline]
    pub fn find_candidates(&self, probe: &mut Probe) {
        let block = self.block(probe.address);
        let end = block.checked_add(1).and_then(|next| self.blocks.get(next));
        probe.found = match (self.blocks.get(block), end) {
            (Some(&first), Some(&end)) => Found::Candidates(first as usize, end as usize),
            _ => Found::Nothing,
        };
        if let Found::Candidates(first, end) = probe.found {
            prefetch(self.keys.get(first + end.saturating_sub(first) / 2));
        }
    }

    /// Bisects the candidates for the range holding the address. Starts fetching its slots.
    #[inline]
    pub fn find_range(&self, probe: &mut Probe) {
        let Found::Candidates(first, end) = probe.found else {
            return;
        };
        let key = K::low(probe.address);
        let starting = self
            .keys
            .get(first..end)
            .map(|keys| keys.partition_point(|&k| k <= key));
        // No range starts in this block at or before the address: the previous one holds it.
        probe.found = match starting.and_then(|starting| (first + starting).checked_sub(1)) {
            Some(range) => Found::Range(range),
            None => Found::Nothing,
        };
        if let Found::Range(range) = probe.found {
            prefetch(self.slots.get(range.wrapping_mul(self.width)));
        }
    }

    /// The slots of the range the probe found.
    #[inline]
    pub fn slots_of(&self, probe: &Probe) -> Option<&[u32]> {
        let Found::Range(range) = probe.found else {
            return None;
        };
        let at = range.checked_mul(self.width)?;
        self.slots.get(at..at.checked_add(self.width)?)
    }

    /// The block of `address` in the direct table (below 2^16 for an address of the family).
    #[inline]
    fn block(&self, address: u128) -> usize {
        usize::try_from(address >> (self.bits - BUCKET_BITS)).unwrap_or(usize::MAX)
    }

    pub fn ranges(&self) -> usize {
        self.keys.len()
    }

    /// The first address of every range, in order.
    #[cfg(test)]
    pub fn starts(&self) -> Vec<u128> {
        let shift = self.bits - BUCKET_BITS;
        let mut out = Vec::with_capacity(self.keys.len());
        for (block, bounds) in self.blocks.windows(2).enumerate() {
            let keys = self
                .keys
                .get(bounds[0] as usize..bounds[1] as usize)
                .unwrap_or_default();
            out.extend(keys.iter().map(|k| k.start((block as u128) << shift)));
        }
        out
    }

    pub fn bytes(&self) -> usize {
        std::mem::size_of_val(&*self.blocks)
            + std::mem::size_of_val(&*self.keys)
            + std::mem::size_of_val(&*self.slots)
    }
}

/// One lookup in a [`RangeTable`] taken in steps (`start`, `find_candidates`, `find_range`,
/// `slots_of`), so a batch can take each step for all its addresses before the next: every step
/// starts fetching what the next one reads, and the fetches of the batch overlap.
#[derive(Clone, Copy, Debug)]
pub struct Probe {
    address: u128,
    found: Found,
}

#[derive(Clone, Copy, Debug)]
enum Found {
    /// Not looked up yet, or outside the table.
    Nothing,
    /// The ranges `first..end` start in the address's block.
    Candidates(usize, usize),
    Range(usize),
}

impl Probe {
    /// A lookup of `address` (the family's bits, right-aligned).
    pub fn new(address: u128) -> Probe {
        Probe {
            address,
            found: Found::Nothing,
        }
    }
}

/// A source's ranges for one family, in address order from the first address: `(start, slot)`.
pub type Ranges<'a> = Box<dyn Iterator<Item = (u128, Slot)> + 'a>;

/// A source that can be flattened into the index.
pub trait Flatten {
    /// Its ranges for IPv4 (`v6 == false`) or IPv6, each call from the start; `None`: the
    /// source answers through its own lookup everywhere.
    fn ranges(&self, v6: bool) -> Option<Ranges<'_>>;
}

/// Merges the sources' ranges for one family (`K`: `u16` for IPv4, `u128` for IPv6) into one
/// table. A source with more than [`MAX_SOURCE_RANGES`] ranges, or whose ranges would take the
/// table past its bound, is left to its own lookup; returns the table and, per source, whether
/// it was flattened.
pub fn build<K: Key, S: Flatten>(v6: bool, sources: &[S]) -> (RangeTable<K>, Vec<bool>) {
    let mut total = 0usize;
    let flattened: Vec<bool> = sources
        .iter()
        .map(|source| {
            let Some(ranges) = source.ranges(v6) else {
                return false;
            };
            // A first pass counts, so an oversized source is left out before anything is built.
            let count = ranges.take(MAX_SOURCE_RANGES + 1).count();
            let fits = count <= MAX_SOURCE_RANGES && total + count <= MAX_INDEX_RANGES;
            if fits {
                total += count;
            }
            fits
        })
        .collect();
    let mut streams: Vec<Option<std::iter::Peekable<Ranges<'_>>>> = sources
        .iter()
        .zip(&flattened)
        .map(|(source, &flat)| Some(source.ranges(v6).filter(|_| flat)?.peekable()))
        .collect();
    let mut current: Vec<u32> = flattened
        .iter()
        .map(|&flat| if flat { Slot::EMPTY.0 } else { Slot::WALK.0 })
        .collect();
    let mut builder = Builder::<K>::new(if v6 { 128 } else { 32 }, sources.len());
    builder.push(0, &current);
    loop {
        let next = streams
            .iter_mut()
            .filter_map(|s| s.as_mut()?.peek().map(|&(start, _)| start))
            .min();
        let Some(next) = next else { break };
        for (stream, slot) in streams.iter_mut().zip(current.iter_mut()) {
            while let Some(stream) = stream.as_mut()
                && let Some((_, Slot(s))) = stream.next_if(|&(start, _)| start <= next)
            {
                *slot = s;
            }
        }
        builder.push(next, &current);
    }
    (builder.finish(), flattened)
}

struct Builder<K> {
    bits: u32,
    width: usize,
    blocks: Vec<u32>,
    keys: Vec<K>,
    slots: Vec<u32>,
}

impl<K: Key> Builder<K> {
    fn new(bits: u32, width: usize) -> Builder<K> {
        Builder {
            bits,
            width,
            blocks: Vec::with_capacity((1 << BUCKET_BITS) + 1),
            keys: Vec::new(),
            slots: Vec::new(),
        }
    }

    /// Adds the range starting at `start` (after every range added so far) unless it says the
    /// same as the one before.
    fn push(&mut self, start: u128, tuple: &[u32]) {
        let len = self.slots.len();
        if !self.keys.is_empty() && self.slots.get(len.saturating_sub(self.width)..) == Some(tuple)
        {
            return;
        }
        let Ok(index) = u32::try_from(self.keys.len()) else {
            return;
        };
        // A start outside the family's space (no source yields one) is left out rather than
        // growing the block table.
        let Ok(block) = usize::try_from(start >> (self.bits - BUCKET_BITS)) else {
            return;
        };
        if block >= 1 << BUCKET_BITS {
            return;
        }
        while self.blocks.len() <= block {
            self.blocks.push(index);
        }
        self.keys.push(K::low(start));
        self.slots.extend_from_slice(tuple);
    }

    fn finish(mut self) -> RangeTable<K> {
        let count = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.blocks.resize((1 << BUCKET_BITS) + 1, count);
        RangeTable {
            bits: self.bits,
            blocks: self.blocks.into_boxed_slice(),
            keys: self.keys.into_boxed_slice(),
            slots: self.slots.into_boxed_slice(),
            width: self.width,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source given as its ranges, or `None` for one that keeps its own lookup.
    struct Given<'a>(Option<&'a [(u128, Slot)]>);

    impl Flatten for Given<'_> {
        fn ranges(&self, _v6: bool) -> Option<Ranges<'_>> {
            Some(Box::new(self.0?.iter().copied()))
        }
    }

    #[test]
    fn slots_round_trip() {
        assert_eq!(Slot::EMPTY.kind(), SlotKind::Empty);
        assert_eq!(Slot::WALK.kind(), SlotKind::Walk);
        assert_eq!(
            Slot::data(70_000, 21).kind(),
            SlotKind::Data {
                id: 70_000,
                prefix: 21
            }
        );
        assert_eq!(
            Slot::data(128, 128).kind(),
            SlotKind::Data {
                id: 128,
                prefix: 128
            }
        );
        assert_eq!(Slot::data(MAX_RECORD_IDS, 1), Slot::WALK);
    }

    #[test]
    fn merges_boundaries_of_every_source() {
        let a = [
            (0, Slot::EMPTY),
            (0x0A00_0000, Slot::data(1, 8)),
            (0x0B00_0000, Slot::EMPTY),
        ];
        let b = [
            (0, Slot::EMPTY),
            (0x0A01_0000, Slot::data(7, 16)),
            (0x0A02_0000, Slot::EMPTY),
        ];
        let (table, flattened) =
            build::<u16, _>(false, &[Given(Some(&a)), Given(Some(&b)), Given(None)]);
        assert_eq!(flattened, [true, true, false]);
        let at = |address: u32| -> Vec<SlotKind> {
            table
                .slots(u128::from(address))
                .unwrap()
                .iter()
                .map(|&s| Slot(s).kind())
                .collect()
        };
        let data = |id, prefix| SlotKind::Data { id, prefix };
        assert_eq!(
            at(0x0900_0000),
            [SlotKind::Empty, SlotKind::Empty, SlotKind::Walk]
        );
        assert_eq!(
            at(0x0A00_FFFF),
            [data(1, 8), SlotKind::Empty, SlotKind::Walk]
        );
        assert_eq!(at(0x0A01_0000), [data(1, 8), data(7, 16), SlotKind::Walk]);
        assert_eq!(at(0x0A01_FFFF), [data(1, 8), data(7, 16), SlotKind::Walk]);
        assert_eq!(
            at(0x0A02_0000),
            [data(1, 8), SlotKind::Empty, SlotKind::Walk]
        );
        assert_eq!(
            at(0x0AFF_FFFF),
            [data(1, 8), SlotKind::Empty, SlotKind::Walk]
        );
        assert_eq!(
            at(0x0B00_0000),
            [SlotKind::Empty, SlotKind::Empty, SlotKind::Walk]
        );
        assert_eq!(
            at(u32::MAX),
            [SlotKind::Empty, SlotKind::Empty, SlotKind::Walk]
        );
        assert_eq!(table.ranges(), 5);
    }

    #[test]
    fn ipv6_ranges_and_no_sources() {
        let a = [
            (0, Slot::EMPTY),
            (0x2a03_2480u128 << 96, Slot::data(3, 29)),
            ((0x2a03_2488u128) << 96, Slot::EMPTY),
        ];
        let (table, _) = build::<u128, _>(true, &[Given(Some(&a))]);
        let at = |address: u128| Slot(table.slots(address).unwrap()[0]).kind();
        assert_eq!(
            at((0x2a03_2480u128 << 96) | 1),
            SlotKind::Data { id: 3, prefix: 29 }
        );
        assert_eq!(at(0x2a03_2488u128 << 96), SlotKind::Empty);
        assert_eq!(at(0), SlotKind::Empty);
        let (none, flattened) = build::<u128, Given>(true, &[]);
        assert!(flattened.is_empty());
        assert_eq!(none.slots(5), Some(&[][..]));
    }
}
