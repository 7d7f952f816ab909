//! Ethernet, IPv4/IPv6, TCP and UDP framing with correct lengths and checksums, written by hand so
//! every byte of a sample is under the generator's control (and so it is fast: a 1 GiB capture is
//! mostly checksummed payload).

use std::net::IpAddr;

pub(crate) const ETHERTYPE_IPV4: u16 = 0x0800;
pub(crate) const ETHERTYPE_IPV6: u16 = 0x86dd;
pub(crate) const PROTO_TCP: u8 = 6;
pub(crate) const PROTO_UDP: u8 = 17;

pub(crate) const TCP_FIN: u8 = 0x01;
pub(crate) const TCP_SYN: u8 = 0x02;
pub(crate) const TCP_RST: u8 = 0x04;
pub(crate) const TCP_PSH: u8 = 0x08;
pub(crate) const TCP_ACK: u8 = 0x10;

/// One side of a conversation as seen on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Peer {
    pub mac: [u8; 6],
    pub ip: IpAddr,
    pub port: u16,
    pub ttl: u8,
}

/// What the IP layer of one packet carries.
pub(crate) enum Transport<'a> {
    Tcp {
        seq: u32,
        ack: u32,
        flags: u8,
        window: u16,
        options: &'a [u8],
    },
    Udp,
}

/// Appends the 16-bit one's-complement sum of `data` (big-endian words) to `acc`.
fn sum_words(data: &[u8], mut acc: u64) -> u64 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let v = u64::from_be_bytes(w);
        acc += (v >> 48) + ((v >> 32) & 0xffff) + ((v >> 16) & 0xffff) + (v & 0xffff);
    }
    let mut pairs = chunks.remainder().chunks_exact(2);
    for p in &mut pairs {
        acc += u64::from(u16::from_be_bytes([p[0], p[1]]));
    }
    if let [last] = pairs.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The Internet checksum (RFC 1071) of `data`.
pub(crate) fn internet_checksum(data: &[u8]) -> u16 {
    fold(sum_words(data, 0))
}

fn pseudo_header_sum(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> u64 {
    let mut acc = 0u64;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            acc = sum_words(&s.octets(), acc);
            acc = sum_words(&d.octets(), acc);
        }
        (s, d) => {
            acc = sum_words(&ipv6_octets(s), acc);
            acc = sum_words(&ipv6_octets(d), acc);
        }
    }
    acc + u64::from(proto) + len as u64
}

fn ipv6_octets(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V6(v6) => v6.octets(),
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
    }
}

/// Builds one Ethernet frame from `from` to `to` into `out` (cleared first). Both peers must be of
/// the same address family; the caller guarantees it (a mixed pair is written as IPv6 with the IPv4
/// side mapped, which keeps the frame well-formed).
pub(crate) fn build_frame(
    out: &mut Vec<u8>,
    from: &Peer,
    to: &Peer,
    ip_id: u16,
    transport: Transport<'_>,
    payload: &[u8],
) {
    out.clear();
    out.extend_from_slice(&to.mac);
    out.extend_from_slice(&from.mac);
    let v4 = matches!((from.ip, to.ip), (IpAddr::V4(_), IpAddr::V4(_)));
    out.extend_from_slice(&if v4 { ETHERTYPE_IPV4 } else { ETHERTYPE_IPV6 }.to_be_bytes());
    let ip_start = out.len();
    let (proto, l4_header_len) = match &transport {
        Transport::Tcp { options, .. } => (PROTO_TCP, 20 + options.len()),
        Transport::Udp => (PROTO_UDP, 8),
    };
    let l4_len = l4_header_len + payload.len();
    if v4 {
        let total = (20 + l4_len) as u16;
        let flags_frag: u16 = if proto == PROTO_TCP { 0x4000 } else { 0 };
        out.extend_from_slice(&[0x45, 0]);
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&ip_id.to_be_bytes());
        out.extend_from_slice(&flags_frag.to_be_bytes());
        out.extend_from_slice(&[from.ttl, proto, 0, 0]);
        if let (IpAddr::V4(s), IpAddr::V4(d)) = (from.ip, to.ip) {
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
        }
        let sum = internet_checksum(out.get(ip_start..).unwrap_or_default());
        if let Some(slot) = out.get_mut(ip_start + 10..ip_start + 12) {
            slot.copy_from_slice(&sum.to_be_bytes());
        }
    } else {
        // Flow label: a stable per-connection value, as real stacks choose.
        let label = u32::from(from.port ^ to.port.rotate_left(5)) & 0x000f_ffff;
        out.extend_from_slice(&(0x6000_0000u32 | label).to_be_bytes());
        out.extend_from_slice(&(l4_len as u16).to_be_bytes());
        out.extend_from_slice(&[proto, from.ttl]);
        out.extend_from_slice(&ipv6_octets(from.ip));
        out.extend_from_slice(&ipv6_octets(to.ip));
    }
    let l4_start = out.len();
    out.extend_from_slice(&from.port.to_be_bytes());
    out.extend_from_slice(&to.port.to_be_bytes());
    let checksum_at = match transport {
        Transport::Tcp {
            seq,
            ack,
            flags,
            window,
            options,
        } => {
            out.extend_from_slice(&seq.to_be_bytes());
            out.extend_from_slice(&ack.to_be_bytes());
            let offset_words = (l4_header_len / 4) as u8;
            out.extend_from_slice(&[offset_words << 4, flags]);
            out.extend_from_slice(&window.to_be_bytes());
            out.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
            out.extend_from_slice(options);
            l4_start + 16
        }
        Transport::Udp => {
            out.extend_from_slice(&(l4_len as u16).to_be_bytes());
            out.extend_from_slice(&[0, 0]);
            l4_start + 6
        }
    };
    out.extend_from_slice(payload);
    let acc = pseudo_header_sum(from.ip, to.ip, proto, l4_len);
    let mut sum = fold(sum_words(out.get(l4_start..).unwrap_or_default(), acc));
    if proto == PROTO_UDP && sum == 0 {
        // RFC 768: a computed zero is sent as all ones (zero means "no checksum").
        sum = 0xffff;
    }
    if let Some(slot) = out.get_mut(checksum_at..checksum_at + 2) {
        slot.copy_from_slice(&sum.to_be_bytes());
    }
}

/// The largest TCP payload for a 1500-byte MTU with the timestamp option (12 bytes) on every segment.
pub(crate) fn tcp_mss(ip: IpAddr) -> usize {
    match ip {
        IpAddr::V4(_) => 1500 - 20 - 32,
        IpAddr::V6(_) => 1500 - 40 - 32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn peers(v6: bool) -> (Peer, Peer) {
        let (a, b): (IpAddr, IpAddr) = if v6 {
            (
                Ipv6Addr::new(0x2001, 0xdb8, 0x20, 0, 0, 0, 0, 0x21).into(),
                Ipv6Addr::new(0x2a00, 0x1450, 0x4001, 0x80e, 0, 0, 0, 0x2004).into(),
            )
        } else {
            (
                Ipv4Addr::new(10, 20, 0, 21).into(),
                Ipv4Addr::new(77, 74, 181, 1).into(),
            )
        };
        (
            Peer {
                mac: [2, 0, 0, 0, 0, 1],
                ip: a,
                port: 50000,
                ttl: 128,
            },
            Peer {
                mac: [2, 0, 0, 0, 0, 2],
                ip: b,
                port: 443,
                ttl: 52,
            },
        )
    }

    #[test]
    fn checksum_matches_rfc1071_example() {
        // RFC 1071 §3 example words 0001 f203 f4f5 f6f7 sum to 0xddf2 before complement.
        assert_eq!(
            internet_checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            !0xddf2
        );
        // An odd trailing byte is padded with zero on the right.
        assert_eq!(internet_checksum(&[0x12]), !0x1200);
    }

    #[test]
    fn tcp_and_udp_frames_verify_with_etherparse() {
        for v6 in [false, true] {
            let (a, b) = peers(v6);
            let mut out = Vec::new();
            let opts = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];
            build_frame(
                &mut out,
                &a,
                &b,
                7,
                Transport::Tcp {
                    seq: 1,
                    ack: 2,
                    flags: TCP_ACK | TCP_PSH,
                    window: 512,
                    options: &opts,
                },
                b"hello, checksum",
            );
            let frame = out.clone();
            let p = etherparse::SlicedPacket::from_ethernet(&frame).expect("parse tcp frame");
            let Some(etherparse::TransportSlice::Tcp(tcp)) = p.transport else {
                panic!("not tcp")
            };
            let expected = match p.net {
                Some(etherparse::NetSlice::Ipv4(ip)) => {
                    assert_eq!(
                        ip.header().header_checksum(),
                        ip.header().to_header().calc_header_checksum()
                    );
                    tcp.to_header()
                        .calc_checksum_ipv4(&ip.header().to_header(), tcp.payload())
                        .expect("v4 sum")
                }
                Some(etherparse::NetSlice::Ipv6(ip)) => tcp
                    .to_header()
                    .calc_checksum_ipv6(&ip.header().to_header(), tcp.payload())
                    .expect("v6 sum"),
                _ => panic!("no ip"),
            };
            assert_eq!(tcp.checksum(), expected);
            assert_eq!(tcp.payload(), b"hello, checksum");

            build_frame(&mut out, &a, &b, 8, Transport::Udp, b"odd");
            let p = etherparse::SlicedPacket::from_ethernet(&out).expect("parse udp frame");
            let Some(etherparse::TransportSlice::Udp(udp)) = p.transport else {
                panic!("not udp")
            };
            let expected = match p.net {
                Some(etherparse::NetSlice::Ipv4(ip)) => udp
                    .to_header()
                    .calc_checksum_ipv4(&ip.header().to_header(), udp.payload())
                    .expect("v4 sum"),
                Some(etherparse::NetSlice::Ipv6(ip)) => udp
                    .to_header()
                    .calc_checksum_ipv6(&ip.header().to_header(), udp.payload())
                    .expect("v6 sum"),
                _ => panic!("no ip"),
            };
            assert_eq!(udp.checksum(), expected);
        }
    }
}
