//! The parts of an EVE event ringfence reads, borrowed from the line where no JSON escape forces a
//! copy. Unknown keys are skipped unread.
//!
//! Strings are [`Text`], not `Cow<str>`: serde's `Cow<str>` always copies (its `#[serde(borrow)]`
//! borrows only a bare `Cow` field, not one inside `Option` or `Vec`), and that copy and its free
//! were the largest cost of reading EVE after the JSON parsing itself.

use serde::Deserialize;
use serde::de::{Deserializer, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Event<'a> {
    #[serde(borrow)]
    pub(crate) event_type: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) timestamp: Option<Text<'a>>,
    pub(crate) flow_id: Option<u64>,
    #[serde(borrow)]
    pub(crate) src_ip: Option<Text<'a>>,
    pub(crate) src_port: Option<u16>,
    #[serde(borrow)]
    pub(crate) dest_ip: Option<Text<'a>>,
    pub(crate) dest_port: Option<u16>,
    #[serde(borrow)]
    pub(crate) proto: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) community_id: Option<Text<'a>>,
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
    pub(crate) event_type: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Flow<'a> {
    pub(crate) pkts_toserver: u64,
    pub(crate) pkts_toclient: u64,
    pub(crate) bytes_toserver: u64,
    pub(crate) bytes_toclient: u64,
    #[serde(borrow)]
    pub(crate) start: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) end: Option<Text<'a>>,
}

/// The TCP flags seen each way, as hex (`"1b"`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Tcp<'a> {
    #[serde(borrow)]
    pub(crate) tcp_flags_ts: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) tcp_flags_tc: Option<Text<'a>>,
}

/// A DNS event in any of EVE's versions: v1 (one event per answer record, its fields at this
/// level), v2 (`answers` and/or `grouped`) and v3 (`queries`, `answers`, `grouped`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Dns<'a> {
    pub(crate) version: Option<u64>,
    #[serde(rename = "type", borrow)]
    pub(crate) kind: Option<Text<'a>>,
    pub(crate) id: Option<u64>,
    #[serde(borrow)]
    pub(crate) rrname: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) rrtype: Option<Text<'a>>,
    pub(crate) ttl: Option<u64>,
    #[serde(borrow)]
    pub(crate) rdata: Option<Text<'a>>,
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
    pub(crate) rrname: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DnsAnswer<'a> {
    #[serde(borrow)]
    pub(crate) rrname: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) rrtype: Option<Text<'a>>,
    pub(crate) ttl: Option<u64>,
    /// Absent for records Suricata writes as objects (SOA, SRV, …).
    #[serde(borrow)]
    pub(crate) rdata: Option<Text<'a>>,
}

/// Answers by type, without owners or TTLs (`formats: [grouped]`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Grouped<'a> {
    #[serde(rename = "A", borrow)]
    pub(crate) a: Vec<Text<'a>>,
    #[serde(rename = "AAAA", borrow)]
    pub(crate) aaaa: Vec<Text<'a>>,
    #[serde(rename = "CNAME", borrow)]
    pub(crate) cname: Vec<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ServerName<'a> {
    #[serde(borrow)]
    pub(crate) sni: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Http<'a> {
    #[serde(borrow)]
    pub(crate) hostname: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) http_method: Option<Text<'a>>,
    #[serde(borrow)]
    pub(crate) url: Option<Text<'a>>,
}

/// A JSON string, borrowed from the line unless an escape forced a copy.
pub(crate) struct Text<'a>(Cow<'a, str>);

impl<'a> Text<'a> {
    /// A string without escapes, as it stands in the line.
    pub(crate) fn borrowed(text: &'a str) -> Text<'a> {
        Text(Cow::Borrowed(text))
    }
}

/// Shown as the string itself, as problems quote values.
impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v)))
    }
}
