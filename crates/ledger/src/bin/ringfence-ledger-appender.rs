//! Test helper for the crash test: appends entries to a log from several threads and prints
//! `INDEX ENTRY` on stdout for each entry only after `Log::append` has acknowledged it (that
//! is, after it is durable). The crash test kills this process with SIGKILL at random moments.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use ringfence_ledger::Log;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(tag)) = (args.next(), args.next()) else {
        eprintln!("usage: ringfence-ledger-appender DIR TAG");
        return ExitCode::from(2);
    };
    let log = match Log::open(&PathBuf::from(&dir)) {
        Ok(l) => Arc::new(l),
        Err(e) => {
            eprintln!("open: {e}");
            return ExitCode::from(2);
        }
    };
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let log = Arc::clone(&log);
            let tag = tag.clone();
            std::thread::spawn(move || {
                for i in 0u64.. {
                    let batch: Vec<Vec<u8>> = (0..(i % 7 + 1))
                        .map(|j| {
                            format!("{{\"run\":\"{tag}\",\"t\":{t},\"i\":{i},\"j\":{j}}}")
                                .into_bytes()
                        })
                        .collect();
                    let Ok(indices) = log.append(batch.clone()) else {
                        return;
                    };
                    let mut out = std::io::stdout().lock();
                    for (idx, e) in indices.iter().zip(&batch) {
                        let _ = writeln!(out, "{idx} {}", String::from_utf8_lossy(e));
                    }
                    let _ = out.flush();
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    ExitCode::SUCCESS
}
