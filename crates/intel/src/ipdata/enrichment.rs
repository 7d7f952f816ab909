//! Every source's answer for one address, as the merged index gives it: borrowed, no allocation.

use super::answer::{Answer, Network};
use super::merged::{Slot, SlotKind};
use super::source::SourceReader;
use std::borrow::Cow;
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
    #[inline(always)]
    pub fn answer(&self, index: usize) -> Option<Answer<'a>> {
        let reader = self.readers.get(index)?;
        let mut answer = Answer::default();
        self.write_answer(reader, index, &mut answer);
        Some(answer)
    }

    /// Writes the answer of source `index` into `out` (left as it is past the last source).
    #[inline(always)]
    pub(super) fn answer_into(&self, index: usize, out: &mut Answer<'a>) {
        if let Some(reader) = self.readers.get(index) {
            self.write_answer(reader, index, out);
        }
    }

    /// Field by field into its place: an answer built whole and then moved costs more than the
    /// lookup (the move's wide loads wait for the narrow stores that built it to complete).
    #[inline(always)]
    fn write_answer(&self, reader: &'a SourceReader, index: usize, out: &mut Answer<'a>) {
        let slot = self
            .slots
            .and_then(|slots| slots.get(index))
            .map_or(Slot::WALK, |&s| Slot(s));
        match slot.kind() {
            SlotKind::Data { id, prefix } => match reader.record(id) {
                Some(data) => {
                    out.country = data.country;
                    out.asn = data.asn;
                    out.organisation = data.organisation.as_deref().map(Cow::Borrowed);
                    out.network = Some(Network::around(self.address, prefix));
                }
                None => *out = Answer::default(),
            },
            SlotKind::Empty => *out = Answer::default(),
            SlotKind::Walk => *out = reader.answer(self.address),
        }
    }

    /// Every source's answer, in source order.
    #[inline]
    pub fn answers(&self) -> Answers<'a> {
        Answers {
            enrichment: *self,
            next: 0,
        }
    }
}

/// Every source's answer for one address, in source order ([`Enrichment::answers`]).
pub struct Answers<'a> {
    enrichment: Enrichment<'a>,
    next: usize,
}

impl<'a> Iterator for Answers<'a> {
    type Item = Answer<'a>;

    #[inline]
    fn next(&mut self) -> Option<Answer<'a>> {
        let answer = self.enrichment.answer(self.next)?;
        self.next += 1;
        Some(answer)
    }
}
