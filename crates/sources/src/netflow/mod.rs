//! NetFlow v5/v9 and IPFIX exports → connections.
//!
//! # Inputs
//! - **Captures** (pcap or pcapng, any link type the capture decoder knows): every UDP packet, on
//!   any port, whose payload starts like an export (`detect::plausible_export`: version 5, 9 or
//!   10 and a sane count, length and first set) is decoded; the exporter is the packet's source
//!   address. Other packets are counted and skipped. `ringfence collect netflow` writes exactly
//!   this form ([`ExportCaptureWriter`]: pcapng, raw-IP link type, one packet per datagram with a
//!   made-up IPv4/IPv6 + UDP header carrying the exporter's address and port), so every evidence
//!   file it writes is a standard capture Wireshark opens, and there is one format to read back.
//! - **Bare streams**: datagrams written one after another with nothing between them, as
//!   `nc -u -l > file` writes them (the form of logstash-codec-netflow's test payloads). Each
//!   datagram's length comes from its header (v5 count, IPFIX length) or, for v9, from walking its
//!   flowsets up to zero padding or the next header (`detect::datagram_len`). Bytes that do not
//!   start an export are skipped to the next plausible header and reported. The exporter is
//!   unknown (0.0.0.0), so all of a bare stream's exports share one template scope per
//!   observation domain.
//!
//! # Decoding ([`ExportDecoder`])
//! - NetFlow v5; NetFlow v9 (RFC 3954) templates, options templates and data flowsets; IPFIX
//!   (RFC 7011) templates, options templates, data sets, variable-length fields, enterprise
//!   fields (skipped by length; RFC 5103 reverse counters are read), template withdrawal (one id,
//!   or all of a domain). H3C's variable-length fields in v9 are read as in IPFIX.
//! - Templates are keyed by (exporter address, observation domain or source id, template id) and
//!   cached at most 4096 (the oldest evicted first, counted); a template is at most 1024 fields.
//! - Data sets that arrive before their template are **counted and reported** (problem "no
//!   template"), not held: NetFlow exporters repeat templates every few seconds to minutes, and a
//!   file that starts mid-stream loses only that first interval.
//! - Only the elements ringfence uses are read: addresses (8, 12, 27, 28), ports (7, 11; 180–183
//!   when those are absent or 0), protocol (4), counters (1, 2, 85, 86; 231/232 and 298/299
//!   initiator/responder; RFC 5103 reverse 1, 2, 85, 86), times, flowEndReason (136) and
//!   sampling. Integers may be sent in fewer bytes (reduced-size encoding).
//! - Times become absolute: v5/v9 FIRST/LAST_SWITCHED from the header's export time and sysUptime
//!   (difference read as signed 32-bit, so uptime wrap and flows stamped just after the header
//!   work); IPFIX flowStart/End Seconds, Milliseconds, Micro- and Nanoseconds (NTP format)
//!   (150–157), DeltaMicroseconds (158/159), SysUpTime (21/22, from systemInitTimeMilliseconds
//!   160 in the record or the domain's options), durations (161/162) and observation times
//!   (322/323). A record with no usable time is stamped with its export time ([`Timing`]).
//! - Sampling, multiplied into packets and bytes: the v5 header's interval; a record's own
//!   samplingInterval (34) or samplerRandomInterval (50); otherwise the rate options records
//!   announced for the sampler or selector the record names (samplerId 48, selectorId 302), or for
//!   the whole observation domain. Options rates come from 34, 50, samplingPacketInterval and
//!   samplingPacketSpace (305/306: (interval + space) / interval), samplingSize and
//!   samplingPopulation (309/310) or samplingProbability (311). Rates are per observation domain:
//!   an interface-scoped rate applies to the whole domain.
//!
//! # Connections (`pairing`)
//! TCP and UDP records become connections (other protocols are counted). The two directions of
//! a 5-tuple from the same exporter and domain, with overlapping times, are paired into one
//! bidirectional connection within a bounded window (65,536 waiting records, 60 s of export time);
//! biflow records pass straight through. NetFlow counts IP-layer bytes, so `*_payload_bytes` are
//! 0. Each connection's community ID is computed with `capture::community_id`, and its
//! evidence reference is the record number and byte offset of the export datagram (the capture
//! record, or the datagram's offset in a bare stream).
//!
//! # Why by hand
//! The `netflow_parser` crate (1.0.6) was tried first: it survived every truncation and random
//! mutation of the shared payloads without a panic and scopes templates per source, but it turns
//! every field of every record into an owned value (a `Vec` of enum values, strings for unknown
//! fields), which held it to about 1.4 million v9/IPFIX records/s on this machine, and its errors
//! carry no byte offsets. ringfence needs a dozen elements, problem offsets, and to outrun nfdump;
//! this decoder reads only those elements at offsets compiled once per template (see the
//! README's figures).

mod capture_writer;
mod decoder;
mod detect;
mod exporter;
mod fields;
mod pairing;
mod read;
mod record;
mod template;
mod wire;

pub use capture_writer::{ExportCaptureWriter, WRITER_APPLICATION};
pub use decoder::{
    DecodeSink, DecodeStats, DecoderOptions, ExportDecoder, UNKNOWN_EXPORTER, V5_MAX_RECORDS,
};
pub use detect::{MAX_DATAGRAM, datagram_len, plausible_export};
pub use exporter::DomainState;
pub use pairing::PairStats;
pub use read::{InputForm, NetflowStats, ReadOutcome, looks_like, read};
pub use record::{FlowRecord, Timing};
