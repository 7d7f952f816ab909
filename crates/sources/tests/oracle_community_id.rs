//! The Community ID spec's own captures and per-packet baseline: every TCP and UDP packet's
//! Community ID in the baseline must be the one ringfence gives that packet's connection.

mod common;

use common::{run_capture, shared_data};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

#[derive(Deserialize)]
struct BaselineEntry {
    proto: u8,
    saddr: IpAddr,
    daddr: IpAddr,
    /// Null for protocols without ports.
    sport: Option<u16>,
    dport: Option<u16>,
    communityid: String,
}

#[test]
fn community_ids_match_the_spec_baseline() {
    let pcaps = shared_data("captures/community-id-spec/pcaps");
    let mut ours: BTreeMap<(u8, IpAddr, u16, IpAddr, u16), String> = BTreeMap::new();
    for entry in std::fs::read_dir(&pcaps).unwrap() {
        let path = entry.unwrap().path();
        for c in run_capture(&path).collected.connections {
            let k = c.key;
            let proto = k.transport.ip_protocol();
            ours.insert(
                (proto, k.orig_addr, k.orig_port, k.resp_addr, k.resp_port),
                c.community_id.clone(),
            );
            ours.insert(
                (proto, k.resp_addr, k.resp_port, k.orig_addr, k.orig_port),
                c.community_id,
            );
        }
    }
    let baseline = std::fs::read(shared_data(
        "captures/community-id-spec/baseline/baseline_deflt.json",
    ))
    .unwrap();
    let entries: Vec<BaselineEntry> = serde_json::from_slice(&baseline).unwrap();
    let mut checked = 0;
    for entry in entries.iter().filter(|e| e.proto == 6 || e.proto == 17) {
        let (Some(sport), Some(dport)) = (entry.sport, entry.dport) else {
            panic!("TCP/UDP baseline entry without ports")
        };
        let key = (entry.proto, entry.saddr, sport, entry.daddr, dport);
        let ours = ours
            .get(&key)
            .unwrap_or_else(|| panic!("no connection for baseline packet {key:?}"));
        assert_eq!(ours, &entry.communityid, "Community ID of {key:?}");
        checked += 1;
    }
    assert_eq!(checked, 6, "the baseline has four TCP and two UDP packets");
}
