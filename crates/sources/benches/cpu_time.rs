//! A criterion measurement of the benchmark process's CPU time (`CLOCK_PROCESS_CPUTIME_ID`)
//! instead of wall time. The figures asked of the log readers are per core, and on a shared
//! machine wall time also counts the moments other processes held the core. The whole process,
//! not the benchmark thread: a large input's SHA-256 runs on a thread of its own
//! (`raw_digest.rs`), and that work is part of reading it.

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};
use rustix::time::{ClockId, clock_gettime};

pub struct ProcessCpuTime;

fn now_nanos() -> u64 {
    let t = clock_gettime(ClockId::ProcessCPUTime);
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

impl Measurement for ProcessCpuTime {
    type Intermediate = u64;
    /// CPU nanoseconds.
    type Value = u64;

    fn start(&self) -> u64 {
        now_nanos()
    }
    fn end(&self, started: u64) -> u64 {
        now_nanos().saturating_sub(started)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match typical {
            t if t < 1e3 => (1.0, "ns CPU"),
            t if t < 1e6 => (1e-3, "µs CPU"),
            t if t < 1e9 => (1e-6, "ms CPU"),
            _ => (1e-9, "s CPU"),
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        // Per CPU nanosecond → per CPU second, in millions.
        let (amount, unit) = match throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (*n, "MB/s per core"),
            Throughput::Bits(n) => (*n, "Mbit/s per core"),
            Throughput::Elements(n) => (*n, "M/s per core"),
            Throughput::ElementsAndBytes { bytes, .. } => (*bytes, "MB/s per core"),
        };
        values
            .iter_mut()
            .for_each(|v| *v = amount as f64 * 1e3 / *v);
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
