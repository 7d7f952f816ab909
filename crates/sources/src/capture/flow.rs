//! One connection while it is being observed: counters each way, the TCP handshake, the names
//! learned for the responder, and the application parsers still watching its bytes.

use super::app::AppState;
use super::community_id::community_id;
use super::dns::DnsMessage;
use super::names::NameCache;
use super::packet::{Packet, TcpHeader, TransportHeader, TunnelStack};
use ringfence_model::{
    Connection, EvidenceRef, FlowKey, HttpRequest, LearnedName, NameSource, TcpState, Timestamp,
    Transport,
};

/// The most names kept per connection; an attacker can send many Host headers.
const MAX_NAMES: usize = 32;

#[derive(Clone, Copy, Debug, Default)]
struct DirectionCounters {
    packets: u64,
    bytes: u64,
    payload_bytes: u64,
}

/// What the TCP control flags showed, each way.
#[derive(Clone, Copy, Debug, Default)]
struct TcpTracker {
    syn: bool,
    syn_ack: bool,
    fin_orig: bool,
    fin_resp: bool,
    rst_orig: bool,
    rst_resp: bool,
}

impl TcpTracker {
    fn state(&self) -> TcpState {
        let handshake = self.syn_ack;
        let reset = self.rst_orig || self.rst_resp;
        if handshake {
            if reset {
                TcpState::Reset
            } else if self.fin_orig && self.fin_resp {
                TcpState::Closed
            } else {
                TcpState::Established
            }
        } else if self.syn {
            if self.rst_resp {
                TcpState::Rejected
            } else {
                TcpState::Attempted
            }
        } else {
            TcpState::Midstream
        }
    }

    fn finished(&self) -> bool {
        self.rst_orig || self.rst_resp || (self.fin_orig && self.fin_resp)
    }
}

/// Application-level results gathered from a connection's payload.
#[derive(Debug, Default)]
pub(crate) struct AppFindings {
    pub(crate) names: Vec<LearnedName>,
    pub(crate) alpn: Vec<String>,
    pub(crate) ja4: Option<String>,
    pub(crate) http: Vec<HttpRequest>,
}

impl AppFindings {
    pub(crate) fn add_name(&mut self, name: &str, source: NameSource) {
        let name = normalise_name(name);
        if name.is_empty() || self.names.len() >= MAX_NAMES {
            return;
        }
        if !self
            .names
            .iter()
            .any(|n| n.name == name && n.source == source)
        {
            self.names.push(LearnedName {
                name,
                source,
                cname_chain: Vec::new(),
            });
        }
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Forward,
    Reverse,
}

/// Ports below this are system ports, where services listen; clients use ports above.
const FIRST_EPHEMERAL_PORT: u16 = 1024;

fn is_server_reply(src_port: u16, dst_port: u16) -> bool {
    src_port < FIRST_EPHEMERAL_PORT && dst_port >= FIRST_EPHEMERAL_PORT
}

/// Names compare case-insensitively and without the root's trailing dot.
pub(crate) fn normalise_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[derive(Debug)]
pub(crate) struct Flow {
    key: FlowKey,
    first_seen: Timestamp,
    pub(crate) last_seen: Timestamp,
    orig: DirectionCounters,
    resp: DirectionCounters,
    tcp: TcpTracker,
    findings: AppFindings,
    tunnels: TunnelStack,
    evidence: EvidenceRef,
    /// The active timeout has cut this connection into several records.
    continued: bool,
    app: Option<Box<AppState>>,
}

impl Flow {
    /// Starts a connection from its first packet. The initiator is the sender of a SYN, the
    /// receiver of a SYN-ACK; without either, the sender of the first packet — unless that packet
    /// goes from a system port to an ephemeral one: a server answering a connection whose start
    /// the capture missed.
    pub(crate) fn start(
        packet: &Packet<'_>,
        evidence: EvidenceRef,
        names: &NameCache,
    ) -> Option<Flow> {
        let (transport, src_port, dst_port, handshake) = match packet.transport {
            TransportHeader::Tcp(tcp) => {
                let handshake = match (tcp.flags.syn(), tcp.flags.ack()) {
                    (true, false) => Some(Direction::Forward),
                    (true, true) => Some(Direction::Reverse),
                    _ => None,
                };
                (Transport::Tcp, tcp.src_port, tcp.dst_port, handshake)
            }
            TransportHeader::Udp { src_port, dst_port } => {
                (Transport::Udp, src_port, dst_port, None)
            }
            TransportHeader::Other { .. } => return None,
        };
        let forward = FlowKey {
            transport,
            orig_addr: packet.src,
            orig_port: src_port,
            resp_addr: packet.dst,
            resp_port: dst_port,
        };
        let direction = handshake.unwrap_or(if is_server_reply(src_port, dst_port) {
            Direction::Reverse
        } else {
            Direction::Forward
        });
        let key = match direction {
            Direction::Forward => forward,
            Direction::Reverse => forward.reversed(),
        };
        let mut findings = AppFindings::default();
        for label in names.names_for(key.resp_addr, packet.time) {
            let name = normalise_name(&label.query);
            if findings.names.len() < MAX_NAMES && !findings.names.iter().any(|n| n.name == name) {
                findings.names.push(LearnedName {
                    name,
                    source: NameSource::Dns,
                    cname_chain: label.cname_chain.clone(),
                });
            }
        }
        Some(Flow {
            key,
            first_seen: packet.time,
            last_seen: packet.time,
            orig: DirectionCounters::default(),
            resp: DirectionCounters::default(),
            tcp: TcpTracker::default(),
            findings,
            tunnels: packet.tunnels,
            evidence,
            continued: false,
            app: Some(Box::new(AppState::for_key(&key))),
        })
    }

    pub(crate) fn first_seen(&self) -> Timestamp {
        self.first_seen
    }

    pub(crate) fn transport(&self) -> Transport {
        self.key.transport
    }

    /// Both sides closed (FIN each way) or one reset: a new SYN on the same tuple is a new connection.
    pub(crate) fn tcp_finished(&self) -> bool {
        self.tcp.finished()
    }

    /// Counts a packet of this connection and lets the application parsers see its payload.
    /// DNS messages found are pushed onto `dns` for the caller to learn from.
    pub(crate) fn update(&mut self, packet: &Packet<'_>, dns: &mut Vec<DnsMessage>) {
        let from_orig = packet.src == self.key.orig_addr
            && match packet.transport {
                TransportHeader::Tcp(tcp) => tcp.src_port == self.key.orig_port,
                TransportHeader::Udp { src_port, .. } => src_port == self.key.orig_port,
                TransportHeader::Other { .. } => false,
            };
        let counters = if from_orig {
            &mut self.orig
        } else {
            &mut self.resp
        };
        counters.packets += 1;
        counters.bytes += u64::from(packet.ip_len);
        counters.payload_bytes += u64::from(packet.payload_len);
        if packet.time > self.last_seen {
            self.last_seen = packet.time;
        }
        if let TransportHeader::Tcp(tcp) = packet.transport {
            self.track_tcp(&tcp, from_orig);
        }
        if let Some(app) = self.app.as_deref_mut() {
            app.on_packet(packet, from_orig, &mut self.findings, dns);
            if app.finished() {
                self.app = None;
            }
        }
    }

    fn track_tcp(&mut self, tcp: &TcpHeader, from_orig: bool) {
        let flags = tcp.flags;
        match (flags.syn(), flags.ack(), from_orig) {
            (true, false, true) => self.tcp.syn = true,
            (true, true, false) => self.tcp.syn_ack = true,
            _ => {}
        }
        if flags.fin() {
            if from_orig {
                self.tcp.fin_orig = true
            } else {
                self.tcp.fin_resp = true
            }
        }
        if flags.rst() {
            if from_orig {
                self.tcp.rst_orig = true
            } else {
                self.tcp.rst_resp = true
            }
        }
    }

    /// The record so far, for output when the active timeout cuts a long connection; this flow
    /// goes on counting from zero, keeping its names and handshake.
    pub(crate) fn split_off(&mut self) -> Connection {
        self.continued = true;
        let record = self.to_connection();
        self.first_seen = self.last_seen;
        self.orig = DirectionCounters::default();
        self.resp = DirectionCounters::default();
        self.continued = true;
        record
    }

    pub(crate) fn into_connection(self) -> Connection {
        self.to_connection()
    }

    fn to_connection(&self) -> Connection {
        let mut names = self.findings.names.clone();
        names.sort();
        Connection {
            community_id: community_id(&self.key),
            key: self.key,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            orig_packets: self.orig.packets,
            orig_bytes: self.orig.bytes,
            orig_payload_bytes: self.orig.payload_bytes,
            resp_packets: self.resp.packets,
            resp_bytes: self.resp.bytes,
            resp_payload_bytes: self.resp.payload_bytes,
            tcp_state: (self.key.transport == Transport::Tcp).then(|| self.tcp.state()),
            names,
            alpn: self.findings.alpn.clone(),
            ja4: self.findings.ja4.clone(),
            http: self.findings.http.clone(),
            tunnels: self
                .tunnels
                .iter()
                .map(|t| t.as_str().to_string())
                .collect(),
            split: self.continued,
            process: None,
            evidence: self.evidence,
        }
    }
}
