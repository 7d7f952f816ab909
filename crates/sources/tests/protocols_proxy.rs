//! Proxy handshakes: an HTTP `CONNECT` or a SOCKS request names the real destination, and the TLS
//! ClientHello after it gives its SNI and JA4. Real captures from the JA4 project (expected SNI and
//! JA4 in its testdata JSON) run through the whole engine; built SOCKS handshakes cover each form.

mod common;

use common::{run_capture, shared_data};
use ringfence_model::{Connection, NameSource};
use ringfence_sources::capture::http::socks::{SocksScan, SocksScanner, SocksTarget};

fn names(connection: &Connection) -> Vec<(String, NameSource)> {
    connection
        .names
        .iter()
        .map(|n| (n.name.clone(), n.source))
        .collect()
}

fn connection_to_port(capture: &str, port: u16) -> Vec<Connection> {
    let run = run_capture(&shared_data(&format!("captures/ja4/pcap/{capture}")));
    let found: Vec<Connection> = run
        .collected
        .connections
        .into_iter()
        .filter(|c| c.key.resp_port == port)
        .collect();
    assert!(!found.is_empty(), "{capture}: no connection to port {port}");
    found
}

/// The JA4 fingerprints the JA4 project expects for a capture's TLS ClientHellos.
fn expected_ja4(capture: &str) -> Vec<(String, String)> {
    let path = shared_data(&format!("captures/ja4/python/test/testdata/{capture}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).expect("JSON array");
    rows.iter()
        .filter_map(|row| {
            Some((
                row.get("domain")?.as_str()?.to_string(),
                row.get("JA4.1")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

#[test]
fn tls_inside_http_connect() {
    for c in connection_to_port("https-connect.pcap", 8080) {
        let names = names(&c);
        assert!(
            names.contains(&("ts01-b.cloudsink.net".into(), NameSource::HttpConnect)),
            "{names:?}"
        );
        // The ClientHello inside the tunnel sends no server_name (tshark agrees): its JA4 says
        // so with `i`, and no SNI name is invented.
        assert!(
            !names.iter().any(|(_, source)| *source == NameSource::Sni),
            "{names:?}"
        );
        let ja4 = c.ja4.as_deref().expect("JA4 of the tunnelled ClientHello");
        assert!(ja4.starts_with("t1") && ja4.get(3..4) == Some("i"), "{ja4}");
        assert_eq!(c.http.len(), 1, "only the CONNECT is an HTTP request");
    }
}

#[test]
fn tls_inside_socks() {
    let expected = expected_ja4("socks-https-example.pcap");
    assert_eq!(expected.len(), 3, "the JA4 project lists three streams");
    let connections = connection_to_port("socks-https-example.pcap", 1080);
    assert_eq!(connections.len(), 3);
    // Stream 0 is SOCKS4 to an address, stream 2 SOCKS4a to a domain, stream 4 SOCKS5 to an
    // address (93.184.216.119 was www.example.com then).
    let targets = ["93.184.216.119", "www.example.com", "93.184.216.119"];
    for ((c, (domain, ja4)), socks_target) in connections.iter().zip(&expected).zip(targets) {
        let names = names(c);
        assert!(
            names.contains(&(socks_target.into(), NameSource::SocksConnect)),
            "{names:?}"
        );
        assert!(
            names.contains(&(domain.clone(), NameSource::Sni)),
            "{names:?}"
        );
        assert_eq!(c.ja4.as_deref(), Some(ja4.as_str()));
    }
}

#[test]
fn socks4a_domain_is_the_name() {
    for c in connection_to_port("socks4-https.pcap", 9901) {
        let names = names(&c);
        assert!(
            names.contains(&("login.live.com".into(), NameSource::SocksConnect)),
            "{names:?}"
        );
    }
}

fn scan(chunks: &[&[u8]]) -> SocksScan {
    let mut scanner = SocksScanner::new();
    for chunk in chunks {
        scanner.feed(chunk);
    }
    scanner.state().clone()
}

fn target(version: u8, host: &str, port: u16) -> SocksTarget {
    SocksTarget {
        version,
        command: 1,
        host: host.into(),
        port,
    }
}

#[test]
fn socks_request_forms() {
    // SOCKS4 to an address, user "u".
    assert_eq!(
        scan(&[b"\x04\x01\x01\xbb\x5d\xb8\xd8\x77u\x00\x16\x03"]),
        SocksScan::Done {
            target: target(4, "93.184.216.119", 443),
            consumed: 10
        }
    );
    // SOCKS4a: 0.0.0.1 then the domain after the user ID.
    assert_eq!(
        scan(&[b"\x04\x01\x00\x50\x00\x00\x00\x01\x00example.org\x00"]),
        SocksScan::Done {
            target: target(4, "example.org", 80),
            consumed: 21
        }
    );
    // SOCKS5 greeting (no auth, user/pass), user/pass sub-negotiation, domain request, across
    // chunks: `consumed` counts the bytes of the last chunk only.
    let greeting: &[u8] = b"\x05\x02\x00\x02";
    let auth: &[u8] = b"\x01\x04user\x04pass";
    let request: &[u8] = b"\x05\x01\x00\x03\x0bexample.com\x01\xbb";
    let mut last = request.to_vec();
    last.extend_from_slice(b"\x16\x03\x01");
    assert_eq!(
        scan(&[greeting, auth, &last]),
        SocksScan::Done {
            target: target(5, "example.com", 443),
            consumed: request.len()
        }
    );
    // SOCKS5 with IPv4 and IPv6 addresses.
    assert_eq!(
        scan(&[b"\x05\x01\x00", b"\x05\x01\x00\x01\x0a\x00\x00\x01\x00\x50"]),
        SocksScan::Done {
            target: target(5, "10.0.0.1", 80),
            consumed: 10
        }
    );
    let mut v6 = b"\x05\x01\x00\x05\x01\x00\x04".to_vec();
    v6.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    v6.extend_from_slice(&[0x01, 0xbb]);
    assert!(matches!(
        scan(&[&v6]),
        SocksScan::Done { target, .. } if target == self::target(5, "2001:db8::1", 443)
    ));
}

#[test]
fn not_socks_and_hostile_bytes() {
    assert_eq!(
        scan(&[b"\x04\x09\x00\x50\x01\x02\x03\x04\x00"]),
        SocksScan::NotSocks
    );
    assert_eq!(scan(&[b"\x05\x00"]), SocksScan::NotSocks);
    assert_eq!(
        scan(&[b"\x05\x01\x00\x05\x01\x00\x07\x00"]),
        SocksScan::NotSocks
    );
    assert_eq!(scan(&[b"\x16\x03\x01"]), SocksScan::NotSocks);
    // A user ID that never ends stops at the handshake bound.
    let endless = vec![b'a'; 4096];
    assert_eq!(
        scan(&[b"\x04\x01\x00\x50\x01\x02\x03\x04", &endless]),
        SocksScan::NotSocks
    );
    assert_eq!(scan(&[b"\x04\x01\x00"]), SocksScan::NeedMore);
    // Every prefix of a valid handshake is NeedMore or Done, never a panic.
    let full = b"\x05\x01\x02\x01\x01u\x01p\x05\x01\x00\x03\x01h\x00\x01";
    for len in 0..full.len() {
        assert_eq!(scan(&[&full[..len]]), SocksScan::NeedMore, "prefix {len}");
    }
    assert!(matches!(scan(&[full]), SocksScan::Done { .. }));
}
