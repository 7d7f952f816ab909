//! Which inventory format a stream holds, from its first bytes (up to 4 KiB, decompressed).
//!
//! Each check wants something only that format writes at its start: the SBOM's own format key,
//! osquery's result-log keys, regedit's header line, a PowerShell `#TYPE` line or a header naming
//! program properties, a dpkg stanza with `Status:`, or lines that are all rpm package names. JSON
//! that carries the marks of other evidence readers' formats (EVE's `event_type`, Zeek's `uid`,
//! Windows events' `EventID`, `winlog`, `Channel`, `LogName`, `TimeCreated`) is never claimed.

use super::rpm;
use super::text::head_text;
use super::windows_ps::header_names;

/// The inventory formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// osqueryd result log: JSON lines.
    OsqueryLog,
    /// `osqueryi --json`: one JSON array of rows.
    OsqueryRows,
    CycloneDx,
    Spdx,
    /// `ConvertTo-Json` of Get-Package, Win32_Product or Uninstall-key items.
    PowerShellJson,
    /// `Export-Csv` of the same.
    PowerShellCsv,
    RegExport,
    DpkgStatus,
    RpmList,
}

/// Keys of other evidence formats (Suricata EVE, Windows events): JSON holding one of them is
/// not an inventory.
const FOREIGN_KEYS: [&str; 6] = [
    "\"event_type\":",
    "\"EventID\"",
    "\"winlog\"",
    "\"Channel\"",
    "\"LogName\"",
    "\"TimeCreated\"",
];

/// Zeek's JSON-lines keys; osquery rows may have a `uid` column too, so an osquery result line
/// (told by its own keys) is claimed before these are looked for, and arrays (which Zeek never
/// writes) are not checked for them.
const ZEEK_KEYS: [&str; 2] = ["\"uid\":", "\"_path\":"];

/// Properties only installed-program listings carry (besides a name).
const WINDOWS_KEYS: [&str; 7] = [
    "ProviderName",
    "DisplayName",
    "DisplayVersion",
    "IdentifyingNumber",
    "Vendor",
    "InstallLocation",
    "PSComputerName",
];

pub(crate) fn format(head: &[u8]) -> Option<Format> {
    let text = head_text(head);
    let text = text.trim_start();
    let first_line = text.lines().next().unwrap_or_default().trim();
    if text.starts_with('{') || text.starts_with('[') {
        return json_format(text, first_line);
    }
    if first_line == "REGEDIT4" || first_line.starts_with("Windows Registry Editor Version ") {
        return Some(Format::RegExport);
    }
    if first_line.starts_with("#TYPE ") || windows_header(first_line) {
        return Some(Format::PowerShellCsv);
    }
    if first_line.starts_with("Package: ") && text.contains("\nStatus: ") {
        return Some(Format::DpkgStatus);
    }
    rpm_list(head.len(), text).then_some(Format::RpmList)
}

fn json_format(text: &str, first_line: &str) -> Option<Format> {
    let has = |key: &str| text.contains(key);
    if has("\"bomFormat\"") && has("\"CycloneDX\"") {
        return Some(Format::CycloneDx);
    }
    if has("\"spdxVersion\"") && has("\"SPDX-") {
        return Some(Format::Spdx);
    }
    if FOREIGN_KEYS.iter().any(|key| has(key)) {
        return None;
    }
    let line_has = |key: &str| first_line.contains(key);
    if first_line.starts_with('{')
        && (line_has("\"hostIdentifier\"")
            || (line_has("\"name\"")
                && ["\"snapshot\"", "\"diffResults\"", "\"columns\""]
                    .iter()
                    .any(|key| line_has(key))))
    {
        return Some(Format::OsqueryLog);
    }
    if text.starts_with('{') && ZEEK_KEYS.iter().any(|key| has(key)) {
        return None;
    }
    let quoted = |key: &str| has(&format!("\"{key}\""));
    let named = quoted("Name") || quoted("DisplayName");
    if named && WINDOWS_KEYS.iter().any(|key| quoted(key)) {
        return Some(Format::PowerShellJson);
    }
    (text.starts_with('[') && has("\"name\"")).then_some(Format::OsqueryRows)
}

/// A CSV header naming a program's name and version and a Windows-only property.
fn windows_header(line: &str) -> bool {
    let names = header_names(line);
    let has = |name: &str| names.iter().any(|n| n == name);
    (has("Name") || has("DisplayName"))
        && (has("Version") || has("DisplayVersion"))
        && WINDOWS_KEYS.iter().any(|key| has(key))
}

/// The first line of the head and most of its whole lines are rpm packages, and
/// one at least names an architecture (or is rpm's `gpg-pubkey`), so a word list is not taken for
/// a package list while a damaged line does not hide the whole listing.
fn rpm_list(head_len: usize, text: &str) -> bool {
    // A full head may end inside a line: that last piece is not judged.
    let complete = if head_len >= 4096 {
        text.rsplit_once('\n').map_or("", |(whole, _)| whole)
    } else {
        text
    };
    let lines: Vec<&str> = complete
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let packages: Vec<rpm::Nevra<'_>> = lines.iter().filter_map(|l| rpm::nevra(l)).collect();
    let first_is_package = lines.first().is_some_and(|l| rpm::nevra(l).is_some());
    first_is_package
        && packages.len() * 2 > lines.len()
        && packages
            .iter()
            .any(|p| p.arch.is_some() || p.name == "gpg-pubkey")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_readers_formats_are_not_claimed() {
        let eve = br#"{"timestamp":"2016-05-18T16:51:47.123456+0000","event_type":"flow","src_ip":"1.2.3.4"}"#;
        let zeek = b"#separator \\x09\n#set_separator\t,\n";
        let zeek_json =
            br#"{"ts":1300475167.096535,"uid":"CXWv6p3arKYeMETxOg","id.orig_h":"1.2.3.4"}"#;
        let sysmon = br#"{"EventID":3,"Computer":"pc-01","Image":"C:\\avp.exe","name":"x"}"#;
        let winlog = br#"{"winlog":{"event_id":1,"channel":"Microsoft-Windows-Sysmon/Operational"},"hostIdentifier":"x"}"#;
        let get_winevent = br#"[{"Id":3,"ProviderName":"Microsoft-Windows-Sysmon","LogName":"x","Name":"y","TimeCreated":"z"}]"#;
        let evtx = b"ElfFile\0\0\0\0";
        let pcap = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        for head in [
            &eve[..],
            zeek,
            zeek_json,
            sysmon,
            winlog,
            get_winevent,
            evtx,
            &pcap,
            b"",
            b"hello world\n",
        ] {
            assert_eq!(format(head), None, "{}", String::from_utf8_lossy(head));
        }
    }

    #[test]
    fn each_inventory_is_told_by_its_head() {
        let cases: [(&[u8], Format); 9] = [
            (br#"{"snapshot":[],"action":"snapshot","name":"pack_x_programs","hostIdentifier":"pc"}"#, Format::OsqueryLog),
            (b"[\n  {\"name\":\"bash\",\"version\":\"5.1\"}\n]", Format::OsqueryRows),
            (br#"{"bomFormat":"CycloneDX","specVersion":"1.5"}"#, Format::CycloneDx),
            (br#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT"}"#, Format::Spdx),
            (br#"[{"Name":"7-Zip","Version":"23.01","ProviderName":"Programs"}]"#, Format::PowerShellJson),
            (b"#TYPE Microsoft.PowerShell.Commands.SoftwareIdentity\n\"Name\",\"Version\"\n", Format::PowerShellCsv),
            (b"\"Name\",\"Version\",\"Vendor\"\r\n\"a\",\"1\",\"b\"\r\n", Format::PowerShellCsv),
            (b"Package: bash\nStatus: install ok installed\nVersion: 5.1\n", Format::DpkgStatus),
            (b"kesl-12.1.0-1234.x86_64\nbash-5.1.8-6.el9.x86_64\n", Format::RpmList),
        ];
        for (head, expected) in cases {
            assert_eq!(
                format(head),
                Some(expected),
                "{}",
                String::from_utf8_lossy(head)
            );
        }
        let mut reg = vec![0xff, 0xfe];
        reg.extend(
            "Windows Registry Editor Version 5.00\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        assert_eq!(format(&reg), Some(Format::RegExport));
    }
}
