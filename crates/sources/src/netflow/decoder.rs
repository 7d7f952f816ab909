//! Export datagrams → flow records: NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011),
//! with templates and options kept per exporter and observation domain.
//!
//! Nothing in a datagram is trusted: every length is checked against what is there, a template
//! that cannot be used is reported and forgotten, and a datagram that goes wrong part-way keeps
//! the records decoded before the fault. Problems carry the byte offset within the datagram.

use super::exporter::{DomainKey, DomainState, Domains};
use super::fields::Slot;
use super::record::{ExportHeader, FlowRecord, Values};
use super::template::{
    Announced, Template, TemplateCache, TemplateKey, VARIABLE, parse_ipfix, parse_v9,
};
use super::wire::{u8_at, u16_at, u32_at};
use ringfence_model::Timestamp;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr};

const V5_HEADER: usize = 24;
const V5_RECORD: usize = 48;
/// RFC 3954 and every exporter: a v5 packet holds at most 30 records.
pub const V5_MAX_RECORDS: usize = 30;
const V9_HEADER: usize = 20;
const IPFIX_HEADER: usize = 16;

/// Bounds on what the decoder remembers.
#[derive(Clone, Copy, Debug)]
pub struct DecoderOptions {
    /// Templates cached at most (over all exporters); the oldest is evicted first.
    pub max_templates: usize,
    /// Observation domains whose sampling and clock are remembered at most.
    pub max_domains: usize,
}

impl Default for DecoderOptions {
    fn default() -> Self {
        DecoderOptions {
            max_templates: 4096,
            max_domains: 1024,
        }
    }
}

/// Counts over everything decoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DecodeStats {
    pub datagrams: u64,
    pub flow_records: u64,
    /// Options data records (sampling, clocks, …): they describe the exporter, not flows.
    pub options_records: u64,
    pub templates: u64,
    pub templates_rejected: u64,
    pub templates_withdrawn: u64,
    pub templates_evicted: u64,
    /// Data sets that arrived before (or without) their template: counted and reported, not held.
    pub sets_without_template: u64,
    /// Datagrams in which something could not be read.
    pub damaged_datagrams: u64,
}

/// Where decoded records and problems go.
pub trait DecodeSink {
    fn flow(&mut self, record: &FlowRecord);
    /// A problem at byte `offset` of the datagram.
    fn problem(&mut self, offset: usize, reason: String);
}

#[derive(Clone)]
pub struct ExportDecoder {
    templates: TemplateCache,
    records_seen: RecordsSeen,
    domains: Domains,
    values: Values,
    stats: DecodeStats,
}

impl Default for ExportDecoder {
    fn default() -> Self {
        ExportDecoder::new(DecoderOptions::default())
    }
}

impl ExportDecoder {
    pub fn new(options: DecoderOptions) -> ExportDecoder {
        ExportDecoder {
            templates: TemplateCache::new(options.max_templates),
            records_seen: RecordsSeen::default(),
            domains: Domains::new(options.max_domains),
            values: Values::default(),
            stats: DecodeStats::default(),
        }
    }

    pub fn stats(&self) -> DecodeStats {
        DecodeStats {
            templates_evicted: self.templates.evicted,
            ..self.stats
        }
    }

    /// Templates held right now.
    pub fn templates_cached(&self) -> usize {
        self.templates.len()
    }

    /// What options records taught about one observation domain.
    pub fn domain(&self, exporter: IpAddr, domain: u32) -> Option<&DomainState> {
        self.domains.get(&DomainKey { exporter, domain })
    }

    /// Decodes one export datagram sent by `exporter`.
    pub fn decode(&mut self, exporter: IpAddr, datagram: &[u8], sink: &mut dyn DecodeSink) {
        self.stats.datagrams += 1;
        let mut guard = Damage {
            sink,
            damaged: false,
        };
        match u16_at(datagram, 0) {
            Some(5) => self.decode_v5(exporter, datagram, &mut guard),
            Some(9) => self.decode_v9(exporter, datagram, &mut guard),
            Some(10) => self.decode_ipfix(exporter, datagram, &mut guard),
            Some(version) => guard.problem(
                0,
                format!("not a NetFlow v5/v9 or IPFIX export (version {version})"),
            ),
            None => guard.problem(0, "datagram too short for an export header".to_owned()),
        }
        if guard.damaged {
            self.stats.damaged_datagrams += 1;
        }
    }

    fn decode_v5(&mut self, exporter: IpAddr, datagram: &[u8], sink: &mut Damage<'_>) {
        let (Some(count), Some(uptime), Some(secs), Some(nanos), Some(sampling)) = (
            u16_at(datagram, 2),
            u32_at(datagram, 4),
            u32_at(datagram, 8),
            u32_at(datagram, 12),
            u16_at(datagram, 22),
        ) else {
            sink.problem(
                0,
                format!(
                    "NetFlow v5 header needs {V5_HEADER} bytes, the datagram has {}",
                    datagram.len()
                ),
            );
            return;
        };
        let count = usize::from(count);
        if count == 0 || count > V5_MAX_RECORDS {
            sink.problem(2, format!("NetFlow v5 header claims {count} records (1 to {V5_MAX_RECORDS} are possible); packet skipped"));
            return;
        }
        let fit = (datagram.len() - V5_HEADER) / V5_RECORD;
        if fit < count {
            sink.problem(
                V5_HEADER + fit * V5_RECORD,
                format!("NetFlow v5 header claims {count} records but only {fit} are complete"),
            );
        }
        // The top two bits are the sampling mode, the rest the interval (0: not sampled).
        let interval = u32::from(sampling & 0x3fff);
        let header = ExportHeader {
            version: 5,
            domain: 0,
            export_time: Timestamp::from_secs_nanos(i64::from(secs), nanos.min(999_999_999)),
            uptime_ms: Some(uptime),
            header_sampling: (interval > 1).then_some(interval),
        };
        for n in 0..count.min(fit) {
            let at = V5_HEADER + n * V5_RECORD;
            let Some(record) = datagram.get(at..at + V5_RECORD) else {
                break;
            };
            let field =
                |offset: usize, len: usize| record.get(offset..offset + len).unwrap_or_default();
            let v = &mut self.values;
            v.clear();
            v.set(Slot::SrcV4, field(0, 4));
            v.set(Slot::DstV4, field(4, 4));
            v.set(Slot::Packets, field(16, 4));
            v.set(Slot::Octets, field(20, 4));
            v.set(Slot::StartUptime, field(24, 4));
            v.set(Slot::EndUptime, field(28, 4));
            v.set(Slot::SrcPort, field(32, 2));
            v.set(Slot::DstPort, field(34, 2));
            v.set(Slot::Protocol, field(38, 1));
            let flow = FlowRecord::from_values(v, &header, None, exporter, 0);
            self.stats.flow_records += 1;
            sink.flow(&flow);
        }
    }

    fn decode_v9(&mut self, exporter: IpAddr, datagram: &[u8], sink: &mut Damage<'_>) {
        let (Some(uptime), Some(secs), Some(source_id)) = (
            u32_at(datagram, 4),
            u32_at(datagram, 8),
            u32_at(datagram, 16),
        ) else {
            sink.problem(
                0,
                format!(
                    "NetFlow v9 header needs {V9_HEADER} bytes, the datagram has {}",
                    datagram.len()
                ),
            );
            return;
        };
        let header = ExportHeader {
            version: 9,
            domain: source_id,
            export_time: Timestamp::from_secs_nanos(i64::from(secs), 0),
            uptime_ms: Some(uptime),
            header_sampling: None,
        };
        let before = self.records_seen;
        self.records_seen.unknown = false;
        self.walk_sets(exporter, datagram, V9_HEADER, &header, sink);
        // v9 has no length field: its record count is the only way to see that a packet was cut
        // at a flowset boundary. Exporters that count differently count more, never fewer.
        let claimed = u16_at(datagram, 2).map_or(0, u64::from);
        let seen = self.records_seen.count - before.count;
        if !self.records_seen.unknown && seen < claimed {
            sink.problem(
                datagram.len(),
                format!("NetFlow v9 header counts {claimed} records, the packet holds {seen}"),
            );
        }
    }

    fn decode_ipfix(&mut self, exporter: IpAddr, datagram: &[u8], sink: &mut Damage<'_>) {
        let (Some(length), Some(secs), Some(domain)) = (
            u16_at(datagram, 2),
            u32_at(datagram, 4),
            u32_at(datagram, 12),
        ) else {
            sink.problem(
                0,
                format!(
                    "IPFIX header needs {IPFIX_HEADER} bytes, the datagram has {}",
                    datagram.len()
                ),
            );
            return;
        };
        let length = usize::from(length);
        if length < IPFIX_HEADER {
            sink.problem(
                2,
                format!("IPFIX message length {length} is shorter than its header"),
            );
            return;
        }
        let message = if length > datagram.len() {
            sink.problem(2, format!("IPFIX message length {length} exceeds the {} bytes received; reading what is there", datagram.len()));
            datagram
        } else {
            if length < datagram.len() {
                sink.problem(
                    length,
                    format!(
                        "{} bytes after the IPFIX message ignored",
                        datagram.len() - length
                    ),
                );
            }
            datagram.get(..length).unwrap_or(datagram)
        };
        let header = ExportHeader {
            version: 10,
            domain,
            export_time: Timestamp::from_secs_nanos(i64::from(secs), 0),
            uptime_ms: None,
            header_sampling: None,
        };
        self.walk_sets(exporter, message, IPFIX_HEADER, &header, sink);
    }

    /// Walks the (flow)sets after the header; v9 and IPFIX differ only in set ids and in v9's
    /// zero padding at the end of a packet.
    fn walk_sets(
        &mut self,
        exporter: IpAddr,
        message: &[u8],
        start: usize,
        header: &ExportHeader,
        sink: &mut Damage<'_>,
    ) {
        let ipfix = header.version == 10;
        let mut at = start;
        while message.len().saturating_sub(at) >= 4 {
            let (Some(id), Some(len)) = (u16_at(message, at), u16_at(message, at + 2)) else {
                break;
            };
            let len = usize::from(len);
            if len < 4 {
                let rest = message.get(at..).unwrap_or_default();
                if !ipfix && rest.iter().all(|b| *b == 0) {
                    return; // zero padding to the end of the packet
                }
                sink.problem(at + 2, format!("set length {len} is shorter than a set header; rest of the datagram skipped"));
                return;
            }
            let Some(body) = message.get(at + 4..at + len) else {
                sink.problem(
                    at + 2,
                    format!(
                        "set of {len} bytes runs past the end of the datagram ({} bytes left)",
                        message.len() - at
                    ),
                );
                return;
            };
            let body_at = at + 4;
            match (ipfix, id) {
                (false, 0) | (false, 1) | (true, 2) | (true, 3) => {
                    self.learn_templates(exporter, header.domain, id, ipfix, body, body_at, sink);
                }
                (_, 256..) => self.decode_data(exporter, header, id, body, body_at, sink),
                _ => sink.problem(at, format!("reserved set id {id} skipped")),
            }
            at += len;
        }
        let left = message.len().saturating_sub(at);
        if left > 0
            && message
                .get(at..)
                .is_some_and(|rest| rest.iter().any(|b| *b != 0))
        {
            sink.problem(at, format!("{left} bytes after the last set ignored"));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn learn_templates(
        &mut self,
        exporter: IpAddr,
        domain: u32,
        set_id: u16,
        ipfix: bool,
        body: &[u8],
        body_at: usize,
        sink: &mut Damage<'_>,
    ) {
        let ExportDecoder {
            templates,
            stats,
            records_seen,
            ..
        } = self;
        let mut on_template = |announced: Announced| match announced {
            Announced::Template(id, compiled) => {
                records_seen.count += 1;
                let key = TemplateKey {
                    exporter,
                    domain,
                    id,
                };
                match compiled {
                    Ok(template) => {
                        stats.templates += 1;
                        templates.insert(key, template);
                    }
                    Err(reason) => {
                        stats.templates_rejected += 1;
                        templates.remove(&key);
                        sink.problem(body_at, format!("template {id} rejected: {reason}"));
                    }
                }
            }
            Announced::Withdraw(id) => {
                stats.templates_withdrawn += 1;
                templates.remove(&TemplateKey {
                    exporter,
                    domain,
                    id,
                });
            }
            Announced::WithdrawAll => {
                stats.templates_withdrawn += 1;
                templates.remove_domain(exporter, domain, set_id == 3);
            }
        };
        let parsed = if ipfix {
            parse_ipfix(body, set_id, &mut on_template)
        } else {
            parse_v9(body, set_id == 1, &mut on_template)
        };
        if let Err((offset, reason)) = parsed {
            sink.problem(body_at + offset, reason.to_owned());
        }
    }

    fn decode_data(
        &mut self,
        exporter: IpAddr,
        header: &ExportHeader,
        id: u16,
        body: &[u8],
        body_at: usize,
        sink: &mut Damage<'_>,
    ) {
        let ExportDecoder {
            templates,
            domains,
            values,
            stats,
            records_seen,
        } = self;
        let key = TemplateKey {
            exporter,
            domain: header.domain,
            id,
        };
        let Some(template) = templates.get(&key) else {
            stats.sets_without_template += 1;
            records_seen.unknown = true;
            sink.problem(
                body_at - 4,
                format!(
                    "no template {id} from {exporter} domain {}; set of {} bytes skipped",
                    header.domain,
                    body.len() + 4
                ),
            );
            return;
        };
        let domain_key = DomainKey {
            exporter,
            domain: header.domain,
        };
        let mut emit = |values: &Values, sink: &mut Damage<'_>| {
            records_seen.count += 1;
            if template.options {
                stats.options_records += 1;
                domains.entry(domain_key).learn(values);
            } else {
                stats.flow_records += 1;
                let flow =
                    FlowRecord::from_values(values, header, domains.get(&domain_key), exporter, id);
                sink.flow(&flow);
            }
        };
        if let Some(len) = template.fixed_len {
            if body.len() < len && body.iter().any(|b| *b != 0) {
                sink.problem(
                    body_at,
                    format!(
                        "set of {} bytes is shorter than one record of template {id} ({len} bytes)",
                        body.len()
                    ),
                );
                return;
            }
            // Whatever is left after the last whole record is padding.
            for record in body.chunks_exact(len) {
                values.clear();
                for &(offset, field_len, slot) in template.wanted.iter() {
                    if let Some(field) = record.get(offset..offset + field_len) {
                        values.set(slot, field);
                    }
                }
                emit(values, sink);
            }
            return;
        }
        let mut at = 0usize;
        while body.len().saturating_sub(at) >= template.min_len {
            values.clear();
            match read_variable_record(template, body, at, values) {
                Ok(next) => at = next,
                Err((offset, reason)) => {
                    sink.problem(
                        body_at + offset,
                        format!("template {id}: {reason}; rest of the set skipped"),
                    );
                    return;
                }
            }
            emit(values, sink);
        }
    }
}

/// Reads one record of a template with variable-length fields starting at `at`; returns where
/// the next record starts.
fn read_variable_record(
    template: &Template,
    body: &[u8],
    mut at: usize,
    values: &mut Values,
) -> Result<usize, (usize, &'static str)> {
    for field in template.fields.iter() {
        let len = if field.len == VARIABLE {
            // One length byte, or 255 and two more (RFC 7011 §7).
            let Some(short) = u8_at(body, at) else {
                return Err((at, "record runs past the end of its set"));
            };
            at += 1;
            if short == 255 {
                let Some(long) = u16_at(body, at) else {
                    return Err((at, "record runs past the end of its set"));
                };
                at += 2;
                usize::from(long)
            } else {
                usize::from(short)
            }
        } else {
            usize::from(field.len)
        };
        let Some(value) = body.get(at..at + len) else {
            return Err((at, "record runs past the end of its set"));
        };
        values.set(field.slot, value);
        at += len;
    }
    Ok(at)
}

/// Template, options and data records met, to check v9's header count.
#[derive(Clone, Copy, Default)]
struct RecordsSeen {
    count: u64,
    /// A set could not be counted (no template): the check is off for this packet.
    unknown: bool,
}

/// Passes everything on to the caller's sink and remembers whether any problem was noted.
struct Damage<'s> {
    sink: &'s mut dyn DecodeSink,
    damaged: bool,
}

impl Damage<'_> {
    fn flow(&mut self, record: &FlowRecord) {
        self.sink.flow(record);
    }

    fn problem(&mut self, offset: usize, reason: String) {
        self.damaged = true;
        self.sink.problem(offset, reason);
    }
}

/// The address used for exports whose sender is not known (bare payload files).
pub const UNKNOWN_EXPORTER: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
