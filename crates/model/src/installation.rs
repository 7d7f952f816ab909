use crate::{EvidenceRef, Timestamp};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Which host an endpoint record is about, as the evidence itself names it. Matched to the
/// estate by address first, then by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct HostIdentity {
    /// osquery `hostIdentifier`, Sysmon `Computer`, the SBOM's described machine, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An address of the host, when the evidence gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
}

impl HostIdentity {
    /// True when the evidence named the host in no way at all (a bare `rpm -qa` listing).
    pub fn is_unknown(&self) -> bool {
        self.name.is_none() && self.address.is_none()
    }
}

/// What kind of record showed the software: the table, file or event it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallSource {
    /// Windows installed programs: osquery `programs`, a `reg export` of the Uninstall keys,
    /// PowerShell `Get-Package` or `Get-CimInstance Win32_Product`.
    WindowsProgram,
    /// A Debian package: osquery `deb_packages` or the dpkg status file.
    DebPackage,
    /// An RPM package: osquery `rpm_packages` or `rpm -qa`.
    RpmPackage,
    /// A macOS application bundle (osquery `apps`).
    MacApp,
    /// A Chocolatey package (osquery `chocolatey_packages`).
    ChocolateyPackage,
    /// A component of a CycloneDX or SPDX document.
    SbomComponent,
    /// A process seen running: Sysmon event 1, or osquery `process_open_sockets`.
    RunningProcess,
}

/// One piece of software seen on a host: an installed program or package, an SBOM component, or
/// a running process. Findings come from the catalog product it matches, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Installation {
    pub host: HostIdentity,
    pub source: InstallSource,
    /// The name as the record gives it (program display name, package name, component name,
    /// or the image path of a process).
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Publisher, vendor, supplier or maintainer; for a process, the company in its version
    /// resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// For a process, the product name in its version resource; for an SBOM component, its
    /// package URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Install directory, bundle path, or the executable image of a process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Image hashes as Sysmon writes them (`SHA256=…,MD5=…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashes: Option<String>,
    /// When the record says it was seen (event time, osquery `unixTime`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// False when the record says the software went away (an osquery differential `removed`
    /// row): the host was inventoried and this item is no longer there.
    pub present: bool,
    pub evidence: EvidenceRef,
}
