//! [`IpIntel::enrich_many`](super::IpIntel::enrich_many): the lookups of a batch of addresses
//! taken step by step, each step for every address of the batch before the next. A lookup is a
//! chain of dependent memory reads (the block entry, the samples, the entries, the records),
//! each a cache miss into an index of tens of MiB; one after another, every miss is waited for
//! alone. Here each step ends by starting the fetch of what the next step reads (a prefetch), so
//! the batch's misses of one step are in flight together and the next step finds its lines
//! arriving. The batch's IPv4 and IPv6 addresses are looked up as two lists, so no step asks
//! each address its family again; each step is taken for both lists before the next (a step
//! over the few IPv6 lookups alone would use its fetches before they arrive: 3 to 10 % slower).

use super::answer::Answer;
use super::enrichment::Enrichment;
use super::intel::{ENRICH_BATCH, lookup_address};
use super::merged::{Key, Slot, SlotKind};
use super::range_table::{Probe, RangeTable};
use super::source::SourceReader;
use std::net::IpAddr;

/// What a lookup reads: both families' merged tables and the sources.
#[derive(Clone, Copy)]
pub struct Index<'a> {
    pub v4: &'a RangeTable<u16>,
    pub v6: &'a RangeTable<u128>,
    pub readers: &'a [SourceReader],
}

/// The lookups of one family in a batch: each probe and the place of its address in the batch.
struct Family {
    probes: [Probe; ENRICH_BATCH],
    places: [usize; ENRICH_BATCH],
    len: usize,
}

impl Family {
    fn new() -> Family {
        Family {
            probes: [Probe::new(0); ENRICH_BATCH],
            places: [0; ENRICH_BATCH],
            len: 0,
        }
    }

    fn push(&mut self, place: usize, address: u128) {
        if let (Some(probe), Some(at)) =
            (self.probes.get_mut(self.len), self.places.get_mut(self.len))
        {
            *probe = Probe::new(address);
            *at = place;
            self.len += 1;
        }
    }

    /// Takes one step of every lookup.
    fn step(&mut self, step: impl Fn(&mut Probe)) {
        self.probes
            .get_mut(..self.len)
            .unwrap_or_default()
            .iter_mut()
            .for_each(step);
    }

    /// Gives each lookup its slots (by place), starts fetching their records and empties the
    /// list for the next batch.
    fn slots<'a, K: Key>(
        &mut self,
        table: &'a RangeTable<K>,
        readers: &[SourceReader],
        slots: &mut [Option<&'a [u32]>],
    ) {
        let probes = self.probes.get(..self.len).unwrap_or_default();
        for (probe, &place) in probes.iter().zip(&self.places) {
            let found = table.slots_of(probe);
            for (reader, &slot) in readers.iter().zip(found.unwrap_or_default()) {
                if let SlotKind::Data { id, .. } = Slot(slot).kind() {
                    reader.prefetch_record(id);
                }
            }
            if let Some(slots) = slots.get_mut(place) {
                *slots = found;
            }
        }
        self.len = 0;
    }
}

impl<'a> Index<'a> {
    /// See [`IpIntel::enrich_many`](super::IpIntel::enrich_many).
    pub fn enrich_many(&self, addresses: &[IpAddr], out: &mut Vec<Answer<'a>>) {
        let width = self.readers.len();
        // Every answer is written whole below: the answers already there are overwritten in
        // place rather than first reset.
        let len = addresses.len().saturating_mul(width);
        out.truncate(len);
        out.resize(len, Answer::default());
        let (mut v4, mut v6) = (Family::new(), Family::new());
        let mut lookups = [IpAddr::from([0u8; 4]); ENRICH_BATCH];
        let mut slots: [Option<&'a [u32]>; ENRICH_BATCH] = [None; ENRICH_BATCH];
        for (chunk, answers) in addresses
            .chunks(ENRICH_BATCH)
            .zip(out.chunks_mut(ENRICH_BATCH * width.max(1)))
        {
            for (place, (lookup, &address)) in lookups.iter_mut().zip(chunk).enumerate() {
                *lookup = lookup_address(address);
                match *lookup {
                    IpAddr::V4(a) => v4.push(place, u128::from(u32::from(a))),
                    IpAddr::V6(a) => v6.push(place, u128::from(a)),
                }
            }
            // Each step for both families before the next, so the few IPv6 lookups of a batch
            // have the IPv4 ones' time for their fetches to arrive.
            let (t4, t6) = (self.v4, self.v6);
            v4.step(|probe| t4.start(probe));
            v6.step(|probe| t6.start(probe));
            v4.step(|probe| t4.find_block(probe));
            v6.step(|probe| t6.find_block(probe));
            v4.step(|probe| t4.find_part(probe));
            v6.step(|probe| t6.find_part(probe));
            v4.step(|probe| t4.find_group(probe));
            v6.step(|probe| t6.find_group(probe));
            v4.step(|probe| t4.find_range(probe));
            v6.step(|probe| t6.find_range(probe));
            v4.slots(t4, self.readers, &mut slots);
            v6.slots(t6, self.readers, &mut slots);
            let answers = answers.chunks_mut(width.max(1));
            for ((&lookup, &slots), answers) in lookups.iter().zip(&slots).zip(answers) {
                let enrichment = Enrichment::new(self.readers, lookup, slots);
                for (index, answer) in answers.iter_mut().enumerate() {
                    enrichment.answer_into(index, answer);
                }
            }
        }
    }
}
