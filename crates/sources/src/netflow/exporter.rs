//! What options records teach about an exporter's observation domain: its sampling rates
//! (a default, and one per sampler or selector id) and its system init time (the base of IPFIX
//! uptime-relative flow times). Bounded per domain and in the number of domains.

use super::fields::Slot;
use super::record::Values;
use foldhash::HashMap;
use ringfence_model::Timestamp;
use std::collections::VecDeque;
use std::net::IpAddr;

/// Samplers remembered per observation domain (routers have a handful).
const MAX_SAMPLERS: usize = 64;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DomainState {
    /// The rate announced without a sampler id: it applies to every flow of the domain.
    pub default_sampling: Option<u32>,
    /// Rates by samplerId / selectorId, oldest first.
    pub samplers: Vec<(u64, u32)>,
    pub system_init: Option<Timestamp>,
}

impl DomainState {
    /// The rate for a flow that names `sampler` (or none).
    pub fn sampling_for(&self, sampler: Option<u64>) -> Option<u32> {
        sampler
            .and_then(|id| {
                self.samplers
                    .iter()
                    .find(|(known, _)| *known == id)
                    .map(|(_, rate)| *rate)
            })
            .or(self.default_sampling)
    }

    /// Learns from one options data record.
    pub fn learn(&mut self, values: &Values) {
        if let Some(ms) = values.get(Slot::SystemInitMillis) {
            let nanos = i64::try_from(ms)
                .unwrap_or(i64::MAX)
                .saturating_mul(1_000_000);
            self.system_init = Some(Timestamp(nanos));
        }
        let Some(rate) = values.own_sampling() else {
            return;
        };
        match values.sampler() {
            Some(id) => {
                if let Some(entry) = self.samplers.iter_mut().find(|(known, _)| *known == id) {
                    entry.1 = rate;
                } else {
                    if self.samplers.len() >= MAX_SAMPLERS {
                        self.samplers.remove(0);
                    }
                    self.samplers.push((id, rate));
                }
            }
            None => self.default_sampling = Some(rate),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DomainKey {
    pub exporter: IpAddr,
    pub domain: u32,
}

/// Observation domains' states, at most `capacity` of them (the oldest is forgotten first).
#[derive(Clone)]
pub struct Domains {
    map: HashMap<DomainKey, DomainState>,
    order: VecDeque<DomainKey>,
    capacity: usize,
    pub evicted: u64,
}

impl Domains {
    pub fn new(capacity: usize) -> Domains {
        Domains {
            map: HashMap::default(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            evicted: 0,
        }
    }

    pub fn get(&self, key: &DomainKey) -> Option<&DomainState> {
        self.map.get(key)
    }

    pub fn entry(&mut self, key: DomainKey) -> &mut DomainState {
        if !self.map.contains_key(&key) {
            while self.map.len() >= self.capacity {
                let Some(old) = self.order.pop_front() else {
                    break;
                };
                if self.map.remove(&old).is_some() {
                    self.evicted += 1;
                }
            }
            self.order.push_back(key);
        }
        self.map.entry(key).or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samplers_by_id_and_a_default() {
        let mut state = DomainState::default();
        let mut v = Values::default();
        v.set(Slot::SamplerId, &[7]);
        v.set(Slot::SamplerRandomInterval, &[0, 100]);
        state.learn(&v);
        v.clear();
        v.set(Slot::SamplingInterval, &[0, 0, 3, 0xe8]);
        state.learn(&v);
        assert_eq!(state.sampling_for(Some(7)), Some(100));
        assert_eq!(state.sampling_for(Some(8)), Some(1000));
        assert_eq!(state.sampling_for(None), Some(1000));
        for id in 0..200u8 {
            v.clear();
            v.set(Slot::SamplerId, &[id]);
            v.set(Slot::SamplerRandomInterval, &[2]);
            state.learn(&v);
        }
        assert_eq!(state.samplers.len(), MAX_SAMPLERS);
    }

    #[test]
    fn domains_are_bounded() {
        let mut domains = Domains::new(3);
        for d in 0..10 {
            domains.entry(DomainKey {
                exporter: "192.0.2.1".parse().unwrap(),
                domain: d,
            });
        }
        assert_eq!(domains.map.len(), 3);
        assert_eq!(domains.evicted, 7);
    }
}
