//! Inventory fixtures written the way each tool writes its output (no public output of these
//! tools with expected values exists), each holding Kaspersky software, and a helper to read
//! bytes through the inventory reader.

use super::Collected;
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::inventory::{self, ReadOutcome};
use std::io::Cursor;

/// 2026-11-23T10:00:00Z, the time of the result-log lines.
pub const UNIX_TIME: i64 = 1_795_428_000;

pub fn read(label: &str, bytes: &[u8]) -> (Collected, ReadOutcome) {
    let stream = EvidenceStream::from_reader(label, Box::new(Cursor::new(bytes.to_vec())))
        .expect("in-memory stream");
    let mut collected = Collected::default();
    let outcome = inventory::read(stream, 0, &mut collected);
    (collected, outcome)
}

/// UTF-16LE with a byte-order mark, as regedit and Windows PowerShell's `Out-File` write.
pub fn utf16le(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

/// osqueryd result log: event-format differential lines (programs added and removed), a snapshot
/// (deb_packages), a batched differential (rpm_packages), apps, chocolatey, a
/// process_open_sockets snapshot and a table that is not an inventory.
pub fn osquery_log() -> String {
    let head = r#""hostIdentifier":"pc-01","calendarTime":"Mon Nov 23 10:00:00 2026 UTC","unixTime":1795428000,"epoch":0,"counter":1,"numerics":false,"decorations":{"host_uuid":"4C4C4544-0044","hostname":"pc-01.corp.example"}"#;
    [
        format!(
            r#"{{"name":"pack_inventory_programs",{head},"columns":{{"name":"Kaspersky Endpoint Security for Windows","version":"12.6.0.438","install_location":"C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.6\\","install_source":"C:\\Windows\\ccmcache\\1\\","language":"1033","publisher":"AO Kaspersky Lab","uninstall_string":"MsiExec.exe /I{{DFC1F2A0-1ED0-4FB5-8B6B-5A3B0C3C2C6A}}","install_date":"20261101","identifying_number":"{{DFC1F2A0-1ED0-4FB5-8B6B-5A3B0C3C2C6A}}"}},"action":"added"}}"#
        ),
        format!(
            r#"{{"name":"pack_inventory_programs",{head},"columns":{{"name":"Kaspersky Security Center Network Agent","version":"14.0.0.10902","install_location":"C:\\Program Files (x86)\\Kaspersky Lab\\NetworkAgent\\","publisher":"AO Kaspersky Lab","identifying_number":"{{B9518725-0B76-4793-A409-C6794442FCE4}}"}},"action":"removed"}}"#
        ),
        format!(
            r#"{{"snapshot":[{{"name":"klnagent64","version":"15.1.0-20748","source":"","size":"104857600","arch":"amd64","revision":"","status":"install ok installed","maintainer":"AO Kaspersky Lab <support@kaspersky.com>","section":"misc","priority":"optional","admindir":"/var/lib/dpkg"}},{{"name":"old-tool","version":"1.0","arch":"amd64","revision":"","status":"deinstall ok config-files","maintainer":"Nobody <n@example.org>","section":"misc","priority":"optional"}}],"action":"snapshot","name":"pack_linux_deb_packages",{head}}}"#
        ),
        format!(
            r#"{{"diffResults":{{"added":[{{"name":"kesl","version":"12.1.0","release":"1297","source":"kesl-12.1.0-1297.src.rpm","size":"598000000","sha1":"","arch":"x86_64","epoch":"","install_time":"1795427000","vendor":"AO Kaspersky Lab","package_group":"Applications/System"}}],"removed":[{{"name":"kesl","version":"12.0.0","release":"6672","arch":"x86_64","epoch":"","vendor":"AO Kaspersky Lab","package_group":"Applications/System"}}]}},"name":"rpm_packages",{head}}}"#
        ),
        format!(
            r#"{{"name":"macos_apps",{head},"columns":{{"name":"Kaspersky Endpoint Security for Mac.app","path":"/Applications/Kaspersky Endpoint Security for Mac.app","bundle_executable":"kes","bundle_identifier":"com.kaspersky.kes","bundle_name":"Kaspersky Endpoint Security for Mac","bundle_short_version":"11.3.0","bundle_version":"11.3.0.200","display_name":""}},"action":"added"}}"#
        ),
        format!(
            r#"{{"name":"choco",{head},"columns":{{"name":"kaspersky-tdsskiller","version":"3.1.0.28","summary":"TDSSKiller","author":"Kaspersky Lab","license":"","path":"C:\\ProgramData\\chocolatey\\lib\\kaspersky-tdsskiller"}},"action":"added"}}"#
        ),
        format!(
            r#"{{"snapshot":[{{"pid":"3124","fd":"1284","socket":"0","family":"2","protocol":"6","local_address":"10.1.2.3","remote_address":"77.74.181.1","local_port":"49722","remote_port":"443","path":"C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.6\\avp.exe","state":"ESTABLISHED","net_namespace":"0"}},{{"pid":"3124","fd":"1290","socket":"0","family":"2","protocol":"17","local_address":"0.0.0.0","remote_address":"0.0.0.0","local_port":"15000","remote_port":"0","path":"C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.6\\avp.exe","state":"","net_namespace":"0"}}],"action":"snapshot","name":"pack_network_process_open_sockets",{head}}}"#
        ),
        format!(
            r#"{{"snapshot":[{{"build_distro":"10","build_platform":"windows","version":"5.12.1"}}],"action":"snapshot","name":"osquery_info",{head}}}"#
        ),
    ]
    .join("\n")
        + "\n"
}

/// `osqueryi --json "select * from programs"`: rows as osqueryi prints them, no host, no time.
pub fn osqueryi_programs() -> &'static str {
    r#"[
  {"identifying_number":"{DFC1F2A0-1ED0-4FB5-8B6B-5A3B0C3C2C6A}","install_date":"20261101","install_location":"C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.6\\","install_source":"","language":"1033","name":"Kaspersky Endpoint Security for Windows","publisher":"AO Kaspersky Lab","uninstall_string":"","version":"12.6.0.438"},
  {"identifying_number":"","install_date":"","install_location":"","install_source":"","language":"","name":"7-Zip 23.01 (x64)","publisher":"Igor Pavlov","uninstall_string":"\"C:\\Program Files\\7-Zip\\Uninstall.exe\"","version":"23.01"}
]
"#
}

/// `reg export` of the Uninstall keys (HKLM, WOW6432Node, HKCU), as regedit writes it.
pub fn reg_export() -> Vec<u8> {
    utf16le(
        "Windows Registry Editor Version 5.00\r\n\
\r\n\
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall]\r\n\
\r\n\
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\7-Zip]\r\n\
\"DisplayName\"=\"7-Zip 23.01 (x64)\"\r\n\
\"DisplayVersion\"=\"23.01\"\r\n\
\"Publisher\"=\"Igor Pavlov\"\r\n\
\"InstallLocation\"=\"C:\\\\Program Files\\\\7-Zip\\\\\"\r\n\
\"NoModify\"=dword:00000001\r\n\
\r\n\
[HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{DFC1F2A0-1ED0-4FB5-8B6B-5A3B0C3C2C6A}]\r\n\
\"AuthorizedCDFPrefix\"=\"\"\r\n\
\"Comments\"=\"Say \\\"hi\\\"\"\r\n\
\"DisplayName\"=\"Kaspersky Endpoint Security for Windows\"\r\n\
\"DisplayVersion\"=\"12.6.0.438\"\r\n\
\"InstallLocation\"=\"C:\\\\Program Files (x86)\\\\Kaspersky Lab\\\\KES.12.6\\\\\"\r\n\
\"ModifyPath\"=hex(2):4d,00,73,00,69,00,45,00,78,00,65,00,63,00,2e,00,65,00,78,00,\\\r\n\
  65,00,20,00,2f,00,49,00,00,00\r\n\
\"Publisher\"=\"AO Kaspersky Lab\"\r\n\
\"EstimatedSize\"=dword:00092b4c\r\n\
\r\n\
[HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{DFC1F2A0-1ED0-4FB5-8B6B-5A3B0C3C2C6A}\\Patches]\r\n\
\"DisplayName\"=\"not a program\"\r\n\
\r\n\
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\KB5034441]\r\n\
\"ParentKeyName\"=\"OperatingSystem\"\r\n\
\r\n\
[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Teams]\r\n\
\"DisplayName\"=\"Microsoft Teams\"\r\n\
\"DisplayVersion\"=\"1.6.00.4472\"\r\n\
\"Publisher\"=\"Microsoft Corporation\"\r\n\
\r\n",
    )
}

/// `Get-Package | ConvertTo-Json` (trimmed to a few of its properties).
pub fn get_package_json() -> &'static str {
    r#"[
    {
        "Name":  "Kaspersky Endpoint Security for Windows",
        "Version":  "12.6.0.438",
        "ProviderName":  "msi",
        "Source":  "C:\\Windows\\ccmcache\\1\\kes_win.msi",
        "Status":  "Installed",
        "FullPath":  null,
        "CanonicalId":  "msi:Kaspersky Endpoint Security for Windows/12.6.0.438#{DFC1F2A0-1ED0-4FB5-8B6B-5A3B0C3C2C6A}",
        "Meta":  ["Microsoft.PackageManagement.Internal.Implementation.Meta"],
        "IsCorpus":  null
    },
    {
        "Name":  "7-Zip 23.01 (x64)",
        "Version":  "23.01",
        "ProviderName":  "Programs",
        "Status":  "Installed"
    }
]"#
}

/// `Get-CimInstance Win32_Product -CimSession pc-02 | ConvertTo-Json` of one product: a single
/// object, with the CIM bookkeeping properties.
pub fn cim_product_json() -> &'static str {
    r#"{
    "Name":  "Kaspersky Security Center Network Agent",
    "Caption":  "Kaspersky Security Center Network Agent",
    "Description":  "Kaspersky Security Center Network Agent",
    "IdentifyingNumber":  "{B9518725-0B76-4793-A409-C6794442FCE4}",
    "InstallDate":  "20261101",
    "InstallLocation":  "C:\\Program Files (x86)\\Kaspersky Lab\\NetworkAgent\\",
    "Vendor":  "AO Kaspersky Lab",
    "Version":  "14.0.0.10902",
    "PSComputerName":  "pc-02",
    "CimClass":  {"CimSuperClassName": null, "CimClassName": "Win32_Product"},
    "CimInstanceProperties":  ["Caption = \"Kaspersky Security Center Network Agent\""],
    "CimSystemProperties":  {"Namespace": "root/cimv2", "ServerName": "pc-02"}
}"#
}

/// `Get-Package | Export-Csv` (Windows PowerShell 5.1: `#TYPE` line, every field quoted).
pub fn get_package_csv() -> &'static str {
    "#TYPE Microsoft.PackageManagement.Packaging.SoftwareIdentity\r\n\
\"Name\",\"Version\",\"ProviderName\",\"Source\",\"Status\",\"Summary\"\r\n\
\"Kaspersky Endpoint Security for Windows\",\"12.6.0.438\",\"msi\",\"C:\\Windows\\ccmcache\\1\\kes_win.msi\",\"Installed\",\"Protects, \"\"detects\"\"\r\nand reports\"\r\n\
\"7-Zip 23.01 (x64)\",\"23.01\",\"Programs\",\"\",\"Installed\",\"\"\r\n"
}

/// `Get-CimInstance Win32_Product | Export-Csv -NoTypeInformation -Delimiter ';' -Encoding
/// Unicode` run through a remote session.
pub fn cim_product_csv() -> Vec<u8> {
    utf16le(
        "\"Name\";\"Vendor\";\"Version\";\"InstallLocation\";\"PSComputerName\"\r\n\
\"Kaspersky Security Center Network Agent\";\"AO Kaspersky Lab\";\"14.0.0.10902\";\"C:\\Program Files (x86)\\Kaspersky Lab\\NetworkAgent\\\";\"pc-03\"\r\n",
    )
}

/// `/var/lib/dpkg/status` (trimmed stanzas).
pub fn dpkg_status() -> &'static str {
    "Package: adduser\n\
Status: install ok installed\n\
Priority: important\n\
Section: admin\n\
Installed-Size: 849\n\
Maintainer: Debian Adduser Developers <adduser@packages.debian.org>\n\
Architecture: all\n\
Multi-Arch: foreign\n\
Version: 3.134\n\
Depends: passwd\n\
Description: add and remove users and groups\n \
This package includes the 'adduser' and 'deluser' commands for creating\n \
and removing users.\n\
\n\
Package: kesl\n\
Status: install ok installed\n\
Priority: optional\n\
Section: misc\n\
Installed-Size: 1434568\n\
Maintainer: AO Kaspersky Lab <support@kaspersky.com>\n\
Architecture: amd64\n\
Version: 12.1.0-1297\n\
Description: Kaspersky Endpoint Security for Linux\n\
\n\
Package: klnagent64\n\
Status: install ok half-configured\n\
Maintainer: AO Kaspersky Lab <support@kaspersky.com>\n\
Architecture: amd64\n\
Version: 15.1.0-20748\n\
\n\
Package: old-tool\n\
Status: deinstall ok config-files\n\
Architecture: amd64\n\
Version: 1.0\n"
}

/// `rpm -qa` on a RHEL 9 host.
pub fn rpm_qa() -> &'static str {
    "kesl-12.1.0-1297.x86_64\n\
perl-Data-Dumper-2.183-1.el9.x86_64\n\
gpg-pubkey-fd431d51-4ae0493b\n\
klnagent64-15.1.0-20748.x86_64\n\
kesl-gui-12.1.0-1297.x86_64\n"
}
