//! Durability under `kill -9`: real appender processes (sometimes two at once, which the file
//! lock must serialise) are killed at random moments, many times; after each kill the log must
//! reopen consistent, and every entry whose index was acknowledged must be at that index.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ringfence_ledger::log::{default_key_path, default_vkey_path};
use ringfence_ledger::monitor::monitor;
use ringfence_ledger::tile_path::TILE_WIDTH;
use ringfence_ledger::tile_source::{FsTiles, read_entry_bundle};
use ringfence_ledger::{Log, init_log};

fn next(state: &mut u64) -> u64 {
    // xorshift64*: a seeded PRNG is enough to spread the kill moments.
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

#[test]
fn kill_minus_nine_never_loses_an_acknowledged_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let vkey = init_log(
        &dir,
        "crash.test/log",
        &default_key_path(&dir),
        &default_vkey_path(&dir),
    )
    .unwrap();
    let mut rng = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed {rng}");
    let started = Instant::now();
    let mut acked: Vec<(u64, String)> = Vec::new();
    let mut runs = 0;
    while runs < 30 && started.elapsed() < Duration::from_secs(90) {
        runs += 1;
        let procs = if runs % 3 == 0 { 2 } else { 1 };
        let mut children: Vec<_> = (0..procs)
            .map(|p| {
                Command::new(env!("CARGO_BIN_EXE_ringfence-ledger-appender"))
                    .arg(&dir)
                    .arg(format!("r{runs}p{p}"))
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20 + next(&mut rng) % 400));
        for c in &mut children {
            c.kill().unwrap(); // SIGKILL
        }
        for mut c in children {
            c.wait().unwrap();
            let mut out = String::new();
            c.stdout.take().unwrap().read_to_string(&mut out).unwrap();
            for line in out.lines() {
                // A line cut by the kill is not an acknowledgement.
                let Some((idx, entry)) = line.split_once(' ') else {
                    continue;
                };
                if !entry.ends_with('}') {
                    continue;
                }
                acked.push((idx.parse().unwrap(), entry.to_string()));
            }
        }
        // The log reopens (its checkpoint verifies and the tiles rebuild its root).
        let log =
            Log::open(&dir).unwrap_or_else(|e| panic!("run {runs}: log does not reopen: {e}"));
        let (_, cp) = log.checkpoint().unwrap();
        let max = acked.iter().map(|(i, _)| *i).max();
        if let Some(max) = max {
            assert!(
                cp.size > max,
                "run {runs}: size {} but index {max} was acknowledged",
                cp.size
            );
        }
    }
    // Every acknowledged index holds the acknowledged entry, and indices were never reused.
    let (_, cp) = Log::open(&dir).unwrap().checkpoint().unwrap();
    let reader = FsTiles(dir.clone());
    let mut bundles = std::collections::HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for (idx, entry) in &acked {
        assert!(seen.insert(*idx), "index {idx} acknowledged twice");
        let n = idx / TILE_WIDTH;
        let bundle = bundles.entry(n).or_insert_with(|| {
            read_entry_bundle(&reader, n, (cp.size - n * TILE_WIDTH).min(TILE_WIDTH)).unwrap()
        });
        assert_eq!(
            bundle[(idx % TILE_WIDTH) as usize],
            entry.as_bytes(),
            "index {idx}"
        );
    }
    // And a monitor re-hashing the whole log from its tiles finds nothing wrong.
    let report = monitor(&reader, &vkey, &[]).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    eprintln!(
        "{runs} kills, {} acknowledged entries, final size {}",
        acked.len(),
        cp.size
    );
    assert!(runs >= 10 && !acked.is_empty());
}
