//! DNS answers as logs write them → a [`Resolution`] (query, CNAME chain, addresses, smallest TTL),
//! built the way the capture engine builds its own from the messages on the wire.

use crate::capture::normalise_name;
use ringfence_model::{EvidenceRef, Resolution, Timestamp};
use std::net::IpAddr;

/// Answer records read per response (as the capture engine's DNS parser).
pub(crate) const MAX_ANSWERS: usize = 256;
/// CNAME hops followed from the question.
const MAX_CNAME_HOPS: usize = 16;

/// The record types that matter for naming addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecordType {
    A,
    Aaaa,
    Cname,
    Other,
}

impl RecordType {
    pub(crate) fn from_name(name: &str) -> RecordType {
        match name {
            "A" | "a" => RecordType::A,
            "AAAA" | "aaaa" => RecordType::Aaaa,
            "CNAME" | "cname" => RecordType::Cname,
            _ => RecordType::Other,
        }
    }
}

/// One answer record with its owner name (Suricata writes them so).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AnswerRecord {
    pub(crate) owner: String,
    pub(crate) kind: RecordType,
    pub(crate) data: String,
    pub(crate) ttl: u32,
}

impl AnswerRecord {
    pub(crate) fn new(owner: &str, kind: RecordType, data: &str, ttl: u32) -> AnswerRecord {
        AnswerRecord {
            owner: normalise_name(owner),
            kind,
            data: data.trim().to_owned(),
            ttl,
        }
    }

    fn address(&self) -> Option<IpAddr> {
        match self.kind {
            RecordType::A | RecordType::Aaaa => self.data.parse().ok(),
            _ => None,
        }
    }
}

/// What a response said about `query`, or `None` when it gave neither an address nor a CNAME.
pub(crate) struct Answered<'a> {
    pub(crate) query: &'a str,
    pub(crate) time: Timestamp,
    pub(crate) evidence: EvidenceRef,
}

impl Answered<'_> {
    /// From records with owner names: follows the CNAMEs from the query, then takes the address
    /// records of the last name.
    pub(crate) fn resolve_records(&self, records: &[AnswerRecord]) -> Option<Resolution> {
        let query = normalise_name(self.query);
        if query.is_empty() {
            return None;
        }
        let mut current = query.clone();
        let mut cname_chain: Vec<String> = Vec::new();
        let mut ttl: Option<u32> = None;
        for _ in 0..MAX_CNAME_HOPS {
            let next = records
                .iter()
                .find(|r| r.kind == RecordType::Cname && r.owner == current);
            let Some(record) = next else { break };
            let target = normalise_name(&record.data);
            if target.is_empty() || target == query || cname_chain.contains(&target) {
                break;
            }
            ttl = Some(ttl.map_or(record.ttl, |t| t.min(record.ttl)));
            cname_chain.push(target.clone());
            current = target;
        }
        let mut addresses: Vec<IpAddr> = Vec::new();
        for record in records.iter().filter(|r| r.owner == current) {
            if let Some(address) = record.address() {
                ttl = Some(ttl.map_or(record.ttl, |t| t.min(record.ttl)));
                if !addresses.contains(&address) {
                    addresses.push(address);
                }
            }
        }
        self.resolution(query, cname_chain, addresses, ttl.unwrap_or(0))
    }

    /// From Zeek's answer list, which has the data of each record but not its owner: in a
    /// response to an A or AAAA question, the names are the CNAME targets, in order.
    pub(crate) fn resolve_flat<'s>(
        &self,
        answers: impl Iterator<Item = &'s str>,
        min_ttl: Option<u32>,
    ) -> Option<Resolution> {
        let query = normalise_name(self.query);
        if query.is_empty() {
            return None;
        }
        let mut cname_chain: Vec<String> = Vec::new();
        let mut addresses: Vec<IpAddr> = Vec::new();
        for answer in answers.take(MAX_ANSWERS) {
            if let Ok(address) = answer.trim().parse::<IpAddr>() {
                if !addresses.contains(&address) {
                    addresses.push(address);
                }
            } else {
                let name = normalise_name(answer);
                if !name.is_empty()
                    && name != query
                    && !cname_chain.contains(&name)
                    && cname_chain.len() < MAX_CNAME_HOPS
                {
                    cname_chain.push(name);
                }
            }
        }
        self.resolution(query, cname_chain, addresses, min_ttl.unwrap_or(0))
    }

    fn resolution(
        &self,
        query: String,
        cname_chain: Vec<String>,
        addresses: Vec<IpAddr>,
        ttl: u32,
    ) -> Option<Resolution> {
        if addresses.is_empty() && cname_chain.is_empty() {
            return None;
        }
        Some(Resolution {
            time: self.time,
            query,
            cname_chain,
            addresses,
            ttl,
            evidence: self.evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(query: &str) -> Answered<'_> {
        Answered {
            query,
            time: Timestamp::default(),
            evidence: EvidenceRef {
                evidence: 0,
                record: 1,
                offset: 0,
            },
        }
    }

    #[test]
    fn records_follow_the_cname_chain_to_the_addresses() {
        let records = [
            AnswerRecord::new(
                "Central.Sophos.com",
                RecordType::Cname,
                "elb.sophos.com",
                300,
            ),
            AnswerRecord::new("elb.sophos.com", RecordType::A, "52.31.148.107", 60),
            AnswerRecord::new("elb.sophos.com", RecordType::A, "34.246.84.16", 60),
            AnswerRecord::new("other.example", RecordType::A, "192.0.2.1", 5),
        ];
        let r = answered("central.sophos.com")
            .resolve_records(&records)
            .unwrap();
        assert_eq!(r.query, "central.sophos.com");
        assert_eq!(r.cname_chain, ["elb.sophos.com"]);
        assert_eq!(
            r.addresses,
            [
                "52.31.148.107".parse::<IpAddr>().unwrap(),
                "34.246.84.16".parse().unwrap()
            ]
        );
        assert_eq!(r.ttl, 60);
    }

    #[test]
    fn cname_loops_end_and_empty_answers_give_nothing() {
        let records = [
            AnswerRecord::new("a.example", RecordType::Cname, "b.example", 1),
            AnswerRecord::new("b.example", RecordType::Cname, "a.example", 1),
        ];
        let r = answered("a.example").resolve_records(&records).unwrap();
        assert_eq!(r.cname_chain, ["b.example"]);
        assert!(answered("a.example").resolve_records(&[]).is_none());
        assert!(answered("").resolve_records(&records).is_none());
    }

    #[test]
    fn flat_answers_split_into_names_and_addresses() {
        let answers = [
            "text.wikimedia.org",
            "text.pmtpa.wikimedia.org",
            "208.80.152.2",
        ];
        let r = answered("META.wikimedia.org")
            .resolve_flat(answers.into_iter(), Some(593))
            .unwrap();
        assert_eq!(r.query, "meta.wikimedia.org");
        assert_eq!(
            r.cname_chain,
            ["text.wikimedia.org", "text.pmtpa.wikimedia.org"]
        );
        assert_eq!(r.addresses, ["208.80.152.2".parse::<IpAddr>().unwrap()]);
        assert_eq!(r.ttl, 593);
    }
}
