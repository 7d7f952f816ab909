//! HTTP/1.x request scanning: Zeek's http.log as the oracle for two captures (one with keep-alive
//! requests), hand-built streams for bodies, CONNECT and limits, and any chunking.

mod protocols_support;

use proptest::prelude::*;
use protocols_support::{Proto, directions, read_text};
use ringfence_model::HttpRequest;
use ringfence_sources::capture::http::{HttpRequestScanner, HttpScanState};

fn scan(chunks: &[&[u8]]) -> (Vec<HttpRequest>, HttpScanState) {
    let mut scanner = HttpRequestScanner::new();
    let mut requests = Vec::new();
    for chunk in chunks {
        scanner.feed(chunk, |r| requests.push(r));
    }
    (requests, scanner.state().clone())
}

fn check_against_zeek(trace: &str, log: &str) -> usize {
    let log = read_text(log);
    let fields: Vec<&str> = log
        .lines()
        .find(|l| l.starts_with("#fields") || l.starts_with("ts\t"))
        .expect("header")
        .split('\t')
        .skip_while(|f| *f == "#fields")
        .collect();
    let col = |row: &[&str], name: &str| -> String {
        row[fields.iter().position(|f| *f == name).expect(name)].to_owned()
    };
    let dirs = directions(trace);
    let mut checked = 0;
    for line in log
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("ts\t"))
    {
        let row: Vec<&str> = line.split('\t').collect();
        let client = dirs
            .iter()
            .find(|d| {
                d.proto == Proto::Tcp
                    && d.src.ip().to_string() == col(&row, "id.orig_h")
                    && d.src.port().to_string() == col(&row, "id.orig_p")
                    && d.dst.port().to_string() == col(&row, "id.resp_p")
            })
            .expect("client stream");
        let chunks: Vec<&[u8]> = client.chunks.iter().map(Vec::as_slice).collect();
        let (requests, _) = scan(&chunks);
        let depth: usize = col(&row, "trans_depth").parse().expect("depth");
        let request = requests
            .get(depth - 1)
            .unwrap_or_else(|| panic!("request {depth} missing: {line}"));
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
        assert_eq!(request.method, col(&row, "method"), "{line}");
        assert_eq!(opt(&request.host), col(&row, "host"), "{line}");
        assert_eq!(request.target, col(&row, "uri"), "{line}");
        // Zeek's "version" column is the reply's version, so the request's is not compared here.
        assert_eq!(opt(&request.user_agent), col(&row, "user_agent"), "{line}");
        checked += 1;
    }
    checked
}

#[test]
fn wikipedia_requests_match_zeek() {
    assert_eq!(
        check_against_zeek(
            "zeek/testing/btest/Traces/wikipedia.pcap",
            "zeek/testing/btest/Baseline/opt.basic/http.log"
        ),
        14
    );
}

#[test]
fn keep_alive_requests_match_zeek() {
    assert_eq!(
        check_against_zeek(
            "zeek/testing/btest/Traces/http/m57-long-49583-80.pcap",
            "zeek/testing/btest/Baseline/scripts.base.protocols.http.m57-long-download-windowsupdate-1/http.log.cut"
        ),
        3
    );
}

const PIPELINE: &[u8] = b"\r\nPOST /upload HTTP/1.1\r\nHost: Example.COM:8080\r\nContent-Length: 15\r\nUser-Agent:  curl/8.0 \r\n\r\nhello\r\nGET /x\r\n\
PUT /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;ext=1\r\nGET /\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\n\r\n\
GET /bare-lf HTTP/1.0\nhost: b\n\n\
CONNECT proxy.example:443 HTTP/1.1\r\nHost: proxy.example:443\r\n\r\n";

fn pipeline_requests() -> Vec<HttpRequest> {
    let req =
        |method: &str, target: &str, version: &str, host: &str, ua: Option<&str>| HttpRequest {
            method: method.into(),
            target: target.into(),
            version: version.into(),
            host: Some(host.into()),
            user_agent: ua.map(Into::into),
        };
    vec![
        req(
            "POST",
            "/upload",
            "1.1",
            "Example.COM:8080",
            Some("curl/8.0"),
        ),
        req("PUT", "/chunked", "1.1", "a", None),
        req("GET", "/bare-lf", "1.0", "b", None),
        req(
            "CONNECT",
            "proxy.example:443",
            "1.1",
            "proxy.example:443",
            None,
        ),
    ]
}

#[test]
fn bodies_are_skipped_and_every_request_found() {
    let (requests, state) = scan(&[PIPELINE]);
    assert_eq!(requests, pipeline_requests());
    // The last request is a CONNECT: what follows belongs to the tunnel.
    assert_eq!(state, HttpScanState::Tunnel);
}

#[test]
fn every_two_way_split() {
    for split in 0..=PIPELINE.len() {
        let (requests, state) = scan(&[&PIPELINE[..split], &PIPELINE[split..]]);
        assert_eq!(requests, pipeline_requests(), "split {split}");
        assert_eq!(state, HttpScanState::Tunnel);
    }
    let bytes: Vec<&[u8]> = PIPELINE.chunks(1).collect();
    assert_eq!(scan(&bytes).0, pipeline_requests());
}

#[test]
fn not_http_is_found_quickly() {
    assert_eq!(scan(&[b"\x16\x03\x01"]).1, HttpScanState::NotHttp);
    assert_eq!(
        scan(&[b"SSH-2.0-OpenSSH_9.6\r\n"]).1,
        HttpScanState::NotHttp
    );
    assert_eq!(scan(&[b"G"]).1, HttpScanState::Scanning);
    assert_eq!(scan(&[b"GET"]).1, HttpScanState::Scanning);
    assert_eq!(scan(&[b" GET / HTTP/1.1\r\n"]).1, HttpScanState::NotHttp);
    assert_eq!(scan(&[b"HELLO world\r\n\r\n"]).1, HttpScanState::NotHttp);
    assert_eq!(scan(&[&[b'A'; 40]]).1, HttpScanState::NotHttp);
}

#[test]
fn limits_stop_the_scan() {
    let mut head = b"GET / HTTP/1.1\r\nX: ".to_vec();
    head.extend(vec![b'a'; 20_000]);
    let (requests, state) = scan(&[&head]);
    assert!(requests.is_empty());
    assert_eq!(
        state,
        HttpScanState::Stopped("request head longer than 16 KiB")
    );
    let many = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n".repeat(100);
    let (requests, state) = scan(&[&many]);
    assert_eq!(requests.len(), 64);
    assert_eq!(state, HttpScanState::Stopped("64 requests reported"));
    let (requests, state) = scan(&[b"GET / HTTP/1.1\r\n\r\n\x00\x01garbage"]);
    assert_eq!(requests.len(), 1);
    assert_eq!(
        state,
        HttpScanState::Stopped("bytes after a request are not a request line")
    );
    let (_, state) = scan(&[b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"]);
    assert_eq!(state, HttpScanState::NotHttp);
    let (requests, state) = scan(&[
        b"GET / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ]);
    assert_eq!(requests.len(), 2);
    assert_eq!(state, HttpScanState::Stopped("invalid chunk size"));
    // A huge Content-Length is skipped lazily, never allocated.
    let (requests, state) = scan(&[
        b"POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    ]);
    assert_eq!(requests.len(), 1);
    assert_eq!(state, HttpScanState::Scanning);
}

#[test]
fn non_printable_bytes_are_escaped() {
    let (requests, _) =
        scan(&[b"GET /\xff\\ HTTP/1.1\r\nHost: h\x01st\r\nUser-Agent: \xc3\xa9\r\n\r\n"]);
    assert_eq!(requests[0].target, "/\\xff\\x5c");
    assert_eq!(requests[0].host.as_deref(), Some("h\\x01st"));
    assert_eq!(requests[0].user_agent.as_deref(), Some("\\xc3\\xa9"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_chunking_gives_the_same_requests(cuts in proptest::collection::vec(0usize..400, 0..10)) {
        let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(PIPELINE.len())).collect();
        points.sort_unstable();
        let mut chunks: Vec<&[u8]> = Vec::new();
        let mut start = 0;
        for p in points {
            chunks.push(&PIPELINE[start..p]);
            start = p;
        }
        chunks.push(&PIPELINE[start..]);
        prop_assert_eq!(scan(&chunks).0, pipeline_requests());
    }

    #[test]
    fn random_bytes_never_panic(prefix in proptest::sample::select(vec![&b""[..], b"GET / HTTP/1.1\r\n", b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"]),
                                data in proptest::collection::vec(any::<u8>(), 0..600), split in 0usize..600) {
        let mut stream = prefix.to_vec();
        stream.extend(data);
        let split = split.min(stream.len());
        let _ = scan(&[&stream[..split], &stream[split..]]);
    }
}

#[test]
fn connect_hands_the_rest_of_the_chunk_to_the_tunnel() {
    let head = b"CONNECT example.net:443 HTTP/1.1\r\nHost: example.net:443\r\n\r\n";
    let mut stream = head.to_vec();
    stream.extend_from_slice(b"\x16\x03\x01rest");
    for split in 0..=stream.len() {
        let mut scanner = HttpRequestScanner::new();
        let mut requests = Vec::new();
        let first = scanner.feed(&stream[..split], |r| requests.push(r));
        let second = scanner.feed(&stream[split..], |r| requests.push(r));
        assert_eq!(requests.len(), 1, "split {split}");
        assert_eq!(requests[0].method, "CONNECT");
        assert_eq!(scanner.state(), &HttpScanState::Tunnel);
        // Every byte before the tunnel was consumed by HTTP, none after it.
        if split <= head.len() {
            assert_eq!(first, split, "split {split}");
            assert_eq!(second, head.len() - split, "split {split}");
        } else {
            assert_eq!(first, head.len(), "split {split}");
            assert_eq!(second, 0, "split {split}");
        }
    }
}

#[test]
fn request_line_with_spaces_in_the_target() {
    // WebattackRCE.pcap's command-injection request: servers take the last token as the version.
    let (requests, state) = scan(&[
        b"GET /cgi-bin/handler/netsonar;cat /etc/passwd|?data=Download HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ]);
    assert_eq!(state, HttpScanState::Scanning);
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].target,
        "/cgi-bin/handler/netsonar;cat /etc/passwd|?data=Download"
    );
    assert_eq!(requests[0].version, "1.1");
    assert_eq!(requests[0].host.as_deref(), Some("127.0.0.1"));
    // Without a version token, or with a version that is not a number, it is not HTTP.
    assert_eq!(scan(&[b"GET /a b\r\n\r\n"]).1, HttpScanState::NotHttp);
    assert_eq!(scan(&[b"GET / HTTP/x\r\n\r\n"]).1, HttpScanState::NotHttp);
    assert_eq!(scan(&[b"GET HTTP/1.1\r\n\r\n"]).1, HttpScanState::NotHttp);
}

#[test]
fn webattack_capture_request_is_read() {
    let dirs = directions("ndpi/pcap/WebattackRCE.pcap");
    let found = dirs
        .iter()
        .filter(|d| d.proto == Proto::Tcp)
        .flat_map(|d| scan(&[&d.stream()]).0)
        .find(|r| r.target.contains("netsonar;cat /etc/passwd"))
        .expect("the netsonar request");
    assert_eq!(found.method, "GET");
    assert_eq!(found.version, "1.1");
    assert_eq!(found.host.as_deref(), Some("127.0.0.1"));
}
