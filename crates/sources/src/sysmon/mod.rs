//! Sysmon events → connections with the process that made them, DNS resolutions, and the
//! processes seen starting.
//!
//! # Inputs
//! - **EVTX** files (`Microsoft-Windows-Sysmon%4Operational.evtx`), streamed chunk by chunk
//!   ([`evtx`](self::evtx) module: intact chunks are read from their records' template
//!   substitutions (`chunk`, `template`, `binxml`), others rendered by the `evtx` crate).
//! - **JSON lines** of Windows events as NXLog, the OTRF Security-Datasets and Winlogbeat write
//!   them ([`json`] module). Mixed exports are fine: events of other channels (Security,
//!   PowerShell, …) are counted and skipped.
//!
//! # Observations
//! - Event 3 (NetworkConnect) → a `Connection` carrying its `LocalProcess` (Computer, Image,
//!   ProcessId, User), stamped with `UtcTime` as first and last seen, with no packet or byte
//!   counts (Sysmon has none) and its Community ID. See `event` for how the 5-tuple is oriented.
//! - Event 22 (DnsQuery) → a `Resolution` (query, CNAME chain, addresses; TTL 0, unknown), and
//!   the answer is joined to the connections of the same process (`dns_join`).
//! - Event 1 (ProcessCreate) → an `Installation` of source `RunningProcess`.
//! - Other events are counted, not reported as problems.
//!
//! Every observation's evidence reference holds the event's 1-based number in the input (EVTX
//! records in read order; JSON lines by line number) and its byte offset (the EVTX record's
//! offset in the file; the line's offset).
//!
//! # Bounds
//! One EVTX chunk (64 KiB) or one line (at most `max_line`) is held at a time, with the two
//! tables of the DNS join (`max_answer_keys` process/address pairs, `max_pending` connections
//! waiting for late answers), whatever the input size.

mod binxml;
mod chunk;
mod dns_join;
mod event;
mod evtx;
mod fields;
mod json;
mod observe;
mod query_results;
mod template;

pub use dns_join::JoinStats;
pub use observe::SysmonCounts;

use crate::capture::ObservationSink;
use crate::input::{EvidenceStream, MAX_KEPT_PROBLEMS, Problems};
use observe::Observer;
use ringfence_model::{Evidence, EvidenceKind};

/// Bounds on what the reader holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysmonOptions {
    /// (process, address) pairs whose DNS answers are remembered for the join.
    pub max_answer_keys: usize,
    /// Connections waiting for DNS answers logged after them.
    pub max_pending: usize,
    /// The longest JSON line read; a longer one is a problem and is skipped.
    pub max_line: usize,
}

impl Default for SysmonOptions {
    fn default() -> Self {
        SysmonOptions {
            max_answer_keys: 65_536,
            max_pending: 65_536,
            max_line: 4 << 20,
        }
    }
}

/// The two forms Sysmon evidence comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysmonForm {
    Evtx,
    JsonLines,
}

/// What reading one input gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysmonOutcome {
    pub evidence: Evidence,
    pub problems: Problems,
    pub form: Option<SysmonForm>,
    pub counts: SysmonCounts,
    /// Events read (EVTX records, JSON lines holding an object).
    pub records: u64,
    pub connections: u64,
}

/// The form the first bytes (up to 4 KiB, decompressed) show, if they are Sysmon evidence.
pub fn form_of(head: &[u8]) -> Option<SysmonForm> {
    if evtx::looks_like(head) {
        Some(SysmonForm::Evtx)
    } else if json::looks_like(head) {
        Some(SysmonForm::JsonLines)
    } else {
        None
    }
}

/// True when the first bytes (up to 4 KiB, decompressed) look like an EVTX file or a JSON line
/// of a Windows event.
pub fn looks_like(head: &[u8]) -> bool {
    form_of(head).is_some()
}

/// Reads one evidence stream to the end with default bounds, sending observations to `sink`.
pub fn read(
    stream: EvidenceStream,
    evidence: u32,
    sink: &mut dyn ObservationSink,
) -> SysmonOutcome {
    read_with(stream, evidence, sink, SysmonOptions::default())
}

/// [`read`] with explicit bounds.
pub fn read_with(
    mut stream: EvidenceStream,
    evidence: u32,
    sink: &mut dyn ObservationSink,
    options: SysmonOptions,
) -> SysmonOutcome {
    let mut problems = Problems::new(stream.label());
    let form = match stream.reader().fill_buf() {
        Ok(head) => form_of(head.get(..4096).unwrap_or(head)),
        Err(error) => {
            problems.note(0, format!("read error: {error}"));
            None
        }
    };
    let mut observer = Observer::new(evidence, sink, options);
    match form {
        Some(SysmonForm::Evtx) => evtx::read(&mut stream, &mut observer, &mut problems),
        Some(SysmonForm::JsonLines) => {
            json::read(&mut stream, options.max_line, &mut observer, &mut problems)
        }
        None if stream.reader().fill_buf().is_ok_and(|head| head.is_empty()) => {}
        None => problems.note(0, "neither an EVTX file nor JSON lines of Windows events"),
    }
    let counts = observer.finish();
    let (evidence, at_end) = stream.finish(EvidenceKind::Sysmon);
    problems.count = problems.count.saturating_add(at_end.count);
    problems.kept.extend(at_end.kept);
    problems.kept.sort_by_key(|p| p.offset);
    problems.kept.truncate(MAX_KEPT_PROBLEMS);
    SysmonOutcome {
        evidence,
        problems,
        form,
        counts,
        records: counts.records,
        connections: counts.connections,
    }
}
