//! Capture reading and decoding on the real captures in `shared/data` (pcap-parser's edge cases,
//! the JA4 and Community ID suites, all of nDPI's test captures), checked against their SOURCES.md
//! digests and against what tshark and nDPI report for them.

use ringfence_sources::capture::{
    CaptureReader, Decoded, Decoder, ReadSummary, TransportHeader, Tunnel,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn data_dir(rel: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/captures")
        .join(rel);
    assert!(
        dir.exists(),
        "test data missing: {} (install shared/data)",
        dir.display()
    );
    dir
}

fn capture(rel: &str) -> String {
    data_dir(rel).to_string_lossy().into_owned()
}

/// One decoded packet, reduced to what the tests compare.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    src: IpAddr,
    dst: IpAddr,
    proto: String,
    src_port: u16,
    dst_port: u16,
    tunnels: Vec<Tunnel>,
    payload_len: u32,
}

#[derive(Default)]
struct Outcome {
    packets: Vec<Seen>,
    held: u64,
    not_ip: u64,
    malformed: BTreeMap<&'static str, u64>,
    links: BTreeSet<u32>,
    summary: Option<ReadSummary>,
}

fn decode_path(path: &str) -> Outcome {
    let mut reader = CaptureReader::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut decoder = Decoder::new();
    let mut out = Outcome::default();
    let summary = reader.for_each_frame(|frame| {
        out.links.insert(frame.link_type.0);
        match decoder.decode(frame) {
            Decoded::Packet(p) => {
                let (proto, src_port, dst_port) = match p.transport {
                    TransportHeader::Tcp(t) => ("tcp".to_owned(), t.src_port, t.dst_port),
                    TransportHeader::Udp { src_port, dst_port } => {
                        ("udp".to_owned(), src_port, dst_port)
                    }
                    TransportHeader::Other { protocol } => (format!("ip{protocol}"), 0, 0),
                };
                assert!(p.payload.len() as u64 <= u64::from(p.payload_len) || p.payload_len == 0);
                out.packets.push(Seen {
                    src: p.src,
                    dst: p.dst,
                    proto,
                    src_port,
                    dst_port,
                    tunnels: p.tunnels.iter().collect(),
                    payload_len: p.payload_len,
                });
            }
            Decoded::FragmentHeld => out.held += 1,
            Decoded::NotIp => out.not_ip += 1,
            Decoded::Malformed(reason) => *out.malformed.entry(reason).or_default() += 1,
        }
    });
    out.summary = Some(summary);
    out
}

fn summary(o: &Outcome) -> &ReadSummary {
    o.summary.as_ref().expect("summary")
}

/// `(path, bytes, first 16 hex of sha256)` rows of a SOURCES.md table.
fn sources_table(dir: &Path) -> BTreeMap<String, (u64, String)> {
    let text = std::fs::read_to_string(dir.join("SOURCES.md"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if let [_, path, bytes, sha, ..] = cells.as_slice()
            && let Ok(bytes) = bytes.parse::<u64>()
        {
            rows.insert(
                path.trim_matches('`').to_owned(),
                (bytes, sha.trim_matches('`').to_owned()),
            );
        }
    }
    rows
}

fn is_capture(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [".pcap", ".pcapng", ".cap", ".pcap.gz"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

#[test]
fn every_shared_capture_reads_and_decodes_with_digests_matching_sources() {
    // (directory whose SOURCES.md lists the files, sub-directory holding the captures)
    let sets = [
        ("pcap-parser", "assets"),
        ("ja4", "pcap"),
        ("community-id-spec", "pcaps"),
        ("ndpi", "pcap"),
    ];
    let mut jobs = Vec::new();
    for (root, sub) in sets {
        let root_dir = data_dir(root);
        let table = sources_table(&root_dir);
        assert!(!table.is_empty(), "{root}: no SOURCES.md rows");
        for entry in std::fs::read_dir(root_dir.join(sub)).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if is_capture(&path) {
                let key = format!("{sub}/{}", path.file_name().unwrap().to_string_lossy());
                let expected = table.get(&key).cloned();
                jobs.push((path, expected));
            }
        }
    }
    assert!(jobs.len() > 550, "only {} captures found", jobs.len());

    // Two threads: the machine has two cores and this reads ~40 MB in a debug build.
    let (left, right) = jobs.split_at(jobs.len() / 2);
    let totals: Vec<(u64, u64)> = std::thread::scope(|scope| {
        let run = |part: &[(PathBuf, Option<(u64, String)>)]| {
            let mut frames = 0u64;
            let mut packets = 0u64;
            for (path, expected) in part {
                let path = path.to_string_lossy();
                let outcome = decode_path(&path);
                let s = summary(&outcome);
                let (bytes, sha_prefix) = expected
                    .as_ref()
                    .unwrap_or_else(|| panic!("{path} is not listed in SOURCES.md"));
                assert_eq!(s.evidence.bytes, *bytes, "{path}: byte count");
                assert!(
                    s.evidence.sha256.starts_with(sha_prefix.as_str()),
                    "{path}: sha256 {} does not start with {sha_prefix}",
                    s.evidence.sha256
                );
                assert!(s.problems.len() as u64 <= s.problem_count);
                frames += s.frames;
                packets += outcome.packets.len() as u64;
            }
            (frames, packets)
        };
        let a = scope.spawn(move || run(left));
        let b = scope.spawn(move || run(right));
        vec![a.join().expect("thread"), b.join().expect("thread")]
    });
    let frames: u64 = totals.iter().map(|t| t.0).sum();
    let packets: u64 = totals.iter().map(|t| t.1).sum();
    assert!(frames > 110_000, "frames {frames}");
    assert!(
        packets * 100 > frames * 95,
        "packets {packets} of {frames} frames"
    );
}

#[test]
fn frame_counts_and_times_match_tshark() {
    // Frame counts as tshark reports them; the first frame's time as tshark's frame.time_epoch.
    let cases = [
        ("ndpi/pcap/1kxun.pcap", 1723, None),
        // Big-endian microsecond pcap.
        (
            "ndpi/pcap/nfsv2.pcap",
            156,
            Some((944_207_338, 400_000_000)),
        ),
        ("ndpi/pcap/sctp.cap", 4, None),
        // Little-endian nanosecond pcap.
        (
            "ndpi/pcap/someip_sd_sample.pcap",
            6,
            Some((1_559_741_544, 964_106_975)),
        ),
        ("pcap-parser/assets/modified-format.pcap", 1, None),
        ("pcap-parser/assets/test001-be.pcapng", 4, None),
        ("pcap-parser/assets/test001-le.pcapng", 4, None),
        ("pcap-parser/assets/err-buffertoosmall.pcapng", 27, None),
        ("community-id-spec/pcaps/combined.pcap.gz", 68, None),
    ];
    for (rel, count, first_time) in cases {
        let path = capture(rel);
        let mut reader = CaptureReader::open(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let mut first = None;
        let mut records = Vec::new();
        let summary = reader.for_each_frame(|f| {
            first.get_or_insert(f.time);
            records.push((f.record, f.offset));
        });
        assert_eq!(summary.frames, count, "{rel}");
        assert_eq!(summary.problem_count, 0, "{rel}: {:?}", summary.problems);
        let numbers: Vec<u64> = records.iter().map(|r| r.0).collect();
        assert_eq!(
            numbers,
            (1..=count).collect::<Vec<_>>(),
            "{rel}: record numbers"
        );
        assert!(
            records.windows(2).all(|w| w[0].1 < w[1].1),
            "{rel}: offsets"
        );
        if let Some((secs, nanos)) = first_time {
            let t = first.expect("a frame");
            assert_eq!(t.nanos(), secs * 1_000_000_000 + nanos, "{rel}: first time");
        }
    }
}

#[test]
fn the_big_endian_and_little_endian_pcapng_read_the_same() {
    let le = decode_path(&capture("pcap-parser/assets/test001-le.pcapng"));
    let be = decode_path(&capture("pcap-parser/assets/test001-be.pcapng"));
    assert_eq!(summary(&le).frames, summary(&be).frames);
    assert_eq!(le.packets, be.packets);
    assert_eq!(le.links, be.links);
}

#[test]
fn link_types_across_the_ndpi_captures() {
    let expectations = [
        ("ndpi/pcap/dlt_ppp.pcap", 9, 1),
        // Cisco HDLC frames labelled PPP: every frame decodes (nDPI sees them the same way).
        ("ndpi/pcap/BGP_Cisco_hdlc_slarp.pcap", 9, 14),
        ("ndpi/pcap/4in4tunnel.pcap", 1, 5),
    ];
    for (rel, link, packets) in expectations {
        let o = decode_path(&capture(rel));
        assert_eq!(o.links, BTreeSet::from([link]), "{rel}");
        assert_eq!(o.packets.len(), packets, "{rel}");
    }
    // Several link types are present in the nDPI set: Ethernet, Linux SLL, raw IP, BSD NULL, IPv4.
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(data_dir("ndpi/pcap")).expect("dir") {
        let path = entry.expect("entry").path();
        if is_capture(&path)
            && std::fs::metadata(&path)
                .map(|m| m.len() < 200_000)
                .unwrap_or(false)
        {
            seen.extend(decode_path(&path.to_string_lossy()).links);
        }
    }
    for link in [0, 1, 101, 113, 228] {
        assert!(seen.contains(&link), "link type {link} not seen: {seen:?}");
    }
}

fn count(o: &Outcome, f: impl Fn(&Seen) -> bool) -> usize {
    o.packets.iter().filter(|p| f(p)).count()
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

#[test]
fn ip_in_ip_tunnels_yield_inner_connections() {
    // nDPI: TCP [2001:470:1f17:13f:3e97:eff:fe73:4dec]:60205 <-> [2604:a880:1:20::224:b001]:443,
    // 14 packets each way; 18 and 15 for the Facebook connection.
    let o = decode_path(&capture("ndpi/pcap/6in4tunnel.pcap"));
    assert_eq!(o.packets.len(), 127);
    assert!(o.packets.iter().all(|p| p.tunnels == [Tunnel::IpInIp]));
    let a = ip("2001:470:1f17:13f:3e97:eff:fe73:4dec");
    let b = ip("2604:a880:1:20::224:b001");
    let fb = ip("2a03:2880:1010:6f03:face:b00c::2");
    assert_eq!(
        count(&o, |p| p.src == a && p.dst == b && p.src_port == 60205),
        14
    );
    assert_eq!(
        count(&o, |p| p.src == b && p.dst == a && p.dst_port == 60205),
        14
    );
    assert_eq!(
        count(&o, |p| p.src == a && p.dst == fb && p.src_port == 53234),
        18
    );
    assert_eq!(count(&o, |p| p.src == fb && p.dst == a), 16);

    let o = decode_path(&capture("ndpi/pcap/4in6tunnel.pcap"));
    assert_eq!(o.packets.len(), 4);
    assert!(o.packets.iter().all(|p| p.tunnels == [Tunnel::IpInIp]
        && p.proto == "tcp"
        && (p.src_port == 443 || p.dst_port == 443)));

    // nDPI: UDP 10.10.100.25:62367 -> 10.10.101.2:17000, 5 packets.
    let o = decode_path(&capture("ndpi/pcap/4in4tunnel.pcap"));
    assert_eq!(
        count(&o, |p| p.src == ip("10.10.100.25")
            && p.dst_port == 17000
            && p.tunnels == [Tunnel::IpInIp]),
        5
    );

    let o = decode_path(&capture("ndpi/pcap/6in6tunnel.pcap"));
    assert_eq!(
        count(&o, |p| p.src == ip("dead::beef")
            && p.dst == ip("cafe::babe")
            && p.proto == "udp"
            && p.tunnels == [Tunnel::IpInIp]),
        2
    );
}

#[test]
fn gre_erspan_vxlan_geneve_and_teredo_tunnels() {
    // GRE → ERSPAN II → Ethernet → UDP → VXLAN-GPE → Ethernet → TCP 65174 → 80 (as tshark shows).
    let o = decode_path(&capture("ja4/pcap/gre-erspan-vxlan.pcap"));
    assert_eq!(o.packets.len(), 7);
    assert!(
        o.packets
            .iter()
            .all(|p| p.tunnels == [Tunnel::Gre, Tunnel::Vxlan]
                && p.proto == "tcp"
                && (p.src_port == 65174 || p.dst_port == 65174))
    );

    let o = decode_path(&capture("ja4/pcap/gre-sample.pcap"));
    assert_eq!(o.packets.len(), 40);
    assert!(o.packets.iter().all(|p| p.tunnels == [Tunnel::Gre]));
    assert_eq!(
        count(&o, |p| p.proto == "tcp"
            && (p.src_port == 22 || p.dst_port == 22)),
        22
    );

    let o = decode_path(&capture("ja4/pcap/tcpdump-geneve.pcap"));
    assert_eq!(o.packets.len(), 39);
    assert!(o.packets.iter().all(|p| p.tunnels == [Tunnel::Geneve]));
    assert_eq!(
        count(&o, |p| p.proto == "tcp"
            && p.src == ip("30.0.0.2")
            && p.src_port == 51225),
        17
    );

    let o = decode_path(&capture("ndpi/pcap/gre.pcapng"));
    assert_eq!(
        count(&o, |p| p.tunnels == [Tunnel::Gre] && p.dst_port == 5060),
        1
    );

    // nDPI's vxlan.pcap: the Facebook TLS connections and DNS inside VXLAN.
    let o = decode_path(&capture("ndpi/pcap/vxlan.pcap"));
    assert!(o.packets.iter().all(|p| p.tunnels == [Tunnel::Vxlan]));
    let fb = ip("157.240.224.35");
    assert_eq!(count(&o, |p| p.dst == fb && p.dst_port == 443), 50);
    assert_eq!(count(&o, |p| p.src == fb && p.src_port == 443), 69);

    let o = decode_path(&capture("ndpi/pcap/teredo.pcap"));
    assert_eq!(o.packets.len(), 24);
    assert!(
        o.packets
            .iter()
            .all(|p| p.tunnels == [Tunnel::Teredo] && p.src.is_ipv6())
    );
}

#[test]
fn fragmented_datagrams_are_reassembled() {
    // Four 5000-byte datagrams of 313 fragments each (same IP id, one after another). tshark:
    // frames 626 and 939 reassemble to TCP 18730 → 20304 (Len=4976) and 9253 → 24102
    // (Len=4972); 313 and 1252 to bogus TCP header lengths.
    let o = decode_path(&capture("ndpi/pcap/ip_fragmented_garbage.pcap"));
    assert_eq!(o.held, 1248);
    let mut got: Vec<(u16, u16, u32)> = o
        .packets
        .iter()
        .map(|p| (p.src_port, p.dst_port, p.payload_len))
        .collect();
    got.sort();
    assert_eq!(got, [(9253, 24102, 4972), (18730, 20304, 4976)]);
    assert_eq!(o.malformed.values().sum::<u64>(), 2, "{:?}", o.malformed);
}

#[test]
fn a_truncated_final_record_is_reported_not_fatal() {
    // A nanosecond pcap whose only record claims 524501 bytes with 215 left.
    let path = capture("ndpi/pcap/fuzz-2021-10-13.pcap");
    let mut reader = CaptureReader::open(&path).expect("open");
    let summary = reader.for_each_frame(|_| {});
    assert_eq!(summary.frames, 0);
    assert_eq!(summary.problem_count, 1);
    assert_eq!(summary.problems[0].offset, 24);
    assert_eq!(summary.problems[0].path, path);
}
