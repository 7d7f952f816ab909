use crate::{EvidenceRef, LearnedName, LocalProcess, Timestamp};
use serde::Serialize;
use std::net::IpAddr;

/// The transport protocol of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    pub fn ip_protocol(self) -> u8 {
        match self {
            Transport::Tcp => 6,
            Transport::Udp => 17,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

/// A connection's 5-tuple, oriented from the initiator (`orig`) to the responder (`resp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FlowKey {
    pub transport: Transport,
    pub orig_addr: IpAddr,
    pub orig_port: u16,
    pub resp_addr: IpAddr,
    pub resp_port: u16,
}

impl FlowKey {
    /// The same tuple seen from the other side.
    pub fn reversed(self) -> FlowKey {
        FlowKey {
            transport: self.transport,
            orig_addr: self.resp_addr,
            orig_port: self.resp_port,
            resp_addr: self.orig_addr,
            resp_port: self.orig_port,
        }
    }
}

/// What the TCP handshake and teardown showed, in the spirit of Zeek's `conn_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpState {
    /// SYN seen, no answer.
    Attempted,
    /// SYN answered by RST.
    Rejected,
    /// Handshake completed (SYN, SYN-ACK), still open when last seen.
    Established,
    /// Handshake completed and both sides sent FIN.
    Closed,
    /// Handshake completed, then one side sent RST.
    Reset,
    /// No SYN seen: the capture began mid-connection.
    Midstream,
}

/// One HTTP/1.x request head seen on a connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HttpRequest {
    pub method: String,
    pub target: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// A bidirectional transport connection and everything learned about its remote side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// Community ID v1 (seed 0, base64), as Zeek and Suricata write it.
    pub community_id: String,
    #[serde(flatten)]
    pub key: FlowKey,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub orig_packets: u64,
    /// Bytes at the IP layer (headers included), initiator to responder.
    pub orig_bytes: u64,
    /// Transport payload bytes, initiator to responder.
    pub orig_payload_bytes: u64,
    pub resp_packets: u64,
    pub resp_bytes: u64,
    pub resp_payload_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_state: Option<TcpState>,
    /// Names for the responder, each with how it was learned, deduplicated, in a stable order.
    pub names: Vec<LearnedName>,
    /// ALPN protocols the client offered (TLS or QUIC).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alpn: Vec<String>,
    /// JA4 TLS client fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja4: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<HttpRequest>,
    /// Encapsulations the packets were carried in, outermost first (`gre`, `vxlan`, `teredo`, `ipip`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tunnels: Vec<String>,
    /// True when the active timeout cut this connection into several records (this is one of them).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub split: bool,
    /// The local program that opened the connection, when endpoint evidence (Sysmon) says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<LocalProcess>,
    /// The first packet of the connection.
    pub evidence: EvidenceRef,
}
