//! The application parsers watching one connection, and how their results become names.
//!
//! Protocols are recognised by their first bytes, not by port (software on non-standard ports is
//! what an audit most needs to see), except DNS, which is parsed on its registered ports.

use super::dns::{self, DnsMessage, TcpDnsScanner};
use super::flow::AppFindings;
use super::http::socks::{SocksScan, SocksScanner};
use super::http::{HttpRequestScanner, HttpScanState};
use super::packet::{Packet, TransportHeader};
use super::quic::{QuicInitialScanner, QuicScan};
use super::stream::StreamReassembler;
use super::tls::{ClientHello, ClientHelloScanner, HelloScan};
use ringfence_model::{FlowKey, HttpRequest, NameSource, Transport};

/// DNS, mDNS and LLMNR, as Zeek parses them.
const DNS_PORTS: [u16; 3] = [53, 5353, 5355];
/// Client datagrams examined for a QUIC Initial before giving up (the ClientHello comes first).
const QUIC_DATAGRAMS: u8 = 16;
/// TLS record type `handshake`: a client stream starting with it is tried as TLS.
const TLS_HANDSHAKE: u8 = 0x16;
/// SOCKS protocol versions: a client stream starting with one is tried as a SOCKS handshake.
const SOCKS4: u8 = 0x04;
const SOCKS5: u8 = 0x05;
/// Proxy handshakes (HTTP CONNECT, SOCKS) followed through per connection; a proxy chain nests them.
const MAX_TUNNELS: u8 = 4;

#[derive(Debug)]
enum ClientProtocol {
    Undecided,
    Tls(ClientHelloScanner),
    Http(HttpRequestScanner),
    Socks(SocksScanner),
    Quic(QuicInitialScanner),
    Done,
}

#[derive(Debug)]
pub(crate) struct AppState {
    client: ClientProtocol,
    client_stream: Option<StreamReassembler>,
    /// DNS over TCP: the responder's messages carry the answers.
    server_dns: Option<(StreamReassembler, TcpDnsScanner)>,
    udp_dns: bool,
    quic_datagrams_left: u8,
    /// Proxy handshakes already followed into their tunnel.
    tunnels: u8,
}

impl AppState {
    /// The parsers worth running on a connection with this tuple.
    pub(crate) fn for_key(key: &FlowKey) -> AppState {
        let dns_port = DNS_PORTS.contains(&key.resp_port) || DNS_PORTS.contains(&key.orig_port);
        match key.transport {
            Transport::Tcp if dns_port => AppState {
                client: ClientProtocol::Done,
                client_stream: None,
                server_dns: Some((StreamReassembler::default(), TcpDnsScanner::new())),
                udp_dns: false,
                quic_datagrams_left: 0,
                tunnels: 0,
            },
            Transport::Tcp => AppState {
                client: ClientProtocol::Undecided,
                client_stream: Some(StreamReassembler::default()),
                server_dns: None,
                udp_dns: false,
                quic_datagrams_left: 0,
                tunnels: 0,
            },
            Transport::Udp => AppState {
                client: if dns_port {
                    ClientProtocol::Done
                } else {
                    ClientProtocol::Undecided
                },
                client_stream: None,
                server_dns: None,
                udp_dns: dns_port,
                quic_datagrams_left: if dns_port { 0 } else { QUIC_DATAGRAMS },
                tunnels: 0,
            },
        }
    }

    /// Nothing left to learn from this connection's payload.
    pub(crate) fn finished(&self) -> bool {
        matches!(self.client, ClientProtocol::Done) && self.server_dns.is_none() && !self.udp_dns
    }

    pub(crate) fn on_packet(
        &mut self,
        packet: &Packet<'_>,
        from_orig: bool,
        findings: &mut AppFindings,
        dns: &mut Vec<DnsMessage>,
    ) {
        match packet.transport {
            TransportHeader::Tcp(tcp) => {
                // Data on a SYN (TCP Fast Open) starts one after the SYN's own sequence number.
                let data_seq = if tcp.flags.syn() {
                    tcp.seq.wrapping_add(1)
                } else {
                    tcp.seq
                };
                if from_orig {
                    if let Some(stream) = self.client_stream.as_mut() {
                        if tcp.flags.syn() {
                            stream.on_syn(tcp.seq);
                        }
                        let client = &mut self.client;
                        let tunnels = &mut self.tunnels;
                        stream.on_segment(data_seq, packet.payload, |bytes| {
                            feed_client(client, tunnels, bytes, findings)
                        });
                        if stream.gave_up() {
                            self.client = ClientProtocol::Done;
                        }
                    }
                } else if let Some((stream, scanner)) = self.server_dns.as_mut() {
                    if tcp.flags.syn() {
                        stream.on_syn(tcp.seq);
                    }
                    stream.on_segment(data_seq, packet.payload, |bytes| {
                        scanner.feed(bytes, |message| {
                            if let Ok(message) = message {
                                dns.push(message);
                            }
                        })
                    });
                    if stream.gave_up() {
                        self.server_dns = None;
                    }
                }
                if matches!(self.client, ClientProtocol::Done) {
                    self.client_stream = None;
                }
            }
            TransportHeader::Udp { .. } => {
                if self.udp_dns
                    && let Ok(message) = dns::parse_message(packet.payload)
                {
                    dns.push(message);
                }
                if from_orig && self.quic_datagrams_left > 0 {
                    self.quic_datagrams_left -= 1;
                    self.feed_quic(packet.payload, findings);
                }
            }
            TransportHeader::Other { .. } => {}
        }
    }

    fn feed_quic(&mut self, datagram: &[u8], findings: &mut AppFindings) {
        // The scanner itself tells QUIC (of any version it can open) from other UDP at once.
        if matches!(self.client, ClientProtocol::Undecided) {
            self.client = ClientProtocol::Quic(QuicInitialScanner::new());
        }
        if let ClientProtocol::Quic(scanner) = &mut self.client {
            match scanner.feed(datagram) {
                QuicScan::NeedMore => {
                    if self.quic_datagrams_left == 0 {
                        self.client = ClientProtocol::Done;
                    }
                }
                QuicScan::Done(hello) => {
                    record_hello(findings, hello, NameSource::QuicSni);
                    self.client = ClientProtocol::Done;
                }
                QuicScan::NotQuic | QuicScan::Malformed(_) => self.client = ClientProtocol::Done,
            }
        }
    }
}

/// Hands in-order client bytes to whichever parser the first byte chose. After a proxy handshake
/// (HTTP `CONNECT`, SOCKS) the bytes that follow are the destination's own protocol, so the choice is
/// made again for them: a TLS ClientHello inside the tunnel gives the real SNI and JA4.
fn feed_client(
    client: &mut ClientProtocol,
    tunnels: &mut u8,
    mut bytes: &[u8],
    findings: &mut AppFindings,
) {
    // Each pass either consumes `bytes` or enters one more tunnel, at most MAX_TUNNELS times.
    loop {
        if matches!(client, ClientProtocol::Undecided) {
            if bytes.is_empty() {
                return;
            }
            *client = match bytes.first() {
                Some(&TLS_HANDSHAKE) => ClientProtocol::Tls(ClientHelloScanner::new()),
                Some(b'A'..=b'Z') => ClientProtocol::Http(HttpRequestScanner::new()),
                Some(&SOCKS4 | &SOCKS5) => ClientProtocol::Socks(SocksScanner::new()),
                _ => ClientProtocol::Done,
            };
        }
        let tunnel_rest = match client {
            ClientProtocol::Tls(scanner) => {
                match scanner.feed(bytes) {
                    HelloScan::NeedMore => {}
                    HelloScan::Done(hello) => {
                        record_hello(findings, hello, NameSource::Sni);
                        *client = ClientProtocol::Done;
                    }
                    HelloScan::NotTls | HelloScan::Malformed(_) => *client = ClientProtocol::Done,
                }
                None
            }
            ClientProtocol::Http(scanner) => {
                let consumed = scanner.feed(bytes, |request| record_http(findings, request));
                match scanner.state() {
                    HttpScanState::Scanning => None,
                    HttpScanState::Tunnel => Some(bytes.get(consumed..).unwrap_or_default()),
                    HttpScanState::NotHttp | HttpScanState::Stopped(_) => {
                        *client = ClientProtocol::Done;
                        None
                    }
                }
            }
            ClientProtocol::Socks(scanner) => match scanner.feed(bytes) {
                SocksScan::NeedMore => None,
                SocksScan::Done { target, consumed } => {
                    findings.add_name(&target.host, NameSource::SocksConnect);
                    Some(bytes.get(*consumed..).unwrap_or_default())
                }
                SocksScan::NotSocks => {
                    *client = ClientProtocol::Done;
                    None
                }
            },
            ClientProtocol::Undecided | ClientProtocol::Quic(_) | ClientProtocol::Done => None,
        };
        let Some(rest) = tunnel_rest else {
            return;
        };
        if *tunnels >= MAX_TUNNELS {
            *client = ClientProtocol::Done;
            return;
        }
        *tunnels += 1;
        *client = ClientProtocol::Undecided;
        bytes = rest;
    }
}

fn record_hello(findings: &mut AppFindings, hello: &ClientHello, source: NameSource) {
    if let Some(sni) = &hello.sni {
        findings.add_name(sni, source);
    }
    if findings.alpn.is_empty() {
        findings.alpn = hello.alpn.clone();
    }
    // A Google QUIC CHLO is not a TLS ClientHello and has no JA4 (its `ja4` is empty).
    if findings.ja4.is_none() && !hello.ja4.is_empty() {
        findings.ja4 = Some(hello.ja4.clone());
    }
}

/// The most request heads kept per connection.
const MAX_HTTP_REQUESTS: usize = 64;

fn record_http(findings: &mut AppFindings, request: HttpRequest) {
    if let Some(host) = request.host.as_deref() {
        findings.add_name(host_of(host), NameSource::HttpHost);
    }
    if request.method.eq_ignore_ascii_case("CONNECT") {
        findings.add_name(host_of(&request.target), NameSource::HttpConnect);
    }
    if findings.http.len() < MAX_HTTP_REQUESTS {
        findings.http.push(request);
    }
}

/// The host part of `host[:port]`, `[v6]:port` or a bare IPv6 literal.
pub(crate) fn host_of(authority: &str) -> &str {
    let authority = authority.trim();
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_strips_ports_and_brackets() {
        assert_eq!(host_of("example.com:8080"), "example.com");
        assert_eq!(host_of("example.com"), "example.com");
        assert_eq!(host_of("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(host_of("2001:db8::1"), "2001:db8::1");
    }
}
