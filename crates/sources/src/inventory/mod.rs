//! Software inventories → [`Installation`](ringfence_model::Installation) observations (and, from
//! osquery's `process_open_sockets`, connections carrying their process).
//!
//! The formats, each in its own module with its decisions written at the top:
//!
//! - osquery: osqueryd result logs (snapshot, differential and batched differential lines) and
//!   `osqueryi --json` arrays, for `programs`, `deb_packages`, `rpm_packages`, `apps`,
//!   `chocolatey_packages` and `process_open_sockets` ([`osquery`]);
//! - CycloneDX 1.2–1.6 and SPDX 2.2/2.3 JSON ([`sbom`]);
//! - Windows installed programs: a `reg export` of the Uninstall keys ([`windows_reg`]), and
//!   PowerShell `Get-Package` / `Get-CimInstance Win32_Product` / `Get-ItemProperty` output as
//!   `ConvertTo-Json` or `Export-Csv` ([`windows_ps`]);
//! - the dpkg status file ([`dpkg`]) and `rpm -qa` output ([`rpm`]).
//!
//! The format is told by content ([`looks_like`]), never by file name. Text may be UTF-8 (an
//! ANSI line is read as Windows-1252) or UTF-16LE with a byte-order mark, as Windows tools write
//! it ([`text`]).
//!
//! # Memory
//!
//! Line- and stanza-based formats (result logs, dpkg, rpm, reg exports, CSV) are streamed: a
//! reader holds one line (at most [`MAX_LINE`] bytes; a longer one is a problem and is skipped)
//! and the item being read. A CycloneDX, SPDX, `osqueryi` or `ConvertTo-Json` document is a
//! single JSON value and is read whole, up to [`MAX_DOCUMENT`] bytes: a larger one is a problem
//! and is not read. Within a document, arrays are walked element by element without being
//! collected, and fields are borrowed from the document where they need no unescaping.
//!
//! # Problems
//!
//! An item that cannot be read (invalid JSON, a line that is not a package, a stanza without a
//! `Status`) is a problem giving the byte offset of its line or of the item in the stream
//! (UTF-16 documents: the offset in the UTF-16 bytes) and the reason; the other items are still
//! read.

mod detect;
mod dpkg;
mod json;
mod osquery;
mod output;
mod rpm;
mod sbom;
mod text;
mod windows_ps;
mod windows_reg;

pub use output::Counts;

use crate::capture::ObservationSink;
use crate::input::{EvidenceStream, MAX_KEPT_PROBLEMS, Problems};
use crate::logs::lines::{Line, LinePosition};
use detect::Format;
use output::Output;
use ringfence_model::{Evidence, EvidenceKind};
use serde_json::value::RawValue;
use text::{Document, DocumentError, Encoding};

/// The largest JSON document read (CycloneDX, SPDX, `osqueryi --json`, `ConvertTo-Json`). The
/// largest real SBOMs (a full container image, a Windows host's osquery `programs`) are tens of
/// MB; a document this size takes about as much memory again while it is read.
pub const MAX_DOCUMENT: usize = 256 << 20;
/// The longest line of a line-based inventory. An osqueryd snapshot line holds a whole table
/// (every package of a host), so this is far longer than a log reader's line limit.
pub const MAX_LINE: usize = 64 << 20;

/// What reading one inventory gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOutcome {
    pub evidence: Evidence,
    pub problems: Problems,
    /// Items read: programs, packages, components, osquery rows.
    pub records: u64,
    pub installations: u64,
    pub connections: u64,
    /// Items that are not software on the host (see [`Counts::other_records`]).
    pub other_records: u64,
}

/// True when the first bytes (up to 4 KiB, already decompressed) look like an inventory.
pub fn looks_like(head: &[u8]) -> bool {
    detect::format(head).is_some()
}

/// Reads one inventory to the end, sending installations (and osquery socket connections) to
/// `sink`. `evidence` is the input's position in the run's list of evidence.
pub fn read(
    mut stream: EvidenceStream,
    evidence: u32,
    sink: &mut dyn ObservationSink,
) -> ReadOutcome {
    let label = stream.label().to_owned();
    let mut out = Output::new(evidence, &label, sink);
    let head = stream
        .reader()
        .fill_buf()
        .map(|buffered| buffered.get(..4096).unwrap_or(buffered).to_vec());
    match head {
        Ok(head) => {
            let encoding = Encoding::of(&head);
            match detect::format(&head) {
                Some(format) => read_format(&mut stream, &mut out, format, encoding),
                None => out.problem(0, "not an inventory this reader knows"),
            }
        }
        Err(e) => out.problem(0, format!("read error: {e}")),
    }
    finish(stream, out)
}

fn read_format(
    stream: &mut EvidenceStream,
    out: &mut Output<'_>,
    format: Format,
    encoding: Encoding,
) {
    match format {
        Format::OsqueryLog => lines(stream, out, encoding, |out, at, line| {
            let line = line.trim();
            if !line.is_empty() {
                osquery::result_line(out, line, at.number, at.offset);
            }
        }),
        Format::DpkgStatus => {
            let mut dpkg = dpkg::DpkgStatus::default();
            lines(stream, out, encoding, |out, at, line| {
                dpkg.line(out, at, line)
            });
            dpkg.finish(out);
        }
        Format::RpmList => lines(stream, out, encoding, rpm::line),
        Format::RegExport => {
            let mut reg = windows_reg::RegExport::default();
            lines(stream, out, encoding, |out, at, line| {
                reg.line(out, at, line)
            });
            reg.finish(out);
        }
        Format::PowerShellCsv => {
            let mut csv = windows_ps::PsCsv::default();
            lines(stream, out, encoding, |out, at, line| {
                csv.line(out, at, line)
            });
            csv.finish(out);
        }
        Format::CycloneDx | Format::Spdx | Format::OsqueryRows | Format::PowerShellJson => {
            document(stream, out, format, encoding);
        }
    }
}

/// Streams the lines of a line-based inventory to `each`, as text.
fn lines(
    stream: &mut EvidenceStream,
    out: &mut Output<'_>,
    encoding: Encoding,
    mut each: impl FnMut(&mut Output<'_>, LinePosition, &str),
) {
    let result = text::for_each_line(stream.reader(), encoding, MAX_LINE, |at, line| match line {
        Line::Text(bytes) => each(out, at, &text::decode_line(bytes)),
        Line::TooLong { length } => out.problem(
            at.offset,
            format!(
                "line {}: {length} bytes, longer than the {MAX_LINE}-byte line limit: skipped",
                at.number
            ),
        ),
    });
    if let Err((offset, e)) = result {
        out.problem(
            offset,
            format!("read error: {e}; the rest of the input was not read"),
        );
    }
}

/// Reads a whole JSON document and hands it to its format's reader.
fn document(stream: &mut EvidenceStream, out: &mut Output<'_>, format: Format, encoding: Encoding) {
    let document = match Document::read(stream.reader(), encoding, MAX_DOCUMENT) {
        Ok(document) => document,
        Err(DocumentError::TooLarge) => {
            out.problem(
                0,
                format!("a JSON document larger than {MAX_DOCUMENT} bytes: not read"),
            );
            return;
        }
        Err(DocumentError::Io(offset, e)) => {
            out.problem(
                offset,
                format!("read error: {e}; the document was not read"),
            );
            return;
        }
    };
    match format {
        Format::CycloneDx => sbom::cyclonedx(out, &document),
        Format::Spdx => sbom::spdx(out, &document),
        _ => {
            let top: &RawValue = match serde_json::from_str(&document.text) {
                Ok(top) => top,
                Err(e) => {
                    let at = document
                        .offsets()
                        .stream(json::error_offset(&document.text, &e));
                    out.problem(at, format!("not a JSON document: {e}"));
                    return;
                }
            };
            if format == Format::OsqueryRows {
                osquery::rows_document(out, &document, top);
            } else {
                windows_ps::json_document(out, &document, top);
            }
        }
    }
}

fn finish(stream: EvidenceStream, out: Output<'_>) -> ReadOutcome {
    let (evidence, at_end) = stream.finish(EvidenceKind::Inventory);
    let mut problems = out.problems;
    problems.count = problems.count.saturating_add(at_end.count);
    problems.kept.extend(at_end.kept);
    problems.kept.sort_by_key(|p| p.offset);
    problems.kept.truncate(MAX_KEPT_PROBLEMS);
    let counts = out.counts;
    ReadOutcome {
        evidence,
        problems,
        records: counts.records,
        installations: counts.installations,
        connections: counts.connections,
        other_records: counts.other_records,
    }
}
