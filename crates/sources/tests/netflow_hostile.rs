//! Hostile exports: every truncation of the real payloads, random bytes, templates with zero and
//! huge field lengths, template floods, and record counts and lengths that lie. Nothing may
//! panic, memory stays bounded, and every problem names a byte inside the input.

use proptest::prelude::*;
use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::ObservationSink;
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::netflow::{
    DecodeSink, DecoderOptions, ExportCaptureWriter, ExportDecoder, FlowRecord, UNKNOWN_EXPORTER,
    read,
};
use std::net::IpAddr;

const CODECS: &str = "../../../shared/data/netflow/logstash-codec-netflow/spec/codecs";

fn all_payloads() -> Vec<(String, Vec<u8>)> {
    let dir = format!("{}/{CODECS}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the shared NetFlow test data is missing ({dir}: {e})"))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 80, "expected the ~90 payload files in {dir}");
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

#[derive(Default)]
struct Collect {
    flows: usize,
    problems: Vec<(usize, String)>,
}

impl DecodeSink for Collect {
    fn flow(&mut self, _: &FlowRecord) {
        self.flows += 1;
    }
    fn problem(&mut self, offset: usize, reason: String) {
        self.problems.push((offset, reason));
    }
}

struct Discard;

impl ObservationSink for Discard {
    fn connection(&mut self, _: Connection) {}
    fn resolution(&mut self, _: Resolution) {}
    fn installation(&mut self, _: Installation) {}
}

fn exporter() -> IpAddr {
    "192.0.2.1".parse().unwrap()
}

/// The spec's cases: payload files in the order an exporter sent them (templates first).
fn cases() -> Vec<Vec<Vec<u8>>> {
    let dir = format!("{}/{CODECS}", env!("CARGO_MANIFEST_DIR"));
    let json = std::fs::read_to_string(format!("{dir}/../../expected-decodes.json"))
        .unwrap_or_else(|e| panic!("the shared NetFlow test data is missing: {e}"));
    let cases: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    cases
        .iter()
        .map(|case| {
            case["inputs_in_order"]
                .as_array()
                .unwrap()
                .iter()
                .map(|name| std::fs::read(format!("{dir}/{}", name.as_str().unwrap())).unwrap())
                .collect()
        })
        .collect()
}

/// Each case's last payload cut at every offset, after the payloads before it: the decoder
/// decodes what is whole, reports where the cut is, and never panics.
#[test]
fn every_truncation_of_every_real_payload() {
    for inputs in cases() {
        let Some((last, before)) = inputs.split_last() else {
            continue;
        };
        let mut primed = ExportDecoder::default();
        for input in before {
            primed.decode(exporter(), input, &mut Collect::default());
        }
        let mut whole = Collect::default();
        let mut whole_decoder = primed.clone();
        whole_decoder.decode(exporter(), last, &mut whole);
        // v9 has no length field: a cut at a flowset boundary shows only against the header's
        // record count, and a header that undercounts hides it.
        let (after, before) = (whole_decoder.stats(), primed.stats());
        let records = (after.flow_records + after.options_records + after.templates)
            - (before.flow_records + before.options_records + before.templates);
        let claimed = u64::from(u16::from_be_bytes([last[2], last[3]]));
        // Nor can sets without their template be counted.
        let uncountable = after.sets_without_template > before.sets_without_template;
        let undercounted = last[..2] == [0, 9] && (records > claimed || uncountable);
        for cut in 0..last.len() {
            let mut decoder = primed.clone();
            let mut collect = Collect::default();
            decoder.decode(exporter(), &last[..cut], &mut collect);
            assert!(collect.flows <= whole.flows, "cut at {cut}");
            for (offset, reason) in &collect.problems {
                assert!(*offset <= cut, "cut at {cut}: {reason} at {offset}");
            }
            if collect.flows < whole.flows && !undercounted {
                assert!(
                    collect.problems != whole.problems,
                    "cut at {cut} of {} bytes: records lost without a problem",
                    last.len()
                );
            }
        }
    }
}

/// `read` on truncated bare streams and truncated collector captures: problems at offsets inside
/// the input, never a panic.
#[test]
fn truncated_streams_and_captures() {
    let payloads = all_payloads();
    let pick = [
        "ipfix.dat",
        "netflow9_test_cisco_asa_1_tpl.dat",
        "netflow9_test_cisco_asa_1_data.dat",
        "netflow5_test_microtik.dat",
    ];
    let datagrams: Vec<&Vec<u8>> = pick
        .iter()
        .map(|p| &payloads.iter().find(|(n, _)| n == p).unwrap().1)
        .collect();
    let bare: Vec<u8> = datagrams.iter().flat_map(|d| d.iter().copied()).collect();
    let mut writer =
        ExportCaptureWriter::new(Vec::new(), "127.0.0.1:2055".parse().unwrap()).unwrap();
    for d in &datagrams {
        writer
            .write("192.0.2.9:999".parse().unwrap(), 1, d)
            .unwrap();
    }
    let capture = writer.into_inner();
    for input in [bare, capture] {
        let step = (input.len() / 600).max(1);
        for cut in (0..input.len()).step_by(step) {
            let stream = EvidenceStream::from_reader(
                "cut",
                Box::new(std::io::Cursor::new(input[..cut].to_vec())),
            )
            .unwrap();
            let outcome = read(stream, 0, &mut Discard);
            assert_eq!(outcome.evidence.bytes, cut as u64);
            for problem in &outcome.problems.kept {
                assert!(problem.offset <= cut as u64, "cut {cut}: {problem}");
            }
        }
    }
}

fn v9_header(count: u16, source_id: u32) -> Vec<u8> {
    let mut out = vec![0, 9];
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(&1000u32.to_be_bytes());
    out.extend_from_slice(&1_700_000_000u32.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&source_id.to_be_bytes());
    out
}

fn flowset(id: u16, body: &[u8]) -> Vec<u8> {
    let mut out = id.to_be_bytes().to_vec();
    out.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn template(id: u16, fields: &[(u16, u16)]) -> Vec<u8> {
    let mut out = id.to_be_bytes().to_vec();
    out.extend_from_slice(&(fields.len() as u16).to_be_bytes());
    for (ty, len) in fields {
        out.extend_from_slice(&ty.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
    }
    out
}

fn decode(decoder: &mut ExportDecoder, datagram: &[u8]) -> Collect {
    let mut collect = Collect::default();
    decoder.decode(exporter(), datagram, &mut collect);
    collect
}

#[test]
fn templates_with_zero_and_huge_field_lengths_are_refused() {
    let mut decoder = ExportDecoder::default();
    // Only zero-length fields: records of no length would repeat forever.
    let zero = [
        v9_header(1, 0),
        flowset(0, &template(300, &[(8, 0), (12, 0)])),
    ]
    .concat();
    let collect = decode(&mut decoder, &zero);
    assert_eq!(collect.problems.len(), 1, "{:?}", collect.problems);
    assert!(collect.problems[0].1.contains("zero length"));
    let data = [v9_header(1, 0), flowset(300, &[0; 64])].concat();
    let collect = decode(&mut decoder, &data);
    assert_eq!(collect.flows, 0);
    assert!(collect.problems[0].1.contains("no template 300"));
    // Fields adding up to more than any set can hold.
    let huge = [
        v9_header(1, 0),
        flowset(0, &template(301, &[(8, 40_000), (12, 40_000)])),
    ]
    .concat();
    let collect = decode(&mut decoder, &huge);
    assert!(collect.problems[0].1.contains("longer than any set"));
    assert_eq!(decoder.stats().templates_rejected, 2);
    assert_eq!(decoder.templates_cached(), 0);
    // A usable template, then data whose record is longer than its set: nothing decoded.
    let ok = [
        v9_header(1, 0),
        flowset(0, &template(302, &[(8, 4), (12, 4), (1, 1000)])),
    ]
    .concat();
    assert!(decode(&mut decoder, &ok).problems.is_empty());
    let short = [v9_header(1, 0), flowset(302, &[1; 100])].concat();
    assert_eq!(decode(&mut decoder, &short).flows, 0);
}

#[test]
fn ipfix_variable_length_fields_that_overrun_their_set() {
    let mut decoder = ExportDecoder::default();
    let mut message = vec![0, 10, 0, 0];
    message.extend_from_slice(&1_700_000_000u32.to_be_bytes());
    message.extend_from_slice(&[0; 8]);
    // Template 400: sourceIPv4Address, then a variable-length field.
    let mut set = 400u16.to_be_bytes().to_vec();
    set.extend_from_slice(&2u16.to_be_bytes());
    set.extend_from_slice(&[0, 8, 0, 4, 0, 82, 0xff, 0xff]);
    message.extend_from_slice(&[0, 2]);
    message.extend_from_slice(&((set.len() + 4) as u16).to_be_bytes());
    message.extend_from_slice(&set);
    // Data: an address and a length byte of 255 followed by a long length of 60000.
    let data = [1, 2, 3, 4, 255, 0xea, 0x60, 9, 9];
    message.extend_from_slice(&400u16.to_be_bytes());
    message.extend_from_slice(&((data.len() + 4) as u16).to_be_bytes());
    message.extend_from_slice(&data);
    let len = message.len() as u16;
    message[2..4].copy_from_slice(&len.to_be_bytes());
    let collect = decode(&mut decoder, &message);
    assert_eq!(collect.flows, 0);
    let (offset, reason) = &collect.problems[0];
    assert!(reason.contains("runs past"), "{reason}");
    assert!(*offset < message.len());
}

#[test]
fn a_template_flood_is_bounded_and_evictions_counted() {
    let mut decoder = ExportDecoder::new(DecoderOptions {
        max_templates: 100,
        max_domains: 10,
    });
    for source_id in 0..50u32 {
        let mut body = Vec::new();
        for id in 256..356u16 {
            body.extend_from_slice(&template(id, &[(8, 4), (12, 4)]));
        }
        let datagram = [v9_header(100, source_id), flowset(0, &body)].concat();
        decode(&mut decoder, &datagram);
        assert!(decoder.templates_cached() <= 100);
    }
    let stats = decoder.stats();
    assert_eq!(stats.templates, 5000);
    assert_eq!(stats.templates_evicted, 4900);
    // The newest templates are the ones kept.
    let data = [v9_header(1, 49), flowset(355, &[10, 0, 0, 1, 10, 0, 0, 2])].concat();
    assert_eq!(decode(&mut decoder, &data).flows, 1);
}

#[test]
fn counts_and_lengths_that_lie() {
    let mut decoder = ExportDecoder::default();
    // v5 says 30 records, carries 2: both decoded, the shortfall reported where it starts.
    let mut v5 = vec![0, 5, 0, 30];
    v5.extend_from_slice(&[0; 20]);
    v5.extend_from_slice(&[0; 96]);
    let collect = decode(&mut decoder, &v5);
    assert_eq!(collect.flows, 2);
    assert_eq!(collect.problems[0].0, 24 + 96);
    // v5 says 31: impossible, nothing decoded.
    v5[3] = 31;
    let collect = decode(&mut decoder, &v5);
    assert_eq!((collect.flows, collect.problems[0].0), (0, 2));
    // IPFIX length beyond the datagram, and a set beyond the message.
    let mut ipfix = vec![0, 10, 0xff, 0xff];
    ipfix.extend_from_slice(&[0; 12]);
    ipfix.extend_from_slice(&[1, 0, 0x10, 0]);
    let collect = decode(&mut decoder, &ipfix);
    assert_eq!(collect.problems.len(), 2, "{:?}", collect.problems);
    assert_eq!(collect.problems[0].0, 2);
    assert_eq!(collect.problems[1].0, 18);
    // A v9 flowset of length 2 in the middle of non-zero bytes.
    let v9 = [v9_header(1, 0), vec![1, 0, 0, 2, 7, 7, 7, 7]].concat();
    let collect = decode(&mut decoder, &v9);
    assert_eq!(collect.problems[0].0, 22);
    // Trailing zero padding is not a problem.
    let padded = [v9_header(0, 0), vec![0; 40]].concat();
    assert!(decode(&mut decoder, &padded).problems.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_datagrams_never_panic(
        version in prop::sample::select(vec![5u16, 9, 10, 7]),
        body in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut decoder = ExportDecoder::default();
        let mut datagram = version.to_be_bytes().to_vec();
        datagram.extend_from_slice(&body);
        let mut collect = Collect::default();
        decoder.decode(UNKNOWN_EXPORTER, &datagram, &mut collect);
        decoder.decode(UNKNOWN_EXPORTER, &datagram, &mut collect);
        for (offset, _) in &collect.problems {
            prop_assert!(*offset <= datagram.len());
        }
    }

    #[test]
    fn random_streams_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
        let stream = EvidenceStream::from_reader("random", Box::new(std::io::Cursor::new(bytes.clone()))).unwrap();
        let outcome = read(stream, 0, &mut Discard);
        prop_assert_eq!(outcome.evidence.bytes, bytes.len() as u64);
        for problem in &outcome.problems.kept {
            prop_assert!(problem.offset <= bytes.len() as u64);
        }
    }

    /// Real payloads with a few bytes changed: the decoder, primed with every template, must
    /// neither panic nor report outside the datagram.
    #[test]
    fn mutated_real_payloads(seed in any::<u64>(), flips in 1usize..8) {
        let payloads = all_payloads();
        let (_, bytes) = &payloads[(seed % payloads.len() as u64) as usize];
        let mut bytes = bytes.clone();
        let mut s = seed;
        for _ in 0..flips {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let at = (s >> 33) as usize % bytes.len();
            bytes[at] = (s >> 24) as u8;
        }
        let mut decoder = ExportDecoder::default();
        let mut collect = Collect::default();
        decoder.decode(exporter(), &bytes, &mut collect);
        for (offset, _) in &collect.problems {
            prop_assert!(*offset <= bytes.len());
        }
    }
}
