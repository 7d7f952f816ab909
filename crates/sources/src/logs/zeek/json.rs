//! Zeek's JSON logs (`LogAscii::use_json`): one object per line, connection ends as flat keys
//! (`"id.orig_h"`) or a nested `"id"` object, `ts` as seconds or an ISO 8601 string. The log a
//! record belongs to is its `_path` when written, else the fields it has (`conn_state`, `query`,
//! `client_initial_dcid`, `server_name`, `method`…), else the file name.
//!
//! Every field is read loosely (a string, a number, a list or anything else) because the same key
//! has different types in different logs (`version` is a string in ssl.log and a count in
//! ssh.log): a record of a log ringfence does not read must never be a problem. Only the fields of
//! a record's own log must have the right type.

use super::record::{
    ConnRecord, DnsRecord, LogPath, Record, asks_for_addresses, flow_key, min_ttl, tcp_state,
    tls_kind, transport,
};
use crate::logs::address::parse_address;
use crate::logs::join::AppName;
use crate::logs::time::{decimal_seconds_nanos, float_seconds_nanos, iso8601};
use ringfence_model::Transport;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

/// A JSON value as far as ringfence cares.
#[derive(Debug, Default)]
enum Loose<'a> {
    Text(Cow<'a, str>),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    /// The strings and numbers of a list (nested lists and objects are skipped).
    List(Vec<Loose<'a>>),
    /// `null`, a boolean or an object.
    #[default]
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor { nested: false })
    }
}

struct LooseVisitor {
    /// Inside a list: lists and objects are not kept.
    nested: bool,
}

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Loose::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Loose::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Loose::Text(Cow::Owned(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Loose::Unsigned(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Loose::Signed(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Loose::Float(v))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if self.nested {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Loose::Other);
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(LooseSeed)? {
            items.push(item);
        }
        Ok(Loose::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Other)
    }
}

/// Reads a list element (no further nesting kept).
struct LooseSeed;

impl<'de> de::DeserializeSeed<'de> for LooseSeed {
    type Value = Loose<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(LooseVisitor { nested: true })
    }
}

/// A nested `"id": {"orig_h": …}` object (some exporters write it so; x509.log's `id` is a string).
#[derive(Debug, Default)]
struct NestedId<'a> {
    orig_h: Loose<'a>,
    orig_p: Loose<'a>,
    resp_h: Loose<'a>,
    resp_p: Loose<'a>,
}

impl<'de: 'a, 'a> Deserialize<'de> for NestedId<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NestedIdVisitor)
    }
}

struct NestedIdVisitor;

impl<'de> Visitor<'de> for NestedIdVisitor {
    type Value = NestedId<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut id = NestedId::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let slot = match &*key {
                "orig_h" => &mut id.orig_h,
                "orig_p" => &mut id.orig_p,
                "resp_h" => &mut id.resp_h,
                "resp_p" => &mut id.resp_p,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = map.next_value()?;
        }
        Ok(id)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(NestedId::default())
    }
    fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
}

/// The keys of every log ringfence reads; others are skipped unread.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct JsonRecord<'a> {
    #[serde(rename = "_path", borrow)]
    path: Loose<'a>,
    #[serde(borrow)]
    ts: Loose<'a>,
    #[serde(borrow)]
    uid: Loose<'a>,
    #[serde(rename = "id.orig_h", borrow)]
    orig_h: Loose<'a>,
    #[serde(rename = "id.orig_p", borrow)]
    orig_p: Loose<'a>,
    #[serde(rename = "id.resp_h", borrow)]
    resp_h: Loose<'a>,
    #[serde(rename = "id.resp_p", borrow)]
    resp_p: Loose<'a>,
    #[serde(borrow)]
    id: NestedId<'a>,
    #[serde(borrow)]
    proto: Loose<'a>,
    #[serde(borrow)]
    duration: Loose<'a>,
    #[serde(borrow)]
    orig_bytes: Loose<'a>,
    #[serde(borrow)]
    resp_bytes: Loose<'a>,
    #[serde(borrow)]
    conn_state: Loose<'a>,
    #[serde(borrow)]
    orig_pkts: Loose<'a>,
    #[serde(borrow)]
    orig_ip_bytes: Loose<'a>,
    #[serde(borrow)]
    resp_pkts: Loose<'a>,
    #[serde(borrow)]
    resp_ip_bytes: Loose<'a>,
    #[serde(borrow)]
    community_id: Loose<'a>,
    #[serde(borrow)]
    rtt: Loose<'a>,
    #[serde(borrow)]
    query: Loose<'a>,
    #[serde(borrow)]
    qtype: Loose<'a>,
    #[serde(borrow)]
    qtype_name: Loose<'a>,
    #[serde(borrow)]
    answers: Loose<'a>,
    #[serde(rename = "TTLs", borrow)]
    ttls: Loose<'a>,
    #[serde(borrow)]
    server_name: Loose<'a>,
    #[serde(borrow)]
    version: Loose<'a>,
    #[serde(borrow)]
    host: Loose<'a>,
    #[serde(borrow)]
    method: Loose<'a>,
    #[serde(borrow)]
    uri: Loose<'a>,
    /// Markers of quic.log.
    client_initial_dcid: Option<IgnoredAny>,
    client_protocol: Option<IgnoredAny>,
    /// Markers of http.log.
    trans_depth: Option<IgnoredAny>,
    status_code: Option<IgnoredAny>,
}

/// Reads one JSON line; `hint` is the log the file name suggests.
pub(crate) fn record(line: &[u8], hint: LogPath) -> Result<Record<'_>, String> {
    // JSON is UTF-8 (RFC 8259): checked once for the whole line, not string by string
    // (simdutf8: the same verdict as the standard library's check, several times faster).
    let line =
        simdutf8::basic::from_utf8(line).map_err(|_| "invalid JSON: not UTF-8".to_string())?;
    let json: JsonRecord<'_> =
        serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    match json.path_of(hint) {
        LogPath::Conn => json.conn(),
        LogPath::Dns => json.dns(),
        LogPath::Ssl => {
            let kind = tls_kind(text(&json.version).map(str::as_bytes));
            names(json.uid, [(json.server_name, kind)])
        }
        LogPath::Quic => names(json.uid, [(json.server_name, AppName::Quic)]),
        LogPath::Http => {
            let connect = text(&json.method) == Some("CONNECT");
            let target = if connect { json.uri } else { Loose::Other };
            names(
                json.uid,
                [
                    (json.host, AppName::HttpHost),
                    (target, AppName::HttpConnect),
                ],
            )
        }
        LogPath::Other => Ok(Record::Other),
    }
}

/// The log a JSON line belongs to, from its `_path` or its keys (for sorting files before reading).
pub(crate) fn path_of_line(line: &[u8], hint: LogPath) -> Option<LogPath> {
    let line = std::str::from_utf8(line).ok()?;
    serde_json::from_str::<JsonRecord<'_>>(line)
        .ok()
        .map(|json| json.path_of(hint))
}

impl<'a> JsonRecord<'a> {
    fn path_of(&self, hint: LogPath) -> LogPath {
        if let Some(path) = text(&self.path) {
            return LogPath::from_name(path.as_bytes());
        }
        let has = |value: &Loose<'_>| !matches!(value, Loose::Other);
        if has(&self.conn_state) || has(&self.orig_ip_bytes) || has(&self.resp_ip_bytes) {
            LogPath::Conn
        } else if has(&self.query) || has(&self.qtype) || has(&self.answers) {
            LogPath::Dns
        } else if self.client_initial_dcid.is_some() || self.client_protocol.is_some() {
            LogPath::Quic
        } else if self.trans_depth.is_some() || self.status_code.is_some() || has(&self.method) {
            LogPath::Http
        } else if has(&self.server_name) {
            LogPath::Ssl
        } else {
            hint
        }
    }

    fn conn(self) -> Result<Record<'a>, String> {
        let Some(proto) = text(&self.proto) else {
            return Err("proto is missing".into());
        };
        let Some(transport) = transport(proto.as_bytes()) else {
            return Ok(Record::OtherTransport);
        };
        let ts = seconds(&self.ts, "ts")?.ok_or("ts is missing")?;
        let orig = (
            address(either(&self.orig_h, &self.id.orig_h), "id.orig_h")?,
            port(either(&self.orig_p, &self.id.orig_p), "id.orig_p")?,
        );
        let resp = (
            address(either(&self.resp_h, &self.id.resp_h), "id.resp_h")?,
            port(either(&self.resp_p, &self.id.resp_p), "id.resp_p")?,
        );
        let tcp_state = match transport {
            Transport::Tcp => text(&self.conn_state).and_then(|s| tcp_state(s.as_bytes())),
            Transport::Udp => None,
        };
        Ok(Record::Conn(ConnRecord {
            key: flow_key(transport, orig, resp),
            ts,
            duration: seconds(&self.duration, "duration")?,
            orig_pkts: count(&self.orig_pkts, "orig_pkts")?,
            orig_ip_bytes: count(&self.orig_ip_bytes, "orig_ip_bytes")?,
            orig_bytes: count(&self.orig_bytes, "orig_bytes")?,
            resp_pkts: count(&self.resp_pkts, "resp_pkts")?,
            resp_ip_bytes: count(&self.resp_ip_bytes, "resp_ip_bytes")?,
            resp_bytes: count(&self.resp_bytes, "resp_bytes")?,
            tcp_state,
            uid: owned_text(self.uid),
            community_id: owned_text(self.community_id),
        }))
    }

    fn dns(self) -> Result<Record<'a>, String> {
        let qtype = match &self.qtype {
            Loose::Unsigned(code) => Some(*code),
            Loose::Other => None,
            _ => return Err("qtype is not a count".into()),
        };
        let qtype_name = text(&self.qtype_name).map(str::as_bytes);
        if !asks_for_addresses(qtype, qtype_name) {
            return Ok(Record::NoAnswer);
        }
        let ts = seconds(&self.ts, "ts")?.ok_or("ts is missing")?;
        let rtt = seconds(&self.rtt, "rtt")?.unwrap_or(0);
        let ttls = match &self.ttls {
            Loose::List(items) => items
                .iter()
                .map(|t| seconds(t, "TTLs")?.ok_or_else(|| "a TTL is not a number".to_string()))
                .collect::<Result<Vec<_>, _>>()?,
            _ => Vec::new(),
        };
        let Loose::List(items) = self.answers else {
            return Ok(Record::NoAnswer);
        };
        let Some(query) = owned_text(self.query) else {
            return Ok(Record::NoAnswer);
        };
        let answers = items
            .into_iter()
            .map(|item| match item {
                Loose::Text(text) => Ok(text),
                _ => Err("an answer is not a string".to_string()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Record::Dns(DnsRecord {
            answered: ts.saturating_add(rtt.max(0)),
            query,
            answers,
            min_ttl: min_ttl(ttls.into_iter()),
        }))
    }
}

/// A record of names for the connection `uid` (borrowed from the line, not copied).
fn names<'a>(
    uid: Loose<'a>,
    wanted: impl IntoIterator<Item = (Loose<'a>, AppName)>,
) -> Result<Record<'a>, String> {
    let uid = owned_text(uid).ok_or("uid is missing")?;
    let names = wanted
        .into_iter()
        .filter_map(|(value, kind)| Some((owned_text(value)?, kind)))
        .collect();
    Ok(Record::Names { uid, names })
}

fn either<'v, 'a>(flat: &'v Loose<'a>, nested: &'v Loose<'a>) -> &'v Loose<'a> {
    match flat {
        Loose::Other => nested,
        _ => flat,
    }
}

fn text<'v>(value: &'v Loose<'_>) -> Option<&'v str> {
    match value {
        Loose::Text(text) if !text.is_empty() => Some(text),
        _ => None,
    }
}

fn owned_text(value: Loose<'_>) -> Option<Cow<'_, str>> {
    match value {
        Loose::Text(text) if !text.is_empty() => Some(text),
        _ => None,
    }
}

/// A time or interval: seconds as a number, or a string of decimal seconds or ISO 8601.
fn seconds(value: &Loose<'_>, name: &str) -> Result<Option<i64>, String> {
    let nanos = match value {
        Loose::Other => return Ok(None),
        Loose::Float(secs) => float_seconds_nanos(*secs),
        Loose::Unsigned(secs) => i64::try_from(*secs)
            .ok()
            .and_then(|s| s.checked_mul(1_000_000_000)),
        Loose::Signed(secs) => secs.checked_mul(1_000_000_000),
        Loose::Text(text) => decimal_seconds_nanos(text.as_bytes())
            .or_else(|| iso8601(text.as_bytes()).map(|t| t.nanos())),
        Loose::List(_) => None,
    };
    nanos
        .map(Some)
        .ok_or_else(|| format!("{name} is not a time: {value:?}"))
}

fn count(value: &Loose<'_>, name: &str) -> Result<u64, String> {
    match value {
        Loose::Other => Ok(0),
        Loose::Unsigned(n) => Ok(*n),
        _ => Err(format!("{name} is not a count: {value:?}")),
    }
}

fn port(value: &Loose<'_>, name: &str) -> Result<u16, String> {
    match value {
        Loose::Unsigned(n) => u16::try_from(*n).ok(),
        Loose::Text(text) => text.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("{name} is not a port: {value:?}"))
}

fn address(value: &Loose<'_>, name: &str) -> Result<IpAddr, String> {
    text(value)
        .and_then(|t| parse_address(t.as_bytes()))
        .ok_or_else(|| format!("{name} is not an address: {value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conn_records_with_flat_or_nested_ids_and_either_time() {
        let flat = br#"{"ts":1300475167.096535,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":5353,"id.resp_h":"224.0.0.251","id.resp_p":5353,"proto":"udp","duration":0.5,"orig_ip_bytes":73,"orig_pkts":1,"conn_state":"S0","extra":{"x":[1,2]}}"#;
        let nested = br#"{"ts":"2011-03-18T19:06:07.096535Z","uid":"C1","id":{"orig_h":"10.0.0.1","orig_p":5353,"resp_h":"224.0.0.251","resp_p":5353},"proto":"udp","duration":0.5,"orig_ip_bytes":73,"orig_pkts":1,"conn_state":"S0"}"#;
        for line in [&flat[..], &nested[..]] {
            let Ok(Record::Conn(conn)) = record(line, LogPath::Other) else {
                panic!("not a conn record: {}", String::from_utf8_lossy(line));
            };
            assert_eq!(conn.ts, 1_300_475_167_096_535_000);
            assert_eq!(conn.duration, Some(500_000_000));
            assert_eq!(conn.key.orig_port, 5353);
            assert_eq!((conn.orig_pkts, conn.orig_ip_bytes), (1, 73));
            assert_eq!(conn.tcp_state, None);
        }
    }

    #[test]
    fn records_of_other_logs_are_never_problems() {
        for line in [
            &br#"{"ts":1.0,"uid":"C1","version":2,"client":"SSH-2.0"}"#[..],
            br#"{"ts":1.0,"id":"FZ2ipe1ldSPXB5P2i1","certificate.version":3}"#,
            br#"{"_path":"weird","ts":[1],"query":{"a":1}}"#,
        ] {
            assert!(
                matches!(record(line, LogPath::Other), Ok(Record::Other)),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn dns_ssl_quic_and_http_records_are_told_apart() {
        let dns = br#"{"ts":10.0,"uid":"C2","query":"Meta.wikimedia.org","qtype":1,"qtype_name":"A","rtt":0.25,"answers":["text.wikimedia.org","208.80.152.2"],"TTLs":[723.0,2141.0]}"#;
        let Ok(Record::Dns(d)) = record(dns, LogPath::Other) else {
            panic!("not dns")
        };
        assert_eq!(d.answered, 10_250_000_000);
        assert_eq!(d.answers, ["text.wikimedia.org", "208.80.152.2"]);
        assert_eq!(d.min_ttl, Some(723));
        let names = |line: &[u8]| match record(line, LogPath::Other) {
            Ok(Record::Names { uid, names }) => {
                format!(
                    "{uid} {:?}",
                    names.iter().map(|(n, k)| (&**n, *k)).collect::<Vec<_>>()
                )
            }
            _ => "not names".into(),
        };
        assert_eq!(
            names(br#"{"uid":"C3","server_name":"a.example","version":"TLSv13","cipher":"x"}"#),
            r#"C3 [("a.example", Tls)]"#
        );
        assert_eq!(
            names(br#"{"uid":"C4","server_name":"b.example","version":"1","client_initial_dcid":"00"}"#),
            r#"C4 [("b.example", Quic)]"#
        );
        assert_eq!(
            names(br#"{"uid":"C5","method":"CONNECT","host":"p.example:3128","uri":"c.example:443","trans_depth":1}"#),
            r#"C5 [("p.example:3128", HttpHost), ("c.example:443", HttpConnect)]"#
        );
    }

    #[test]
    fn wrong_types_in_a_record_of_its_own_log_are_problems() {
        let cases: [(&[u8], &str); 4] = [
            (br#"{"ts":1.0,"proto":"tcp","conn_state":"SF","id.orig_h":"10.0.0.1","id.orig_p":70000,"id.resp_h":"10.0.0.2","id.resp_p":80}"#, "id.orig_p is not a port"),
            (br#"{"ts":1.0,"proto":"tcp","conn_state":"SF","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":80,"orig_bytes":-5}"#, "orig_bytes is not a count"),
            (br#"{"ts":"yesterday","proto":"tcp","conn_state":"SF"}"#, "ts is not a time"),
            (br#"{"ts":1.0,"proto":"tcp","conn_state":"SF""#, "invalid JSON"),
        ];
        for (line, expected) in cases {
            match record(line, LogPath::Other) {
                Err(e) => assert!(e.starts_with(expected), "{e}"),
                Ok(_) => panic!("read: {}", String::from_utf8_lossy(line)),
            }
        }
    }
}
