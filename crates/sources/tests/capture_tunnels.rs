//! GTP-U, CAPWAP and PPI: hand-built frames through the decoder, and nDPI's real captures through
//! the whole engine, which must report the connections carried inside (as nDPI does).

mod common;

use common::{run_capture, shared_data};
use etherparse::PacketBuilder;
use ringfence_model::{Connection, Timestamp, Transport};
use ringfence_sources::capture::{Decoded, Decoder, Frame, LinkType, TransportHeader, Tunnel};
use std::net::IpAddr;

const CLIENT: [u8; 4] = [10, 1, 3, 68];
const SERVER: [u8; 4] = [74, 125, 130, 188];

/// The inner packet: a TCP segment from CLIENT:47025 to SERVER:443.
fn inner_tcp() -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ipv4(CLIENT, SERVER, 64)
        .tcp(47025, 443, 1, 65535)
        .write(&mut out, b"hello")
        .expect("build inner");
    out
}

fn inner_udp_v6() -> Vec<u8> {
    let src = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let dst = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    let mut out = Vec::new();
    PacketBuilder::ipv6(src, dst, 64)
        .udp(49120, 53)
        .write(&mut out, b"query")
        .expect("build inner");
    out
}

/// An Ethernet frame with an outer IPv4/UDP packet between the given ports.
fn outer_udp(src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([172, 16, 0, 1], [172, 16, 0, 2], 64)
        .udp(src_port, dst_port)
        .write(&mut out, payload)
        .expect("build outer");
    out
}

fn decode(link_type: LinkType, data: &[u8], check: impl FnOnce(Decoded<'_>)) {
    let frame = Frame {
        link_type,
        time: Timestamp::from_secs_nanos(1_700_000_000, 0),
        data,
        wire_len: u32::try_from(data.len()).expect("small frame"),
        record: 1,
        offset: 0,
    };
    let mut decoder = Decoder::new();
    check(decoder.decode(&frame));
}

/// Asserts the frame decodes to the inner TCP segment through exactly `tunnels`.
fn assert_inner_tcp(link_type: LinkType, data: &[u8], tunnels: &[Tunnel]) {
    decode(link_type, data, |decoded| {
        let Decoded::Packet(p) = decoded else {
            panic!("expected a packet, got {decoded:?}");
        };
        assert_eq!(p.src, IpAddr::from(CLIENT));
        assert_eq!(p.dst, IpAddr::from(SERVER));
        let TransportHeader::Tcp(tcp) = p.transport else {
            panic!("expected TCP, got {:?}", p.transport);
        };
        assert_eq!((tcp.src_port, tcp.dst_port), (47025, 443));
        assert_eq!(p.payload, b"hello");
        assert_eq!(p.tunnels.iter().collect::<Vec<_>>(), tunnels);
    });
}

/// Asserts the frame decodes to the outer UDP packet itself, not followed into.
fn assert_outer_udp(data: &[u8], port: u16) {
    decode(LinkType::ETHERNET, data, |decoded| {
        let Decoded::Packet(p) = decoded else {
            panic!("expected a packet, got {decoded:?}");
        };
        assert_eq!(p.src, IpAddr::from([172, 16, 0, 1]));
        assert!(
            matches!(p.transport, TransportHeader::Udp { dst_port, .. } if dst_port == port),
            "{:?}",
            p.transport
        );
        assert!(p.tunnels.is_empty());
    });
}

fn gtp_header(flags: u8, optional: &[u8], inner_len: usize) -> Vec<u8> {
    let length = u16::try_from(optional.len() + inner_len).expect("small");
    let mut header = vec![flags, 0xff];
    header.extend_from_slice(&length.to_be_bytes());
    header.extend_from_slice(&0x0102_0304u32.to_be_bytes());
    header.extend_from_slice(optional);
    header
}

#[test]
fn gtp_u_g_pdus_are_decapsulated() {
    let inner = inner_tcp();
    // Plain header.
    let mut gtp = gtp_header(0x30, &[], inner.len());
    gtp.extend_from_slice(&inner);
    assert_inner_tcp(
        LinkType::ETHERNET,
        &outer_udp(2152, 2152, &gtp),
        &[Tunnel::Gtp],
    );
    // Sequence number and a PDU session container extension (as 5G user planes send).
    let optional = [0x00, 0x2a, 0x00, 0x85, 0x01, 0x10, 0x01, 0x00];
    let mut gtp = gtp_header(0x36, &optional, inner.len());
    gtp.extend_from_slice(&inner);
    assert_inner_tcp(
        LinkType::ETHERNET,
        &outer_udp(2152, 2152, &gtp),
        &[Tunnel::Gtp],
    );

    let v6 = inner_udp_v6();
    let mut gtp = gtp_header(0x30, &[], v6.len());
    gtp.extend_from_slice(&v6);
    decode(
        LinkType::ETHERNET,
        &outer_udp(40000, 2152, &gtp),
        |decoded| {
            let Decoded::Packet(p) = decoded else {
                panic!("expected a packet, got {decoded:?}");
            };
            assert!(p.src.is_ipv6());
            assert_eq!(
                p.transport,
                TransportHeader::Udp {
                    src_port: 49120,
                    dst_port: 53
                }
            );
            assert_eq!(p.tunnels.iter().collect::<Vec<_>>(), [Tunnel::Gtp]);
        },
    );

    // An echo request is GTP signalling on the same port: the UDP packet itself.
    let echo = [0x32, 0x01, 0x00, 0x04, 0, 0, 0, 0, 0x00, 0x01, 0, 0];
    assert_outer_udp(&outer_udp(2152, 2152, &echo), 2152);
    // A G-PDU whose extension chain runs past the packet is reported as malformed.
    let broken = gtp_header(0x34, &[0, 0, 0, 0x85, 0x09], 0);
    decode(
        LinkType::ETHERNET,
        &outer_udp(2152, 2152, &broken),
        |decoded| assert!(matches!(decoded, Decoded::Malformed(_)), "{decoded:?}"),
    );
}

/// A CAPWAP data header of 16 bytes (HLEN 4, with wireless-specific information), WBID 1, with
/// the T bit as given.
fn capwap_header(native: bool) -> Vec<u8> {
    vec![
        0x00,
        0x20,
        0x02 | u8::from(native),
        0x20,
        0,
        0,
        0,
        0,
        0x04,
        0xbf,
        0x23,
        0,
        0,
        0,
        0,
        0,
    ]
}

/// An IEEE 802.11 data frame with the given frame control bytes and extra header bytes (fourth
/// address, QoS control), then LLC/SNAP for IPv4 and the packet.
fn wlan_frame(control: [u8; 2], extra: usize, packet: &[u8]) -> Vec<u8> {
    let mut frame = control.to_vec();
    frame.extend_from_slice(&[0x2c, 0x00]);
    frame.extend_from_slice(&[0x84, 0x80, 0x2d, 0x2b, 0x45, 0x90]);
    frame.extend_from_slice(&[0x54, 0xf2, 0x01, 0xe1, 0xb2, 0x99]);
    frame.extend_from_slice(&[0x10, 0xf3, 0x11, 0xea, 0xee, 0xc1]);
    frame.extend_from_slice(&[0x70, 0x30]);
    frame.extend(std::iter::repeat_n(0, extra));
    frame.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
    frame.extend_from_slice(packet);
    frame
}

#[test]
fn capwap_data_frames_are_decapsulated() {
    let inner = inner_tcp();
    // ToDS data frame, frame control as sent and byte-swapped (Cisco access points).
    for control in [[0x08, 0x01], [0x01, 0x08], [0x11, 0x08]] {
        let mut capwap = capwap_header(true);
        capwap.extend_from_slice(&wlan_frame(control, 0, &inner));
        assert_inner_tcp(
            LinkType::ETHERNET,
            &outer_udp(41264, 5247, &capwap),
            &[Tunnel::Capwap],
        );
    }
    // QoS data between access points: four addresses and QoS control.
    let mut capwap = capwap_header(true);
    capwap.extend_from_slice(&wlan_frame([0x88, 0x03], 8, &inner));
    assert_inner_tcp(
        LinkType::ETHERNET,
        &outer_udp(5247, 41264, &capwap),
        &[Tunnel::Capwap],
    );
    // An IEEE 802.3 frame (T bit clear).
    let mut ethernet = Vec::new();
    PacketBuilder::ethernet2([3; 6], [4; 6])
        .ipv4(CLIENT, SERVER, 64)
        .tcp(47025, 443, 1, 65535)
        .write(&mut ethernet, b"hello")
        .expect("build");
    let mut capwap = capwap_header(false);
    capwap.extend_from_slice(&ethernet);
    assert_inner_tcp(
        LinkType::ETHERNET,
        &outer_udp(41264, 5247, &capwap),
        &[Tunnel::Capwap],
    );
    // A probe request carries no IP: the CAPWAP packet itself is the connection.
    let mut probe = capwap_header(true);
    probe.extend_from_slice(&[0x00, 0x40, 0, 0]);
    probe.extend_from_slice(&[0xff; 20]);
    assert_outer_udp(&outer_udp(41264, 5247, &probe), 5247);
}

#[test]
fn ppi_frames_are_read_through_their_header() {
    let mut ethernet = Vec::new();
    PacketBuilder::ethernet2([3; 6], [4; 6])
        .ipv4(CLIENT, SERVER, 64)
        .tcp(47025, 443, 1, 65535)
        .write(&mut ethernet, b"hello")
        .expect("build");
    // Version 0, no flags, 8 + 12 bytes of header (one field), DLT 1 (Ethernet).
    let mut frame = vec![0, 0, 20, 0, 1, 0, 0, 0];
    frame.extend_from_slice(&[2, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    frame.extend_from_slice(&ethernet);
    assert_inner_tcp(LinkType::PPI, &frame, &[]);
    decode(LinkType::PPI, &frame[..6], |decoded| {
        assert!(matches!(decoded, Decoded::Malformed(_)), "{decoded:?}")
    });
}

fn find<'a>(
    connections: &'a [Connection],
    transport: Transport,
    a: (&str, u16),
    b: (&str, u16),
) -> Option<&'a Connection> {
    let a = (a.0.parse::<IpAddr>().expect("address"), a.1);
    let b = (b.0.parse::<IpAddr>().expect("address"), b.1);
    connections.iter().find(|c| {
        let k = c.key;
        let orig = (k.orig_addr, k.orig_port);
        let resp = (k.resp_addr, k.resp_port);
        k.transport == transport && ((orig, resp) == (a, b) || (orig, resp) == (b, a))
    })
}

fn ndpi_capture(name: &str) -> Vec<Connection> {
    run_capture(&shared_data(&format!("captures/ndpi/pcap/{name}")))
        .collected
        .connections
}

#[test]
fn real_gtp_captures_give_the_inner_connections() {
    let connections = ndpi_capture("ipv6_in_gtp.pcap");
    let inner = find(
        &connections,
        Transport::Udp,
        ("2607:fc20:4052:39e:490a:ea4d:17fe:e09c", 49120),
        ("fd00:976a:bc67:193e::7", 25658),
    )
    .expect("the UDP flow inside GTP-U, as nDPI reports it");
    assert_eq!(inner.tunnels, ["gtp"]);
    assert!(
        connections
            .iter()
            .all(|c| c.key.orig_port != 2152 && c.key.resp_port != 2152),
        "no GTP-U outer flow is left"
    );
    // zoom.pcap mixes plain traffic with one Zoom media flow carried in GTP-U.
    let zoom = ndpi_capture("zoom.pcap");
    let media = find(
        &zoom,
        Transport::Udp,
        ("10.140.117.35", 45634),
        ("193.122.35.237", 8801),
    )
    .expect("the Zoom media flow inside GTP-U");
    assert_eq!(media.tunnels, ["gtp"]);
    let plain = find(
        &zoom,
        Transport::Udp,
        ("192.168.1.117", 58327),
        ("109.94.160.99", 8801),
    )
    .expect("a Zoom media flow outside any tunnel");
    assert!(plain.tunnels.is_empty());
}

#[test]
fn real_capwap_captures_give_the_inner_connections() {
    let connections = ndpi_capture("capwap_data.pcapng");
    let tls = find(
        &connections,
        Transport::Tcp,
        ("10.1.3.68", 47025),
        ("74.125.130.188", 443),
    )
    .expect("the TLS connection inside CAPWAP");
    assert_eq!(tls.tunnels, ["capwap"]);
    assert!(
        tls.names.iter().any(|n| n.name == "alt2-mtalk.google.com"),
        "{:?}",
        tls.names
    );
    assert_eq!(connections.len(), 1, "nDPI reports only the inner flow");

    let connections = ndpi_capture("capwap.pcap");
    let dhcp = find(
        &connections,
        Transport::Udp,
        ("0.0.0.0", 68),
        ("255.255.255.255", 67),
    )
    .expect("the DHCP request inside CAPWAP");
    assert_eq!(dhcp.tunnels, ["capwap"]);
    // Probe requests and other frames without IP leave the data channel as a flow of its own.
    let channel = find(
        &connections,
        Transport::Udp,
        ("192.168.10.10", 12380),
        ("192.168.10.9", 5247),
    )
    .expect("the CAPWAP data channel");
    assert!(channel.tunnels.is_empty());
}

#[test]
fn real_ppi_capture_gives_its_connections() {
    let connections = ndpi_capture("someip_sd_sample.pcap");
    assert!(
        find(
            &connections,
            Transport::Udp,
            ("192.168.88.77", 30490),
            ("192.168.88.73", 30490),
        )
        .is_some()
    );
    assert!(
        find(
            &connections,
            Transport::Udp,
            ("192.168.88.73", 30490),
            ("235.2.3.5", 30490),
        )
        .is_some()
    );
    assert_eq!(connections.len(), 2);
}
