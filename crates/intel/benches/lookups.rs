//! Criterion benchmarks of `IpIntel` on the real bundled data (installed on first use with
//! `ringfence_intel::ipdata::install`, which checks the pinned digests): all sources, cold
//! (every address distinct) and warm (a few thousand destinations repeated), as compact answers
//! from the merged index (`enrich`) and as owned `Destination`s (uncached, and through the
//! per-thread cache). The cold lists' IPv6 addresses sit in one `/16`; the `v6_spread` cases
//! look up IPv6 addresses spread over `2a00::/12` (RIPE's space, the index's most crowded
//! blocks), half of the list.
//!
//! cargo bench -p ringfence-intel --bench lookups -- --measurement-time 3 --warm-up-time 1

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringfence_intel::ipdata::{IpIntel, default_data_dir, install};
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Deterministic addresses (xorshift), one IPv6 in `v6_every` (in `2a00::/16`, or spread over
/// `2a00::/12` when `spread`).
fn addresses(count: usize, mut seed: u64, v6_every: usize, spread: bool) -> Vec<IpAddr> {
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..count)
        .map(|i| {
            let r = next();
            if i % v6_every == v6_every - 1 {
                IpAddr::V6(Ipv6Addr::from(if spread {
                    (0x2a0u128 << 116) | u128::from(r) << 48
                } else {
                    (0x2a00u128 << 112) | u128::from(r) << 32
                }))
            } else {
                IpAddr::V4(Ipv4Addr::from((r as u32) | 0x0100_0000))
            }
        })
        .collect()
}

fn lookups(c: &mut Criterion) {
    let data_dir = default_data_dir();
    install(&data_dir).expect("installing the IP data (npm registry needed once)");
    let intel = IpIntel::load(&data_dir, None).expect("bundled IP data");
    let uncached = IpIntel::load(&data_dir, None)
        .expect("bundled IP data")
        .with_cache_capacity(0);

    let cold = addresses(100_000, 0x9e37_79b9_7f4a_7c15, 8, false);
    let spread = addresses(100_000, 0x9e37_79b9_7f4a_7c15, 2, true);
    let distinct = addresses(2_000, 7, 8, false);
    let warm: Vec<IpAddr> = (0..100_000)
        .map(|i| distinct[(i * 7919) % distinct.len()])
        .collect();

    let mut group = c.benchmark_group("ipdata");
    group.throughput(Throughput::Elements(cold.len() as u64));
    group.bench_function("all_sources_cold_enrich", |b| {
        b.iter(|| {
            for &a in &cold {
                for answer in uncached.enrich(a).answers() {
                    black_box(answer);
                }
            }
        })
    });
    let mut answers = Vec::new();
    // 64 addresses per call, as a caller holding a batch of flows would: the answers stay in
    // the first-level cache.
    group.bench_function("all_sources_cold_enrich_many", |b| {
        b.iter(|| {
            for chunk in cold.chunks(64) {
                uncached.enrich_many(chunk, &mut answers);
                black_box(&answers);
            }
        })
    });
    group.bench_function("all_sources_cold_v6_spread_enrich", |b| {
        b.iter(|| {
            for &a in &spread {
                for answer in uncached.enrich(a).answers() {
                    black_box(answer);
                }
            }
        })
    });
    group.bench_function("all_sources_cold_v6_spread_enrich_many", |b| {
        b.iter(|| {
            for chunk in spread.chunks(64) {
                uncached.enrich_many(chunk, &mut answers);
                black_box(&answers);
            }
        })
    });
    group.bench_function("all_sources_cold_destination_uncached", |b| {
        b.iter(|| {
            for &a in &cold {
                black_box(uncached.lookup_uncached(a));
            }
        })
    });
    group.throughput(Throughput::Elements(warm.len() as u64));
    group.bench_function("all_sources_warm_enrich", |b| {
        b.iter(|| {
            for &a in &warm {
                for answer in uncached.enrich(a).answers() {
                    black_box(answer);
                }
            }
        })
    });
    group.bench_function("all_sources_warm_enrich_many", |b| {
        b.iter(|| {
            for chunk in warm.chunks(64) {
                uncached.enrich_many(chunk, &mut answers);
                black_box(&answers);
            }
        })
    });
    group.bench_function("all_sources_warm_destination_shared", |b| {
        b.iter(|| {
            for &a in &warm {
                black_box(intel.destination_shared(a));
            }
        })
    });
    group.bench_function("all_sources_warm_destination_owned", |b| {
        b.iter(|| {
            for &a in &warm {
                black_box(intel.destination(a));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
