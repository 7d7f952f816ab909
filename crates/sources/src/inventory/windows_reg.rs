//! A `reg export` / regedit export of the Uninstall keys → Windows program installations.
//!
//! Streamed line by line (UTF-16LE as regedit writes by default, or UTF-8/ANSI for `REGEDIT4`).
//! Every key whose parent is named `Uninstall` (`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\
//! CurrentVersion\Uninstall\{GUID}`, the `WOW6432Node` twin, `HKEY_CURRENT_USER` and
//! `HKEY_USERS\<SID>`) is one program: its `DisplayName`, `DisplayVersion`, `Publisher` and
//! `InstallLocation` string values (`\\` and `\"` unescaped). Other values (`dword:`, `hex(2):`
//! and their continuation lines) are skipped; keys outside Uninstall are ignored; an Uninstall
//! entry without a `DisplayName` (a hidden component or update) is counted as another record. An
//! export names no host. Evidence references give the key's line.

use super::output::Output;
use crate::logs::lines::LinePosition;
use ringfence_model::{HostIdentity, InstallSource, Installation};

#[derive(Default)]
pub(crate) struct RegExport {
    /// The Uninstall entry being read.
    entry: Option<Entry>,
    /// The previous line ended with `\`: this one continues a `hex` value.
    continued: bool,
}

struct Entry {
    at: LinePosition,
    display_name: Option<String>,
    display_version: Option<String>,
    publisher: Option<String>,
    install_location: Option<String>,
}

impl RegExport {
    pub(crate) fn line(&mut self, out: &mut Output<'_>, at: LinePosition, line: &str) {
        let continues = std::mem::replace(&mut self.continued, false);
        let trimmed = line.trim();
        if continues {
            self.continued = trimmed.ends_with('\\');
            return;
        }
        if trimmed.is_empty()
            || trimmed == "REGEDIT4"
            || trimmed.starts_with("Windows Registry Editor Version")
            || trimmed.starts_with(';')
        {
            return;
        }
        if let Some(path) = trimmed.strip_prefix('[') {
            self.finish(out);
            let path = path.strip_suffix(']').unwrap_or(path);
            if is_uninstall_entry(path) {
                self.entry = Some(Entry {
                    at,
                    display_name: None,
                    display_version: None,
                    publisher: None,
                    install_location: None,
                });
            }
            return;
        }
        let value = match trimmed.strip_prefix('@') {
            Some(rest) => Some((String::new(), rest)),
            None => quoted(trimmed),
        };
        let Some((name, rest)) = value else {
            out.problem(
                at.offset,
                format!("line {}: not a registry key or value", at.number),
            );
            return;
        };
        let Some(data) = rest.trim_start().strip_prefix('=') else {
            out.problem(
                at.offset,
                format!("line {}: value {name:?} has no `=`", at.number),
            );
            return;
        };
        let data = data.trim_start();
        if !data.starts_with('"') {
            // dword:, qword:, hex…: possibly continued on the next lines.
            self.continued = data.ends_with('\\');
            return;
        }
        let Some((text, _)) = quoted(data) else {
            out.problem(
                at.offset,
                format!("line {}: value {name:?}: unterminated string", at.number),
            );
            return;
        };
        let Some(entry) = self.entry.as_mut() else {
            return;
        };
        let text = Some(text).filter(|t| !t.trim().is_empty());
        let slot = match name.to_ascii_lowercase().as_str() {
            "displayname" => &mut entry.display_name,
            "displayversion" => &mut entry.display_version,
            "publisher" => &mut entry.publisher,
            "installlocation" => &mut entry.install_location,
            _ => return,
        };
        *slot = text;
    }

    /// Ends the entry being read (at the next key and at the end of the input).
    pub(crate) fn finish(&mut self, out: &mut Output<'_>) {
        let Some(entry) = self.entry.take() else {
            return;
        };
        out.counts.records += 1;
        let Some(name) = entry.display_name else {
            out.counts.other_records += 1;
            return;
        };
        let evidence = out.at(entry.at.number, entry.at.offset);
        out.installation(Installation {
            host: HostIdentity::default(),
            source: InstallSource::WindowsProgram,
            name,
            version: entry.display_version,
            publisher: entry.publisher,
            product: None,
            location: entry.install_location,
            hashes: None,
            time: None,
            present: true,
            evidence,
        });
    }
}

/// `…\Uninstall\<entry>`: a key directly under a key named Uninstall.
fn is_uninstall_entry(path: &str) -> bool {
    let mut parts = path.rsplit('\\');
    let entry = parts.next().unwrap_or_default();
    let parent = parts.next().unwrap_or_default();
    !entry.is_empty() && parent.eq_ignore_ascii_case("uninstall") && !path.starts_with('-')
}

/// A regedit quoted string at the start of `text` (`\\` and `\"` escaped), and what follows it.
fn quoted(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return Some((out, body.get(i + 1..).unwrap_or_default()));
        } else {
            out.push(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_unescape_backslashes_and_quotes() {
        assert_eq!(
            quoted(r#""C:\\Program Files\\A \"B\""=rest"#),
            Some((r#"C:\Program Files\A "B""#.to_string(), "=rest"))
        );
        assert_eq!(quoted(r#""open"#), None);
    }

    #[test]
    fn only_keys_directly_under_uninstall_are_programs() {
        let base = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall";
        assert!(is_uninstall_entry(&format!(r"{base}\{{1A2B}}")));
        assert!(!is_uninstall_entry(base));
        assert!(!is_uninstall_entry(&format!(r"{base}\{{1A2B}}\Sub")));
        assert!(!is_uninstall_entry(&format!(r"-{base}\{{1A2B}}")));
    }
}
