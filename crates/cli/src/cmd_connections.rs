//! `ringfence connections`: the connection table of packet captures, NetFlow/IPFIX exports, Zeek
//! logs and Suricata EVE JSON.

use crate::exit;
use crate::progress;
use crate::view::{ConnectionView, OutputFormat};
use clap::Args;
use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::{
    CaptureEngine, CaptureOptions, FlowTimeouts, ObservationSink, ReadSummary,
};
use ringfence_sources::evidence::{
    EvidenceReader, EvidenceSummary, RecordFormat, open_evidence, read_records, read_zeek_set,
};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args)]
#[command(after_long_help = "\
Examples:
  ringfence connections capture.pcapng
  ringfence connections --json a.pcap b.pcap.gz > connections.jsonl
  tcpdump -w - -i eth0 | ringfence connections --csv -

Every connection (TCP and UDP, tunnels decapsulated) with its packets and bytes each way, TCP \
state, Community ID, and the names its software used for the other end: TLS and QUIC SNI, earlier \
DNS answers, HTTP Host and CONNECT targets, each marked with how it was learned.")]
pub struct ConnectionsArgs {
    /// Evidence files, told apart by content: pcap, pcapng, NetFlow v5/v9 and IPFIX exports, Zeek
    /// logs (read together, joined by uid), Suricata EVE JSON; optionally gzip-compressed; `-` reads
    /// standard input
    #[arg(required = true, value_name = "CAPTURE")]
    captures: Vec<String>,
    /// One JSON object per connection (JSON Lines)
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// CSV with a header row
    #[arg(long)]
    csv: bool,
    /// Rows in the terminal table, biggest connections first (0 = all)
    #[arg(long, default_value_t = 50, value_name = "N")]
    limit: usize,
    /// Seconds of silence that end a TCP connection
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    tcp_idle_timeout: u64,
    /// Seconds of silence that end a UDP flow
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    udp_idle_timeout: u64,
    /// Seconds after which a long connection is written out and continued in a new record
    #[arg(long, default_value_t = 3600, value_name = "SECS")]
    active_timeout: u64,
    /// Live connections held at most (memory bound); the least recently active are written out first
    #[arg(long, default_value_t = 500_000, value_name = "N")]
    max_flows: usize,
}

impl ConnectionsArgs {
    fn options(&self) -> CaptureOptions {
        CaptureOptions {
            timeouts: FlowTimeouts {
                tcp_idle: Duration::from_secs(self.tcp_idle_timeout),
                udp_idle: Duration::from_secs(self.udp_idle_timeout),
                active: Duration::from_secs(self.active_timeout),
                ..FlowTimeouts::default()
            },
            max_flows: self.max_flows,
            ..CaptureOptions::default()
        }
    }

    fn format(&self) -> OutputFormat {
        match (self.json, self.csv) {
            (true, _) => OutputFormat::JsonLines,
            (_, true) => OutputFormat::Csv,
            _ => OutputFormat::Table { limit: self.limit },
        }
    }
}

/// Connections go to the view; DNS resolutions and installations are not part of this table
/// (`ringfence audit` reports installations).
struct ViewSink<'v>(&'v mut ConnectionView);

impl ObservationSink for ViewSink<'_> {
    fn connection(&mut self, connection: Connection) {
        self.0.push(connection);
    }
    fn resolution(&mut self, _resolution: Resolution) {}
    fn installation(&mut self, _installation: Installation) {}
}

fn summary_of(summary: EvidenceSummary) -> ReadSummary {
    ReadSummary {
        evidence: summary.evidence,
        frames: summary.records,
        problems: summary.problems,
        problem_count: summary.problem_count,
    }
}

/// Lists an input's unreadable records on stderr; returns how many there were.
fn report_problems(summary: &ReadSummary) -> u64 {
    for problem in &summary.problems {
        eprintln!("ringfence: skipped: {problem}");
    }
    if summary.problem_count > summary.problems.len() as u64 {
        eprintln!(
            "ringfence: {}: {} more unreadable records not listed",
            summary.evidence.path,
            summary.problem_count - summary.problems.len() as u64
        );
    }
    summary.problem_count
}

pub fn run(args: ConnectionsArgs) -> ExitCode {
    let mut view = ConnectionView::new(args.format());
    let mut engine = CaptureEngine::new(args.options());
    let mut unreadable_inputs = 0usize;
    let mut skipped_records = 0u64;
    // Zeek logs join across files by uid: they are read together once the others are done.
    let mut zeek_logs = Vec::new();
    for path in &args.captures {
        let reader = match open_evidence(path).and_then(|opened| opened.into_reader()) {
            Ok(reader) => reader,
            Err(error) => {
                eprintln!("ringfence: {error}");
                unreadable_inputs += 1;
                continue;
            }
        };
        view.add_evidence_label(path);
        let summary = match reader {
            EvidenceReader::Capture(mut reader) => {
                let size = (path != "-")
                    .then(|| std::fs::metadata(path).ok().map(|m| m.len()))
                    .flatten();
                let bar = progress::bar_for(path, size);
                let summary = engine.read(&mut reader, &mut ViewSink(&mut view), &mut |offset| {
                    bar.set_position(offset)
                });
                bar.finish_and_clear();
                summary
            }
            EvidenceReader::Records(RecordFormat::ZeekLog, stream) => {
                zeek_logs.push((engine.next_evidence(), stream));
                engine.skip_evidence();
                continue;
            }
            EvidenceReader::Records(format, stream) => {
                let position = engine.next_evidence();
                engine.skip_evidence();
                summary_of(read_records(
                    format,
                    stream,
                    position,
                    &mut ViewSink(&mut view),
                ))
            }
        };
        skipped_records += report_problems(&summary);
    }
    if !zeek_logs.is_empty() {
        for summary in read_zeek_set(zeek_logs, &mut ViewSink(&mut view)) {
            skipped_records += report_problems(&summary_of(summary));
        }
    }
    let stats = engine.finish(&mut ViewSink(&mut view));
    if let Err(error) = view.finish()
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("ringfence: writing output: {error}");
        return exit::usage();
    }
    eprintln!(
        "ringfence: {} frames, {} connections, {} DNS answers; {} records skipped, {} inputs unreadable",
        stats.frames, stats.connections, stats.resolutions, skipped_records, unreadable_inputs
    );
    if stats.evicted_for_space > 0 {
        eprintln!(
            "ringfence: {} connections were written out early because more than {} were open at once",
            stats.evicted_for_space, args.max_flows
        );
    }
    if unreadable_inputs > 0 {
        exit::usage()
    } else if skipped_records > 0 {
        exit::skipped_input()
    } else {
        ExitCode::SUCCESS
    }
}
