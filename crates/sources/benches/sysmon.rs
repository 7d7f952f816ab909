//! Sysmon reading throughput: a large EVTX file made of the UACME sample's chunks repeated
//! (`sysmon::read` accepts any number of chunks after the file header), and the OTRF fodhelper
//! JSON lines repeated. Criterion reports bytes/s.
//!
//! cargo bench -p ringfence-sources --bench sysmon -- --measurement-time 3 --warm-up-time 1

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::ObservationSink;
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::sysmon;
use std::io::Read;
use std::path::PathBuf;

const EVTX: &str = "endpoint/evtx-attack-samples/Privilege Escalation/Sysmon_UACME_64.evtx";
const OTRF: &str = "endpoint/otrf-security-datasets/datasets/atomic/windows/privilege_escalation/host/empire_uac_shellapi_fodhelper.zip";

fn shared_data(relative: &str) -> PathBuf {
    let path =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(relative);
    assert!(
        path.exists(),
        "shared test data missing: {}",
        path.display()
    );
    path
}

#[derive(Default)]
struct Count(u64);

impl ObservationSink for Count {
    fn connection(&mut self, _: Connection) {
        self.0 += 1;
    }
    fn resolution(&mut self, _: Resolution) {
        self.0 += 1;
    }
    fn installation(&mut self, _: Installation) {
        self.0 += 1;
    }
}

/// The sample's file header and its chunks repeated to about `size` bytes.
fn large_evtx(size: usize) -> Vec<u8> {
    let sample = std::fs::read(shared_data(EVTX)).expect("EVTX sample");
    let (header, chunks) = sample.split_at(4096);
    let mut file = header.to_vec();
    while file.len() < size {
        file.extend_from_slice(chunks);
    }
    file
}

fn large_json(size: usize) -> Vec<u8> {
    let zip = std::fs::File::open(shared_data(OTRF)).expect("OTRF zip");
    let mut archive = zip::ZipArchive::new(zip).expect("zip");
    let mut lines = Vec::new();
    archive
        .by_index(0)
        .expect("entry")
        .read_to_end(&mut lines)
        .expect("unzip");
    let mut file = Vec::with_capacity(size + lines.len());
    while file.len() < size {
        file.extend_from_slice(&lines);
    }
    file
}

fn read_all(label: &str, bytes: &[u8]) -> u64 {
    let stream =
        EvidenceStream::from_reader(label, Box::new(std::io::Cursor::new(bytes.to_vec()))).unwrap();
    let mut count = Count::default();
    let outcome = sysmon::read(stream, 0, &mut count);
    assert_eq!(outcome.problems.count, 0);
    count.0
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("sysmon");
    group.sample_size(10);
    let evtx = large_evtx(32 << 20);
    group.throughput(Throughput::Bytes(evtx.len() as u64));
    group.bench_function("evtx", |b| b.iter(|| read_all("large.evtx", &evtx)));
    let json = large_json(64 << 20);
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("json_lines", |b| b.iter(|| read_all("large.json", &json)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
