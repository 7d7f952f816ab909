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
