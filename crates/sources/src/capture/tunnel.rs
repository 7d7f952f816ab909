//! Decapsulation: recognises a tunnel in an IP packet and finds the inner packet, so that the
//! inner connection is what gets reported. GRE (with its optional fields, ERSPAN II/III and
//! PPTP's enhanced GRE), VXLAN, Geneve, Teredo and IP-in-IP (4in4, 6in4, 4in6, 6in6) here;
//! GTP-U and CAPWAP in their own files.

use super::capwap::capwap_data;
use super::gtp::gtp_u;
use super::ip::{PROTO_GRE, PROTO_IPV4, PROTO_IPV6};
use super::link::{LinkPayload, be16, ppp};
use super::packet::{TransportHeader, Tunnel};

/// Where the inner packet starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inner<'a> {
    Ip(&'a [u8]),
    Ethernet(&'a [u8]),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decap<'a> {
    /// Not a tunnel (or one whose payload is not followed): report the packet as it is.
    NotTunnel,
    Inner(Tunnel, Inner<'a>),
    /// The packet claims to be a tunnel but its encapsulation header is cut or inconsistent.
    Malformed(&'static str),
}

const UDP_VXLAN: u16 = 4789;
const UDP_VXLAN_GPE: u16 = 4790;
const UDP_GENEVE: u16 = 6081;
const UDP_TEREDO: u16 = 3544;
const UDP_GTP_U: u16 = 2152;
const UDP_CAPWAP_DATA: u16 = 5247;

const GRE_CHECKSUM: u16 = 0x8000;
const GRE_ROUTING: u16 = 0x4000;
const GRE_KEY: u16 = 0x2000;
const GRE_SEQUENCE: u16 = 0x1000;
const GRE_ACK: u16 = 0x0080;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_TEB: u16 = 0x6558;
const ETHERTYPE_ERSPAN_2: u16 = 0x88be;
const ETHERTYPE_ERSPAN_3: u16 = 0x22eb;
const ETHERTYPE_PPP: u16 = 0x880b;

/// Looks for a tunnel in a packet whose IP protocol is `protocol`, with IP payload `ip_payload`
/// and (for UDP) the transport header and its payload.
pub(crate) fn decapsulate<'a>(
    protocol: u8,
    ip_payload: &'a [u8],
    transport: &TransportHeader,
    udp_payload: &'a [u8],
) -> Decap<'a> {
    match (protocol, transport) {
        (PROTO_IPV4 | PROTO_IPV6, _) => ip_in_ip(protocol, ip_payload),
        (PROTO_GRE, _) => gre(ip_payload),
        (_, TransportHeader::Udp { src_port, dst_port }) => {
            if *dst_port == UDP_VXLAN {
                vxlan(udp_payload)
            } else if *dst_port == UDP_VXLAN_GPE {
                vxlan_gpe(udp_payload)
            } else if *dst_port == UDP_GENEVE {
                geneve(udp_payload)
            } else if *dst_port == UDP_TEREDO || *src_port == UDP_TEREDO {
                teredo(udp_payload)
            } else if *dst_port == UDP_GTP_U || *src_port == UDP_GTP_U {
                gtp_u(udp_payload)
            } else if *dst_port == UDP_CAPWAP_DATA || *src_port == UDP_CAPWAP_DATA {
                capwap_data(udp_payload)
            } else {
                Decap::NotTunnel
            }
        }
        _ => Decap::NotTunnel,
    }
}

fn ip_in_ip(protocol: u8, payload: &[u8]) -> Decap<'_> {
    let expected = if protocol == PROTO_IPV4 { 4 } else { 6 };
    match payload.first().map(|b| b >> 4) {
        Some(v) if v == expected => Decap::Inner(Tunnel::IpInIp, Inner::Ip(payload)),
        Some(_) => Decap::Malformed("IP-in-IP payload has the wrong IP version"),
        None => Decap::Malformed("IP-in-IP packet without its inner packet"),
    }
}

fn gre(data: &[u8]) -> Decap<'_> {
    let (Some(flags), Some(protocol)) = (be16(data, 0), be16(data, 2)) else {
        return Decap::Malformed("truncated GRE header");
    };
    let optional = |flag: u16| if flags & flag != 0 { 4 } else { 0 };
    let header_len = match flags & 0x7 {
        0 => {
            if flags & GRE_ROUTING != 0 {
                // Source-routed GRE (RFC 1701) is obsolete; its routing list is not followed.
                return Decap::NotTunnel;
            }
            4 + optional(GRE_CHECKSUM) + optional(GRE_KEY) + optional(GRE_SEQUENCE)
        }
        // Enhanced GRE (PPTP, RFC 2637): key always present, optional sequence and ack numbers.
        1 => 8 + optional(GRE_SEQUENCE) + optional(GRE_ACK),
        _ => return Decap::NotTunnel,
    };
    let Some(payload) = data.get(header_len..) else {
        return Decap::Malformed("truncated GRE header");
    };
    match protocol {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => Decap::Inner(Tunnel::Gre, Inner::Ip(payload)),
        ETHERTYPE_TEB => Decap::Inner(Tunnel::Gre, Inner::Ethernet(payload)),
        ETHERTYPE_ERSPAN_2 => {
            // Type II carries an 8-byte ERSPAN header and sets the GRE sequence bit; type I has
            // neither.
            let skip = if flags & GRE_SEQUENCE != 0 { 8 } else { 0 };
            match payload.get(skip..) {
                Some(inner) => Decap::Inner(Tunnel::Gre, Inner::Ethernet(inner)),
                None => Decap::Malformed("truncated ERSPAN header"),
            }
        }
        ETHERTYPE_ERSPAN_3 => {
            // 12-byte header; its last bit (O) announces an 8-byte platform sub-header.
            let Some(&last) = payload.get(11) else {
                return Decap::Malformed("truncated ERSPAN header");
            };
            let skip = if last & 1 != 0 { 20 } else { 12 };
            match payload.get(skip..) {
                Some(inner) => Decap::Inner(Tunnel::Gre, Inner::Ethernet(inner)),
                None => Decap::Malformed("truncated ERSPAN header"),
            }
        }
        ETHERTYPE_PPP => match ppp(payload) {
            LinkPayload::Ip(inner) => Decap::Inner(Tunnel::Gre, Inner::Ip(inner)),
            // PPP control traffic (LCP, CCP…) in the tunnel: the GRE packet is what there is.
            LinkPayload::NotIp => Decap::NotTunnel,
            LinkPayload::Malformed(reason) => Decap::Malformed(reason),
        },
        _ => Decap::NotTunnel,
    }
}

/// VXLAN (RFC 7348): 8-byte header with the I flag, then an Ethernet frame.
fn vxlan(data: &[u8]) -> Decap<'_> {
    match (data.first(), data.get(8..)) {
        (Some(flags), Some(inner)) if flags & 0x08 != 0 => {
            Decap::Inner(Tunnel::Vxlan, Inner::Ethernet(inner))
        }
        // Not VXLAN after all (another service on the port, or cut short): a plain UDP packet.
        _ => Decap::NotTunnel,
    }
}

/// VXLAN-GPE: the VXLAN header with a P flag and a next-protocol byte (1 IPv4, 2 IPv6,
/// 3 Ethernet); without the P flag the payload is Ethernet as in VXLAN.
fn vxlan_gpe(data: &[u8]) -> Decap<'_> {
    let (Some(&flags), Some(&next), Some(inner)) = (data.first(), data.get(3), data.get(8..))
    else {
        return Decap::NotTunnel;
    };
    if flags & 0x08 == 0 {
        return Decap::NotTunnel;
    }
    match (flags & 0x04 != 0, next) {
        (false, _) | (true, 3) => Decap::Inner(Tunnel::Vxlan, Inner::Ethernet(inner)),
        (true, 1 | 2) => Decap::Inner(Tunnel::Vxlan, Inner::Ip(inner)),
        _ => Decap::NotTunnel,
    }
}

/// Geneve (RFC 8926): version 0, options of 4-byte units, an EtherType-like protocol.
fn geneve(data: &[u8]) -> Decap<'_> {
    let (Some(&first), Some(protocol)) = (data.first(), be16(data, 2)) else {
        return Decap::NotTunnel;
    };
    if first >> 6 != 0 {
        return Decap::NotTunnel;
    }
    let header_len = 8 + usize::from(first & 0x3f) * 4;
    let Some(inner) = data.get(header_len..) else {
        return Decap::Malformed("truncated Geneve header");
    };
    match protocol {
        ETHERTYPE_TEB => Decap::Inner(Tunnel::Geneve, Inner::Ethernet(inner)),
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => Decap::Inner(Tunnel::Geneve, Inner::Ip(inner)),
        _ => Decap::NotTunnel,
    }
}

/// Teredo (RFC 4380): an IPv6 packet in UDP, possibly after an authentication header and an
/// origin indication. Traffic on port 3544 that is not such a packet stays plain UDP.
fn teredo(data: &[u8]) -> Decap<'_> {
    let mut rest = data;
    if let [0x00, 0x01, id_len, auth_len, ..] = rest {
        // Authentication: 4 + client id + authentication value + nonce (8) + confirmation (1).
        let len = 4 + usize::from(*id_len) + usize::from(*auth_len) + 9;
        match rest.get(len..) {
            Some(after) => rest = after,
            None => return Decap::NotTunnel,
        }
    }
    if let [0x00, 0x00, ..] = rest {
        // Origin indication: 8 bytes (type, obfuscated port and address).
        match rest.get(8..) {
            Some(after) => rest = after,
            None => return Decap::NotTunnel,
        }
    }
    match rest.first() {
        Some(version) if version >> 4 == 6 && rest.len() >= 40 => {
            Decap::Inner(Tunnel::Teredo, Inner::Ip(rest))
        }
        _ => Decap::NotTunnel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V6: [u8; 40] = {
        let mut p = [0u8; 40];
        p[0] = 0x60;
        p[6] = 59;
        p
    };

    fn udp(dst_port: u16) -> TransportHeader {
        TransportHeader::Udp {
            src_port: 40000,
            dst_port,
        }
    }

    #[test]
    fn gre_optional_fields_and_protocols() {
        let inner = [0x45u8, 0, 0, 20];
        let mut plain = vec![0x00, 0x00, 0x08, 0x00];
        plain.extend_from_slice(&inner);
        let none = TransportHeader::Other { protocol: 47 };
        assert_eq!(
            decapsulate(47, &plain, &none, &[]),
            Decap::Inner(Tunnel::Gre, Inner::Ip(&inner))
        );
        // Checksum + key + sequence: 12 bytes of optional fields.
        let mut full = vec![0xb0, 0x00, 0x65, 0x58];
        full.extend_from_slice(&[0; 12]);
        full.extend_from_slice(&[0xee; 14]);
        assert_eq!(
            gre(&full),
            Decap::Inner(Tunnel::Gre, Inner::Ethernet(&[0xee; 14]))
        );
        assert!(matches!(gre(&full[..10]), Decap::Malformed(_)));
        assert_eq!(gre(&[0, 0, 0x12, 0x34]), Decap::NotTunnel);
        assert_eq!(gre(&[0x40, 0, 0x08, 0]), Decap::NotTunnel);
    }

    #[test]
    fn erspan_types() {
        let mut type2 = vec![0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1];
        type2.extend_from_slice(&[0x10; 8]);
        type2.extend_from_slice(&[0xee; 14]);
        assert_eq!(
            gre(&type2),
            Decap::Inner(Tunnel::Gre, Inner::Ethernet(&[0xee; 14]))
        );
        let mut type1 = vec![0x00, 0x00, 0x88, 0xbe];
        type1.extend_from_slice(&[0xee; 14]);
        assert_eq!(
            gre(&type1),
            Decap::Inner(Tunnel::Gre, Inner::Ethernet(&[0xee; 14]))
        );
        let mut type3 = vec![0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1];
        type3.extend_from_slice(&[0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        type3.extend_from_slice(&[0; 8]);
        type3.extend_from_slice(&[0xee; 14]);
        assert_eq!(
            gre(&type3),
            Decap::Inner(Tunnel::Gre, Inner::Ethernet(&[0xee; 14]))
        );
    }

    #[test]
    fn pptp_enhanced_gre() {
        let mut pptp = vec![0x30, 0x81, 0x88, 0x0b, 0, 4, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
        pptp.extend_from_slice(&[0xff, 0x03, 0x00, 0x21, 0x45]);
        assert_eq!(gre(&pptp), Decap::Inner(Tunnel::Gre, Inner::Ip(&[0x45])));
    }

    #[test]
    fn udp_tunnels() {
        let mut vx = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
        vx.extend_from_slice(&[0xee; 14]);
        assert_eq!(
            decapsulate(17, &[], &udp(4789), &vx),
            Decap::Inner(Tunnel::Vxlan, Inner::Ethernet(&[0xee; 14]))
        );
        let mut gpe = vx.clone();
        gpe[0] = 0x0c;
        gpe[3] = 3;
        assert_eq!(
            decapsulate(17, &[], &udp(4790), &gpe),
            Decap::Inner(Tunnel::Vxlan, Inner::Ethernet(&[0xee; 14]))
        );
        gpe[3] = 1;
        assert_eq!(
            decapsulate(17, &[], &udp(4790), &gpe),
            Decap::Inner(Tunnel::Vxlan, Inner::Ip(&[0xee; 14]))
        );
        vx[0] = 0;
        assert_eq!(decapsulate(17, &[], &udp(4789), &vx), Decap::NotTunnel);

        let mut geneve = vec![0x01, 0, 0x65, 0x58, 0, 0, 1, 0, 1, 2, 3, 4];
        geneve.extend_from_slice(&[0xee; 14]);
        assert_eq!(
            decapsulate(17, &[], &udp(6081), &geneve),
            Decap::Inner(Tunnel::Geneve, Inner::Ethernet(&[0xee; 14]))
        );

        let mut ter = vec![0x00, 0x01, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0];
        ter.extend_from_slice(&[0x00, 0x00, 1, 2, 3, 4, 5, 6]);
        ter.extend_from_slice(&V6);
        assert_eq!(
            decapsulate(17, &[], &udp(3544), &ter),
            Decap::Inner(Tunnel::Teredo, Inner::Ip(&V6))
        );
        let from_server = TransportHeader::Udp {
            src_port: 3544,
            dst_port: 5000,
        };
        assert_eq!(
            decapsulate(17, &[], &from_server, &V6),
            Decap::Inner(Tunnel::Teredo, Inner::Ip(&V6))
        );
        assert_eq!(decapsulate(17, &[], &udp(3544), b"hello"), Decap::NotTunnel);
        assert_eq!(decapsulate(17, &[], &udp(53), &V6), Decap::NotTunnel);
    }

    #[test]
    fn ip_in_ip_checks_version() {
        let none = TransportHeader::Other { protocol: 41 };
        assert_eq!(
            decapsulate(41, &V6, &none, &[]),
            Decap::Inner(Tunnel::IpInIp, Inner::Ip(&V6))
        );
        assert!(matches!(
            decapsulate(4, &V6, &none, &[]),
            Decap::Malformed(_)
        ));
        assert!(matches!(
            decapsulate(4, &[], &none, &[]),
            Decap::Malformed(_)
        ));
    }
}
