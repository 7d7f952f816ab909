//! Which reader an evidence file needs, told by its content (never its name), and the log-style
//! readers run behind one call.
//!
//! Sniffing reads the first bytes into the input's own buffer without consuming them, so the
//! chosen reader sees (and hashes) the input from its first byte; standard input works the same
//! way. A gzip input is sniffed on its decompressed head.

use crate::capture::{CaptureError, CaptureReader, ObservationSink};
use crate::input::{EvidenceStream, Problems};
use crate::inventory;
use crate::logs::{self, LogOptions, eve, zeek};
use crate::netflow;
use crate::sysmon;
use flate2::bufread::MultiGzDecoder;
use ringfence_model::{Evidence, ReadProblem};
use std::io::{self, Read};

/// How much of an input is looked at to tell its format.
const SNIFF_BYTES: usize = 4096;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The evidence formats ringfence reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceFormat {
    /// A packet capture (pcap or pcapng) of ordinary traffic.
    Capture,
    /// Flow or log records, read by [`read_records`].
    Records(RecordFormat),
}

/// Record-oriented evidence formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordFormat {
    /// NetFlow v5/v9 or IPFIX exports: bare datagrams, or a capture holding them.
    Netflow,
    /// Suricata EVE JSON: one file joins its own events by `flow_id`.
    SuricataEve,
    /// Sysmon events: EVTX files, or JSON lines as NXLog, Winlogbeat or the OTRF datasets write
    /// them.
    Sysmon,
    /// Zeek logs: read as a set ([`read_zeek_set`]), since each log is its own file, joined by
    /// `uid`.
    ZeekLog,
    /// Software inventories: osquery results, CycloneDX, SPDX, registry exports, PowerShell
    /// program listings, the dpkg status file, `rpm -qa`.
    Inventory,
}

/// An input opened and sniffed, not yet read.
pub struct OpenedEvidence {
    pub label: String,
    pub format: EvidenceFormat,
    /// The bytes sniffed, handed to the reader before the rest: the reader buffers the input
    /// itself, so no buffer of ours stands between it and the file.
    head: Vec<u8>,
    rest: Box<dyn Read>,
}

/// What reading one non-capture evidence input gave, in the terms every caller reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceSummary {
    pub evidence: Evidence,
    /// Records read (flow records, log lines holding a record).
    pub records: u64,
    pub connections: u64,
    /// The first problems met, in input order.
    pub problems: Vec<ReadProblem>,
    pub problem_count: u64,
}

/// Opens `path` (`-` is standard input) and tells its format.
pub fn open_evidence(path: &str) -> Result<OpenedEvidence, CaptureError> {
    let io_error = |source| CaptureError::Io {
        path: path.to_owned(),
        source,
    };
    let mut rest: Box<dyn Read> = if path == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(io_error)?)
    };
    let head = read_head(&mut rest).map_err(io_error)?;
    Ok(OpenedEvidence {
        label: path.to_owned(),
        format: sniff(&head),
        head,
        rest,
    })
}

/// Tells the format of the file at `path` from its first few KiB only, for callers that plan
/// work before reading (the audit groups a run's Zeek logs); [`open_evidence`] sniffs the same
/// way on the buffer the reader then uses.
pub fn evidence_format(path: &str) -> io::Result<EvidenceFormat> {
    Ok(sniff(&read_head(&mut std::fs::File::open(path)?)?))
}

/// The first [`SNIFF_BYTES`] of the input (all of it when shorter).
fn read_head(input: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    input.take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Tells the format from the input's head.
fn sniff(head: &[u8]) -> EvidenceFormat {
    let mut decompressed = Vec::new();
    let head = if head.starts_with(&GZIP_MAGIC) {
        // A truncated or corrupt gzip head gives fewer bytes; the chosen reader reports it.
        let _ = MultiGzDecoder::new(head)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut decompressed);
        decompressed.as_slice()
    } else {
        head
    };
    if netflow::looks_like(head) {
        EvidenceFormat::Records(RecordFormat::Netflow)
    } else if eve::looks_like(head) {
        EvidenceFormat::Records(RecordFormat::SuricataEve)
    } else if sysmon::looks_like(head) {
        EvidenceFormat::Records(RecordFormat::Sysmon)
    } else if zeek::looks_like(head) {
        EvidenceFormat::Records(RecordFormat::ZeekLog)
    } else if inventory::looks_like(head) {
        EvidenceFormat::Records(RecordFormat::Inventory)
    } else {
        EvidenceFormat::Capture
    }
}

/// An input ready for its reader.
pub enum EvidenceReader {
    Capture(CaptureReader),
    /// A line- or record-oriented input and its format, read by [`read_records`].
    Records(RecordFormat, EvidenceStream),
}

impl OpenedEvidence {
    /// The reader the input's format needs.
    pub fn into_reader(self) -> Result<EvidenceReader, CaptureError> {
        let input = Box::new(io::Cursor::new(self.head).chain(self.rest));
        match self.format {
            EvidenceFormat::Capture => Ok(EvidenceReader::Capture(CaptureReader::from_reader(
                &self.label,
                input,
            )?)),
            EvidenceFormat::Records(format) => EvidenceStream::from_reader(&self.label, input)
                .map(|stream| EvidenceReader::Records(format, stream))
                .map_err(|source| CaptureError::Io {
                    path: self.label,
                    source,
                }),
        }
    }
}

/// Reads a record-oriented input to the end, sending its observations to `sink`. `evidence` is
/// the input's position in the run's list of evidence. A Zeek log read alone joins only the
/// names that come before their conn record in the same file; [`read_zeek_set`] joins across
/// files.
pub fn read_records(
    format: RecordFormat,
    stream: EvidenceStream,
    evidence: u32,
    sink: &mut dyn ObservationSink,
) -> EvidenceSummary {
    match format {
        RecordFormat::Netflow => {
            let o = netflow::read(stream, evidence, sink);
            summary(o.evidence, o.problems, o.records, o.connections)
        }
        RecordFormat::SuricataEve => log_summary(eve::read(stream, evidence, sink)),
        RecordFormat::Sysmon => {
            let o = sysmon::read(stream, evidence, sink);
            summary(o.evidence, o.problems, o.records, o.connections)
        }
        RecordFormat::ZeekLog => log_summary(zeek::read(stream, evidence, sink)),
        RecordFormat::Inventory => {
            let o = inventory::read(stream, evidence, sink);
            summary(o.evidence, o.problems, o.records, o.connections)
        }
    }
}

/// Reads the Zeek logs of a run together (names joined to connections by `uid` across files),
/// each with its position in the run's list of evidence. Summaries come in increasing position.
pub fn read_zeek_set(
    streams: Vec<(u32, EvidenceStream)>,
    sink: &mut dyn ObservationSink,
) -> Vec<EvidenceSummary> {
    zeek::read_numbered_set(streams, sink, LogOptions::default())
        .into_iter()
        .map(log_summary)
        .collect()
}

fn log_summary(o: logs::ReadOutcome) -> EvidenceSummary {
    summary(o.evidence, o.problems, o.records, o.connections)
}

/// The terms every caller reports a reader's outcome in.
fn summary(
    evidence: Evidence,
    problems: Problems,
    records: u64,
    connections: u64,
) -> EvidenceSummary {
    EvidenceSummary {
        evidence,
        records,
        connections,
        problems: problems.kept,
        problem_count: problems.count,
    }
}
