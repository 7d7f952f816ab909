//! The terminal summary: what was audited, the deny and unknown findings, and the totals.

use super::escape::terminal as esc;
use super::installs;
use super::{
    ROWS_SHOWN, countries_label, decision_label, human_bytes, operator_label, policies_label,
    product_label, system_label,
};
use crate::report::Report;
use ringfence_model::Decision;
use std::fmt::Write;

/// Aligned columns; cells are already escaped.
fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (cell, width) in cells.zip(&widths) {
            let pad = width.saturating_sub(cell.chars().count());
            text.push_str(cell);
            text.extend(std::iter::repeat_n(' ', pad + 2));
        }
        out.push_str("  ");
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(out, &mut headers.iter().copied());
    for row in rows {
        line(out, &mut row.iter().map(String::as_str));
    }
}

/// An installation or baseline table, when it has rows.
fn endpoint_table(out: &mut String, table: &installs::Table) {
    if table.rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{}: {}",
        table.title.to_lowercase(),
        table.rows.len()
    );
    let rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .take(ROWS_SHOWN)
        .map(|(_, cells)| cells.iter().map(|c| esc(c)).collect())
        .collect();
    let headers: Vec<String> = table.headers.iter().map(|h| h.to_uppercase()).collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    self::table(out, &headers, &rows);
    if table.rows.len() > ROWS_SHOWN {
        let _ = writeln!(
            out,
            "  … {} more (see --json)",
            table.rows.len() - ROWS_SHOWN
        );
    }
}

/// The default view of `ringfence audit`.
pub fn terminal(report: &Report) -> String {
    let mut out = String::new();
    let totals = &report.totals;
    let _ = writeln!(
        out,
        "ringfence {} audit  report sha256 {}",
        esc(&report.ringfence_version),
        report.sha256()
    );
    let _ = writeln!(
        out,
        "evidence: {} file(s), {} connections, {} out / {} in",
        report.inputs.evidence.len(),
        totals.traffic.connections,
        human_bytes(totals.traffic.bytes_out),
        human_bytes(totals.traffic.bytes_in)
    );
    if let Some(range) = report.time_range {
        let _ = writeln!(
            out,
            "time range: {} to {}",
            range.first_seen, range.last_seen
        );
    }
    let _ = writeln!(
        out,
        "policies: {}   estate: {} system(s)   IP data: {}",
        esc(&report.inputs.policies.ids.join(", ")),
        report.systems.len(),
        esc(&report
            .inputs
            .intel
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", "))
    );

    for decision in [Decision::Deny, Decision::Unknown] {
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.decision == decision)
            .collect();
        let _ = writeln!(
            out,
            "\n{} findings: {}",
            decision_label(decision),
            findings.len()
        );
        if findings.is_empty() {
            continue;
        }
        let rows: Vec<Vec<String>> = findings
            .iter()
            .take(ROWS_SHOWN)
            .map(|f| {
                vec![
                    esc(&system_label(report, f.system.as_deref())),
                    esc(&product_label(report, f.product.as_deref())),
                    esc(&operator_label(report, f.operator.as_deref())),
                    esc(&countries_label(f)),
                    f.connections.to_string(),
                    human_bytes(f.bytes_out),
                    human_bytes(f.bytes_in),
                    esc(&policies_label(f)),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "SYSTEM",
                "PRODUCT",
                "OPERATOR",
                "COUNTRIES",
                "CONNS",
                "OUT",
                "IN",
                "POLICIES / REASONS",
            ],
            &rows,
        );
        if findings.len() > ROWS_SHOWN {
            let _ = writeln!(out, "  … {} more (see --json)", findings.len() - ROWS_SHOWN);
        }
    }

    for table in [installs::installations(report), installs::removals(report)] {
        endpoint_table(&mut out, &table);
    }
    if let Some(summary) = installs::baseline_summary(report) {
        let _ = writeln!(out, "\nbaseline: {}", esc(&summary));
        endpoint_table(&mut out, &installs::gone(report));
    }

    let _ = writeln!(out, "\ntotals:");
    let _ = writeln!(
        out,
        "  deny: {} finding(s), {} connections; unknown: {} finding(s), {} connections; allow: {} finding(s), {} connections",
        totals.deny.findings,
        totals.deny.connections,
        totals.unknown.findings,
        totals.unknown.connections,
        totals.allow.findings,
        totals.allow.connections
    );
    let _ = writeln!(
        out,
        "  unattributed: {} connections, {} out / {} in; internal (not judged): {} connections",
        totals.unattributed.connections,
        human_bytes(totals.unattributed.bytes_out),
        human_bytes(totals.unattributed.bytes_in),
        totals.internal.connections
    );
    let installs = &report.installations;
    if installs.records > 0 {
        let count = |d: Decision| installs.findings.iter().filter(|f| f.decision == d).count();
        let _ = writeln!(
            out,
            "  installations: {} deny, {} unknown, {} allow finding(s); {} record(s), {} of catalog products; {}{} host(s) inventoried",
            count(Decision::Deny),
            count(Decision::Unknown),
            count(Decision::Allow),
            installs.records,
            installs.attributed,
            installs.inventoried_hosts.len(),
            if installs.inventoried_hosts_truncated {
                "+"
            } else {
                ""
            }
        );
    }
    let not_in = &totals.hosts_not_in_estate;
    if !not_in.hosts.is_empty() {
        let shown: Vec<String> = not_in
            .hosts
            .iter()
            .take(10)
            .map(|h| h.to_string())
            .collect();
        let _ = writeln!(
            out,
            "  hosts not in estate: {}{} ({} connections): {}{}",
            not_in.hosts.len(),
            if not_in.truncated { "+" } else { "" },
            not_in.traffic.connections,
            shown.join(", "),
            if not_in.hosts.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        );
    }
    if report.disagreements.traffic.connections > 0 {
        let _ = writeln!(
            out,
            "  IP sources disagree on the country of {} connection(s) in {} group(s)",
            report.disagreements.traffic.connections,
            report.disagreements.groups.len()
        );
    }
    let unreadable = &totals.unreadable;
    if unreadable.problem_count > 0 {
        let _ = writeln!(
            out,
            "  unreadable input: {} problem(s) skipped",
            unreadable.problem_count
        );
        for file in &unreadable.files {
            let _ = writeln!(
                out,
                "    {}: {} problem(s)",
                esc(&file.path),
                file.problem_count
            );
            for problem in file.problems.iter().take(3) {
                let _ = writeln!(
                    out,
                    "      at byte {}: {}",
                    problem.offset,
                    esc(&problem.reason)
                );
            }
        }
    }
    out
}
