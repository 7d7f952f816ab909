//! "Where is it installed?", and was it removed: `ringfence audit` on osquery result logs finds
//! the hosts of every catalog product, judges each system × product with the `install` action, and
//! with `--baseline` tells resolved findings (the later inventory shows the product gone) from
//! unverified ones (the host was not inventoried again).
//!
//! The osquery logs are built here (no public osqueryd output of these tables exists), in the
//! shape osqueryd writes: event-format differential lines and snapshot lines.
//! Needs the IP data installed by `ringfence data install` (scripts/setup does it).

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn ringfence(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ringfence"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ringfence")
}

fn work_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("audit-installs")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

const ESTATE: &str = r#"
[[system]]
id = "policy-desks"
classification = "SECRET"
national_security = true
hosts = ["pc-01", "pc-04"]

[[system]]
id = "office-desks"
classification = "OFFICIAL"
hosts = ["pc-02.corp.example", "pc-03.corp.example"]
"#;

/// One osqueryd differential line for the `programs` table.
fn program(
    host: &str,
    time: i64,
    action: &str,
    name: &str,
    version: &str,
    publisher: &str,
) -> Value {
    json!({
        "name": "pack_inventory_programs",
        "hostIdentifier": host,
        "calendarTime": "Mon Jun  1 09:00:00 2026 UTC",
        "unixTime": time,
        "epoch": 0,
        "counter": 1,
        "numerics": false,
        "columns": {
            "name": name,
            "version": version,
            "publisher": publisher,
            "install_location": format!("C:\\Program Files\\{publisher}\\"),
            "identifying_number": "{7A4192A1-84C4-4E90-A31B-B4704E3D1E40}"
        },
        "action": action
    })
}

fn write_lines(file: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(file, text).unwrap();
}

const KES: &str = "Kaspersky Endpoint Security for Windows";
const ESET: &str = "ESET Endpoint Security";

fn audit(dir: &Path, report: &str, evidence: &[&Path], baseline: Option<&Path>) -> (Output, Value) {
    let estate = dir.join("estate.toml");
    std::fs::write(&estate, ESTATE).unwrap();
    let out = dir.join(report);
    let mut args = vec![
        "audit",
        "--estate",
        path(&estate),
        "--policy",
        "ncsc-2017",
        "--policy",
        "bod-17-01",
        "--json",
        "--out",
        path(&out),
    ];
    if let Some(baseline) = baseline {
        args.extend(["--baseline", path(baseline)]);
    }
    args.extend(evidence.iter().map(|p| path(p)));
    let output = ringfence(&args);
    let report: Value = serde_json::from_slice(&std::fs::read(&out).unwrap_or_default())
        .unwrap_or_else(|e| {
            panic!(
                "no JSON report ({e}); stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    (output, report)
}

fn install_finding<'r>(report: &'r Value, system: &str, product: &str) -> &'r Value {
    report["installations"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["system"] == system && f["product"] == product)
        .unwrap_or_else(|| panic!("no {product} finding on {system}: {report:#}"))
}

fn host_names(finding: &Value) -> Vec<&str> {
    finding["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect()
}

/// The first audit: Kaspersky on a national-security desk and an office desk, ESET on another
/// office desk, and a package list that names no host.
fn first_audit(dir: &Path) -> (Output, Value, PathBuf) {
    let inventory = dir.join("monday.log");
    write_lines(
        &inventory,
        &[
            program(
                "pc-01",
                1_780_304_400,
                "added",
                KES,
                "12.6.0.438",
                "AO Kaspersky Lab",
            ),
            program(
                "pc-02.corp.example",
                1_780_304_410,
                "added",
                KES,
                "12.6.0.438",
                "AO Kaspersky Lab",
            ),
            program(
                "pc-03.corp.example",
                1_780_304_420,
                "added",
                ESET,
                "11.0.2044.0",
                "ESET, spol. s r.o.",
            ),
            program(
                "pc-04",
                1_780_304_430,
                "added",
                "7-Zip 24.08 (x64)",
                "24.08",
                "Igor Pavlov",
            ),
        ],
    );
    let (output, report) = audit(dir, "monday.json", &[&inventory], None);
    (output, report, dir.join("monday.json"))
}

#[test]
fn installations_are_found_per_system_and_judged_with_the_install_action() {
    let dir = work_dir("found");
    let (output, report, _) = first_audit(&dir);
    assert_eq!(output.status.code(), Some(1), "deny findings exit 1");

    let secret = install_finding(&report, "policy-desks", "kaspersky-endpoint-security");
    assert_eq!(secret["decision"], "deny");
    let policies: Vec<&str> = secret["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        policies.contains(&"ncsc-2017-install-ru-supplier"),
        "{policies:?}"
    );
    assert!(
        policies.contains(&"bod-17-01-install-kaspersky"),
        "{policies:?}"
    );
    assert_eq!(host_names(secret), ["pc-01"]);
    assert_eq!(secret["host_count"], 1);
    assert_eq!(secret["sources"], json!(["windows_program"]));
    assert_eq!(
        secret["example_names"],
        json!(["Kaspersky Endpoint Security for Windows 12.6.0.438"])
    );
    assert_eq!(secret["evidence"][0]["record"], 1);
    assert_eq!(secret["evidence"][0]["offset"], 0);

    // On an OFFICIAL system only BOD 17-01 forbids it.
    let office = install_finding(&report, "office-desks", "kaspersky-endpoint-security");
    assert_eq!(office["decision"], "deny");
    assert_eq!(office["policies"], json!(["bod-17-01-install-kaspersky"]));
    assert_eq!(host_names(office), ["pc-02.corp.example"]);

    let eset = install_finding(&report, "office-desks", "eset-endpoint-security");
    assert_eq!(eset["decision"], "allow");

    // Every program counts; only catalog products make findings; every host is covered.
    assert_eq!(report["installations"]["records"], 4);
    assert_eq!(report["installations"]["attributed"], 3);
    let inventoried: Vec<&str> = report["installations"]["inventoried_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        inventoried,
        ["pc-01", "pc-02.corp.example", "pc-03.corp.example", "pc-04"]
    );
    assert_eq!(report["products"][0]["id"], "eset-endpoint-security");
    assert!(report.get("baseline").is_none());
}

#[test]
fn a_baseline_marks_findings_new_persisting_resolved_or_unverified() {
    let dir = work_dir("baseline");
    let (_, _, monday) = first_audit(&dir);

    // A week later: pc-01 reports Kaspersky removed; pc-02 is not inventoried at all; pc-03
    // still has ESET; pc-04 now has Kaspersky too.
    let later = dir.join("next-monday.log");
    write_lines(
        &later,
        &[
            program(
                "pc-01",
                1_780_909_200,
                "removed",
                KES,
                "12.6.0.438",
                "AO Kaspersky Lab",
            ),
            program(
                "pc-03.corp.example",
                1_780_909_210,
                "added",
                ESET,
                "11.0.2044.0",
                "ESET, spol. s r.o.",
            ),
            program(
                "pc-04",
                1_780_909_220,
                "added",
                KES,
                "12.7.0.533",
                "AO Kaspersky Lab",
            ),
        ],
    );
    let (output, report) = audit(&dir, "next-monday.json", &[&later], Some(&monday));
    assert_eq!(output.status.code(), Some(1), "pc-04 is a new deny");

    let secret = install_finding(&report, "policy-desks", "kaspersky-endpoint-security");
    assert_eq!(host_names(secret), ["pc-04"]);
    assert_eq!(secret["baseline"], "persisting", "same system × product");
    assert_eq!(
        install_finding(&report, "office-desks", "eset-endpoint-security")["baseline"],
        "persisting"
    );
    // pc-01's removal is in this audit's evidence.
    let removed = &report["installations"]["removed"];
    assert_eq!(removed[0]["product"], "kaspersky-endpoint-security");
    assert_eq!(removed[0]["hosts"][0]["name"], "pc-01");

    let baseline = &report["baseline"];
    let monday_bytes = std::fs::read(&monday).unwrap();
    assert_eq!(baseline["report"]["path"], path(&monday));
    let monday_report: Value = serde_json::from_slice(&monday_bytes).unwrap();
    assert_eq!(monday_report["format"], "ringfence-report/2");
    let sha256sum = Command::new("sha256sum").arg(&monday).output().unwrap();
    let digest = String::from_utf8_lossy(&sha256sum.stdout);
    assert_eq!(
        baseline["report"]["sha256"].as_str(),
        digest.split_whitespace().next(),
        "the baseline's digest is that of its bytes"
    );
    assert_eq!(baseline["persisting"], 2);
    assert_eq!(baseline["new"], 0);
    // The office desk with Kaspersky was not inventoried again: its removal is unverified.
    let gone = baseline["gone"].as_array().unwrap();
    assert_eq!(gone.len(), 1, "{gone:#?}");
    assert_eq!(gone[0]["kind"], "install");
    assert_eq!(gone[0]["system"], "office-desks");
    assert_eq!(gone[0]["status"], "unverified");
    assert_eq!(gone[0]["baseline_decision"], "deny");
    assert_eq!(
        gone[0]["hosts_not_inventoried"][0]["name"],
        "pc-02.corp.example"
    );

    // Another week: pc-02 inventoried without Kaspersky, pc-04 removed it. Both gone, resolved,
    // each naming the record that shows it.
    let third = dir.join("third-monday.log");
    write_lines(
        &third,
        &[
            program(
                "pc-02.corp.example",
                1_781_514_000,
                "added",
                "7-Zip 24.08 (x64)",
                "24.08",
                "Igor Pavlov",
            ),
            program(
                "pc-04",
                1_781_514_010,
                "removed",
                KES,
                "12.7.0.533",
                "AO Kaspersky Lab",
            ),
        ],
    );
    let next_monday = dir.join("next-monday.json");
    let (output, report) = audit(&dir, "third-monday.json", &[&third], Some(&next_monday));
    assert_eq!(output.status.code(), Some(0), "no deny left");
    let gone = report["baseline"]["gone"].as_array().unwrap();
    let statuses: Vec<(&str, &str)> = gone
        .iter()
        .map(|g| (g["system"].as_str().unwrap(), g["status"].as_str().unwrap()))
        .collect();
    // ESET on pc-03 was not inventoried again; Kaspersky on the secret desks is shown removed.
    assert_eq!(
        statuses,
        [("office-desks", "unverified"), ("policy-desks", "resolved")]
    );
    let resolved = &gone[1];
    assert_eq!(resolved["product"], "kaspersky-endpoint-security");
    assert_eq!(resolved["evidence"][0]["record"], 2, "the removal line");
    assert!(resolved.get("hosts_not_inventoried").is_none());
}

#[test]
fn a_baseline_that_is_not_a_report_is_a_usage_error() {
    let dir = work_dir("bad-baseline");
    let inventory = dir.join("inventory.log");
    write_lines(
        &inventory,
        &[program(
            "pc-01",
            1_780_304_400,
            "added",
            ESET,
            "11.0",
            "ESET",
        )],
    );
    let not_a_report = dir.join("notes.json");
    std::fs::write(
        &not_a_report,
        br#"{"format":"something-else/1","findings":[]}"#,
    )
    .unwrap();
    let estate = dir.join("estate.toml");
    std::fs::write(&estate, ESTATE).unwrap();
    let output = ringfence(&[
        "audit",
        "--estate",
        path(&estate),
        "--policy",
        "bod-17-01",
        "--baseline",
        path(&not_a_report),
        path(&inventory),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("notes.json"), "{stderr}");
    assert!(stderr.contains("something-else/1"), "{stderr}");
}
