//! TLS ClientHello scanning and JA4 against the FoxIO reference output for public captures
//! (`captures/ja4/python/test/testdata/<capture>.json`: per TCP stream, the SNI and JA4 of the
//! first ClientHello).

mod protocols_support;

use proptest::prelude::*;
use protocols_support::{Direction, Proto, directions, read_text};
use ringfence_model::Transport;
use ringfence_sources::capture::tls::{
    ClientHello, ClientHelloScanner, HelloScan, parse_client_hello_message,
};

fn scan(chunks: &[Vec<u8>]) -> HelloScan {
    let mut scanner = ClientHelloScanner::new();
    for chunk in chunks {
        if scanner.feed(chunk) != &HelloScan::NeedMore {
            break;
        }
    }
    scanner.state().clone()
}

/// Checks every stream of `capture` that the reference gives a JA4 for; returns how many.
fn check_capture(capture: &str) -> usize {
    let expected: serde_json::Value = serde_json::from_str(&read_text(&format!(
        "ja4/python/test/testdata/{capture}.json"
    )))
    .expect("reference JSON");
    let dirs = directions(&format!("ja4/pcap/{capture}"));
    let mut checked = 0;
    for entry in expected.as_array().expect("array") {
        let Some(want_ja4) = entry.get("JA4.1").and_then(|v| v.as_str()) else {
            continue;
        };
        if !want_ja4.starts_with('t') {
            continue;
        }
        let field = |k: &str| {
            entry[k]
                .as_str()
                .unwrap_or_else(|| panic!("{capture}: entry without {k}"))
                .to_owned()
        };
        let (src, srcport, dst, dstport) = (
            field("src"),
            field("srcport"),
            field("dst"),
            field("dstport"),
        );
        let matching: Vec<&Direction> = dirs
            .iter()
            .filter(|d| {
                d.proto == Proto::Tcp
                    && d.src.ip().to_string() == src
                    && d.src.port().to_string() == srcport
                    && d.dst.ip().to_string() == dst
                    && d.dst.port().to_string() == dstport
            })
            .collect();
        assert!(
            !matching.is_empty(),
            "{capture}: no client stream {src}:{srcport} -> {dst}:{dstport}"
        );
        let results: Vec<HelloScan> = matching.iter().map(|d| scan(&d.chunks)).collect();
        let hello = results
            .iter()
            .find_map(|r| match r {
                HelloScan::Done(h) if h.ja4 == want_ja4 => Some(h.clone()),
                _ => None,
            })
            .unwrap_or_else(|| {
                panic!(
                    "{capture} stream {}: want {want_ja4} / {}, got {results:?}",
                    entry["stream"],
                    entry.get("JA4_r.1").and_then(|v| v.as_str()).unwrap_or("")
                )
            });
        if let Some(want_r) = entry.get("JA4_r.1").and_then(|v| v.as_str()) {
            assert_eq!(hello.ja4_r, want_r, "{capture} stream {}", entry["stream"]);
        }
        if let Some(domain) = entry.get("domain").and_then(|v| v.as_str()) {
            assert_eq!(
                hello.sni.as_deref(),
                Some(domain),
                "{capture} stream {}",
                entry["stream"]
            );
        }
        checked += 1;
    }
    checked
}

#[test]
fn ja4_and_sni_match_reference_tls_sni() {
    assert_eq!(check_capture("tls-sni.pcapng"), 59);
}

#[test]
fn ja4_and_sni_match_reference_tls12() {
    assert_eq!(check_capture("tls12.pcap"), 1);
}

#[test]
fn ja4_and_sni_match_reference_tls3() {
    assert!(check_capture("tls3.pcapng") >= 7);
}

#[test]
fn ja4_and_sni_match_reference_alpn_h2() {
    assert_eq!(check_capture("tls-alpn-h2.pcap"), 1);
}

/// The first ALPN value here is 0xba 0xad. The JA4 specification says a non-alphanumeric end
/// gives the first and last hex digits of the value ("bd"); the Python reference at the pinned
/// commit still prints "99" (its older rule for non-ASCII). We follow the specification, and
/// everything else must match the reference.
#[test]
fn ja4_non_ascii_alpn_follows_the_specification() {
    let dirs = directions("ja4/pcap/tls-non-ascii-alpn.pcapng");
    let client = dirs
        .iter()
        .find(|d| d.proto == Proto::Tcp && d.dst.port() == 443)
        .expect("client stream");
    let HelloScan::Done(hello) = scan(&client.chunks) else {
        panic!("no ClientHello");
    };
    assert_eq!(hello.alpn.first().map(String::as_str), Some("\\xba\\xad"));
    assert_eq!(hello.ja4, "t13d1516bd_8daaf6152771_e5627efa2ab1");
    let reference: serde_json::Value = serde_json::from_str(&read_text(
        "ja4/python/test/testdata/tls-non-ascii-alpn.pcapng.json",
    ))
    .expect("json");
    assert_eq!(
        reference[0]["JA4.1"],
        "t13d151699_8daaf6152771_e5627efa2ab1"
    );
    assert_eq!(hello.sni.as_deref(), reference[0]["domain"].as_str());
}

#[test]
fn ja4_matches_reference_other_captures() {
    for capture in [
        "tls-handshake.pcapng",
        "browsers-x509.pcapng",
        "latest.pcapng",
        "ipv6.pcapng",
        "v6.pcap",
    ] {
        check_capture(capture);
    }
}

/// The client stream of the first TLS connection of tls-sni.pcapng.
fn sample_stream() -> Vec<u8> {
    directions("ja4/pcap/tls-sni.pcapng")
        .into_iter()
        .find(|d| d.proto == Proto::Tcp && d.dst.port() == 443)
        .expect("a TLS client stream")
        .stream()
}

fn sample_hello() -> ClientHello {
    match scan(&[sample_stream()]) {
        HelloScan::Done(h) => h,
        other => panic!("sample stream: {other:?}"),
    }
}

#[test]
fn every_two_way_split_gives_the_same_hello() {
    let stream = sample_stream();
    let want = sample_hello();
    assert_eq!(want.sni.as_deref(), Some("clientservices.googleapis.com"));
    for split in 0..=stream.len().min(4096) {
        let (a, b) = stream.split_at(split);
        assert_eq!(
            scan(&[a.to_vec(), b.to_vec()]),
            HelloScan::Done(want.clone()),
            "split at {split}"
        );
    }
}

#[test]
fn one_byte_at_a_time() {
    let stream = sample_stream();
    let chunks: Vec<Vec<u8>> = stream.iter().map(|b| vec![*b]).collect();
    assert_eq!(scan(&chunks), HelloScan::Done(sample_hello()));
}

/// Re-frames a ClientHello handshake message into TLS records of `size` bytes each.
fn into_records(message: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in message.chunks(size) {
        out.extend_from_slice(&[22, 3, 1]);
        out.extend_from_slice(&(piece.len() as u16).to_be_bytes());
        out.extend_from_slice(piece);
    }
    out
}

fn sample_message() -> Vec<u8> {
    let stream = sample_stream();
    let len = u16::from_be_bytes([stream[3], stream[4]]) as usize;
    let record = &stream[5..5 + len];
    let msg_len = 4 + ((record[1] as usize) << 16 | (record[2] as usize) << 8 | record[3] as usize);
    record[..msg_len].to_vec()
}

#[test]
fn hello_split_across_many_records() {
    let message = sample_message();
    let want = parse_client_hello_message(&message, Transport::Tcp).expect("parse");
    for size in [1, 2, 3, 4, 5, 7, 100, 511] {
        assert_eq!(
            scan(&[into_records(&message, size)]),
            HelloScan::Done(want.clone()),
            "record size {size}"
        );
    }
}

#[test]
fn not_tls_and_malformed() {
    assert_eq!(scan(&[b"GET / HTTP/1.1\r\n".to_vec()]), HelloScan::NotTls);
    assert_eq!(scan(&[vec![22, 2, 0]]), HelloScan::NotTls);
    assert_eq!(
        scan(&[vec![22, 3, 1, 0, 0]]),
        HelloScan::Malformed("empty TLS handshake record")
    );
    assert_eq!(
        scan(&[vec![22, 3, 1, 0xff, 0xff]]),
        HelloScan::Malformed("TLS record longer than the protocol allows")
    );
    // A ServerHello (type 2) first.
    assert_eq!(
        scan(&[vec![22, 3, 3, 0, 4, 2, 0, 0, 0]]),
        HelloScan::Malformed("first handshake message is not a ClientHello")
    );
    // An alert record in the middle of the ClientHello.
    let message = sample_message();
    let mut stream = into_records(&message[..10], 10);
    stream.extend_from_slice(&[21, 3, 3, 0, 2, 2, 40]);
    assert_eq!(
        scan(&[stream]),
        HelloScan::Malformed("ClientHello interrupted by a non-handshake record")
    );
    // A handshake message header claiming more than 64 KiB.
    assert_eq!(
        scan(&[vec![22, 3, 1, 0, 4, 1, 0x01, 0x00, 0x01]]),
        HelloScan::Malformed("ClientHello larger than 64 KiB")
    );
}

#[test]
fn terminal_state_is_sticky() {
    let mut scanner = ClientHelloScanner::new();
    assert_eq!(scanner.feed(b"SSH-2.0-OpenSSH\r\n"), &HelloScan::NotTls);
    assert_eq!(scanner.feed(&sample_stream()), &HelloScan::NotTls);
    let mut scanner = ClientHelloScanner::new();
    let stream = sample_stream();
    assert!(matches!(scanner.feed(&stream), HelloScan::Done(_)));
    assert!(matches!(scanner.feed(b"garbage"), HelloScan::Done(_)));
}

/// Builds a ClientHello handshake message with the given extensions (type, data).
fn build_hello(extensions: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0u8; 32]);
    body.push(0); // session id
    body.extend_from_slice(&[0, 4, 0x13, 0x01, 0x0a, 0x0a]); // TLS_AES_128_GCM_SHA256 + GREASE
    body.extend_from_slice(&[1, 0]); // null compression
    let mut ext = Vec::new();
    for (t, data) in extensions {
        ext.extend_from_slice(&t.to_be_bytes());
        ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
        ext.extend_from_slice(data);
    }
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut msg = vec![1];
    msg.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(&body);
    msg
}

fn sni_extension(name: &[u8]) -> Vec<u8> {
    let mut entry = vec![0];
    entry.extend_from_slice(&(name.len() as u16).to_be_bytes());
    entry.extend_from_slice(name);
    let mut data = (entry.len() as u16).to_be_bytes().to_vec();
    data.extend_from_slice(&entry);
    data
}

#[test]
fn sni_is_escaped_and_bounded() {
    let hello = parse_client_hello_message(
        &build_hello(&[(0, sni_extension(b"a\\b\x01\xffc.example"))]),
        Transport::Tcp,
    )
    .expect("parse");
    assert_eq!(hello.sni.as_deref(), Some("a\\x5cb\\x01\\xffc.example"));
    // A 60 000-byte name is kept to 255 bytes.
    let long = vec![b'x'; 60_000];
    let hello =
        parse_client_hello_message(&build_hello(&[(0, sni_extension(&long))]), Transport::Tcp)
            .expect("parse");
    assert_eq!(hello.sni.map(|s| s.len()), Some(255));
}

#[test]
fn version_alpn_and_ja4_of_a_built_hello() {
    let alpn = vec![0, 7, 2, b'h', b'2', 3, b'h', 0x00, b'x'];
    let versions = vec![6, 0x7a, 0x7a, 0x03, 0x04, 0x03, 0x03];
    let sigalgs = vec![0, 4, 0x04, 0x03, 0x08, 0x04];
    let hello = parse_client_hello_message(
        &build_hello(&[
            (0x0a0a, vec![]),
            (0x0010, alpn),
            (0x002b, versions),
            (0x000d, sigalgs),
        ]),
        Transport::Udp,
    )
    .expect("parse");
    assert_eq!(hello.tls_version, 0x0304);
    assert_eq!(hello.alpn, vec!["h2".to_owned(), "h\\x00x".to_owned()]);
    assert_eq!(hello.sni, None);
    assert!(hello.ja4.starts_with("q13i0103h2_"), "{}", hello.ja4);
    assert_eq!(hello.ja4_r, "q13i0103h2_1301_000d,002b_0403,0804");
}

#[test]
fn truncated_messages_are_errors() {
    let message = sample_message();
    for cut in 0..message.len() {
        // Every truncation is either an error or (when the cut keeps the declared length) parses.
        let mut truncated = message[..cut].to_vec();
        if truncated.len() >= 4 {
            let body = (truncated.len() - 4) as u32;
            truncated[1..4].copy_from_slice(&body.to_be_bytes()[1..]);
        }
        let _ = parse_client_hello_message(&truncated, Transport::Tcp);
    }
    assert!(parse_client_hello_message(&message[..message.len() - 1], Transport::Tcp).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_chunking_gives_the_same_hello(cuts in proptest::collection::vec(0usize..600, 0..12)) {
        let stream = sample_stream();
        let want = sample_hello();
        let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(stream.len())).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for p in points {
            chunks.push(stream[start..p].to_vec());
            start = p;
        }
        chunks.push(stream[start..].to_vec());
        prop_assert_eq!(scan(&chunks), HelloScan::Done(want));
    }

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048), split in 0usize..2048) {
        let _ = parse_client_hello_message(&data, Transport::Tcp);
        let mut with_header = vec![22, 3, 1];
        with_header.extend_from_slice(&(data.len() as u16).to_be_bytes());
        with_header.extend_from_slice(&data);
        let split = split.min(with_header.len());
        let mut scanner = ClientHelloScanner::new();
        scanner.feed(&with_header[..split]);
        scanner.feed(&with_header[split..]);
    }

    #[test]
    fn mutated_hello_never_panics(flips in proptest::collection::vec((0usize..600, any::<u8>()), 1..8)) {
        let mut message = sample_message();
        for (at, value) in flips {
            let at = at % message.len();
            message[at] = value;
        }
        let _ = parse_client_hello_message(&message, Transport::Tcp);
    }
}
