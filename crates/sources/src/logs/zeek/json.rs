//! Zeek's JSON logs (`LogAscii::use_json`): one object per line, connection ends as flat keys
//! (`"id.orig_h"`) or a nested `"id"` object, `ts` as seconds or an ISO 8601 string. The log a
//! record belongs to is its `_path` when written, else the fields it has (`conn_state`, `query`,
//! `client_initial_dcid`, `server_name`, `method`…), else the file name.
//!
//! Every field is read loosely (a string, a number, a list or anything else: [`Loose`]) because
//! the same key has different types in different logs (`version` is a string in ssl.log and a
//! count in ssh.log): a record of a log ringfence does not read must never be a problem. Only the
//! fields of a record's own log must have the right type.

use super::field::{LogField, NAMES};
use super::json_scan::KeyOrder;
use super::loose::{Loose, LooseSeed, NestedId, NestedIdSeed, Owned};
use super::record::{
    ConnRecord, DnsRecord, LogPath, Record, asks_for_addresses, flow_key, min_ttl, tcp_state,
    tls_kind, transport,
};
use crate::logs::address::parse_address;
use crate::logs::join::AppName;
use crate::logs::time::{decimal_seconds_nanos, float_seconds_nanos, iso8601};
use ringfence_model::Transport;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

/// Keys whose presence (with a value other than `null`) marks a log, each a bit of
/// `JsonRecord::markers`: quic.log's `client_initial_dcid` and `client_protocol`, http.log's
/// `trans_depth` and `status_code`.
const MARKERS: [&str; 4] = [
    "client_initial_dcid",
    "client_protocol",
    "trans_depth",
    "status_code",
];
const QUIC_MARKERS: u8 = 0b0011;
const HTTP_MARKERS: u8 = 0b1100;

/// What a key of a record is to ringfence.
#[derive(Clone, Copy)]
pub(super) enum Field {
    Value(LogField),
    /// The nested `"id"` object.
    Id,
    /// An index into [`MARKERS`].
    Marker(u8),
    Unknown,
}

impl Field {
    pub(super) fn of(name: &str) -> Field {
        if let Some(key) = LogField::of(name.as_bytes()) {
            return Field::Value(key);
        }
        match name {
            "id" => Field::Id,
            "client_initial_dcid" => Field::Marker(0),
            "client_protocol" => Field::Marker(1),
            "trans_depth" => Field::Marker(2),
            "status_code" => Field::Marker(3),
            _ => Field::Unknown,
        }
    }

    /// The field's bit in the set of fields already read (for duplicates), and its name.
    pub(super) fn bit_and_name(self) -> Option<(u64, &'static str)> {
        let (index, name) = match self {
            Field::Value(key) => (key as usize, NAMES.get(key as usize)),
            Field::Id => (NAMES.len(), Some(&"id")),
            Field::Marker(i) => (
                NAMES.len() + 1 + usize::from(i),
                MARKERS.get(usize::from(i)),
            ),
            Field::Unknown => return None,
        };
        Some((1u64 << index, name.copied().unwrap_or("?")))
    }
}

/// Reads a key as a [`Field`] (no copy, even when the key has escapes).
struct FieldSeed;

impl<'de> de::DeserializeSeed<'de> for FieldSeed {
    type Value = Field;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldSeed {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }
    fn visit_str<E>(self, v: &str) -> Result<Field, E> {
        Ok(Field::of(v))
    }
}

/// The values of the keys of every log ringfence reads; others are skipped unread. Each key may
/// appear once: a second one is an error, as serde's derived readers make it.
#[derive(Default)]
pub(super) struct JsonRecord<'a> {
    /// By [`LogField`]; absent and `null` are both `Loose::Other`.
    pub(super) values: [Loose<'a>; NAMES.len()],
    pub(super) id: NestedId<'a>,
    /// Bits of [`MARKERS`] present.
    pub(super) markers: u8,
    pub(super) owned: Owned<'a>,
}

impl<'a> JsonRecord<'a> {
    /// Reads a line into an empty record (filled in place: it is too large to move around
    /// cheaply): with the scanner when it is sure of the line (`json_scan`), else with serde_json.
    /// The record is the same either way.
    fn fill(&mut self, line: &'a str, keys: &mut KeyOrder) -> Result<(), serde_json::Error> {
        if self.scan(line, keys).is_some() {
            return Ok(());
        }
        *self = JsonRecord::default();
        self.read(line)
    }

    /// Reads a line into an empty record with serde_json.
    pub(super) fn read(&mut self, line: &'a str) -> Result<(), serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_str(line);
        RecordSeed(self).deserialize(&mut deserializer)?;
        // As `serde_json::from_str`: nothing but whitespace may follow.
        deserializer.end()
    }
}

struct RecordSeed<'r, 'a>(&'r mut JsonRecord<'a>);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_struct("JsonRecord", &NAMES, self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct JsonRecord")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let record = self.0;
        let mut seen = 0u64;
        while let Some(field) = map.next_key_seed(FieldSeed)? {
            if let Some((bit, name)) = field.bit_and_name() {
                if seen & bit != 0 {
                    return Err(de::Error::duplicate_field(name));
                }
                seen |= bit;
            }
            match field {
                Field::Value(key) => {
                    let value = map.next_value_seed(LooseSeed {
                        owned: &mut record.owned,
                        nested: false,
                    })?;
                    if let Some(slot) = record.values.get_mut(key as usize) {
                        *slot = value;
                    }
                }
                Field::Id => {
                    record.id = map.next_value_seed(NestedIdSeed {
                        owned: &mut record.owned,
                    })?;
                }
                Field::Marker(i) => {
                    if map.next_value::<Option<IgnoredAny>>()?.is_some() {
                        record.markers |= 1 << i;
                    }
                }
                Field::Unknown => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Reads one JSON line; `hint` is the log the file name suggests, `keys` those of the lines before.
pub(crate) fn record<'l>(
    line: &'l [u8],
    hint: LogPath,
    keys: &mut KeyOrder,
) -> Result<Record<'l>, String> {
    // JSON is UTF-8 (RFC 8259): checked once for the whole line, not string by string
    // (simdutf8: the same verdict as the standard library's check, several times faster).
    let line =
        simdutf8::basic::from_utf8(line).map_err(|_| "invalid JSON: not UTF-8".to_string())?;
    let mut json = JsonRecord::default();
    json.fill(line, keys)
        .map_err(|e| format!("invalid JSON: {e}"))?;
    match json.path_of(hint) {
        LogPath::Conn => json.conn(),
        LogPath::Dns => json.dns(),
        LogPath::Ssl => {
            let kind = tls_kind(json.text(LogField::Version).map(str::as_bytes));
            json.names([(Some(LogField::ServerName), kind)])
        }
        LogPath::Quic => json.names([(Some(LogField::ServerName), AppName::Quic)]),
        LogPath::Http => {
            let connect = json.text(LogField::Method) == Some("CONNECT");
            let target = connect.then_some(LogField::Uri);
            json.names([
                (Some(LogField::Host), AppName::HttpHost),
                (target, AppName::HttpConnect),
            ])
        }
        LogPath::Other => Ok(Record::Other),
    }
}

/// The log a JSON line belongs to, from its `_path` or its keys (for sorting files before reading).
pub(crate) fn path_of_line(line: &[u8], hint: LogPath) -> Option<LogPath> {
    let line = std::str::from_utf8(line).ok()?;
    let mut json = JsonRecord::default();
    json.fill(line, &mut KeyOrder::default()).ok()?;
    Some(json.path_of(hint))
}

impl<'a> JsonRecord<'a> {
    fn get(&self, key: LogField) -> Loose<'a> {
        self.values.get(key as usize).copied().unwrap_or_default()
    }

    fn has(&self, key: LogField) -> bool {
        !matches!(self.get(key), Loose::Other)
    }

    /// A key's non-empty string value.
    fn text(&self, key: LogField) -> Option<&str> {
        self.owned.text(self.get(key))
    }

    /// A key's non-empty string value, taken out of the record.
    fn take_text(&mut self, key: LogField) -> Option<Cow<'a, str>> {
        let value = self.get(key);
        self.owned.take_text(value)
    }

    fn path_of(&self, hint: LogPath) -> LogPath {
        if let Some(path) = self.text(LogField::Path) {
            return LogPath::from_name(path.as_bytes());
        }
        if self.has(LogField::ConnState)
            || self.has(LogField::OrigIpBytes)
            || self.has(LogField::RespIpBytes)
        {
            LogPath::Conn
        } else if self.has(LogField::Query)
            || self.has(LogField::Qtype)
            || self.has(LogField::Answers)
        {
            LogPath::Dns
        } else if self.markers & QUIC_MARKERS != 0 {
            LogPath::Quic
        } else if self.markers & HTTP_MARKERS != 0 || self.has(LogField::Method) {
            LogPath::Http
        } else if self.has(LogField::ServerName) {
            LogPath::Ssl
        } else {
            hint
        }
    }

    fn conn(mut self) -> Result<Record<'a>, String> {
        let Some(proto) = self.text(LogField::Proto) else {
            return Err("proto is missing".into());
        };
        let Some(transport) = transport(proto.as_bytes()) else {
            return Ok(Record::OtherTransport);
        };
        let ts = self
            .seconds(self.get(LogField::Ts), "ts")?
            .ok_or("ts is missing")?;
        let id = self.id;
        let orig = (
            self.address(either(self.get(LogField::OrigH), id.orig_h), "id.orig_h")?,
            self.port(either(self.get(LogField::OrigP), id.orig_p), "id.orig_p")?,
        );
        let resp = (
            self.address(either(self.get(LogField::RespH), id.resp_h), "id.resp_h")?,
            self.port(either(self.get(LogField::RespP), id.resp_p), "id.resp_p")?,
        );
        let tcp_state = match transport {
            Transport::Tcp => self
                .text(LogField::ConnState)
                .and_then(|s| tcp_state(s.as_bytes())),
            Transport::Udp => None,
        };
        Ok(Record::Conn(ConnRecord {
            key: flow_key(transport, orig, resp),
            ts,
            duration: self.seconds(self.get(LogField::Duration), "duration")?,
            orig_pkts: self.count(LogField::OrigPkts)?,
            orig_ip_bytes: self.count(LogField::OrigIpBytes)?,
            orig_bytes: self.count(LogField::OrigBytes)?,
            resp_pkts: self.count(LogField::RespPkts)?,
            resp_ip_bytes: self.count(LogField::RespIpBytes)?,
            resp_bytes: self.count(LogField::RespBytes)?,
            tcp_state,
            uid: self.take_text(LogField::Uid),
            community_id: self.take_text(LogField::CommunityId),
        }))
    }

    fn dns(mut self) -> Result<Record<'a>, String> {
        let qtype = match self.get(LogField::Qtype) {
            Loose::Unsigned(code) => Some(code),
            Loose::Other => None,
            _ => return Err("qtype is not a count".into()),
        };
        let qtype_name = self.text(LogField::QtypeName).map(str::as_bytes);
        if !asks_for_addresses(qtype, qtype_name) {
            return Ok(Record::NoAnswer);
        }
        let ts = self
            .seconds(self.get(LogField::Ts), "ts")?
            .ok_or("ts is missing")?;
        let rtt = self.seconds(self.get(LogField::Rtt), "rtt")?.unwrap_or(0);
        let ttls = match self.owned.list(self.get(LogField::Ttls)) {
            Some(items) => items
                .iter()
                .map(|t| {
                    self.seconds(*t, "TTLs")?
                        .ok_or_else(|| "a TTL is not a number".to_string())
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let Some(items) = self
            .owned
            .list(self.get(LogField::Answers))
            .map(<[_]>::to_vec)
        else {
            return Ok(Record::NoAnswer);
        };
        let Some(query) = self.take_text(LogField::Query) else {
            return Ok(Record::NoAnswer);
        };
        let answers = items
            .into_iter()
            .map(|item| {
                self.owned
                    .take_string(item)
                    .ok_or_else(|| "an answer is not a string".to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Record::Dns(DnsRecord {
            answered: ts.saturating_add(rtt.max(0)),
            query,
            answers,
            min_ttl: min_ttl(ttls.into_iter()),
        }))
    }

    /// A record of names for the connection `uid` (borrowed from the line, not copied).
    fn names<const N: usize>(
        mut self,
        wanted: [(Option<LogField>, AppName); N],
    ) -> Result<Record<'a>, String> {
        let uid = self.take_text(LogField::Uid).ok_or("uid is missing")?;
        let names = wanted
            .into_iter()
            .filter_map(|(key, kind)| Some((self.take_text(key?)?, kind)))
            .collect();
        Ok(Record::Names { uid, names })
    }

    /// A time or interval: seconds as a number, or a string of decimal seconds or ISO 8601.
    fn seconds(&self, value: Loose<'a>, name: &str) -> Result<Option<i64>, String> {
        let nanos = match value {
            Loose::Other => return Ok(None),
            Loose::Float(secs) => float_seconds_nanos(secs),
            Loose::Unsigned(secs) => i64::try_from(secs)
                .ok()
                .and_then(|s| s.checked_mul(1_000_000_000)),
            Loose::Signed(secs) => secs.checked_mul(1_000_000_000),
            Loose::Text(_) | Loose::Escaped(_) => {
                let text = self.owned.text(value).unwrap_or_default().as_bytes();
                decimal_seconds_nanos(text).or_else(|| iso8601(text).map(|t| t.nanos()))
            }
            Loose::List(_) => None,
        };
        nanos
            .map(Some)
            .ok_or_else(|| format!("{name} is not a time: {:?}", self.owned.shown(value)))
    }

    fn count(&self, key: LogField) -> Result<u64, String> {
        match self.get(key) {
            Loose::Other => Ok(0),
            Loose::Unsigned(n) => Ok(n),
            value => Err(format!(
                "{} is not a count: {:?}",
                NAMES.get(key as usize).unwrap_or(&"?"),
                self.owned.shown(value)
            )),
        }
    }

    fn port(&self, value: Loose<'a>, name: &str) -> Result<u16, String> {
        match value {
            Loose::Unsigned(n) => u16::try_from(n).ok(),
            Loose::Text(_) | Loose::Escaped(_) => {
                self.owned.text(value).unwrap_or_default().parse().ok()
            }
            _ => None,
        }
        .ok_or_else(|| format!("{name} is not a port: {:?}", self.owned.shown(value)))
    }

    fn address(&self, value: Loose<'a>, name: &str) -> Result<IpAddr, String> {
        self.owned
            .text(value)
            .and_then(|t| parse_address(t.as_bytes()))
            .ok_or_else(|| format!("{name} is not an address: {:?}", self.owned.shown(value)))
    }
}

/// The flat key's value, else the nested one's.
fn either<'a>(flat: Loose<'a>, nested: Loose<'a>) -> Loose<'a> {
    match flat {
        Loose::Other => nested,
        _ => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conn_records_with_flat_or_nested_ids_and_either_time() {
        let flat = br#"{"ts":1300475167.096535,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":5353,"id.resp_h":"224.0.0.251","id.resp_p":5353,"proto":"udp","duration":0.5,"orig_ip_bytes":73,"orig_pkts":1,"conn_state":"S0","extra":{"x":[1,2]}}"#;
        let nested = br#"{"ts":"2011-03-18T19:06:07.096535Z","uid":"C1","id":{"orig_h":"10.0.0.1","orig_p":5353,"resp_h":"224.0.0.251","resp_p":5353},"proto":"udp","duration":0.5,"orig_ip_bytes":73,"orig_pkts":1,"conn_state":"S0"}"#;
        for line in [&flat[..], &nested[..]] {
            let Ok(Record::Conn(conn)) = record(line, LogPath::Other, &mut KeyOrder::default())
            else {
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
                matches!(
                    record(line, LogPath::Other, &mut KeyOrder::default()),
                    Ok(Record::Other)
                ),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn dns_ssl_quic_and_http_records_are_told_apart() {
        let dns = br#"{"ts":10.0,"uid":"C2","query":"Meta.wikimedia.org","qtype":1,"qtype_name":"A","rtt":0.25,"answers":["text.wikimedia.org","208.80.152.2"],"TTLs":[723.0,2141.0]}"#;
        let Ok(Record::Dns(d)) = record(dns, LogPath::Other, &mut KeyOrder::default()) else {
            panic!("not dns")
        };
        assert_eq!(d.answered, 10_250_000_000);
        assert_eq!(d.answers, ["text.wikimedia.org", "208.80.152.2"]);
        assert_eq!(d.min_ttl, Some(723));
        let names = |line: &[u8]| match record(line, LogPath::Other, &mut KeyOrder::default()) {
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
            match record(line, LogPath::Other, &mut KeyOrder::default()) {
                Err(e) => assert!(e.starts_with(expected), "{e}"),
                Ok(_) => panic!("read: {}", String::from_utf8_lossy(line)),
            }
        }
    }
}
