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
//! start in that block, and searches them; each range's start sits beside its tuple, so the
//! line that settles the range also holds its slots (the layout: `range_table.rs`). Written here
//! rather than taken from a crate: what is searched is this tuple layout, and the lookup is a
//! few lines over plain arrays.

use super::range_table::{BUCKET_BITS, RangeTable};

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

/// Bytes of keys above which a block gets a fine table: bisecting more would read more than a
/// few cache lines, one miss after another (IPv6 puts up to 100 000 ranges in one block).
const FINE_ABOVE_BYTES: usize = 512;

/// Ranges per part a fine table aims at (its parts are `2^bits`, at most `2^16`).
const FINE_RANGES_PER_PART: usize = 4;
const FINE_MAX_BITS: u32 = 16;

/// How the starts of ranges are kept: all of them in the block's low bits for IPv4 (`u16`), the
/// whole address for IPv6.
pub trait Key: Copy + Ord {
    /// Bits in the family's addresses.
    const BITS: u32;
    /// `u32` words a start takes in the table's entries, low word first.
    const WORDS: usize;
    /// The start at the head of an entry (`None`: too short).
    fn read(entry: &[u32]) -> Option<u128>;
    fn low(start: u128) -> Self;
    /// The start again, from the key and the start of its block.
    fn start(self, block_start: u128) -> u128;
}

impl Key for u16 {
    const BITS: u32 = 32;
    const WORDS: usize = 1;
    #[inline(always)]
    fn read(entry: &[u32]) -> Option<u128> {
        entry.first().map(|&w| u128::from(w))
    }
    fn low(start: u128) -> u16 {
        start as u16
    }
    fn start(self, block_start: u128) -> u128 {
        block_start | u128::from(self)
    }
}

impl Key for u128 {
    const BITS: u32 = 128;
    const WORDS: usize = 4;
    #[inline(always)]
    fn read(entry: &[u32]) -> Option<u128> {
        let &[w0, w1, w2, w3, ..] = entry else {
            return None;
        };
        Some(u128::from(w0) | u128::from(w1) << 32 | u128::from(w2) << 64 | u128::from(w3) << 96)
    }
    fn low(start: u128) -> u128 {
        start
    }
    fn start(self, _block_start: u128) -> u128 {
        self
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
    let mut builder = Builder::<K>::new(sources.len());
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
    width: usize,
    blocks: Vec<u32>,
    keys: Vec<K>,
    slots: Vec<u32>,
}

impl<K: Key> Builder<K> {
    fn new(width: usize) -> Builder<K> {
        Builder {
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
        let Ok(block) = usize::try_from(start >> (K::BITS - BUCKET_BITS)) else {
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
        let (fine_of, fine) = self.fine_tables();
        RangeTable::new(
            self.width,
            &self.blocks,
            &fine_of,
            fine,
            &self.keys,
            &self.slots,
        )
    }
}

impl<K: Key> Builder<K> {
    /// The fine tables of the blocks whose keys take more than [`FINE_ABOVE_BYTES`]: per block
    /// its entry (`offset << 5 | bits`, 0 for none), and the tables. Their entries number under
    /// half the ranges plus one per such block (a part for every two ranges at most).
    fn fine_tables(&self) -> (Vec<u32>, Vec<u32>) {
        let mut fine_of = Vec::new();
        let mut fine = Vec::new();
        let block_shift = K::BITS - BUCKET_BITS;
        for (block, bounds) in self.blocks.windows(2).enumerate() {
            let (first, end) = (bounds[0] as usize, bounds[1] as usize);
            let Some(keys) = self.keys.get(first..end) else {
                continue;
            };
            if std::mem::size_of_val(keys) <= FINE_ABOVE_BYTES {
                continue;
            }
            let bits = (keys.len() / FINE_RANGES_PER_PART)
                .ilog2()
                .clamp(1, FINE_MAX_BITS.min(block_shift));
            let Ok(entry) = u32::try_from(fine.len() << 5 | bits as usize) else {
                break;
            };
            if fine_of.is_empty() {
                fine_of.resize(1 << BUCKET_BITS, 0);
            }
            if let Some(slot) = fine_of.get_mut(block) {
                *slot = entry;
            }
            let block_start = (block as u128) << block_shift;
            let part_shift = block_shift - bits;
            let mask = (1u128 << bits) - 1;
            let mut at = 0;
            for part in 0..=mask {
                while keys
                    .get(at)
                    .is_some_and(|k| (k.start(block_start) >> part_shift) & mask < part)
                {
                    at += 1;
                }
                fine.push((first + at) as u32);
            }
            fine.push(bounds[1]);
        }
        (fine_of, fine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipdata::range_table::Probe;

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

    /// The table's answer for `address` is the last of `starts` at or before it.
    fn check<K: Key>(table: &RangeTable<K>, starts: &[u128], address: u128) {
        let expected = Slot::data(starts.partition_point(|&s| s <= address) - 1, 7);
        assert_eq!(
            table.slots(address).map(|s| Slot(s[0])),
            Some(expected),
            "{address:#x}"
        );
    }

    /// Blocks crowded enough for fine tables (IPv4 and IPv6, ranges bunched in parts and parts
    /// left empty) answer as the last range starting at or before the address.
    #[test]
    fn crowded_blocks_answer_through_their_fine_tables() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for (v6, bits, count) in [(false, 32, 3_000), (true, 128, 400), (true, 128, 40_000)] {
            let block = 0x2a03u128 << (bits - BUCKET_BITS);
            let spread = |r: u64| -> u128 {
                // Half the starts bunched in the block's first 1/256th, the rest anywhere in it.
                let low = u128::from(r) << (bits - BUCKET_BITS).saturating_sub(64);
                let low = low & ((1u128 << (bits - BUCKET_BITS)) - 1);
                if r.is_multiple_of(2) { low >> 8 } else { low }
            };
            let mut starts: Vec<u128> = (0..count).map(|_| block | spread(next())).collect();
            starts.extend([0, block, block - 1, block + (1 << (bits - BUCKET_BITS))]);
            starts.sort_unstable();
            starts.dedup();
            let ranges: Vec<(u128, Slot)> = starts
                .iter()
                .enumerate()
                .map(|(i, &start)| (start, Slot::data(i, 7)))
                .collect();
            let mut probes: Vec<u128> = starts
                .iter()
                .flat_map(|&s| [s, s.saturating_sub(1), s + 1])
                .collect();
            probes.extend((0..20_000).map(|_| block | spread(next())));
            if v6 {
                let (table, _) = build::<u128, _>(true, &[Given(Some(&ranges))]);
                assert!(table.has_fine_tables());
                probes.iter().for_each(|&a| check(&table, &starts, a));
            } else {
                let (table, _) = build::<u16, _>(false, &[Given(Some(&ranges))]);
                assert!(table.has_fine_tables());
                probes.iter().for_each(|&a| check(&table, &starts, a));
            }
        }
    }

    /// Every source's slots for `address` through the table and through the batch steps name
    /// the last of `starts` at or before it (each source `s` numbers its ranges from `s`).
    fn check_all<K: Key>(table: &RangeTable<K>, starts: &[u128], address: u128) {
        let range = starts.partition_point(|&s| s <= address) - 1;
        let expected: Vec<u32> = (0..table_width(table))
            .map(|source| Slot::data(range + source, 7).0)
            .collect();
        assert_eq!(table.slots(address), Some(&expected[..]), "{address:#x}");
        let mut probe = Probe::new(address);
        table.start(&probe);
        table.find_block(&mut probe);
        table.find_part(&mut probe);
        table.find_group(&mut probe);
        table.find_range(&mut probe);
        assert_eq!(table.slots_of(&probe), Some(&expected[..]), "{address:#x}");
    }

    /// The starts once each (the table opens with an empty range at 0 before the sources'
    /// first range there).
    fn deduplicated(mut starts: Vec<u128>) -> Vec<u128> {
        starts.dedup();
        starts
    }

    fn table_width<K: Key>(table: &RangeTable<K>) -> usize {
        table.slots(0).map_or(0, <[u32]>::len)
    }

    /// Blocks holding every number of ranges from none to a few hundred, one after another, so
    /// groups of entries open at every offset from a block's first range; with one, three and
    /// five sources (entries of 2 to 9 words, groups of 1 to 4 ranges), for IPv4 and IPv6. Each
    /// range's start, the addresses either side of it, the blocks' first and last addresses and
    /// the family's last address answer as the last range starting at or before them.
    #[test]
    fn every_block_size_and_group_offset_answers() {
        for v6 in [false, true] {
            let bits = if v6 { 128 } else { 32 };
            let block = |b: u128| b << (bits - BUCKET_BITS);
            let mut starts = vec![0u128];
            let mut next_block = 1u128;
            for count in (0..=20).chain([63, 64, 65, 200, 257, 300]) {
                let first = block(next_block);
                // Spread over the block, the first one at its very start every other time.
                let step = (block(1) - 1) / (count as u128 + 1);
                let skip = u128::from(count % 2 == 1);
                starts.extend((0..count as u128).map(|i| first + (i + skip) * step));
                next_block += 1;
            }
            let last = if v6 { u128::MAX } else { u128::from(u32::MAX) };
            starts.push(last);
            starts.sort_unstable();
            starts.dedup();
            let mut probes: Vec<u128> = starts
                .iter()
                .flat_map(|&s| [s, s.saturating_sub(1), s.saturating_add(1).min(last)])
                .collect();
            probes.extend((0..=next_block + 1).flat_map(|b| [block(b), block(b + 1) - 1]));
            for width in [1, 3, 5] {
                let sources: Vec<Vec<(u128, Slot)>> = (0..width)
                    .map(|source| {
                        (starts.iter().enumerate())
                            .map(|(i, &start)| (start, Slot::data(i + source, 7)))
                            .collect()
                    })
                    .collect();
                let given: Vec<Given<'_>> = sources.iter().map(|s| Given(Some(s))).collect();
                if v6 {
                    let (table, _) = build::<u128, _>(true, &given);
                    assert_eq!(deduplicated(table.starts()), starts);
                    probes.iter().for_each(|&a| check_all(&table, &starts, a));
                } else {
                    let (table, _) = build::<u16, _>(false, &given);
                    assert_eq!(deduplicated(table.starts()), starts);
                    assert!(table.has_fine_tables());
                    probes.iter().for_each(|&a| check_all(&table, &starts, a));
                }
            }
        }
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
