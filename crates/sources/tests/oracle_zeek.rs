//! Zeek's own baseline logs for its test traces are the oracle: the connections (oriented
//! tuples, packets and IP bytes each way), DNS answers, HTTP hosts and TLS/QUIC server names that
//! ringfence finds in the same captures must match what Zeek logged.

mod common;

use common::zeek_log::ZeekLog;
use common::{run_capture, shared_data};
use ringfence_model::{Connection, NameSource, Transport};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

const TRACES: &str = "captures/zeek/testing/btest/Traces";
const BASELINE: &str = "captures/zeek/testing/btest/Baseline";

type Tuple = (Transport, IpAddr, u16, IpAddr, u16);

fn tuple_of(connection: &Connection) -> Tuple {
    let k = connection.key;
    (
        k.transport,
        k.orig_addr,
        k.orig_port,
        k.resp_addr,
        k.resp_port,
    )
}

fn zeek_tuple(row: &std::collections::HashMap<String, String>, transport: Transport) -> Tuple {
    let field = |name: &str| {
        row.get(name)
            .unwrap_or_else(|| panic!("no {name} in {row:?}"))
            .clone()
    };
    (
        transport,
        field("id.orig_h").parse().unwrap(),
        field("id.orig_p").parse().unwrap(),
        field("id.resp_h").parse().unwrap(),
        field("id.resp_p").parse().unwrap(),
    )
}

fn by_tuple(connections: &[Connection]) -> BTreeMap<Tuple, &Connection> {
    connections.iter().map(|c| (tuple_of(c), c)).collect()
}

fn names_from(connection: &Connection, source: NameSource) -> BTreeSet<String> {
    connection
        .names
        .iter()
        .filter(|n| n.source == source)
        .map(|n| n.name.clone())
        .collect()
}

#[test]
fn wikipedia_connections_match_zeek_conn_log() {
    let run = run_capture(&shared_data(&format!("{TRACES}/wikipedia.pcap")));
    let ours = by_tuple(&run.collected.connections);
    let conn_log = ZeekLog::read(&shared_data(&format!("{BASELINE}/opt.basic/conn.log")));
    let mut expected = BTreeSet::new();
    for row in &conn_log.rows {
        let transport = match row["proto"].as_str() {
            "tcp" => Transport::Tcp,
            "udp" => Transport::Udp,
            _ => continue,
        };
        let tuple = zeek_tuple(row, transport);
        expected.insert(tuple);
        let connection = ours
            .get(&tuple)
            .unwrap_or_else(|| panic!("Zeek's connection {tuple:?} not found"));
        let counts = (
            connection.orig_packets,
            connection.orig_bytes,
            connection.resp_packets,
            connection.resp_bytes,
        );
        let zeek: (u64, u64, u64, u64) = (
            row["orig_pkts"].parse().unwrap(),
            row["orig_ip_bytes"].parse().unwrap(),
            row["resp_pkts"].parse().unwrap(),
            row["resp_ip_bytes"].parse().unwrap(),
        );
        assert_eq!(counts, zeek, "packets/IP bytes each way of {tuple:?}");
    }
    let found: BTreeSet<Tuple> = ours.keys().copied().collect();
    assert_eq!(
        found, expected,
        "the set of TCP/UDP connections differs from Zeek's conn.log"
    );
}

#[test]
fn wikipedia_dns_answers_match_zeek_dns_log() {
    let run = run_capture(&shared_data(&format!("{TRACES}/wikipedia.pcap")));
    let dns_log = ZeekLog::read(&shared_data(&format!("{BASELINE}/opt.basic/dns.log")));
    let mut expected = BTreeSet::new();
    for row in &dns_log.rows {
        let addresses: BTreeSet<IpAddr> = row["answers"]
            .split(',')
            .filter_map(|a| a.parse().ok())
            .collect();
        if !addresses.is_empty() {
            expected.insert((row["query"].to_lowercase(), addresses));
        }
    }
    assert!(
        !expected.is_empty(),
        "the baseline has DNS answers with addresses"
    );
    let found: BTreeSet<(String, BTreeSet<IpAddr>)> = run
        .collected
        .resolutions
        .iter()
        .filter(|r| !r.addresses.is_empty())
        .map(|r| (r.query.clone(), r.addresses.iter().copied().collect()))
        .collect();
    assert_eq!(
        found, expected,
        "DNS answers (query → addresses) differ from Zeek's dns.log"
    );
}

#[test]
fn wikipedia_http_hosts_match_zeek_http_log() {
    let run = run_capture(&shared_data(&format!("{TRACES}/wikipedia.pcap")));
    let ours = by_tuple(&run.collected.connections);
    let http_log = ZeekLog::read(&shared_data(&format!("{BASELINE}/opt.basic/http.log")));
    assert!(!http_log.rows.is_empty());
    for row in &http_log.rows {
        let tuple = zeek_tuple(row, Transport::Tcp);
        let connection = ours
            .get(&tuple)
            .unwrap_or_else(|| panic!("HTTP connection {tuple:?} not found"));
        let hosts = names_from(connection, NameSource::HttpHost);
        assert!(
            hosts.contains(&row["host"].to_lowercase()),
            "{tuple:?}: Host {} not in {hosts:?}",
            row["host"]
        );
        let request = connection
            .http
            .iter()
            .find(|r| r.target == row["uri"])
            .unwrap_or_else(|| panic!("{tuple:?}: request {} not seen", row["uri"]));
        assert_eq!(request.method, row["method"]);
    }
}

#[test]
fn keep_alive_download_has_every_request_of_zeek_http_log() {
    let run = run_capture(&shared_data(&format!(
        "{TRACES}/http/m57-long-49583-80.pcap"
    )));
    let http_log = ZeekLog::read(&shared_data(&format!(
        "{BASELINE}/scripts.base.protocols.http.m57-long-download-windowsupdate-1/http.log.cut"
    )));
    let ours = by_tuple(&run.collected.connections);
    let tuple = zeek_tuple(&http_log.rows[0], Transport::Tcp);
    let connection = ours.get(&tuple).expect("the download connection");
    let expected: Vec<&str> = http_log
        .rows
        .iter()
        .map(|row| row["uri"].as_str())
        .collect();
    let found: Vec<&str> = connection.http.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        found, expected,
        "every request on the keep-alive connection, in order"
    );
    assert_eq!(
        names_from(connection, NameSource::HttpHost),
        BTreeSet::from(["download.windowsupdate.com".to_string()])
    );
}

/// Every TLS/QUIC connection in Zeek's ssl.log has exactly the server name Zeek logged (none
/// when Zeek logged `-`).
fn assert_server_names(trace: &str, ssl_log: &str, source: NameSource, transport: Transport) {
    let run = run_capture(&shared_data(&format!("{TRACES}/{trace}")));
    let ours = by_tuple(&run.collected.connections);
    let log = ZeekLog::read(&shared_data(&format!("{BASELINE}/{ssl_log}")));
    assert!(!log.rows.is_empty(), "{ssl_log} has connections");
    for row in &log.rows {
        let tuple = zeek_tuple(row, transport);
        let connection = ours
            .get(&tuple)
            .unwrap_or_else(|| panic!("{trace}: connection {tuple:?} not found"));
        let expected: BTreeSet<String> = match row["server_name"].as_str() {
            "-" => BTreeSet::new(),
            name => BTreeSet::from([name.to_lowercase()]),
        };
        assert_eq!(names_from(connection, source), expected, "{tuple:?}");
    }
}

#[test]
fn tls_server_name_matches_zeek_ssl_log() {
    assert_server_names(
        "tls/tls1.2.pcap",
        "scripts.base.protocols.ssl.tls-1.2/ssl.log",
        NameSource::Sni,
        Transport::Tcp,
    );
}

#[test]
fn quic_server_names_match_zeek_ssl_log() {
    assert_server_names(
        "quic/chromium-115.0.5790.110-api-cirrus-com.pcap",
        "scripts.base.protocols.quic.chromium/ssl.log",
        NameSource::QuicSni,
        Transport::Udp,
    );
    assert_server_names(
        "quic/firefox-102.13.0esr-blog-cloudflare-com.pcap",
        "scripts.base.protocols.quic.firefox/ssl.log",
        NameSource::QuicSni,
        Transport::Udp,
    );
}
