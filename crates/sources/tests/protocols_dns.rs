//! DNS parsing: Zeek's dns.log for wikipedia.pcap as the oracle, hand-built hostile messages, and
//! DNS over TCP framing.

mod protocols_support;

use proptest::prelude::*;
use protocols_support::{Proto, directions, read_text};
use ringfence_sources::capture::dns::{
    AnswerChain, DnsData, DnsError, DnsMessage, TcpDnsScanner, answer_chains, parse_message,
};
use std::collections::HashMap;
use std::net::IpAddr;

/// Zeek logs each query with the answers of its response ("answers" and "TTLs" vectors, in answer
/// order). Every unicast A/AAAA response in the capture must give the same records.
#[test]
fn answers_match_zeek_dns_log() {
    let log = read_text("zeek/testing/btest/Baseline/opt.basic/dns.log");
    let fields: Vec<&str> = log
        .lines()
        .find(|l| l.starts_with("#fields"))
        .expect("#fields")
        .split('\t')
        .skip(1)
        .collect();
    let col = |row: &[&str], name: &str| -> String {
        row[fields.iter().position(|f| *f == name).expect(name)].to_owned()
    };
    // Responses by (client, trans_id).
    let mut responses: HashMap<(String, u16), DnsMessage> = HashMap::new();
    for dir in directions("zeek/testing/btest/Traces/wikipedia.pcap") {
        if dir.proto != Proto::Udp || dir.src.port() != 53 {
            continue;
        }
        for datagram in &dir.chunks {
            let message = parse_message(datagram).expect("a DNS response");
            assert!(message.is_response);
            responses.insert(
                (format!("{}:{}", dir.dst.ip(), dir.dst.port()), message.id),
                message,
            );
        }
    }
    let mut checked = 0;
    for line in log.lines().filter(|l| !l.starts_with('#')) {
        let row: Vec<&str> = line.split('\t').collect();
        if col(&row, "id.resp_p") != "53"
            || !matches!(col(&row, "qtype_name").as_str(), "A" | "AAAA")
        {
            continue;
        }
        let key = (
            format!("{}:{}", col(&row, "id.orig_h"), col(&row, "id.orig_p")),
            col(&row, "trans_id").parse().expect("id"),
        );
        let Some(message) = responses.get(&key) else {
            assert_eq!(
                col(&row, "rcode_name"),
                "-",
                "no response for {key:?} but Zeek saw one"
            );
            continue;
        };
        assert_eq!(message.questions[0].name, col(&row, "query"));
        assert_eq!(message.rcode.to_string(), col(&row, "rcode"));
        let ours: Vec<String> = message
            .answers
            .iter()
            .map(|r| match &r.data {
                DnsData::A(a) => a.to_string(),
                DnsData::Aaaa(a) => a.to_string(),
                DnsData::Cname(c) => c.clone(),
                DnsData::Other(t) => format!("type {t}"),
            })
            .collect();
        let ttls: Vec<String> = message
            .answers
            .iter()
            .map(|r| format!("{}.000000", r.ttl))
            .collect();
        let joined = |v: Vec<String>| {
            if v.is_empty() {
                "-".to_owned()
            } else {
                v.join(",")
            }
        };
        assert_eq!(joined(ours), col(&row, "answers"), "{line}");
        assert_eq!(joined(ttls), col(&row, "TTLs"), "{line}");
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} responses checked");
}

/// Builds a DNS response: header, questions, then raw answer bytes.
fn message(
    id: u16,
    flags: u16,
    questions: &[(&[u8], u16)],
    answers: u16,
    answer_bytes: &[u8],
) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend(id.to_be_bytes());
    m.extend(flags.to_be_bytes());
    m.extend((questions.len() as u16).to_be_bytes());
    m.extend(answers.to_be_bytes());
    m.extend([0, 0, 0, 0]);
    for (name, qtype) in questions {
        m.extend(*name);
        m.extend(qtype.to_be_bytes());
        m.extend([0, 1]);
    }
    m.extend(answer_bytes);
    m
}

fn record(name: &[u8], rtype: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
    let mut r = name.to_vec();
    r.extend(rtype.to_be_bytes());
    r.extend([0, 1]);
    r.extend(ttl.to_be_bytes());
    r.extend((rdata.len() as u16).to_be_bytes());
    r.extend(rdata);
    r
}

/// "WWW.Example.com" at offset 12; pointers to it are 0xc00c.
const QNAME: &[u8] = b"\x03WWW\x07Example\x03com\x00";

#[test]
fn cname_chain_with_compression() {
    // www.example.com CNAME edge.cdn.net (target written as "edge" + new "cdn.net"),
    // edge.cdn.net CNAME www.example.com would loop — it must be ignored;
    // edge.cdn.net A 192.0.2.1 and AAAA 2001:db8::1, plus an unrelated A record.
    let mut answers = record(b"\xc0\x0c", 5, 300, b"\x04edge\x03cdn\x03net\x00");
    let edge_at = 12 + QNAME.len() + 4 + 12; // offset of "edge" inside the first record's rdata
    let edge_ptr = [0xc0, edge_at as u8];
    answers.extend(record(&edge_ptr, 5, 10, b"\xc0\x0c"));
    answers.extend(record(&edge_ptr, 1, 60, &[192, 0, 2, 1]));
    answers.extend(record(
        &edge_ptr,
        28,
        120,
        &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    ));
    answers.extend(record(b"\x05other\x00", 1, 5, &[198, 51, 100, 7]));
    let bytes = message(7, 0x8180, &[(QNAME, 1)], 5, &answers);
    let parsed = parse_message(&bytes).expect("parse");
    assert_eq!(parsed.id, 7);
    assert!(parsed.is_response);
    assert_eq!(parsed.questions[0].name, "www.example.com");
    assert_eq!(parsed.answers.len(), 5);
    assert_eq!(
        parsed.answers[1].data,
        DnsData::Cname("www.example.com".into())
    );
    assert_eq!(
        answer_chains(&parsed),
        vec![AnswerChain {
            query: "www.example.com".into(),
            cname_chain: vec!["edge.cdn.net".into()],
            addresses: vec![
                "192.0.2.1".parse::<IpAddr>().unwrap(),
                "2001:db8::1".parse().unwrap()
            ],
            ttl: 60,
        }]
    );
}

#[test]
fn queries_and_empty_answers_give_no_chains() {
    let query = parse_message(&message(1, 0x0100, &[(QNAME, 1)], 0, &[])).expect("parse");
    assert!(!query.is_response);
    assert!(answer_chains(&query).is_empty());
    let nxdomain = parse_message(&message(1, 0x8183, &[(QNAME, 1)], 0, &[])).expect("parse");
    assert_eq!(nxdomain.rcode, 3);
    assert!(answer_chains(&nxdomain).is_empty());
}

#[test]
fn compression_loops_are_rejected() {
    // A question name that points at itself, and two names pointing at each other.
    let mut bytes = message(1, 0x8180, &[], 0, &[]);
    bytes[5] = 1;
    bytes.extend([0xc0, 0x0c, 0, 1, 0, 1]);
    assert_eq!(parse_message(&bytes), Err(DnsError::PointerLoop));
    let mut bytes = message(1, 0x8180, &[], 0, &[]);
    bytes[5] = 1;
    bytes.extend([0x01, b'a', 0xc0, 0x0c, 0, 1, 0, 1]);
    assert_eq!(parse_message(&bytes), Err(DnsError::PointerLoop));
    // A forward pointer.
    let mut bytes = message(1, 0x8180, &[], 0, &[]);
    bytes[5] = 1;
    bytes.extend([0xc0, 0x20, 0, 1, 0, 1]);
    assert_eq!(parse_message(&bytes), Err(DnsError::PointerLoop));
    // Reserved label type 0x40.
    let mut bytes = message(1, 0x8180, &[], 0, &[]);
    bytes[5] = 1;
    bytes.extend([0x41, b'a', 0, 0, 1, 0, 1]);
    assert_eq!(parse_message(&bytes), Err(DnsError::BadLabel));
}

#[test]
fn names_are_bounded_escaped_and_lowercased() {
    // 5 labels of 63 bytes exceed 255.
    let mut long = Vec::new();
    for _ in 0..5 {
        long.push(63);
        long.extend([b'a'; 63]);
    }
    long.push(0);
    assert_eq!(
        parse_message(&message(1, 0, &[(&long, 1)], 0, &[])),
        Err(DnsError::NameTooLong)
    );
    // A 64 KiB message full of labels is rejected without reading it all.
    let mut huge = vec![0u8; 12];
    huge[5] = 1;
    while huge.len() < 65_000 {
        huge.push(63);
        huge.extend([b'x'; 63]);
    }
    assert_eq!(parse_message(&huge), Err(DnsError::NameTooLong));
    let odd = b"\x05A\\b\x00\xff\x03COM\x00";
    let parsed = parse_message(&message(1, 0, &[(odd, 1)], 0, &[])).expect("parse");
    assert_eq!(parsed.questions[0].name, "a\\x5cb\\x00\\xff.com");
}

#[test]
fn counts_are_capped_and_cut_answers_are_kept() {
    let questions: Vec<(&[u8], u16)> = (0..100).map(|_| (&b"\x01q\x00"[..], 1)).collect();
    let answers: Vec<u8> = (0..300u32)
        .flat_map(|i| record(b"\x01q\x00", 1, i, &[10, 0, 0, 1]))
        .collect();
    let bytes = message(1, 0x8180, &questions, 300, &answers);
    let parsed = parse_message(&bytes).expect("parse");
    assert_eq!(parsed.questions.len(), 64);
    assert_eq!(parsed.answers.len(), 256);
    // Cut in the middle of the third answer: the first two are kept.
    let answers: Vec<u8> = (0..3u32)
        .flat_map(|i| record(b"\x01q\x00", 1, i, &[10, 0, 0, 1]))
        .collect();
    let bytes = message(1, 0x8180, &[(b"\x01q\x00", 1)], 3, &answers);
    let cut = parse_message(&bytes[..bytes.len() - 2]).expect("parse");
    assert_eq!(cut.answers.len(), 2);
    assert!(cut.answers_truncated);
    assert_eq!(
        parse_message(&bytes[..11]),
        Err(DnsError::Truncated("header"))
    );
}

#[test]
fn tcp_framing_at_every_split() {
    let a = message(
        1,
        0x8180,
        &[(QNAME, 1)],
        1,
        &record(b"\xc0\x0c", 1, 9, &[1, 2, 3, 4]),
    );
    let b = message(2, 0x8180, &[(QNAME, 28)], 0, &[]);
    let mut stream = Vec::new();
    for m in [&a, &b] {
        stream.extend((m.len() as u16).to_be_bytes());
        stream.extend(m.iter());
    }
    stream.extend([0, 0]); // an empty message is an error, and framing goes on
    stream.extend((a.len() as u16).to_be_bytes());
    stream.extend(&a);
    for split in 0..=stream.len() {
        let mut scanner = TcpDnsScanner::new();
        let mut got = Vec::new();
        scanner.feed(&stream[..split], |m| got.push(m.map(|m| m.id)));
        scanner.feed(&stream[split..], |m| got.push(m.map(|m| m.id)));
        assert_eq!(
            got,
            vec![Ok(1), Ok(2), Err(DnsError::Truncated("header")), Ok(1)],
            "split {split}"
        );
    }
    // One byte at a time.
    let mut scanner = TcpDnsScanner::new();
    let mut count = 0;
    for b in &stream {
        scanner.feed(std::slice::from_ref(b), |_| count += 1);
    }
    assert_eq!(count, 4);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..700)) {
        if let Ok(m) = parse_message(&data) {
            let _ = answer_chains(&m);
        }
        let mut scanner = TcpDnsScanner::new();
        scanner.feed(&data, |m| { if let Ok(m) = m { let _ = answer_chains(&m); } });
    }

    #[test]
    fn mutated_responses_never_panic(flips in proptest::collection::vec((0usize..200, any::<u8>()), 1..6)) {
        let mut answers = record(b"\xc0\x0c", 5, 300, b"\x04edge\x03cdn\x03net\x00");
        answers.extend(record(b"\xc0\x2b", 1, 60, &[192, 0, 2, 1]));
        let mut bytes = message(7, 0x8180, &[(QNAME, 1)], 2, &answers);
        for (at, v) in flips {
            let at = at % bytes.len();
            bytes[at] = v;
        }
        if let Ok(m) = parse_message(&bytes) {
            let _ = answer_chains(&m);
        }
    }
}
