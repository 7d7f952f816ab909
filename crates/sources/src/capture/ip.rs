//! IPv4 (with options) and IPv6 (with extension headers) headers, and the TCP/UDP headers above
//! them. Every length is checked against what was captured; a packet cut by the snap length still
//! yields its addresses and whatever transport bytes were captured.

use super::link::{be16, be32};
use super::packet::{TcpFlags, TcpHeader, TransportHeader};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(crate) const PROTO_HOP_BY_HOP: u8 = 0;
pub(crate) const PROTO_IPV4: u8 = 4;
pub(crate) const PROTO_TCP: u8 = 6;
pub(crate) const PROTO_UDP: u8 = 17;
pub(crate) const PROTO_IPV6: u8 = 41;
pub(crate) const PROTO_ROUTING: u8 = 43;
pub(crate) const PROTO_FRAGMENT: u8 = 44;
pub(crate) const PROTO_GRE: u8 = 47;
pub(crate) const PROTO_AH: u8 = 51;
pub(crate) const PROTO_DEST_OPTS: u8 = 60;

/// Extension headers followed in one packet before giving up (a chain of hundreds is an attack).
const MAX_EXTENSION_HEADERS: usize = 16;

/// A fragment's place in its datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FragmentInfo {
    pub id: u32,
    /// Byte offset of this fragment's data in the datagram's payload.
    pub offset: u32,
    pub more: bool,
}

/// One parsed IP header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IpHeader<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The upper-layer protocol (after IPv6 extension headers and AH), or for a fragment the
    /// protocol of the fragmentable part.
    pub protocol: u8,
    /// Bytes of IP header (including extension headers) before `payload`.
    pub header_len: u32,
    /// Total length the header states (header included).
    pub total_len: u32,
    /// The captured payload, never longer than the header states.
    pub payload: &'a [u8],
    /// The payload length the header states.
    pub payload_len: u32,
    pub fragment: Option<FragmentInfo>,
}

/// Parses an IPv4 or IPv6 header by its version nibble.
pub(crate) fn parse_ip(data: &[u8]) -> Result<IpHeader<'_>, &'static str> {
    match data.first().map(|b| b >> 4) {
        Some(4) => parse_ipv4(data),
        Some(6) => parse_ipv6(data),
        Some(_) => Err("IP version is neither 4 nor 6"),
        None => Err("empty IP packet"),
    }
}

fn parse_ipv4(data: &[u8]) -> Result<IpHeader<'_>, &'static str> {
    let first = *data.first().ok_or("truncated IPv4 header")?;
    let header_len = usize::from(first & 0x0f) * 4;
    if header_len < 20 {
        return Err("IPv4 header length below 20 bytes");
    }
    let header = data.get(..header_len).ok_or("truncated IPv4 header")?;
    let stated = be16(header, 2).ok_or("truncated IPv4 header")?;
    // Captures taken on a host with segmentation offload show a total length of 0.
    let total_len = if stated == 0 {
        u32::try_from(data.len()).unwrap_or(u32::MAX)
    } else {
        u32::from(stated)
    };
    if (total_len as usize) < header_len {
        return Err("IPv4 total length shorter than its header");
    }
    let flags_offset = be16(header, 6).ok_or("truncated IPv4 header")?;
    let id = u32::from(be16(header, 4).ok_or("truncated IPv4 header")?);
    let protocol = *header.get(9).ok_or("truncated IPv4 header")?;
    let src = ipv4_at(header, 12).ok_or("truncated IPv4 header")?;
    let dst = ipv4_at(header, 16).ok_or("truncated IPv4 header")?;
    let more = flags_offset & 0x2000 != 0;
    let offset = u32::from(flags_offset & 0x1fff) * 8;
    let end = data.len().min(total_len as usize);
    let payload = data.get(header_len..end).unwrap_or_default();
    let mut parsed = IpHeader {
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        protocol,
        header_len: header_len as u32,
        total_len,
        payload,
        payload_len: total_len - header_len as u32,
        fragment: (more || offset != 0).then_some(FragmentInfo { id, offset, more }),
    };
    if parsed.fragment.is_none() && protocol == PROTO_AH {
        // IPsec AH in IPv4 sits where the transport header would: step over it.
        let (protocol, skipped) = skip_extensions(PROTO_AH, payload, false)?;
        parsed.protocol = protocol;
        advance(&mut parsed, skipped);
    }
    Ok(parsed)
}

fn ipv4_at(data: &[u8], at: usize) -> Option<Ipv4Addr> {
    let bytes: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(bytes))
}

fn ipv6_at(data: &[u8], at: usize) -> Option<Ipv6Addr> {
    let bytes: [u8; 16] = data.get(at..at + 16)?.try_into().ok()?;
    Some(Ipv6Addr::from(bytes))
}

/// Moves the payload start `skipped` bytes further (over extension headers).
fn advance(header: &mut IpHeader<'_>, skipped: usize) {
    header.payload = header.payload.get(skipped..).unwrap_or_default();
    let skipped = u32::try_from(skipped).unwrap_or(u32::MAX);
    header.header_len = header.header_len.saturating_add(skipped);
    header.payload_len = header.payload_len.saturating_sub(skipped);
}

fn parse_ipv6(data: &[u8]) -> Result<IpHeader<'_>, &'static str> {
    let stated = be16(data, 4).ok_or("truncated IPv6 header")?;
    let next = *data.get(6).ok_or("truncated IPv6 header")?;
    let src = ipv6_at(data, 8).ok_or("truncated IPv6 header")?;
    let dst = ipv6_at(data, 24).ok_or("truncated IPv6 header")?;
    let available = data.get(40..).unwrap_or_default();
    // A zero payload length is a jumbogram or segmentation offload: take what was captured.
    let payload_len = if stated == 0 {
        u32::try_from(available.len()).unwrap_or(u32::MAX)
    } else {
        u32::from(stated)
    };
    let payload = available
        .get(..available.len().min(payload_len as usize))
        .unwrap_or_default();
    let mut parsed = IpHeader {
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        protocol: next,
        header_len: 40,
        total_len: payload_len.saturating_add(40),
        payload,
        payload_len,
        fragment: None,
    };
    let (protocol, skipped) = skip_extensions(next, payload, true)?;
    parsed.protocol = protocol;
    advance(&mut parsed, skipped);
    if protocol == PROTO_FRAGMENT {
        let fragment = parsed.payload;
        let (Some(&inner), Some(offset_flags), Some(id)) =
            (fragment.first(), be16(fragment, 2), be32(fragment, 4))
        else {
            return Err("truncated IPv6 fragment header");
        };
        advance(&mut parsed, 8);
        parsed.protocol = inner;
        let offset = u32::from(offset_flags & 0xfff8);
        let more = offset_flags & 1 != 0;
        if offset == 0 && !more {
            // An atomic fragment (RFC 6946) is a whole packet: go on past its headers.
            let (protocol, skipped) = skip_extensions(inner, parsed.payload, true)?;
            parsed.protocol = protocol;
            advance(&mut parsed, skipped);
        } else {
            parsed.fragment = Some(FragmentInfo { id, offset, more });
        }
    }
    Ok(parsed)
}

/// Walks extension headers starting with `next` over `data`. Returns the first protocol that is
/// not an extension header to skip (a Fragment header stops the walk and is returned as such)
/// and how many bytes were skipped.
pub(crate) fn skip_extensions(
    mut next: u8,
    data: &[u8],
    ipv6: bool,
) -> Result<(u8, usize), &'static str> {
    let mut at = 0usize;
    for _ in 0..MAX_EXTENSION_HEADERS {
        let len = match next {
            PROTO_HOP_BY_HOP | PROTO_ROUTING | PROTO_DEST_OPTS if ipv6 => {
                let units = *data.get(at + 1).ok_or("truncated IPv6 extension header")?;
                (usize::from(units) + 1) * 8
            }
            PROTO_AH => {
                let units = *data.get(at + 1).ok_or("truncated AH header")?;
                (usize::from(units) + 2) * 4
            }
            _ => return Ok((next, at)),
        };
        let header = data
            .get(at..at + len)
            .ok_or("truncated IPv6 extension header")?;
        next = *header.first().ok_or("truncated IPv6 extension header")?;
        at += len;
    }
    Err("too many IPv6 extension headers")
}

/// A transport header with the captured payload after it and the payload length claimed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transport<'a> {
    pub header: TransportHeader,
    pub payload: &'a [u8],
    pub payload_len: u32,
}

/// Parses the TCP or UDP header at the start of `data` (the captured IP payload) whose length
/// the IP header gives as `stated_len`. Other protocols keep their whole payload.
pub(crate) fn parse_transport(
    protocol: u8,
    data: &[u8],
    stated_len: u32,
) -> Result<Transport<'_>, &'static str> {
    match protocol {
        PROTO_TCP => {
            let (Some(src_port), Some(dst_port), Some(seq), Some(ack), Some(&offset), Some(&flags)) = (
                be16(data, 0),
                be16(data, 2),
                be32(data, 4),
                be32(data, 8),
                data.get(12),
                data.get(13),
            ) else {
                return Err("truncated TCP header");
            };
            let header_len = usize::from(offset >> 4) * 4;
            if data.len() < 20 {
                return Err("truncated TCP header");
            }
            if header_len < 20 {
                return Err("TCP header length below 20 bytes");
            }
            if stated_len < header_len as u32 {
                return Err("TCP header longer than its IP payload");
            }
            Ok(Transport {
                header: TransportHeader::Tcp(TcpHeader {
                    src_port,
                    dst_port,
                    seq,
                    ack,
                    flags: TcpFlags(flags),
                }),
                // Options cut by the snap length leave no payload, but the header still counts.
                payload: data.get(header_len..).unwrap_or_default(),
                payload_len: stated_len - header_len as u32,
            })
        }
        PROTO_UDP => {
            let (Some(src_port), Some(dst_port), Some(_checksum)) =
                (be16(data, 0), be16(data, 2), be16(data, 6))
            else {
                return Err("truncated UDP header");
            };
            if stated_len < 8 {
                return Err("UDP header longer than its IP payload");
            }
            // The UDP length field is not trusted over the IP length (it is 0 for jumbograms and
            // some offloads); the IP layer already bounded `data`.
            Ok(Transport {
                header: TransportHeader::Udp { src_port, dst_port },
                payload: data.get(8..).unwrap_or_default(),
                payload_len: stated_len - 8,
            })
        }
        _ => Ok(Transport {
            header: TransportHeader::Other { protocol },
            payload: data,
            payload_len: stated_len,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4(protocol: u8, options: &[u8], payload: &[u8], flags_offset: u16) -> Vec<u8> {
        let header_len = 20 + options.len();
        let total = (header_len + payload.len()) as u16;
        let mut p = vec![0x40 | (header_len / 4) as u8, 0];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0x12, 0x34]);
        p.extend_from_slice(&flags_offset.to_be_bytes());
        p.extend_from_slice(&[64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend_from_slice(options);
        p.extend_from_slice(payload);
        p
    }

    fn ipv6(next: u8, rest: &[u8]) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&(rest.len() as u16).to_be_bytes());
        p.extend_from_slice(&[next, 64]);
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        p.extend_from_slice(&[0; 11]);
        p.push(1);
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        p.extend_from_slice(&[0; 11]);
        p.push(2);
        p.extend_from_slice(rest);
        p
    }

    const UDP: [u8; 10] = [0x30, 0x39, 0, 53, 0, 10, 0, 0, b'h', b'i'];

    #[test]
    fn ipv4_with_options_and_udp() {
        let packet = ipv4(17, &[1, 1, 1, 0], &UDP, 0x4000);
        let h = parse_ip(&packet).unwrap();
        assert_eq!(h.src, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(h.header_len, 24);
        assert_eq!(h.payload, &UDP);
        assert!(h.fragment.is_none());
        let t = parse_transport(h.protocol, h.payload, h.payload_len).unwrap();
        assert_eq!(
            t.header,
            TransportHeader::Udp {
                src_port: 12345,
                dst_port: 53
            }
        );
        assert_eq!(t.payload, b"hi");
        assert_eq!(t.payload_len, 2);
    }

    #[test]
    fn ipv4_cut_by_snaplen_keeps_claimed_length() {
        let packet = ipv4(17, &[], &UDP, 0);
        let h = parse_ip(&packet[..29]).unwrap();
        let t = parse_transport(h.protocol, h.payload, h.payload_len).unwrap();
        assert_eq!(t.payload, b"h");
        assert_eq!(t.payload_len, 2);
        assert_eq!(h.total_len, 30);
        // Trailing Ethernet padding beyond the total length is not payload.
        let mut padded = packet.clone();
        padded.extend_from_slice(&[0; 16]);
        assert_eq!(parse_ip(&padded).unwrap().payload, &UDP);
    }

    #[test]
    fn ipv4_fragment_fields_and_errors() {
        let packet = ipv4(17, &[], &UDP, 0x2000 | 3);
        let h = parse_ip(&packet).unwrap();
        assert_eq!(
            h.fragment,
            Some(FragmentInfo {
                id: 0x1234,
                offset: 24,
                more: true
            })
        );
        let mut bad = packet.clone();
        bad[0] = 0x44;
        assert!(parse_ip(&bad).is_err());
        assert!(parse_ip(&packet[..19]).is_err());
        assert!(parse_ip(&[0x75]).is_err());
        assert!(parse_ip(&[]).is_err());
    }

    #[test]
    fn ipv6_extension_headers_and_ah() {
        // Hop-by-hop (8 bytes) → destination options (16 bytes) → AH (12 bytes) → UDP.
        let mut rest = vec![60, 0, 1, 4, 0, 0, 0, 0];
        rest.extend_from_slice(&[51, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        rest.extend_from_slice(&[17, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
        rest.extend_from_slice(&UDP);
        let packet = ipv6(0, &rest);
        let h = parse_ip(&packet).unwrap();
        assert_eq!(h.protocol, 17);
        assert_eq!(h.header_len, 40 + 36);
        assert_eq!(h.payload, &UDP);
        assert_eq!(h.payload_len, 10);
        // Cut inside the destination options header.
        assert!(parse_ip(&packet[..50]).is_err());
    }

    #[test]
    fn ipv6_fragment_header_and_atomic_fragment() {
        let mut rest = vec![17, 0, 0x00, 0x11, 0, 0, 0, 7];
        rest.extend_from_slice(&UDP);
        let packet = ipv6(44, &rest);
        let h = parse_ip(&packet).unwrap();
        assert_eq!(h.protocol, 17);
        assert_eq!(
            h.fragment,
            Some(FragmentInfo {
                id: 7,
                offset: 16,
                more: true
            })
        );
        let mut atomic = vec![17, 0, 0, 0, 0, 0, 0, 9];
        atomic.extend_from_slice(&UDP);
        let packet = ipv6(44, &atomic);
        let h = parse_ip(&packet).unwrap();
        assert_eq!(h.fragment, None);
        assert_eq!(h.payload, &UDP);
    }

    #[test]
    fn tcp_header_flags_and_truncation() {
        let mut tcp = vec![0x01, 0xbb, 0xc0, 0x00, 0, 0, 0, 1, 0, 0, 0, 2, 0x60, 0x12];
        tcp.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0, 2, 4, 5, 0xb4]);
        tcp.extend_from_slice(b"data");
        let t = parse_transport(6, &tcp, tcp.len() as u32).unwrap();
        let TransportHeader::Tcp(h) = t.header else {
            panic!("not TCP")
        };
        assert_eq!((h.src_port, h.dst_port, h.seq, h.ack), (443, 49152, 1, 2));
        assert!(h.flags.syn() && h.flags.ack() && !h.flags.fin());
        assert_eq!(t.payload, b"data");
        assert_eq!(t.payload_len, 4);
        assert!(parse_transport(6, &tcp[..19], 24).is_err());
        // Options cut by the snap length: the header is known, no payload was captured.
        let cut = parse_transport(6, &tcp[..22], tcp.len() as u32).unwrap();
        assert_eq!((cut.payload.len(), cut.payload_len), (0, 4));
        assert!(parse_transport(6, &tcp, 20).is_err());
        assert!(parse_transport(17, &UDP[..7], 10).is_err());
        let other = parse_transport(1, &[8, 0, 0, 0], 4).unwrap();
        assert_eq!(other.header, TransportHeader::Other { protocol: 1 });
    }
}
