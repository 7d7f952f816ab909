//! What DNS told the network about addresses: address → the names that resolved to it, so a
//! connection that starts later can be labelled with the name its software looked up.

use foldhash::HashMap;
use ringfence_model::Timestamp;
use std::net::IpAddr;

/// Distinct names remembered per address (CDN addresses serve many names).
const NAMES_PER_ADDRESS: usize = 8;
/// How long an answer labels later connections, in capture time. Deliberately longer than most
/// TTLs: resolvers and applications keep answers well past them.
const ANSWER_HORIZON_NANOS: i64 = 24 * 3600 * 1_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DnsLabel {
    /// The name that was asked.
    pub(crate) query: String,
    /// CNAMEs passed through from the asked name to the address record.
    pub(crate) cname_chain: Vec<String>,
    pub(crate) answered: Timestamp,
}

#[derive(Debug)]
pub(crate) struct NameCache {
    by_address: HashMap<IpAddr, Vec<DnsLabel>>,
    max_addresses: usize,
}

impl NameCache {
    pub(crate) fn new(max_addresses: usize) -> Self {
        NameCache {
            by_address: HashMap::default(),
            max_addresses: max_addresses.max(1),
        }
    }

    /// Records that `label.query` resolved to `address`.
    pub(crate) fn learn(&mut self, address: IpAddr, label: DnsLabel) {
        if !self.by_address.contains_key(&address) && self.by_address.len() >= self.max_addresses {
            self.evict_older_half();
        }
        let labels = self.by_address.entry(address).or_default();
        labels.retain(|known| known.query != label.query);
        if labels.len() >= NAMES_PER_ADDRESS {
            labels.remove(0);
        }
        labels.push(label);
    }

    /// The names that resolved to `address` at or before `at` and are still within the horizon,
    /// oldest first.
    pub(crate) fn names_for(
        &self,
        address: IpAddr,
        at: Timestamp,
    ) -> impl Iterator<Item = &DnsLabel> {
        self.by_address
            .get(&address)
            .into_iter()
            .flatten()
            .filter(move |label| {
                label.answered <= at
                    && at.nanos().saturating_sub(label.answered.nanos()) <= ANSWER_HORIZON_NANOS
            })
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_address.len()
    }

    /// Forgets the addresses whose newest answer is older than the median, so the cache stays
    /// bounded. The cut is by time, not by map order, so the result does not depend on hashing.
    fn evict_older_half(&mut self) {
        let mut newest: Vec<Timestamp> = self
            .by_address
            .values()
            .filter_map(|l| l.last().map(|x| x.answered))
            .collect();
        if newest.is_empty() {
            return;
        }
        let middle = newest.len() / 2;
        let (_, median, _) = newest.select_nth_unstable(middle);
        let median = *median;
        let newest_of =
            |labels: &Vec<DnsLabel>| labels.last().map(|l| l.answered).unwrap_or_default();
        self.by_address
            .retain(|_, labels| newest_of(labels) > median);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(query: &str, secs: i64) -> DnsLabel {
        DnsLabel {
            query: query.into(),
            cname_chain: Vec::new(),
            answered: Timestamp::from_secs_nanos(secs, 0),
        }
    }

    fn names(cache: &NameCache, addr: &str, secs: i64) -> Vec<String> {
        let at = Timestamp::from_secs_nanos(secs, 0);
        cache
            .names_for(addr.parse().unwrap(), at)
            .map(|l| l.query.clone())
            .collect()
    }

    #[test]
    fn labels_only_later_connections() {
        let mut cache = NameCache::new(16);
        cache.learn("192.0.2.1".parse().unwrap(), label("a.example", 100));
        assert!(names(&cache, "192.0.2.1", 99).is_empty());
        assert_eq!(names(&cache, "192.0.2.1", 100), ["a.example"]);
        assert!(names(&cache, "192.0.2.1", 100 + 24 * 3600 + 1).is_empty());
    }

    #[test]
    fn keeps_several_names_per_address_without_repeats() {
        let mut cache = NameCache::new(16);
        let addr: IpAddr = "192.0.2.1".parse().unwrap();
        cache.learn(addr, label("a.example", 1));
        cache.learn(addr, label("b.example", 2));
        cache.learn(addr, label("a.example", 3));
        assert_eq!(names(&cache, "192.0.2.1", 10), ["b.example", "a.example"]);
        for i in 0..20 {
            cache.learn(addr, label(&format!("n{i}.example"), 10 + i));
        }
        assert_eq!(names(&cache, "192.0.2.1", 100).len(), NAMES_PER_ADDRESS);
    }

    #[test]
    fn stays_bounded_and_keeps_the_newest() {
        let mut cache = NameCache::new(100);
        for i in 0..1000u32 {
            let addr = IpAddr::from(i.to_be_bytes());
            cache.learn(addr, label("x.example", i64::from(i)));
        }
        assert!(cache.len() <= 100);
        assert_eq!(names(&cache, "0.0.3.231", 5000), ["x.example"]);
    }
}
