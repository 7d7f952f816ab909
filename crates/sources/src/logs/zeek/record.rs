//! One Zeek record, whichever format it came in (TSV or JSON), reduced to what ringfence uses.

use crate::logs::join::AppName;
use ringfence_model::{FlowKey, TcpState, Transport};
use std::borrow::Cow;
use std::net::IpAddr;

/// The logs ringfence reads (`#path`, JSON `_path`, or the file name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogPath {
    Conn,
    Dns,
    Ssl,
    Http,
    Quic,
    Other,
}

impl LogPath {
    pub(crate) fn from_name(name: &[u8]) -> LogPath {
        match name {
            b"conn" => LogPath::Conn,
            b"dns" => LogPath::Dns,
            b"ssl" => LogPath::Ssl,
            b"http" => LogPath::Http,
            b"quic" => LogPath::Quic,
            _ => LogPath::Other,
        }
    }

    /// The log a file name suggests: `conn.log`, `dns.04:00:00-05:00:00.log.gz`, `ssl_1.log`.
    pub(crate) fn from_file_name(label: &str) -> LogPath {
        let file = label.rsplit(['/', '\\']).next().unwrap_or(label);
        let stem = file
            .split(['.', '_', '-'])
            .next()
            .unwrap_or(file)
            .to_ascii_lowercase();
        LogPath::from_name(stem.as_bytes())
    }
}

/// A conn.log record of a TCP or UDP connection.
pub(crate) struct ConnRecord<'a> {
    pub(crate) uid: Option<Cow<'a, str>>,
    pub(crate) key: FlowKey,
    pub(crate) ts: i64,
    pub(crate) duration: Option<i64>,
    pub(crate) orig_pkts: u64,
    pub(crate) orig_ip_bytes: u64,
    pub(crate) orig_bytes: u64,
    pub(crate) resp_pkts: u64,
    pub(crate) resp_ip_bytes: u64,
    pub(crate) resp_bytes: u64,
    pub(crate) tcp_state: Option<TcpState>,
    pub(crate) community_id: Option<Cow<'a, str>>,
}

/// A dns.log record with answers to an A or AAAA question.
pub(crate) struct DnsRecord<'a> {
    /// When the answer came: `ts` plus `rtt`.
    pub(crate) answered: i64,
    pub(crate) query: Cow<'a, str>,
    pub(crate) answers: Vec<Cow<'a, str>>,
    pub(crate) min_ttl: Option<u32>,
}

pub(crate) enum Record<'a> {
    Conn(ConnRecord<'a>),
    /// A conn.log record of another transport (ICMP, …).
    OtherTransport,
    Dns(DnsRecord<'a>),
    /// A DNS record without usable answers (a query, NXDOMAIN, a PTR or TXT question, …).
    NoAnswer,
    /// Names for the connection with this uid (ssl, quic, http).
    Names {
        uid: Cow<'a, str>,
        names: Vec<(Cow<'a, str>, AppName)>,
    },
    /// A record of another log.
    Other,
}

/// The conn.log transport (`proto`), or `None` for one ringfence does not report.
pub(crate) fn transport(proto: &[u8]) -> Option<Transport> {
    match proto {
        b"tcp" | b"TCP" => Some(Transport::Tcp),
        b"udp" | b"UDP" => Some(Transport::Udp),
        _ => None,
    }
}

/// Zeek's `conn_state` in ringfence's terms (the same reading of the handshake and teardown as the
/// capture engine's `TcpTracker`):
///
/// | Zeek | meaning | ringfence |
/// |---|---|---|
/// | S0 | SYN, no reply | Attempted |
/// | SH | SYN then FIN, no SYN-ACK | Attempted |
/// | RSTOS0 | SYN then RST from the originator, no SYN-ACK | Attempted |
/// | REJ | SYN answered by RST | Rejected |
/// | S1, S2, S3 | established, not (or half) closed | Established |
/// | SHR | SYN-ACK then FIN from the responder, no SYN | Established |
/// | SF | established and closed | Closed |
/// | RSTO, RSTR | established, then reset | Reset |
/// | RSTRH | SYN-ACK then RST from the responder, no SYN | Reset |
/// | OTH | no SYN seen: midstream | Midstream |
///
/// Only TCP has a state; an unknown or unset state is `None`.
pub(crate) fn tcp_state(conn_state: &[u8]) -> Option<TcpState> {
    Some(match conn_state {
        b"S0" | b"SH" | b"RSTOS0" => TcpState::Attempted,
        b"REJ" => TcpState::Rejected,
        b"S1" | b"S2" | b"S3" | b"SHR" => TcpState::Established,
        b"SF" => TcpState::Closed,
        b"RSTO" | b"RSTR" | b"RSTRH" => TcpState::Reset,
        b"OTH" => TcpState::Midstream,
        _ => return None,
    })
}

/// Whether a dns.log question type asks for addresses (`qtype` 1 or 28, or its name).
pub(crate) fn asks_for_addresses(qtype: Option<u64>, qtype_name: Option<&[u8]>) -> bool {
    match (qtype, qtype_name) {
        (Some(code), _) => code == 1 || code == 28,
        (None, Some(name)) => name == b"A" || name == b"AAAA",
        (None, None) => false,
    }
}

/// The name kinds an ssl.log `version` implies.
pub(crate) fn tls_kind(version: Option<&[u8]>) -> AppName {
    match version {
        Some(v) if v.starts_with(b"DTLS") => AppName::Dtls,
        _ => AppName::Tls,
    }
}

/// Both ends of a connection record.
pub(crate) fn flow_key(transport: Transport, orig: (IpAddr, u16), resp: (IpAddr, u16)) -> FlowKey {
    FlowKey {
        transport,
        orig_addr: orig.0,
        orig_port: orig.1,
        resp_addr: resp.0,
        resp_port: resp.1,
    }
}

/// The smallest of a list of TTLs in (possibly fractional) seconds, as whole seconds.
pub(crate) fn min_ttl(ttls_nanos: impl Iterator<Item = i64>) -> Option<u32> {
    ttls_nanos
        .map(|nanos| u32::try_from(nanos.max(0) / 1_000_000_000).unwrap_or(u32::MAX))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_suggest_their_log() {
        assert_eq!(LogPath::from_file_name("logs/conn.log"), LogPath::Conn);
        assert_eq!(
            LogPath::from_file_name("/var/zeek/2024-01-01/dns.04:00:00-05:00:00.log.gz"),
            LogPath::Dns
        );
        assert_eq!(
            LogPath::from_file_name("C:\\logs\\SSL_1.json"),
            LogPath::Ssl
        );
        assert_eq!(LogPath::from_file_name("-"), LogPath::Other);
        assert_eq!(LogPath::from_file_name("x509.log"), LogPath::Other);
    }

    #[test]
    fn conn_states_follow_the_documented_table() {
        assert_eq!(tcp_state(b"S0"), Some(TcpState::Attempted));
        assert_eq!(tcp_state(b"REJ"), Some(TcpState::Rejected));
        assert_eq!(tcp_state(b"SF"), Some(TcpState::Closed));
        assert_eq!(tcp_state(b"S1"), Some(TcpState::Established));
        assert_eq!(tcp_state(b"RSTR"), Some(TcpState::Reset));
        assert_eq!(tcp_state(b"OTH"), Some(TcpState::Midstream));
        assert_eq!(tcp_state(b"-"), None);
    }
}
