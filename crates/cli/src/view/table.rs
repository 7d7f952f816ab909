//! The terminal table: the biggest connections first, in columns sized to their content.

use super::text::{clip, human_bytes, printable};
use ringfence_model::Connection;
use std::io::{self, Write};

/// Names longer than this are clipped in the table (JSON and CSV keep them whole).
const NAME_COLUMN_MAX: usize = 60;

fn total_bytes(connection: &Connection) -> u64 {
    connection.orig_bytes.saturating_add(connection.resp_bytes)
}

/// Biggest first; ties broken by time and tuple so the order depends only on the evidence.
fn order(rows: &mut [Connection]) {
    rows.sort_by(|a, b| {
        total_bytes(b)
            .cmp(&total_bytes(a))
            .then_with(|| (a.first_seen, a.key).cmp(&(b.first_seen, b.key)))
    });
}

/// Keeps at most about `limit` rows (all when 0), so memory does not grow with the capture.
pub fn keep_biggest(rows: &mut Vec<Connection>, connection: Connection, limit: usize) {
    rows.push(connection);
    if limit > 0 && rows.len() >= limit.saturating_mul(2).max(64) {
        order(rows);
        rows.truncate(limit);
    }
}

fn endpoint(addr: std::net::IpAddr, port: u16) -> String {
    match addr {
        std::net::IpAddr::V4(v4) => format!("{v4}:{port}"),
        std::net::IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

fn names_cell(connection: &Connection) -> String {
    let names: Vec<String> = connection
        .names
        .iter()
        .map(|n| {
            format!(
                "{} ({})",
                clip(&printable(&n.name), NAME_COLUMN_MAX),
                n.source.as_str()
            )
        })
        .collect();
    names.join(", ")
}

/// Writes the table; `seen` is how many connections there were in all.
pub fn write(
    out: &mut impl Write,
    mut rows: Vec<Connection>,
    limit: usize,
    seen: u64,
) -> io::Result<()> {
    order(&mut rows);
    if limit > 0 {
        rows.truncate(limit);
    }
    let header = [
        "FIRST SEEN",
        "PROTO",
        "ORIGINATOR",
        "RESPONDER",
        "STATE",
        "PKTS →/←",
        "BYTES →/←",
        "NAMES",
    ];
    let mut table: Vec<[String; 8]> = vec![header.map(String::from)];
    for c in &rows {
        let state = c
            .tcp_state
            .map(|s| format!("{s:?}").to_lowercase())
            .unwrap_or_else(|| "-".into());
        table.push([
            c.first_seen.to_string(),
            c.key.transport.as_str().to_string(),
            endpoint(c.key.orig_addr, c.key.orig_port),
            endpoint(c.key.resp_addr, c.key.resp_port),
            state,
            format!("{}/{}", c.orig_packets, c.resp_packets),
            format!(
                "{}/{}",
                human_bytes(c.orig_bytes),
                human_bytes(c.resp_bytes)
            ),
            names_cell(c),
        ]);
    }
    let mut widths = [0usize; 8];
    for row in &table {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in &table {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', width - cell.chars().count() + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    let shown = rows.len() as u64;
    if seen > shown {
        writeln!(
            out,
            "… {} smaller connections not shown (--limit 0 shows all, --json or --csv export all)",
            seen - shown
        )?;
    }
    Ok(())
}
