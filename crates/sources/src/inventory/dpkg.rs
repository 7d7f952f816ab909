//! The dpkg status file (`/var/lib/dpkg/status`) → Debian package installations.
//!
//! RFC 822-style stanzas separated by blank lines, streamed: only the stanza being read is held
//! (its `Package`, `Version`, `Maintainer` and `Status`; continuation lines such as the
//! `Description` body are skipped). A package is reported when its `Status` state says its files
//! are on disk: `installed`, and also the states of an unfinished install or upgrade
//! (`half-installed`, `unpacked`, `half-configured`, `triggers-awaited`, `triggers-pending`),
//! since an audit asks what software is there, not whether dpkg finished configuring it.
//! `config-files` (removed, configuration kept) and `not-installed` stanzas are counted as other
//! records. The status file names no host. Evidence references give the stanza's first line.

use super::output::Output;
use crate::logs::lines::LinePosition;
use ringfence_model::{HostIdentity, InstallSource, Installation};

/// Whether a dpkg `Status` value (`want flag state`, e.g. `install ok installed`) means the
/// package's files are on disk; `None` when the state is not one dpkg writes.
pub(crate) fn files_present(status: &str) -> Option<bool> {
    match status.split_whitespace().last()? {
        "installed" | "half-installed" | "unpacked" | "half-configured" | "triggers-awaited"
        | "triggers-pending" => Some(true),
        "config-files" | "not-installed" => Some(false),
        _ => None,
    }
}

#[derive(Default)]
pub(crate) struct DpkgStatus {
    stanza: Option<Stanza>,
}

struct Stanza {
    at: LinePosition,
    package: Option<String>,
    version: Option<String>,
    maintainer: Option<String>,
    status: Option<String>,
}

impl DpkgStatus {
    pub(crate) fn line(&mut self, out: &mut Output<'_>, at: LinePosition, line: &str) {
        if line.trim().is_empty() {
            self.finish(out);
            return;
        }
        if line.starts_with([' ', '\t']) {
            return;
        }
        let stanza = self.stanza.get_or_insert(Stanza {
            at,
            package: None,
            version: None,
            maintainer: None,
            status: None,
        });
        let Some((field, value)) = line.split_once(':') else {
            out.problem(
                at.offset,
                format!("line {}: not a `Field: value` line", at.number),
            );
            return;
        };
        let value = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        let slot = match field {
            "Package" => &mut stanza.package,
            "Version" => &mut stanza.version,
            "Maintainer" => &mut stanza.maintainer,
            "Status" => &mut stanza.status,
            _ => return,
        };
        *slot = value;
    }

    /// Ends the stanza being read (at a blank line and at the end of the input).
    pub(crate) fn finish(&mut self, out: &mut Output<'_>) {
        let Some(stanza) = self.stanza.take() else {
            return;
        };
        let at = stanza.at;
        out.counts.records += 1;
        let Some(package) = stanza.package else {
            out.problem(
                at.offset,
                format!("line {}: a stanza without `Package`", at.number),
            );
            return;
        };
        let present = match stanza.status.as_deref().map(files_present) {
            Some(Some(present)) => present,
            Some(None) => {
                out.problem(
                    at.offset,
                    format!("line {}: package {package}: unknown `Status`", at.number),
                );
                return;
            }
            None => {
                out.problem(
                    at.offset,
                    format!("line {}: package {package} has no `Status`", at.number),
                );
                return;
            }
        };
        if !present {
            out.counts.other_records += 1;
            return;
        }
        let evidence = out.at(at.number, at.offset);
        out.installation(Installation {
            host: HostIdentity::default(),
            source: InstallSource::DebPackage,
            name: package,
            version: stanza.version,
            publisher: stanza.maintainer,
            product: None,
            location: None,
            hashes: None,
            time: None,
            present: true,
            evidence,
        });
    }
}
