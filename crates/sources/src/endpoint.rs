//! Connections that endpoint evidence (Sysmon event 3, osquery `process_open_sockets`) reports:
//! a 5-tuple, a moment and the local process, never packet or byte counts.

use crate::capture::community_id;
use ringfence_model::{Connection, EvidenceRef, FlowKey, LearnedName, LocalProcess, Timestamp};

/// A connection seen at `time` with no traffic counts (0 in every counter, as Zeek writes a
/// field it does not know).
pub(crate) fn endpoint_connection(
    key: FlowKey,
    time: Timestamp,
    names: Vec<LearnedName>,
    process: Option<LocalProcess>,
    evidence: EvidenceRef,
) -> Connection {
    Connection {
        community_id: community_id(&key),
        key,
        first_seen: time,
        last_seen: time,
        orig_packets: 0,
        orig_bytes: 0,
        orig_payload_bytes: 0,
        resp_packets: 0,
        resp_bytes: 0,
        resp_payload_bytes: 0,
        tcp_state: None,
        names,
        alpn: Vec::new(),
        ja4: None,
        http: Vec::new(),
        tunnels: Vec::new(),
        split: false,
        process,
        evidence,
    }
}
