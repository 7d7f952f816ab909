mod common;
use common::Collected;
use ringfence_samples::{SampleConfig, write_capture};
use ringfence_sources::capture::{CaptureEngine, CaptureOptions, CaptureReader};
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::logs::{eve, matching};

#[test]
fn explore() {
    let mut pcap = Vec::new();
    write_capture(&SampleConfig { seed: 1, target_bytes: 8 << 20 }, &mut pcap).unwrap();
    let mut reader = CaptureReader::from_reader("sample.pcap", Box::new(std::io::Cursor::new(pcap))).unwrap();
    let mut engine = CaptureEngine::new(CaptureOptions::default());
    let mut cap = Collected::default();
    engine.read(&mut reader, &mut cap, &mut |_| {});
    engine.finish(&mut cap);
    let stream = EvidenceStream::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/suricata/eve.json.gz")).unwrap();
    let mut logs = Collected::default();
    let outcome = eve::read(stream, 0, &mut logs);
    println!("{outcome:#?}");
    let m = matching::match_by_community_id(&logs.connections, &cap.connections);
    println!("pairs {} only logs {:?} only cap {:?}", m.pairs.len(), m.only_in_logs, m.only_in_capture);
    for i in &m.only_in_capture { println!("CAP {:?}", cap.connections[*i]); }
    for i in &m.only_in_logs { println!("LOG {:?}", logs.connections[*i]); }
    let mut diffs = 0;
    for (l, c) in &m.pairs {
        let (l, c) = (&logs.connections[*l], &cap.connections[*c]);
        let lk = (l.key, l.orig_packets, l.resp_packets, l.first_seen, l.last_seen, l.tcp_state, &l.names);
        let ck = (c.key, c.orig_packets, c.resp_packets, c.first_seen, c.last_seen, c.tcp_state, &c.names);
        if lk != ck || l.orig_bytes != c.orig_bytes + 14 * c.orig_packets { diffs += 1; if diffs < 12 { println!("DIFF\n L {lk:?} {}\n C {ck:?} {}", l.orig_bytes, c.orig_bytes); } }
    }
    println!("diffs {diffs}");
    println!("res logs {} cap {}", logs.resolutions.len(), cap.resolutions.len());
    panic!();
}
