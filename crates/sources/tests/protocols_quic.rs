//! QUIC client Initial scanning: real captures checked against nDPI's and Zeek's output, and
//! packets built with `seal_client_initial` for the cases captures do not cover (v2, reordered and
//! overlapping CRYPTO frames, Retry-style DCID changes, coalesced packets, bounds).

mod protocols_support;

use proptest::prelude::*;
use protocols_support::{Direction, Proto, directions, read_text};
use ringfence_model::Transport;
use ringfence_sources::capture::quic::{
    QuicInitialScanner, QuicScan, crypto_frame, encode_varint, seal_client_initial,
};
use ringfence_sources::capture::quic_crypto::{QUIC_V1, QUIC_V2};
use ringfence_sources::capture::tls::{ClientHello, parse_client_hello_message};
use std::net::SocketAddr;

fn scan(datagrams: &[Vec<u8>]) -> QuicScan {
    let mut scanner = QuicInitialScanner::new();
    for d in datagrams {
        if scanner.feed(d) != &QuicScan::NeedMore {
            break;
        }
    }
    scanner.state().clone()
}

fn find<'a>(dirs: &'a [Direction], src: &str, dst: &str) -> &'a Direction {
    let (src_addr, dst_addr): (SocketAddr, SocketAddr) = (
        src.parse().expect("source address"),
        dst.parse().expect("destination address"),
    );
    dirs.iter()
        .find(|d| d.proto == Proto::Udp && d.src == src_addr && d.dst == dst_addr)
        .unwrap_or_else(|| panic!("no UDP flow {src} -> {dst}"))
}

/// For every QUIC (IETF, not gQUIC) flow nDPI printed for `capture`, our ClientHello must give the
/// same SNI, the same cipher/extension counts and the same JA4 hashes. (nDPI's JA4 prefix differs
/// from the specification in the ALPN characters — it prints e.g. "h0" for "h3" — so the prefix is
/// compared without them.)
fn check_ndpi(capture: &str) -> usize {
    let result = read_text(&format!("ndpi/result/{capture}.out"));
    let dirs = directions(&format!("ndpi/pcap/{capture}"));
    let mut checked = 0;
    for line in result
        .lines()
        .filter(|l| l.contains("[QUIC ver: ") && l.contains("[JA4: "))
    {
        let version = between(line, "[QUIC ver: ", "]");
        if version.starts_with('Q') || version.starts_with('T') {
            continue; // gQUIC: not TLS
        }
        let mut words = line.split_whitespace().skip_while(|w| *w != "UDP").skip(1);
        let (src, dst) = (words.next().expect("src"), words.nth(1).expect("dst"));
        let want_ja4 = between(line, "[JA4: ", "]");
        let want_sni = line
            .contains("[Hostname/SNI: ")
            .then(|| between(line, "[Hostname/SNI: ", "]"));
        let hello = match scan(&find(&dirs, src, dst).chunks) {
            QuicScan::Done(hello) => hello,
            other => panic!("{capture} {src} -> {dst}: {other:?}"),
        };
        assert_eq!(hello.sni.as_deref(), want_sni, "{capture} {src} -> {dst}");
        assert_eq!(
            hello.ja4.get(..1),
            want_ja4.get(..1),
            "{capture}: protocol letter"
        );
        assert_eq!(
            hello.ja4.get(4..8),
            want_ja4.get(4..8),
            "{capture}: counts in {} vs {want_ja4}",
            hello.ja4
        );
        assert_eq!(
            hello.ja4.get(10..),
            want_ja4.get(10..),
            "{capture}: hashes in {} vs {want_ja4}",
            hello.ja4
        );
        checked += 1;
    }
    checked
}

fn between<'a>(line: &'a str, start: &str, end: &str) -> &'a str {
    let from = line.find(start).expect("start marker") + start.len();
    let len = line[from..].find(end).expect("end marker");
    &line[from..from + len]
}

#[test]
fn ndpi_v1_captures() {
    for capture in [
        "quic-33.pcapng",
        "quic-forcing-vn-with-data.pcapng",
        "quic_crypto_aes_auth_size.pcap",
        "google_meet.pcapng",
        "sites.pcapng",
        "snapchat_call_v1.pcapng",
    ] {
        assert!(check_ndpi(capture) >= 1, "{capture}: no QUIC flow checked");
    }
}

#[test]
fn ndpi_split_client_hello_with_changed_dcid() {
    // The ClientHello spans two Initial packets; the second is sent to the server's new connection
    // ID but still protected with the keys of the first DCID.
    assert_eq!(check_ndpi("quic_frags_different_dcid.pcapng"), 1);
}

#[test]
fn ndpi_zero_rtt_capture() {
    // Two flows: a draft-28 one and a v1 Chrome one whose ClientHello spans several datagrams.
    assert_eq!(check_ndpi("quic_0RTT.pcap"), 2);
}

#[test]
fn ndpi_draft_and_mvfst_captures() {
    for capture in [
        "quic-23.pcap",
        "quic-24.pcap",
        "quic-27.pcap",
        "quic-28.pcap",
        "quic-34.pcap",
        "doq.pcapng",
        "doq_adguard.pcapng",
        "os_detected.pcapng",
        "quic-mvfst-22.pcap",
        "quic-mvfst-27.pcapng",
        "quic-mvfst-exp.pcap",
    ] {
        assert!(check_ndpi(capture) >= 1, "{capture}: no QUIC flow checked");
    }
}

/// Google QUIC is read too (more in protocols_gquic.rs): a CHLO gives the SNI, without JA4.
#[test]
fn ndpi_gquic_gives_the_chlo_sni() {
    let dirs = directions("ndpi/pcap/quic_q46.pcap");
    let client = dirs
        .iter()
        .find(|d| d.proto == Proto::Udp && d.dst.port() == 443)
        .expect("client");
    match scan(&client.chunks) {
        QuicScan::Done(hello) => {
            assert_eq!(hello.sni.as_deref(), Some("play.google.com"));
            assert_eq!(hello.ja4, "");
        }
        other => panic!("{other:?}"),
    }
}

/// Zeek's ssl.log server_name for its two QUIC traces.
#[test]
fn zeek_quic_traces() {
    for (trace, baseline) in [
        ("chromium-115.0.5790.110-api-cirrus-com.pcap", "chromium"),
        ("firefox-102.13.0esr-blog-cloudflare-com.pcap", "firefox"),
    ] {
        let log = read_text(&format!(
            "zeek/testing/btest/Baseline/scripts.base.protocols.quic.{baseline}/ssl.log"
        ));
        let fields: Vec<&str> = log
            .lines()
            .find(|l| l.starts_with("#fields"))
            .expect("#fields")
            .split('\t')
            .skip(1)
            .collect();
        let row: Vec<&str> = log
            .lines()
            .find(|l| !l.starts_with('#'))
            .expect("a row")
            .split('\t')
            .collect();
        let col = |name: &str| row[fields.iter().position(|f| *f == name).expect(name)];
        let dirs = directions(&format!("zeek/testing/btest/Traces/quic/{trace}"));
        let client = find(
            &dirs,
            &format!("{}:{}", col("id.orig_h"), col("id.orig_p")),
            &format!("{}:{}", col("id.resp_h"), col("id.resp_p")),
        );
        match scan(&client.chunks) {
            QuicScan::Done(hello) => {
                assert_eq!(hello.sni.as_deref(), Some(col("server_name")), "{trace}");
                assert_eq!(hello.tls_version, 0x0304, "{trace}: Zeek says TLSv13");
                assert!(hello.ja4.starts_with("q13d"), "{}", hello.ja4);
            }
            other => panic!("{trace}: {other:?}"),
        }
    }
}

/// The FoxIO JA4 captures: the QUIC flows carry the same browsers as the TCP streams of the
/// reference JSON; chrome-cloudflare's TCP stream 0 names cloudflare-quic.com.
#[test]
fn ja4_repository_quic_captures() {
    let reference: serde_json::Value = serde_json::from_str(&read_text(
        "ja4/python/test/testdata/chrome-cloudflare-quic-with-secrets.pcapng.json",
    ))
    .expect("json");
    let want = reference[0]["domain"].as_str().expect("domain");
    for (capture, sni) in [
        ("chrome-cloudflare-quic-with-secrets.pcapng", want),
        ("quic-tls-handshake.pcapng", "www.google.com"),
        ("quic-with-several-tls-frames.pcapng", "ogs.google.com"),
    ] {
        let dirs = directions(&format!("ja4/pcap/{capture}"));
        let client = dirs
            .iter()
            .find(|d| d.proto == Proto::Udp && d.dst.port() == 443)
            .expect("client");
        match scan(&client.chunks) {
            QuicScan::Done(hello) => {
                assert_eq!(hello.sni.as_deref(), Some(sni), "{capture}");
                assert_eq!(hello.alpn, vec!["h3".to_owned()], "{capture}");
                assert_eq!(
                    hello.ja4, "q13d0310h3_55b375c5d22e_cd85d2d88918",
                    "{capture}"
                );
            }
            other => panic!("{capture}: {other:?}"),
        }
    }
}

/// A real ClientHello handshake message (from the FoxIO TLS capture).
fn real_hello_message() -> Vec<u8> {
    let stream = directions("ja4/pcap/tls-sni.pcapng")
        .into_iter()
        .find(|d| d.proto == Proto::Tcp && d.dst.port() == 443)
        .expect("TLS client stream")
        .stream();
    let body = &stream[5..];
    let len = 4 + ((body[1] as usize) << 16 | (body[2] as usize) << 8 | body[3] as usize);
    body[..len].to_vec()
}

fn expected(message: &[u8]) -> ClientHello {
    parse_client_hello_message(message, Transport::Udp).expect("parse")
}

const DCID: &[u8] = &[0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];

#[test]
fn crypto_frames_out_of_order_across_two_initials() {
    let message = real_hello_message();
    let (a, rest) = message.split_at(100);
    let (b, c) = rest.split_at(200);
    let mut first = crypto_frame(300, c);
    first.extend(crypto_frame(100, b));
    let second = crypto_frame(0, a);
    for version in [QUIC_V1, QUIC_V2] {
        let datagrams = [
            seal_client_initial(version, DCID, b"client", 0, &first),
            seal_client_initial(version, DCID, b"client", 1, &second),
        ];
        let mut scanner = QuicInitialScanner::new();
        assert_eq!(scanner.feed(&datagrams[0]), &QuicScan::NeedMore);
        assert_eq!(
            scanner.feed(&datagrams[1]),
            &QuicScan::Done(expected(&message)),
            "version {version:#x}"
        );
        assert_eq!(expected(&message).ja4.get(..1), Some("q"));
    }
}

#[test]
fn overlapping_and_duplicate_crypto_frames() {
    let message = real_hello_message();
    let mut frames = crypto_frame(50, &message[50..150]);
    frames.extend(crypto_frame(0, &message[..120])); // overlaps the first
    frames.push(0x01); // PING
    frames.extend([0x02, 0x05, 0x00, 0x01, 0x00, 0x03, 0x01]); // ACK with one extra range
    frames.extend(crypto_frame(100, &message[100..])); // overlaps again, reaches the end
    frames.extend(crypto_frame(0, &message[..10])); // duplicate
    let packet = seal_client_initial(QUIC_V1, DCID, &[], 7, &frames);
    assert_eq!(scan(&[packet]), QuicScan::Done(expected(&message)));
}

#[test]
fn first_copy_wins_over_a_conflicting_retransmission() {
    let message = real_hello_message();
    let mut forged = message.clone();
    let n = forged.len();
    forged[n - 1] ^= 0xff;
    let packets = vec![
        seal_client_initial(QUIC_V1, DCID, &[], 0, &crypto_frame(0, &message[..n - 20])),
        seal_client_initial(
            QUIC_V1,
            DCID,
            &[],
            1,
            &crypto_frame(n as u64 - 30, &message[n - 30..]),
        ),
        seal_client_initial(QUIC_V1, DCID, &[], 2, &crypto_frame(0, &forged)),
    ];
    assert_eq!(scan(&packets), QuicScan::Done(expected(&message)));
}

#[test]
fn keys_of_a_new_dcid_after_retry() {
    let message = real_hello_message();
    let packets = vec![
        seal_client_initial(QUIC_V1, DCID, &[], 0, &crypto_frame(0, &message[..200])),
        seal_client_initial(
            QUIC_V1,
            b"retry-cid-1234",
            &[],
            1,
            &crypto_frame(200, &message[200..]),
        ),
    ];
    assert_eq!(scan(&packets), QuicScan::Done(expected(&message)));
}

/// A long-header packet of another type (Handshake or 0-RTT), unprotected junk inside.
fn other_long_packet(first: u8, len: usize) -> Vec<u8> {
    let mut p = vec![first];
    p.extend(QUIC_V1.to_be_bytes());
    p.push(DCID.len() as u8);
    p.extend(DCID);
    p.push(0);
    encode_varint(len as u64, &mut p);
    p.extend(std::iter::repeat_n(0x5a, len));
    p
}

#[test]
fn coalesced_packets_in_one_datagram() {
    let message = real_hello_message();
    let (a, b) = message.split_at(150);
    // Handshake (type 2) first, then an Initial, then 0-RTT (type 1), then another Initial.
    let mut datagram = other_long_packet(0xe0, 40);
    datagram.extend(seal_client_initial(
        QUIC_V1,
        DCID,
        &[],
        0,
        &crypto_frame(0, a),
    ));
    datagram.extend(other_long_packet(0xd0, 30));
    datagram.extend(seal_client_initial(
        QUIC_V1,
        DCID,
        &[],
        1,
        &crypto_frame(150, b),
    ));
    assert_eq!(scan(&[datagram]), QuicScan::Done(expected(&message)));
}

#[test]
fn not_quic_and_ignored_packets() {
    assert_eq!(
        scan(&[b"\x12\x34\x01\x00\x00\x01\x00\x00".to_vec()]),
        QuicScan::NotQuic
    );
    assert_eq!(scan(&[vec![]]), QuicScan::NotQuic);
    // A short-header packet first: nothing to read.
    assert_eq!(scan(&[vec![0x40; 1200]]), QuicScan::NotQuic);
    // A gQUIC version we cannot read (Q099).
    let mut gquic = vec![0xc3];
    gquic.extend(b"Q099");
    gquic.resize(1200, 0);
    assert_eq!(scan(&[gquic]), QuicScan::NotQuic);
    // Q046 is read, but a packet of padding holds no CHLO yet.
    let mut q046 = vec![0xc3];
    q046.extend(b"Q046");
    q046.push(0x50);
    q046.resize(1200, 0);
    assert_eq!(scan(&[q046]), QuicScan::NeedMore);
    // A grease version first (forcing version negotiation) is QUIC; the real Initial follows.
    let mut grease = vec![0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8];
    grease.extend(DCID);
    grease.push(0);
    grease.resize(1200, 0);
    assert_eq!(scan(&[grease.clone()]), QuicScan::NeedMore);
    // After 32 datagrams without a readable Initial, the flow is given up.
    assert_eq!(scan(&vec![grease; 40]), QuicScan::NotQuic);
    // A v1 Initial that does not decrypt (a server's, or corrupted) is skipped, not fatal.
    let mut corrupted = seal_client_initial(QUIC_V1, DCID, &[], 0, &crypto_frame(0, b"x"));
    let last = corrupted.len() - 1;
    corrupted[last] ^= 1;
    assert_eq!(scan(&[corrupted]), QuicScan::NeedMore);
    // Short-header packets after the first datagram are ignored.
    let mut scanner = QuicInitialScanner::new();
    scanner.feed(&seal_client_initial(
        QUIC_V1,
        DCID,
        &[],
        0,
        &crypto_frame(0, &[1, 0, 1]),
    ));
    assert_eq!(scanner.feed(&[0x40; 100]), &QuicScan::NeedMore);
}

#[test]
fn malformed_and_bounded() {
    // The CRYPTO stream does not start with a ClientHello.
    let packet = seal_client_initial(QUIC_V1, DCID, &[], 0, &crypto_frame(0, &[2, 0, 0, 1, 0]));
    assert_eq!(
        scan(&[packet]),
        QuicScan::Malformed("first CRYPTO message is not a ClientHello")
    );
    // CRYPTO data beyond 64 KiB.
    let packet = seal_client_initial(QUIC_V1, DCID, &[], 0, &crypto_frame(70_000, b"abc"));
    assert_eq!(
        scan(&[packet]),
        QuicScan::Malformed("CRYPTO data beyond 64 KiB")
    );
    // A ClientHello header announcing 16 MiB.
    let packet = seal_client_initial(
        QUIC_V1,
        DCID,
        &[],
        0,
        &crypto_frame(0, &[1, 0xff, 0xff, 0xff]),
    );
    assert_eq!(
        scan(&[packet]),
        QuicScan::Malformed("ClientHello larger than 64 KiB")
    );
    // A CRYPTO frame whose length runs past the packet.
    let packet = seal_client_initial(
        QUIC_V1,
        DCID,
        &[],
        0,
        &[0x06, 0x00, 0x80, 0x00, 0x10, 0x00, 1, 2],
    );
    assert_eq!(
        scan(&[packet]),
        QuicScan::Malformed("CRYPTO frame runs past the packet")
    );
    // Endless Initials that never complete the ClientHello stop after 64.
    let mut scanner = QuicInitialScanner::new();
    let mut state = QuicScan::NeedMore;
    for pn in 0..100u32 {
        state = scanner
            .feed(&seal_client_initial(QUIC_V1, DCID, &[], pn, &[0x01]))
            .clone();
    }
    assert_eq!(
        state,
        QuicScan::Malformed("no complete ClientHello in the first 64 Initial packets")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_datagrams_never_panic(datagrams in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..1400), 1..4)) {
        let mut scanner = QuicInitialScanner::new();
        for d in &datagrams {
            scanner.feed(d);
        }
    }

    #[test]
    fn random_bytes_after_a_valid_header_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..1300), first in 0xc0u8..=0xff) {
        let mut d = vec![first];
        d.extend(QUIC_V1.to_be_bytes());
        d.extend(tail);
        QuicInitialScanner::new().feed(&d);
    }

    #[test]
    fn random_plaintext_frames_never_panic(frames in proptest::collection::vec(any::<u8>(), 0..1500)) {
        QuicInitialScanner::new().feed(&seal_client_initial(QUIC_V1, DCID, &[], 0, &frames));
    }

    #[test]
    fn any_split_into_crypto_frames_and_packets(cuts in proptest::collection::vec(1usize..520, 1..6), reverse in any::<bool>()) {
        let message = real_hello_message();
        let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(message.len())).collect();
        points.push(0);
        points.push(message.len());
        points.sort_unstable();
        points.dedup();
        let mut packets: Vec<Vec<u8>> = points
            .windows(2)
            .enumerate()
            .map(|(i, w)| seal_client_initial(QUIC_V1, DCID, &[], i as u32, &crypto_frame(w[0] as u64, &message[w[0]..w[1]])))
            .collect();
        if reverse {
            packets.reverse();
        }
        prop_assert_eq!(scan(&packets), QuicScan::Done(expected(&message)));
    }
}
