//! The fields of Zeek's conn, dns, ssl, http and quic logs that ringfence reads, named as Zeek
//! names them: the TSV reader picks them from `#fields`, the JSON reader from each object's keys.

/// A field ringfence reads; its number indexes a record's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogField {
    Path,
    Ts,
    Uid,
    OrigH,
    OrigP,
    RespH,
    RespP,
    Proto,
    Duration,
    OrigBytes,
    RespBytes,
    ConnState,
    OrigPkts,
    OrigIpBytes,
    RespPkts,
    RespIpBytes,
    CommunityId,
    Rtt,
    Query,
    Qtype,
    QtypeName,
    Answers,
    Ttls,
    ServerName,
    Version,
    Host,
    Method,
    Uri,
}

/// Each field's name, in the order of [`LogField`].
pub(crate) const NAMES: [&str; 28] = [
    "_path",
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "community_id",
    "rtt",
    "query",
    "qtype",
    "qtype_name",
    "answers",
    "TTLs",
    "server_name",
    "version",
    "host",
    "method",
    "uri",
];

impl LogField {
    /// The field named `name`, when ringfence reads it.
    pub(crate) fn of(name: &[u8]) -> Option<LogField> {
        use LogField::*;
        Some(match name {
            b"_path" => Path,
            b"ts" => Ts,
            b"uid" => Uid,
            b"id.orig_h" => OrigH,
            b"id.orig_p" => OrigP,
            b"id.resp_h" => RespH,
            b"id.resp_p" => RespP,
            b"proto" => Proto,
            b"duration" => Duration,
            b"orig_bytes" => OrigBytes,
            b"resp_bytes" => RespBytes,
            b"conn_state" => ConnState,
            b"orig_pkts" => OrigPkts,
            b"orig_ip_bytes" => OrigIpBytes,
            b"resp_pkts" => RespPkts,
            b"resp_ip_bytes" => RespIpBytes,
            b"community_id" => CommunityId,
            b"rtt" => Rtt,
            b"query" => Query,
            b"qtype" => Qtype,
            b"qtype_name" => QtypeName,
            b"answers" => Answers,
            b"TTLs" => Ttls,
            b"server_name" => ServerName,
            b"version" => Version,
            b"host" => Host,
            b"method" => Method,
            b"uri" => Uri,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        NAMES.get(self as usize).copied().unwrap_or("?")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_gives_back_its_field() {
        for (index, name) in NAMES.iter().enumerate() {
            let field = LogField::of(name.as_bytes()).expect(name);
            assert_eq!(field as usize, index);
            assert_eq!(field.name(), *name);
        }
        assert_eq!(LogField::of(b"id"), None);
        assert_eq!(LogField::of(b"ttls"), None, "names are case-sensitive");
    }
}
