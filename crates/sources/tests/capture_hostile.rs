//! Hostile and hand-built inputs: truncated and corrupted captures, non-captures, a multi-interface
//! pcapng written here byte by byte, and frames built with etherparse for each decoding path.

use etherparse::PacketBuilder;
use ringfence_model::Timestamp;
use ringfence_sources::capture::{
    CaptureError, CaptureReader, Decoded, Decoder, Frame, LinkType, TransportHeader, Tunnel,
};
use sha2::{Digest, Sha256};
use std::io::{Cursor, Write};
use std::path::Path;

fn shared(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/captures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("test data missing: {}: {e}", path.display()))
}

fn read_bytes(
    bytes: Vec<u8>,
) -> Result<(u64, ringfence_sources::capture::ReadSummary), CaptureError> {
    let mut reader = CaptureReader::from_reader("mem", Box::new(Cursor::new(bytes)))?;
    let mut decoder = Decoder::new();
    let mut frames = 0;
    let summary = reader.for_each_frame(|f| {
        frames += 1;
        let _ = decoder.decode(f);
    });
    Ok((frames, summary))
}

#[test]
fn non_captures_are_refused_at_offset_zero() {
    let cases: [(&str, Vec<u8>); 4] = [
        ("empty", Vec::new()),
        ("text", b"this is a text file, not a capture\n".repeat(10)),
        (
            "random",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
        ),
        ("gzip of text", gzip(b"hello, not a capture")),
    ];
    for (name, bytes) in cases {
        match read_bytes(bytes) {
            Err(CaptureError::NotACapture { offset, path, .. }) => {
                assert_eq!(offset, 0, "{name}");
                assert_eq!(path, "mem");
            }
            Err(other) => panic!("{name}: unexpected error {other}"),
            Ok(_) => panic!("{name}: read as a capture"),
        }
    }
    assert!(matches!(
        CaptureReader::open("/nonexistent/file.pcap"),
        Err(CaptureError::Io { .. })
    ));
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

#[test]
fn truncated_captures_report_where_they_end() {
    for rel in [
        "ndpi/pcap/6in4tunnel.pcap",
        "pcap-parser/assets/test001-be.pcapng",
        "ja4/pcap/tls-sni.pcapng",
    ] {
        let whole = shared(rel);
        let (full_frames, full) = read_bytes(whole.clone()).expect("whole file");
        assert_eq!(full.problem_count, 0, "{rel}");
        // Cut at many offsets, including inside the file header.
        let step = (whole.len() / 97).max(1);
        for cut in (1..whole.len()).step_by(step) {
            let bytes = whole[..cut].to_vec();
            match read_bytes(bytes.clone()) {
                Err(CaptureError::NotACapture { offset, reason, .. }) => {
                    // Only a cut inside the file header (pcapng: the first block) may refuse.
                    assert_eq!(offset, 0);
                    assert!(
                        reason.contains("header") && cut < 256,
                        "{rel} cut at {cut}: {reason}"
                    );
                }
                Err(e) => panic!("{rel} cut at {cut}: {e}"),
                Ok((frames, s)) => {
                    assert!(frames <= full_frames);
                    assert_eq!(s.evidence.bytes, cut as u64);
                    assert_eq!(s.evidence.sha256, hex(&Sha256::digest(&bytes)));
                    if frames < full_frames {
                        // Either the cut fell between records or the last one is reported.
                        for p in &s.problems {
                            assert!(p.offset < cut as u64, "{rel} cut {cut}: {p}");
                            assert!(!p.reason.is_empty());
                        }
                    }
                }
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn gzip_input_is_hashed_compressed_and_read_decompressed() {
    let plain = shared("ndpi/pcap/4in4tunnel.pcap");
    let packed = gzip(&plain);
    let (frames, s) = read_bytes(packed.clone()).expect("gzip capture");
    assert_eq!(frames, 5);
    assert_eq!(s.evidence.sha256, hex(&Sha256::digest(&packed)));
    assert_eq!(s.evidence.bytes, packed.len() as u64);
    // Corrupt gzip data after a valid start is a read problem, not a panic.
    let mut broken = packed.clone();
    let len = broken.len();
    broken[len / 2..].iter_mut().for_each(|b| *b ^= 0x5a);
    if let Ok((_, s)) = read_bytes(broken) {
        assert!(s.problem_count >= 1);
    }
}

#[test]
fn absurd_pcap_caplen_stops_with_a_problem() {
    let mut bytes = shared("ndpi/pcap/4in4tunnel.pcap");
    // Second record's caplen (after header 24 + first record).
    let first_caplen = u32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
    let second = 24 + 16 + first_caplen;
    bytes[second + 8..second + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let (frames, s) = read_bytes(bytes).expect("pcap");
    assert_eq!(frames, 1);
    assert_eq!(s.problem_count, 1);
    assert_eq!(s.problems[0].offset, second as u64);
    assert!(
        s.problems[0].reason.contains("exceeds"),
        "{}",
        s.problems[0].reason
    );
}

/// Little-endian pcapng writer for the tests below.
struct Ng(Vec<u8>);

impl Ng {
    fn block(&mut self, kind: u32, body: &[u8]) {
        let padded = body.len().div_ceil(4) * 4;
        let len = (12 + padded) as u32;
        self.0.extend_from_slice(&kind.to_le_bytes());
        self.0.extend_from_slice(&len.to_le_bytes());
        self.0.extend_from_slice(body);
        self.0.resize(self.0.len() + padded - body.len(), 0);
        self.0.extend_from_slice(&len.to_le_bytes());
    }
    fn shb(&mut self) {
        let mut body = 0x1a2b_3c4du32.to_le_bytes().to_vec();
        body.extend_from_slice(&[1, 0, 0, 0]);
        body.extend_from_slice(&u64::MAX.to_le_bytes());
        self.block(0x0a0d_0d0a, &body);
    }
    fn idb(&mut self, link: u16, tsresol: Option<u8>) {
        let mut body = link.to_le_bytes().to_vec();
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&65535u32.to_le_bytes());
        if let Some(r) = tsresol {
            body.extend_from_slice(&[9, 0, 1, 0, r, 0, 0, 0]);
            body.extend_from_slice(&[0, 0, 0, 0]);
        }
        self.block(1, &body);
    }
    fn epb(&mut self, interface: u32, ts: u64, data: &[u8]) {
        let mut body = interface.to_le_bytes().to_vec();
        body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        self.block(6, &body);
    }
    fn obsolete_pb(&mut self, interface: u16, ts: u64, data: &[u8]) {
        let mut body = interface.to_le_bytes().to_vec();
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        self.block(2, &body);
    }
    fn spb(&mut self, data: &[u8]) {
        let mut body = (data.len() as u32).to_le_bytes().to_vec();
        body.extend_from_slice(data);
        self.block(3, &body);
    }
}

fn udp_v4(payload: &[u8]) -> Vec<u8> {
    let builder = PacketBuilder::ipv4([192, 0, 2, 1], [198, 51, 100, 7], 64).udp(5353, 53);
    let mut out = Vec::new();
    builder.write(&mut out, payload).expect("build");
    out
}

fn tcp_v6_ethernet() -> Vec<u8> {
    let builder = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv6(
            [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            64,
        )
        .tcp(40000, 443, 7, 1024)
        .syn();
    let mut out = Vec::new();
    builder.write(&mut out, b"").expect("build");
    out
}

#[test]
fn pcapng_with_several_interfaces_resolutions_and_block_kinds() {
    let mut ng = Ng(Vec::new());
    ng.shb();
    ng.idb(1, None); // Ethernet, microseconds
    ng.idb(228, Some(9)); // raw IPv4, nanoseconds
    ng.epb(0, 1_700_000_000_000_001, &tcp_v6_ethernet());
    ng.epb(1, 1_700_000_000_123_456_789, &udp_v4(b"q"));
    ng.block(0x0bad_0000, &[1, 2, 3, 4]); // unknown block: skipped silently
    ng.obsolete_pb(1, 1_700_000_001_000_000_000, &udp_v4(b"old"));
    ng.spb(&tcp_v6_ethernet());
    ng.epb(7, 0, &udp_v4(b"nowhere")); // undescribed interface: reported, skipped
    // A second section resets the interface list.
    ng.shb();
    ng.idb(229, None);
    ng.epb(1, 0, &udp_v4(b"x")); // interface 1 no longer exists
    ng.epb(0, 5_000_000, &[0x60, 0, 0, 0, 0, 0, 59, 64]);
    let bytes = ng.0;

    let mut reader = CaptureReader::from_reader("ng", Box::new(Cursor::new(bytes))).expect("open");
    let mut seen = Vec::new();
    let summary =
        reader.for_each_frame(|f| seen.push((f.link_type, f.time, f.record, f.data.len())));
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[0].0, LinkType::ETHERNET);
    assert_eq!(seen[0].1, Timestamp::from_secs_nanos(1_700_000_000, 1_000));
    assert_eq!(seen[1].0, LinkType::IPV4);
    assert_eq!(
        seen[1].1,
        Timestamp::from_secs_nanos(1_700_000_000, 123_456_789)
    );
    assert_eq!(seen[2].0, LinkType::IPV4);
    assert_eq!(seen[2].1, Timestamp::from_secs_nanos(1_700_000_001, 0));
    assert_eq!(seen[3].0, LinkType::ETHERNET); // SPB: first interface
    assert_eq!(seen[4].0, LinkType::IPV6);
    assert_eq!(seen[4].1, Timestamp::from_secs_nanos(5, 0));
    assert_eq!(
        seen.iter().map(|s| s.2).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(summary.problem_count, 2, "{:?}", summary.problems);
    assert!(
        summary
            .problems
            .iter()
            .all(|p| p.reason.contains("interface"))
    );
}

#[test]
fn pcapng_corrupt_block_is_skipped_by_its_length() {
    let mut ng = Ng(Vec::new());
    ng.shb();
    ng.idb(228, None);
    ng.epb(0, 1, &udp_v4(b"a"));
    let corrupt_at = ng.0.len();
    ng.epb(0, 2, &udp_v4(b"b"));
    ng.epb(0, 3, &udp_v4(b"c"));
    let mut bytes = ng.0;
    // The second EPB claims a captured length beyond its block: pcap-parser rejects it.
    bytes[corrupt_at + 20..corrupt_at + 24].copy_from_slice(&4000u32.to_le_bytes());
    let (frames, s) = read_bytes(bytes).expect("pcapng");
    assert_eq!(frames, 2);
    assert_eq!(s.problem_count, 1);
    assert_eq!(s.problems[0].offset, corrupt_at as u64);
}

fn frame(link: LinkType, data: &[u8]) -> Frame<'_> {
    Frame {
        link_type: link,
        time: Timestamp::from_secs_nanos(1, 0),
        data,
        wire_len: data.len() as u32,
        record: 1,
        offset: 0,
    }
}

#[test]
fn hand_built_frames_decode_on_each_link_type() {
    let ip = udp_v4(b"hello");
    let mut d = Decoder::new();
    let mut variants: Vec<(LinkType, Vec<u8>)> = vec![
        (LinkType::RAW, ip.clone()),
        (LinkType(12), ip.clone()),
        (LinkType(14), ip.clone()),
        (LinkType::IPV4, ip.clone()),
        (
            LinkType::NULL,
            [2u32.to_le_bytes().as_slice(), &ip].concat(),
        ),
        (
            LinkType::NULL,
            [2u32.to_be_bytes().as_slice(), &ip].concat(),
        ),
        (
            LinkType::LOOP,
            [2u32.to_be_bytes().as_slice(), &ip].concat(),
        ),
        (
            LinkType::LINUX_SLL,
            [
                &[0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00][..],
                &ip,
            ]
            .concat(),
        ),
        (
            LinkType::LINUX_SLL2,
            [
                &[
                    0x08, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                ][..],
                &ip,
            ]
            .concat(),
        ),
        (LinkType(9), [&[0xff, 0x03, 0x00, 0x21][..], &ip].concat()),
    ];
    // Ethernet with 802.1ad + 802.1Q tags.
    let mut tagged = vec![0xff; 12];
    tagged.extend_from_slice(&[0x88, 0xa8, 0, 100, 0x81, 0x00, 0, 200, 0x08, 0x00]);
    tagged.extend_from_slice(&ip);
    variants.push((LinkType::ETHERNET, tagged));
    for (link, bytes) in &variants {
        match d.decode(&frame(*link, bytes)) {
            Decoded::Packet(p) => {
                assert_eq!(
                    p.transport,
                    TransportHeader::Udp {
                        src_port: 5353,
                        dst_port: 53
                    },
                    "{link:?}"
                );
                assert_eq!(p.payload, b"hello");
                assert_eq!(p.payload_len, 5);
                assert_eq!(p.ip_len, ip.len() as u32);
                assert!(p.tunnels.is_empty());
            }
            other => panic!("{link:?}: {other:?}"),
        }
    }
    let eth = tcp_v6_ethernet();
    match d.decode(&frame(LinkType::ETHERNET, &eth)) {
        Decoded::Packet(p) => {
            let TransportHeader::Tcp(t) = p.transport else {
                panic!("not TCP")
            };
            assert!(t.flags.syn());
            assert_eq!((t.src_port, t.dst_port, t.seq), (40000, 443, 7));
        }
        other => panic!("{other:?}"),
    }
    // ARP is not IP; a cut header is malformed.
    let arp = [&[0xff; 12][..], &[0x08, 0x06], &[0; 28]].concat();
    assert!(matches!(
        d.decode(&frame(LinkType::ETHERNET, &arp)),
        Decoded::NotIp
    ));
    assert!(matches!(
        d.decode(&frame(LinkType::ETHERNET, &eth[..20])),
        Decoded::Malformed(_)
    ));
    assert!(matches!(
        d.decode(&frame(LinkType(147), &eth)),
        Decoded::NotIp
    ));
}

#[test]
fn hand_built_tunnels_and_fragments() {
    let inner = udp_v4(b"inner");
    // IPv4 fragments of a GRE packet carrying the inner IPv4/UDP packet.
    let mut gre = vec![0x00, 0x00, 0x08, 0x00];
    gre.extend_from_slice(&inner);
    gre.extend_from_slice(&[0u8; 40]); // make it long enough to split
    let first_len = 32;
    let ipv4_fragment = |offset: usize, more: bool, data: &[u8]| {
        let total = (20 + data.len()) as u16;
        let flags = ((offset / 8) as u16) | if more { 0x2000 } else { 0 };
        let mut p = vec![0x45, 0];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0xab, 0xcd]);
        p.extend_from_slice(&flags.to_be_bytes());
        p.extend_from_slice(&[64, 47, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend_from_slice(data);
        p
    };
    let a = ipv4_fragment(0, true, &gre[..first_len]);
    let b = ipv4_fragment(first_len, false, &gre[first_len..]);
    let mut d = Decoder::new();
    assert!(matches!(
        d.decode(&frame(LinkType::RAW, &b)),
        Decoded::FragmentHeld
    ));
    assert_eq!(d.fragments_pending(), 1);
    match d.decode(&frame(LinkType::RAW, &a)) {
        Decoded::Packet(p) => {
            assert_eq!(p.tunnels.iter().collect::<Vec<_>>(), [Tunnel::Gre]);
            assert_eq!(p.payload, b"inner");
            assert_eq!(p.src.to_string(), "192.0.2.1");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(d.fragments_pending(), 0);

    // Five nested IP-in-IP layers exceed the tunnel stack: reported, not decoded.
    let mut nested = inner.clone();
    for _ in 0..5 {
        let total = (20 + nested.len()) as u16;
        let mut p = vec![0x45, 0];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0, 64, 4, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend_from_slice(&nested);
        nested = p;
    }
    assert!(matches!(
        d.decode(&frame(LinkType::RAW, &nested)),
        Decoded::Malformed(_)
    ));
}
