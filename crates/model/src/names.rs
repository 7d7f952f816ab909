use serde::Serialize;

/// How a name for the remote side of a connection was learned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// TLS ClientHello server_name over TCP.
    Sni,
    /// TLS ClientHello server_name inside a QUIC Initial packet.
    QuicSni,
    /// A DNS answer seen earlier that mapped the responder's address to this name.
    Dns,
    /// The HTTP/1.x `Host` header.
    HttpHost,
    /// The target of an HTTP `CONNECT` request.
    HttpConnect,
    /// The destination of a SOCKS4, SOCKS4a or SOCKS5 CONNECT request (a domain or an address).
    SocksConnect,
    /// Sysmon event 3 `DestinationHostname`.
    SysmonDestinationHostname,
}

impl NameSource {
    pub fn as_str(self) -> &'static str {
        match self {
            NameSource::Sni => "sni",
            NameSource::QuicSni => "quic_sni",
            NameSource::Dns => "dns",
            NameSource::HttpHost => "http_host",
            NameSource::HttpConnect => "http_connect",
            NameSource::SocksConnect => "socks_connect",
            NameSource::SysmonDestinationHostname => "sysmon_destination_hostname",
        }
    }
}

/// A name the software used (or was told) for the other end, and how ringfence learned it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LearnedName {
    pub name: String,
    pub source: NameSource,
    /// For DNS: the CNAME chain from the name that was asked to the name that held the address.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cname_chain: Vec<String>,
}
