//! `ringfence connections` as a user runs it: real captures, stdin, the output formats, and the
//! documented exit codes for clean, partly unreadable and unreadable input.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn shared_data(relative: &str) -> PathBuf {
    let path =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(relative);
    assert!(
        path.exists(),
        "shared test data missing: {}",
        path.display()
    );
    path
}

fn wikipedia() -> PathBuf {
    shared_data("captures/zeek/testing/btest/Traces/wikipedia.pcap")
}

fn ringfence(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringfence"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ringfence");
    if let Some(bytes) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(bytes)
            .expect("write stdin");
    }
    child.wait_with_output().expect("ringfence output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn json_lines_one_object_per_connection_with_stable_fields() {
    let out = ringfence(
        &["connections", "--json", wikipedia().to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 34, "Zeek logs 34 connections for this trace");
    for field in [
        "community_id",
        "transport",
        "orig_addr",
        "orig_port",
        "resp_addr",
        "resp_port",
        "first_seen",
        "orig_bytes",
        "names",
        "evidence",
    ] {
        assert!(
            lines.iter().all(|l| l.get(field).is_some()),
            "every object has {field}"
        );
    }
    let http = lines
        .iter()
        .find(|l| {
            l["names"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["source"] == "http_host")
        })
        .expect("a connection named by its HTTP Host");
    assert_eq!(http["evidence"]["file"], wikipedia().to_str().unwrap());
}

#[test]
fn standard_input_gives_the_same_connections_as_the_file() {
    let bytes = std::fs::read(wikipedia()).unwrap();
    let from_file = ringfence(
        &["connections", "--json", wikipedia().to_str().unwrap()],
        None,
    );
    let from_stdin = ringfence(&["connections", "--json", "-"], Some(&bytes));
    assert_eq!(from_stdin.status.code(), Some(0));
    let strip_file = |out: &Output| -> Vec<serde_json::Value> {
        text(&out.stdout)
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["evidence"]["file"] = serde_json::Value::Null;
                v
            })
            .collect()
    };
    assert_eq!(strip_file(&from_stdin), strip_file(&from_file));
}

#[test]
fn the_same_input_gives_byte_identical_output() {
    let capture = wikipedia();
    let args = ["connections", "--json", capture.to_str().unwrap()];
    assert_eq!(ringfence(&args, None).stdout, ringfence(&args, None).stdout);
    let csv = ["connections", "--csv", capture.to_str().unwrap()];
    assert_eq!(ringfence(&csv, None).stdout, ringfence(&csv, None).stdout);
}

#[test]
fn csv_has_a_header_and_a_row_per_connection() {
    let out = ringfence(
        &["connections", "--csv", wikipedia().to_str().unwrap()],
        None,
    );
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("community_id,transport,orig_addr")
    );
    assert_eq!(lines.count(), 34);
}

#[test]
fn a_truncated_capture_is_read_as_far_as_it_goes_and_exits_3() {
    let bytes = std::fs::read(wikipedia()).unwrap();
    let cut = tempfile_with(&bytes[..bytes.len() - 100]);
    let out = ringfence(
        &["connections", "--json", cut.path().to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(cut.path().to_str().unwrap()) && stderr.contains("at byte"),
        "{stderr}"
    );
    assert!(
        text(&out.stdout).lines().count() >= 30,
        "the readable part is still used"
    );
}

#[test]
fn a_file_that_is_not_a_capture_exits_2_and_the_others_are_still_read() {
    let junk = tempfile_with(b"this is not a capture file\n");
    let out = ringfence(
        &[
            "connections",
            "--json",
            junk.path().to_str().unwrap(),
            wikipedia().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(junk.path().to_str().unwrap()));
    assert_eq!(text(&out.stdout).lines().count(), 34);
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    assert_eq!(ringfence(&["connections"], None).status.code(), Some(2));
    assert_eq!(
        ringfence(&["connections", "--json", "--csv", "x"], None)
            .status
            .code(),
        Some(2)
    );
    let help = ringfence(&["--help"], None);
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).contains("Exit codes"));
    let completions = ringfence(&["completions", "bash"], None);
    assert_eq!(completions.status.code(), Some(0));
    assert!(text(&completions.stdout).contains("ringfence"));
}

#[test]
fn hostile_names_cannot_drive_the_terminal() {
    // An HTTP request whose Host header carries an escape sequence, in a capture built here.
    let pcap = capture_with_http_host("evil\u{1b}[2J.example");
    let file = tempfile_with(&pcap);
    let out = ringfence(&["connections", file.path().to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        !table.contains('\u{1b}'),
        "no raw escape character reaches the terminal: {table:?}"
    );
    assert!(
        table.contains("evil\\x1b[2j.example"),
        "the name as the parser escaped it: {table}"
    );
}

/// A one-packet pcap: an HTTP GET from 10.0.0.1 to 192.0.2.1:80 with the given Host header.
fn capture_with_http_host(host: &str) -> Vec<u8> {
    let payload = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes();
    let tcp_len = 20 + payload.len();
    let ip_len = 20 + tcp_len;
    let mut frame = Vec::new();
    frame.extend_from_slice(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]);
    frame.extend_from_slice(&[
        0x45,
        0,
        (ip_len >> 8) as u8,
        ip_len as u8,
        0,
        1,
        0x40,
        0,
        64,
        6,
        0,
        0,
    ]);
    frame.extend_from_slice(&[10, 0, 0, 1, 192, 0, 2, 1]);
    frame.extend_from_slice(&[
        0xc3, 0x50, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
    ]);
    frame.extend_from_slice(&payload);
    let mut pcap = Vec::new();
    pcap.extend_from_slice(&[
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ]);
    let len = (frame.len() as u32).to_le_bytes();
    pcap.extend_from_slice(&[0, 0, 0, 0x60, 0, 0, 0, 0]);
    pcap.extend_from_slice(&len);
    pcap.extend_from_slice(&len);
    pcap.extend_from_slice(&frame);
    pcap
}

/// A temporary file holding `bytes`, removed when dropped.
fn tempfile_with(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    file
}

#[test]
fn netflow_exports_are_told_apart_by_content_and_read_beside_captures() {
    let ipfix = shared_data("netflow/logstash-codec-netflow/spec/codecs/ipfix.dat");
    // The export file between two captures: every connection still points to its own input.
    let out = ringfence(
        &[
            "connections",
            "--json",
            wikipedia().to_str().unwrap(),
            ipfix.to_str().unwrap(),
            wikipedia().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ssh = lines
        .iter()
        .find(|c| c["orig_addr"] == "192.168.253.1" && c["resp_port"] == 22)
        .expect("the IPFIX export's SSH flow");
    assert_eq!(ssh["evidence"]["file"], ipfix.to_str().unwrap());
    assert_eq!(
        (ssh["orig_packets"].as_u64(), ssh["resp_packets"].as_u64()),
        (Some(5), Some(6))
    );
    assert_eq!(
        (ssh["orig_bytes"].as_u64(), ssh["resp_bytes"].as_u64()),
        (Some(260), Some(1000))
    );
    let from_captures = lines
        .iter()
        .filter(|c| c["evidence"]["file"] == wikipedia().to_str().unwrap())
        .count();
    assert!(from_captures > 0);
}

#[test]
fn zeek_logs_are_read_together_and_joined_by_uid() {
    // Zeek's test baselines mask every timestamp (`XXXXXXXXXX.XXXXXX`); give them a fixed one.
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zeek-logs");
    std::fs::create_dir_all(&out_dir).unwrap();
    let unmasked = |name: &str| {
        let text = std::fs::read_to_string(shared_data(&format!(
            "captures/zeek/testing/btest/Baseline/opt.basic/{name}"
        )))
        .unwrap();
        let path = out_dir.join(name);
        std::fs::write(
            &path,
            text.replace("XXXXXXXXXX.XXXXXX", "1300000000.000000"),
        )
        .unwrap();
        path
    };
    let conn = unmasked("conn.log");
    let http = unmasked("http.log");
    let dns = unmasked("dns.log");
    // conn.log first, as a directory listing gives it: the names still reach the connections.
    let out = ringfence(
        &[
            "connections",
            "--json",
            conn.to_str().unwrap(),
            dns.to_str().unwrap(),
            http.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let conn_rows = std::fs::read_to_string(&conn)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && (l.contains("\ttcp\t") || l.contains("\tudp\t")))
        .count();
    assert_eq!(lines.len(), conn_rows);
    assert!(
        lines
            .iter()
            .all(|c| c["evidence"]["file"] == conn.to_str().unwrap())
    );
    let http_hosts = lines
        .iter()
        .flat_map(|c| c["names"].as_array().unwrap().iter())
        .filter(|n| n["source"] == "http_host")
        .count();
    assert!(http_hosts > 0, "no connection got its http.log Host");
}
