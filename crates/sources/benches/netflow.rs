//! NetFlow/IPFIX decoding on real exports (logstash-codec-netflow's payloads from
//! `../shared/data/netflow`): the decoder alone (records/s and MB/s) and `netflow::read` from a
//! bare stream to connections (pairing, community ID).
//!
//! cargo bench -p ringfence-sources --bench netflow -- --measurement-time 3 --warm-up-time 1

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::ObservationSink;
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::netflow::{DecodeSink, ExportDecoder, FlowRecord, UNKNOWN_EXPORTER, read};
use std::hint::black_box;

const CODECS: &str = "../../../shared/data/netflow/logstash-codec-netflow/spec/codecs";

fn payload(name: &str) -> Vec<u8> {
    let path = format!("{}/{CODECS}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("shared NetFlow data missing: {path}: {e}"))
}

/// Templates once, then data datagrams repeated: (templates, data).
fn workload(templates: &[&str], data: &[&str]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    (
        templates.iter().map(|n| payload(n)).collect(),
        data.iter().map(|n| payload(n)).collect(),
    )
}

#[derive(Default)]
struct Count(u64);

impl DecodeSink for Count {
    fn flow(&mut self, record: &FlowRecord) {
        self.0 += 1;
        black_box(record);
    }
    fn problem(&mut self, _: usize, _: String) {}
}

struct Discard(u64);

impl ObservationSink for Discard {
    fn connection(&mut self, connection: Connection) {
        self.0 += 1;
        black_box(connection);
    }
    fn resolution(&mut self, _: Resolution) {}
    fn installation(&mut self, _: Installation) {}
}

fn decode(c: &mut Criterion) {
    let cases = [
        (
            "ipfix_mikrotik",
            workload(
                &["ipfix_test_mikrotik_tpl.dat"],
                &[
                    "ipfix_test_mikrotik_data258.dat",
                    "ipfix_test_mikrotik_data259.dat",
                ],
            ),
        ),
        (
            "v9_cisco_asr9k",
            workload(
                &["netflow9_test_cisco_asr9k_tpl260.dat"],
                &["netflow9_test_cisco_asr9k_data260.dat"],
            ),
        ),
        (
            "v5_juniper",
            workload(&[], &["netflow5_test_juniper_mx80.dat"]),
        ),
    ];
    let mut group = c.benchmark_group("netflow_decode");
    for (name, (templates, data)) in &cases {
        let mut decoder = ExportDecoder::default();
        for t in templates {
            decoder.decode(UNKNOWN_EXPORTER, t, &mut Count::default());
        }
        let mut count = Count::default();
        for d in data {
            decoder.decode(UNKNOWN_EXPORTER, d, &mut count);
        }
        let bytes: usize = data.iter().map(Vec::len).sum();
        group.throughput(Throughput::Elements(count.0));
        group.bench_function(format!("{name}/records"), |b| {
            b.iter(|| {
                let mut count = Count::default();
                for d in data {
                    decoder.decode(UNKNOWN_EXPORTER, d, &mut count);
                }
                count.0
            })
        });
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(format!("{name}/bytes"), |b| {
            b.iter(|| {
                let mut count = Count::default();
                for d in data {
                    decoder.decode(UNKNOWN_EXPORTER, d, &mut count);
                }
                count.0
            })
        });
    }
    group.finish();
}

fn to_connections(c: &mut Criterion) {
    // A bare stream: the MikroTik templates, then its two data datagrams 500 times (~1.4 MB).
    let (templates, data) = workload(
        &["ipfix_test_mikrotik_tpl.dat"],
        &[
            "ipfix_test_mikrotik_data258.dat",
            "ipfix_test_mikrotik_data259.dat",
        ],
    );
    let mut stream: Vec<u8> = templates.concat();
    for _ in 0..500 {
        stream.extend(data.concat());
    }
    let run = |bytes: &[u8]| {
        let input =
            EvidenceStream::from_reader("bench", Box::new(std::io::Cursor::new(bytes.to_vec())))
                .expect("stream");
        read(input, 0, &mut Discard(0))
    };
    let records = run(&stream).records;
    let mut group = c.benchmark_group("netflow_read");
    group.throughput(Throughput::Elements(records));
    group.bench_function("ipfix_mikrotik_stream/records", |b| {
        b.iter(|| run(&stream).connections)
    });
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("ipfix_mikrotik_stream/bytes", |b| {
        b.iter(|| run(&stream).connections)
    });
    group.finish();
}

criterion_group!(benches, decode, to_connections);
criterion_main!(benches);
