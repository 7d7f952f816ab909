//! [`IpIntel::enrich_many`](super::IpIntel::enrich_many): the lookups of a batch of addresses
//! taken step by step, each step for every address of the batch before the next. A lookup is a
//! chain of dependent memory reads (the block entry, the keys, the slots, the records), each a
//! cache miss into an index of tens of MiB; one after another, every miss is waited for alone.
//! Here each step ends by starting the fetch of what the next step reads (a prefetch), so the
//! batch's misses of one step are in flight together and the next step finds its lines arriving.

use super::answer::Answer;
use super::enrichment::Enrichment;
use super::intel::{ENRICH_BATCH, lookup_address};
use super::merged::{Probe, RangeTable, Slot, SlotKind};
use super::source::SourceReader;
use std::net::IpAddr;

/// What a lookup reads: both families' merged tables and the sources.
#[derive(Clone, Copy)]
pub struct Index<'a> {
    pub v4: &'a RangeTable<u16>,
    pub v6: &'a RangeTable<u128>,
    pub readers: &'a [SourceReader],
}

/// One address of a batch and how far its lookup has come.
#[derive(Clone, Copy)]
struct Pending {
    /// The address the sources are asked about (an IPv4-mapped address as IPv4).
    address: IpAddr,
    probe: Probe,
}

impl Pending {
    fn new(address: IpAddr) -> Pending {
        let address = lookup_address(address);
        let key = match address {
            IpAddr::V4(v4) => u128::from(u32::from(v4)),
            IpAddr::V6(v6) => u128::from(v6),
        };
        Pending {
            address,
            probe: Probe::new(key),
        }
    }
}

impl<'a> Index<'a> {
    /// See [`IpIntel::enrich_many`](super::IpIntel::enrich_many).
    pub fn enrich_many(&self, addresses: &[IpAddr], out: &mut Vec<Answer<'a>>) {
        let width = self.readers.len();
        out.clear();
        out.resize(addresses.len().saturating_mul(width), Answer::default());
        let mut pending = [Pending::new(IpAddr::from([0u8; 4])); ENRICH_BATCH];
        let mut found: [Option<Enrichment<'a>>; ENRICH_BATCH] = [None; ENRICH_BATCH];
        for (chunk, answers) in addresses
            .chunks(ENRICH_BATCH)
            .zip(out.chunks_mut(ENRICH_BATCH * width.max(1)))
        {
            let pending = &mut pending[..chunk.len()];
            let found = &mut found[..chunk.len()];
            for (pending, &address) in pending.iter_mut().zip(chunk) {
                *pending = Pending::new(address);
                self.start(pending);
            }
            for pending in pending.iter_mut() {
                self.find_block(pending);
            }
            for pending in pending.iter_mut() {
                self.find_part(pending);
            }
            for pending in pending.iter_mut() {
                self.find_range(pending);
            }
            for (found, pending) in found.iter_mut().zip(pending.iter()) {
                let slots = self.slots(pending);
                for (reader, &slot) in self.readers.iter().zip(slots.unwrap_or_default()) {
                    if let SlotKind::Data { id, .. } = Slot(slot).kind() {
                        reader.prefetch_record(id);
                    }
                }
                *found = Some(Enrichment::new(self.readers, pending.address, slots));
            }
            let answers = answers.chunks_mut(width.max(1));
            for (enrichment, answers) in found.iter().flatten().zip(answers) {
                for (index, answer) in answers.iter_mut().enumerate() {
                    enrichment.answer_into(index, answer);
                }
            }
        }
    }

    #[inline]
    fn start(&self, pending: &Pending) {
        match pending.address {
            IpAddr::V4(_) => self.v4.start(&pending.probe),
            IpAddr::V6(_) => self.v6.start(&pending.probe),
        }
    }

    #[inline]
    fn find_block(&self, pending: &mut Pending) {
        match pending.address {
            IpAddr::V4(_) => self.v4.find_block(&mut pending.probe),
            IpAddr::V6(_) => self.v6.find_block(&mut pending.probe),
        }
    }

    #[inline]
    fn find_part(&self, pending: &mut Pending) {
        match pending.address {
            IpAddr::V4(_) => self.v4.find_part(&mut pending.probe),
            IpAddr::V6(_) => self.v6.find_part(&mut pending.probe),
        }
    }

    #[inline]
    fn find_range(&self, pending: &mut Pending) {
        match pending.address {
            IpAddr::V4(_) => self.v4.find_range(&mut pending.probe),
            IpAddr::V6(_) => self.v6.find_range(&mut pending.probe),
        }
    }

    #[inline]
    fn slots(&self, pending: &Pending) -> Option<&'a [u32]> {
        match pending.address {
            IpAddr::V4(_) => self.v4.slots_of(&pending.probe),
            IpAddr::V6(_) => self.v6.slots_of(&pending.probe),
        }
    }
}
