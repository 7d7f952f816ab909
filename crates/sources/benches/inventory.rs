//! Inventory readers end to end in memory (digest, line splitting, JSON parsing, installations):
//! an osqueryd result log of event-format `programs` differential lines and `deb_packages`
//! snapshot lines, and a dpkg status file, each about 32 MB, generated here with a fixed
//! pattern. Measured in CPU time of the benchmark process (`cpu_time.rs`: the digest thread
//! counts), reported in MB of input and records per second: `cargo bench -p ringfence-sources
//! --bench inventory -- --measurement-time 3 --warm-up-time 1`.

#[path = "cpu_time.rs"]
mod cpu_time;

use cpu_time::ProcessCpuTime;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::ObservationSink;
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::inventory;
use std::fmt::Write;
use std::hint::black_box;
use std::io::Cursor;

const TARGET: usize = 32 << 20;

#[derive(Default)]
struct Count {
    installations: u64,
}

impl ObservationSink for Count {
    fn connection(&mut self, _: Connection) {}
    fn resolution(&mut self, _: Resolution) {}
    fn installation(&mut self, installation: Installation) {
        self.installations += 1;
        black_box(installation);
    }
}

/// Result-log lines: per host, 40 `programs` rows as differential lines and one `deb_packages`
/// snapshot of 200 packages. Returns the log and its row count.
fn osquery_log() -> (Vec<u8>, u64) {
    let mut log = String::new();
    let mut rows = 0u64;
    let mut host = 0u32;
    while log.len() < TARGET {
        host += 1;
        let head = format!(
            r#""hostIdentifier":"pc-{host:05}","calendarTime":"Mon Nov 23 10:00:00 2026 UTC","unixTime":1795428000,"epoch":0,"counter":{host},"numerics":false,"decorations":{{"host_uuid":"4C4C4544-{host:08}"}}"#
        );
        for program in 0..40 {
            let _ = writeln!(
                log,
                r#"{{"name":"pack_inventory_programs",{head},"columns":{{"name":"Program {program} of Vendor {}","version":"{program}.{host}.0.1","install_location":"C:\\Program Files\\Vendor {}\\Program {program}\\","install_source":"","language":"1033","publisher":"Vendor {} Ltd","uninstall_string":"MsiExec.exe /X{{00000000-0000-0000-0000-{program:012}}}","install_date":"20261101","identifying_number":"{{00000000-0000-0000-0000-{program:012}}}"}},"action":"added"}}"#,
                program % 7,
                program % 7,
                program % 7
            );
            rows += 1;
        }
        log.push_str(r#"{"snapshot":["#);
        for package in 0..200 {
            if package > 0 {
                log.push(',');
            }
            let _ = write!(
                log,
                r#"{{"name":"lib-package-{package}","version":"{package}.{host}-1","source":"src-{package}","size":"{}","arch":"amd64","revision":"1","status":"install ok installed","maintainer":"Debian Maintainers <maint-{package}@lists.debian.org>","section":"libs","priority":"optional","admindir":"/var/lib/dpkg"}}"#,
                package * 1024
            );
            rows += 1;
        }
        let _ = writeln!(
            log,
            r#"],"action":"snapshot","name":"pack_linux_deb_packages",{head}}}"#
        );
    }
    (log.into_bytes(), rows)
}

/// dpkg status stanzas, each with a few description lines. Returns the file and its stanza count.
fn dpkg_status() -> (Vec<u8>, u64) {
    let mut status = String::new();
    let mut stanzas = 0u64;
    while status.len() < TARGET {
        let n = stanzas;
        let _ = write!(
            status,
            "Package: package-{n}\nStatus: install ok installed\nPriority: optional\nSection: libs\n\
             Installed-Size: {}\nMaintainer: Debian Maintainers <maint-{n}@lists.debian.org>\n\
             Architecture: amd64\nMulti-Arch: same\nSource: source-{n}\nVersion: 1.{n}-2\n\
             Depends: libc6 (>= 2.34), libgcc-s1 (>= 3.0)\n\
             Description: package number {n}\n This is the long description of the package,\n \
             spread over a few lines as dpkg keeps it.\n .\n It ends here.\n\n",
            n * 3
        );
        stanzas += 1;
    }
    (status.into_bytes(), stanzas)
}

fn stream(label: &str, bytes: &'static [u8]) -> EvidenceStream {
    EvidenceStream::from_reader(label, Box::new(Cursor::new(bytes))).expect("in-memory stream")
}

fn inventory(c: &mut Criterion<ProcessCpuTime>) {
    let mut group = c.benchmark_group("inventory");
    group.sample_size(10);
    for (name, (bytes, records)) in [
        ("osquery_log", osquery_log()),
        ("dpkg_status", dpkg_status()),
    ] {
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        eprintln!(
            "{name}: {} bytes, {records} records ({} bytes per record)",
            bytes.len(),
            bytes.len() as u64 / records
        );
        for throughput in [
            Throughput::BytesDecimal(bytes.len() as u64),
            Throughput::Elements(records),
        ] {
            let unit = match throughput {
                Throughput::Elements(_) => "records",
                _ => "bytes",
            };
            group.throughput(throughput);
            group.bench_function(format!("{name}_{}MB_{unit}", bytes.len() >> 20), |b| {
                b.iter(|| {
                    let mut count = Count::default();
                    let outcome = inventory::read(stream(name, bytes), 0, &mut count);
                    assert_eq!(outcome.problems.count, 0);
                    assert_eq!(outcome.records, records);
                    black_box(count.installations)
                });
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ProcessCpuTime);
    targets = inventory
}
criterion_main!(benches);
