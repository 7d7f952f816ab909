//! Writes a sample capture: `write_capture OUT [SIZE] [SEED]` (SIZE like 20MiB or 1GiB).

use ringfence_samples::{DEFAULT_TARGET_BYTES, SampleConfig, parse_size, write_capture};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: write_capture OUT [SIZE] [SEED]");
        return ExitCode::from(2);
    };
    let target_bytes = match args.get(2).map(|s| parse_size(s)) {
        None => DEFAULT_TARGET_BYTES,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let seed = match args.get(3).map(|s| s.parse::<u64>()) {
        None => 1,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("bad seed: {e}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let result = std::fs::File::create(path)
        .and_then(|f| write_capture(&SampleConfig { seed, target_bytes }, f));
    match result {
        Ok(stats) => {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{path}: {} bytes, {} packets, {} connections, {} DNS queries in {secs:.2} s ({:.0} MB/s)",
                stats.bytes,
                stats.packets,
                stats.connections,
                stats.dns_queries,
                stats.bytes as f64 / 1e6 / secs.max(1e-9)
            );
            for (product, n) in &stats.connections_by_product {
                eprintln!("  {product}: {n}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}
