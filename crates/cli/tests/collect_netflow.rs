//! `ringfence collect netflow` end to end: the collector listens on a loopback port, real export
//! datagrams (logstash-codec-netflow's payload files in `../shared/data/netflow`) are sent to it,
//! it is stopped with SIGTERM, and the files it wrote are read back with `netflow::read`.

use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::ObservationSink;
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::netflow::{InputForm, read};
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// Runs the collector with `extra` arguments, sends `datagrams` `rounds` times, stops it and
/// returns the files it wrote (sorted by name) and their directory, removed when dropped.
fn collect(
    datagrams: &[Vec<u8>],
    rounds: usize,
    extra: &[&str],
) -> (tempfile::TempDir, Vec<std::path::PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringfence"))
        .args(["collect", "netflow", "--listen", "127.0.0.1:0", "--out"])
        .arg(dir.path())
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let address = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    for _ in 0..rounds {
        for datagram in datagrams {
            socket.send_to(datagram, &address).unwrap();
            // Loopback does not drop, but the collector's socket buffer is finite.
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "collector did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(exit.success(), "collector failed: {line}{rest}");
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files
            .iter()
            .all(|f| f.extension().is_some_and(|e| e == "pcapng")),
        "unfinished files left: {files:?}"
    );
    (dir, files)
}

fn read_file(path: &std::path::Path) -> (ringfence_sources::netflow::ReadOutcome, Vec<Connection>) {
    let stream = EvidenceStream::open(path.to_str().unwrap()).unwrap();
    let mut sink = Collect::default();
    let outcome = read(stream, 0, &mut sink);
    (outcome, sink.0)
}

#[test]
fn collected_exports_read_back_as_the_same_flows() {
    let datagrams = vec![
        payload("netflow9_test_softflowd_tpl_data.dat"),
        payload("ipfix_test_mikrotik_tpl.dat"),
        payload("ipfix_test_mikrotik_data258.dat"),
        payload("netflow5_test_juniper_mx80.dat"),
    ];
    let (_dir, files) = collect(&datagrams, 1, &[]);
    assert_eq!(files.len(), 1, "{files:?}");
    let (outcome, connections) = read_file(&files[0]);
    assert_eq!(outcome.stats.form, InputForm::Capture);
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    assert_eq!(outcome.stats.decode.datagrams, 4);
    let bare: Vec<u8> = datagrams.concat();
    let expected = {
        let stream =
            EvidenceStream::from_reader("bare", Box::new(std::io::Cursor::new(bare))).unwrap();
        read(stream, 0, &mut Collect::default()).records
    };
    assert_eq!(outcome.records, expected);
    let sampled = connections
        .iter()
        .find(|c| c.key.orig_addr.to_string() == "66.249.92.75" && c.key.orig_port == 37387)
        .expect("the Juniper flow");
    assert_eq!(sampled.orig_bytes, 104_000);
}

#[test]
fn files_rotate_at_the_size_limit() {
    let datagrams = vec![payload("netflow5_test_microtik.dat")];
    let (_dir, files) = collect(&datagrams, 40, &["--max-file-bytes", "10000"]);
    assert!(files.len() >= 5, "{files:?}");
    let mut records = 0;
    for file in &files {
        let (outcome, _) = read_file(file);
        assert_eq!(
            outcome.problems.count, 0,
            "{file:?}: {:?}",
            outcome.problems
        );
        records += outcome.records;
    }
    assert_eq!(records, 40 * 30);
}
