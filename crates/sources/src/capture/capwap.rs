//! CAPWAP data channel (RFC 5415, UDP port 5247): an access point relays its wireless clients'
//! frames to the controller, either as native IEEE 802.11 frames (RFC 5416) or converted to
//! IEEE 802.3. The clients' IP packets are what ringfence reports; frames that carry none
//! (management frames, keep-alives, ARP, encrypted or fragmented payloads) leave the CAPWAP
//! packet itself as the connection.

use super::link::{LinkPayload, ethernet, llc_snap};
use super::packet::Tunnel;
use super::tunnel::{Decap, Inner};

/// The header's fixed part: preamble, HLEN/RID/WBID/flags, fragment id and offset.
const MIN_HEADER_LEN: usize = 8;
const FLAG_T: u8 = 0x01;
const FLAG_F: u8 = 0x80;
const FLAG_K: u8 = 0x08;
/// Wireless binding 1 is IEEE 802.11.
const WBID_IEEE_80211: u8 = 1;

/// Decapsulates a CAPWAP data packet to the IP packet its frame carries.
pub(crate) fn capwap_data(data: &[u8]) -> Decap<'_> {
    let Some(&[preamble, hlen_rid, rid_wbid_t, flags]) = data.get(..4) else {
        return Decap::NotTunnel;
    };
    if preamble != 0 {
        // Version 0 and type 0 (a CAPWAP header follows); type 1 is a DTLS-protected data
        // channel, with nothing readable inside.
        return Decap::NotTunnel;
    }
    let header_len = usize::from(hlen_rid >> 3) * 4;
    if header_len < MIN_HEADER_LEN {
        return Decap::Malformed("CAPWAP header length below 8 bytes");
    }
    let Some(payload) = data.get(header_len..) else {
        return Decap::Malformed("truncated CAPWAP header");
    };
    // Fragments would need reassembly across packets and keep-alives carry message elements,
    // not a frame.
    if flags & (FLAG_F | FLAG_K) != 0 || payload.is_empty() {
        return Decap::NotTunnel;
    }
    if rid_wbid_t & FLAG_T == 0 {
        // An IEEE 802.3 frame.
        return match ethernet(payload) {
            LinkPayload::Ip(_) => Decap::Inner(Tunnel::Capwap, Inner::Ethernet(payload)),
            LinkPayload::NotIp => Decap::NotTunnel,
            LinkPayload::Malformed(reason) => Decap::Malformed(reason),
        };
    }
    if (rid_wbid_t >> 1) & 0x1f != WBID_IEEE_80211 {
        return Decap::NotTunnel;
    }
    match ieee80211_data(payload) {
        LinkPayload::Ip(inner) => Decap::Inner(Tunnel::Capwap, Inner::Ip(inner)),
        LinkPayload::NotIp => Decap::NotTunnel,
        LinkPayload::Malformed(reason) => Decap::Malformed(reason),
    }
}

const TYPE_DATA: u8 = 2;
/// Data subtypes with this bit (Null, CF-Ack, CF-Poll… without data) have no frame body.
const SUBTYPE_NO_DATA: u8 = 0x04;
const SUBTYPE_QOS: u8 = 0x08;
const FLAGS_TO_DS_FROM_DS: u8 = 0x03;
const FLAG_PROTECTED: u8 = 0x40;
/// In a QoS data frame, the Order bit announces a 4-byte HT Control field.
const FLAG_ORDER: u8 = 0x80;
/// Frame control, duration, three addresses and sequence control.
const MAC_HEADER_LEN: usize = 24;

/// The subtype and flags of a frame control field read as version 0 data frame, if it is one.
fn data_frame(control: u8, flags: u8) -> Option<(u8, u8)> {
    (control & 0x03 == 0 && (control >> 2) & 0x03 == TYPE_DATA).then_some((control >> 4, flags))
}

/// The IP packet in an IEEE 802.11 data frame (MAC header, then LLC/SNAP).
fn ieee80211_data(frame: &[u8]) -> LinkPayload<'_> {
    let Some(&[first, second]) = frame.get(..2) else {
        return LinkPayload::Malformed("truncated IEEE 802.11 header");
    };
    // Cisco access points send the frame control field byte-swapped (Wireshark's "swap frame
    // control" CAPWAP setting): read it as sent first, then swapped. Only a flags byte of the
    // form 0bxxxx10xx with no DS bits reads as a data frame both ways; as sent wins then.
    let Some((subtype, flags)) = data_frame(first, second).or_else(|| data_frame(second, first))
    else {
        // Management and control frames carry no IP.
        return LinkPayload::NotIp;
    };
    if subtype & SUBTYPE_NO_DATA != 0 || flags & FLAG_PROTECTED != 0 {
        return LinkPayload::NotIp;
    }
    let mut header_len = MAC_HEADER_LEN;
    if flags & FLAGS_TO_DS_FROM_DS == FLAGS_TO_DS_FROM_DS {
        // Wireless distribution system: a fourth address.
        header_len += 6;
    }
    if subtype & SUBTYPE_QOS != 0 {
        header_len += 2;
        if flags & FLAG_ORDER != 0 {
            header_len += 4;
        }
    }
    match frame.get(header_len..) {
        // An A-MSDU aggregate does not start with LLC/SNAP and is not followed.
        Some(body) => llc_snap(body),
        None => LinkPayload::Malformed("truncated IEEE 802.11 header"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: [u8; 4] = [0x45, 0, 0, 20];
    const SNAP_IPV4: [u8; 8] = [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00];

    fn capwap(flags_t: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
        // HLEN 4 (16 bytes, with 8 bytes of wireless-specific information), WBID 1.
        let mut packet = vec![0x00, 0x20, 0x02 | flags_t, flags, 0, 0, 0, 0];
        packet.extend_from_slice(&[4, 0xbf, 0x23, 0, 0, 0, 0, 0]);
        packet.extend_from_slice(payload);
        packet
    }

    fn wlan(control: [u8; 2], extra: usize, body: &[u8]) -> Vec<u8> {
        let mut frame = control.to_vec();
        frame.extend_from_slice(&[0; MAC_HEADER_LEN - 2]);
        frame.extend(std::iter::repeat_n(0x11, extra));
        frame.extend_from_slice(body);
        frame
    }

    fn snap_v4() -> Vec<u8> {
        let mut body = SNAP_IPV4.to_vec();
        body.extend_from_slice(&V4);
        body
    }

    #[test]
    fn data_frame_in_either_byte_order() {
        for control in [[0x08, 0x01], [0x01, 0x08], [0x08, 0x00]] {
            let packet = capwap(1, 0, &wlan(control, 0, &snap_v4()));
            assert_eq!(
                capwap_data(&packet),
                Decap::Inner(Tunnel::Capwap, Inner::Ip(&V4)),
                "{control:?}"
            );
        }
    }

    #[test]
    fn qos_htc_and_four_address_headers() {
        // QoS data (subtype 8), ToDS and FromDS: fourth address and QoS control.
        let four = capwap(1, 0, &wlan([0x88, 0x03], 8, &snap_v4()));
        assert_eq!(
            capwap_data(&four),
            Decap::Inner(Tunnel::Capwap, Inner::Ip(&V4))
        );
        // QoS data with the Order bit: QoS control and HT control.
        let htc = capwap(1, 0, &wlan([0x88, 0x81], 6, &snap_v4()));
        assert_eq!(
            capwap_data(&htc),
            Decap::Inner(Tunnel::Capwap, Inner::Ip(&V4))
        );
        // A plain data frame with the Order bit has no HT control field.
        let ordered = capwap(1, 0, &wlan([0x08, 0x81], 0, &snap_v4()));
        assert_eq!(
            capwap_data(&ordered),
            Decap::Inner(Tunnel::Capwap, Inner::Ip(&V4))
        );
    }

    #[test]
    fn frames_without_ip_leave_the_capwap_packet() {
        let probe = capwap(1, 0, &wlan([0x40, 0x00], 0, &[0; 10]));
        assert_eq!(capwap_data(&probe), Decap::NotTunnel);
        let null = capwap(1, 0, &wlan([0x48, 0x01], 0, &[]));
        assert_eq!(capwap_data(&null), Decap::NotTunnel);
        let protected = capwap(1, 0, &wlan([0x08, 0x41], 0, &snap_v4()));
        assert_eq!(capwap_data(&protected), Decap::NotTunnel);
        let mut arp = SNAP_IPV4.to_vec();
        arp[6..8].copy_from_slice(&[0x08, 0x06]);
        let arp = capwap(1, 0, &wlan([0x08, 0x01], 0, &arp));
        assert_eq!(capwap_data(&arp), Decap::NotTunnel);
        let keepalive = capwap(0, FLAG_K, &[0, 10, 0, 1]);
        assert_eq!(capwap_data(&keepalive), Decap::NotTunnel);
        let fragment = capwap(1, FLAG_F, &wlan([0x08, 0x01], 0, &snap_v4()));
        assert_eq!(capwap_data(&fragment), Decap::NotTunnel);
        let dtls = [0x01, 0, 0, 0, 0x16, 0xfe, 0xfd, 0];
        assert_eq!(capwap_data(&dtls), Decap::NotTunnel);
        let mut other_binding = capwap(1, 0, &wlan([0x08, 0x01], 0, &snap_v4()));
        other_binding[2] = 0x06 | 1;
        assert_eq!(capwap_data(&other_binding), Decap::NotTunnel);
    }

    #[test]
    fn ieee8023_frames() {
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x08, 0x00]);
        eth.extend_from_slice(&V4);
        let packet = capwap(0, 0, &eth);
        assert_eq!(
            capwap_data(&packet),
            Decap::Inner(Tunnel::Capwap, Inner::Ethernet(&eth))
        );
        eth[12..14].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(capwap_data(&capwap(0, 0, &eth)), Decap::NotTunnel);
    }

    #[test]
    fn inconsistent_headers_are_malformed() {
        assert!(matches!(
            capwap_data(&[0, 0x08, 0x03, 0, 0, 0, 0, 0, 1]),
            Decap::Malformed(_)
        ));
        assert!(matches!(
            capwap_data(&[0, 0xf8, 0x03, 0, 0, 0, 0, 0, 1]),
            Decap::Malformed(_)
        ));
        // QoS data with four addresses needs 32 bytes of MAC header.
        let cut = capwap(1, 0, &wlan([0x88, 0x03], 0, &[]));
        assert!(matches!(capwap_data(&cut), Decap::Malformed(_)));
        assert_eq!(capwap_data(&[0, 0x20]), Decap::NotTunnel);
    }
}
