//! The chain a third party relies on, as users run it: `ringfence audit --ledger` commits the
//! report to a log cosigned by a running witness, and `ringfence verify` checks the report offline
//! against its receipt and a trust policy, and re-runs the audit from the evidence.
//!
//! Needs the IP data installed by `ringfence data install` (scripts/setup does it).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn ringfence(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ringfence"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ringfence")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn work_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("verify-cli")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn estate() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/estate.toml").to_string()
}

/// A witness process on a loopback port the OS picks; killed when dropped.
struct Witness {
    child: Child,
    vkey: String,
    url: String,
}

impl Drop for Witness {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_witness(dir: &Path, log_vkey: &str) -> Witness {
    let key = dir.join("witness.key");
    let keygen = ringfence(&[
        "witness",
        "keygen",
        "--name",
        "witness.ringfence.test",
        "--key",
        path(&key),
    ]);
    assert!(keygen.status.success(), "{}", text(&keygen.stderr));
    let vkey = text(&keygen.stdout).trim().to_string();
    let logs = dir.join("witness-logs");
    std::fs::write(&logs, format!("log {log_vkey}\nquorum none\n")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringfence"))
        .args([
            "witness",
            "serve",
            "--key",
            path(&key),
            "--logs",
            path(&logs),
        ])
        .args(["--state", path(&dir.join("witness-state"))])
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the witness");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let address = line
        .trim()
        .strip_prefix("ringfence witness: listening on ")
        .unwrap_or_else(|| panic!("unexpected witness output: {line:?}"))
        .to_string();
    Witness {
        child,
        vkey,
        url: format!("http://{address}"),
    }
}

/// `ringfence verify REPORT RECEIPT --policy POLICY`.
fn verify(report: &Path, receipt: &Path, policy: &Path) -> Output {
    ringfence(&[
        "verify",
        path(report),
        path(receipt),
        "--policy",
        path(policy),
    ])
}

/// Asserts that verification failed (exit 1) for the reason given.
fn assert_fails_with(out: &Output, reason: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(reason), "{}", text(&out.stderr));
}

fn sample(dir: &Path, seed: &str) -> PathBuf {
    let capture = dir.join(format!("sample-{seed}.pcap"));
    let out = ringfence(&[
        "sample",
        "capture",
        "--size",
        "2MiB",
        "--seed",
        seed,
        "--out",
        path(&capture),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    capture
}

#[test]
fn a_committed_report_verifies_offline_and_reproduces_from_its_evidence() {
    let dir = work_dir("end-to-end");
    let log = dir.join("log");
    let init = ringfence(&[
        "log",
        "init",
        path(&log),
        "--origin",
        "ringfence.test/audits",
    ]);
    assert!(init.status.success(), "{}", text(&init.stderr));
    let log_vkey = text(&init.stdout).trim().to_string();

    let witness = start_witness(&dir, &log_vkey);
    let witness_line = format!("witness w1 {} {}\nquorum w1\n", witness.vkey, witness.url);
    std::fs::write(dir.join("log.witnesses"), &witness_line).unwrap();
    let trust = dir.join("trust.tlog-policy");
    std::fs::write(&trust, format!("log {log_vkey}\n{witness_line}")).unwrap();

    let capture = sample(&dir, "7");
    let report = dir.join("report.json");
    let audit = ringfence(&[
        "audit",
        "--estate",
        &estate(),
        "--policy",
        "ncsc-2017",
        "--policy",
        "bod-17-01",
        "--report",
        path(&report),
        "--ledger",
        path(&log),
        "--out",
        path(&dir.join("summary.txt")),
        path(&capture),
    ]);
    assert_eq!(audit.status.code(), Some(1), "{}", text(&audit.stderr));
    assert!(
        text(&audit.stderr).contains("committed to"),
        "{}",
        text(&audit.stderr)
    );
    let receipt = dir.join("report.json.tlog-proof");
    let receipt_text = std::fs::read_to_string(&receipt).unwrap();
    assert!(receipt_text.starts_with("c2sp.org/tlog-proof@v1\nindex 0\n"));
    assert!(
        receipt_text.contains("— witness.ringfence.test "),
        "the receipt's checkpoint carries the witness's cosignature:\n{receipt_text}"
    );

    // Offline: the witness is gone, and nothing is fetched.
    drop(witness);
    let verified = verify(&report, &receipt, &trust);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        text(&verified.stderr)
    );
    let stdout = text(&verified.stdout);
    assert!(stdout.contains("included   entry 0 of log ringfence.test/audits"));
    assert!(stdout.contains("witnesses  w1"), "{stdout}");

    // Re-running the audit from the evidence reproduces the same bytes.
    let rerun = ringfence(&[
        "verify",
        path(&report),
        path(&receipt),
        "--policy",
        path(&trust),
        "--evidence",
        path(&capture),
    ]);
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun.stderr));
    assert!(text(&rerun.stdout).contains("gives the same bytes"));

    // Other evidence does not reproduce it, and the failure names the input that differs.
    let other = sample(&dir, "8");
    let wrong = ringfence(&[
        "verify",
        path(&report),
        path(&receipt),
        "--policy",
        path(&trust),
        "--evidence",
        path(&other),
    ]);
    assert_fails_with(&wrong, "these inputs differ: evidence/000000");

    // A report changed after the fact no longer matches its receipt.
    let original = std::fs::read_to_string(&report).unwrap();
    let tampered_text = original.replacen("\"decision\":\"deny\"", "\"decision\":\"allow\"", 1);
    assert_ne!(tampered_text, original);
    let tampered = dir.join("tampered.json");
    std::fs::write(&tampered, tampered_text).unwrap();
    let out = verify(&tampered, &receipt, &trust);
    assert_fails_with(&out, "the inclusion proof does not verify");

    // A report re-serialised (not canonical) is refused as such.
    let pretty = dir.join("pretty.json");
    let value: serde_json::Value = serde_json::from_str(&original).unwrap();
    std::fs::write(&pretty, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    let out = verify(&pretty, &receipt, &trust);
    assert_fails_with(&out, "not in canonical JSON form");

    // A policy that demands a witness who never cosigned fails the quorum.
    let stranger = ringfence(&[
        "witness",
        "keygen",
        "--name",
        "other.ringfence.test",
        "--key",
        path(&dir.join("other.key")),
    ]);
    let strict = dir.join("strict.tlog-policy");
    std::fs::write(
        &strict,
        format!(
            "log {log_vkey}\nwitness w2 {}\nquorum w2\n",
            text(&stranger.stdout).trim()
        ),
    )
    .unwrap();
    let out = verify(&report, &receipt, &strict);
    assert_fails_with(&out, "witness quorum not met");

    // A policy that trusts another log rejects the receipt.
    let other_log = dir.join("other-log");
    let other_init = ringfence(&[
        "log",
        "init",
        path(&other_log),
        "--origin",
        "ringfence.test/audits",
    ]);
    let foreign = dir.join("foreign.tlog-policy");
    std::fs::write(
        &foreign,
        format!("log {}\nquorum none\n", text(&other_init.stdout).trim()),
    )
    .unwrap();
    let out = verify(&report, &receipt, &foreign);
    assert_fails_with(&out, "log signature does not verify");
}

#[test]
fn ledger_without_a_saved_json_report_is_a_usage_error() {
    let dir = work_dir("usage");
    let out = ringfence(&[
        "audit",
        "--estate",
        &estate(),
        "--policy",
        "ncsc-2017",
        "--ledger",
        path(&dir.join("log")),
        "missing.pcap",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--report FILE"),
        "{}",
        text(&out.stderr)
    );
}
