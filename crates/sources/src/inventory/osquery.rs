//! osquery results → installations (and connections from `process_open_sockets`).
//!
//! Two shapes are read:
//!
//! - **osqueryd result logs** (JSON lines, streamed): a snapshot line
//!   (`{"snapshot":[rows],"action":"snapshot","name":…,"hostIdentifier":…,"unixTime":…}`), an
//!   event-format differential line (`"columns":{row},"action":"added"|"removed"`) or a batched
//!   differential line (`"diffResults":{"added":[rows],"removed":[rows]}`). The host is the line's
//!   `hostIdentifier` (else its `decorations.hostname`, else a `hostname`/`host` column of the
//!   row); the time is `unixTime` (else `calendarTime`). A `removed` row is an installation with
//!   `present: false`. Evidence references give the line.
//! - **`osqueryi --json`** output: one JSON array of rows (read whole, see [`super`] for the size
//!   limit). It names no host and no time: the host stays unknown unless the query selected a
//!   `hostIdentifier`, `hostname` or `host` column, and the time is absent. Evidence references
//!   give the row's number and offset.
//!
//! Which table a row comes from is told by its **columns** first (a column only that table has:
//! `bundle_identifier` → `apps`, `release` → `rpm_packages`, `maintainer` → `deb_packages`,
//! `remote_address` → `process_open_sockets`, …), because the query name is whatever the pack
//! author chose; only when the columns say nothing (a query selecting just `name, version`) is
//! the query name searched for a table name (`pack_it_deb_packages` → `deb_packages`). Rows of
//! other tables are counted, not reported.
//!
//! `process_open_sockets`: the row's `path` (as a query joining `processes` selects it) becomes a
//! running-process installation, once per process path per query result; a TCP or UDP socket with
//! a remote address and port also becomes a connection from the local address (the local
//! process is taken as the initiator: the table does not say who connected) carrying the process,
//! first and last seen at the row's time and no packet or byte counts. Rows without a time
//! (`osqueryi`) give no connections, and say so once. The `path` of an `AF_UNIX` socket is the
//! socket's file, not a program: ignored.

use super::json::{Text, for_each_element, for_each_item, offset_in};
use super::output::Output;
use super::text::Document;
use crate::endpoint::endpoint_connection;
use crate::logs::time::iso8601;
use ringfence_model::{
    EvidenceRef, FlowKey, HostIdentity, InstallSource, Installation, LocalProcess, Timestamp,
    Transport,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::net::IpAddr;

/// The osquery tables whose rows are software on the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Table {
    Programs,
    DebPackages,
    RpmPackages,
    Apps,
    ChocolateyPackages,
    ProcessOpenSockets,
}

/// The columns read, of all the tables; a row has some of them.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Row<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    version: Text<'a>,
    // programs
    #[serde(borrow)]
    publisher: Text<'a>,
    #[serde(borrow)]
    install_location: Text<'a>,
    #[serde(borrow)]
    identifying_number: Text<'a>,
    #[serde(borrow)]
    uninstall_string: Text<'a>,
    // deb_packages
    #[serde(borrow)]
    maintainer: Text<'a>,
    #[serde(borrow)]
    status: Text<'a>,
    #[serde(borrow)]
    revision: Text<'a>,
    #[serde(borrow)]
    section: Text<'a>,
    #[serde(borrow)]
    priority: Text<'a>,
    // rpm_packages
    #[serde(borrow)]
    release: Text<'a>,
    #[serde(borrow)]
    epoch: Text<'a>,
    #[serde(borrow)]
    vendor: Text<'a>,
    #[serde(borrow)]
    package_group: Text<'a>,
    // apps
    #[serde(borrow)]
    bundle_identifier: Text<'a>,
    #[serde(borrow)]
    bundle_short_version: Text<'a>,
    #[serde(borrow)]
    bundle_version: Text<'a>,
    #[serde(borrow)]
    bundle_name: Text<'a>,
    #[serde(borrow)]
    display_name: Text<'a>,
    // chocolatey_packages
    #[serde(borrow)]
    summary: Text<'a>,
    #[serde(borrow)]
    author: Text<'a>,
    #[serde(borrow)]
    license: Text<'a>,
    // apps, chocolatey_packages, process_open_sockets (joined with processes)
    #[serde(borrow)]
    path: Text<'a>,
    // process_open_sockets
    #[serde(borrow)]
    pid: Text<'a>,
    #[serde(borrow)]
    family: Text<'a>,
    #[serde(borrow)]
    protocol: Text<'a>,
    #[serde(borrow)]
    local_address: Text<'a>,
    #[serde(borrow)]
    local_port: Text<'a>,
    #[serde(borrow)]
    remote_address: Text<'a>,
    #[serde(borrow)]
    remote_port: Text<'a>,
    // a host, when the query selected one
    #[serde(borrow, rename = "hostIdentifier")]
    host_identifier: Text<'a>,
    #[serde(borrow)]
    hostname: Text<'a>,
    #[serde(borrow)]
    host: Text<'a>,
}

/// One line of an osqueryd result log.
#[derive(Deserialize)]
struct ResultLine<'a> {
    #[serde(borrow, default)]
    name: Text<'a>,
    #[serde(borrow, default, rename = "hostIdentifier")]
    host_identifier: Text<'a>,
    #[serde(borrow, default, rename = "unixTime")]
    unix_time: Text<'a>,
    #[serde(borrow, default, rename = "calendarTime")]
    calendar_time: Text<'a>,
    #[serde(borrow, default)]
    action: Text<'a>,
    #[serde(borrow, default)]
    columns: Option<&'a RawValue>,
    #[serde(borrow, default)]
    snapshot: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "diffResults")]
    diff_results: Option<DiffResults<'a>>,
    #[serde(borrow, default)]
    decorations: Option<Decorations<'a>>,
}

#[derive(Deserialize)]
struct DiffResults<'a> {
    #[serde(borrow, default)]
    added: Option<&'a RawValue>,
    #[serde(borrow, default)]
    removed: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Decorations<'a> {
    #[serde(borrow, default)]
    hostname: Text<'a>,
}

/// What a query result says about all its rows.
struct QueryResult<'q> {
    /// The query's name (result logs only).
    query: Option<&'q str>,
    host: Option<String>,
    time: Option<Timestamp>,
    /// Process paths already reported for this result.
    processes: HashSet<String>,
    /// Whether rows without a time had sockets whose connections could not be reported.
    untimed_sockets: bool,
}

/// Reads one line of a result log (already known to be a JSON object line).
pub(crate) fn result_line(out: &mut Output<'_>, line: &str, record: u64, offset: u64) {
    let parsed: ResultLine<'_> = match serde_json::from_str(line) {
        Ok(parsed) => parsed,
        Err(e) => {
            let at = super::json::error_offset(line, &e) as u64;
            out.problem(
                offset.saturating_add(at),
                format!("line {record}: not an osquery result: {e}"),
            );
            return;
        }
    };
    let host = parsed
        .host_identifier
        .owned()
        .or_else(|| parsed.decorations.as_ref().and_then(|d| d.hostname.owned()));
    let time = unix_time(&parsed.unix_time).or_else(|| calendar_time(&parsed.calendar_time));
    let mut result = QueryResult {
        query: parsed.name.get(),
        host,
        time,
        processes: HashSet::new(),
        untimed_sockets: false,
    };
    let at = out.at(record, offset);
    let mut rows = |out: &mut Output<'_>, array: &RawValue, present: bool| {
        let walked = for_each_element(array, |raw| {
            read_row(out, &mut result, raw, present, at, offset);
        });
        if let Err(e) = walked {
            out.problem(offset, format!("line {record}: osquery rows: {e}"));
        }
    };
    let mut any = false;
    if let Some(snapshot) = parsed.snapshot {
        any = true;
        rows(out, snapshot, true);
    }
    if let Some(diff) = &parsed.diff_results {
        any = true;
        if let Some(added) = diff.added {
            rows(out, added, true);
        }
        if let Some(removed) = diff.removed {
            rows(out, removed, false);
        }
    }
    if let Some(columns) = parsed.columns {
        any = true;
        let present = parsed.action.get() != Some("removed");
        read_row(out, &mut result, columns, present, at, offset);
    }
    if !any {
        out.problem(
            offset,
            format!("line {record}: an osquery log line without snapshot, columns or diffResults"),
        );
    }
}

/// Reads `osqueryi --json` output: an array of rows (or one row).
pub(crate) fn rows_document(out: &mut Output<'_>, document: &Document, top: &RawValue) {
    let text = document.text.as_str();
    let mut offsets = document.offsets();
    let mut result = QueryResult {
        query: None,
        host: None,
        time: None,
        processes: HashSet::new(),
        untimed_sockets: false,
    };
    let mut number: u64 = 0;
    let walked = for_each_item(top, |raw| {
        number += 1;
        let offset = offsets.stream(offset_in(text, raw.get()));
        let at = out.at(number, offset);
        read_row(out, &mut result, raw, true, at, offset);
    });
    if let Err(e) = walked {
        out.problem(
            offsets.stream(super::json::error_offset(text, &e)),
            format!("osquery rows: {e}"),
        );
    }
    if result.untimed_sockets {
        out.problem(
            0,
            "process_open_sockets rows carry no time (osqueryi output): their processes are \
             reported, their connections are not",
        );
    }
}

fn read_row(
    out: &mut Output<'_>,
    result: &mut QueryResult<'_>,
    raw: &RawValue,
    present: bool,
    at: EvidenceRef,
    offset: u64,
) {
    let row: Row<'_> = match serde_json::from_str(raw.get()) {
        Ok(row) => row,
        Err(e) => {
            out.problem(offset, format!("record {}: osquery row: {e}", at.record));
            return;
        }
    };
    out.counts.records += 1;
    let Some(table) = table_of(&row, result.query) else {
        out.counts.other_records += 1;
        return;
    };
    let host_name = result.host.clone().or_else(|| {
        row.host_identifier
            .owned()
            .or_else(|| row.hostname.owned())
            .or_else(|| row.host.owned())
    });
    let host = HostIdentity {
        name: host_name,
        address: None,
    };
    let time = result.time;
    let installation = |source, name: Option<String>| {
        name.map(|name| Installation {
            host: host.clone(),
            source,
            name,
            version: None,
            publisher: None,
            product: None,
            location: None,
            hashes: None,
            time,
            present,
            evidence: at,
        })
    };
    let found = match table {
        Table::Programs => {
            installation(InstallSource::WindowsProgram, row.name.owned()).map(|i| Installation {
                version: row.version.owned(),
                publisher: row.publisher.owned(),
                location: row.install_location.owned(),
                ..i
            })
        }
        Table::DebPackages => {
            if row.status.get().and_then(super::dpkg::files_present) == Some(false) {
                None
            } else {
                installation(InstallSource::DebPackage, row.name.owned()).map(|i| Installation {
                    version: row.version.owned(),
                    publisher: row.maintainer.owned(),
                    ..i
                })
            }
        }
        Table::RpmPackages => {
            installation(InstallSource::RpmPackage, row.name.owned()).map(|i| Installation {
                version: rpm_version(&row),
                publisher: row.vendor.owned(),
                ..i
            })
        }
        Table::Apps => {
            let name = row
                .display_name
                .owned()
                .or_else(|| row.bundle_name.owned())
                .or_else(|| {
                    row.name
                        .get()
                        .map(|n| n.strip_suffix(".app").unwrap_or(n).to_owned())
                });
            installation(InstallSource::MacApp, name).map(|i| Installation {
                version: row
                    .bundle_short_version
                    .owned()
                    .or_else(|| row.bundle_version.owned()),
                product: row.bundle_identifier.owned(),
                location: row.path.owned(),
                ..i
            })
        }
        Table::ChocolateyPackages => {
            installation(InstallSource::ChocolateyPackage, row.name.owned()).map(|i| Installation {
                version: row.version.owned(),
                publisher: row.author.owned(),
                location: row.path.owned(),
                ..i
            })
        }
        Table::ProcessOpenSockets => {
            let image = process_image(&row);
            socket_connection(out, result, &row, image.as_deref(), at);
            let new = image
                .as_ref()
                .is_some_and(|image| result.processes.insert(image.clone()));
            if new {
                installation(InstallSource::RunningProcess, image.clone()).map(|i| Installation {
                    location: image,
                    ..i
                })
            } else {
                None
            }
        }
    };
    match found {
        Some(installation) => out.installation(installation),
        // A listening socket of a process already reported, a package without a name, a
        // dpkg package whose files are gone.
        None if table != Table::ProcessOpenSockets => out.counts.other_records += 1,
        None => {}
    }
}

/// The table a row comes from: by a column only that table has, else by the query's name.
fn table_of(row: &Row<'_>, query: Option<&str>) -> Option<Table> {
    let by_columns =
        if row.remote_address.is_some() || row.local_address.is_some() || row.remote_port.is_some()
        {
            Some(Table::ProcessOpenSockets)
        } else if row.bundle_identifier.is_some()
            || row.bundle_short_version.is_some()
            || row.bundle_version.is_some()
            || row.bundle_name.is_some()
        {
            Some(Table::Apps)
        } else if row.release.is_some() || row.package_group.is_some() || row.epoch.is_some() {
            Some(Table::RpmPackages)
        } else if row.maintainer.is_some()
            || row.revision.is_some()
            || row.section.is_some()
            || row.priority.is_some()
        {
            Some(Table::DebPackages)
        } else if row.summary.is_some() || row.author.is_some() || row.license.is_some() {
            Some(Table::ChocolateyPackages)
        } else if row.install_location.is_some()
            || row.uninstall_string.is_some()
            || row.identifying_number.is_some()
            || row.publisher.is_some()
        {
            Some(Table::Programs)
        } else {
            None
        };
    by_columns.or_else(|| {
        let query = query?.to_ascii_lowercase();
        [
            ("process_open_sockets", Table::ProcessOpenSockets),
            ("chocolatey_packages", Table::ChocolateyPackages),
            ("deb_packages", Table::DebPackages),
            ("rpm_packages", Table::RpmPackages),
            ("programs", Table::Programs),
            ("apps", Table::Apps),
        ]
        .into_iter()
        .find(|(table, _)| query.contains(table))
        .map(|(_, table)| table)
    })
}

/// `[epoch:]version-release`, as rpm writes an EVR.
fn rpm_version(row: &Row<'_>) -> Option<String> {
    let version = row.version.get()?;
    let mut evr = String::new();
    if let Some(epoch) = row.epoch.get().filter(|e| *e != "0") {
        evr.push_str(epoch);
        evr.push(':');
    }
    evr.push_str(version);
    if let Some(release) = row.release.get() {
        evr.push('-');
        evr.push_str(release);
    }
    Some(evr)
}

/// The executable of the process holding a socket: the row's `path`, unless the socket is a
/// UNIX socket (whose `path` is its file).
fn process_image(row: &Row<'_>) -> Option<String> {
    if row.family.get() == Some("1") {
        return None;
    }
    row.path.owned()
}

fn socket_connection(
    out: &mut Output<'_>,
    result: &mut QueryResult<'_>,
    row: &Row<'_>,
    image: Option<&str>,
    at: EvidenceRef,
) {
    let transport = match row.protocol.get() {
        Some("6") => Transport::Tcp,
        Some("17") => Transport::Udp,
        _ => return,
    };
    let remote = row.remote_address.get().and_then(parse_address);
    let remote_port = row.remote_port.get().and_then(|p| p.parse::<u16>().ok());
    let (Some(remote), Some(remote_port)) = (remote, remote_port) else {
        return;
    };
    if remote.is_unspecified() || remote_port == 0 {
        return;
    }
    let local = row.local_address.get().and_then(parse_address);
    let local_port = row.local_port.get().and_then(|p| p.parse::<u16>().ok());
    let (Some(local), Some(local_port)) = (local, local_port) else {
        out.problem(
            at.offset,
            format!(
                "record {}: a socket to {remote} without a readable local address and port",
                at.record
            ),
        );
        return;
    };
    let Some(time) = result.time else {
        result.untimed_sockets = true;
        return;
    };
    let key = FlowKey {
        transport,
        orig_addr: local,
        orig_port: local_port,
        resp_addr: remote,
        resp_port: remote_port,
    };
    let process = image.map(|image| LocalProcess {
        host: result.host.clone().or_else(|| row.host_identifier.owned()),
        image: image.to_owned(),
        pid: row.pid.get().and_then(|p| p.parse::<u32>().ok()),
        user: None,
    });
    out.connection(endpoint_connection(key, time, Vec::new(), process, at));
}

/// An address as osquery writes it; IPv6 may carry a zone (`fe80::1%eth0`), which is dropped.
fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.split('%').next().unwrap_or(text);
    text.parse().ok()
}

/// `unixTime`: whole seconds since the epoch, as a string or a number.
fn unix_time(text: &Text<'_>) -> Option<Timestamp> {
    let secs: i64 = text.get()?.parse().ok()?;
    // Years 1970 to 9999: anything else is not a time osquery wrote.
    (0..=253_402_300_799)
        .contains(&secs)
        .then(|| Timestamp::from_secs_nanos(secs, 0))
}

/// `calendarTime`: `Tue Sep 23 19:36:15 2014 UTC` (C's `asctime` in UTC).
fn calendar_time(text: &Text<'_>) -> Option<Timestamp> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = text.get()?.split_whitespace();
    let (_weekday, month, day, clock, year) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if !matches!(parts.next(), None | Some("UTC")) {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    let day: u8 = day.parse().ok()?;
    let year: u16 = year.parse().ok()?;
    iso8601(format!("{year:04}-{month:02}-{day:02}T{clock}Z").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_and_unix_times_agree() {
        let calendar = Text(Some("Tue Sep 23 19:36:15 2014 UTC".into()));
        let unix = Text(Some("1411500975".into()));
        assert_eq!(calendar_time(&calendar), unix_time(&unix));
        assert!(unix_time(&unix).is_some());
        assert_eq!(
            calendar_time(&Text(Some("Tue Foo 23 19:36:15 2014 UTC".into()))),
            None
        );
        assert_eq!(unix_time(&Text(Some("-5".into()))), None);
    }

    #[test]
    fn columns_tell_the_table_before_the_query_name() {
        let row: Row<'_> =
            serde_json::from_str(r#"{"name":"x","version":"1","release":"2.el9"}"#).unwrap();
        assert_eq!(
            table_of(&row, Some("pack_deb_packages")),
            Some(Table::RpmPackages)
        );
        let bare: Row<'_> = serde_json::from_str(r#"{"name":"x","version":"1"}"#).unwrap();
        assert_eq!(
            table_of(&bare, Some("pack_it_deb_packages")),
            Some(Table::DebPackages)
        );
        assert_eq!(table_of(&bare, Some("users")), None);
        assert_eq!(table_of(&bare, None), None);
    }
}
