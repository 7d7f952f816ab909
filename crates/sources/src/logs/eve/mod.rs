//! Suricata EVE JSON → connections, names and DNS resolutions.
//!
//! - `flow` events → a [`Connection`] per TCP or UDP flow: `src_*` the originator, `dest_*` the
//!   responder, `flow.start`/`flow.end` first and last seen, `pkts_toserver`/`pkts_toclient`
//!   the packets, `bytes_toserver`/`bytes_toclient` the bytes — Suricata counts whole packets as
//!   captured, link-layer header included (14 bytes more per packet than ringfence's IP bytes on
//!   Ethernet) — and no payload byte counts (EVE has none: they are 0). The TCP state comes from
//!   `tcp.tcp_flags_ts`/`tcp_flags_tc`, read as the capture engine reads the flags it sees.
//!   `community_id` when the event has it, else computed. The evidence reference is the flow
//!   event's line. Other transports are counted, not reported.
//! - `tls` `sni` → `Sni`, `quic` `sni` → `QuicSni`, `http` `hostname` → `HttpHost` and the `url`
//!   of a `CONNECT` → `HttpConnect` (see `connect_target`): names for the flow with the same
//!   `flow_id`. Suricata writes them before the flow event (written when the flow ends); they
//!   wait in a bounded table.
//! - `dns` responses → a [`Resolution`](ringfence_model::Resolution) per answered question (v1
//!   per-record events, v2 and v3 `answers` or `grouped`), and `Dns` names for later flows to
//!   those addresses.
//! - other event types (alert, fileinfo, stats, …) are counted and skipped.

mod dns;
mod event;
mod event_scan;

use super::address::parse_address;
use super::answers::Answered;
use super::join::{AppName, DnsNames};
use super::lines::LinePosition;
use super::pending::PendingNames;
use super::time::iso8601;
use super::{LogOptions, ReadOutcome, Reading, community_id_or_computed, first_line};
use crate::capture::ObservationSink;
use crate::input::EvidenceStream;
use dns::V1Response;
use event::{Event, EventType};
use ringfence_model::{
    Connection, EvidenceKind, EvidenceRef, FlowKey, TcpState, Timestamp, Transport,
};
use std::net::IpAddr;

/// True when the first line is a JSON object with EVE's `event_type` and `timestamp`.
pub fn looks_like(head: &[u8]) -> bool {
    let line = first_line(head);
    let has = |key: &[u8]| memchr::memmem::find(line, key).is_some();
    line.starts_with(b"{") && has(b"\"event_type\":") && has(b"\"timestamp\":")
}

/// Reads one EVE file to the end.
pub fn read(stream: EvidenceStream, evidence: u32, sink: &mut dyn ObservationSink) -> ReadOutcome {
    let mut eve = EveReader::new(LogOptions::default(), evidence);
    let mut stream = stream;
    let reading = eve.read_stream(&mut stream, sink);
    let unjoined = eve.pending.waiting_by_evidence();
    eve.outcome(reading, stream, evidence, &unjoined)
}

/// Reads the EVE files of one sensor (a log and its rotated parts, in any order) with one join
/// state, so a flow whose application events and flow event landed in different files still gets
/// its names. The files are read in the order of their first event's timestamp (logrotate's
/// `eve.json.1` is older than `eve.json`); evidence numbers and outcomes follow the given order.
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
    let mut numbered: Vec<(u32, Option<Timestamp>, EvidenceStream)> = streams
        .into_iter()
        .enumerate()
        .map(|(i, mut stream)| {
            let evidence = first_evidence.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
            let first = first_timestamp(&mut stream);
            (evidence, first, stream)
        })
        .collect();
    // A stable sort: files whose first event has no readable time keep their place up front.
    numbered.sort_by_key(|(_, first, _)| *first);
    let mut eve = EveReader::new(options, first_evidence);
    let mut read: Vec<(u32, Reading, EvidenceStream)> = Vec::with_capacity(numbered.len());
    for (evidence, _, mut stream) in numbered {
        eve.evidence = evidence;
        let reading = eve.read_stream(&mut stream, sink);
        read.push((evidence, reading, stream));
    }
    read.sort_by_key(|(evidence, _, _)| *evidence);
    let unjoined = eve.pending.waiting_by_evidence();
    read.into_iter()
        .map(|(evidence, reading, stream)| eve.outcome(reading, stream, evidence, &unjoined))
        .collect()
}

/// The time of a stream's first event, from the bytes already buffered.
fn first_timestamp(stream: &mut EvidenceStream) -> Option<Timestamp> {
    let head = stream.reader().fill_buf().ok()?;
    let line = std::str::from_utf8(first_line(head)).ok()?;
    let event = read_event(line).ok()?;
    iso8601(event.timestamp?.as_bytes())
}

/// Reads an event with the scanner when it is sure of the line (`event_scan`), else with
/// serde_json; the event is the same either way.
fn read_event(line: &str) -> Result<Event<'_>, serde_json::Error> {
    match event_scan::event(line) {
        Some(event) => Ok(event),
        None => serde_json::from_str(line),
    }
}

const READ_TYPES: [&str; 5] = ["flow", "dns", "tls", "http", "quic"];

struct EveReader {
    options: LogOptions,
    evidence: u32,
    pending: PendingNames<u64>,
    dns: DnsNames,
    /// The v1 DNS response being gathered.
    v1: Option<V1Response>,
}

impl EveReader {
    fn new(options: LogOptions, evidence: u32) -> EveReader {
        EveReader {
            options,
            evidence,
            pending: PendingNames::new(options.max_pending),
            dns: DnsNames::new(options.max_dns_addresses),
            v1: None,
        }
    }

    fn outcome(
        &self,
        reading: Reading,
        stream: EvidenceStream,
        evidence: u32,
        unjoined: &foldhash::HashMap<u32, u64>,
    ) -> ReadOutcome {
        let waiting = unjoined.get(&evidence).copied().unwrap_or(0);
        let dropped = self.pending.dropped_for(evidence);
        reading.finish(stream, EvidenceKind::SuricataEve, waiting, dropped)
    }

    fn read_stream(
        &mut self,
        stream: &mut EvidenceStream,
        sink: &mut dyn ObservationSink,
    ) -> Reading {
        let mut reading = Reading::new(stream);
        reading.lines(stream, self.options.max_line, |reading, at, line| {
            if line.iter().all(u8::is_ascii_whitespace) {
                return;
            }
            reading.counts.records += 1;
            // JSON is UTF-8 (RFC 8259): checked once for the whole line, not string by string
            // (simdutf8: the same verdict as the standard library's check, several times faster).
            let Ok(line) = simdutf8::basic::from_utf8(line) else {
                self.flush_v1(reading, sink);
                reading.bad_record(at, "invalid EVE event: not UTF-8");
                return;
            };
            match read_event(line) {
                Ok(event) => self.event(event, reading, at, sink),
                Err(error) => {
                    self.flush_v1(reading, sink);
                    // A broken event of a kind ringfence does not read is not a problem.
                    match serde_json::from_str::<EventType<'_>>(line) {
                        Ok(EventType {
                            event_type: Some(kind),
                        }) if !READ_TYPES.contains(&&*kind) => reading.counts.other_records += 1,
                        _ => reading.bad_record(at, format!("invalid EVE event: {error}")),
                    }
                }
            }
        });
        // A v1 response does not continue into the next file.
        self.flush_v1(&mut reading, sink);
        reading
    }

    fn event(
        &mut self,
        event: Event<'_>,
        reading: &mut Reading,
        at: LinePosition,
        sink: &mut dyn ObservationSink,
    ) {
        let reference = EvidenceRef {
            evidence: self.evidence,
            record: at.number,
            offset: at.offset,
        };
        let continues_v1 = event.dns.as_ref().is_some_and(|dns| {
            dns::is_v1_answer(dns)
                && self
                    .v1
                    .as_ref()
                    .is_some_and(|v1| v1.key == (event.flow_id, dns.id))
        });
        if !continues_v1 {
            self.flush_v1(reading, sink);
        }
        match event.event_type.as_deref() {
            Some("flow") => match self.connection(&event, reference) {
                Ok(Some(connection)) => {
                    reading.counts.connections += 1;
                    sink.connection(connection);
                }
                Ok(None) => reading.counts.other_transports += 1,
                Err(reason) => reading.bad_record(at, reason),
            },
            Some("dns") => self.dns(&event, reference, reading, sink),
            Some("tls") => {
                let sni = event.tls.as_ref().and_then(|t| t.sni.as_deref());
                self.name(event.flow_id, &[(sni, AppName::Tls)], reading, at);
            }
            Some("quic") => {
                let sni = event.quic.as_ref().and_then(|q| q.sni.as_deref());
                self.name(event.flow_id, &[(sni, AppName::Quic)], reading, at);
            }
            Some("http") => {
                let http = event.http.as_ref();
                let host = http.and_then(|h| h.hostname.as_deref());
                let connect = http.and_then(connect_target);
                self.name(
                    event.flow_id,
                    &[(host, AppName::HttpHost), (connect, AppName::HttpConnect)],
                    reading,
                    at,
                );
            }
            _ => reading.counts.other_records += 1,
        }
    }

    fn connection(
        &mut self,
        event: &Event<'_>,
        reference: EvidenceRef,
    ) -> Result<Option<Connection>, String> {
        let transport = match event.proto.as_deref() {
            Some(p) if p.eq_ignore_ascii_case("tcp") => Transport::Tcp,
            Some(p) if p.eq_ignore_ascii_case("udp") => Transport::Udp,
            Some(_) => return Ok(None),
            None => return Err("flow event without proto".into()),
        };
        let address = |value: Option<&str>, name: &str| -> Result<IpAddr, String> {
            value
                .and_then(|v| parse_address(v.as_bytes()))
                .ok_or_else(|| format!("{name} is not an address: {value:?}"))
        };
        let port =
            |value: Option<u16>, name: &str| value.ok_or_else(|| format!("{name} is missing"));
        let key = FlowKey {
            transport,
            orig_addr: address(event.src_ip.as_deref(), "src_ip")?,
            orig_port: port(event.src_port, "src_port")?,
            resp_addr: address(event.dest_ip.as_deref(), "dest_ip")?,
            resp_port: port(event.dest_port, "dest_port")?,
        };
        let flow = event.flow.as_ref().ok_or("flow event without flow")?;
        let time = |value: Option<&str>, name: &str| {
            value
                .and_then(|v| iso8601(v.as_bytes()))
                .ok_or_else(|| format!("flow.{name} is not a time: {value:?}"))
        };
        let first_seen = time(flow.start.as_deref(), "start")?;
        let last_seen = match flow.end.as_deref() {
            Some(_) => time(flow.end.as_deref(), "end")?,
            None => first_seen,
        };
        let tcp_state = match transport {
            Transport::Tcp => event.tcp.as_ref().and_then(|tcp| {
                Some(tcp_state(
                    flags(tcp.tcp_flags_ts.as_deref())?,
                    flags(tcp.tcp_flags_tc.as_deref())?,
                ))
            }),
            Transport::Udp => None,
        };
        let waiting = event
            .flow_id
            .map(|id| self.pending.take(&id))
            .unwrap_or_default();
        let names = self
            .dns
            .connection_names(key.resp_addr, first_seen, transport, waiting);
        Ok(Some(Connection {
            community_id: community_id_or_computed(event.community_id.as_deref(), &key),
            key,
            first_seen,
            last_seen,
            orig_packets: flow.pkts_toserver,
            orig_bytes: flow.bytes_toserver,
            orig_payload_bytes: 0,
            resp_packets: flow.pkts_toclient,
            resp_bytes: flow.bytes_toclient,
            resp_payload_bytes: 0,
            tcp_state,
            names,
            alpn: Vec::new(),
            ja4: None,
            http: Vec::new(),
            tunnels: Vec::new(),
            split: false,
            process: None,
            evidence: reference,
        }))
    }

    fn dns(
        &mut self,
        event: &Event<'_>,
        reference: EvidenceRef,
        reading: &mut Reading,
        sink: &mut dyn ObservationSink,
    ) {
        let Some(dns) = &event.dns else { return };
        if !dns::is_response(dns) {
            return;
        }
        let Some(time) = event
            .timestamp
            .as_deref()
            .and_then(|t| iso8601(t.as_bytes()))
        else {
            reading.bad_record(
                LinePosition {
                    number: reference.record,
                    offset: reference.offset,
                },
                format!("timestamp is not a time: {:?}", event.timestamp),
            );
            return;
        };
        if dns::is_v1_answer(dns) {
            let v1 = self.v1.get_or_insert_with(|| V1Response {
                key: (event.flow_id, dns.id),
                time,
                evidence: reference,
                records: Vec::new(),
            });
            v1.add(dns);
            return;
        }
        let Some(query) = dns::query(dns) else { return };
        let records = dns::records(dns, query);
        let answered = Answered {
            query,
            time,
            evidence: reference,
        };
        if let Some(resolution) = answered.resolve_records(&records) {
            self.resolved(resolution, reading, sink);
        }
    }

    /// Reads the v1 response gathered so far.
    fn flush_v1(&mut self, reading: &mut Reading, sink: &mut dyn ObservationSink) {
        let Some(v1) = self.v1.take() else { return };
        let Some(query) = v1.query() else { return };
        let answered = Answered {
            query,
            time: v1.time,
            evidence: v1.evidence,
        };
        if let Some(resolution) = answered.resolve_records(&v1.records) {
            self.resolved(resolution, reading, sink);
        }
    }

    fn resolved(
        &mut self,
        resolution: ringfence_model::Resolution,
        reading: &mut Reading,
        sink: &mut dyn ObservationSink,
    ) {
        self.dns.learn(&resolution);
        reading.counts.resolutions += 1;
        sink.resolution(resolution);
    }

    fn name(
        &mut self,
        flow_id: Option<u64>,
        names: &[(Option<&str>, AppName)],
        reading: &mut Reading,
        at: LinePosition,
    ) {
        let Some(flow_id) = flow_id else { return };
        let dropped = self.pending.dropped_for(self.evidence);
        for (name, kind) in names {
            if let Some(name) = name
                && self.pending.add(&flow_id, name, *kind, self.evidence)
            {
                reading.counts.names += 1;
            }
        }
        if dropped == 0 && self.pending.dropped_for(self.evidence) > 0 {
            super::note_first_drop(reading, at, self.options.max_pending);
        }
    }
}

/// The target of a `CONNECT` request. Without extended HTTP logging EVE has no method, but an
/// authority-form target (`host:port`, no path, no scheme) is a CONNECT's (RFC 9112 §3.2.3).
fn connect_target<'h>(http: &'h event::Http<'_>) -> Option<&'h str> {
    let url = http.url.as_deref()?;
    let authority_form = !url.starts_with('/') && !url.contains("://") && url != "*";
    match http.http_method.as_deref() {
        Some(method) => method.eq_ignore_ascii_case("CONNECT").then_some(url),
        None => authority_form.then_some(url),
    }
}

/// EVE's hex TCP flags (`"1b"`).
fn flags(hex: Option<&str>) -> Option<u8> {
    u8::from_str_radix(hex?, 16).ok()
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;

/// The TCP state from the flags seen each way, read as the capture engine reads them: a SYN-ACK
/// from the responder means the handshake happened.
fn tcp_state(to_server: u8, to_client: u8) -> TcpState {
    let reset = (to_server | to_client) & RST != 0;
    if to_client & SYN != 0 {
        if reset {
            TcpState::Reset
        } else if to_server & FIN != 0 && to_client & FIN != 0 {
            TcpState::Closed
        } else {
            TcpState::Established
        }
    } else if to_server & SYN != 0 {
        if to_client & RST != 0 {
            TcpState::Rejected
        } else {
            TcpState::Attempted
        }
    } else {
        TcpState::Midstream
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_flags_give_the_states_the_capture_engine_gives() {
        assert_eq!(tcp_state(0x1b, 0x1b), TcpState::Closed);
        assert_eq!(tcp_state(0x02, 0x00), TcpState::Attempted);
        assert_eq!(tcp_state(0x02, 0x14), TcpState::Rejected);
        assert_eq!(tcp_state(0x1e, 0x12), TcpState::Reset);
        assert_eq!(tcp_state(0x1a, 0x12), TcpState::Established);
        assert_eq!(tcp_state(0x18, 0x18), TcpState::Midstream);
        assert_eq!(flags(Some("zz")), None);
    }
}
