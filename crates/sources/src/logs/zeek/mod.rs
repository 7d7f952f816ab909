//! Zeek logs → connections, names and DNS resolutions.
//!
//! - **conn** → a [`Connection`] per TCP or UDP record: `id.*` the oriented tuple, `ts` first
//!   seen, `ts + duration` last seen, `orig_pkts`/`resp_pkts` the packets, `orig_ip_bytes`/
//!   `resp_ip_bytes` the bytes (IP headers included, as the capture engine counts them),
//!   `orig_bytes`/`resp_bytes` the payload bytes, `conn_state` the TCP state (table at
//!   `record::tcp_state`), `community_id` when the log has it (else computed). The evidence
//!   reference is the conn.log line. Other transports are counted, not reported.
//! - **ssl** `server_name` → `Sni` (`QuicSni` on a UDP connection: Zeek writes QUIC's TLS
//!   handshake to ssl.log too; DTLS stays `Sni`), **quic** `server_name` → `QuicSni`, **http**
//!   `host` → `HttpHost` and the `uri` of a `CONNECT` → `HttpConnect`: names for the connection
//!   with the same `uid`, attached when its conn record is read.
//! - **dns** answers to A/AAAA questions → a [`Resolution`](ringfence_model::Resolution) (the names
//!   among the answers are the CNAME chain, the smallest of `TTLs` the TTL, `ts + rtt` the time),
//!   and `Dns` names for later connections to those addresses.
//! - other logs are counted and skipped.
//!
//! Zeek writes each log to its own file, and a directory listing puts conn.log first. So
//! [`read_set`] reads every file that holds no conn records first (dns, ssl, http, quic, …), then
//! the conn logs, keeping the names waiting for their connection in one bounded table across the
//! files. [`read`] reads one file alone: names join only connections later in the same file.

mod field;
mod json;
mod json_scan;
mod loose;
mod record;
mod tsv;
mod uid;

use super::answers::Answered;
use super::join::DnsNames;
use super::lines::LinePosition;
use super::pending::PendingNames;
use super::{LogOptions, ReadOutcome, Reading, community_id_or_computed, first_line};
use crate::capture::ObservationSink;
use crate::input::EvidenceStream;
use record::{LogPath, Record};
use ringfence_model::{Connection, EvidenceKind, EvidenceRef, Timestamp};
use tsv::{TsvLine, TsvState};
use uid::Uid;

/// True when the first bytes look like a Zeek log: a TSV header block (`#separator`), or a JSON
/// object with Zeek's `ts` and `uid` or `id.orig_h` keys.
pub fn looks_like(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    for line in head.split(|&b| b == b'\n') {
        if line.starts_with(b"#separator ") {
            return true;
        }
        if !line.starts_with(b"#") {
            break;
        }
    }
    let line = first_line(head);
    let has = |key: &[u8]| memchr::memmem::find(line, key).is_some();
    line.starts_with(b"{")
        && has(b"\"ts\":")
        && (has(b"\"uid\":") || has(b"\"id.orig_h\":") || has(b"\"_path\":"))
        && !has(b"\"event_type\":")
}

/// Reads one Zeek log file (TSV or JSON, any log) to the end.
pub fn read(stream: EvidenceStream, evidence: u32, sink: &mut dyn ObservationSink) -> ReadOutcome {
    let mut join = ZeekJoin::new(LogOptions::default());
    let mut stream = stream;
    let reading = join.read_stream(&mut stream, evidence, sink);
    let unjoined = join.pending.waiting_by_evidence();
    join.outcome(reading, stream, evidence, &unjoined)
}

/// Reads the Zeek logs of one capture point (conn.log, dns.log, ssl.log, …, in any order), the
/// files without conn records first, so that every connection gets the names the other logs
/// give it. Evidence numbers are `first_evidence`, `first_evidence + 1`, … in the given order, and
/// so are the outcomes.
pub fn read_set(
    streams: Vec<EvidenceStream>,
    first_evidence: u32,
    sink: &mut dyn ObservationSink,
) -> Vec<ReadOutcome> {
    read_set_with(streams, first_evidence, sink, LogOptions::default())
}

/// [`read_set`] with other bounds.
pub fn read_set_with(
    streams: Vec<EvidenceStream>,
    first_evidence: u32,
    sink: &mut dyn ObservationSink,
    options: LogOptions,
) -> Vec<ReadOutcome> {
    let numbered = streams
        .into_iter()
        .enumerate()
        .map(|(i, stream)| {
            let evidence = first_evidence.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
            (evidence, stream)
        })
        .collect();
    read_numbered_set(numbered, sink, options)
}

/// [`read_set_with`] for files whose evidence numbers the caller gives (the files' positions in
/// a run's list of evidence that mixes formats). Outcomes come in increasing evidence number.
pub fn read_numbered_set(
    streams: Vec<(u32, EvidenceStream)>,
    sink: &mut dyn ObservationSink,
    options: LogOptions,
) -> Vec<ReadOutcome> {
    let mut numbered: Vec<(u32, bool, EvidenceStream)> = streams
        .into_iter()
        .map(|(evidence, mut stream)| {
            let conn = holds_connections(&mut stream);
            (evidence, conn, stream)
        })
        .collect();
    // A stable sort: the logs without connections first, each group in the given order.
    numbered.sort_by_key(|(_, conn, _)| *conn);
    let mut join = ZeekJoin::new(options);
    let mut read: Vec<(u32, Reading, EvidenceStream)> = Vec::with_capacity(numbered.len());
    for (evidence, _, mut stream) in numbered {
        let reading = join.read_stream(&mut stream, evidence, sink);
        read.push((evidence, reading, stream));
    }
    read.sort_by_key(|(evidence, _, _)| *evidence);
    let unjoined = join.pending.waiting_by_evidence();
    read.into_iter()
        .map(|(evidence, reading, stream)| join.outcome(reading, stream, evidence, &unjoined))
        .collect()
}

/// Whether a stream's first bytes show conn records (`#path conn`, a JSON conn record, or, when
/// the head says nothing, a file named conn…).
fn holds_connections(stream: &mut EvidenceStream) -> bool {
    let hint = LogPath::from_file_name(stream.label());
    let Ok(head) = stream.reader().fill_buf() else {
        return hint == LogPath::Conn;
    };
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(b"#path") {
            return rest.len() <= 12 && rest.ends_with(b"conn");
        }
        if line.starts_with(b"{") {
            return json::path_of_line(line, hint) == Some(LogPath::Conn);
        }
    }
    hint == LogPath::Conn
}

/// What is kept across the files of a set: names waiting for their connection, DNS answers.
struct ZeekJoin {
    options: LogOptions,
    pending: PendingNames<Uid>,
    dns: DnsNames,
}

impl ZeekJoin {
    fn new(options: LogOptions) -> ZeekJoin {
        ZeekJoin {
            options,
            pending: PendingNames::new(options.max_pending),
            dns: DnsNames::new(options.max_dns_addresses),
        }
    }

    fn read_stream(
        &mut self,
        stream: &mut EvidenceStream,
        evidence: u32,
        sink: &mut dyn ObservationSink,
    ) -> Reading {
        let hint = LogPath::from_file_name(stream.label());
        let mut tsv = TsvState::new(hint);
        let mut keys = json_scan::KeyOrder::default();
        let mut reading = Reading::new(stream);
        reading.lines(stream, self.options.max_line, |reading, at, line| {
            let is_record = !line.is_empty() && !line.starts_with(b"#");
            let parsed = if line.starts_with(b"{") && !tsv.has_columns() {
                json::record(line, hint, &mut keys).map(Some)
            } else {
                tsv.line(line).map(|parsed| match parsed {
                    TsvLine::Header => None,
                    TsvLine::Record(record) => Some(record),
                })
            };
            if is_record {
                reading.counts.records += 1;
            }
            match parsed {
                Ok(Some(record)) => self.apply(record, reading, at, evidence, sink),
                Ok(None) => {}
                Err(reason) => reading.bad_record(at, reason),
            }
        });
        reading
    }

    fn apply(
        &mut self,
        record: Record<'_>,
        reading: &mut Reading,
        at: LinePosition,
        evidence: u32,
        sink: &mut dyn ObservationSink,
    ) {
        let reference = EvidenceRef {
            evidence,
            record: at.number,
            offset: at.offset,
        };
        match record {
            Record::Conn(conn) => {
                let first_seen = Timestamp::from_nanos(conn.ts);
                let last_seen = Timestamp::from_nanos(
                    conn.ts.saturating_add(conn.duration.unwrap_or(0).max(0)),
                );
                let waiting = conn
                    .uid
                    .as_deref()
                    .map(|uid| self.pending.take(&Uid::new(uid)))
                    .unwrap_or_default();
                let names = self.dns.connection_names(
                    conn.key.resp_addr,
                    first_seen,
                    conn.key.transport,
                    waiting,
                );
                reading.counts.connections += 1;
                sink.connection(Connection {
                    community_id: community_id_or_computed(conn.community_id.as_deref(), &conn.key),
                    key: conn.key,
                    first_seen,
                    last_seen,
                    orig_packets: conn.orig_pkts,
                    orig_bytes: conn.orig_ip_bytes,
                    orig_payload_bytes: conn.orig_bytes,
                    resp_packets: conn.resp_pkts,
                    resp_bytes: conn.resp_ip_bytes,
                    resp_payload_bytes: conn.resp_bytes,
                    tcp_state: conn.tcp_state,
                    names,
                    alpn: Vec::new(),
                    ja4: None,
                    http: Vec::new(),
                    tunnels: Vec::new(),
                    split: false,
                    process: None,
                    evidence: reference,
                });
            }
            Record::OtherTransport => reading.counts.other_transports += 1,
            Record::Dns(dns) => {
                let answered = Answered {
                    query: &dns.query,
                    time: Timestamp::from_nanos(dns.answered),
                    evidence: reference,
                };
                if let Some(resolution) =
                    answered.resolve_flat(dns.answers.iter().map(|a| &**a), dns.min_ttl)
                {
                    self.dns.learn(&resolution);
                    reading.counts.resolutions += 1;
                    sink.resolution(resolution);
                }
            }
            Record::NoAnswer => {}
            Record::Names { uid, names } => {
                let dropped = self.pending.dropped_for(evidence);
                let uid = Uid::new(&uid);
                for (name, kind) in names {
                    if self.pending.add(&uid, &name, kind, evidence) {
                        reading.counts.names += 1;
                    }
                }
                if dropped == 0 && self.pending.dropped_for(evidence) > 0 {
                    super::note_first_drop(reading, at, self.options.max_pending);
                }
            }
            Record::Other => reading.counts.other_records += 1,
        }
    }

    fn outcome(
        &self,
        reading: Reading,
        stream: EvidenceStream,
        evidence: u32,
        unjoined: &foldhash::HashMap<u32, u64>,
    ) -> ReadOutcome {
        let unjoined = unjoined.get(&evidence).copied().unwrap_or(0);
        let dropped = self.pending.dropped_for(evidence);
        reading.finish(stream, EvidenceKind::ZeekLog, unjoined, dropped)
    }
}
