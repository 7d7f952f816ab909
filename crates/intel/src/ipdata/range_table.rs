//! The layout of one family's merged ranges and the lookup over it (built by `merged.rs`).
//!
//! A lookup is a chain of dependent memory reads into tens of MiB, each a likely cache miss,
//! so the layout is shaped to make the chain short and each step one or two cache lines:
//!
//! - `blocks`: per block of the top 16 address bits, the first range starting in it and its fine
//!   table if it has one, side by side (one line for both).
//! - `fine`: for blocks crowded with ranges, the first range starting in each part of the block
//!   on the next address bits, so few ranges are left to search.
//! - `entries`: per range, its start and its slot per source, side by side: the line that says
//!   which range holds the address also holds that range's slots. Entries start on a 64-byte
//!   boundary, so with IPv4 and three sources (16 bytes each) a group of four is one line.
//! - `samples`: the start of every range opening a group, for bisecting a block or part with
//!   more ranges than a group; the group it names is then read alone.
//!
//! So a lookup reads: the block's pair, the fine table's entry (crowded blocks only), the
//! samples (blocks or parts of more than a group only), then one or two lines of entries, which
//! hold the slots.

use super::merged::Key;
use super::prefetch::prefetch;

/// Bits of the address that pick a block in the direct table.
pub const BUCKET_BITS: u32 = 16;

/// `u32` words in a cache line.
const LINE_WORDS: usize = 16;

/// Ranges per group at most: the entries left to read after the samples, a cache line's worth.
const MAX_GROUP: usize = 4;

/// One family's merged ranges.
pub struct RangeTable<K> {
    /// `blocks[b]`: the first range starting at or after block `b`, and the block's fine table
    /// if it has one (`offset << 5 | bits`: the block cut into `2^bits` parts on the address
    /// bits after the block's), else 0. `blocks[2^16]` is `[count, 0]`.
    blocks: Box<[[u32; 2]]>,
    /// The fine tables, each `2^bits + 1` entries from its offset: the first range starting at
    /// or after each part, then the block's end.
    fine: Box<[u32]>,
    /// `samples[g]`: the start of range `g << group_shift` (IPv4 keeps only its low 16 bits).
    samples: Box<[K]>,
    /// From word `base` (on a 64-byte boundary), `stride` words per range: its start
    /// (`K::WORDS` words, low word first) and then its `width` slots.
    entries: Box<[u32]>,
    base: usize,
    stride: usize,
    width: usize,
    /// Ranges per group (`1 << group_shift`): as many entries as a cache line holds, at most
    /// [`MAX_GROUP`].
    group_shift: u32,
    ranges: usize,
}

impl<K: Key> RangeTable<K> {
    /// Lays out the ranges: `firsts[b]` is the first range starting at or after block `b` (one
    /// per block and the count), `fine_of` and `fine` the fine tables (`fine_of` empty when no
    /// block has one), `keys` the ranges' starts in `K` form, `slots` their `width` slots each.
    pub(super) fn new(
        width: usize,
        firsts: &[u32],
        fine_of: &[u32],
        fine: Vec<u32>,
        keys: &[K],
        slots: &[u32],
    ) -> RangeTable<K> {
        let blocks = firsts
            .iter()
            .enumerate()
            .map(|(block, &first)| [first, fine_of.get(block).copied().unwrap_or(0)])
            .collect();
        let stride = K::WORDS + width;
        let group_shift = (LINE_WORDS / stride).clamp(1, MAX_GROUP).ilog2();
        let samples = keys.iter().step_by(1 << group_shift).copied().collect();
        // Room to start the entries on a line boundary whatever the allocation's alignment.
        let mut entries = vec![0u32; keys.len() * stride + LINE_WORDS - 1].into_boxed_slice();
        let base = (entries.as_ptr().addr().wrapping_neg() % 64) / 4;
        let shift = K::BITS - BUCKET_BITS;
        let starts = firsts.windows(2).enumerate().flat_map(|(block, bounds)| {
            let keys = keys
                .get(bounds[0] as usize..bounds[1] as usize)
                .unwrap_or_default();
            keys.iter().map(move |k| k.start((block as u128) << shift))
        });
        let rows = entries
            .get_mut(base..)
            .unwrap_or_default()
            .chunks_mut(stride);
        for (range, (row, start)) in rows.zip(starts).enumerate() {
            let (key, row_slots) = row.split_at_mut(K::WORDS.min(row.len()));
            for (i, word) in key.iter_mut().enumerate() {
                *word = (start >> (32 * i)) as u32;
            }
            let tuple = slots.get(range * width..(range + 1) * width);
            for (word, &slot) in row_slots.iter_mut().zip(tuple.unwrap_or_default()) {
                *word = slot;
            }
        }
        RangeTable {
            blocks,
            fine: fine.into_boxed_slice(),
            samples,
            entries,
            base,
            stride,
            width,
            group_shift,
            ranges: keys.len(),
        }
    }

    /// The slots of every source for `address` (the family's bits, right-aligned).
    #[inline]
    pub fn slots(&self, address: u128) -> Option<&[u32]> {
        let mut probe = Probe::new(address);
        self.find_block(&mut probe);
        self.find_part(&mut probe);
        self.find_group(&mut probe);
        self.find_range(&mut probe);
        self.slots_of(&probe)
    }

    /// The first step of a lookup in steps ([`Probe`]): starts fetching the block's entries.
    #[inline]
    pub fn start(&self, probe: &Probe) {
        prefetch(self.blocks.get(self.block(probe.address)));
    }

    /// Reads the block's entries: the ranges starting in the block, or where its fine table's
    /// entry for the address is. Starts fetching what the next step reads.
    #[inline]
    pub fn find_block(&self, probe: &mut Probe) {
        let block = self.block(probe.address);
        let end = block.checked_add(1).and_then(|next| self.blocks.get(next));
        probe.found = match (self.blocks.get(block), end) {
            (Some(&[_, fine]), _) if fine != 0 => {
                let bits = fine & 31;
                let part =
                    (probe.address >> (K::BITS - BUCKET_BITS - bits)) as usize & ((1 << bits) - 1);
                let at = (fine >> 5) as usize + part;
                prefetch(self.fine.get(at));
                Found::Part(at)
            }
            (Some(&[first, _]), Some(&[end, _])) => self.candidates(first, end),
            _ => Found::Nothing,
        };
    }

    /// Reads the fine table's entry, if the block has one: the ranges starting in the
    /// address's part of the block.
    #[inline]
    pub fn find_part(&self, probe: &mut Probe) {
        if let Found::Part(at) = probe.found {
            probe.found = match (self.fine.get(at), self.fine.get(at + 1)) {
                (Some(&first), Some(&end)) => self.candidates(first, end),
                _ => Found::Nothing,
            };
        }
    }

    /// The ranges `first..end` start in the address's block (or part): a group's worth are
    /// read directly, more are first narrowed to one group through the samples. Starts
    /// fetching what the next step reads.
    #[inline]
    fn candidates(&self, first: u32, end: u32) -> Found {
        let (first, end) = (first as usize, end as usize);
        if end.saturating_sub(first) <= 1 << self.group_shift {
            return self.entries_from(first.saturating_sub(1), end);
        }
        let (low, high) = self.samples_within(first, end);
        prefetch(self.samples.get(low + (high - low) / 2));
        Found::Candidates(first, end)
    }

    /// The samples of the groups opening within ranges `first..end` (`first < end`).
    #[inline]
    fn samples_within(&self, first: usize, end: usize) -> (usize, usize) {
        let group = 1 << self.group_shift;
        (first.div_ceil(group), end.div_ceil(group))
    }

    /// The range holding the address is the last of `from..end` starting at or before it:
    /// starts fetching their entries (one or two lines: a group and the range before it).
    #[inline]
    fn entries_from(&self, from: usize, end: usize) -> Found {
        // Word offsets from `base`, which is on a line boundary: a line is 16 of them.
        let first_word = from.wrapping_mul(self.stride);
        let last_word = end.wrapping_mul(self.stride).wrapping_sub(1);
        prefetch(self.entries.get(self.base.wrapping_add(first_word)));
        if last_word / LINE_WORDS != first_word / LINE_WORDS {
            prefetch(self.entries.get(self.base.wrapping_add(last_word)));
        }
        Found::Entries(from, end)
    }

    /// Narrows more than a group of candidates to one group by bisecting the samples, and
    /// starts fetching its entries.
    #[inline]
    pub fn find_group(&self, probe: &mut Probe) {
        let Found::Candidates(first, end) = probe.found else {
            return;
        };
        let (low, high) = self.samples_within(first, end);
        let key = K::low(probe.address);
        let opened = self
            .samples
            .get(low..high)
            .map(|samples| samples.partition_point(|&k| k <= key));
        probe.found = match opened {
            // Before the first group opening here: the ranges ahead of it, or the one before
            // them all.
            Some(0) => {
                let end = end.min(low << self.group_shift);
                self.entries_from(first.saturating_sub(1), end)
            }
            Some(opened) => {
                let group = (low + opened - 1) << self.group_shift;
                self.entries_from(group, end.min(group + (1 << self.group_shift)))
            }
            None => Found::Nothing,
        };
    }

    /// Reads the entries left: the last starting at or before the address is its range.
    #[inline]
    pub fn find_range(&self, probe: &mut Probe) {
        let Found::Entries(from, end) = probe.found else {
            return;
        };
        // The first of them starts at or before the address (it is the range before the block
        // or part, or the group the samples named); the others are in order: counting those at
        // or before the address finds the last one. Always `MAX_GROUP` steps, those past `end`
        // reading the last entry again and not counted, so the loop unrolls and takes no branch
        // that depends on the data.
        let row = |range: usize| self.base.wrapping_add(range.wrapping_mul(self.stride));
        let last_row = row(end.wrapping_sub(1));
        let mut next_row = row(from);
        let mut after_first = 0;
        for _ in 0..MAX_GROUP {
            next_row = next_row.wrapping_add(self.stride);
            let start = self.entries.get(next_row.min(last_row)..).and_then(K::read);
            after_first +=
                usize::from(next_row <= last_row && start.is_some_and(|s| s <= probe.address));
        }
        probe.found = if from < end {
            Found::Range(from + after_first)
        } else {
            Found::Nothing
        };
    }

    /// The entry of `range`, and the words after it.
    #[inline(always)]
    fn entry(&self, range: usize) -> Option<&[u32]> {
        self.entries
            .get(self.base.checked_add(range.checked_mul(self.stride)?)?..)
    }

    /// The slots of the range the probe found.
    #[inline]
    pub fn slots_of(&self, probe: &Probe) -> Option<&[u32]> {
        let Found::Range(range) = probe.found else {
            return None;
        };
        self.entry(range)?
            .get(K::WORDS..K::WORDS.checked_add(self.width)?)
    }

    /// The block of `address` in the direct table (below 2^16 for an address of the family).
    #[inline]
    fn block(&self, address: u128) -> usize {
        usize::try_from(address >> (K::BITS - BUCKET_BITS)).unwrap_or(usize::MAX)
    }

    pub fn ranges(&self) -> usize {
        self.ranges
    }

    /// Whether some block has a fine table.
    #[cfg(test)]
    pub fn has_fine_tables(&self) -> bool {
        !self.fine.is_empty()
    }

    /// The first address of every range, in order.
    #[cfg(test)]
    pub fn starts(&self) -> Vec<u128> {
        (0..self.ranges)
            .filter_map(|range| self.entry(range).and_then(K::read))
            .collect()
    }

    pub fn bytes(&self) -> usize {
        std::mem::size_of_val(&*self.blocks)
            + std::mem::size_of_val(&*self.fine)
            + std::mem::size_of_val(&*self.samples)
            + std::mem::size_of_val(&*self.entries)
    }
}

/// One lookup in a [`RangeTable`] taken in steps (`start`, `find_block`, `find_part`,
/// `find_group`, `find_range`, `slots_of`), so a batch can take each step for all its addresses
/// before the next: every step starts fetching what the next one reads, and the fetches of the
/// batch overlap.
#[derive(Clone, Copy, Debug)]
pub struct Probe {
    address: u128,
    found: Found,
}

#[derive(Clone, Copy, Debug)]
enum Found {
    /// Not looked up yet, or outside the table.
    Nothing,
    /// The address's block has a fine table; its entry for the address is `fine[at]`.
    Part(usize),
    /// More than a group of ranges, `first..end`, start in the address's block (or part).
    Candidates(usize, usize),
    /// The range holding the address is the last of `from..end` starting at or before it.
    Entries(usize, usize),
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
