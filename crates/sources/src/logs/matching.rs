//! Matching a log's connections to a capture's: the same flow has the same Community ID whoever
//! recorded it (Zeek, Suricata, ringfence's capture engine), whatever the direction each took as
//! the originator's.

use ringfence_model::Connection;
use std::collections::BTreeMap;

/// Pairs of connections that are the same flow, and those left alone on either side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommunityIdMatch {
    /// (index in the log connections, index in the capture connections).
    pub pairs: Vec<(usize, usize)>,
    /// Indices of log connections no capture connection matched.
    pub only_in_logs: Vec<usize>,
    /// Indices of capture connections no log connection matched.
    pub only_in_capture: Vec<usize>,
}

/// Matches connections by Community ID. A tuple used again later is several connections with one
/// Community ID; those are paired in order of first packet (then of position in the input).
/// Deterministic: pairs come sorted by log index.
pub fn match_by_community_id(logs: &[Connection], capture: &[Connection]) -> CommunityIdMatch {
    let mut groups: BTreeMap<&str, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (index, connection) in logs.iter().enumerate() {
        groups
            .entry(&connection.community_id)
            .or_default()
            .0
            .push(index);
    }
    for (index, connection) in capture.iter().enumerate() {
        groups
            .entry(&connection.community_id)
            .or_default()
            .1
            .push(index);
    }
    let mut result = CommunityIdMatch::default();
    for (_, (mut from_logs, mut from_capture)) in groups {
        from_logs.sort_by_key(|&i| logs.get(i).map(|c| c.first_seen));
        from_capture.sort_by_key(|&i| capture.get(i).map(|c| c.first_seen));
        let paired = from_logs.len().min(from_capture.len());
        result
            .pairs
            .extend(from_logs.iter().copied().zip(from_capture.iter().copied()));
        result
            .only_in_logs
            .extend(from_logs.get(paired..).unwrap_or_default());
        result
            .only_in_capture
            .extend(from_capture.get(paired..).unwrap_or_default());
    }
    result.pairs.sort_unstable();
    result.only_in_logs.sort_unstable();
    result.only_in_capture.sort_unstable();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringfence_model::{EvidenceRef, FlowKey, Timestamp, Transport};

    fn connection(port: u16, secs: i64, reversed: bool) -> Connection {
        let key = FlowKey {
            transport: Transport::Tcp,
            orig_addr: "10.0.0.1".parse().unwrap(),
            orig_port: port,
            resp_addr: "192.0.2.1".parse().unwrap(),
            resp_port: 443,
        };
        let key = if reversed { key.reversed() } else { key };
        Connection {
            community_id: crate::capture::community_id(&key),
            key,
            first_seen: Timestamp::from_secs_nanos(secs, 0),
            last_seen: Timestamp::from_secs_nanos(secs, 0),
            orig_packets: 0,
            orig_bytes: 0,
            orig_payload_bytes: 0,
            resp_packets: 0,
            resp_bytes: 0,
            resp_payload_bytes: 0,
            tcp_state: None,
            names: Vec::new(),
            alpn: Vec::new(),
            ja4: None,
            http: Vec::new(),
            tunnels: Vec::new(),
            split: false,
            process: None,
            evidence: EvidenceRef {
                evidence: 0,
                record: 1,
                offset: 0,
            },
        }
    }

    #[test]
    fn a_reused_tuple_pairs_in_time_order_and_direction_does_not_matter() {
        // The log saw port 1000 twice (at 50 and 10) and port 2000; the capture saw port 1000
        // twice, the other way round, and port 3000.
        let logs = [
            connection(1000, 50, false),
            connection(1000, 10, false),
            connection(2000, 5, false),
        ];
        let capture = [
            connection(3000, 1, false),
            connection(1000, 11, true),
            connection(1000, 51, true),
        ];
        let matched = match_by_community_id(&logs, &capture);
        assert_eq!(matched.pairs, [(0, 2), (1, 1)]);
        assert_eq!(matched.only_in_logs, [2]);
        assert_eq!(matched.only_in_capture, [0]);
    }
}
