//! Ledger benchmarks: inclusion-proof verification, durable appends (batched by the group
//! commit sequencer, fsync of files and directories) and receipts. The log lives on the same
//! disk as the target directory (`CARGO_TARGET_DIR` or `target/`), not on a RAM disk.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringfence_ledger::hash::{Hash, leaf_hash, root_of_hashes};
use ringfence_ledger::log::{default_key_path, default_vkey_path};
use ringfence_ledger::proof::{MemoryTree, inclusion_proof, verify_inclusion};
use ringfence_ledger::{Log, init_log};

fn bench_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")));
    let dir = base.join(format!("ledger-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn entry(i: u64) -> Vec<u8> {
    // About the size of a report commitment.
    format!(
        "{{\"findings\":{{\"deny\":0,\"unknown\":{i}}},\"inputs\":{{\"evidence\":\"{}\"}},\"kind\":\"ringfence.report.v1\",\"policy_ids\":[\"ncsc-2017\"],\"report_sha256\":\"{}\",\"ringfence_version\":\"0.1.0\",\"time_range\":null}}",
        "ab".repeat(32),
        leaf_hash(&i.to_be_bytes()).to_hex()
    )
    .into_bytes()
}

fn verify(c: &mut Criterion) {
    let n = 1u64 << 20;
    let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let root = root_of_hashes(&leaves);
    let idx = 123_456u64;
    let proof = inclusion_proof(&mut MemoryTree(&leaves), idx, n).unwrap();
    let leaf = leaves[idx as usize];
    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    g.bench_function("inclusion_proof_2^20_leaves", |b| {
        b.iter(|| verify_inclusion(black_box(idx), n, black_box(&leaf), &proof, &root).unwrap())
    });
    // The same work timed by this thread's CPU clock instead of the wall clock: on a shared,
    // overloaded machine the wall-clock figure above mostly measures time spent waiting for a
    // core, while this one is the cost per verification on one core.
    g.bench_function("inclusion_proof_2^20_leaves_thread_cpu_time", |b| {
        b.iter_custom(|iters| {
            let start = thread_cpu_time();
            for _ in 0..iters {
                verify_inclusion(black_box(idx), n, black_box(&leaf), &proof, &root).unwrap();
            }
            thread_cpu_time().saturating_sub(start)
        })
    });
    g.finish();
}

/// CPU time consumed so far by the calling thread (CLOCK_THREAD_CPUTIME_ID).
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant Linux defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(
        u64::try_from(ts.tv_sec).expect("thread CPU time is not negative"),
        u32::try_from(ts.tv_nsec).expect("tv_nsec is below one second"),
    )
}

fn append(c: &mut Criterion) {
    let base = bench_dir();
    let mut g = c.benchmark_group("append_durable");
    g.sample_size(10);
    for batch in [1usize, 100, 1000] {
        let dir = base.join(format!("batch-{batch}"));
        let _ = std::fs::remove_dir_all(&dir);
        init_log(
            &dir,
            "bench.test/log",
            &default_key_path(&dir),
            &default_vkey_path(&dir),
        )
        .unwrap();
        let log = Log::open(&dir).unwrap();
        let mut i = 0u64;
        g.throughput(Throughput::Elements(batch as u64));
        g.bench_function(format!("one_call_of_{batch}"), |b| {
            b.iter(|| {
                let entries = (0..batch as u64).map(|k| entry(i + k)).collect();
                i += batch as u64;
                log.append(entries).unwrap()
            })
        });
    }
    // Many callers appending one entry each: the sequencer batches them into one commit.
    let dir = base.join("concurrent");
    let _ = std::fs::remove_dir_all(&dir);
    init_log(
        &dir,
        "bench.test/log",
        &default_key_path(&dir),
        &default_vkey_path(&dir),
    )
    .unwrap();
    let log = Arc::new(Log::open(&dir).unwrap());
    let callers = 64u64;
    let per = 20u64;
    g.throughput(Throughput::Elements(callers * per));
    g.bench_function("64_threads_single_entries", |b| {
        b.iter(|| {
            let hs: Vec<_> = (0..callers)
                .map(|t| {
                    let log = Arc::clone(&log);
                    std::thread::spawn(move || {
                        for k in 0..per {
                            log.append(vec![entry(t * 1_000_000 + k)]).unwrap();
                        }
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&base);
}

fn receipts(c: &mut Criterion) {
    let dir = bench_dir().join("receipts");
    let _ = std::fs::remove_dir_all(&dir);
    init_log(
        &dir,
        "bench.test/log",
        &default_key_path(&dir),
        &default_vkey_path(&dir),
    )
    .unwrap();
    let log = Log::open(&dir).unwrap();
    for chunk in 0..100u64 {
        log.append((0..1000).map(|k| entry(chunk * 1000 + k)).collect())
            .unwrap();
    }
    let mut i = 0u64;
    c.bench_function("receipt_from_tiles_100k_log", |b| {
        b.iter(|| {
            i = (i + 7919) % 100_000;
            log.receipt(i).unwrap()
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, verify, append, receipts);
criterion_main!(benches);
