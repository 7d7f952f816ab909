//! Log readers end to end in memory (digest, line splitting, parsing, joining, observations):
//! Zeek TSV and Zeek JSON logs (conn, dns and ssl logs read as a set) and Suricata EVE JSON (flow,
//! dns, tls and http events), each about 32 MB, generated here from templates with a fixed seed.
//! Measured in CPU time of the benchmark process (`cpu_time.rs`: the digest thread counts) and
//! reported in MB of input per second per core: `cargo bench -p ringfence-sources --bench logs -- --measurement-time 5
//! --warm-up-time 1`. `digest_only` reads the EVE input with no parsing (buffering and SHA-256
//! only): the floor under every reader.

#[path = "cpu_time.rs"]
mod cpu_time;
#[path = "logs_input.rs"]
mod logs_input;

use cpu_time::ProcessCpuTime;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logs_input::{Count, eve_json, zeek_json, zeek_tsv};
use ringfence_model::EvidenceKind;
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::logs::{eve, zeek};
use std::hint::black_box;
use std::io::Cursor;

/// A stream over bytes that live for the whole run (no copy per iteration).
fn stream(label: &str, bytes: &'static [u8]) -> EvidenceStream {
    EvidenceStream::from_reader(label, Box::new(Cursor::new(bytes))).expect("in-memory stream")
}

fn logs(c: &mut Criterion<ProcessCpuTime>) {
    let mut group = c.benchmark_group("logs");
    group.sample_size(10);
    for (name, files) in [("zeek_tsv", zeek_tsv()), ("zeek_json", zeek_json())] {
        let files: Vec<&'static [u8]> = files
            .into_iter()
            .map(|f| &*Box::leak(f.into_boxed_slice()))
            .collect();
        let total: usize = files.iter().map(|f| f.len()).sum();
        group.throughput(Throughput::BytesDecimal(total as u64));
        group.bench_function(format!("{name}_{}MB", total >> 20), |b| {
            b.iter(|| {
                let streams = ["conn.log", "dns.log", "ssl.log"]
                    .iter()
                    .zip(&files)
                    .map(|(label, bytes)| stream(label, bytes))
                    .collect();
                let mut count = Count::default();
                let outcomes = zeek::read_set(streams, 0, &mut count);
                assert!(outcomes.iter().all(|o| o.problems.count == 0));
                black_box((count.connections, count.resolutions))
            });
        });
    }
    let events: &'static [u8] = Box::leak(eve_json().into_boxed_slice());
    group.throughput(Throughput::BytesDecimal(events.len() as u64));
    group.bench_function(format!("eve_{}MB", events.len() >> 20), |b| {
        b.iter(|| {
            let mut count = Count::default();
            let outcome = eve::read(stream("eve.json", events), 0, &mut count);
            assert_eq!(outcome.problems.count, 0);
            black_box((count.connections, count.resolutions))
        });
    });
    // The floor under every reader: the stream's buffering and SHA-256 of the same bytes, with
    // no parsing.
    group.bench_function(format!("digest_only_{}MB", events.len() >> 20), |b| {
        b.iter(|| {
            let (evidence, _) = stream("eve.json", events).finish(EvidenceKind::SuricataEve);
            black_box(evidence.sha256)
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ProcessCpuTime);
    targets = logs
}
criterion_main!(benches);
