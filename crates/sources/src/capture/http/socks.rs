//! SOCKS proxy requests from the client-to-proxy bytes of a TCP connection: SOCKS4 (RFC-less, the
//! NEC protocol), SOCKS4a (a domain name after the user ID) and SOCKS5 (RFC 1928, with the RFC 1929
//! username/password sub-negotiation skipped). Like an HTTP `CONNECT`, the request names the real
//! destination, and the bytes after it are that destination's protocol (usually TLS), so the scanner
//! also says where the tunnel starts.
//!
//! It lives beside the HTTP scanner because both are proxy handshakes that the connection's
//! application parser hands over from.

use crate::capture::tls::escape_bytes;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A handshake longer than this is not a SOCKS client (SOCKS5 greeting ≤ 257 bytes, auth ≤ 513,
/// request ≤ 262; SOCKS4 user IDs and domains are short in practice).
const MAX_HANDSHAKE: usize = 2048;

/// The destination a SOCKS client asked the proxy to connect to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocksTarget {
    /// SOCKS4, 4a or 5 (`4` for both SOCKS4 and SOCKS4a).
    pub version: u8,
    /// The command: 1 CONNECT, 2 BIND, 3 UDP ASSOCIATE (SOCKS5 only).
    pub command: u8,
    /// A domain name as sent (escaped like an SNI) or an address in its text form.
    pub host: String,
    pub port: u16,
}

/// The state of a [`SocksScanner`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SocksScan {
    NeedMore,
    /// The request is complete; the bytes after it (`consumed` of the last chunk fed) belong to the
    /// tunnel.
    Done {
        target: SocksTarget,
        consumed: usize,
    },
    /// The stream does not start with a SOCKS4 or SOCKS5 client handshake.
    NotSocks,
}

/// Fed the in-order client stream in chunks, until it reports [`SocksScan::Done`] or
/// [`SocksScan::NotSocks`]; later feeds return the same state.
#[derive(Debug, Default)]
pub struct SocksScanner {
    buf: Vec<u8>,
    state: Option<SocksScan>,
}

/// The outcome of parsing a buffered prefix.
enum Parse {
    Incomplete,
    Invalid,
    /// The target and the handshake's total length.
    Complete(SocksTarget, usize),
}

impl SocksScanner {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn state(&self) -> &SocksScan {
        self.state.as_ref().unwrap_or(&SocksScan::NeedMore)
    }

    pub fn feed(&mut self, data: &[u8]) -> &SocksScan {
        if self.state.is_some() {
            return self.state();
        }
        let before = self.buf.len();
        let room = MAX_HANDSHAKE.saturating_sub(before).min(data.len());
        self.buf
            .extend_from_slice(data.get(..room).unwrap_or_default());
        match parse(&self.buf) {
            Parse::Incomplete if self.buf.len() >= MAX_HANDSHAKE => {
                self.state = Some(SocksScan::NotSocks);
            }
            Parse::Incomplete => {}
            Parse::Invalid => self.state = Some(SocksScan::NotSocks),
            Parse::Complete(target, total) => {
                self.state = Some(SocksScan::Done {
                    target,
                    consumed: total.saturating_sub(before),
                });
                self.buf = Vec::new();
            }
        }
        self.state()
    }
}

fn parse(buf: &[u8]) -> Parse {
    match buf.first() {
        None => Parse::Incomplete,
        Some(4) => parse_socks4(buf),
        Some(5) => parse_socks5(buf),
        Some(_) => Parse::Invalid,
    }
}

/// The index just after the NUL that ends a string starting at `from`.
fn after_nul(buf: &[u8], from: usize) -> Option<usize> {
    let rest = buf.get(from..)?;
    rest.iter().position(|b| *b == 0).map(|i| from + i + 1)
}

/// `04 cmd port:2 ip:4 userid\0`, and for SOCKS4a (ip 0.0.0.x, x ≠ 0) `domain\0` after it.
fn parse_socks4(buf: &[u8]) -> Parse {
    let Some(header) = buf.get(..8) else {
        return Parse::Incomplete;
    };
    let command = header[1];
    if !matches!(command, 1 | 2) {
        return Parse::Invalid;
    }
    let port = u16::from_be_bytes([header[2], header[3]]);
    let ip = Ipv4Addr::new(header[4], header[5], header[6], header[7]);
    let Some(user_end) = after_nul(buf, 8) else {
        return Parse::Incomplete;
    };
    let [a, b, c, d] = ip.octets();
    let (host, total) = if a == 0 && b == 0 && c == 0 && d != 0 {
        let Some(domain_end) = after_nul(buf, user_end) else {
            return Parse::Incomplete;
        };
        let domain = buf.get(user_end..domain_end - 1).unwrap_or_default();
        if domain.is_empty() {
            return Parse::Invalid;
        }
        (escape_bytes(domain), domain_end)
    } else {
        (ip.to_string(), user_end)
    };
    Parse::Complete(
        SocksTarget {
            version: 4,
            command,
            host,
            port,
        },
        total,
    )
}

/// Greeting `05 n methods…`, then, when the client offered username/password (method 2), the
/// sub-negotiation `01 ulen user plen pass`, then the request `05 cmd 00 atyp addr port:2`.
fn parse_socks5(buf: &[u8]) -> Parse {
    let Some(&methods) = buf.get(1) else {
        return Parse::Incomplete;
    };
    if methods == 0 {
        return Parse::Invalid;
    }
    let mut pos = 2 + usize::from(methods);
    if buf.len() < pos {
        return Parse::Incomplete;
    }
    // Username/password sub-negotiation (RFC 1929); the client sends it before the request when
    // the proxy chose that method, which only the proxy's reply says, so it is recognised by its
    // version byte 1 (a request starts with 5).
    match buf.get(pos) {
        None => return Parse::Incomplete,
        Some(1) => {
            let Some(user_len) = buf.get(pos + 1).map(|l| usize::from(*l)) else {
                return Parse::Incomplete;
            };
            let Some(pass_len) = buf.get(pos + 2 + user_len).map(|l| usize::from(*l)) else {
                return Parse::Incomplete;
            };
            pos += 3 + user_len + pass_len;
        }
        Some(5) => {}
        Some(_) => return Parse::Invalid,
    }
    let Some(request) = buf.get(pos..pos + 5) else {
        return Parse::Incomplete;
    };
    let (version, command, reserved, atyp, first) =
        (request[0], request[1], request[2], request[3], request[4]);
    if version != 5 || !matches!(command, 1..=3) || reserved != 0 {
        return Parse::Invalid;
    }
    let addr_at = pos + 4;
    let (host, addr_len) = match atyp {
        1 => match buf.get(addr_at..addr_at + 4) {
            Some(a) => (Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string(), 4),
            None => return Parse::Incomplete,
        },
        3 => {
            let len = usize::from(first);
            if len == 0 {
                return Parse::Invalid;
            }
            match buf.get(addr_at + 1..addr_at + 1 + len) {
                Some(domain) => (escape_bytes(domain), 1 + len),
                None => return Parse::Incomplete,
            }
        }
        4 => match buf
            .get(addr_at..addr_at + 16)
            .and_then(|a| <[u8; 16]>::try_from(a).ok())
        {
            Some(a) => (Ipv6Addr::from(a).to_string(), 16),
            None => return Parse::Incomplete,
        },
        _ => return Parse::Invalid,
    };
    let port_at = addr_at + addr_len;
    let Some(port) = buf.get(port_at..port_at + 2) else {
        return Parse::Incomplete;
    };
    Parse::Complete(
        SocksTarget {
            version: 5,
            command,
            host,
            port: u16::from_be_bytes([port[0], port[1]]),
        },
        port_at + 2,
    )
}
