//! CSV: one row per connection, lists joined with `;`.

use ringfence_model::Connection;
use std::io::{self, Write};

const HEADER: [&str; 22] = [
    "community_id",
    "transport",
    "orig_addr",
    "orig_port",
    "resp_addr",
    "resp_port",
    "first_seen",
    "last_seen",
    "orig_packets",
    "orig_bytes",
    "resp_packets",
    "resp_bytes",
    "tcp_state",
    "names",
    "name_sources",
    "alpn",
    "ja4",
    "http_requests",
    "tunnels",
    "evidence_file",
    "evidence_record",
    "evidence_offset",
];

/// A CSV writer that has already written the header row.
pub fn writer<W: Write>(out: W) -> io::Result<csv::Writer<W>> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    writer.write_record(HEADER)?;
    Ok(writer)
}

/// Spreadsheets run a cell that starts with one of these as a formula; names come from attackers.
fn neutralise_formula(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

pub fn write<W: Write>(
    writer: &mut csv::Writer<W>,
    connection: &Connection,
    evidence_label: &str,
) -> io::Result<()> {
    let names: Vec<&str> = connection.names.iter().map(|n| n.name.as_str()).collect();
    let sources: Vec<&str> = connection.names.iter().map(|n| n.source.as_str()).collect();
    let requests: Vec<String> = connection
        .http
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.target, r.version))
        .collect();
    let state = connection
        .tcp_state
        .map(|s| format!("{s:?}").to_lowercase())
        .unwrap_or_default();
    let row = [
        connection.community_id.clone(),
        connection.key.transport.as_str().to_string(),
        connection.key.orig_addr.to_string(),
        connection.key.orig_port.to_string(),
        connection.key.resp_addr.to_string(),
        connection.key.resp_port.to_string(),
        connection.first_seen.to_string(),
        connection.last_seen.to_string(),
        connection.orig_packets.to_string(),
        connection.orig_bytes.to_string(),
        connection.resp_packets.to_string(),
        connection.resp_bytes.to_string(),
        state,
        neutralise_formula(names.join(";")),
        sources.join(";"),
        neutralise_formula(connection.alpn.join(";")),
        connection.ja4.clone().unwrap_or_default(),
        neutralise_formula(requests.join(";")),
        connection.tunnels.join(";"),
        neutralise_formula(evidence_label.to_string()),
        connection.evidence.record.to_string(),
        connection.evidence.offset.to_string(),
    ];
    writer.write_record(row).map_err(io::Error::other)
}
