//! The parts of an EVE event ringfence reads, borrowed from the line where no JSON escape forces a
//! copy. Unknown keys are skipped unread.

use serde::Deserialize;
use std::borrow::Cow;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Event<'a> {
    #[serde(borrow)]
    pub(crate) event_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) timestamp: Option<Cow<'a, str>>,
    pub(crate) flow_id: Option<u64>,
    #[serde(borrow)]
    pub(crate) src_ip: Option<Cow<'a, str>>,
    pub(crate) src_port: Option<u16>,
    #[serde(borrow)]
    pub(crate) dest_ip: Option<Cow<'a, str>>,
    pub(crate) dest_port: Option<u16>,
    #[serde(borrow)]
    pub(crate) proto: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) community_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) flow: Option<Flow<'a>>,
    #[serde(borrow)]
    pub(crate) tcp: Option<Tcp<'a>>,
    #[serde(borrow)]
    pub(crate) dns: Option<Dns<'a>>,
    #[serde(borrow)]
    pub(crate) tls: Option<ServerName<'a>>,
    #[serde(borrow)]
    pub(crate) quic: Option<ServerName<'a>>,
    #[serde(borrow)]
    pub(crate) http: Option<Http<'a>>,
}

/// Only the event type, to tell a broken event of a kind ringfence reads from one it skips.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EventType<'a> {
    #[serde(borrow)]
    pub(crate) event_type: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Flow<'a> {
    pub(crate) pkts_toserver: u64,
    pub(crate) pkts_toclient: u64,
    pub(crate) bytes_toserver: u64,
    pub(crate) bytes_toclient: u64,
    #[serde(borrow)]
    pub(crate) start: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) end: Option<Cow<'a, str>>,
}

/// The TCP flags seen each way, as hex (`"1b"`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Tcp<'a> {
    #[serde(borrow)]
    pub(crate) tcp_flags_ts: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) tcp_flags_tc: Option<Cow<'a, str>>,
}

/// A DNS event in any of EVE's versions: v1 (one event per answer record, its fields at this
/// level), v2 (`answers` and/or `grouped`) and v3 (`queries`, `answers`, `grouped`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Dns<'a> {
    pub(crate) version: Option<u64>,
    #[serde(rename = "type", borrow)]
    pub(crate) kind: Option<Cow<'a, str>>,
    pub(crate) id: Option<u64>,
    #[serde(borrow)]
    pub(crate) rrname: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) rrtype: Option<Cow<'a, str>>,
    pub(crate) ttl: Option<u64>,
    #[serde(borrow)]
    pub(crate) rdata: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) queries: Option<Vec<DnsQuery<'a>>>,
    #[serde(borrow)]
    pub(crate) answers: Option<Vec<DnsAnswer<'a>>>,
    #[serde(borrow)]
    pub(crate) grouped: Option<Grouped<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DnsQuery<'a> {
    #[serde(borrow)]
    pub(crate) rrname: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DnsAnswer<'a> {
    #[serde(borrow)]
    pub(crate) rrname: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) rrtype: Option<Cow<'a, str>>,
    pub(crate) ttl: Option<u64>,
    /// Absent for records Suricata writes as objects (SOA, SRV, …).
    #[serde(borrow)]
    pub(crate) rdata: Option<Cow<'a, str>>,
}

/// Answers by type, without owners or TTLs (`formats: [grouped]`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Grouped<'a> {
    #[serde(rename = "A", borrow)]
    pub(crate) a: Vec<Cow<'a, str>>,
    #[serde(rename = "AAAA", borrow)]
    pub(crate) aaaa: Vec<Cow<'a, str>>,
    #[serde(rename = "CNAME", borrow)]
    pub(crate) cname: Vec<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ServerName<'a> {
    #[serde(borrow)]
    pub(crate) sni: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Http<'a> {
    #[serde(borrow)]
    pub(crate) hostname: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) http_method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) url: Option<Cow<'a, str>>,
}
