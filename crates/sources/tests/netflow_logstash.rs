//! Every case of logstash-codec-netflow's spec (`../shared/data/netflow/logstash-codec-netflow`):
//! its payload files fed in the spec's order, and every expected record found among ringfence's
//! decodes with the same addresses, ports, protocol, counters, times and sampling.
//!
//! Where ringfence knowingly differs from logstash, the case and field are listed with the reason
//! in `netflow-exceptions.toml`; an exception that no longer differs fails the test, so the list
//! stays true.

use ringfence_model::Timestamp;
use ringfence_sources::netflow::{
    DecodeSink, ExportDecoder, FlowRecord, Timing, UNKNOWN_EXPORTER, datagram_len, plausible_export,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::IpAddr;

const DATA: &str = "../../../shared/data/netflow/logstash-codec-netflow";

#[derive(Deserialize)]
struct Case {
    context: String,
    inputs_in_order: Vec<String>,
    expected_events: Vec<Value>,
}

#[derive(Deserialize)]
struct Exceptions {
    exception: Vec<Exception>,
    rule: Vec<Rule>,
}

/// A difference that applies to every case: logstash's value of `field` is `min_ms` to `max_ms`
/// later than ringfence's.
#[derive(Deserialize)]
struct Rule {
    field: String,
    min_ms: i64,
    max_ms: i64,
    reason: String,
}

#[derive(Deserialize)]
struct Exception {
    case: String,
    field: String,
    reason: String,
}

#[derive(Default)]
struct Collect {
    flows: Vec<FlowRecord>,
    problems: Vec<(usize, String)>,
}

impl DecodeSink for Collect {
    fn flow(&mut self, record: &FlowRecord) {
        self.flows.push(record.clone());
    }
    fn problem(&mut self, offset: usize, reason: String) {
        self.problems.push((offset, reason));
    }
}

fn data_dir() -> String {
    let dir = format!("{}/{DATA}", env!("CARGO_MANIFEST_DIR"));
    assert!(
        std::path::Path::new(&dir)
            .join("expected-decodes.json")
            .exists(),
        "the shared NetFlow test data is missing: expected {dir}/expected-decodes.json \
         (see /work/shared/data/README.md)"
    );
    dir
}

/// The spec's payload files were captured with `nc -u -l > file`: one or more datagrams one
/// after another. Split them the way the bare-stream reader does.
fn datagrams(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if !plausible_export(rest, false) {
            // Not a datagram the splitter recognises: the decoder gets it whole, as logstash does.
            out.push(rest);
            break;
        }
        let len = datagram_len(rest).max(1);
        let (one, tail) = rest.split_at(len.min(rest.len()));
        out.push(one);
        rest = tail;
    }
    out
}

struct Decoded {
    decoder: ExportDecoder,
    collect: Collect,
    /// (version, domain) of every datagram fed.
    domains: BTreeSet<(u16, u32)>,
}

fn decode_case(dir: &str, case: &Case) -> Decoded {
    let mut decoded = Decoded {
        decoder: ExportDecoder::default(),
        collect: Collect::default(),
        domains: BTreeSet::new(),
    };
    for input in &case.inputs_in_order {
        let path = format!("{dir}/spec/codecs/{input}");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        for datagram in datagrams(&bytes) {
            let version = u16::from_be_bytes([datagram[0], datagram[1]]);
            let domain_at = if version == 9 { 16 } else { 12 };
            if version != 5 {
                let d = u32::from_be_bytes(datagram[domain_at..domain_at + 4].try_into().unwrap());
                decoded.domains.insert((version, d));
            }
            decoded
                .decoder
                .decode(UNKNOWN_EXPORTER, datagram, &mut decoded.collect);
        }
    }
    decoded
}

fn parse_time(text: &str) -> i64 {
    let clean = text.replace("#{micros}", "").replace("#{nanos}", "");
    let t = time::OffsetDateTime::parse(&clean, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Milliseconds of an expected time field: an ISO string, or a number of `unit_ms` each.
fn time_ms(value: &Value, unit_ms: i64) -> i64 {
    match value {
        Value::String(text) => parse_time(text),
        Value::Number(n) => n.as_i64().unwrap() * unit_ms,
        other => panic!("not a time: {other}"),
    }
}

fn ms(t: Timestamp) -> i64 {
    t.0.div_euclid(1_000_000)
}

fn first<'a>(n: &'a serde_json::Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|name| n.get(*name))
}

fn addr(value: &Value) -> IpAddr {
    value.as_str().unwrap().parse().unwrap()
}

/// The fields of one expected flow record, compared with one decoded record: (field, expected,
/// got) for each that differs.
fn differences(
    n: &serde_json::Map<String, Value>,
    timestamp: i64,
    record: &FlowRecord,
    system_init: Option<i64>,
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut check = |field: &str, expected: String, got: String| {
        if expected != got {
            out.push((field.to_owned(), expected, got));
        }
    };
    if let Some(v) = first(n, &["in_pkts", "packetDeltaCount", "packetTotalCount"]) {
        check("packets", v.to_string(), record.packets.to_string());
    }
    if let Some(v) = first(
        n,
        &[
            "in_bytes",
            "octetDeltaCount",
            "octetTotalCount",
            "fwd_flow_delta_bytes",
        ],
    ) {
        check("bytes", v.to_string(), record.octets.to_string());
    }
    if let Some(v) = first(n, &["rev_flow_delta_bytes", "reverseOctetTotalCount"]) {
        check(
            "reverse_bytes",
            v.to_string(),
            record.reverse_octets.to_string(),
        );
    }
    if let Some(v) = n.get("reversePacketTotalCount") {
        check(
            "reverse_packets",
            v.to_string(),
            record.reverse_packets.to_string(),
        );
    }
    if let Some(v) = n.get("sampling_interval") {
        let interval = v.as_u64().unwrap().max(1);
        check(
            "sampling",
            interval.to_string(),
            record.sampling.to_string(),
        );
    }
    check(
        "export_time",
        (timestamp / 1000).to_string(),
        (ms(record.export_time) / 1000).to_string(),
    );
    // Start and end, from whichever kind of time field the exporter used.
    let absolute_start = [
        ("first_switched", 1),
        ("flowStartMilliseconds", 1),
        ("flowStartMicroseconds", 1),
        ("flowStartSeconds", 1000),
        ("flow_start_msec", 1),
    ];
    let absolute_end = [
        ("last_switched", 1),
        ("flowEndMilliseconds", 1),
        ("flowEndMicroseconds", 1),
        ("flowEndSeconds", 1000),
        ("event_time_msec", 1),
    ];
    for (names, got, field) in [
        (&absolute_start, record.start, "start"),
        (&absolute_end, record.end, "end"),
    ] {
        if let Some((name, unit)) = names.iter().find(|(name, _)| n.contains_key(*name)) {
            let expected = time_ms(&n[*name], *unit);
            check(
                &format!("{field} ({name})"),
                expected.to_string(),
                ms(got).to_string(),
            );
        }
    }
    // IPFIX uptime-relative times: absolute only with the exporter's system init time.
    for (name, got, field) in [
        ("flowStartSysUpTime", record.start, "start"),
        ("flowEndSysUpTime", record.end, "end"),
    ] {
        let Some(relative) = n.get(name).and_then(Value::as_i64) else {
            continue;
        };
        let mut expected = match system_init {
            Some(init) => init + relative,
            None => {
                check(
                    &format!("{field} ({name}) timed by export"),
                    "ExportTime".to_owned(),
                    format!("{:?}", record.timing),
                );
                ms(record.export_time)
            }
        };
        if system_init.is_none() && field == "end" {
            expected = ms(record.export_time);
        }
        check(
            &format!("{field} ({name})"),
            expected.to_string(),
            ms(got).to_string(),
        );
    }
    out
}

fn endpoint_matches(n: &serde_json::Map<String, Value>, record: &FlowRecord) -> bool {
    let src = first(
        n,
        &[
            "ipv4_src_addr",
            "sourceIPv4Address",
            "ipv6_src_addr",
            "sourceIPv6Address",
        ],
    );
    let dst = first(
        n,
        &[
            "ipv4_dst_addr",
            "destinationIPv4Address",
            "ipv6_dst_addr",
            "destinationIPv6Address",
        ],
    );
    let sport = first(n, &["l4_src_port", "sourceTransportPort"]);
    let dport = first(n, &["l4_dst_port", "destinationTransportPort"]);
    let proto = first(n, &["protocol", "protocolIdentifier"]);
    src.is_none_or(|v| record.src == Some(addr(v)))
        && dst.is_none_or(|v| record.dst == Some(addr(v)))
        && sport.is_none_or(|v| v.as_u64() == Some(u64::from(record.src_port)))
        && dport.is_none_or(|v| v.as_u64() == Some(u64::from(record.dst_port)))
        && proto.is_none_or(|v| v.as_u64() == record.protocol.map(u64::from))
}

/// Options events: what ringfence uses from them is the sampling rate and the system init time.
fn options_differences(
    n: &serde_json::Map<String, Value>,
    decoded: &Decoded,
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let states: Vec<_> = decoded
        .domains
        .iter()
        .filter_map(|(_, d)| decoded.decoder.domain(UNKNOWN_EXPORTER, *d))
        .collect();
    if let Some(init) = n.get("systemInitTimeMilliseconds").and_then(Value::as_i64) {
        let known: Vec<i64> = states
            .iter()
            .filter_map(|s| s.system_init.map(ms))
            .collect();
        if !known.contains(&init) {
            out.push(("system_init".into(), init.to_string(), format!("{known:?}")));
        }
    }
    let rate = if let Some(v) = first(n, &["sampling_interval", "samplingInterval"]) {
        Some(v.as_u64().unwrap().max(1))
    } else if let Some(interval) = n.get("samplingPacketInterval").and_then(Value::as_u64) {
        let space = n
            .get("samplingPacketSpace")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        Some((interval + space) / interval.max(1))
    } else {
        None
    };
    if let Some(rate) = rate {
        let known: Vec<u32> = states
            .iter()
            .flat_map(|s| {
                s.default_sampling
                    .into_iter()
                    .chain(s.samplers.iter().map(|(_, r)| *r))
            })
            .collect();
        if !known.contains(&(rate as u32)) {
            out.push(("sampling".into(), rate.to_string(), format!("{known:?}")));
        }
    }
    if decoded.decoder.stats().options_records == 0 {
        out.push(("options_records".into(), ">0".into(), "0".into()));
    }
    out
}

fn is_flow_event(n: &serde_json::Map<String, Value>) -> bool {
    [
        "ipv4_src_addr",
        "sourceIPv4Address",
        "sourceIPv6Address",
        "in_pkts",
        "packetDeltaCount",
        "packetTotalCount",
    ]
    .iter()
    .any(|k| n.contains_key(*k))
        && !n.contains_key("systemInitTimeMilliseconds")
}

#[test]
fn every_logstash_case_decodes_to_the_expected_values() {
    let dir = data_dir();
    let cases: Vec<Case> = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/expected-decodes.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(cases.len(), 51, "expected-decodes.json changed");
    let exceptions: Exceptions = toml::from_str(
        &std::fs::read_to_string(format!(
            "{}/tests/netflow-exceptions.toml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let mut failures = Vec::new();
    let mut used = BTreeSet::new();
    let mut used_rules = BTreeSet::new();
    let mut flow_events = 0;
    for case in &cases {
        let decoded = decode_case(&dir, case);
        let mut found: Vec<(String, String, String)> = Vec::new();
        // The spec's cases without events only ask that decoding does not fail. Its invalid v5
        // packets claim more records than a v5 packet can hold: nothing is decoded from them and
        // the lie is reported. (Its "invalid" v9 packet is well-formed to ringfence: an options
        // template flowset of 22 bytes, without the padding logstash insists on.)
        if case.context.starts_with("Netflow 5 invalid")
            && (decoded.collect.problems.is_empty() || !decoded.collect.flows.is_empty())
        {
            found.push((
                "rejected".into(),
                "a problem and no records".into(),
                format!("{:?}", decoded.collect.problems),
            ));
        }
        for event in &case.expected_events {
            let Some(n) = event.get("netflow").and_then(Value::as_object) else {
                // The template-cache case: the spec checks the templates were kept, i.e. the
                // second data packet decodes.
                if decoded.collect.flows.is_empty() {
                    found.push(("cached_templates".into(), ">0 records".into(), "0".into()));
                }
                continue;
            };
            let timestamp = parse_time(event["@timestamp"].as_str().unwrap());
            if !is_flow_event(n) {
                found.extend(options_differences(n, &decoded));
                continue;
            }
            flow_events += 1;
            let system_init = decoded
                .domains
                .iter()
                .find_map(|(_, d)| decoded.decoder.domain(UNKNOWN_EXPORTER, *d)?.system_init)
                .map(ms);
            let best = decoded
                .collect
                .flows
                .iter()
                .filter(|r| endpoint_matches(n, r))
                .map(|r| differences(n, timestamp, r, system_init))
                .min_by_key(Vec::len);
            match best {
                Some(diffs) => found.extend(diffs),
                None => found.push((
                    "record".into(),
                    format!("{n:?}"),
                    format!(
                        "{} records, none with these endpoints",
                        decoded.collect.flows.len()
                    ),
                )),
            }
        }
        for (field, expected, got) in found {
            let late = match (expected.parse::<i64>(), got.parse::<i64>()) {
                (Ok(e), Ok(g)) => Some(e - g),
                _ => None,
            };
            let ruled = exceptions.rule.iter().position(|rule| {
                field.contains(&rule.field)
                    && late.is_some_and(|late| (rule.min_ms..=rule.max_ms).contains(&late))
            });
            if let Some(i) = ruled {
                used_rules.insert(i);
                continue;
            }
            let excepted = exceptions
                .exception
                .iter()
                .position(|e| e.case == case.context && field.starts_with(&e.field));
            match excepted {
                Some(i) => {
                    used.insert(i);
                }
                None => failures.push(format!(
                    "{}: {field}: expected {expected}, got {got}",
                    case.context
                )),
            }
        }
    }
    for (i, exception) in exceptions.exception.iter().enumerate() {
        assert!(!exception.reason.trim().is_empty());
        if !used.contains(&i) {
            failures.push(format!(
                "exception no longer applies (remove it): {} / {}",
                exception.case, exception.field
            ));
        }
    }
    for (i, rule) in exceptions.rule.iter().enumerate() {
        assert!(!rule.reason.trim().is_empty());
        if !used_rules.contains(&i) {
            failures.push(format!(
                "rule no longer applies (remove it): {}",
                rule.field
            ));
        }
    }
    assert!(flow_events > 50, "only {flow_events} flow events compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn absolute_times_and_sampling_in_connections_units() {
    // The v5 Juniper MX80 export is sampled 1 in 1000 (header); its records say so.
    let dir = data_dir();
    let bytes = std::fs::read(format!("{dir}/spec/codecs/netflow5_test_juniper_mx80.dat")).unwrap();
    let mut decoder = ExportDecoder::default();
    let mut collect = Collect::default();
    for datagram in datagrams(&bytes) {
        decoder.decode(UNKNOWN_EXPORTER, datagram, &mut collect);
    }
    assert_eq!(collect.flows.len(), 29);
    assert!(collect.flows.iter().all(|f| f.sampling == 1000));
    assert!(collect.flows.iter().all(|f| f.timing == Timing::Record));
    assert!(collect.problems.is_empty(), "{:?}", collect.problems);
}
