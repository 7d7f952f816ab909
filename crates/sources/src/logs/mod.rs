//! Network-monitor logs → the same observations the capture engine makes: Zeek's conn, dns, ssl,
//! http and quic logs ([`zeek`]) and Suricata's EVE JSON ([`eve`]).
//!
//! # Joining
//!
//! Both tools write one record per connection (Zeek `conn`, EVE `flow`) and separate records for
//! what the application layer showed (TLS and QUIC server names, HTTP hosts, DNS answers), tied to
//! the connection by an identifier (Zeek `uid`, Suricata `flow_id`). A connection record becomes
//! a [`Connection`](ringfence_model::Connection) carrying:
//!
//! - the names of the application records with its identifier read **before** it (SNI, QUIC SNI,
//!   HTTP Host, HTTP CONNECT target). They wait in a bounded table (`LogOptions::max_pending`
//!   identifiers; when full, the identifier waiting longest is dropped, counted, and reported as
//!   a problem). Suricata writes a flow's application events before its flow event (the flow
//!   event is written when the flow ends), so one pass over an EVE file joins them, and
//!   [`eve::read_set`] reads a log's rotated parts in time order with one table. Zeek writes
//!   each log to its own file, so [`zeek::read_set`] reads the files without connection records
//!   first and the conn logs last; [`zeek::read`] reads one file alone.
//! - the names DNS answers gave for its responder's address at or before its first packet
//!   (`NameSource::Dns`, with the CNAME chain), as the capture engine labels connections. Logs
//!   write a connection when it ends, after later answers, so each name labels the connections
//!   from its first answer to a day after its last. Each answer is also sent on as a
//!   [`Resolution`](ringfence_model::Resolution).
//!
//! Names are normalised as the capture engine normalises them (lower case, no trailing dot, no
//! port on an HTTP authority), so a log's connection and a capture's connection of the same flow
//! carry the same names; [`matching`] pairs them by Community ID.
//!
//! # Reading
//!
//! Lines are streamed with bounded memory: a line longer than `LogOptions::max_line` is a problem
//! and is skipped without being held. Besides the line, a reader holds only the two bounded
//! tables (names waiting, `LogOptions::max_pending` identifiers; DNS answers,
//! `LogOptions::max_dns_addresses` addresses of at most 8 names each), whatever the input size.
//! A record that cannot be read (wrong field count, bad address, invalid JSON, absurd number) is
//! a problem naming the byte offset of its line; the rest of the input is still read. Records of
//! other kinds (other Zeek logs, other EVE event types) and connections of other transports
//! (ICMP, …) are counted, not reported as problems.

pub mod eve;
pub mod matching;
pub mod zeek;

pub(crate) mod address;
mod answers;
mod join;
pub(crate) mod lines;
mod pending;
mod scan;
#[cfg(test)]
mod scan_variants;
pub(crate) mod time;

use crate::input::{EvidenceStream, MAX_KEPT_PROBLEMS, Problems};
use lines::{Line, LinePosition};
use ringfence_model::{Evidence, EvidenceKind};

/// Bounds on what a log reader holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogOptions {
    /// Identifiers (Zeek uids, EVE flow ids) whose names wait for their connection record.
    pub max_pending: usize,
    /// Addresses whose DNS names are remembered to label later connections.
    pub max_dns_addresses: usize,
    /// The longest line read; a longer one is a problem and is skipped.
    pub max_line: usize,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            max_pending: 262_144,
            max_dns_addresses: 262_144,
            max_line: 1 << 20,
        }
    }
}

/// What reading one log file gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOutcome {
    pub evidence: Evidence,
    pub problems: Problems,
    /// Lines holding a record (headers, comments and blank lines are not records).
    pub records: u64,
    pub connections: u64,
    pub resolutions: u64,
    /// Names learned from application records (server names, HTTP hosts).
    pub names: u64,
    /// Records of other kinds: other Zeek logs, other EVE event types.
    pub other_records: u64,
    /// Connection records of other transports than TCP and UDP (ICMP, …).
    pub other_transports: u64,
    /// Identifiers whose names never met their connection record (no conn log or flow event for
    /// them was read).
    pub unjoined: u64,
    /// Identifiers whose names were dropped because the table of waiting names was full.
    pub dropped: u64,
}

/// The reading of one stream in progress: its problems and counts.
struct Reading {
    problems: Problems,
    counts: Counts,
}

#[derive(Default)]
struct Counts {
    records: u64,
    connections: u64,
    resolutions: u64,
    names: u64,
    other_records: u64,
    other_transports: u64,
}

impl Reading {
    fn new(stream: &EvidenceStream) -> Reading {
        Reading {
            problems: Problems::new(stream.label()),
            counts: Counts::default(),
        }
    }

    /// Notes a record that could not be read.
    fn bad_record(&mut self, at: LinePosition, reason: impl std::fmt::Display) {
        self.problems
            .note(at.offset, format!("line {}: {reason}", at.number));
    }

    /// Reads `stream` line by line, handing each line that fits to `each`.
    fn lines(
        &mut self,
        stream: &mut EvidenceStream,
        max_line: usize,
        mut each: impl FnMut(&mut Reading, LinePosition, &[u8]),
    ) {
        let result = lines::for_each_line(stream.reader(), max_line, |at, line| match line {
            Line::Text(text) => each(self, at, text),
            Line::TooLong { length } => self.bad_record(
                at,
                format!("{length} bytes, longer than the {max_line}-byte line limit: skipped"),
            ),
        });
        if let Err((offset, error)) = result {
            self.problems.note(
                offset,
                format!("read error: {error}; the rest of the input was not read"),
            );
        }
    }

    fn finish(
        self,
        stream: EvidenceStream,
        kind: EvidenceKind,
        unjoined: u64,
        dropped: u64,
    ) -> ReadOutcome {
        let (evidence, at_end) = stream.finish(kind);
        let mut problems = self.problems;
        problems.count = problems.count.saturating_add(at_end.count);
        problems.kept.extend(at_end.kept);
        problems.kept.sort_by_key(|p| p.offset);
        problems.kept.truncate(MAX_KEPT_PROBLEMS);
        let counts = self.counts;
        ReadOutcome {
            evidence,
            problems,
            records: counts.records,
            connections: counts.connections,
            resolutions: counts.resolutions,
            names: counts.names,
            other_records: counts.other_records,
            other_transports: counts.other_transports,
            unjoined,
            dropped,
        }
    }
}

/// The Community ID a log wrote, when it looks like one (version 1, base64 of a SHA-1); else the
/// one ringfence computes.
fn community_id_or_computed(written: Option<&str>, key: &ringfence_model::FlowKey) -> String {
    match written {
        Some(id)
            if id.len() == 30
                && id.starts_with("1:")
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=:".contains(&b)) =>
        {
            id.to_owned()
        }
        _ => crate::capture::community_id(key),
    }
}

/// Notes, once per stream, that the table of names waiting for their connection is full.
fn note_first_drop(reading: &mut Reading, at: LinePosition, capacity: usize) {
    reading.bad_record(
        at,
        format!(
            "{capacity} connections already have names waiting for their connection record: \
             the names of the oldest are dropped (counted in the outcome)"
        ),
    );
}

/// The first line of `head` (or all of it when it has no newline), without a UTF-8 BOM.
pub(crate) fn first_line(head: &[u8]) -> &[u8] {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let end = memchr::memchr(b'\n', head).unwrap_or(head.len());
    head.get(..end).unwrap_or(head)
}
