//! PowerShell listings of installed programs → Windows program installations: `Get-Package`,
//! `Get-CimInstance Win32_Product` / `Get-WmiObject Win32_Product`, and `Get-ItemProperty` of the
//! Uninstall keys, written by `ConvertTo-Json` (an array, or one object for a single item) or by
//! `Export-Csv` (with or without its `#TYPE` line; any delimiter `-Delimiter` or `-UseCulture`
//! chose).
//!
//! The properties read: `Name` or `DisplayName`; `Version` or `DisplayVersion`; `Vendor`
//! (Win32_Product) or `Publisher` (Uninstall keys) as the publisher; `InstallLocation`; and the
//! host from `PSComputerName` (present when the command ran through a remote session or a CIM
//! session) or WMI's `__SERVER`. `Get-Package`'s `ProviderName` is the package *provider* (`msi`,
//! `Programs`, `NuGet`), not the software's publisher, so it is not taken as one. Without a
//! computer name the host is unknown. Evidence references give the item's number and offset (the
//! CSV record's first line).

use super::json::{Text, for_each_item, offset_in};
use super::output::Output;
use super::text::Document;
use crate::logs::lines::LinePosition;
use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use ringfence_model::{EvidenceRef, HostIdentity, InstallSource, Installation};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The longest CSV record read (all its fields), and the most fields it may have.
const MAX_RECORD: usize = 1 << 20;
const MAX_FIELDS: usize = 4096;

/// The properties read from one item.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Program<'a> {
    #[serde(borrow, rename = "Name")]
    name: Text<'a>,
    #[serde(borrow, rename = "DisplayName")]
    display_name: Text<'a>,
    #[serde(borrow, rename = "Version")]
    version: Text<'a>,
    #[serde(borrow, rename = "DisplayVersion")]
    display_version: Text<'a>,
    #[serde(borrow, rename = "Vendor")]
    vendor: Text<'a>,
    #[serde(borrow, rename = "Publisher")]
    publisher: Text<'a>,
    #[serde(borrow, rename = "InstallLocation")]
    install_location: Text<'a>,
    #[serde(borrow, rename = "PSComputerName")]
    ps_computer_name: Text<'a>,
    #[serde(borrow, rename = "__SERVER")]
    server: Text<'a>,
}

impl Program<'_> {
    /// The installation, or `None` for an item without a name.
    fn installation(&self, evidence: EvidenceRef) -> Option<Installation> {
        let name = self.display_name.owned().or_else(|| self.name.owned())?;
        Some(Installation {
            host: HostIdentity {
                name: self
                    .ps_computer_name
                    .owned()
                    .or_else(|| self.server.owned()),
                address: None,
            },
            source: InstallSource::WindowsProgram,
            name,
            version: self
                .display_version
                .owned()
                .or_else(|| self.version.owned()),
            publisher: self.vendor.owned().or_else(|| self.publisher.owned()),
            product: None,
            location: self.install_location.owned(),
            hashes: None,
            time: None,
            present: true,
            evidence,
        })
    }
}

fn emit(out: &mut Output<'_>, program: &Program<'_>, evidence: EvidenceRef) {
    out.counts.records += 1;
    match program.installation(evidence) {
        Some(installation) => out.installation(installation),
        None => out.counts.other_records += 1,
    }
}

/// Reads a `ConvertTo-Json` document.
pub(crate) fn json_document(out: &mut Output<'_>, document: &Document, top: &RawValue) {
    let text = document.text.as_str();
    let mut offsets = document.offsets();
    let mut number: u64 = 0;
    let walked = for_each_item(top, |raw| {
        number += 1;
        let offset = offsets.stream(offset_in(text, raw.get()));
        match serde_json::from_str::<Program<'_>>(raw.get()) {
            Ok(program) => {
                let evidence = out.at(number, offset);
                emit(out, &program, evidence);
            }
            Err(e) => out.problem(offset, format!("item {number}: {e}")),
        }
    });
    if let Err(e) = walked {
        out.problem(
            offsets.stream(super::json::error_offset(text, &e)),
            format!("items: {e}"),
        );
    }
}

/// Which column holds each property.
#[derive(Default)]
struct Columns {
    name: Option<usize>,
    display_name: Option<usize>,
    version: Option<usize>,
    display_version: Option<usize>,
    vendor: Option<usize>,
    publisher: Option<usize>,
    install_location: Option<usize>,
    ps_computer_name: Option<usize>,
    server: Option<usize>,
}

/// An `Export-Csv` file, read line by line; a quoted field may span lines.
#[derive(Default)]
pub(crate) struct PsCsv {
    /// Built at the header line, whose delimiter it takes.
    reader: Option<Reader>,
    columns: Option<Columns>,
    output: Vec<u8>,
    ends: Vec<usize>,
    written: usize,
    fields: usize,
    /// Where the record being read began.
    record: Option<LinePosition>,
    /// The record being read is too long: its bytes are dropped until it ends.
    too_long: bool,
}

impl PsCsv {
    pub(crate) fn line(&mut self, out: &mut Output<'_>, at: LinePosition, line: &str) {
        if self.record.is_none() {
            if line.trim().is_empty() {
                return;
            }
            if self.reader.is_none() {
                if line.starts_with("#TYPE") || line.starts_with('#') {
                    return;
                }
                self.reader = Some(ReaderBuilder::new().delimiter(delimiter(line)).build());
            }
            self.record = Some(at);
        }
        self.feed(out, line.as_bytes());
        self.feed(out, b"\n");
    }

    /// Ends the input: a record still open has an unterminated quoted field.
    pub(crate) fn finish(&mut self, out: &mut Output<'_>) {
        if let Some(at) = self.record.take() {
            out.problem(
                at.offset,
                format!("line {}: a quoted field is never closed", at.number),
            );
        }
    }

    fn feed(&mut self, out: &mut Output<'_>, mut input: &[u8]) {
        while !input.is_empty() {
            let Some(reader) = self.reader.as_mut() else {
                return;
            };
            if self.output.len() == self.written {
                self.output
                    .resize((self.written * 2).clamp(256, MAX_RECORD), 0);
            }
            if self.ends.len() == self.fields {
                self.ends.resize((self.fields * 2).clamp(16, MAX_FIELDS), 0);
            }
            let (result, read, written, fields) = reader.read_record(
                input,
                self.output.get_mut(self.written..).unwrap_or_default(),
                self.ends.get_mut(self.fields..).unwrap_or_default(),
            );
            input = input.get(read..).unwrap_or_default();
            self.written += written;
            self.fields += fields;
            match result {
                ReadRecordResult::InputEmpty | ReadRecordResult::End => return,
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {
                    if self.written >= MAX_RECORD || self.fields >= MAX_FIELDS {
                        // Keep parsing (to find the record's end) but drop what it holds.
                        self.too_long = true;
                        self.written = 0;
                        self.fields = 0;
                    }
                }
                ReadRecordResult::Record => {
                    self.record_done(out);
                    self.written = 0;
                    self.fields = 0;
                    self.too_long = false;
                }
            }
        }
    }

    fn record_done(&mut self, out: &mut Output<'_>) {
        let Some(at) = self.record.take() else {
            return;
        };
        if self.too_long {
            out.counts.records += 1;
            out.problem(
                at.offset,
                format!(
                    "line {}: a record longer than {MAX_RECORD} bytes or {MAX_FIELDS} fields: \
                     skipped",
                    at.number
                ),
            );
            return;
        }
        let mut start = 0;
        let fields: Vec<Cow<'_, str>> = self
            .ends
            .get(..self.fields)
            .unwrap_or_default()
            .iter()
            .map(|&end| {
                let field = self.output.get(start..end).unwrap_or_default();
                start = end;
                String::from_utf8_lossy(field)
            })
            .collect();
        let Some(columns) = &self.columns else {
            let columns = header(&fields);
            if columns.name.is_none() && columns.display_name.is_none() {
                out.problem(
                    at.offset,
                    format!(
                        "line {}: the header has no Name or DisplayName column",
                        at.number
                    ),
                );
            }
            self.columns = Some(columns);
            return;
        };
        let field = |column: Option<usize>| {
            Text(
                column
                    .and_then(|i| fields.get(i))
                    .map(|f| Cow::Borrowed(f.as_ref())),
            )
        };
        let program = Program {
            name: field(columns.name),
            display_name: field(columns.display_name),
            version: field(columns.version),
            display_version: field(columns.display_version),
            vendor: field(columns.vendor),
            publisher: field(columns.publisher),
            install_location: field(columns.install_location),
            ps_computer_name: field(columns.ps_computer_name),
            server: field(columns.server),
        };
        let evidence = out.at(at.number, at.offset);
        emit(out, &program, evidence);
    }
}

fn header(fields: &[Cow<'_, str>]) -> Columns {
    let find = |name: &str| fields.iter().position(|f| f.trim() == name);
    Columns {
        name: find("Name"),
        display_name: find("DisplayName"),
        version: find("Version"),
        display_version: find("DisplayVersion"),
        vendor: find("Vendor"),
        publisher: find("Publisher"),
        install_location: find("InstallLocation"),
        ps_computer_name: find("PSComputerName"),
        server: find("__SERVER"),
    }
}

/// The header's delimiter: the first `,`, `;` or tab outside quotes (`Export-Csv` writes `,`
/// unless told otherwise).
pub(crate) fn delimiter(header: &str) -> u8 {
    let mut quoted = false;
    for byte in header.bytes() {
        match byte {
            b'"' => quoted = !quoted,
            b',' | b';' | b'\t' if !quoted => return byte,
            _ => {}
        }
    }
    b','
}

/// The header's column names (for format detection).
pub(crate) fn header_names(header: &str) -> Vec<String> {
    let separator = char::from(delimiter(header));
    header
        .split(separator)
        .map(|name| name.trim().trim_matches('"').to_owned())
        .collect()
}
