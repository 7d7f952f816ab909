//! The generated capture as a reader sees it: valid pcap, valid checksums, every product, the
//! size bound and byte-for-byte determinism.

use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError};
use ringfence_samples::{EPOCH_US, SampleConfig, SampleStats, parse_size, write_capture};
use sha2::{Digest, Sha256};

fn generate(seed: u64, target_bytes: u64) -> (Vec<u8>, SampleStats) {
    let mut out = Vec::new();
    let stats =
        write_capture(&SampleConfig { seed, target_bytes }, &mut out).expect("write to memory");
    (out, stats)
}

/// Every record's (timestamp µs, frame bytes).
fn records(pcap: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut reader = LegacyPcapReader::new(65_536, pcap).expect("pcap header");
    let mut out = Vec::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        assert_eq!(h.network.0, 1, "LINKTYPE_ETHERNET");
                        assert_eq!(h.magic_number, 0xa1b2_c3d4, "microsecond pcap");
                    }
                    PcapBlockOwned::Legacy(b) => {
                        assert_eq!(b.caplen, b.origlen);
                        out.push((
                            u64::from(b.ts_sec) * 1_000_000 + u64::from(b.ts_usec),
                            b.data.to_vec(),
                        ));
                    }
                    PcapBlockOwned::NG(_) => panic!("not a classic pcap"),
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().expect("refill"),
            Err(e) => panic!("pcap error: {e:?}"),
        }
    }
    out
}

fn check_frame(frame: &[u8]) -> (bool, Option<Vec<u8>>) {
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    let p = SlicedPacket::from_ethernet(frame).expect("frame parses");
    let (tcp_payload, is_tcp) = match (&p.net, &p.transport) {
        (Some(NetSlice::Ipv4(ip)), Some(t)) => {
            let h = ip.header().to_header();
            assert_eq!(
                ip.header().header_checksum(),
                h.calc_header_checksum(),
                "IPv4 header checksum"
            );
            match t {
                TransportSlice::Tcp(tcp) => {
                    let want = tcp
                        .to_header()
                        .calc_checksum_ipv4(&h, tcp.payload())
                        .expect("sum");
                    assert_eq!(tcp.checksum(), want, "TCP/IPv4 checksum");
                    (Some(tcp.payload().to_vec()), true)
                }
                TransportSlice::Udp(udp) => {
                    let want = udp
                        .to_header()
                        .calc_checksum_ipv4(&h, udp.payload())
                        .expect("sum");
                    assert_eq!(udp.checksum(), want, "UDP/IPv4 checksum");
                    (None, false)
                }
                other => panic!("unexpected transport {other:?}"),
            }
        }
        (Some(NetSlice::Ipv6(ip)), Some(t)) => {
            let h = ip.header().to_header();
            match t {
                TransportSlice::Tcp(tcp) => {
                    let want = tcp
                        .to_header()
                        .calc_checksum_ipv6(&h, tcp.payload())
                        .expect("sum");
                    assert_eq!(tcp.checksum(), want, "TCP/IPv6 checksum");
                    (Some(tcp.payload().to_vec()), true)
                }
                TransportSlice::Udp(udp) => {
                    let want = udp
                        .to_header()
                        .calc_checksum_ipv6(&h, udp.payload())
                        .expect("sum");
                    assert_eq!(udp.checksum(), want, "UDP/IPv6 checksum");
                    (None, false)
                }
                other => panic!("unexpected transport {other:?}"),
            }
        }
        other => panic!("no IP/transport: {other:?}"),
    };
    assert!(frame.len() <= 1514, "frame larger than the MTU");
    (is_tcp, tcp_payload)
}

#[test]
fn same_seed_and_size_give_identical_bytes_and_other_seeds_differ() {
    let (a, sa) = generate(42, 3 << 20);
    let (b, sb) = generate(42, 3 << 20);
    let (c, _) = generate(43, 3 << 20);
    assert_eq!(sa, sb);
    assert_eq!(Sha256::digest(&a), Sha256::digest(&b));
    assert!(a == b, "two runs with the same seed differ");
    assert_ne!(a, c, "a different seed gives the same capture");
}

#[test]
fn capture_is_valid_pcap_with_valid_checksums_in_time_order() {
    let (pcap, stats) = generate(7, 6 << 20);
    let recs = records(&pcap);
    assert_eq!(recs.len() as u64, stats.packets);
    assert!(stats.packets > 1000);
    let mut last = 0;
    let (mut tcp, mut udp) = (0, 0);
    for (ts, frame) in &recs {
        assert!(*ts >= last, "timestamps go backwards");
        assert!(*ts >= EPOCH_US);
        last = *ts;
        if check_frame(frame).0 {
            tcp += 1
        } else {
            udp += 1
        }
    }
    assert!(tcp > 0 && udp > 0);
    assert_eq!(stats.first_timestamp_us, recs[0].0);
    assert_eq!(stats.last_timestamp_us, last);
}

#[test]
fn every_product_and_protocol_shows_up_even_in_a_small_sample() {
    let (pcap, stats) = generate(1, 4 << 20);
    for product in [
        "Kaspersky Endpoint Security",
        "ESET Endpoint Security",
        "Sophos Endpoint",
        "Microsoft Defender Antivirus",
        "CrowdStrike Falcon",
        "web browsing",
    ] {
        assert!(
            stats
                .connections_by_product
                .get(product)
                .copied()
                .unwrap_or(0)
                > 0,
            "{product} missing: {stats:?}"
        );
    }
    assert_eq!(
        stats.connections,
        stats.connections_by_product.values().sum::<u64>()
    );
    assert!(stats.dns_queries >= stats.connections / 2);
    // The names travel in cleartext where a passive observer reads them.
    let contains = |needle: &[u8]| pcap.windows(needle.len()).any(|w| w == needle);
    for name in [
        &b"dnl-0"[..],
        b"upd.kaspersky.com",
        b"activation-v2.kaspersky.com",
        b"-geo.kaspersky-labs.com",
        b"wdcp.microsoft.com",
        b"ts01-gyr-maverick.cloudsink.net",
        b"CONNECT activation-v2.kaspersky.com:443",
        b"Host: ",
    ] {
        assert!(
            contains(name),
            "{} not in the capture",
            String::from_utf8_lossy(name)
        );
    }
    // QUIC v1 and v2 Initial packets (long header, version field right after the first byte).
    let recs = records(&pcap);
    let quic_versions: Vec<u32> = recs
        .iter()
        .filter_map(|(_, f)| {
            let ip = if f.get(12..14) == Some(&[0x08, 0x00]) {
                14 + 20
            } else {
                14 + 40
            };
            let udp = f.get(ip..)?;
            let proto_udp = f.get(23) == Some(&17) || f.get(20) == Some(&17);
            if !proto_udp || udp.get(2..4) != Some(&[1, 0xbb]) {
                return None;
            }
            let first = *udp.get(8)?;
            let version: [u8; 4] = udp.get(9..13)?.try_into().ok()?;
            (first & 0x80 != 0).then(|| u32::from_be_bytes(version))
        })
        .collect();
    assert!(quic_versions.contains(&1), "no QUIC v1 Initial");
    assert!(quic_versions.contains(&0x6b33_43cf), "no QUIC v2 Initial");
}

#[test]
fn size_is_an_upper_bound_and_nearly_reached() {
    for target in [0u64, 24, 100, 5_000, 300_000, 2 << 20] {
        let (pcap, stats) = generate(3, target);
        assert_eq!(pcap.len() as u64, stats.bytes);
        assert!(stats.bytes <= target.max(24), "{} > {target}", stats.bytes);
        records(&pcap);
        if target >= 300_000 {
            assert!(
                stats.bytes >= target - target / 10,
                "{} far below {target}",
                stats.bytes
            );
        }
    }
    assert_eq!(parse_size("2MiB"), Ok(2 << 20));
}
