//! Google QUIC client hellos: every gQUIC flow of nDPI's captures (Q039, Q043, Q046 unencrypted;
//! Q050 with its CHLO in encrypted Initials; T050 and T051 with a TLS ClientHello in encrypted
//! Initials) must give nDPI's SNI, and built packets cover the parsing edges.

mod protocols_support;

use protocols_support::{Proto, directions, read_text};
use ringfence_sources::capture::quic::gquic::{chlo_len, parse_chlo, plain_packet, version_tag};
use ringfence_sources::capture::quic::{QuicInitialScanner, QuicScan};

const CAPTURES: [&str; 12] = [
    "quic.pcap",
    "quic046.pcap",
    "quic_q39.pcap",
    "quic_q43.pcap",
    "quic_q46.pcap",
    "quic_q46_b.pcap",
    "quic_q50.pcap",
    "quic_t50.pcap",
    "quic_t51.pcap",
    "telegram.pcap",
    "youtubeupload.pcap",
    "gquic.pcap",
];

fn between<'a>(line: &'a str, start: &str, end: &str) -> &'a str {
    line.split(start)
        .nth(1)
        .and_then(|rest| rest.split(end).next())
        .unwrap_or_else(|| panic!("no {start} in {line}"))
}

fn scan(datagrams: &[Vec<u8>]) -> QuicScan {
    let mut scanner = QuicInitialScanner::new();
    for d in datagrams {
        if scanner.feed(d) != &QuicScan::NeedMore {
            break;
        }
    }
    scanner.state().clone()
}

#[test]
fn every_gquic_flow_of_ndpi_gives_its_sni() {
    let mut checked = 0;
    let mut versions = std::collections::BTreeSet::new();
    for capture in CAPTURES {
        let result = read_text(&format!("ndpi/result/{capture}.out"));
        let dirs = directions(&format!("ndpi/pcap/{capture}"));
        for line in result.lines().filter(|l| {
            l.contains("[QUIC ver: Q") || l.contains("[QUIC ver: T") && l.contains("Hostname/SNI")
        }) {
            if !line.contains("[Hostname/SNI: ") {
                continue;
            }
            let version = between(line, "[QUIC ver: ", "]");
            let want = between(line, "[Hostname/SNI: ", "]");
            let mut words = line.split_whitespace().skip_while(|w| *w != "UDP").skip(1);
            let (a, b) = (words.next().expect("end a"), words.nth(1).expect("end b"));
            let (a, b) = (a.parse().expect("addr a"), b.parse().expect("addr b"));
            // nDPI prints either side first: the client is the side whose datagrams hold the hello.
            let hellos: Vec<_> = dirs
                .iter()
                .filter(|d| {
                    d.proto == Proto::Udp && ((d.src, d.dst) == (a, b) || (d.src, d.dst) == (b, a))
                })
                .filter_map(|d| match scan(&d.chunks) {
                    QuicScan::Done(hello) => Some(hello),
                    _ => None,
                })
                .collect();
            let [hello] = hellos.as_slice() else {
                panic!("{capture} {a} <-> {b} ({version}): {} hellos", hellos.len());
            };
            assert_eq!(hello.sni.as_deref(), Some(want), "{capture} {version}");
            if version.starts_with('T') {
                assert!(hello.ja4.starts_with('q'), "{capture}: T05x carries TLS");
                assert!(!hello.alpn.is_empty(), "{capture}: T05x offers ALPN");
            } else {
                assert_eq!(hello.ja4, "", "{capture}: a CHLO has no JA4");
                assert!(hello.alpn.is_empty());
            }
            versions.insert(version.to_string());
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} gQUIC flows checked");
    for v in ["Q039", "Q043", "Q046", "Q050", "T050", "T051"] {
        assert!(versions.contains(v), "{v} not covered: {versions:?}");
    }
}

/// A CHLO message with the given tag/value pairs.
fn chlo(entries: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut out = b"CHLO".to_vec();
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    let mut end = 0u32;
    for (tag, value) in entries {
        end += value.len() as u32;
        out.extend_from_slice(*tag);
        out.extend_from_slice(&end.to_le_bytes());
    }
    for (_, value) in entries {
        out.extend_from_slice(value);
    }
    out
}

/// A Q043 client packet: public header (flags 0x0d as Chrome sends them), 1-byte packet number,
/// 12-byte null-encryption hash, then `frames`.
fn q043_packet(frames: &[u8]) -> Vec<u8> {
    let mut out = vec![0x0d];
    out.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    out.extend_from_slice(b"Q043");
    out.push(1);
    out.extend_from_slice(&[0xaa; 12]);
    out.extend_from_slice(frames);
    out.resize(1350, 0);
    out
}

fn stream_frame(data: &[u8], big_endian: bool) -> Vec<u8> {
    let mut out = vec![0xa4, 0x01];
    out.extend_from_slice(&[0x04, 0x00]); // a 2-byte offset: a CHLO after a REJ
    let len = data.len() as u16;
    out.extend_from_slice(&if big_endian {
        len.to_be_bytes()
    } else {
        len.to_le_bytes()
    });
    out.extend_from_slice(data);
    out
}

#[test]
fn built_q043_chlo_gives_the_sni_without_ja4() {
    let message = chlo(&[
        (b"PAD\0", &[b'-'; 40]),
        (b"SNI\0", b"www.example.org"),
        (b"VER\0", b"Q043"),
    ]);
    assert_eq!(chlo_len(&message), Some(Ok(message.len())));
    let packet = q043_packet(&stream_frame(&message, true));
    let parsed = plain_packet(&packet).expect("a Q043 packet");
    assert_eq!(parsed.version, 43);
    match scan(&[packet]) {
        QuicScan::Done(hello) => {
            assert_eq!(hello.sni.as_deref(), Some("www.example.org"));
            assert_eq!(hello.ja4, "");
            assert_eq!(hello.tls_version, 0);
        }
        other => panic!("{other:?}"),
    }
    // A frame the walk does not model (an ACK) before the STREAM frame: the CHLO is still found.
    let mut frames = vec![0x40, 1, 0, 0, 1, 0];
    frames.extend_from_slice(&stream_frame(&message, true));
    assert!(
        matches!(scan(&[q043_packet(&frames)]), QuicScan::Done(h) if h.sni.as_deref() == Some("www.example.org"))
    );
}

#[test]
fn hostile_chlos_are_rejected_without_panics() {
    assert_eq!(chlo_len(b"CHL"), None);
    assert!(matches!(chlo_len(b"SHLO\0\0\0\0"), Some(Err(_))));
    // Too many entries.
    assert!(matches!(chlo_len(b"CHLO\xff\xff\0\0"), Some(Err(_))));
    // Offsets going backwards.
    let mut backwards = b"CHLO\x02\0\0\0SNI\0\x04\0\0\0PAD\0\x02\0\0\0".to_vec();
    backwards.extend_from_slice(b"abcd");
    assert!(parse_chlo(&backwards).is_err());
    // A value offset past the message.
    assert!(parse_chlo(b"CHLO\x01\0\0\0SNI\0\xff\xff\xff\xffab").is_err());
    // An SNI longer than 255 bytes is cut, and non-printable bytes are escaped.
    let long = vec![b'a'; 300];
    let hello = parse_chlo(&chlo(&[(b"SNI\0", &long)])).expect("parses");
    assert_eq!(hello.sni.map(|s| s.len()), Some(255));
    let hello = parse_chlo(&chlo(&[(b"SNI\0", b"a\x00b")])).expect("parses");
    assert_eq!(hello.sni.as_deref(), Some("a\\x00b"));
    // Truncated packets of every length never panic.
    let packet = q043_packet(&stream_frame(&chlo(&[(b"SNI\0", b"x.example")]), true));
    for len in 0..packet.len() {
        let _ = scan(&[packet[..len].to_vec()]);
    }
    assert_eq!(version_tag(*b"Q046"), Some((b'Q', 46)));
    assert_eq!(version_tag(*b"QUIC"), None);
}
