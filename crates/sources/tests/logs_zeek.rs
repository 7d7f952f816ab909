//! Zeek's own logs for its test traces, read by ringfence's Zeek reader: the connections, names
//! and DNS answers must be the ones Zeek wrote, and — matched by Community ID — the ones
//! ringfence's capture engine finds in the same capture.

mod common;

use common::logs::{UNMASKED_TS, stream, tsv_to_json, unmasked};
use common::zeek_log::ZeekLog;
use common::{Collected, run_capture, shared_data};
use ringfence_model::{Connection, NameSource, TcpState, Transport};
use ringfence_sources::logs::{ReadOutcome, matching, zeek};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

const TRACES: &str = "captures/zeek/testing/btest/Traces";
const BASELINE: &str = "captures/zeek/testing/btest/Baseline";

fn baseline(relative: &str) -> std::path::PathBuf {
    shared_data(&format!("{BASELINE}/{relative}"))
}

/// Reads opt.basic's conn, dns and http logs (conn.log first, as a directory listing gives them).
fn read_opt_basic(json: bool) -> (Collected, Vec<ReadOutcome>) {
    let streams = ["conn.log", "dns.log", "http.log"]
        .iter()
        .map(|name| {
            let tsv = unmasked(&baseline(&format!("opt.basic/{name}")));
            let bytes = if json { tsv_to_json(&tsv, false) } else { tsv };
            stream(name, bytes)
        })
        .collect();
    let mut collected = Collected::default();
    let outcomes = zeek::read_set(streams, 0, &mut collected);
    (collected, outcomes)
}

fn row_value<'r>(row: &'r HashMap<String, String>, name: &str) -> &'r str {
    row.get(name)
        .unwrap_or_else(|| panic!("no {name} in {row:?}"))
}

fn count(row: &HashMap<String, String>, name: &str) -> u64 {
    match row_value(row, name) {
        "-" => 0,
        value => value.parse().unwrap(),
    }
}

fn names(connection: &Connection, source: NameSource) -> BTreeSet<String> {
    connection
        .names
        .iter()
        .filter(|n| n.source == source)
        .map(|n| n.name.clone())
        .collect()
}

#[test]
fn conn_log_gives_the_connections_zeek_lists_with_the_http_hosts_of_their_uid() {
    let (collected, outcomes) = read_opt_basic(false);
    for outcome in &outcomes {
        assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
        assert_eq!(outcome.dropped, 0);
    }
    let conn_log = ZeekLog::read(&baseline("opt.basic/conn.log"));
    let http_log = ZeekLog::read(&baseline("opt.basic/http.log"));
    let mut hosts: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for row in &http_log.rows {
        hosts
            .entry(row_value(row, "uid"))
            .or_default()
            .insert(row_value(row, "host").to_lowercase());
    }
    let tcp_udp: Vec<&HashMap<String, String>> = conn_log
        .rows
        .iter()
        .filter(|row| matches!(row_value(row, "proto"), "tcp" | "udp"))
        .collect();
    assert_eq!(outcomes[0].records, conn_log.rows.len() as u64);
    assert_eq!(outcomes[0].connections, tcp_udp.len() as u64);
    assert_eq!(
        outcomes[0].other_transports,
        (conn_log.rows.len() - tcp_udp.len()) as u64
    );
    assert_eq!(collected.connections.len(), tcp_udp.len());
    let mut with_hosts = 0;
    for (row, connection) in tcp_udp.iter().zip(&collected.connections) {
        let key = connection.key;
        let transport = match row_value(row, "proto") {
            "tcp" => Transport::Tcp,
            _ => Transport::Udp,
        };
        let expected_tuple = (
            transport,
            row_value(row, "id.orig_h").parse::<IpAddr>().unwrap(),
            row_value(row, "id.orig_p").parse::<u16>().unwrap(),
            row_value(row, "id.resp_h").parse::<IpAddr>().unwrap(),
            row_value(row, "id.resp_p").parse::<u16>().unwrap(),
        );
        assert_eq!(
            (
                key.transport,
                key.orig_addr,
                key.orig_port,
                key.resp_addr,
                key.resp_port
            ),
            expected_tuple
        );
        assert_eq!(
            (
                connection.orig_packets,
                connection.orig_bytes,
                connection.orig_payload_bytes,
                connection.resp_packets,
                connection.resp_bytes,
                connection.resp_payload_bytes,
            ),
            (
                count(row, "orig_pkts"),
                count(row, "orig_ip_bytes"),
                count(row, "orig_bytes"),
                count(row, "resp_pkts"),
                count(row, "resp_ip_bytes"),
                count(row, "resp_bytes"),
            ),
            "{expected_tuple:?}"
        );
        let expected_state = match (transport, row_value(row, "conn_state")) {
            (Transport::Udp, _) => None,
            (_, "SF") => Some(TcpState::Closed),
            (_, "S0") => Some(TcpState::Attempted),
            (_, "S1") => Some(TcpState::Established),
            (_, "RSTO" | "RSTR") => Some(TcpState::Reset),
            (_, "OTH") => Some(TcpState::Midstream),
            (_, other) => panic!("conn_state {other} not expected in this log"),
        };
        assert_eq!(connection.tcp_state, expected_state, "{expected_tuple:?}");
        let ts: i64 = UNMASKED_TS.replace('.', "").parse::<i64>().unwrap() * 1000;
        assert_eq!(connection.first_seen.nanos(), ts);
        let duration_nanos = match row_value(row, "duration") {
            "-" => 0,
            d => (d.parse::<f64>().unwrap() * 1e9).round() as i64,
        };
        assert_eq!(connection.last_seen.nanos() - ts, duration_nanos);
        let expected_hosts = hosts
            .get(row_value(row, "uid"))
            .cloned()
            .unwrap_or_default();
        with_hosts += usize::from(!expected_hosts.is_empty());
        assert_eq!(
            names(connection, NameSource::HttpHost),
            expected_hosts,
            "{expected_tuple:?}"
        );
        // The conn line the connection came from.
        assert_eq!(connection.evidence.evidence, 0);
        let text = unmasked(&baseline("opt.basic/conn.log"));
        let line = &text[connection.evidence.offset as usize..];
        assert!(line.starts_with(format!("{UNMASKED_TS}\t{}\t", row_value(row, "uid")).as_bytes()));
    }
    assert!(with_hosts >= 5, "HTTP connections got their hosts");
    assert_eq!(outcomes[2].names, http_log.rows.len() as u64);
    assert_eq!(outcomes[2].unjoined, 0, "every http.log uid is in conn.log");
}

#[test]
fn dns_log_gives_the_resolutions_the_capture_engine_finds() {
    let (collected, outcomes) = read_opt_basic(false);
    let dns_log = ZeekLog::read(&baseline("opt.basic/dns.log"));
    assert_eq!(outcomes[1].records, dns_log.rows.len() as u64);
    type Answer = (String, Vec<String>, BTreeSet<IpAddr>);
    let ours: BTreeSet<Answer> = collected
        .resolutions
        .iter()
        .map(|r| {
            (
                r.query.clone(),
                r.cname_chain.clone(),
                r.addresses.iter().copied().collect(),
            )
        })
        .collect();
    let run = run_capture(&shared_data(&format!("{TRACES}/wikipedia.pcap")));
    let captured: BTreeSet<Answer> = run
        .collected
        .resolutions
        .iter()
        .map(|r| {
            (
                r.query.clone(),
                r.cname_chain.clone(),
                r.addresses.iter().copied().collect(),
            )
        })
        .collect();
    assert!(
        ours.iter()
            .any(|(_, chain, addresses)| !chain.is_empty() && !addresses.is_empty())
    );
    assert_eq!(ours, captured, "dns.log answers and the capture's answers");
    let upload = collected
        .resolutions
        .iter()
        .find(|r| r.query == "upload.wikimedia.org" && !r.addresses.is_empty())
        .expect("upload.wikimedia.org answered");
    assert_eq!(upload.ttl, 124, "the smallest TTL of the answer");
}

#[test]
fn log_connections_match_the_capture_connections_by_community_id() {
    let (logs, _) = read_opt_basic(false);
    let run = run_capture(&shared_data(&format!("{TRACES}/wikipedia.pcap")));
    let capture = &run.collected.connections;
    let matched = matching::match_by_community_id(&logs.connections, capture);
    assert!(
        matched.only_in_logs.is_empty(),
        "{:?}",
        matched.only_in_logs
    );
    assert!(
        matched.only_in_capture.is_empty(),
        "{:?}",
        matched.only_in_capture
    );
    assert_eq!(matched.pairs.len(), logs.connections.len());
    let (mut hosts, mut midstream_hosts) = (0, 0);
    for (l, c) in matched.pairs {
        let (from_log, from_capture) = (&logs.connections[l], &capture[c]);
        assert_eq!(from_log.key, from_capture.key);
        assert_eq!(
            (
                from_log.orig_packets,
                from_log.orig_bytes,
                from_log.resp_packets,
                from_log.resp_bytes
            ),
            (
                from_capture.orig_packets,
                from_capture.orig_bytes,
                from_capture.resp_packets,
                from_capture.resp_bytes
            ),
            "{:?}",
            from_log.key
        );
        let (logged, captured) = (
            names(from_log, NameSource::HttpHost),
            names(from_capture, NameSource::HttpHost),
        );
        if from_log.tcp_state == Some(TcpState::Midstream) {
            // Zeek does not analyse HTTP on a connection it saw no handshake of (conn_state
            // OTH); ringfence parses the request it sees anyway.
            assert!(logged.is_empty(), "{:?}", from_log.key);
            midstream_hosts += captured.len();
        } else {
            assert_eq!(logged, captured, "{:?}", from_log.key);
            hosts += logged.len();
        }
    }
    assert!(
        hosts >= 5 && midstream_hosts == 1,
        "{hosts} {midstream_hosts}"
    );
}

#[test]
fn zeek_json_logs_read_as_the_tsv_logs_do() {
    let (tsv, _) = read_opt_basic(false);
    let (json, outcomes) = read_opt_basic(true);
    for outcome in &outcomes {
        assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    }
    let without_evidence = |connections: &[Connection]| -> Vec<Connection> {
        connections
            .iter()
            .cloned()
            .map(|mut c| {
                c.evidence.offset = 0;
                c.evidence.record = 0;
                c
            })
            .collect()
    };
    assert_eq!(
        without_evidence(&json.connections),
        without_evidence(&tsv.connections)
    );
    let queries = |c: &Collected| -> Vec<(String, Vec<IpAddr>, u32)> {
        c.resolutions
            .iter()
            .map(|r| (r.query.clone(), r.addresses.clone(), r.ttl))
            .collect()
    };
    assert_eq!(queries(&json), queries(&tsv));
}

#[test]
fn json_records_without_path_or_file_name_are_told_apart_by_their_fields() {
    let one_file: Vec<u8> = ["http.log", "dns.log", "conn.log"]
        .iter()
        .flat_map(|name| tsv_to_json(&unmasked(&baseline(&format!("opt.basic/{name}"))), false))
        .collect();
    let mut collected = Collected::default();
    let outcome = zeek::read(stream("-", one_file), 3, &mut collected);
    assert_eq!(outcome.problems.count, 0);
    let (tsv, _) = read_opt_basic(false);
    assert_eq!(collected.connections.len(), tsv.connections.len());
    assert_eq!(collected.resolutions.len(), tsv.resolutions.len());
    let hosts = |c: &Collected| -> usize {
        c.connections
            .iter()
            .map(|c| names(c, NameSource::HttpHost).len())
            .sum()
    };
    assert_eq!(hosts(&collected), hosts(&tsv), "http records came first");
    assert!(
        collected
            .connections
            .iter()
            .all(|c| c.evidence.evidence == 3)
    );
}

#[test]
fn ssl_and_quic_logs_alone_give_names_that_wait_for_a_conn_log() {
    let streams = vec![
        stream(
            "ssl.log",
            unmasked(&baseline("scripts.base.protocols.quic.chromium/ssl.log")),
        ),
        stream(
            "quic.log",
            unmasked(&baseline("scripts.base.protocols.quic.chromium/quic.log")),
        ),
        stream(
            "tls-1.2/ssl.log",
            unmasked(&baseline("scripts.base.protocols.ssl.tls-1.2/ssl.log")),
        ),
    ];
    let mut collected = Collected::default();
    let outcomes = zeek::read_set(streams, 0, &mut collected);
    assert!(collected.connections.is_empty());
    let summary: Vec<(u64, u64, u64)> = outcomes
        .iter()
        .map(|o| (o.records, o.names, o.unjoined))
        .collect();
    // api.cirrus-ci.com in both QUIC logs (one uid); no server name in the TLS 1.2 trace.
    assert_eq!(summary, [(1, 1, 1), (1, 1, 0), (1, 0, 0)]);
}

#[test]
fn looks_like_knows_zeek_logs_from_other_text() {
    for log in [
        "opt.basic/conn.log",
        "scripts.base.protocols.quic.chromium/ssl.log",
    ] {
        let bytes = std::fs::read(baseline(log)).unwrap();
        assert!(zeek::looks_like(&bytes[..bytes.len().min(4096)]), "{log}");
        let json = tsv_to_json(&unmasked(&baseline(log)), false);
        assert!(
            zeek::looks_like(&json[..json.len().min(4096)]),
            "{log} as JSON"
        );
    }
    let eve =
        br#"{"timestamp":"2026-06-01T09:00:00.000204+0000","flow_id":1,"event_type":"dns","ts":1}"#;
    assert!(!zeek::looks_like(eve));
    assert!(!zeek::looks_like(b"ts\tuid\thistory\n1.0\tC1\tDd\n"));
    assert!(!zeek::looks_like(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]));
}
