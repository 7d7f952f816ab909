//! `netflow::read` on real exports (logstash-codec-netflow's payload files, in
//! `../shared/data/netflow`): as a bare stream of datagrams, gzip-compressed, and as the pcapng
//! capture the collector writes; the connections they make (directions paired, sampling applied,
//! times absolute) and the evidence references back to the datagrams.

use ringfence_model::{Connection, FlowKey, Installation, Resolution, Timestamp, Transport};
use ringfence_sources::capture::{ObservationSink, community_id};
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::netflow::{ExportCaptureWriter, InputForm, ReadOutcome, looks_like, read};
use std::io::Write;
use std::net::SocketAddr;

const CODECS: &str = "../../../shared/data/netflow/logstash-codec-netflow/spec/codecs";

fn payload(name: &str) -> Vec<u8> {
    let path = format!("{}/{CODECS}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("the shared NetFlow test data is missing ({path}: {e}); see /work/shared/data")
    })
}

#[derive(Default)]
struct Collect(Vec<Connection>);

impl ObservationSink for Collect {
    fn connection(&mut self, connection: Connection) {
        self.0.push(connection);
    }
    fn resolution(&mut self, _: Resolution) {}
    fn installation(&mut self, _: Installation) {}
}

fn read_bytes(bytes: Vec<u8>) -> (ReadOutcome, Vec<Connection>) {
    let stream =
        EvidenceStream::from_reader("test", Box::new(std::io::Cursor::new(bytes))).unwrap();
    let mut sink = Collect::default();
    let outcome = read(stream, 3, &mut sink);
    (outcome, sink.0)
}

fn key(transport: Transport, a: &str, ap: u16, b: &str, bp: u16) -> FlowKey {
    FlowKey {
        transport,
        orig_addr: a.parse().unwrap(),
        orig_port: ap,
        resp_addr: b.parse().unwrap(),
        resp_port: bp,
    }
}

fn find(connections: &[Connection], key: FlowKey) -> &Connection {
    connections
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no connection {key:?} in {connections:#?}"))
}

/// softflowd's IPFIX export (three messages): both directions of each flow become one connection,
/// times come from the options record's systemInitTimeMilliseconds plus the flows' uptimes.
#[test]
fn ipfix_directions_pair_into_connections_with_absolute_times() {
    let (outcome, connections) = read_bytes(payload("ipfix.dat"));
    assert_eq!(outcome.stats.form, InputForm::Bare);
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    assert_eq!(outcome.stats.decode.datagrams, 3);
    let ssh = find(
        &connections,
        key(
            Transport::Tcp,
            "192.168.253.1",
            60560,
            "192.168.253.128",
            22,
        ),
    );
    assert_eq!((ssh.orig_packets, ssh.orig_bytes), (5, 260));
    assert_eq!((ssh.resp_packets, ssh.resp_bytes), (6, 1000));
    let init = 1_431_516_013_506i64 * 1_000_000;
    assert_eq!(ssh.first_seen, Timestamp(init));
    assert_eq!(ssh.last_seen, Timestamp(init + 12_726_000_000));
    assert_eq!(ssh.community_id, community_id(&ssh.key));
    assert_eq!(ssh.evidence.evidence, 3);
    assert_eq!((ssh.evidence.record, ssh.evidence.offset), (1, 0));
    // DNS: the client is the side sending to port 53.
    let dns = find(
        &connections,
        key(
            Transport::Udp,
            "192.168.253.132",
            35262,
            "192.168.253.2",
            53,
        ),
    );
    assert_eq!((dns.orig_bytes, dns.resp_bytes), (148, 601));
    let tls = find(
        &connections,
        key(
            Transport::Tcp,
            "192.168.253.132",
            49935,
            "54.214.9.161",
            443,
        ),
    );
    assert_eq!((tls.orig_bytes, tls.resp_bytes), (2608, 5946));
    assert!(outcome.stats.pairing.paired >= 3);
    assert_eq!(outcome.records, 7 + 1 + 4);
    assert_eq!(outcome.connections, connections.len() as u64);
}

/// v5 header sampling (Juniper MX80, 1 in 1000) multiplies packets and bytes.
#[test]
fn sampling_multiplies_the_counters() {
    let (outcome, connections) = read_bytes(payload("netflow5_test_juniper_mx80.dat"));
    assert_eq!(outcome.records, 29);
    let c = find(
        &connections,
        key(Transport::Tcp, "66.249.92.75", 37387, "192.168.0.1", 80),
    );
    assert_eq!((c.orig_packets, c.orig_bytes), (2000, 104_000));
}

/// The same exports as a bare stream, gzip-compressed, and as the collector's pcapng give the
/// same connections; the capture's references point at its packet records.
#[test]
fn bare_gzip_and_capture_forms_agree() {
    let files = [
        "netflow9_test_softflowd_tpl_data.dat",
        "ipfix_test_mikrotik_tpl.dat",
        "ipfix_test_mikrotik_data258.dat",
        "ipfix_test_mikrotik_data259.dat",
        "netflow5_test_microtik.dat",
    ];
    let datagrams: Vec<Vec<u8>> = files.iter().map(|f| payload(f)).collect();
    let bare = datagrams.concat();
    let (bare_outcome, bare_connections) = read_bytes(bare.clone());
    assert_eq!(
        bare_outcome.problems.count, 0,
        "{:?}",
        bare_outcome.problems
    );
    assert!(bare_connections.len() > 50);

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bare).unwrap();
    let (_, gz_connections) = read_bytes(gz.finish().unwrap());
    assert_eq!(gz_connections, bare_connections);

    let collector: SocketAddr = "198.51.100.1:2055".parse().unwrap();
    let exporter: SocketAddr = "192.0.2.7:40000".parse().unwrap();
    let mut writer = ExportCaptureWriter::new(Vec::new(), collector).unwrap();
    for (n, datagram) in datagrams.iter().enumerate() {
        writer
            .write(exporter, 1_700_000_000_000_000_000 + n as u64, datagram)
            .unwrap();
    }
    let capture = writer.into_inner();
    assert!(looks_like(&capture[..capture.len().min(4096)]));
    let (outcome, connections) = read_bytes(capture);
    assert_eq!(outcome.stats.form, InputForm::Capture);
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    assert_eq!(outcome.stats.other_packets, 0);
    assert_eq!(outcome.records, bare_outcome.records);
    let strip = |c: &[Connection]| -> Vec<_> {
        c.iter()
            .map(|c| (c.key, c.first_seen, c.last_seen, c.orig_bytes, c.resp_bytes))
            .collect()
    };
    assert_eq!(strip(&connections), strip(&bare_connections));
    // Capture records are numbered from 1 and point at their Enhanced Packet Blocks.
    assert!(
        connections
            .iter()
            .all(|c| (1..=5).contains(&c.evidence.record))
    );
    assert!(connections.iter().all(|c| c.evidence.offset >= 28));
}

#[test]
fn looks_like_recognises_exports_and_nothing_else() {
    for name in [
        "netflow5.dat",
        "netflow9_test_valid01.dat",
        "ipfix.dat",
        "ipfix_test_netscaler_tpl.dat",
        "netflow9_test_paloalto_81_data257_1flowset_in_large_zerofilled_packet.dat",
    ] {
        let bytes = payload(name);
        assert!(looks_like(&bytes[..bytes.len().min(4096)]), "{name}");
    }
    assert!(!looks_like(b"#separator \\x09\n#fields\tts\tuid\n"));
    assert!(!looks_like(b"{\"timestamp\":\"2024-01-01\"}\n"));
    assert!(!looks_like(&[]));
    // A capture of other traffic: its first UDP packet is DNS.
    let dns_capture = format!(
        "{}/../../../shared/data/captures/zeek/testing/btest/Traces/wikipedia.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&dns_capture).unwrap_or_else(|e| panic!("{dns_capture}: {e}"));
    assert!(!looks_like(&bytes[..bytes.len().min(4096)]));
}

/// Pairing is bounded: far more unanswered flows than the table holds are all written out, the
/// overflow counted.
#[test]
fn unanswered_flows_beyond_the_table_are_written_out() {
    let mut stream = Vec::new();
    let flows = 70_000u32;
    for chunk in 0..flows.div_ceil(30) {
        let count = 30.min(flows - chunk * 30) as u16;
        let mut datagram = vec![0, 5];
        datagram.extend_from_slice(&count.to_be_bytes());
        datagram.extend_from_slice(&1000u32.to_be_bytes()); // uptime
        datagram.extend_from_slice(&1_700_000_000u32.to_be_bytes());
        datagram.extend_from_slice(&[0; 12]);
        for i in 0..u32::from(count) {
            let n = chunk * 30 + i;
            let mut record = [0u8; 48];
            record[0..4].copy_from_slice(&(0x0a00_0000 | n).to_be_bytes());
            record[4..8].copy_from_slice(&[192, 0, 2, 1]);
            record[16..20].copy_from_slice(&1u32.to_be_bytes());
            record[20..24].copy_from_slice(&40u32.to_be_bytes());
            record[32..34].copy_from_slice(&40000u16.to_be_bytes());
            record[34..36].copy_from_slice(&443u16.to_be_bytes());
            record[38] = 6;
            datagram.extend_from_slice(&record);
        }
        stream.extend_from_slice(&datagram);
    }
    let (outcome, connections) = read_bytes(stream);
    assert_eq!(outcome.records, u64::from(flows));
    assert_eq!(connections.len(), flows as usize);
    assert!(outcome.stats.pairing.evicted_for_space > 0);
    // Output order is the order the flows arrived in.
    assert_eq!(connections[0].key.orig_addr.to_string(), "10.0.0.0");
}
