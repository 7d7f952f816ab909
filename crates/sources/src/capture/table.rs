//! The table of live connections: lookup by either direction's tuple, timeouts, and eviction that
//! keeps memory bounded however long the capture.

use super::dns::DnsMessage;
use super::flow::Flow;
use super::names::NameCache;
use super::packet::{Packet, TransportHeader};
use foldhash::HashMap;
use ringfence_model::{Connection, EvidenceRef, Timestamp, Transport};
use std::net::IpAddr;
use std::time::Duration;

/// When connections end: after how much silence, and how long one record may run.
#[derive(Clone, Copy, Debug)]
pub struct FlowTimeouts {
    /// Silence after which a TCP connection ends (Zeek's `tcp_inactivity_timeout`).
    pub tcp_idle: Duration,
    /// Silence after which a UDP "connection" ends (Zeek's `udp_inactivity_timeout`).
    pub udp_idle: Duration,
    /// Silence after FIN both ways or a RST before the connection is written out.
    pub tcp_closed: Duration,
    /// A connection still going after this long is written out and goes on in a new record.
    pub active: Duration,
}

impl Default for FlowTimeouts {
    fn default() -> Self {
        FlowTimeouts {
            tcp_idle: Duration::from_secs(300),
            udp_idle: Duration::from_secs(60),
            tcp_closed: Duration::from_secs(5),
            active: Duration::from_secs(3600),
        }
    }
}

/// A direction-free key: the endpoint that sorts first goes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TableKey {
    transport: Transport,
    low: (IpAddr, u16),
    high: (IpAddr, u16),
}

impl TableKey {
    fn of(packet: &Packet<'_>) -> Option<TableKey> {
        let (transport, sport, dport) = match packet.transport {
            TransportHeader::Tcp(tcp) => (Transport::Tcp, tcp.src_port, tcp.dst_port),
            TransportHeader::Udp { src_port, dst_port } => (Transport::Udp, src_port, dst_port),
            TransportHeader::Other { .. } => return None,
        };
        let a = (packet.src, sport);
        let b = (packet.dst, dport);
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        Some(TableKey {
            transport,
            low,
            high,
        })
    }
}

fn nanos(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

pub(crate) struct FlowTable {
    flows: HashMap<TableKey, Flow>,
    timeouts: FlowTimeouts,
    max_flows: usize,
    /// The latest packet time seen: capture time, never the wall clock.
    clock: Timestamp,
    next_sweep: Option<Timestamp>,
    /// Connections written out early because the table was full.
    pub(crate) evicted_for_space: u64,
}

impl FlowTable {
    pub(crate) fn new(timeouts: FlowTimeouts, max_flows: usize) -> Self {
        FlowTable {
            flows: HashMap::default(),
            timeouts,
            max_flows: max_flows.max(1),
            clock: Timestamp::default(),
            next_sweep: None,
            evicted_for_space: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.flows.len()
    }

    /// Files the packet under its connection (starting one if needed). Connections that end on
    /// the way — timed out, replaced by a new SYN, or pushed out of a full table — go to `emit`.
    pub(crate) fn on_packet(
        &mut self,
        packet: &Packet<'_>,
        evidence: EvidenceRef,
        names: &NameCache,
        dns: &mut Vec<DnsMessage>,
        emit: &mut impl FnMut(Connection),
    ) {
        let Some(key) = TableKey::of(packet) else {
            return;
        };
        if packet.time > self.clock {
            self.clock = packet.time;
        }
        if self.next_sweep.is_none_or(|at| self.clock >= at) {
            self.sweep(emit);
        }
        if let TransportHeader::Tcp(tcp) = packet.transport {
            // A fresh SYN on a tuple whose connection has closed is the port being reused.
            let reused = tcp.flags.syn()
                && !tcp.flags.ack()
                && self.flows.get(&key).is_some_and(Flow::tcp_finished);
            if reused && let Some(old) = self.flows.remove(&key) {
                emit(old.into_connection());
            }
        }
        if !self.flows.contains_key(&key) {
            if self.flows.len() >= self.max_flows {
                self.evict_for_space(emit);
            }
            let Some(flow) = Flow::start(packet, evidence, names) else {
                return;
            };
            self.flows.insert(key, flow);
        }
        if let Some(flow) = self.flows.get_mut(&key) {
            flow.update(packet, dns);
        }
    }

    /// Writes out, in a deterministic order, every connection whose time is up.
    fn sweep(&mut self, emit: &mut impl FnMut(Connection)) {
        let now = self.clock;
        let timeouts = self.timeouts;
        let ended = self.flows.extract_if(|_, flow| {
            let idle = now.nanos().saturating_sub(flow.last_seen.nanos());
            let limit = match flow.transport() {
                Transport::Tcp if flow.tcp_finished() => timeouts.tcp_closed,
                Transport::Tcp => timeouts.tcp_idle,
                Transport::Udp => timeouts.udp_idle,
            };
            idle > nanos(limit)
        });
        let mut records: Vec<Connection> = ended.map(|(_, flow)| flow.into_connection()).collect();
        for flow in self.flows.values_mut() {
            if flow
                .last_seen
                .nanos()
                .saturating_sub(flow.first_seen().nanos())
                > nanos(timeouts.active)
            {
                records.push(flow.split_off());
            }
        }
        emit_in_order(records, emit);
        let interval = nanos(
            timeouts
                .udp_idle
                .min(timeouts.tcp_idle)
                .min(timeouts.active),
        ) / 4;
        self.next_sweep = Some(Timestamp::from_nanos(
            now.nanos().saturating_add(interval.max(1_000_000_000)),
        ));
    }

    /// Writes out the least recently active tenth of the table.
    fn evict_for_space(&mut self, emit: &mut impl FnMut(Connection)) {
        let mut last_seen: Vec<Timestamp> =
            self.flows.values().map(|flow| flow.last_seen).collect();
        let cut = last_seen.len() / 10;
        let (_, threshold, _) = last_seen.select_nth_unstable(cut);
        let threshold = *threshold;
        let records: Vec<Connection> = self
            .flows
            .extract_if(|_, flow| flow.last_seen <= threshold)
            .map(|(_, flow)| flow.into_connection())
            .collect();
        self.evicted_for_space += records.len() as u64;
        emit_in_order(records, emit);
    }

    /// Writes out every connection still open, in a deterministic order.
    pub(crate) fn drain(&mut self, emit: &mut impl FnMut(Connection)) {
        let records = self
            .flows
            .drain()
            .map(|(_, flow)| flow.into_connection())
            .collect();
        emit_in_order(records, emit);
    }
}

/// Map order depends on hashing; output order must depend only on the evidence.
fn emit_in_order(mut records: Vec<Connection>, emit: &mut impl FnMut(Connection)) {
    records.sort_by_key(|c| (c.first_seen, c.key, c.split));
    records.into_iter().for_each(emit);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::packet::{TcpFlags, TcpHeader, TunnelStack};
    use ringfence_model::TcpState;
    use std::net::Ipv4Addr;

    fn udp(time_secs: i64, client: u32, port: u16) -> Packet<'static> {
        Packet {
            time: Timestamp::from_secs_nanos(time_secs, 0),
            src: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + client)),
            dst: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            transport: TransportHeader::Udp {
                src_port: port,
                dst_port: 4000,
            },
            ip_len: 128,
            payload: &[],
            payload_len: 100,
            tunnels: TunnelStack::default(),
        }
    }

    fn tcp(time_secs: i64, from_client: bool, flags: u8) -> Packet<'static> {
        let client = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let server = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let (src, dst, src_port, dst_port) = if from_client {
            (client, server, 50000, 443)
        } else {
            (server, client, 443, 50000)
        };
        Packet {
            time: Timestamp::from_secs_nanos(time_secs, 0),
            src,
            dst,
            transport: TransportHeader::Tcp(TcpHeader {
                src_port,
                dst_port,
                seq: 1,
                ack: 1,
                flags: TcpFlags(flags),
            }),
            ip_len: 40,
            payload: &[],
            payload_len: 0,
            tunnels: TunnelStack::default(),
        }
    }

    fn run(
        table: &mut FlowTable,
        packets: impl IntoIterator<Item = Packet<'static>>,
    ) -> Vec<Connection> {
        let names = NameCache::new(16);
        let mut dns = Vec::new();
        let mut out = Vec::new();
        let evidence = EvidenceRef {
            evidence: 0,
            record: 0,
            offset: 0,
        };
        for packet in packets {
            table.on_packet(&packet, evidence, &names, &mut dns, &mut |c| out.push(c));
            assert!(
                table.len() <= table.max_flows,
                "the table outgrew its bound"
            );
        }
        table.drain(&mut |c| out.push(c));
        out
    }

    #[test]
    fn stays_bounded_and_loses_no_packet_when_full() {
        let mut table = FlowTable::new(FlowTimeouts::default(), 1000);
        // 20,000 distinct flows within one second: far more than the table holds.
        let packets = (0..20_000u32).map(|i| udp(0, i, 1024 + (i % 50_000) as u16));
        let connections = run(&mut table, packets);
        assert_eq!(connections.len(), 20_000);
        assert_eq!(
            connections.iter().map(|c| c.orig_packets).sum::<u64>(),
            20_000
        );
        assert!(table.evicted_for_space > 0);
    }

    #[test]
    fn idle_flows_end_and_a_returning_tuple_starts_a_new_connection() {
        let mut table = FlowTable::new(FlowTimeouts::default(), 1000);
        let packets = [udp(0, 1, 5000), udp(30, 1, 5000), udp(200, 1, 5000)];
        let connections = run(&mut table, packets);
        let packets_each: Vec<u64> = connections.iter().map(|c| c.orig_packets).collect();
        assert_eq!(
            packets_each,
            [2, 1],
            "60 s of UDP silence ends the first connection"
        );
    }

    #[test]
    fn active_timeout_splits_long_connections_without_losing_counts() {
        let timeouts = FlowTimeouts {
            active: Duration::from_secs(100),
            ..FlowTimeouts::default()
        };
        let mut table = FlowTable::new(timeouts, 1000);
        let packets = (0..50).map(|i| udp(i * 10, 1, 5000));
        let connections = run(&mut table, packets);
        assert!(
            connections.len() >= 2,
            "a 490 s connection is cut at least once"
        );
        assert!(connections.iter().all(|c| c.split));
        assert_eq!(connections.iter().map(|c| c.orig_packets).sum::<u64>(), 50);
    }

    #[test]
    fn tcp_states_and_port_reuse() {
        let mut table = FlowTable::new(FlowTimeouts::default(), 1000);
        let (syn, ack, fin, rst) = (TcpFlags::SYN, TcpFlags::ACK, TcpFlags::FIN, TcpFlags::RST);
        let packets = [
            tcp(0, true, syn),
            tcp(0, false, syn | ack),
            tcp(1, true, ack),
            tcp(2, true, fin | ack),
            tcp(2, false, fin | ack),
            // The same tuple again: a new connection, answered by a reset.
            tcp(3, true, syn),
            tcp(3, false, rst | ack),
        ];
        let connections = run(&mut table, packets);
        let states: Vec<_> = connections.iter().map(|c| c.tcp_state).collect();
        assert_eq!(states, [Some(TcpState::Closed), Some(TcpState::Rejected)]);
        assert!(
            connections.iter().all(|c| c.key.orig_port == 50000),
            "the client is the initiator"
        );
    }

    #[test]
    fn a_syn_ack_seen_first_makes_its_receiver_the_initiator() {
        let mut table = FlowTable::new(FlowTimeouts::default(), 1000);
        let connections = run(
            &mut table,
            [
                tcp(0, false, TcpFlags::SYN | TcpFlags::ACK),
                tcp(0, true, TcpFlags::ACK),
            ],
        );
        assert_eq!(connections[0].key.orig_port, 50000);
        assert_eq!(connections[0].tcp_state, Some(TcpState::Established));
    }
}
