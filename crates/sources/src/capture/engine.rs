//! The capture pipeline for one run: frames → packets → connections and DNS resolutions, across
//! any number of capture files read in turn.

use super::decode::{Decoded, Decoder};
use super::dns::{self, DnsMessage};
use super::names::{DnsLabel, NameCache};
use super::reader::{CaptureReader, ReadSummary};
use super::table::{FlowTable, FlowTimeouts};
use ringfence_model::{Connection, EvidenceRef, Installation, ReadProblem, Resolution};
use serde::Serialize;

/// Problems kept per file for the report; beyond this they are only counted.
const MAX_PROBLEMS_KEPT: usize = 100;
/// Frames between two progress callbacks.
const PROGRESS_EVERY: u64 = 16_384;

#[derive(Clone, Copy, Debug)]
pub struct CaptureOptions {
    pub timeouts: FlowTimeouts,
    /// Live connections held at most; beyond it the least recently active are written out.
    pub max_flows: usize,
    /// Addresses whose DNS names are remembered at most.
    pub max_dns_addresses: usize,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            timeouts: FlowTimeouts::default(),
            max_flows: 500_000,
            max_dns_addresses: 262_144,
        }
    }
}

/// Where the observations go, as they are made.
pub trait ObservationSink {
    fn connection(&mut self, connection: Connection);
    fn resolution(&mut self, resolution: Resolution);
    /// Software seen on a host (inventories, process starts).
    fn installation(&mut self, installation: Installation);
}

/// Counts over the whole run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CaptureStats {
    pub frames: u64,
    /// TCP and UDP packets filed under connections.
    pub transport_packets: u64,
    /// IP packets of other protocols (ICMP, SCTP, …).
    pub other_ip_packets: u64,
    /// Frames that carry no IP (ARP, STP, …) or use a link type ringfence does not decode.
    pub not_ip_frames: u64,
    /// IP fragments held for reassembly.
    pub fragments: u64,
    /// Frames that claimed to be IP but could not be decoded (also listed as read problems).
    pub malformed_frames: u64,
    pub connections: u64,
    pub resolutions: u64,
    /// Connections written out early because the flow table was full.
    pub evicted_for_space: u64,
}

pub struct CaptureEngine {
    decoder: Decoder,
    table: FlowTable,
    names: NameCache,
    stats: CaptureStats,
    files_read: u32,
    dns_scratch: Vec<DnsMessage>,
}

impl CaptureEngine {
    pub fn new(options: CaptureOptions) -> Self {
        CaptureEngine {
            decoder: Decoder::new(),
            table: FlowTable::new(options.timeouts, options.max_flows),
            names: NameCache::new(options.max_dns_addresses),
            stats: CaptureStats::default(),
            files_read: 0,
            dns_scratch: Vec::new(),
        }
    }

    /// The evidence number the next input gets.
    pub fn next_evidence(&self) -> u32 {
        self.files_read
    }

    /// Counts an input that another reader read (flow exports, logs), so that evidence numbers
    /// stay positions in the run's list of evidence.
    pub fn skip_evidence(&mut self) {
        self.files_read += 1;
    }

    /// Reads one capture to its end. Its observations point to it as evidence number
    /// `files read before it`; connections still open go on into the next file.
    /// `progress` is called now and then with the byte offset reached.
    pub fn read(
        &mut self,
        reader: &mut CaptureReader,
        sink: &mut impl ObservationSink,
        progress: &mut dyn FnMut(u64),
    ) -> ReadSummary {
        let evidence_index = self.files_read;
        self.files_read += 1;
        let mut problems = Vec::new();
        let mut problem_count = 0u64;
        let CaptureEngine {
            decoder,
            table,
            names,
            stats,
            dns_scratch,
            ..
        } = self;
        let mut summary = reader.for_each_frame(|frame| {
            stats.frames += 1;
            if stats.frames % PROGRESS_EVERY == 0 {
                progress(frame.offset);
            }
            let evidence = EvidenceRef {
                evidence: evidence_index,
                record: frame.record,
                offset: frame.offset,
            };
            match decoder.decode(frame) {
                Decoded::Packet(packet) => {
                    if matches!(
                        packet.transport,
                        super::packet::TransportHeader::Other { .. }
                    ) {
                        stats.other_ip_packets += 1;
                        return;
                    }
                    stats.transport_packets += 1;
                    let time = packet.time;
                    table.on_packet(&packet, evidence, names, dns_scratch, &mut |connection| {
                        stats.connections += 1;
                        sink.connection(connection);
                    });
                    for message in dns_scratch.drain(..) {
                        learn_from_dns(&message, time, evidence, names, stats, sink);
                    }
                }
                Decoded::FragmentHeld => stats.fragments += 1,
                Decoded::NotIp => stats.not_ip_frames += 1,
                Decoded::Malformed(reason) => {
                    stats.malformed_frames += 1;
                    problem_count += 1;
                    if problems.len() < MAX_PROBLEMS_KEPT {
                        // The path is filled in below, from the summary the reader returns.
                        problems.push(ReadProblem {
                            path: String::new(),
                            offset: frame.offset,
                            reason: format!("record {}: {reason}", frame.record),
                        });
                    }
                }
            }
        });
        summary.problem_count += problem_count;
        for mut problem in problems {
            problem.path.clone_from(&summary.evidence.path);
            summary.problems.push(problem);
        }
        summary.problems.sort_by_key(|problem| problem.offset);
        summary.problems.truncate(MAX_PROBLEMS_KEPT);
        self.stats.evicted_for_space = self.table.evicted_for_space;
        summary
    }

    /// Live connections right now (for progress displays and memory tests).
    pub fn open_connections(&self) -> usize {
        self.table.len()
    }

    /// Writes out the connections still open and returns the run's counts.
    pub fn finish(mut self, sink: &mut impl ObservationSink) -> CaptureStats {
        let stats = &mut self.stats;
        self.table.drain(&mut |connection| {
            stats.connections += 1;
            sink.connection(connection);
        });
        self.stats.evicted_for_space = self.table.evicted_for_space;
        self.stats
    }
}

/// A DNS response labels later connections to its addresses and is itself an observation.
fn learn_from_dns(
    message: &DnsMessage,
    time: ringfence_model::Timestamp,
    evidence: EvidenceRef,
    names: &mut NameCache,
    stats: &mut CaptureStats,
    sink: &mut impl ObservationSink,
) {
    if !message.is_response {
        return;
    }
    for chain in dns::answer_chains(message) {
        for address in &chain.addresses {
            names.learn(
                *address,
                DnsLabel {
                    query: chain.query.clone(),
                    cname_chain: chain.cname_chain.clone(),
                    answered: time,
                },
            );
        }
        stats.resolutions += 1;
        sink.resolution(Resolution {
            time,
            query: chain.query,
            cname_chain: chain.cname_chain,
            addresses: chain.addresses,
            ttl: chain.ttl,
            evidence,
        });
    }
}
