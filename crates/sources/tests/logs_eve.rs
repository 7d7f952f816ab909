//! Suricata's EVE output for ringfence's own sample capture (tests/fixtures/suricata, made by
//! Suricata 7.0.10), read by ringfence's EVE reader, against what ringfence's capture engine
//! finds in the same capture: the same flows (matched by Community ID), counts, times, TCP states,
//! server names, HTTP hosts and DNS answers.

mod common;

use common::Collected;
use common::logs::stream;
use ringfence_model::{Connection, NameSource, Resolution};
use ringfence_samples::{SampleConfig, write_capture};
use ringfence_sources::capture::{CaptureEngine, CaptureOptions, CaptureReader};
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::logs::{ReadOutcome, eve, matching};
use sha2::{Digest, Sha256};
use std::io::Read;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/suricata/eve.json.gz"
);
/// The capture Suricata read (tests/fixtures/suricata/README.md).
const SAMPLE: SampleConfig = SampleConfig {
    seed: 1,
    target_bytes: 8 << 20,
};
const SAMPLE_SHA256: &str = "d67c3fe2989b5f19a0905d3129cec972c27e072e697326244b882e39051455ec";
/// Ethernet header bytes per packet: Suricata counts them, ringfence counts from the IP header.
const ETHERNET: u64 = 14;

fn capture() -> Collected {
    let mut pcap = Vec::new();
    write_capture(&SAMPLE, &mut pcap).expect("sample capture");
    assert_eq!(
        hex::encode(Sha256::digest(&pcap)),
        SAMPLE_SHA256,
        "the sample generator changed: regenerate tests/fixtures/suricata/eve.json.gz with \
         regenerate.sh beside it and update the digest here and in its README"
    );
    let mut reader =
        CaptureReader::from_reader("sample.pcap", Box::new(std::io::Cursor::new(pcap))).unwrap();
    let mut engine = CaptureEngine::new(CaptureOptions::default());
    let mut collected = Collected::default();
    engine.read(&mut reader, &mut collected, &mut |_| {});
    engine.finish(&mut collected);
    collected
}

fn read_fixture() -> (Collected, ReadOutcome) {
    let stream = EvidenceStream::open(FIXTURE).expect("the EVE fixture");
    let mut collected = Collected::default();
    let outcome = eve::read(stream, 2, &mut collected);
    (collected, outcome)
}

fn decompressed_fixture() -> Vec<u8> {
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(FIXTURE).unwrap())
        .read_to_end(&mut text)
        .unwrap();
    text
}

#[test]
fn every_flow_is_a_capture_connection_with_the_same_counts_times_and_names() {
    let (logs, outcome) = read_fixture();
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    assert_eq!((outcome.unjoined, outcome.dropped), (0, 0));
    assert_eq!(
        outcome.other_records, 0,
        "the fixture holds only types ringfence reads"
    );
    let capture = capture();
    let matched = matching::match_by_community_id(&logs.connections, &capture.connections);
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
    assert_eq!(matched.pairs.len(), 188);
    assert_eq!(outcome.connections, 188);
    let mut by_source = std::collections::BTreeMap::<NameSource, usize>::new();
    for (l, c) in matched.pairs {
        let (eve, ours): (&Connection, &Connection) =
            (&logs.connections[l], &capture.connections[c]);
        assert_eq!(eve.key, ours.key, "the same originator");
        assert_eq!(
            (eve.orig_packets, eve.resp_packets),
            (ours.orig_packets, ours.resp_packets),
            "{:?}",
            eve.key
        );
        assert_eq!(
            (eve.orig_bytes, eve.resp_bytes),
            (
                ours.orig_bytes + ETHERNET * ours.orig_packets,
                ours.resp_bytes + ETHERNET * ours.resp_packets
            ),
            "{:?}",
            eve.key
        );
        assert_eq!(
            (eve.first_seen, eve.last_seen, eve.tcp_state),
            (ours.first_seen, ours.last_seen, ours.tcp_state),
            "{:?}",
            eve.key
        );
        assert_eq!(eve.names, ours.names, "{:?}", eve.key);
        for name in &eve.names {
            *by_source.entry(name.source).or_default() += 1;
        }
    }
    // Every kind of name the sample has: SNI, QUIC SNI, HTTP Host, CONNECT, DNS (with CNAMEs).
    for source in [
        NameSource::Sni,
        NameSource::QuicSni,
        NameSource::HttpHost,
        NameSource::HttpConnect,
        NameSource::Dns,
    ] {
        assert!(
            by_source.get(&source).is_some_and(|n| *n > 0),
            "{source:?}: {by_source:?}"
        );
    }
    assert!(
        logs.connections
            .iter()
            .any(|c| c.names.iter().any(|n| !n.cname_chain.is_empty()))
    );
}

#[test]
fn dns_answers_are_the_capture_engines() {
    let (logs, outcome) = read_fixture();
    let capture = capture();
    let key = |r: &Resolution| {
        (
            r.time,
            r.query.clone(),
            r.cname_chain.clone(),
            r.addresses.clone(),
            r.ttl,
        )
    };
    let ours: Vec<_> = capture.resolutions.iter().map(key).collect();
    let eve: Vec<_> = logs.resolutions.iter().map(key).collect();
    assert_eq!(eve, ours);
    assert_eq!(outcome.resolutions, 93);
}

#[test]
fn evidence_points_at_the_flow_event_line() {
    let (logs, _) = read_fixture();
    let text = decompressed_fixture();
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    for connection in &logs.connections {
        let reference = connection.evidence;
        assert_eq!(reference.evidence, 2);
        let line = &text[reference.offset as usize..];
        let line = &line[..line.iter().position(|&b| b == b'\n').unwrap()];
        assert_eq!(line, lines[reference.record as usize - 1]);
        let event: serde_json::Value = serde_json::from_slice(line).unwrap();
        assert_eq!(event["event_type"], "flow");
        assert_eq!(event["community_id"], connection.community_id.as_str());
    }
}

#[test]
fn reading_is_deterministic_and_plain_text_reads_as_gzip_does() {
    let (first, gz) = read_fixture();
    let mut plain = Collected::default();
    let outcome = eve::read(stream("eve.json", decompressed_fixture()), 2, &mut plain);
    assert_eq!(plain.connections, first.connections);
    assert_eq!(plain.resolutions, first.resolutions);
    assert_eq!(outcome.records, gz.records);
    let (again, _) = read_fixture();
    assert_eq!(again.connections, first.connections);
}

#[test]
fn looks_like_knows_eve_from_zeek() {
    let text = decompressed_fixture();
    let head = &text[..4096];
    assert!(eve::looks_like(head));
    assert!(!ringfence_sources::logs::zeek::looks_like(head));
    assert!(!eve::looks_like(b"#separator \\x09\n#path\tconn\n"));
    assert!(!eve::looks_like(
        br#"{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.1"}"#
    ));
}

#[test]
fn dns_events_of_every_version_give_the_same_resolution() {
    let v1 = concat!(
        r#"{"timestamp":"2016-05-18T16:51:47.000100+0000","flow_id":7,"event_type":"dns","dns":{"type":"query","id":5,"rrname":"central.sophos.com","rrtype":"A"}}"#,
        "\n",
        r#"{"timestamp":"2016-05-18T16:51:47.123456+0000","flow_id":7,"event_type":"dns","dns":{"type":"answer","id":5,"rrname":"Central.Sophos.com","rrtype":"CNAME","ttl":300,"rdata":"elb.sophos.com"}}"#,
        "\n",
        r#"{"timestamp":"2016-05-18T16:51:47.123456+0000","flow_id":7,"event_type":"dns","dns":{"type":"answer","id":5,"rrname":"elb.sophos.com","rrtype":"A","ttl":60,"rdata":"52.31.148.107"}}"#,
        "\n",
        r#"{"timestamp":"2016-05-18T16:51:47.123456+0000","flow_id":7,"event_type":"dns","dns":{"type":"answer","id":5,"rrname":"elb.sophos.com","rrtype":"A","ttl":60,"rdata":"34.246.84.16"}}"#,
        "\n",
    );
    let v2 = r#"{"timestamp":"2016-05-18T16:51:47.123456+0000","flow_id":7,"event_type":"dns","dns":{"version":2,"type":"answer","id":5,"rrname":"central.sophos.com","rrtype":"A","rcode":"NOERROR","answers":[{"rrname":"central.sophos.com","rrtype":"CNAME","ttl":300,"rdata":"elb.sophos.com"},{"rrname":"elb.sophos.com","rrtype":"A","ttl":60,"rdata":"52.31.148.107"},{"rrname":"elb.sophos.com","rrtype":"A","ttl":60,"rdata":"34.246.84.16"}]}}"#;
    let v3 = r#"{"timestamp":"2016-05-18T16:51:47.123456+0000","flow_id":7,"event_type":"dns","dns":{"version":3,"type":"response","id":5,"queries":[{"rrname":"central.sophos.com","rrtype":"A"}],"answers":[{"rrname":"central.sophos.com","rrtype":"CNAME","ttl":300,"rdata":"elb.sophos.com"},{"rrname":"elb.sophos.com","rrtype":"A","ttl":60,"rdata":"52.31.148.107"},{"rrname":"elb.sophos.com","rrtype":"A","ttl":60,"rdata":"34.246.84.16"}],"grouped":{"A":["52.31.148.107","34.246.84.16"],"CNAME":["elb.sophos.com"]}}}"#;
    let grouped = r#"{"timestamp":"2016-05-18T16:51:47.123456+0000","flow_id":7,"event_type":"dns","dns":{"version":2,"type":"answer","id":5,"rrname":"central.sophos.com","rrtype":"A","grouped":{"A":["52.31.148.107","34.246.84.16"],"CNAME":["elb.sophos.com"]}}}"#;
    let read = |text: &str| {
        let mut collected = Collected::default();
        let outcome = eve::read(
            stream("eve.json", text.as_bytes().to_vec()),
            0,
            &mut collected,
        );
        assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
        assert_eq!(collected.resolutions.len(), 1, "{text}");
        let r = collected.resolutions.remove(0);
        (r.time, r.query, r.cname_chain, r.addresses)
    };
    let expected = read(v2);
    assert_eq!(expected.1, "central.sophos.com");
    assert_eq!(expected.2, ["elb.sophos.com"]);
    assert_eq!(expected.3.len(), 2);
    assert_eq!(read(v1), expected);
    assert_eq!(read(v3), expected);
    assert_eq!(read(grouped), expected);
}

#[test]
fn names_join_their_flow_and_other_events_are_counted() {
    let events = concat!(
        r#"{"timestamp":"2024-01-01T00:00:00.1Z","event_type":"stats","stats":{"uptime":1}}"#,
        "\n",
        r#"{"timestamp":"2024-01-01T00:00:01Z","flow_id":1,"event_type":"tls","tls":{"sni":"A.Example."}}"#,
        "\n",
        r#"{"timestamp":"2024-01-01T00:00:01Z","flow_id":1,"event_type":"http","http":{"hostname":"a.example","http_method":"GET","url":"/x"}}"#,
        "\n",
        r#"{"timestamp":"2024-01-01T00:00:01Z","flow_id":2,"event_type":"alert","alert":{"signature":"x"}}"#,
        "\n",
        r#"{"timestamp":"2024-01-01T00:00:01Z","flow_id":9,"event_type":"quic","quic":{"sni":"never.example"}}"#,
        "\n",
        r#"{"timestamp":"2024-01-01T00:00:05Z","flow_id":1,"event_type":"flow","src_ip":"2001:0db8:0000:0000:0000:0000:0000:0001","src_port":50000,"dest_ip":"2001:db8::2","dest_port":443,"proto":"TCP","flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":300,"bytes_toclient":200,"start":"2024-01-01T00:00:00.5+00:00","end":"2024-01-01T00:00:04Z","state":"closed"},"tcp":{"tcp_flags_ts":"1b","tcp_flags_tc":"1b"}}"#,
        "\n",
        r#"{"timestamp":"2024-01-01T00:00:05Z","flow_id":3,"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"ICMP","icmp_type":8,"flow":{"start":"2024-01-01T00:00:00Z"}}"#,
        "\n",
    );
    let mut collected = Collected::default();
    let outcome = eve::read(
        stream("eve.json", events.as_bytes().to_vec()),
        0,
        &mut collected,
    );
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    assert_eq!(
        (
            outcome.records,
            outcome.connections,
            outcome.other_records,
            outcome.other_transports
        ),
        (7, 1, 2, 1)
    );
    assert_eq!((outcome.names, outcome.unjoined), (3, 1));
    let connection = &collected.connections[0];
    let names: Vec<(&str, NameSource)> = connection
        .names
        .iter()
        .map(|n| (n.name.as_str(), n.source))
        .collect();
    assert_eq!(
        names,
        [
            ("a.example", NameSource::Sni),
            ("a.example", NameSource::HttpHost)
        ]
    );
    assert_eq!(
        connection.key.orig_addr,
        "2001:db8::1".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(
        connection.tcp_state,
        Some(ringfence_model::TcpState::Closed)
    );
    assert_eq!(
        connection.community_id,
        ringfence_sources::capture::community_id(&connection.key),
        "computed when the event has none"
    );
    assert_eq!(
        (connection.last_seen.nanos() - connection.first_seen.nanos()),
        3_500_000_000
    );
}

#[test]
fn rotated_files_read_as_a_set_join_across_files_in_time_order() {
    let text = decompressed_fixture();
    // Cut after the first tls event whose flow event comes later: the join must cross the files.
    let pattern = br#""event_type":"tls","#;
    let tls = text
        .windows(pattern.len())
        .position(|w| w == pattern)
        .unwrap();
    let cut = tls + text[tls..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let (older, newer) = (text[..cut].to_vec(), text[cut..].to_vec());
    let mut collected = Collected::default();
    // logrotate's order: the current file first, the older one after it.
    let outcomes = eve::read_set(
        vec![stream("eve.json", newer), stream("eve.json.1", older)],
        5,
        &mut collected,
    );
    let (whole, _) = read_fixture();
    let strip = |connections: &[Connection]| -> Vec<(String, Vec<ringfence_model::LearnedName>)> {
        connections
            .iter()
            .map(|c| (c.community_id.clone(), c.names.clone()))
            .collect()
    };
    assert_eq!(strip(&collected.connections), strip(&whole.connections));
    assert_eq!(collected.resolutions.len(), whole.resolutions.len());
    assert_eq!(outcomes[0].evidence.path, "eve.json");
    assert_eq!(outcomes[1].evidence.path, "eve.json.1");
    assert!(
        outcomes
            .iter()
            .all(|o| o.unjoined == 0 && o.problems.count == 0)
    );
    assert!(
        collected
            .connections
            .iter()
            .all(|c| c.evidence.evidence == 5)
    );
    assert!(outcomes[1].names > 0 && outcomes[1].connections == 0);
}
