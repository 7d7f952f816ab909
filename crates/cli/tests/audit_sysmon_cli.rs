//! `ringfence audit` on real Sysmon evidence: the OTRF dataset's JSON lines (as a user would have
//! them after unzipping) and an EVTX file. A connection from Sysmon carries the process that made
//! it, so Microsoft Defender's cloud lookup is attributed by its image, places its host by the
//! `Computer` name the estate lists, and carries the name its own process asked DNS for.
//!
//! Needs ../shared/data and the IP data installed by `ringfence data install`.

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const FODHELPER: &str = "endpoint/otrf-security-datasets/datasets/atomic/windows/privilege_escalation/host/empire_uac_shellapi_fodhelper.zip";
const RDP_TUNNEL: &str =
    "endpoint/evtx-attack-samples/Command and Control/DE_sysmon-3-rdp-tun.evtx";

fn shared_data(relative: &str) -> PathBuf {
    let path =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(relative);
    assert!(
        path.exists(),
        "shared test data missing: {} (the real-data tests need ../shared/data beside the repository)",
        path.display()
    );
    path
}

fn work_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("audit-sysmon")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn unzip_single(zip: &Path, into: &Path) -> PathBuf {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut entry = archive.by_index(0).unwrap();
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).unwrap();
    let out = into.join("events.json");
    std::fs::write(&out, bytes).unwrap();
    out
}

const ESTATE: &str = r#"
[[system]]
id = "workstations"
classification = "OFFICIAL-SENSITIVE"
hosts = ["workstation5"]

[[system]]
id = "domain-controllers"
classification = "SECRET"
national_security = true
hosts = ["mordordc.theshire.local"]
"#;

fn audit(dir: &Path, evidence: &Path) -> Value {
    let estate = dir.join("estate.toml");
    std::fs::write(&estate, ESTATE).unwrap();
    let report = dir.join("report.json");
    let output = Command::new(env!("CARGO_BIN_EXE_ringfence"))
        .args(["audit", "--estate"])
        .arg(&estate)
        .args(["--policy", "ncsc-2017", "--json", "--out"])
        .arg(&report)
        .arg(evidence)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let bytes = std::fs::read(&report).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "no report ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn defender_is_attributed_by_its_process_and_placed_by_the_computer_name() {
    let dir = work_dir("otrf");
    let events = unzip_single(&shared_data(FODHELPER), &dir);
    let report = audit(&dir, &events);

    assert_eq!(report["inputs"]["evidence"][0]["kind"], "sysmon");
    let findings = report["findings"].as_array().unwrap();
    let defender = findings
        .iter()
        .find(|f| f["product"] == "microsoft-defender-antivirus")
        .unwrap_or_else(|| panic!("no Defender finding: {findings:#?}"));
    // 172.18.39.5 is not in the estate; the Computer name is.
    assert_eq!(defender["system"], "workstations");
    assert_eq!(defender["connections"], 1);
    assert_eq!(defender["attributions"][0]["basis"], "process_image");
    assert_eq!(
        defender["attributions"][0]["image"],
        r"C:\Program Files\Windows Defender\MsMpEng.exe"
    );
    assert_eq!(defender["example_destinations"][0], "104.40.17.153");
    // The name MsMpEng itself asked DNS for, 187 lines later in the export.
    let names: Vec<&str> = defender["example_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(names.contains(&"wdcp.microsoft.com"), "{names:?}");
    assert_eq!(defender["operator"], "microsoft");
}

#[test]
fn an_evtx_file_is_audited_as_sysmon_evidence() {
    let dir = work_dir("evtx");
    let report = audit(&dir, &shared_data(RDP_TUNNEL));
    let input = &report["inputs"]["evidence"][0];
    assert_eq!(input["kind"], "sysmon");
    assert_eq!(input["bytes"], 69632);
    assert!(input["connections"].as_u64().unwrap() > 0, "{input:#}");
    assert_eq!(report["totals"]["unreadable"]["problem_count"], 0);
    assert_eq!(
        report["totals"]["traffic"]["connections"],
        input["connections"]
    );
}
