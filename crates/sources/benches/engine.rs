//! The per-packet path end to end in memory: capture bytes → frames → packets → connections,
//! with names learned from DNS, TLS, QUIC and HTTP. Input: the project's generated sample capture.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::{CaptureEngine, CaptureOptions, CaptureReader, ObservationSink};
use std::hint::black_box;
use std::io::Cursor;

const SAMPLE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Default)]
struct Count {
    connections: u64,
    resolutions: u64,
}

impl ObservationSink for Count {
    fn connection(&mut self, connection: Connection) {
        black_box(&connection);
        self.connections += 1;
    }
    fn resolution(&mut self, resolution: Resolution) {
        black_box(&resolution);
        self.resolutions += 1;
    }
    fn installation(&mut self, installation: Installation) {
        black_box(&installation);
    }
}

fn sample_capture() -> Vec<u8> {
    let mut bytes = Vec::new();
    let config = ringfence_samples::SampleConfig {
        seed: 7,
        target_bytes: SAMPLE_BYTES,
    };
    ringfence_samples::write_capture(&config, &mut bytes).expect("generate the sample capture");
    bytes
}

fn engine(c: &mut Criterion) {
    let capture = sample_capture();
    let mut group = c.benchmark_group("capture_engine");
    group.throughput(Throughput::Bytes(capture.len() as u64));
    group.sample_size(10);
    group.bench_function("sample_64MiB", |b| {
        b.iter(|| {
            let input = Box::new(Cursor::new(capture.clone()));
            let mut reader = CaptureReader::from_reader("bench", input).expect("a capture");
            let mut engine = CaptureEngine::new(CaptureOptions::default());
            let mut count = Count::default();
            engine.read(&mut reader, &mut count, &mut |_| {});
            engine.finish(&mut count);
            black_box(count.connections + count.resolutions)
        })
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
