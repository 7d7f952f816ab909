//! Every source's answer for one address, as the merged index gives it: borrowed, no allocation.

use super::answer::{Answer, Network};
use super::merged::{Slot, SlotKind};
use super::source::SourceReader;
use std::net::IpAddr;

/// Every source's answer for one address, in source order, borrowed from the loaded data (see
/// [`IpIntel::enrich`](super::IpIntel::enrich)). Answers are never merged: each source's stays
/// its own, with its own network.
#[derive(Clone, Copy)]
pub struct Enrichment<'a> {
    readers: &'a [SourceReader],
    /// The address the sources are asked about (an IPv4-mapped address as IPv4).
    address: IpAddr,
    /// One slot per source from the merged index (`None`: every source answers by its own
    /// lookup).
    slots: Option<&'a [u32]>,
}

impl<'a> Enrichment<'a> {
    pub(super) fn new(
        readers: &'a [SourceReader],
        address: IpAddr,
        slots: Option<&'a [u32]>,
    ) -> Enrichment<'a> {
        Enrichment {
            readers,
            address,
            slots,
        }
    }

    /// The number of sources (answers).
    pub fn len(&self) -> usize {
        self.readers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.readers.is_empty()
    }

    /// The answer of source `index` (in [`IpIntel::sources`](super::IpIntel::sources) order),
    /// `None` past the last source.
    #[inline]
    pub fn answer(&self, index: usize) -> Option<Answer<'a>> {
        let reader = self.readers.get(index)?;
        let slot = self
            .slots
            .and_then(|slots| slots.get(index))
            .map_or(Slot::WALK, |&s| Slot(s));
        Some(match slot.kind() {
            SlotKind::Empty => Answer::default(),
            SlotKind::Data { id, prefix } => match reader.record(id) {
                Some(data) => Answer::of(data, Network::around(self.address, prefix)),
                None => Answer::default(),
            },
            SlotKind::Walk => reader.answer(self.address),
        })
    }

    /// Every source's answer, in source order.
    pub fn answers(&self) -> impl Iterator<Item = Answer<'a>> + '_ {
        (0..self.len()).filter_map(|index| self.answer(index))
    }
}
