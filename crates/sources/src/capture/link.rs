//! Link layers: a frame's bytes → the IP packet it carries, or "not IP".
//!
//! Hand-written rather than a general dissector because only the way down to IP matters here and
//! it must not allocate: each function looks at a few header bytes and returns a sub-slice.

use super::packet::LinkType;

/// What a link-layer header leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkPayload<'a> {
    /// An IP packet (version to be read from its first nibble).
    Ip(&'a [u8]),
    /// ARP, LLDP, STP, an unsupported link type…: nothing to decode, nothing wrong.
    NotIp,
    /// The header claims a layer it does not have room for.
    Malformed(&'static str),
}

/// VLAN tags (802.1Q, 802.1ad, and the pre-standard QinQ types) accepted in one frame.
const MAX_VLAN_TAGS: usize = 8;
/// MPLS labels accepted before the bottom of the stack.
const MAX_MPLS_LABELS: usize = 16;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD1: u16 = 0x9100;
const ETHERTYPE_QINQ_OLD2: u16 = 0x9200;
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;

/// Link types that are raw IP under other numbers (DLT_RAW differs between BSDs).
const LINKTYPE_RAW_ALT_12: u32 = 12;
const LINKTYPE_RAW_ALT_14: u32 = 14;
const LINKTYPE_PPP: u32 = 9;
const LINKTYPE_PPP_HDLC: u32 = 50;
const LINKTYPE_PPP_ETHER: u32 = 51;
const LINKTYPE_C_HDLC: u32 = 104;
const LINKTYPE_PPP_WITH_DIR: u32 = 204;
const LINKTYPE_PPI: u32 = 192;

pub(crate) fn be16(data: &[u8], at: usize) -> Option<u16> {
    let bytes: [u8; 2] = data.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_be_bytes(bytes))
}

pub(crate) fn be32(data: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

/// The IP packet inside a frame of the given link type.
pub(crate) fn link_payload(link_type: LinkType, data: &[u8]) -> LinkPayload<'_> {
    match link_type.0 {
        1 => ethernet(data),
        101 | LINKTYPE_RAW_ALT_12 | LINKTYPE_RAW_ALT_14 | 228 | 229 => raw_ip(data),
        0 => bsd_loopback(data, false),
        108 => bsd_loopback(data, true),
        113 => linux_sll(data),
        276 => linux_sll2(data),
        // Cisco routers label Cisco HDLC frames (address 0x0f unicast, 0x8f broadcast) as PPP.
        LINKTYPE_PPP | LINKTYPE_PPP_HDLC if matches!(data.first(), Some(0x0f | 0x8f)) => {
            cisco_hdlc(data)
        }
        LINKTYPE_PPP | LINKTYPE_PPP_HDLC => ppp(data),
        LINKTYPE_PPP_WITH_DIR => match data.get(1..) {
            Some(rest) => ppp(rest),
            None => LinkPayload::Malformed("truncated PPP direction byte"),
        },
        LINKTYPE_PPP_ETHER => pppoe_session(data),
        LINKTYPE_PPI => ppi(data),
        LINKTYPE_C_HDLC => cisco_hdlc(data),
        _ => LinkPayload::NotIp,
    }
}

/// Per-Packet Information (CACE/Riverbed): version 0, flags, a little-endian header length and
/// the link type of the frame that follows the header.
fn ppi(data: &[u8]) -> LinkPayload<'_> {
    let (Some(&version), Some(len), Some(dlt)) = (
        data.first(),
        data.get(2..4).and_then(|b| <[u8; 2]>::try_from(b).ok()),
        data.get(4..8).and_then(|b| <[u8; 4]>::try_from(b).ok()),
    ) else {
        return LinkPayload::Malformed("truncated PPI header");
    };
    if version != 0 {
        return LinkPayload::Malformed("PPI header of an unknown version");
    }
    let len = usize::from(u16::from_le_bytes(len));
    if len < 8 {
        return LinkPayload::Malformed("PPI header length below 8 bytes");
    }
    let Some(inner) = data.get(len..) else {
        return LinkPayload::Malformed("truncated PPI header");
    };
    match u32::from_le_bytes(dlt) {
        // A PPI header inside a PPI header is not followed, so that nesting stays bounded.
        LINKTYPE_PPI => LinkPayload::NotIp,
        dlt => link_payload(LinkType(dlt), inner),
    }
}

/// A packet whose link layer is IP itself: accept it if the version nibble says IP.
fn raw_ip(data: &[u8]) -> LinkPayload<'_> {
    match data.first().map(|b| b >> 4) {
        Some(4 | 6) => LinkPayload::Ip(data),
        Some(_) => LinkPayload::Malformed("raw IP frame with an IP version other than 4 or 6"),
        None => LinkPayload::Malformed("empty raw IP frame"),
    }
}

/// Ethernet II (or 802.3 with LLC/SNAP), with any VLAN tags up to a bound.
pub(crate) fn ethernet(data: &[u8]) -> LinkPayload<'_> {
    let (Some(ethertype), Some(rest)) = (be16(data, 12), data.get(14..)) else {
        return LinkPayload::Malformed("truncated Ethernet header");
    };
    by_ethertype(ethertype, rest)
}

/// Dispatches on an EtherType, following VLAN tags, MPLS label stacks, PPPoE and LLC/SNAP.
fn by_ethertype(mut ethertype: u16, mut rest: &[u8]) -> LinkPayload<'_> {
    let mut tags = 0;
    loop {
        match ethertype {
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => return LinkPayload::Ip(rest),
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD1 | ETHERTYPE_QINQ_OLD2 => {
                tags += 1;
                if tags > MAX_VLAN_TAGS {
                    return LinkPayload::Malformed("too many VLAN tags");
                }
                let (Some(inner), Some(after)) = (be16(rest, 2), rest.get(4..)) else {
                    return LinkPayload::Malformed("truncated VLAN tag");
                };
                ethertype = inner;
                rest = after;
            }
            ETHERTYPE_MPLS | ETHERTYPE_MPLS_MULTICAST => return mpls(rest),
            ETHERTYPE_PPPOE_SESSION => return pppoe_session(rest),
            // 802.3 length field: the type, if any, is in an LLC/SNAP header.
            length if length < 0x0600 => return llc_snap(rest),
            _ => return LinkPayload::NotIp,
        }
    }
}

/// An LLC/SNAP header (802.2 with an EtherType), as in 802.3 and IEEE 802.11 frames.
pub(crate) fn llc_snap(data: &[u8]) -> LinkPayload<'_> {
    match (data.get(..3), be16(data, 6), data.get(8..)) {
        (
            Some([0xaa, 0xaa, 0x03]),
            Some(ethertype @ (ETHERTYPE_IPV4 | ETHERTYPE_IPV6)),
            Some(r),
        ) => by_ethertype(ethertype, r),
        _ => LinkPayload::NotIp,
    }
}

/// MPLS label stack; below the bottom label, IP is recognised by its version nibble (MPLS itself
/// does not say what it carries; pseudowires are not followed).
fn mpls(mut data: &[u8]) -> LinkPayload<'_> {
    for _ in 0..MAX_MPLS_LABELS {
        let Some(label) = be32(data, 0) else {
            return LinkPayload::Malformed("truncated MPLS label");
        };
        data = data.get(4..).unwrap_or_default();
        if label & 0x100 != 0 {
            return match data.first().map(|b| b >> 4) {
                Some(4 | 6) => LinkPayload::Ip(data),
                _ => LinkPayload::NotIp,
            };
        }
    }
    LinkPayload::Malformed("MPLS label stack too deep")
}

/// PPPoE session header (6 bytes) followed by a PPP protocol number.
fn pppoe_session(data: &[u8]) -> LinkPayload<'_> {
    match data.get(6..) {
        Some(rest) => ppp_protocol(rest),
        None => LinkPayload::Malformed("truncated PPPoE header"),
    }
}

/// Cisco HDLC: address, control, then an EtherType.
fn cisco_hdlc(data: &[u8]) -> LinkPayload<'_> {
    match (be16(data, 2), data.get(4..)) {
        (Some(protocol), Some(rest)) => by_ethertype(protocol, rest),
        _ => LinkPayload::Malformed("truncated Cisco HDLC header"),
    }
}

/// PPP, possibly in HDLC-like framing (address 0xff, control 0x03).
pub(crate) fn ppp(data: &[u8]) -> LinkPayload<'_> {
    let data = match data {
        [0xff, 0x03, rest @ ..] => rest,
        _ => data,
    };
    ppp_protocol(data)
}

/// A PPP protocol field (one byte when compressed: its low bit is set) and what follows.
fn ppp_protocol(data: &[u8]) -> LinkPayload<'_> {
    let (protocol, rest) = match data {
        [first, rest @ ..] if first & 1 == 1 => (u16::from(*first), rest),
        [high, low, rest @ ..] => (u16::from_be_bytes([*high, *low]), rest),
        _ => return LinkPayload::Malformed("truncated PPP header"),
    };
    match protocol {
        0x0021 | 0x0057 => LinkPayload::Ip(rest),
        _ => LinkPayload::NotIp,
    }
}

/// BSD loopback: a 4-byte address family, in the capturing host's byte order (NULL) or in
/// network order (LOOP).
fn bsd_loopback(data: &[u8], network_order: bool) -> LinkPayload<'_> {
    let (Some(bytes), Some(rest)) = (data.get(..4), data.get(4..)) else {
        return LinkPayload::Malformed("truncated loopback header");
    };
    let Ok(bytes) = <[u8; 4]>::try_from(bytes) else {
        return LinkPayload::Malformed("truncated loopback header");
    };
    let family = if network_order {
        u32::from_be_bytes(bytes)
    } else {
        // The family is small: whichever reading fits in 16 bits is the host's order.
        let little = u32::from_le_bytes(bytes);
        if little <= 0xffff {
            little
        } else {
            u32::from_be_bytes(bytes)
        }
    };
    match family {
        // AF_INET everywhere; AF_INET6 on OpenBSD/NetBSD (24), FreeBSD (28), macOS (30).
        2 | 24 | 28 | 30 => raw_ip(rest),
        _ => LinkPayload::NotIp,
    }
}

/// Linux "cooked" capture v1: 16-byte header ending in the protocol (an EtherType).
fn linux_sll(data: &[u8]) -> LinkPayload<'_> {
    let (Some(protocol), Some(rest)) = (be16(data, 14), data.get(16..)) else {
        return LinkPayload::Malformed("truncated Linux cooked (SLL) header");
    };
    by_ethertype(protocol, rest)
}

/// Linux "cooked" capture v2: 20-byte header starting with the protocol (an EtherType).
fn linux_sll2(data: &[u8]) -> LinkPayload<'_> {
    let (Some(protocol), Some(rest)) = (be16(data, 0), data.get(20..)) else {
        return LinkPayload::Malformed("truncated Linux cooked (SLL2) header");
    };
    by_ethertype(protocol, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPV4: [u8; 4] = [0x45, 0, 0, 20];
    const IPV6: [u8; 4] = [0x60, 0, 0, 0];

    fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&ethertype.to_be_bytes());
        frame.extend_from_slice(payload);
        frame
    }

    #[test]
    fn ethernet_plain_and_tagged() {
        let plain = eth(0x0800, &IPV4);
        assert_eq!(ethernet(&plain), LinkPayload::Ip(&IPV4));
        let mut qinq = eth(0x88a8, &[0, 10, 0x81, 0x00, 0, 20, 0x86, 0xdd]);
        qinq.extend_from_slice(&IPV6);
        assert_eq!(ethernet(&qinq), LinkPayload::Ip(&IPV6));
        let arp = eth(0x0806, &[0; 28]);
        assert_eq!(ethernet(&arp), LinkPayload::NotIp);
        assert!(matches!(ethernet(&[0; 13]), LinkPayload::Malformed(_)));
        let mut deep = eth(0x8100, &[]);
        for _ in 0..20 {
            deep.extend_from_slice(&[0, 1, 0x81, 0x00]);
        }
        assert_eq!(
            ethernet(&deep),
            LinkPayload::Malformed("too many VLAN tags")
        );
        assert!(matches!(
            ethernet(&eth(0x8100, &[0, 1])),
            LinkPayload::Malformed(_)
        ));
    }

    #[test]
    fn ethernet_llc_snap_mpls_and_pppoe() {
        let mut snap = eth(40, &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
        snap.extend_from_slice(&IPV4);
        assert_eq!(ethernet(&snap), LinkPayload::Ip(&IPV4));
        let stp = eth(38, &[0x42, 0x42, 0x03, 0, 0, 0, 0, 0]);
        assert_eq!(ethernet(&stp), LinkPayload::NotIp);
        let mut mpls = eth(0x8847, &[0, 0, 0x10, 64, 0, 0, 0x21, 64]);
        mpls.extend_from_slice(&IPV6);
        assert_eq!(ethernet(&mpls), LinkPayload::Ip(&IPV6));
        let mut pppoe = eth(0x8864, &[0x11, 0, 0, 1, 0, 22, 0x00, 0x21]);
        pppoe.extend_from_slice(&IPV4);
        assert_eq!(ethernet(&pppoe), LinkPayload::Ip(&IPV4));
    }

    #[test]
    fn raw_and_ip_link_types() {
        for lt in [101, 12, 14, 228, 229] {
            assert_eq!(link_payload(LinkType(lt), &IPV4), LinkPayload::Ip(&IPV4));
        }
        assert!(matches!(
            link_payload(LinkType::RAW, &[0x50]),
            LinkPayload::Malformed(_)
        ));
        assert!(matches!(
            link_payload(LinkType::RAW, &[]),
            LinkPayload::Malformed(_)
        ));
        assert_eq!(link_payload(LinkType(105), &IPV4), LinkPayload::NotIp);
    }

    #[test]
    fn bsd_null_either_byte_order_and_loop() {
        let mut le = vec![30, 0, 0, 0];
        le.extend_from_slice(&IPV6);
        assert_eq!(link_payload(LinkType::NULL, &le), LinkPayload::Ip(&IPV6));
        let mut be = vec![0, 0, 0, 2];
        be.extend_from_slice(&IPV4);
        assert_eq!(link_payload(LinkType::NULL, &be), LinkPayload::Ip(&IPV4));
        for family in [24u32, 28] {
            let mut frame = family.to_le_bytes().to_vec();
            frame.extend_from_slice(&IPV6);
            assert_eq!(link_payload(LinkType::NULL, &frame), LinkPayload::Ip(&IPV6));
        }
        let mut lp = 2u32.to_be_bytes().to_vec();
        lp.extend_from_slice(&IPV4);
        assert_eq!(link_payload(LinkType::LOOP, &lp), LinkPayload::Ip(&IPV4));
        // LOOP is always network order: a little-endian family is not IPv4 there.
        let mut wrong = 2u32.to_le_bytes().to_vec();
        wrong.extend_from_slice(&IPV4);
        assert_eq!(link_payload(LinkType::LOOP, &wrong), LinkPayload::NotIp);
        let mut other = 7u32.to_le_bytes().to_vec();
        other.extend_from_slice(&IPV4);
        assert_eq!(link_payload(LinkType::NULL, &other), LinkPayload::NotIp);
        assert!(matches!(
            link_payload(LinkType::NULL, &[2, 0]),
            LinkPayload::Malformed(_)
        ));
    }

    #[test]
    fn linux_cooked_v1_and_v2() {
        let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x86, 0xdd];
        sll.extend_from_slice(&IPV6);
        assert_eq!(
            link_payload(LinkType::LINUX_SLL, &sll),
            LinkPayload::Ip(&IPV6)
        );
        let mut sll2 = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        sll2.extend_from_slice(&IPV4);
        assert_eq!(
            link_payload(LinkType::LINUX_SLL2, &sll2),
            LinkPayload::Ip(&IPV4)
        );
        let mut arp = sll2.clone();
        arp[0..2].copy_from_slice(&0x0806u16.to_be_bytes());
        assert_eq!(link_payload(LinkType::LINUX_SLL2, &arp), LinkPayload::NotIp);
        assert!(matches!(
            link_payload(LinkType::LINUX_SLL, &sll[..15]),
            LinkPayload::Malformed(_)
        ));
    }

    #[test]
    fn ppi_header_then_inner_link_type() {
        // A 20-byte PPI header (8 fixed + a 12-byte field) before an Ethernet frame.
        let mut frame = vec![0, 0, 20, 0, 1, 0, 0, 0];
        frame.extend_from_slice(&[0xcc; 12]);
        frame.extend_from_slice(&eth(0x0800, &IPV4));
        assert_eq!(link_payload(LinkType::PPI, &frame), LinkPayload::Ip(&IPV4));
        let mut raw = vec![0, 0, 8, 0, 101, 0, 0, 0];
        raw.extend_from_slice(&IPV6);
        assert_eq!(link_payload(LinkType::PPI, &raw), LinkPayload::Ip(&IPV6));
        let mut nested = vec![0, 0, 8, 0, 192, 0, 0, 0];
        nested.extend_from_slice(&raw);
        assert_eq!(link_payload(LinkType::PPI, &nested), LinkPayload::NotIp);
        for bad in [
            &[0u8, 0, 8, 0, 1][..],
            &[1, 0, 8, 0, 1, 0, 0, 0],
            &[0, 0, 4, 0, 1, 0, 0, 0],
            &[0, 0, 40, 0, 1, 0, 0, 0],
        ] {
            assert!(matches!(
                link_payload(LinkType::PPI, bad),
                LinkPayload::Malformed(_)
            ));
        }
    }

    #[test]
    fn ppp_variants() {
        let mut hdlc = vec![0xff, 0x03, 0x00, 0x21];
        hdlc.extend_from_slice(&IPV4);
        assert_eq!(link_payload(LinkType(9), &hdlc), LinkPayload::Ip(&IPV4));
        let mut compressed = vec![0x57];
        compressed.extend_from_slice(&IPV6);
        assert_eq!(
            link_payload(LinkType(50), &compressed),
            LinkPayload::Ip(&IPV6)
        );
        let mut with_dir = vec![1, 0xff, 0x03, 0x00, 0x21];
        with_dir.extend_from_slice(&IPV4);
        assert_eq!(
            link_payload(LinkType(204), &with_dir),
            LinkPayload::Ip(&IPV4)
        );
        let lcp = [0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4];
        assert_eq!(link_payload(LinkType(9), &lcp), LinkPayload::NotIp);
        let mut chdlc = vec![0x0f, 0x00, 0x08, 0x00];
        chdlc.extend_from_slice(&IPV4);
        assert_eq!(link_payload(LinkType(104), &chdlc), LinkPayload::Ip(&IPV4));
        assert_eq!(
            link_payload(LinkType(9), &chdlc),
            LinkPayload::Ip(&IPV4),
            "Cisco HDLC labelled PPP"
        );
    }
}
