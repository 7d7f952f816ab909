//! EVE DNS events → answer records for [`Answered`](crate::logs::answers::Answered).
//!
//! v2 and v3 write a response as one event (`answers` with owner, type, TTL and data; `grouped`
//! alone when detailed answers are switched off). v1 wrote one event per answer record; the
//! records of one response (same `flow_id` and DNS `id`, one after another) are gathered by
//! [`V1Response`] and read together, the first record's owner being the question.

use super::event::Dns;
use crate::logs::answers::{AnswerRecord, MAX_ANSWERS, RecordType};
use ringfence_model::{EvidenceRef, Timestamp};

/// The name a response answers.
pub(crate) fn query<'d>(dns: &'d Dns<'_>) -> Option<&'d str> {
    dns.rrname.as_deref().or_else(|| {
        dns.queries
            .as_ref()
            .and_then(|q| q.first())
            .and_then(|q| q.rrname.as_deref())
    })
}

/// Whether the event is a response (v1 and v2 say `answer`, v3 `response`).
pub(crate) fn is_response(dns: &Dns<'_>) -> bool {
    matches!(dns.kind.as_deref(), Some("answer" | "response"))
}

/// A v1 event: one answer record per event, no `version`.
pub(crate) fn is_v1_answer(dns: &Dns<'_>) -> bool {
    dns.version.is_none()
        && dns.kind.as_deref() == Some("answer")
        && dns.answers.is_none()
        && dns.grouped.is_none()
}

/// The answer records of a v2/v3 response; from `grouped` (owners unknown: the CNAMEs are taken
/// in order from the question, the addresses as the last name's) when there is no `answers`.
pub(crate) fn records(dns: &Dns<'_>, query: &str) -> Vec<AnswerRecord> {
    if let Some(answers) = &dns.answers {
        return answers
            .iter()
            .take(MAX_ANSWERS)
            .filter_map(|a| {
                Some(AnswerRecord::new(
                    a.rrname.as_deref()?,
                    RecordType::from_name(a.rrtype.as_deref()?),
                    a.rdata.as_deref()?,
                    ttl(a.ttl),
                ))
            })
            .collect();
    }
    let Some(grouped) = &dns.grouped else {
        return Vec::new();
    };
    let mut records = Vec::new();
    let mut owner = query.to_owned();
    for target in grouped.cname.iter().take(MAX_ANSWERS) {
        records.push(AnswerRecord::new(&owner, RecordType::Cname, target, 0));
        owner = String::from(&**target);
    }
    let addresses = grouped
        .a
        .iter()
        .map(|a| (RecordType::A, a))
        .chain(grouped.aaaa.iter().map(|a| (RecordType::Aaaa, a)));
    for (kind, address) in addresses.take(MAX_ANSWERS) {
        records.push(AnswerRecord::new(&owner, kind, address, 0));
    }
    records
}

fn ttl(value: Option<u64>) -> u32 {
    value.map_or(0, |t| u32::try_from(t).unwrap_or(u32::MAX))
}

/// The answer records of one v1 response, gathered event by event.
pub(crate) struct V1Response {
    /// `flow_id` and DNS `id`.
    pub(crate) key: (Option<u64>, Option<u64>),
    /// The time and line of the first event.
    pub(crate) time: Timestamp,
    pub(crate) evidence: EvidenceRef,
    pub(crate) records: Vec<AnswerRecord>,
}

impl V1Response {
    /// Adds the record a v1 event carries (events without data — NXDOMAIN — add nothing).
    pub(crate) fn add(&mut self, dns: &Dns<'_>) {
        let (Some(owner), Some(kind), Some(data)) = (
            dns.rrname.as_deref(),
            dns.rrtype.as_deref(),
            dns.rdata.as_deref(),
        ) else {
            return;
        };
        if self.records.len() < MAX_ANSWERS {
            self.records.push(AnswerRecord::new(
                owner,
                RecordType::from_name(kind),
                data,
                ttl(dns.ttl),
            ));
        }
    }

    /// The question: the owner of the first record.
    pub(crate) fn query(&self) -> Option<&str> {
        self.records.first().map(|r| r.owner.as_str())
    }
}
