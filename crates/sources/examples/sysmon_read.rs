//! Reads Sysmon evidence files (EVTX or JSON lines) with
//! `sysmon::read` and prints the connections as JSON lines (`--json`) or nothing; a summary
//! (records, connections, seconds, records/s) goes to stderr. Used by `scripts/bench-evtx`
//! to time whole-process decoding against `evtx_dump -o jsonl`.
//!
//! cargo run --release -p ringfence-sources --example sysmon_read -- [--json] FILE...

use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::ObservationSink;
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::sysmon::read;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

struct Print<W: Write> {
    out: W,
    json: bool,
    failed: bool,
}

impl<W: Write> ObservationSink for Print<W> {
    fn connection(&mut self, connection: Connection) {
        if self.json
            && (serde_json::to_writer(&mut self.out, &connection).is_err()
                || self.out.write_all(b"\n").is_err())
        {
            self.failed = true;
        }
    }
    fn resolution(&mut self, _: Resolution) {}
    fn installation(&mut self, _: Installation) {}
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let files: Vec<&String> = args.iter().filter(|a| *a != "--json").collect();
    if files.is_empty() {
        eprintln!("usage: sysmon_read [--json] FILE...");
        return ExitCode::from(2);
    }
    let stdout = std::io::stdout();
    let mut sink = Print {
        out: BufWriter::with_capacity(1 << 20, stdout.lock()),
        json,
        failed: false,
    };
    let started = Instant::now();
    let (mut records, mut connections, mut problems) = (0u64, 0u64, 0u64);
    for (n, file) in files.iter().enumerate() {
        let stream = match EvidenceStream::open(file) {
            Ok(stream) => stream,
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::from(2);
            }
        };
        let outcome = read(stream, n as u32, &mut sink);
        records += outcome.records;
        connections += outcome.connections;
        problems += outcome.problems.count;
    }
    if sink.out.flush().is_err() || sink.failed {
        eprintln!("sysmon_read: cannot write the output");
        return ExitCode::from(2);
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "records {records} connections {connections} problems {problems} seconds {seconds:.3} records_per_sec {:.0}",
        records as f64 / seconds.max(1e-9)
    );
    ExitCode::SUCCESS
}
