//! The Rust side of `scripts/bench-lookups`: the same address list as the C program, looked up
//! (1) in the same single MMDB, parsing each address string and reading the country code (the
//! compact answer, as the C program reads one field; then also building an owned `Destination`),
//! and (2) in all bundled sources through `IpIntel`: every source's compact answer from the
//! merged index (`enrich`, and `enrich_many` in batches; both again from addresses parsed
//! beforehand, as in the criterion bench), owned `Destination`s without the cache, and with the
//! per-thread cache. Prints the load time and the size of the merged index first.
//!
//! usage: bench_lookups DATA_DIR ADDRESSES.txt ROUNDS
//!        bench_lookups DATA_DIR   (only install the data, as `ringfence data install` does)

use ringfence_intel::ipdata::{ENRICH_BATCH, IpIntel, SourceSpec, install};
use ringfence_model::Basis;
use std::hint::black_box;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, data_dir] = &args[..] {
        install(std::path::Path::new(data_dir)).expect("installing the IP data");
        return;
    }
    let [_, data_dir, list, rounds] = &args[..] else {
        eprintln!("usage: bench_lookups DATA_DIR ADDRESSES.txt ROUNDS");
        std::process::exit(2);
    };
    let data_dir = PathBuf::from(data_dir);
    let rounds: usize = rounds.parse().expect("ROUNDS is a number");
    let text = std::fs::read_to_string(list).expect("address list readable");
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let total = (lines.len() * rounds) as f64;

    // The floor every row below stands on: parsing the address strings alone.
    let rate = measure(total, || {
        let mut found = 0u64;
        for _ in 0..rounds {
            for line in &lines {
                found += u64::from(line.parse::<IpAddr>().is_ok_and(|a| a.is_ipv4()));
            }
        }
        found
    });
    println!("parsing the address strings only: {rate}");

    // (1) One MMDB, as the C program does it: parse the string, look up, read the country.
    let single = IpIntel::from_sources(vec![SourceSpec {
        name: "geo-whois-asn-country".into(),
        path: data_dir.join("ipdata/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb"),
        basis: Basis::RegistryCountry,
        licence: "CC-BY-4.0".into(),
        version: "2.3.2026061719".into(),
    }])
    .expect("run `ringfence data install` first")
    .with_cache_capacity(0);
    let rate = measure(total, || {
        let mut found = 0u64;
        for _ in 0..rounds {
            for line in &lines {
                let Ok(address) = line.parse::<IpAddr>() else {
                    continue;
                };
                found += u64::from(
                    single
                        .source_answer(0, address)
                        .is_some_and(|a| a.country.is_some()),
                );
            }
        }
        found
    });
    println!("ringfence one MMDB, no cache: {rate}");
    let rate = measure(total, || {
        let mut found = 0u64;
        for _ in 0..rounds {
            for line in &lines {
                let Ok(address) = line.parse::<IpAddr>() else {
                    continue;
                };
                let destination = single.lookup_uncached(address);
                found += u64::from(
                    destination
                        .answers
                        .first()
                        .is_some_and(|a| a.country.is_some()),
                );
            }
        }
        found
    });
    println!("ringfence one MMDB, no cache, owned Destination: {rate}");

    // (2) All bundled sources.
    let rss_before = resident_kib();
    let start = Instant::now();
    let intel = IpIntel::load(&data_dir, None).expect("run `ringfence data install` first");
    let load = start.elapsed();
    let stats = intel.index_stats();
    println!(
        "load: {:.2} s, resident +{} MiB; merged index: {} IPv4 + {} IPv6 ranges, {:.1} MiB, flattened (IPv4, IPv6) per source {:?}",
        load.as_secs_f64(),
        resident_kib().saturating_sub(rss_before) / 1024,
        stats.v4_ranges,
        stats.v6_ranges,
        stats.bytes as f64 / (1024.0 * 1024.0),
        stats.flattened
    );
    let cold = IpIntel::load(&data_dir, None)
        .expect("data")
        .with_cache_capacity(0);
    let rate = measure(total, || {
        let mut found = 0u64;
        for _ in 0..rounds {
            for line in &lines {
                let Ok(address) = line.parse::<IpAddr>() else {
                    continue;
                };
                for answer in cold.enrich(address).answers() {
                    found += u64::from(answer.country.is_some() || answer.asn.is_some());
                }
            }
        }
        found
    });
    println!(
        "ringfence all {} sources, no cache, compact answers: {rate}",
        intel.sources().len()
    );
    let rate = measure(total, || {
        let mut found = 0u64;
        let mut batch = Vec::new();
        let mut answers = Vec::new();
        for _ in 0..rounds {
            for chunk in lines.chunks(4 * ENRICH_BATCH) {
                batch.clear();
                batch.extend(chunk.iter().filter_map(|l| l.parse::<IpAddr>().ok()));
                cold.enrich_many(&batch, &mut answers);
                found += answers
                    .iter()
                    .filter(|a| a.country.is_some() || a.asn.is_some())
                    .count() as u64;
            }
        }
        found
    });
    println!(
        "ringfence all {} sources, no cache, compact answers, {ENRICH_BATCH} at a time (enrich_many): {rate}",
        intel.sources().len()
    );
    // The same two without the parsing (the criterion bench's case, timed per CPU second here).
    let parsed: Vec<IpAddr> = lines.iter().filter_map(|l| l.parse().ok()).collect();
    let rate = measure(total, || {
        let mut found = 0u64;
        for _ in 0..rounds {
            for &address in &parsed {
                for answer in cold.enrich(address).answers() {
                    found += u64::from(answer.country.is_some() || answer.asn.is_some());
                }
            }
        }
        found
    });
    println!(
        "ringfence all {} sources, addresses parsed beforehand, compact answers (enrich): {rate}",
        intel.sources().len()
    );
    let rate = measure(total, || {
        let mut found = 0u64;
        let mut answers = Vec::new();
        for _ in 0..rounds {
            for batch in parsed.chunks(4 * ENRICH_BATCH) {
                cold.enrich_many(batch, &mut answers);
                found += answers
                    .iter()
                    .filter(|a| a.country.is_some() || a.asn.is_some())
                    .count() as u64;
            }
        }
        found
    });
    println!(
        "ringfence all {} sources, addresses parsed beforehand, compact answers ({ENRICH_BATCH} at a time, enrich_many): {rate}",
        intel.sources().len()
    );
    let rate = measure(total, || {
        let mut found = 0u64;
        for _ in 0..rounds {
            for line in &lines {
                let Ok(address) = line.parse::<IpAddr>() else {
                    continue;
                };
                found += cold.destination_shared(address).answers.len() as u64;
            }
        }
        found
    });
    println!(
        "ringfence all {} sources, no cache: {rate}",
        intel.sources().len()
    );
    let rate = measure(total, || {
        let mut found = 0u64;
        for _ in 0..rounds {
            for line in &lines {
                let Ok(address) = line.parse::<IpAddr>() else {
                    continue;
                };
                found += intel.destination_shared(address).answers.len() as u64;
            }
        }
        found
    });
    println!(
        "ringfence all {} sources, cached (destination_shared): {rate}",
        intel.sources().len()
    );
    let rate = measure(total, || {
        let mut found = 0u64;
        for _ in 0..rounds {
            for line in &lines {
                let Ok(address) = line.parse::<IpAddr>() else {
                    continue;
                };
                found += intel.destination(address).answers.len() as u64;
            }
        }
        found
    });
    println!(
        "ringfence all {} sources, cached (destination, owned copy): {rate}",
        intel.sources().len()
    );
}

/// The process's resident memory (Linux), 0 where unknown.
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Runs `work` once and returns millions of lookups per second of this thread's CPU time (the
/// per-core rate, which other processes on a shared machine barely move) and of wall-clock time.
fn measure(total: f64, work: impl FnOnce() -> u64) -> Rates {
    let cpu = thread_cpu_ns();
    let start = Instant::now();
    black_box(work());
    let wall = start.elapsed().as_secs_f64();
    let cpu = thread_cpu_ns()
        .zip(cpu)
        .map(|(end, start)| (end - start) as f64 / 1e9);
    Rates {
        cpu: total / cpu.unwrap_or(wall) / 1e6,
        wall: total / wall / 1e6,
    }
}

struct Rates {
    cpu: f64,
    wall: f64,
}

impl std::fmt::Display for Rates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2} M lookups/s (CPU time; wall clock {:.2})",
            self.cpu, self.wall
        )
    }
}

/// Nanoseconds this thread has run on a CPU (Linux `schedstat`).
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
