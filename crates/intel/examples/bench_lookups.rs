//! The Rust side of `scripts/bench-lookups`: the same address list as the C program, looked up
//! (1) in the same single MMDB, parsing each address string and reading the country code (the
//! compact answer, as the C program reads one field; then also building an owned `Destination`),
//! and (2) in all bundled sources through `IpIntel`: compact answers without the cache, owned
//! `Destination`s without the cache, and with the per-address cache.
//!
//! usage: bench_lookups DATA_DIR ADDRESSES.txt ROUNDS
//!        bench_lookups DATA_DIR   (only install the data, as `ringfence data install` does)

use ringfence_intel::ipdata::{IpIntel, SourceSpec, install};
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
                        .is_some_and(|a| a.data.country.is_some()),
                );
            }
        }
        found
    });
    println!("ringfence one MMDB, no cache: {rate:.2} M lookups/s");
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
    println!("ringfence one MMDB, no cache, owned Destination: {rate:.2} M lookups/s");

    // (2) All bundled sources.
    let intel = IpIntel::load(&data_dir, None).expect("run `ringfence data install` first");
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
                for index in 0..cold.sources().len() {
                    found += u64::from(
                        cold.source_answer(index, address)
                            .is_some_and(|a| a.data.country.is_some() || a.data.asn.is_some()),
                    );
                }
            }
        }
        found
    });
    println!(
        "ringfence all {} sources, no cache, compact answers: {rate:.2} M lookups/s",
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
        "ringfence all {} sources, no cache: {rate:.2} M lookups/s",
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
        "ringfence all {} sources, cached (destination_shared): {rate:.2} M lookups/s",
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
        "ringfence all {} sources, cached (destination, owned copy): {rate:.2} M lookups/s",
        intel.sources().len()
    );
}

/// Runs `work` once and returns millions of lookups per second.
fn measure(total: f64, work: impl FnOnce() -> u64) -> f64 {
    let start = Instant::now();
    black_box(work());
    total / start.elapsed().as_secs_f64() / 1e6
}
