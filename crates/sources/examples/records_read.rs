//! Reads record-oriented evidence files (NetFlow/IPFIX, Sysmon, Zeek, EVE, inventories), told
//! apart by content as `ringfence audit` does, with `evidence::read_records`, and prints the
//! connections as JSON lines (`--json`) or nothing; a summary (records, connections, seconds,
//! records/s) goes to stderr. Used by `scripts/bench-netflow` (against `nfdump -r`) and
//! `scripts/bench-evtx` (against `evtx_dump`) to time whole-process reading without building
//! the CLI.
//!
//! cargo run --release -p ringfence-sources --example records_read -- [--json] FILE...

use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::ObservationSink;
use ringfence_sources::evidence::{EvidenceReader, open_evidence, read_records};
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
        eprintln!("usage: records_read [--json] FILE...");
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
        let (format, stream) = match open_evidence(file).and_then(|o| o.into_reader()) {
            Ok(EvidenceReader::Records(format, stream)) => (format, stream),
            Ok(EvidenceReader::Capture(_)) => {
                eprintln!("{file}: a packet capture, not record evidence");
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        let summary = read_records(format, stream, n as u32, &mut sink);
        records += summary.records;
        connections += summary.connections;
        problems += summary.problem_count;
    }
    if sink.out.flush().is_err() || sink.failed {
        eprintln!("records_read: cannot write the output");
        return ExitCode::from(2);
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "records {records} connections {connections} problems {problems} seconds {seconds:.3} records_per_sec {:.0}",
        records as f64 / seconds.max(1e-9)
    );
    ExitCode::SUCCESS
}
