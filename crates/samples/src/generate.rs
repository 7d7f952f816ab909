//! The capture writer: starts sessions in time order while the size budget allows, interleaves
//! their frames by timestamp, and streams them to the output.

use crate::EPOCH_US;
use crate::pcap::PcapWriter;
use crate::scenario::Planner;
use crate::session::Session;
use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleConfig {
    /// Same seed and size, same bytes.
    pub seed: u64,
    /// The most bytes the capture may hold; it is filled to within a few kilobytes of this.
    pub target_bytes: u64,
}

/// What a generated capture holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SampleStats {
    /// Packets (pcap records) written.
    pub packets: u64,
    /// Bytes written, headers included: the file's size.
    pub bytes: u64,
    /// TCP connections and QUIC connections.
    pub connections: u64,
    /// Connections by the product that made them (display names, e.g. "CrowdStrike Falcon").
    pub connections_by_product: BTreeMap<String, u64>,
    /// DNS queries (each answered).
    pub dns_queries: u64,
    /// First and last packet time, microseconds since the Unix epoch (0 when there is no packet).
    pub first_timestamp_us: u64,
    pub last_timestamp_us: u64,
}

/// More concurrent sessions than this wait for one to end (the office is small).
const MAX_ACTIVE: usize = 12;

struct Active {
    session: Session,
    next: Option<(u64, Vec<u8>)>,
    /// Estimated bytes this session may still write.
    reserved: u64,
}

/// Writes a sample capture to `out` and says what is in it.
pub fn write_capture(config: &SampleConfig, out: impl Write) -> io::Result<SampleStats> {
    let mut writer = PcapWriter::new(BufWriter::with_capacity(1 << 20, out), config.target_bytes)?;
    let limit = config.target_bytes;
    let mut planner = Planner::new(config.seed, EPOCH_US);
    let mut active: Vec<Active> = Vec::new();
    let mut stats = SampleStats::default();
    let mut last_ts = EPOCH_US;
    let mut starved = false;
    loop {
        let earliest = active
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.next.as_ref().map(|(ts, _)| (*ts, i)))
            .min();
        let may_start = !starved
            && active.len() < MAX_ACTIVE
            && earliest.is_none_or(|(ts, _)| planner.next_start() <= ts);
        if may_start {
            let reserved: u64 = active.iter().map(|a| a.reserved).sum();
            let budget = limit.saturating_sub(writer.written().saturating_add(reserved));
            let planned = planner.plan(last_ts, budget);
            if planned.is_empty() {
                starved = true;
                if active.is_empty() {
                    break;
                }
                continue;
            }
            for p in planned {
                stats.connections += p.connections;
                stats.dns_queries += p.dns_queries;
                *stats
                    .connections_by_product
                    .entry(p.session.product.name().to_string())
                    .or_default() += p.connections;
                let reserved = p.session.estimate();
                let mut session = p.session;
                let next = session.next_frame();
                active.push(Active {
                    session,
                    next,
                    reserved,
                });
            }
            continue;
        }
        let Some((_, i)) = earliest else { break };
        let Some(a) = active.get_mut(i) else { break };
        let Some((ts, frame)) = a.next.take() else {
            break;
        };
        if !writer.write_frame(ts, &frame)? {
            // The estimates are upper bounds, so this does not happen; if it did, the size
            // limit still wins over finishing the sessions.
            break;
        }
        if stats.first_timestamp_us == 0 {
            stats.first_timestamp_us = ts;
        }
        last_ts = ts;
        a.reserved = a
            .reserved
            .saturating_sub(frame.len() as u64 + crate::pcap::RECORD_HEADER_LEN);
        a.next = a.session.next_frame();
        if a.next.is_none() {
            active.remove(i);
            starved = false;
        }
    }
    stats.last_timestamp_us = if stats.first_timestamp_us == 0 {
        0
    } else {
        last_ts
    };
    stats.packets = writer.packets();
    stats.bytes = writer.written();
    writer.finish()?;
    Ok(stats)
}
