//! Sysmon EVTX files from EVTX-ATTACK-SAMPLES: what the reader extracts against the `evtx`
//! crate's own full parse of the same files (read here independently of the reader's code path),
//! and concrete connections checked by hand.

mod common;

use common::shared_data;
use common::sysmon::*;
use ringfence_model::{NameSource, Transport};
use ringfence_sources::evidence::{EvidenceFormat, RecordFormat, open_evidence};
use serde_json::Value;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};

/// The Sysmon events 1, 3 and 22 of a file as the `evtx` crate's own iterator renders them.
fn oracle_events(relative: &str) -> Vec<(u64, Value)> {
    let mut parser = evtx::EvtxParser::from_path(shared_data(relative)).expect("evtx parser");
    let mut events = Vec::new();
    for record in parser.records_json_value() {
        let record = record.expect("the samples parse cleanly");
        let event = &record.data["Event"];
        let system = &event["System"];
        assert_eq!(system["Channel"], "Microsoft-Windows-Sysmon/Operational");
        let id = system["EventID"].as_u64().expect("numeric EventID");
        if matches!(id, 1 | 3 | 22) {
            let mut data = event["EventData"].clone();
            data["Computer"] = system["Computer"].clone();
            events.push((id, data));
        }
    }
    events
}

fn text(value: &Value) -> &str {
    value.as_str().expect("string field")
}

fn socket(data: &Value, side: &str) -> SocketAddr {
    let ip: IpAddr = text(&data[format!("{side}Ip")]).parse().expect("address");
    let port = data[format!("{side}Port")].as_u64().expect("port") as u16;
    SocketAddr::new(ip, port)
}

/// `2019-02-16 10:02:21.995` → `2019-02-16T10:02:21.995000000Z`.
fn rfc3339(utc_time: &str) -> String {
    format!("{}000000Z", utc_time.replacen(' ', "T", 1))
}

#[test]
fn events_match_the_evtx_crates_own_parse() {
    for relative in EVTX_FILES {
        let oracle = oracle_events(relative);
        let (outcome, collected) = read_shared(relative);
        assert_eq!(
            outcome.problems.count, 0,
            "{relative}: {:?}",
            outcome.problems
        );
        let network: Vec<&Value> = oracle
            .iter()
            .filter(|(id, _)| *id == 3)
            .map(|(_, d)| d)
            .collect();
        let dns: Vec<&Value> = oracle
            .iter()
            .filter(|(id, _)| *id == 22)
            .map(|(_, d)| d)
            .collect();
        let starts: Vec<&Value> = oracle
            .iter()
            .filter(|(id, _)| *id == 1)
            .map(|(_, d)| d)
            .collect();
        assert_eq!(collected.connections.len(), network.len(), "{relative}");
        assert_eq!(outcome.connections, network.len() as u64);
        // Read in record order, and the join queue keeps that order.
        for (connection, data) in collected.connections.iter().zip(&network) {
            let key = connection.key;
            let mut ours = [
                SocketAddr::new(key.orig_addr, key.orig_port),
                SocketAddr::new(key.resp_addr, key.resp_port),
            ];
            let mut theirs = [socket(data, "Source"), socket(data, "Destination")];
            ours.sort();
            theirs.sort();
            assert_eq!(ours, theirs, "{relative}: {data}");
            let expected = if text(&data["Protocol"]) == "tcp" {
                Transport::Tcp
            } else {
                Transport::Udp
            };
            assert_eq!(key.transport, expected);
            if data["Initiated"] == true {
                assert_eq!(
                    SocketAddr::new(key.orig_addr, key.orig_port),
                    socket(data, "Source")
                );
            }
            let process = connection.process.as_ref().expect("process");
            assert_eq!(process.image, text(&data["Image"]));
            assert_eq!(
                u64::from(process.pid.expect("pid")),
                data["ProcessId"].as_u64().unwrap()
            );
            assert_eq!(process.user.as_deref(), Some(text(&data["User"])));
            assert_eq!(process.host.as_deref(), Some(text(&data["Computer"])));
            assert_eq!(
                connection.first_seen.to_string(),
                rfc3339(text(&data["UtcTime"]))
            );
            assert_eq!(connection.first_seen, connection.last_seen);
            assert_eq!(
                connection.orig_bytes + connection.resp_bytes + connection.orig_packets,
                0
            );
            assert_eq!(
                connection.community_id,
                ringfence_sources::capture::community_id(&key)
            );
        }
        let answered = dns
            .iter()
            .filter(|d| !matches!(text(&d["QueryResults"]), "" | "-"))
            .count();
        assert_eq!(collected.resolutions.len(), answered, "{relative}");
        assert_eq!(
            outcome.counts.unanswered_queries as usize,
            dns.len() - answered
        );
        assert_eq!(collected.installations.len(), starts.len(), "{relative}");
        for (installation, data) in collected.installations.iter().zip(&starts) {
            assert_eq!(installation.name, text(&data["Image"]));
            assert_eq!(installation.location.as_deref(), Some(text(&data["Image"])));
            assert_eq!(installation.hashes.as_deref(), Some(text(&data["Hashes"])));
            assert_eq!(
                installation.version.as_deref(),
                data["FileVersion"]
                    .as_str()
                    .filter(|v| !v.is_empty() && *v != "-")
            );
            assert_eq!(
                installation.host.name.as_deref(),
                Some(text(&data["Computer"]))
            );
            assert_eq!(
                installation.time.map(|t| t.to_string()),
                Some(rfc3339(text(&data["UtcTime"])))
            );
        }
        assert_eq!(
            outcome.records,
            outcome.counts.other_events
                + network.len() as u64
                + dns.len() as u64
                + starts.len() as u64,
            "{relative}: every record is either read or counted as another event"
        );
    }
}

#[test]
fn evidence_offsets_point_at_the_records() {
    for relative in EVTX_FILES {
        let bytes = shared_bytes(relative);
        let (_, collected) = read_shared(relative);
        let refs = collected
            .connections
            .iter()
            .map(|c| c.evidence)
            .chain(collected.installations.iter().map(|i| i.evidence))
            .chain(collected.resolutions.iter().map(|r| r.evidence));
        for evidence in refs {
            let at = evidence.offset as usize;
            assert_eq!(
                bytes.get(at..at + 4),
                Some(&b"**\0\0"[..]),
                "{relative} {evidence:?}"
            );
        }
    }
}

#[test]
fn the_rdp_tunnel_sample_in_detail() {
    let (outcome, collected) = read_shared(EVTX_RDP_TUNNEL);
    assert_eq!(outcome.records, 73);
    // Record 4: plink.exe opens the tunnel to PC02's port 80.
    let plink = collected
        .connections
        .iter()
        .find(|c| c.evidence.record == 4)
        .expect("record 4");
    let process = plink.process.as_ref().unwrap();
    assert_eq!(process.image, r"C:\Users\IEUser\Desktop\plink.exe");
    assert_eq!(process.host.as_deref(), Some("PC01.example.corp"));
    assert_eq!(plink.key.transport, Transport::Tcp);
    assert_eq!(plink.key.orig_addr.to_string(), "10.0.2.17");
    assert_eq!(plink.key.orig_port, 49185);
    assert_eq!(plink.key.resp_addr.to_string(), "10.0.2.18");
    assert_eq!(plink.key.resp_port, 80);
    assert_eq!(
        plink.first_seen.to_string(),
        "2019-02-16T10:02:21.995000000Z"
    );
    assert_eq!(plink.names.len(), 1);
    assert_eq!(plink.names[0].name, "pc02");
    assert_eq!(plink.names[0].source, NameSource::SysmonDestinationHostname);
    // Records 5 and 6: both ends of plink's loopback connection to RDP. The accepting side
    // (svchost, Initiated false) writes the listener as Source; both give the same 5-tuple.
    let outbound = collected
        .connections
        .iter()
        .find(|c| c.evidence.record == 5)
        .unwrap();
    let inbound = collected
        .connections
        .iter()
        .find(|c| c.evidence.record == 6)
        .unwrap();
    assert_eq!(outbound.key, inbound.key);
    assert_eq!(outbound.community_id, inbound.community_id);
    assert_eq!(inbound.key.resp_port, 3389);
    assert_eq!(
        inbound.process.as_ref().unwrap().image,
        r"C:\Windows\System32\svchost.exe"
    );
    assert!(
        inbound.names.is_empty(),
        "an inbound connection's responder is the local host"
    );
}

#[test]
fn inbound_tcp_with_the_initiator_as_source() {
    // Newer Sysmon writes the remote client as Source of an accepted connection.
    let (_, collected) = read_shared(EVTX_SHARP_RDP);
    let first = &collected.connections[0];
    assert_eq!(first.evidence.record, 1);
    assert_eq!(first.key.orig_addr.to_string(), "192.168.56.1");
    assert_eq!(first.key.orig_port, 52543);
    assert_eq!(first.key.resp_addr.to_string(), "192.168.56.101");
    assert_eq!(first.key.resp_port, 3389);
    assert_eq!(
        first.process.as_ref().unwrap().host.as_deref(),
        Some("MSEDGEWIN10")
    );
}

#[test]
fn a_failed_query_is_counted_not_sent() {
    let (outcome, collected) = read_shared(EVTX_UACME);
    assert_eq!(outcome.records, 530);
    assert!(collected.resolutions.is_empty());
    assert_eq!(
        outcome.counts.unanswered_queries, 1,
        "svchost's failed `wpad` query"
    );
    assert_eq!(outcome.counts.other_events, 530 - 3 - 1);
    assert_eq!(outcome.counts.other_channels, 0);
}

#[test]
fn gzip_input_reads_the_same() {
    let bytes = shared_bytes(EVTX_RDP_TUNNEL);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&bytes).unwrap();
    let gz = encoder.finish().unwrap();
    let (plain_outcome, plain) = read_bytes("plain.evtx", bytes);
    let (gz_outcome, gzipped) = read_bytes("x.evtx.gz", gz.clone());
    assert_eq!(plain.connections, gzipped.connections);
    assert_eq!(plain.installations, gzipped.installations);
    assert_eq!(gz_outcome.problems.count, 0);
    assert_eq!(gz_outcome.evidence.bytes, gz.len() as u64);
    assert_ne!(gz_outcome.evidence.sha256, plain_outcome.evidence.sha256);
}

#[test]
fn sniffing_finds_evtx_plain_and_gzipped() {
    let path = shared_data(EVTX_UACME);
    let opened = open_evidence(&path.to_string_lossy()).unwrap();
    assert_eq!(opened.format, EvidenceFormat::Records(RecordFormat::Sysmon));
    let dir = tempfile::tempdir().unwrap();
    let gz_path = dir.path().join("sysmon.evtx.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&shared_bytes(EVTX_UACME)).unwrap();
    std::fs::write(&gz_path, encoder.finish().unwrap()).unwrap();
    let opened = open_evidence(&gz_path.to_string_lossy()).unwrap();
    assert_eq!(opened.format, EvidenceFormat::Records(RecordFormat::Sysmon));
}
