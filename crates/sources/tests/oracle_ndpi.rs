//! nDPI's expected output for its 523 test captures is the oracle: for every capture, the set of
//! TCP/UDP connections ringfence finds must equal nDPI's, and every TLS, QUIC and HTTP hostname
//! nDPI reports must be among the names ringfence learned for that connection.
//!
//! Where the two differ for a good reason, the capture is listed with that reason in
//! `oracle-exceptions.toml`; an exception that no longer applies fails the test too, so the list
//! stays true.

mod common;

use common::{run_capture, shared_data};
use ringfence_model::Transport;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

/// A connection without direction: nDPI prints either side first.
type Pair = (Transport, SocketAddr, SocketAddr);

fn pair(transport: Transport, a: SocketAddr, b: SocketAddr) -> Pair {
    if a <= b {
        (transport, a, b)
    } else {
        (transport, b, a)
    }
}

struct NdpiFlow {
    pair: Pair,
    /// The hostname nDPI learned from TLS/QUIC SNI or the HTTP Host header.
    hostname: Option<String>,
}

/// nDPI prints a single zero group of an IPv6 address as `::` too, so an address can have several
/// (`2600:1901::7a0b::` is 2600:1901:0:7a0b::): every `::` but the last stands for one zero group.
fn parse_ndpi_ipv6(text: &str) -> Option<IpAddr> {
    let mut parts: Vec<&str> = text.split("::").collect();
    let last = parts.pop()?;
    let fixed = if parts.is_empty() {
        last.to_string()
    } else {
        format!("{}::{last}", parts.join(":0:"))
    };
    fixed.parse().ok()
}

fn parse_endpoint(text: &str) -> Option<SocketAddr> {
    if let Some(rest) = text.strip_prefix('[') {
        let (addr, port) = rest.split_once("]:")?;
        return Some(SocketAddr::new(parse_ndpi_ipv6(addr)?, port.parse().ok()?));
    }
    let (addr, port) = text.rsplit_once(':')?;
    Some(SocketAddr::new(
        addr.parse::<IpAddr>().ok()?,
        port.parse().ok()?,
    ))
}

/// nDPI's master protocols whose Hostname/SNI comes from the bytes ringfence parses.
fn hostname_protocol(line: &str) -> bool {
    let Some(proto) = line
        .split("[proto: ")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
    else {
        return false;
    };
    let name = proto.split('/').nth(1).unwrap_or("");
    let master = name.split('.').next().unwrap_or("");
    matches!(master, "TLS" | "QUIC" | "HTTP")
}

fn read_ndpi_flows(result: &std::path::Path) -> Vec<NdpiFlow> {
    let bytes = std::fs::read(result).unwrap_or_else(|e| panic!("{}: {e}", result.display()));
    let text = String::from_utf8_lossy(&bytes);
    let mut flows = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix('\t') else {
            continue;
        };
        let Some((_, rest)) = rest.split_once('\t') else {
            continue;
        };
        let transport = if rest.starts_with("TCP ") {
            Transport::Tcp
        } else if rest.starts_with("UDP ") {
            Transport::Udp
        } else {
            continue;
        };
        let mut words = rest.split(' ');
        let (Some(_), Some(a), Some(_arrow), Some(b)) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            continue;
        };
        let (Some(a), Some(b)) = (parse_endpoint(a), parse_endpoint(b)) else {
            continue;
        };
        let hostname = if hostname_protocol(rest) {
            rest.split("[Hostname/SNI: ")
                .nth(1)
                .and_then(|h| h.split(']').next())
                .map(|h| h.to_lowercase())
        } else {
            None
        };
        flows.push(NdpiFlow {
            pair: pair(transport, a, b),
            hostname,
        });
    }
    flows
}

#[test]
fn reads_ndpi_ipv6_quirk() {
    let parsed = |text: &str| text.parse::<IpAddr>().ok();
    assert_eq!(
        parse_ndpi_ipv6("2600:1901::7a0b::"),
        parsed("2600:1901:0:7a0b::")
    );
    assert_eq!(
        parse_ndpi_ipv6("2600:1900:4160:5999::19::"),
        parsed("2600:1900:4160:5999:0:19::")
    );
    assert_eq!(parse_ndpi_ipv6("fe80::1"), parsed("fe80::1"));
    assert_eq!(
        parse_ndpi_ipv6("2001:db8:1:2:3:4:5:6"),
        parsed("2001:db8:1:2:3:4:5:6")
    );
}

#[derive(Deserialize)]
struct Exceptions {
    #[serde(default)]
    ndpi: Vec<Exception>,
}

#[derive(Deserialize)]
struct Exception {
    capture: String,
    check: String,
    reason: String,
}

fn exceptions() -> BTreeMap<(String, String), String> {
    let text = include_str!("oracle-exceptions.toml");
    let parsed: Exceptions = toml::from_str(text).expect("oracle-exceptions.toml parses");
    parsed
        .ndpi
        .into_iter()
        .map(|e| ((e.capture, e.check), e.reason))
        .collect()
}

#[test]
fn every_ndpi_capture_matches_ndpi_flows_and_hostnames() {
    let pcap_dir = shared_data("captures/ndpi/pcap");
    let result_dir = shared_data("captures/ndpi/result");
    let mut captures: Vec<_> = std::fs::read_dir(&pcap_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    captures.sort();
    assert!(
        captures.len() >= 500,
        "expected nDPI's captures, found {}",
        captures.len()
    );
    let mut differences: BTreeMap<(String, String), String> = BTreeMap::new();
    for capture in &captures {
        let name = capture.file_name().unwrap().to_string_lossy().to_string();
        let result = result_dir.join(format!("{name}.out"));
        if !result.exists() {
            continue;
        }
        let expected = read_ndpi_flows(&result);
        let run = run_capture(capture);
        let mut ours: BTreeMap<Pair, BTreeSet<String>> = BTreeMap::new();
        for c in &run.collected.connections {
            let k = c.key;
            let entry = ours
                .entry(pair(
                    k.transport,
                    SocketAddr::new(k.orig_addr, k.orig_port),
                    SocketAddr::new(k.resp_addr, k.resp_port),
                ))
                .or_default();
            entry.extend(c.names.iter().map(|n| n.name.clone()));
        }
        let expected_pairs: BTreeSet<Pair> = expected.iter().map(|f| f.pair).collect();
        let found_pairs: BTreeSet<Pair> = ours.keys().copied().collect();
        if expected_pairs != found_pairs {
            let show = |pairs: Vec<&Pair>| {
                pairs
                    .iter()
                    .take(4)
                    .map(|p| format!("{p:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let missing: Vec<&Pair> = expected_pairs.difference(&found_pairs).collect();
            let extra: Vec<&Pair> = found_pairs.difference(&expected_pairs).collect();
            let what = format!(
                "{} of nDPI's flows missing ({}), {} extra ({})",
                missing.len(),
                show(missing.clone()),
                extra.len(),
                show(extra.clone())
            );
            differences.insert((name.clone(), "flows".into()), what);
        }
        let mut unmatched = Vec::new();
        for flow in &expected {
            let Some(hostname) = &flow.hostname else {
                continue;
            };
            if !ours
                .get(&flow.pair)
                .is_some_and(|names| names.contains(hostname))
            {
                unmatched.push(format!("{hostname} on {:?}", flow.pair));
            }
        }
        if !unmatched.is_empty() {
            differences.insert((name.clone(), "names".into()), unmatched.join("; "));
        }
    }
    let allowed = exceptions();
    let unexplained: Vec<String> = differences
        .iter()
        .filter(|(key, _)| !allowed.contains_key(*key))
        .map(|((capture, check), what)| format!("{capture} [{check}]: {what}"))
        .collect();
    let stale: Vec<String> = allowed
        .keys()
        .filter(|key| !differences.contains_key(*key))
        .map(|(capture, check)| format!("{capture} [{check}]"))
        .collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "differences from nDPI without an exception:\n  {}\nexceptions that no longer apply:\n  {}",
        unexplained.join("\n  "),
        stale.join("\n  ")
    );
}
