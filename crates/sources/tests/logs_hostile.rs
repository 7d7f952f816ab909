//! Hostile and broken log input: truncation at every offset of real logs, random bytes, invalid
//! UTF-8, wrong field counts, absurd numbers, a 10 MB line, unknown fields, a full table of
//! waiting names, a failing reader. Nothing panics; every broken record is a problem at the byte
//! offset of its line, and the rest of the input is still read.

mod common;

use common::Collected;
use common::logs::{stream, tsv_to_json, unmasked};
use common::shared_data;
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::logs::{LogOptions, ReadOutcome, eve, zeek};
use std::io::Read;

const CONN_LOG: &str = "captures/zeek/testing/btest/Baseline/opt.basic/conn.log";

fn conn_log() -> Vec<u8> {
    unmasked(&shared_data(CONN_LOG))
}

fn eve_head(lines: usize) -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/suricata/eve.json.gz"
    );
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut text)
        .unwrap();
    let end = text
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(lines - 1)
        .map_or(text.len(), |(i, _)| i + 1);
    text.truncate(end);
    text
}

fn read_zeek(label: &str, bytes: Vec<u8>) -> (Collected, ReadOutcome) {
    let mut collected = Collected::default();
    let outcome = zeek::read(stream(label, bytes), 0, &mut collected);
    (collected, outcome)
}

fn read_eve(bytes: Vec<u8>) -> (Collected, ReadOutcome) {
    let mut collected = Collected::default();
    let outcome = eve::read(stream("eve.json", bytes), 0, &mut collected);
    (collected, outcome)
}

/// The offset where the line holding byte `at` starts.
fn line_start(bytes: &[u8], at: usize) -> u64 {
    bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1) as u64
}

#[test]
fn truncated_logs_lose_at_most_their_last_line() {
    let whole = conn_log();
    let (full, _) = read_zeek("conn.log", whole.clone());
    // Where each connection's line ends.
    let ends: Vec<usize> = full
        .connections
        .iter()
        .map(|c| {
            let start = c.evidence.offset as usize;
            start + whole[start..].iter().position(|&b| b == b'\n').unwrap() + 1
        })
        .collect();
    for cut in 0..whole.len() {
        let bytes = whole[..cut].to_vec();
        let (collected, outcome) = read_zeek("conn.log", bytes.clone());
        let complete = ends.iter().filter(|&&end| end <= cut).count();
        let n = collected.connections.len();
        assert!(
            n == complete || n == complete + 1,
            "cut at {cut}: {n} connections from {complete} complete records"
        );
        assert!(
            outcome.problems.count <= 1,
            "cut at {cut}: {:?}",
            outcome.problems
        );
        for problem in &outcome.problems.kept {
            assert_eq!(problem.offset, line_start(&bytes, cut), "cut at {cut}");
        }
    }
    let whole = eve_head(30);
    for cut in (0..whole.len()).step_by(5) {
        let bytes = whole[..cut].to_vec();
        let (_, outcome) = read_eve(bytes.clone());
        assert!(outcome.problems.count <= 1, "cut at {cut}");
        for problem in &outcome.problems.kept {
            assert_eq!(problem.offset, line_start(&bytes, cut), "cut at {cut}");
            assert!(problem.reason.contains("invalid EVE event"), "{problem}");
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    // A fixed xorshift generator: the same inputs on every run.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"\t\n{}[]\":,#-0123456789.abcXYZ\\x\xff ";
    for round in 0..300 {
        let len = (next() % 4096) as usize;
        let structured = round % 2 == 0;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if structured {
                    alphabet[(r % alphabet.len() as u64) as usize]
                } else {
                    r as u8
                }
            })
            .collect();
        let mut prefixed = b"#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n".to_vec();
        prefixed.extend_from_slice(&bytes);
        for input in [bytes.clone(), prefixed] {
            let (_, outcome) = read_zeek("conn.log", input.clone());
            assert!(
                outcome
                    .problems
                    .kept
                    .iter()
                    .all(|p| p.offset < input.len() as u64)
            );
            let (_, outcome) = read_eve(input.clone());
            assert!(
                outcome
                    .problems
                    .kept
                    .iter()
                    .all(|p| p.offset < input.len() as u64)
            );
        }
    }
}

#[test]
fn broken_records_are_problems_at_their_line_and_the_rest_is_read() {
    let header = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
                  #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\tconn_state\n";
    let good = "1.0\tC1\t10.0.0.1\t1000\t10.0.0.2\t80\ttcp\t1.5\t3\t180\t2\t120\tSF\n";
    let bad: [(&[u8], &str); 7] = [
        (b"1.0\tC2\t10.0.0.1\t1000\n", "4 fields where the #fields header has 13"),
        (
            b"1.0\tC3\t10.0.0.1\t1000\t10.0.0.2\t80\ttcp\t1.5\t99999999999999999999999\t1\t1\t1\tSF\n",
            "orig_pkts is not a count",
        ),
        (
            b"1.0\tC4\t10.0.0.1\t70000\t10.0.0.2\t80\ttcp\t1.5\t3\t180\t2\t120\tSF\n",
            "id.orig_p is not a port",
        ),
        (
            b"1e300\tC5\t10.0.0.1\t1000\t10.0.0.2\t80\ttcp\t1.5\t3\t180\t2\t120\tSF\n",
            "ts is not a time",
        ),
        (
            b"99999999999.0\tC6\t10.0.0.1\t1000\t10.0.0.2\t80\ttcp\t1.5\t3\t180\t2\t120\tSF\n",
            "ts is not a time",
        ),
        (
            b"1.0\tC7\t10.0.0.\xff\t1000\t10.0.0.2\t80\ttcp\t1.5\t3\t180\t2\t120\tSF\n",
            "id.orig_h is not an address: 10.0.0.\\xff",
        ),
        (
            b"1.0\tC8\t10.0.0.1\t1000\t10.0.0.2\t80\ttcp\t-1e9999\t3\t180\t2\t120\tSF\n",
            "duration is not a time",
        ),
    ];
    let mut log = header.as_bytes().to_vec();
    let mut offsets = Vec::new();
    for (line, _) in &bad {
        log.extend_from_slice(good.as_bytes());
        offsets.push(log.len() as u64);
        log.extend_from_slice(line);
    }
    log.extend_from_slice(good.as_bytes());
    let (collected, outcome) = read_zeek("conn.log", log);
    assert_eq!(collected.connections.len(), bad.len() + 1);
    assert_eq!(outcome.problems.count, bad.len() as u64);
    for ((problem, offset), (_, reason)) in outcome.problems.kept.iter().zip(&offsets).zip(&bad) {
        assert_eq!(problem.offset, *offset);
        assert!(problem.reason.contains(reason), "{problem} / {reason}");
        assert_eq!(problem.path, "conn.log");
    }
    let connection = &collected.connections[0];
    assert_eq!(
        (
            connection.orig_packets,
            connection.orig_bytes,
            connection.resp_packets,
            connection.resp_bytes
        ),
        (3, 180, 2, 120)
    );
}

#[test]
fn invalid_utf8_in_a_name_is_a_problem_and_the_other_names_are_kept() {
    let log = b"#separator \\x09\n#path\tssl\n#fields\tts\tuid\tserver_name\n\
                1.0\tC1\tgood.example\n1.0\tC2\tbad\xff.example\n1.0\tC3\tal\\x2cso\\x01.example\n\
                #path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n\
                2.0\tC1\t10.0.0.1\t1\t10.0.0.2\t443\ttcp\n2.0\tC2\t10.0.0.1\t2\t10.0.0.2\t443\ttcp\n\
                2.0\tC3\t10.0.0.1\t3\t10.0.0.2\t443\ttcp\n"
        .to_vec();
    let bad_line = log.windows(6).position(|w| w == b"1.0\tC2").unwrap() as u64;
    let (collected, outcome) = read_zeek("mixed.log", log.clone());
    assert_eq!(outcome.problems.count, 1);
    let problem = &outcome.problems.kept[0];
    assert_eq!(problem.offset, bad_line);
    assert!(
        problem.reason.contains("server_name: not UTF-8"),
        "{problem}"
    );
    let names: Vec<Vec<String>> = collected
        .connections
        .iter()
        .map(|c| c.names.iter().map(|n| n.name.clone()).collect())
        .collect();
    // Printable escapes are undone, others kept as Zeek wrote them (as the capture engine does).
    assert_eq!(
        names,
        [
            vec!["good.example".to_string()],
            vec![],
            vec!["al,so\\x01.example".to_string()]
        ]
    );
}

#[test]
fn absurd_numbers_and_wrong_types_in_json_are_problems() {
    let lines = [
        r#"{"timestamp":"2024-01-01T00:00:00Z","flow_id":1,"event_type":"flow","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":2,"proto":"UDP","flow":{"bytes_toserver":1e30,"start":"2024-01-01T00:00:00Z"}}"#,
        r#"{"timestamp":"2024-01-01T00:00:00Z","flow_id":-1,"event_type":"tls","tls":{"sni":"x"}}"#,
        r#"{"timestamp":"2024-01-01T00:00:00Z","flow_id":1,"event_type":"flow","src_ip":"10.0.0.1","src_port":99999,"dest_ip":"10.0.0.2","dest_port":2,"proto":"UDP","flow":{"start":"2024-01-01T00:00:00Z"}}"#,
        r#"{"timestamp":"2024-01-01T00:00:00Z","flow_id":1,"event_type":"flow","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":2,"proto":"UDP","flow":{"start":"9999-99-99T00:00:00Z"}}"#,
        r#"{"timestamp":"2024-01-01T00:00:00Z","flow_id":1,"event_type":"dns","dns":{"version":2,"type":"answer","rrname":"x","answers":[{"rrname":"x","rrtype":"A","ttl":-5,"rdata":"1.2.3.4"}]}}"#,
        r#"{"timestamp":"2024-01-01T00:00:00Z","flow_id":1,"event_type":"flow","src_ip":"not an address","src_port":1,"dest_ip":"10.0.0.2","dest_port":2,"proto":"UDP","flow":{"start":"2024-01-01T00:00:00Z"}}"#,
        r#"{"timestamp":"2024-01-01T00:00:00Z","flow_id":2,"event_type":"flow","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":2,"proto":"UDP","flow":{"start":"2024-01-01T00:00:00Z","pkts_toserver":18446744073709551615},"unknown":{"deep":[[[{"x":1}]]]}}"#,
    ];
    let text = lines.join("\n") + "\n";
    let (collected, outcome) = read_eve(text.into_bytes());
    assert_eq!(outcome.problems.count, 6, "{:?}", outcome.problems);
    assert_eq!(collected.connections.len(), 1);
    assert_eq!(collected.connections[0].orig_packets, u64::MAX);
    let zeek_json = concat!(
        r#"{"ts":1e300,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"udp","conn_state":"S0"}"#,
        "\n",
        r#"{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"udp","conn_state":"S0","orig_ip_bytes":18446744073709551616}"#,
        "\n",
        r#"{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"udp","conn_state":"S0","new_field":{"a":[1,2,{"b":null}]}}"#,
        "\n",
    );
    let (collected, outcome) = read_zeek("conn.json", zeek_json.as_bytes().to_vec());
    assert_eq!(outcome.problems.count, 2, "{:?}", outcome.problems);
    assert_eq!(collected.connections.len(), 1);
}

#[test]
fn a_10_mb_line_is_skipped_without_losing_the_lines_around_it() {
    let mut log = conn_log();
    let insert_at = log.len() / 2;
    let insert_at = insert_at + log[insert_at..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut long = vec![b'x'; 10 << 20];
    long.push(b'\n');
    log.splice(insert_at..insert_at, long);
    let (collected, outcome) = read_zeek("conn.log", log);
    let (whole, _) = read_zeek("conn.log", conn_log());
    assert_eq!(collected.connections.len(), whole.connections.len());
    assert_eq!(outcome.problems.count, 1);
    let problem = &outcome.problems.kept[0];
    assert_eq!(problem.offset, insert_at as u64);
    assert!(
        problem.reason.contains("10485760 bytes, longer than"),
        "{problem}"
    );
    let mut eve = eve_head(10);
    let mut long = b"{\"event_type\":\"flow\",\"x\":\"".to_vec();
    long.resize(10 << 20, b'y');
    eve.extend_from_slice(&long);
    eve.extend_from_slice(b"\n");
    eve.extend_from_slice(&eve_head(20)[eve_head(10).len()..]);
    let (_, outcome) = read_eve(eve);
    assert_eq!(outcome.problems.count, 1);
    assert_eq!(outcome.records, 20);
}

#[test]
fn unknown_fields_and_column_orders_are_read() {
    let tsv = unmasked(&shared_data(CONN_LOG));
    let text = String::from_utf8(tsv).unwrap();
    // Reverse every line's columns (headers included) and add an unknown column.
    let reversed: String = text
        .lines()
        .map(|line| {
            if let Some(rest) = line.strip_prefix("#fields\t") {
                let mut f: Vec<&str> = rest.split('\t').collect();
                f.reverse();
                format!("#fields\tnew_thing\t{}\n", f.join("\t"))
            } else if let Some(rest) = line.strip_prefix("#types\t") {
                let mut f: Vec<&str> = rest.split('\t').collect();
                f.reverse();
                format!("#types\tstring\t{}\n", f.join("\t"))
            } else if line.starts_with('#') {
                format!("{line}\n")
            } else {
                let mut f: Vec<&str> = line.split('\t').collect();
                f.reverse();
                format!("surprise\t{}\n", f.join("\t"))
            }
        })
        .collect();
    let (ours, outcome) = read_zeek("conn.log", reversed.into_bytes());
    let (expected, _) = read_zeek("conn.log", conn_log());
    assert_eq!(outcome.problems.count, 0);
    let strip = |c: &Collected| -> Vec<_> {
        c.connections
            .iter()
            .map(|c| {
                (
                    c.key,
                    c.orig_bytes,
                    c.resp_bytes,
                    c.tcp_state,
                    c.community_id.clone(),
                )
            })
            .collect()
    };
    assert_eq!(strip(&ours), strip(&expected));
}

#[test]
fn a_full_table_of_waiting_names_drops_the_oldest_and_says_so() {
    let mut ssl = b"#separator \\x09\n#path\tssl\n#fields\tuid\tserver_name\n".to_vec();
    let mut conn =
        b"#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n"
            .to_vec();
    for i in 0..5 {
        ssl.extend_from_slice(format!("C{i}\thost{i}.example\n").as_bytes());
        conn.extend_from_slice(
            format!("1.0\tC{i}\t10.0.0.1\t{}\t10.0.0.2\t443\ttcp\n", 1000 + i).as_bytes(),
        );
    }
    let options = LogOptions {
        max_pending: 2,
        ..LogOptions::default()
    };
    let mut collected = Collected::default();
    let outcomes = zeek::read_set_with(
        vec![stream("conn.log", conn), stream("ssl.log", ssl)],
        0,
        &mut collected,
        options,
    );
    assert_eq!(outcomes[1].dropped, 3);
    assert_eq!(outcomes[1].problems.count, 1, "noted once");
    assert!(
        outcomes[1].problems.kept[0]
            .reason
            .contains("oldest are dropped")
    );
    let named: Vec<usize> = collected
        .connections
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.names.is_empty())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(named, [3, 4], "the newest names were kept");
}

/// A reader that fails after some bytes.
struct Failing {
    data: std::io::Cursor<Vec<u8>>,
    fail_at: u64,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.data.position() >= self.fail_at {
            return Err(std::io::Error::other("disk on fire"));
        }
        let room = (self.fail_at - self.data.position()) as usize;
        let len = buf.len().min(room);
        self.data.read(&mut buf[..len])
    }
}

#[test]
fn a_read_error_is_a_problem_and_what_came_before_is_kept() {
    let log = conn_log();
    let fail_at = log.len() as u64 / 2;
    let reader = Failing {
        data: std::io::Cursor::new(log),
        fail_at,
    };
    let stream = EvidenceStream::from_reader("conn.log", Box::new(reader)).unwrap();
    let mut collected = Collected::default();
    let outcome = zeek::read(stream, 0, &mut collected);
    assert!(!collected.connections.is_empty());
    assert!(
        outcome
            .problems
            .kept
            .iter()
            .any(|p| p.reason.contains("disk on fire"))
    );
}

#[test]
fn zeek_json_of_real_logs_truncated_anywhere_never_panics() {
    let json = tsv_to_json(&conn_log(), true);
    for cut in (0..json.len()).step_by(7) {
        let bytes = json[..cut].to_vec();
        let (_, outcome) = read_zeek("conn.log", bytes.clone());
        assert!(outcome.problems.count <= 1);
        for problem in &outcome.problems.kept {
            assert_eq!(problem.offset, line_start(&bytes, cut));
        }
    }
}
