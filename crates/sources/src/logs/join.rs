//! Joining application records to connection records: the names a connection gets — those waiting
//! for it (`super::pending`), plus the DNS answers its responder's address had before its first
//! packet, as the capture engine labels its connections.
//!
//! The capture engine's own DNS cache keeps the newest answer per name, which is right when
//! packets come in time order. A log writes a connection when it ends (and ringfence reads
//! dns.log before conn.log), so a later answer for the same name may already have been read: the
//! cache here keeps the first and the last time each name was answered for an address.

use crate::capture::{host_of, normalise_name};
use foldhash::HashMap;
use ringfence_model::{LearnedName, NameSource, Resolution, Timestamp, Transport};
use std::net::IpAddr;

/// The most names kept per connection (as the capture engine): an attacker can send many.
pub(crate) const MAX_NAMES: usize = 32;

/// What kind of application record named a connection. TLS becomes QUIC SNI on a UDP connection:
/// Zeek writes the TLS handshake inside QUIC to ssl.log too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AppName {
    Tls,
    /// DTLS (ssl.log `version` `DTLSv10`/`DTLSv12`): a TLS SNI even over UDP.
    Dtls,
    Quic,
    HttpHost,
    HttpConnect,
}

impl AppName {
    fn source(self, transport: Transport) -> NameSource {
        match (self, transport) {
            (AppName::Tls, Transport::Udp) | (AppName::Quic, _) => NameSource::QuicSni,
            (AppName::Tls | AppName::Dtls, _) => NameSource::Sni,
            (AppName::HttpHost, _) => NameSource::HttpHost,
            (AppName::HttpConnect, _) => NameSource::HttpConnect,
        }
    }

    /// The name as the capture engine keeps it (HTTP authorities lose their port).
    pub(super) fn normalise(self, raw: &str) -> String {
        match self {
            AppName::HttpHost | AppName::HttpConnect => normalise_name(host_of(raw)),
            _ => normalise_name(raw),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PendingName {
    pub(super) name: String,
    pub(super) kind: AppName,
}

/// Distinct names remembered per address (CDN addresses serve many names), as the capture engine.
const NAMES_PER_ADDRESS: usize = 8;
/// How long after its last answer a name labels connections, as the capture engine.
const ANSWER_HORIZON_NANOS: i64 = 24 * 3600 * 1_000_000_000;

struct Answer {
    query: String,
    cname_chain: Vec<String>,
    first: Timestamp,
    last: Timestamp,
}

/// Remembers DNS answers (address → names) to label connections to those addresses; at most
/// `max_addresses` addresses (when full, those answered longest ago are forgotten).
pub(crate) struct DnsNames {
    by_address: HashMap<IpAddr, Vec<Answer>>,
    max_addresses: usize,
}

impl DnsNames {
    pub(crate) fn new(max_addresses: usize) -> Self {
        DnsNames {
            by_address: HashMap::default(),
            max_addresses: max_addresses.max(1),
        }
    }

    pub(crate) fn learn(&mut self, resolution: &Resolution) {
        let time = resolution.time;
        for address in &resolution.addresses {
            if !self.by_address.contains_key(address) && self.by_address.len() >= self.max_addresses
            {
                self.forget_older_half();
            }
            let answers = self.by_address.entry(*address).or_default();
            if let Some(known) = answers.iter_mut().find(|a| a.query == resolution.query) {
                known.first = known.first.min(time);
                known.last = known.last.max(time);
                continue;
            }
            if answers.len() >= NAMES_PER_ADDRESS
                && let Some(oldest) =
                    (0..answers.len()).min_by_key(|&i| answers.get(i).map(|a| a.last))
            {
                answers.remove(oldest);
            }
            answers.push(Answer {
                query: resolution.query.clone(),
                cname_chain: resolution.cname_chain.clone(),
                first: time,
                last: time,
            });
        }
    }

    /// Forgets the addresses whose last answer is older than the median. The cut is by time, not
    /// by map order, so the result does not depend on hashing.
    fn forget_older_half(&mut self) {
        let last_of =
            |answers: &Vec<Answer>| answers.iter().map(|a| a.last).max().unwrap_or_default();
        let mut lasts: Vec<Timestamp> = self.by_address.values().map(last_of).collect();
        if lasts.is_empty() {
            return;
        }
        let middle = lasts.len() / 2;
        let (_, median, _) = lasts.select_nth_unstable(middle);
        let median = *median;
        self.by_address
            .retain(|_, answers| last_of(answers) > median);
    }

    /// The names of a connection to `responder` first seen at `first_seen`: DNS names first (as
    /// the capture engine gathers them), then the application names, deduplicated and sorted.
    pub(crate) fn connection_names(
        &self,
        responder: IpAddr,
        first_seen: Timestamp,
        transport: Transport,
        app: impl IntoIterator<Item = PendingName>,
    ) -> Vec<LearnedName> {
        let mut names: Vec<LearnedName> = Vec::new();
        let answers = self.by_address.get(&responder).into_iter().flatten();
        let answered_before = answers.filter(|a| {
            a.first <= first_seen
                && first_seen.nanos().saturating_sub(a.last.nanos()) <= ANSWER_HORIZON_NANOS
        });
        for label in answered_before {
            // Already normalised by `Answered`.
            if names.len() < MAX_NAMES && !names.iter().any(|n| n.name == label.query) {
                names.push(LearnedName {
                    name: label.query.clone(),
                    source: NameSource::Dns,
                    cname_chain: label.cname_chain.clone(),
                });
            }
        }
        for pending in app {
            let source = pending.kind.source(transport);
            if names.len() < MAX_NAMES
                && !names
                    .iter()
                    .any(|n| n.name == pending.name && n.source == source)
            {
                names.push(LearnedName {
                    name: pending.name,
                    source,
                    cname_chain: Vec::new(),
                });
            }
        }
        if names.len() > 1 {
            names.sort();
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_names_on_udp_are_quic_sni_and_http_authorities_lose_their_port() {
        let mut pending: crate::logs::pending::PendingNames<String> =
            crate::logs::pending::PendingNames::new(8);
        let uid = &"C1".to_string();
        pending.add(uid, "Example.COM.", AppName::Tls, 0);
        pending.add(uid, "example.com", AppName::Quic, 0);
        pending.add(uid, "example.com:8080", AppName::HttpHost, 0);
        assert!(!pending.add(uid, "  ", AppName::HttpHost, 0));
        let dns = DnsNames::new(16);
        let names = dns.connection_names(
            "192.0.2.1".parse().unwrap(),
            Timestamp::default(),
            Transport::Udp,
            pending.take(uid),
        );
        let got: Vec<(&str, NameSource)> = names.iter().map(|n| (&*n.name, n.source)).collect();
        assert_eq!(
            got,
            [
                ("example.com", NameSource::QuicSni),
                ("example.com", NameSource::HttpHost)
            ]
        );
    }

    fn resolution(query: &str, address: &str, secs: i64) -> Resolution {
        Resolution {
            time: Timestamp::from_secs_nanos(secs, 0),
            query: query.into(),
            cname_chain: Vec::new(),
            addresses: vec![address.parse().unwrap()],
            ttl: 60,
            evidence: ringfence_model::EvidenceRef {
                evidence: 0,
                record: 1,
                offset: 0,
            },
        }
    }

    fn dns_names(dns: &DnsNames, address: &str, secs: i64) -> Vec<String> {
        dns.connection_names(
            address.parse().unwrap(),
            Timestamp::from_secs_nanos(secs, 0),
            Transport::Tcp,
            Vec::new(),
        )
        .into_iter()
        .map(|n| n.name)
        .collect()
    }

    #[test]
    fn a_later_answer_read_first_does_not_hide_an_earlier_one() {
        let mut dns = DnsNames::new(16);
        dns.learn(&resolution("a.example", "192.0.2.1", 100));
        dns.learn(&resolution("a.example", "192.0.2.1", 500));
        assert!(dns_names(&dns, "192.0.2.1", 99).is_empty());
        assert_eq!(dns_names(&dns, "192.0.2.1", 200), ["a.example"]);
        assert_eq!(dns_names(&dns, "192.0.2.1", 500 + 24 * 3600), ["a.example"]);
        assert!(dns_names(&dns, "192.0.2.1", 501 + 24 * 3600).is_empty());
    }

    #[test]
    fn dns_names_stay_bounded() {
        let mut dns = DnsNames::new(100);
        for i in 0..1000u32 {
            let address = std::net::Ipv4Addr::from(i).to_string();
            dns.learn(&resolution("x.example", &address, i64::from(i)));
        }
        assert!(dns.by_address.len() <= 100);
        assert_eq!(dns_names(&dns, "0.0.3.231", 5000), ["x.example"]);
        for i in 0..20 {
            dns.learn(&resolution(&format!("n{i}.example"), "192.0.2.7", 10 + i));
        }
        assert_eq!(dns_names(&dns, "192.0.2.7", 100).len(), NAMES_PER_ADDRESS);
    }

    #[test]
    fn dns_answers_label_later_connections_only() {
        let mut dns = DnsNames::new(16);
        let address: IpAddr = "192.0.2.9".parse().unwrap();
        dns.learn(&Resolution {
            time: Timestamp::from_secs_nanos(100, 0),
            query: "a.example".into(),
            cname_chain: vec!["b.example".into()],
            addresses: vec![address],
            ttl: 60,
            evidence: ringfence_model::EvidenceRef {
                evidence: 0,
                record: 1,
                offset: 0,
            },
        });
        let at = |secs| {
            dns.connection_names(
                address,
                Timestamp::from_secs_nanos(secs, 0),
                Transport::Tcp,
                Vec::new(),
            )
        };
        assert!(at(99).is_empty());
        let names = at(101);
        assert_eq!(names.len(), 1);
        assert_eq!(names[0].source, NameSource::Dns);
        assert_eq!(names[0].cname_chain, ["b.example"]);
    }
}
