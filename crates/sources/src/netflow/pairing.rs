//! NetFlow records are one-directional; ringfence's connections are not. A record waits (in a
//! bounded table) for the record of the other direction of the same 5-tuple from the same
//! exporter and observation domain; when it comes and their times overlap, the two become one
//! bidirectional connection. A record left alone — its partner not exported, already paired, or
//! not seen within the hold time — becomes a connection on its own.
//!
//! Which side began the connection: the record that started earlier; at the same start (many
//! exporters stamp both directions alike), the one sent to the lower port (client → service).
//! A lone record from a port below 1024 to one above is taken for a service's reply and turned
//! round, so that its counters are the responder's.
//!
//! Biflow records (IPFIX RFC 5103 reverse counters, Cisco ASA NSEL initiator/responder counters)
//! are already both directions and pass straight through.

use super::record::FlowRecord;
use crate::capture::community_id;
use foldhash::HashMap;
use ringfence_model::{Connection, EvidenceRef, FlowKey, Timestamp, Transport};
use serde::Serialize;
use std::collections::VecDeque;
use std::net::IpAddr;

/// How long (in export time) a record waits for its other direction.
const HOLD_NANOS: i64 = 60_000_000_000;
/// Two directions pair when their times overlap, give or take this.
const OVERLAP_SLACK_NANOS: i64 = 5_000_000_000;
/// IPFIX flowEndReason: active timeout, so the record is one slice of a longer flow.
const END_ACTIVE_TIMEOUT: u8 = 2;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PairStats {
    pub connections: u64,
    /// Connections made of two one-directional records.
    pub paired: u64,
    /// Records that carried both directions themselves.
    pub biflows: u64,
    /// Records of other IP protocols (ICMP, GRE, ESP, …): counted, not made into connections.
    pub other_protocols: u64,
    /// Records without a source and destination address of the same family.
    pub without_endpoints: u64,
    /// Records written out alone early because the table of waiting records was full.
    pub evicted_for_space: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct PairKey {
    exporter: IpAddr,
    domain: u32,
    transport: Transport,
    low: (IpAddr, u16),
    high: (IpAddr, u16),
}

/// One direction, counters already multiplied by the sampling rate.
#[derive(Clone, Copy, Debug)]
struct Uni {
    key: FlowKey,
    packets: u64,
    octets: u64,
    start: Timestamp,
    end: Timestamp,
    split: bool,
    evidence: EvidenceRef,
    export_time: Timestamp,
}

pub struct Pairer {
    held: HashMap<PairKey, (u64, Uni)>,
    order: VecDeque<(PairKey, u64)>,
    capacity: usize,
    next_seq: u64,
    newest_export: Timestamp,
    pub stats: PairStats,
}

impl Pairer {
    pub fn new(capacity: usize) -> Pairer {
        Pairer {
            held: HashMap::default(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            next_seq: 0,
            newest_export: Timestamp(i64::MIN),
            stats: PairStats::default(),
        }
    }

    pub fn push(
        &mut self,
        flow: &FlowRecord,
        evidence: EvidenceRef,
        out: &mut dyn FnMut(Connection),
    ) {
        let transport = match flow.protocol {
            Some(6) => Transport::Tcp,
            Some(17) => Transport::Udp,
            _ => {
                self.stats.other_protocols += 1;
                return;
            }
        };
        let (Some(src), Some(dst)) = (flow.src, flow.dst) else {
            self.stats.without_endpoints += 1;
            return;
        };
        if src.is_ipv4() != dst.is_ipv4() {
            self.stats.without_endpoints += 1;
            return;
        }
        let rate = u64::from(flow.sampling.max(1));
        let uni = Uni {
            key: FlowKey {
                transport,
                orig_addr: src,
                orig_port: flow.src_port,
                resp_addr: dst,
                resp_port: flow.dst_port,
            },
            packets: flow.packets.saturating_mul(rate),
            octets: flow.octets.saturating_mul(rate),
            start: flow.start,
            end: flow.end,
            split: flow.end_reason == Some(END_ACTIVE_TIMEOUT),
            evidence,
            export_time: flow.export_time,
        };
        if flow.export_time > self.newest_export {
            self.newest_export = flow.export_time;
            self.expire(out);
        }
        if flow.reverse_packets > 0 || flow.reverse_octets > 0 {
            self.stats.biflows += 1;
            let reverse = (
                flow.reverse_packets.saturating_mul(rate),
                flow.reverse_octets.saturating_mul(rate),
            );
            self.emit(connection(&uni, reverse, uni.start, uni.end), out);
            return;
        }
        let a = (src, flow.src_port);
        let b = (dst, flow.dst_port);
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let key = PairKey {
            exporter: flow.exporter,
            domain: flow.domain,
            transport,
            low,
            high,
        };
        if let Some((_, waiting)) = self.held.remove(&key) {
            if waiting.key == uni.key.reversed() && overlap(&waiting, &uni) {
                self.stats.paired += 1;
                let merged = merge(&waiting, &uni);
                self.emit(merged, out);
                return;
            }
            self.emit(alone(&waiting), out);
        }
        while self.held.len() >= self.capacity {
            let Some((old, seq)) = self.order.pop_front() else {
                break;
            };
            if self.held.get(&old).is_some_and(|(s, _)| *s == seq)
                && let Some((_, evicted)) = self.held.remove(&old)
            {
                self.stats.evicted_for_space += 1;
                self.emit(alone(&evicted), out);
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.held.insert(key, (seq, uni));
        self.order.push_back((key, seq));
        if self.order.len() > self.capacity.saturating_mul(2) {
            let held = &self.held;
            self.order
                .retain(|(key, seq)| held.get(key).is_some_and(|(s, _)| s == seq));
        }
    }

    /// Writes out the records still waiting, oldest first.
    pub fn finish(&mut self, out: &mut dyn FnMut(Connection)) {
        while let Some((key, seq)) = self.order.pop_front() {
            if self.held.get(&key).is_some_and(|(s, _)| *s == seq)
                && let Some((_, waiting)) = self.held.remove(&key)
            {
                self.emit(alone(&waiting), out);
            }
        }
    }

    /// Records whose exporter has moved on past the hold time stop waiting.
    fn expire(&mut self, out: &mut dyn FnMut(Connection)) {
        let horizon = self.newest_export.0.saturating_sub(HOLD_NANOS);
        while let Some((key, seq)) = self.order.front().copied() {
            match self.held.get(&key) {
                Some((s, waiting)) if *s == seq => {
                    if waiting.export_time.0 >= horizon {
                        break;
                    }
                    if let Some((_, waiting)) = self.held.remove(&key) {
                        self.emit(alone(&waiting), out);
                    }
                }
                _ => {}
            }
            self.order.pop_front();
        }
    }

    fn emit(&mut self, connection: Connection, out: &mut dyn FnMut(Connection)) {
        self.stats.connections += 1;
        out(connection);
    }
}

fn overlap(a: &Uni, b: &Uni) -> bool {
    a.start.0 <= b.end.0.saturating_add(OVERLAP_SLACK_NANOS)
        && b.start.0 <= a.end.0.saturating_add(OVERLAP_SLACK_NANOS)
}

/// `first` arrived before `second`; they are the two directions of one connection.
fn merge(first: &Uni, second: &Uni) -> Connection {
    let first_began = match first.start.cmp(&second.start) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => first.key.resp_port <= first.key.orig_port,
    };
    let (orig, resp) = if first_began {
        (first, second)
    } else {
        (second, first)
    };
    let mut merged = connection(
        orig,
        (resp.packets, resp.octets),
        first.start.min(second.start),
        first.end.max(second.end),
    );
    merged.split = first.split || second.split;
    // The record that arrived first is where this connection was first seen in the evidence.
    merged.evidence = first.evidence;
    merged
}

fn alone(uni: &Uni) -> Connection {
    let reply = uni.key.orig_port < 1024 && uni.key.resp_port >= 1024;
    if !reply {
        return connection(uni, (0, 0), uni.start, uni.end);
    }
    let turned = Uni {
        key: uni.key.reversed(),
        packets: 0,
        octets: 0,
        ..*uni
    };
    connection(&turned, (uni.packets, uni.octets), uni.start, uni.end)
}

fn connection(orig: &Uni, resp: (u64, u64), first: Timestamp, last: Timestamp) -> Connection {
    Connection {
        community_id: community_id(&orig.key),
        key: orig.key,
        first_seen: first,
        last_seen: last,
        orig_packets: orig.packets,
        orig_bytes: orig.octets,
        // NetFlow counts IP-layer bytes only; the transport payload is not known.
        orig_payload_bytes: 0,
        resp_packets: resp.0,
        resp_bytes: resp.1,
        resp_payload_bytes: 0,
        tcp_state: None,
        names: Vec::new(),
        alpn: Vec::new(),
        ja4: None,
        http: Vec::new(),
        tunnels: Vec::new(),
        split: orig.split,
        process: None,
        evidence: orig.evidence,
    }
}
