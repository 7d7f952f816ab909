//! GTPv1-U (3GPP TS 29.281): the user plane of mobile networks carries subscribers' IP packets
//! between base stations and gateways in UDP port 2152. Only G-PDUs (message type 0xff) carry a
//! packet; echo, error indication and end marker messages stay plain UDP.

use super::link::be16;
use super::packet::Tunnel;
use super::tunnel::{Decap, Inner};

const VERSION_1: u8 = 1;
const FLAG_EXTENSION: u8 = 0x04;
const FLAG_SEQUENCE: u8 = 0x02;
const FLAG_NPDU: u8 = 0x01;
const MESSAGE_G_PDU: u8 = 0xff;
/// The mandatory header: flags, message type, length, TEID.
const HEADER_LEN: usize = 8;
/// Sequence number, N-PDU number and next extension header type: present together when any of
/// the E, S or PN flags is set.
const OPTIONAL_LEN: usize = 4;
/// Extension headers followed before giving up (a chain of hundreds is an attack).
const MAX_EXTENSIONS: usize = 16;

/// Decapsulates a GTPv1-U G-PDU to the IPv4 or IPv6 packet it carries.
pub(crate) fn gtp_u(data: &[u8]) -> Decap<'_> {
    let (Some(&flags), Some(&message), Some(length)) = (data.first(), data.get(1), be16(data, 2))
    else {
        return Decap::NotTunnel;
    };
    // The protocol-type bit is not checked: GTP' has no G-PDU message, and nDPI and Wireshark
    // take version 1 with message type 0xff on this port as GTP-U whatever that bit says.
    if flags >> 5 != VERSION_1 || message != MESSAGE_G_PDU {
        return Decap::NotTunnel;
    }
    if data.len() < HEADER_LEN {
        return Decap::Malformed("truncated GTP-U header");
    }
    // The length counts the bytes after the mandatory header; what was captured may be less.
    let end = HEADER_LEN
        .saturating_add(usize::from(length))
        .min(data.len());
    let message = data.get(..end).unwrap_or(data);
    let mut at = HEADER_LEN;
    if flags & (FLAG_EXTENSION | FLAG_SEQUENCE | FLAG_NPDU) != 0 {
        at += OPTIONAL_LEN;
        if message.len() < at {
            return Decap::Malformed("truncated GTP-U optional fields");
        }
        if flags & FLAG_EXTENSION != 0 {
            // The optional fields end with the type of the first extension header.
            let mut next = message.get(at - 1).copied().unwrap_or(0);
            let mut followed = 0;
            while next != 0 {
                followed += 1;
                if followed > MAX_EXTENSIONS {
                    return Decap::Malformed("too many GTP-U extension headers");
                }
                // Each extension: a length in 4-byte units (its own bytes included), its
                // content, and the next extension's type as its last byte.
                let units = message.get(at).copied().unwrap_or(0);
                if units == 0 {
                    return Decap::Malformed("GTP-U extension header of length zero");
                }
                let Some(after) = at.checked_add(usize::from(units) * 4) else {
                    return Decap::Malformed("truncated GTP-U extension header");
                };
                let Some(&last) = message.get(after - 1) else {
                    return Decap::Malformed("truncated GTP-U extension header");
                };
                next = last;
                at = after;
            }
        }
    }
    let inner = message.get(at..).unwrap_or_default();
    match inner.first().map(|b| b >> 4) {
        Some(4 | 6) => Decap::Inner(Tunnel::Gtp, Inner::Ip(inner)),
        // An empty G-PDU, or one of a non-IP PDU session (Ethernet, unstructured): the GTP
        // packet itself is what there is to report.
        _ => Decap::NotTunnel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: [u8; 20] = {
        let mut p = [0u8; 20];
        p[0] = 0x45;
        p[3] = 20;
        p
    };

    fn gtp(flags: u8, message: u8, optional: &[u8], inner: &[u8]) -> Vec<u8> {
        let length = u16::try_from(optional.len() + inner.len()).unwrap();
        let mut packet = vec![flags, message];
        packet.extend_from_slice(&length.to_be_bytes());
        packet.extend_from_slice(&[0, 0, 0x12, 0x34]);
        packet.extend_from_slice(optional);
        packet.extend_from_slice(inner);
        packet
    }

    #[test]
    fn plain_g_pdu() {
        let packet = gtp(0x30, 0xff, &[], &V4);
        assert_eq!(gtp_u(&packet), Decap::Inner(Tunnel::Gtp, Inner::Ip(&V4)));
    }

    #[test]
    fn sequence_number_and_extension_chain() {
        let packet = gtp(0x32, 0xff, &[0, 7, 0, 0], &V4);
        assert_eq!(gtp_u(&packet), Decap::Inner(Tunnel::Gtp, Inner::Ip(&V4)));
        // PDU session container (0x85) of 4 bytes, then a 8-byte extension, then the end.
        let optional = [0, 0, 0, 0x85, 1, 0x10, 0x09, 0x40, 2, 1, 2, 3, 4, 5, 6, 0];
        let packet = gtp(0x34, 0xff, &optional, &V4);
        assert_eq!(gtp_u(&packet), Decap::Inner(Tunnel::Gtp, Inner::Ip(&V4)));
    }

    #[test]
    fn the_length_field_bounds_the_inner_packet() {
        let mut packet = gtp(0x30, 0xff, &[], &V4);
        packet.extend_from_slice(&[0xee; 6]);
        assert_eq!(gtp_u(&packet), Decap::Inner(Tunnel::Gtp, Inner::Ip(&V4)));
    }

    #[test]
    fn other_messages_and_versions_stay_udp() {
        // Echo request and GTPv2 are not user-plane packets.
        assert_eq!(gtp_u(&gtp(0x32, 0x01, &[0; 4], &[])), Decap::NotTunnel);
        assert_eq!(gtp_u(&gtp(0x48, 0xff, &[], &V4)), Decap::NotTunnel);
        assert_eq!(gtp_u(&gtp(0x30, 0xff, &[], &[])), Decap::NotTunnel);
        assert_eq!(gtp_u(&gtp(0x30, 0xff, &[], &[0x00; 14])), Decap::NotTunnel);
        assert_eq!(gtp_u(&[0x30]), Decap::NotTunnel);
        assert!(matches!(gtp_u(&[0x30, 0xff, 0, 0]), Decap::Malformed(_)));
    }

    #[test]
    fn broken_extension_chains_are_malformed() {
        let zero = gtp(0x34, 0xff, &[0, 0, 0, 0x85, 0, 0, 0, 0], &V4);
        assert!(matches!(gtp_u(&zero), Decap::Malformed(_)));
        let cut = gtp(0x34, 0xff, &[0, 0, 0, 0x85, 9, 0, 0, 0], &[]);
        assert!(matches!(gtp_u(&cut), Decap::Malformed(_)));
        let missing = gtp(0x31, 0xff, &[0, 0], &[]);
        assert!(matches!(gtp_u(&missing), Decap::Malformed(_)));
        // Extensions that always name another: stopped by the bound, not by running out.
        let mut endless = vec![0, 0, 0, 0x85];
        for _ in 0..40 {
            endless.extend_from_slice(&[1, 0, 0, 0x85]);
        }
        let long = gtp(0x34, 0xff, &endless, &V4);
        assert_eq!(
            gtp_u(&long),
            Decap::Malformed("too many GTP-U extension headers")
        );
    }
}
