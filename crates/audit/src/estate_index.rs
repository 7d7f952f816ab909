//! Which system a host belongs to: by address (longest matching prefix wins, so an exact address
//! beats any range that contains it) or by hostname.

use crate::host::{HostPattern, Network, address_bits, normalise_name};
use ringfence_model::{Estate, HostIdentity, System};
use std::collections::HashMap;
use std::net::IpAddr;

/// Lookup tables over a validated estate.
#[derive(Clone, Debug)]
pub struct EstateIndex {
    systems: Vec<System>,
    /// Per family, per prefix length (longest first): masked address bits → system index.
    v4: Vec<(u8, HashMap<u128, usize>)>,
    v6: Vec<(u8, HashMap<u128, usize>)>,
    names: HashMap<String, usize>,
}

impl EstateIndex {
    /// Builds the index. Entries that do not parse are skipped: [`crate::parse_estate`] has already
    /// refused such an estate, so this only matters for estates built in code. When two systems list
    /// the same entry, the first one listed keeps it.
    pub fn new(estate: &Estate) -> EstateIndex {
        let mut v4: HashMap<u8, HashMap<u128, usize>> = HashMap::new();
        let mut v6: HashMap<u8, HashMap<u128, usize>> = HashMap::new();
        let mut names = HashMap::new();
        for (index, system) in estate.systems.iter().enumerate() {
            for host in &system.hosts {
                match HostPattern::parse(host) {
                    Ok(HostPattern::Network(Network {
                        v6: is_v6,
                        bits,
                        len,
                    })) => {
                        let table = if is_v6 { &mut v6 } else { &mut v4 };
                        table.entry(len).or_default().entry(bits).or_insert(index);
                    }
                    Ok(HostPattern::Name(name)) => {
                        names.entry(name).or_insert(index);
                    }
                    Err(_) => {}
                }
            }
        }
        let longest_first = |table: HashMap<u8, HashMap<u128, usize>>| {
            let mut lengths: Vec<(u8, HashMap<u128, usize>)> = table.into_iter().collect();
            lengths.sort_by_key(|(len, _)| std::cmp::Reverse(*len));
            lengths
        };
        EstateIndex {
            systems: estate.systems.clone(),
            v4: longest_first(v4),
            v6: longest_first(v6),
            names,
        }
    }

    pub fn systems(&self) -> &[System] {
        &self.systems
    }

    /// The position in [`EstateIndex::systems`] of the system holding `address`.
    pub fn system_index(&self, address: IpAddr) -> Option<usize> {
        let (is_v6, _) = address_bits(address);
        let table = if is_v6 { &self.v6 } else { &self.v4 };
        table
            .iter()
            .find_map(|(len, networks)| networks.get(&Network::masked(address, *len).bits).copied())
    }

    /// The system holding `address`.
    pub fn system_for_address(&self, address: IpAddr) -> Option<&System> {
        self.system_index(address).and_then(|i| self.systems.get(i))
    }

    /// The system listing `name` (case-insensitive, trailing dot ignored).
    pub fn system_for_name(&self, name: &str) -> Option<&System> {
        self.system_index_for_name(name)
            .and_then(|i| self.systems.get(i))
    }

    /// The position of the system listing `name`; a fully qualified name the estate does not
    /// list also matches its host label (Sysmon's `Computer` is `pc-01.corp.example` where an
    /// estate often lists `pc-01`).
    pub fn system_index_for_name(&self, name: &str) -> Option<usize> {
        let name = normalise_name(name);
        self.names.get(&name).copied().or_else(|| {
            let (label, _) = name.split_once('.')?;
            self.names.get(label).copied()
        })
    }

    /// The system of a host as endpoint evidence names it: by address first, then by name (a
    /// name that is an address, as osquery's `specified` host identifiers often are, counts as
    /// the address).
    pub fn system_index_for_host(&self, host: &HostIdentity) -> Option<usize> {
        let named_address = host.name.as_deref().and_then(|n| n.parse::<IpAddr>().ok());
        host.address
            .or(named_address)
            .and_then(|a| self.system_index(a))
            .or_else(|| {
                host.name
                    .as_deref()
                    .and_then(|n| self.system_index_for_name(n))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system(id: &str, hosts: &[&str]) -> System {
        System {
            id: id.into(),
            name: String::new(),
            classification: "OFFICIAL".into(),
            national_security: false,
            cni: false,
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
        }
    }

    fn index() -> EstateIndex {
        EstateIndex::new(&Estate {
            levels: ringfence_model::uk_levels(),
            systems: vec![
                system("office", &["10.20.0.0/16", "2001:db8:20::/48"]),
                system("desks", &["10.20.0.0/24", "PC-01.corp.example"]),
                system("one", &["10.20.0.7", "2001:db8:20::7"]),
                system("everything", &["0.0.0.0/0"]),
            ],
        })
    }

    fn id(index: &EstateIndex, address: &str) -> Option<String> {
        index
            .system_for_address(address.parse().unwrap())
            .map(|s| s.id.clone())
    }

    #[test]
    fn longest_prefix_wins_and_exact_address_beats_ranges() {
        let index = index();
        assert_eq!(id(&index, "10.20.0.7").as_deref(), Some("one"));
        assert_eq!(id(&index, "10.20.0.8").as_deref(), Some("desks"));
        assert_eq!(id(&index, "10.20.1.8").as_deref(), Some("office"));
        assert_eq!(id(&index, "192.0.2.1").as_deref(), Some("everything"));
        assert_eq!(id(&index, "::ffff:10.20.0.7").as_deref(), Some("one"));
        assert_eq!(id(&index, "2001:db8:20::7").as_deref(), Some("one"));
        assert_eq!(id(&index, "2001:db8:20:1::7").as_deref(), Some("office"));
        assert_eq!(id(&index, "2001:db8:21::7"), None);
    }

    #[test]
    fn hostnames_match_case_insensitively() {
        let index = index();
        assert_eq!(
            index
                .system_for_name("pc-01.CORP.example.")
                .map(|s| s.id.as_str()),
            Some("desks")
        );
        assert!(index.system_for_name("pc-02.corp.example").is_none());
    }

    #[test]
    fn a_qualified_name_matches_the_listed_host_label() {
        let index = EstateIndex::new(&Estate {
            levels: ringfence_model::uk_levels(),
            systems: vec![system("desks", &["pc-07"]), system("fqdn", &["pc-08.corp"])],
        });
        assert_eq!(index.system_index_for_name("PC-07.corp.example"), Some(0));
        assert_eq!(index.system_index_for_name("pc-08.corp"), Some(1));
        // A short name never matches a qualified estate entry: which domain would it be?
        assert_eq!(index.system_index_for_name("pc-08"), None);
        let host = HostIdentity {
            name: Some("pc-07".into()),
            address: Some("192.0.2.1".parse().unwrap()),
        };
        assert_eq!(index.system_index_for_host(&host), Some(0));
        let by_address = HostIdentity {
            name: Some("10.20.0.9".into()),
            address: None,
        };
        let desks = EstateIndex::new(&Estate {
            levels: ringfence_model::uk_levels(),
            systems: vec![system("desks", &["10.20.0.0/24"])],
        });
        assert_eq!(desks.system_index_for_host(&by_address), Some(0));
    }
}
