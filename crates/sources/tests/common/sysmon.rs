//! Reading Sysmon evidence in tests: the shared EVTX samples and OTRF zips, read through the
//! public reader.

use super::{Collected, shared_data};
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::sysmon::{self, SysmonOutcome};
use std::io::Read;
use std::path::{Path, PathBuf};

pub const EVTX_RDP_TUNNEL: &str =
    "endpoint/evtx-attack-samples/Command and Control/DE_sysmon-3-rdp-tun.evtx";
pub const EVTX_SHARP_RDP: &str =
    "endpoint/evtx-attack-samples/Lateral Movement/LM_sysmon_3_12_13_1_SharpRDP.evtx";
pub const EVTX_UACME: &str =
    "endpoint/evtx-attack-samples/Privilege Escalation/Sysmon_UACME_64.evtx";
pub const EVTX_FILES: [&str; 3] = [EVTX_RDP_TUNNEL, EVTX_SHARP_RDP, EVTX_UACME];

pub const OTRF_CMSTP: &str = "endpoint/otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/psh_cmstp_execution_bypassuac.zip";
pub const OTRF_FODHELPER: &str = "endpoint/otrf-security-datasets/datasets/atomic/windows/privilege_escalation/host/empire_uac_shellapi_fodhelper.zip";

/// Reads `bytes` (labelled `label`) as Sysmon evidence number 0.
pub fn read_bytes(label: &str, bytes: Vec<u8>) -> (SysmonOutcome, Collected) {
    let stream = EvidenceStream::from_reader(label, Box::new(std::io::Cursor::new(bytes)))
        .expect("in-memory stream");
    let mut collected = Collected::default();
    let outcome = sysmon::read(stream, 0, &mut collected);
    (outcome, collected)
}

/// The bytes of a shared data file.
pub fn shared_bytes(relative: &str) -> Vec<u8> {
    let path = shared_data(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a shared data file as Sysmon evidence.
pub fn read_shared(relative: &str) -> (SysmonOutcome, Collected) {
    read_bytes(relative, shared_bytes(relative))
}

/// A file extracted for a test; its directory is removed when this is dropped.
pub struct Extracted {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

/// The one JSON-lines file inside an OTRF zip, extracted to a temporary directory.
pub fn extract_otrf(relative: &str) -> Extracted {
    let zip_path = shared_data(relative);
    let file = std::fs::File::open(&zip_path).expect("open zip");
    let mut archive = zip::ZipArchive::new(file).expect("read zip");
    assert_eq!(archive.len(), 1, "{relative}: one file expected");
    let mut entry = archive.by_index(0).expect("zip entry");
    let name = Path::new(entry.name())
        .file_name()
        .expect("entry name")
        .to_owned();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).expect("unzip");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write extracted file");
    Extracted { path, _dir: dir }
}

/// Reads the JSON lines of an OTRF zip (extracted to a file first, as a user would).
pub fn read_otrf(relative: &str) -> (SysmonOutcome, Collected) {
    let extracted = extract_otrf(relative);
    let bytes = std::fs::read(&extracted.path).expect("extracted file");
    read_bytes(&extracted.path.to_string_lossy(), bytes)
}
