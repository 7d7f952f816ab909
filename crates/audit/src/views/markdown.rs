//! The Markdown view: for pull requests, tickets and wikis.

use super::escape::markdown as esc;
use super::installs;
use super::{
    ROWS_SHOWN, basis_short, countries_label, human_bytes, operator_label, policies_label,
    product_label, rollup, system_label,
};
use crate::report::Report;
use std::fmt::Write;

fn row(out: &mut String, cells: &[String]) {
    out.push('|');
    for cell in cells {
        out.push(' ');
        out.push_str(cell);
        out.push_str(" |");
    }
    out.push('\n');
}

fn header(out: &mut String, cells: &[&str]) {
    row(
        out,
        &cells.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
    );
    row(
        out,
        &cells.iter().map(|_| "---".to_owned()).collect::<Vec<_>>(),
    );
}

/// An installation or baseline table, when it has rows.
fn endpoint_table(out: &mut String, table: &installs::Table) {
    if table.rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## {}\n", table.title);
    header(out, table.headers);
    for (_, cells) in table.rows.iter().take(ROWS_SHOWN) {
        row(out, &cells.iter().map(|c| esc(c)).collect::<Vec<_>>());
    }
    if table.rows.len() > ROWS_SHOWN {
        let _ = writeln!(
            out,
            "\n{} more rows in the JSON report.",
            table.rows.len() - ROWS_SHOWN
        );
    }
}

pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let totals = &report.totals;
    let _ = writeln!(out, "# ringfence audit\n");
    let _ = writeln!(out, "- Report SHA-256: `{}`", report.sha256());
    let _ = writeln!(out, "- ringfence {}", esc(&report.ringfence_version));
    if let Some(range) = report.time_range {
        let _ = writeln!(
            out,
            "- Evidence time range: {} to {}",
            range.first_seen, range.last_seen
        );
    }
    let _ = writeln!(
        out,
        "- {} connections, {} out, {} in; **{} deny** and {} unknown finding(s)",
        totals.traffic.connections,
        human_bytes(totals.traffic.bytes_out),
        human_bytes(totals.traffic.bytes_in),
        totals.deny.findings,
        totals.unknown.findings
    );
    let _ = writeln!(
        out,
        "- Unattributed: {} connections ({} out); internal, not judged: {} connections",
        totals.unattributed.connections,
        human_bytes(totals.unattributed.bytes_out),
        totals.internal.connections
    );
    let not_in = &totals.hosts_not_in_estate;
    let _ = writeln!(
        out,
        "- Hosts not in estate: {}{} ({} connections)",
        not_in.hosts.len(),
        if not_in.truncated { "+" } else { "" },
        not_in.traffic.connections
    );
    let _ = writeln!(
        out,
        "- Unreadable input: {} problem(s) skipped\n",
        totals.unreadable.problem_count
    );

    let _ = writeln!(out, "## Findings\n");
    header(
        &mut out,
        &[
            "Decision",
            "System",
            "Product",
            "Operator",
            "Countries",
            "Connections",
            "Out",
            "In",
            "Policies / reasons",
        ],
    );
    for f in report.findings.iter().take(ROWS_SHOWN) {
        row(
            &mut out,
            &[
                installs::decision_cell(f.decision, f.baseline),
                esc(&system_label(report, f.system.as_deref())),
                esc(&product_label(report, f.product.as_deref())),
                esc(&operator_label(report, f.operator.as_deref())),
                esc(&countries_label(f)),
                f.connections.to_string(),
                human_bytes(f.bytes_out),
                human_bytes(f.bytes_in),
                esc(&policies_label(f)),
            ],
        );
    }
    if report.findings.len() > ROWS_SHOWN {
        let _ = writeln!(
            out,
            "\n{} more findings in the JSON report.",
            report.findings.len() - ROWS_SHOWN
        );
    }

    if let Some(summary) = installs::baseline_summary(report) {
        let _ = writeln!(out, "\n## Since the baseline\n\n{}", esc(&summary));
    }
    for table in [
        installs::installations(report),
        installs::removals(report),
        installs::gone(report),
    ] {
        endpoint_table(&mut out, &table);
    }

    for (title, rows) in [
        ("Per product", rollup(report, |f| f.product.clone())),
        ("Per system", rollup(report, |f| f.system.clone())),
    ] {
        let _ = writeln!(out, "\n## {title}\n");
        header(
            &mut out,
            &[
                "Name",
                "Connections",
                "Out",
                "In",
                "Denied connections",
                "Unknown connections",
            ],
        );
        for r in rows.iter().take(ROWS_SHOWN) {
            let label = if title == "Per product" {
                product_label(report, r.key.as_deref())
            } else {
                system_label(report, r.key.as_deref())
            };
            row(
                &mut out,
                &[
                    esc(&label),
                    r.connections.to_string(),
                    human_bytes(r.bytes_out),
                    human_bytes(r.bytes_in),
                    r.deny.to_string(),
                    r.unknown.to_string(),
                ],
            );
        }
    }

    if !report.disagreements.groups.is_empty() {
        let _ = writeln!(out, "\n## Where IP sources disagree\n");
        header(
            &mut out,
            &["Example address", "Answers", "Connections", "Out"],
        );
        let mut groups: Vec<_> = report.disagreements.groups.iter().collect();
        groups.sort_by(|a, b| {
            b.bytes_out
                .cmp(&a.bytes_out)
                .then_with(|| a.answers.cmp(&b.answers))
        });
        for g in groups.into_iter().take(ROWS_SHOWN) {
            let answers: Vec<String> = g
                .answers
                .iter()
                .filter_map(|a| {
                    a.country
                        .as_deref()
                        .map(|c| format!("{} ({}): {c}", a.source, basis_short(a.basis)))
                })
                .collect();
            row(
                &mut out,
                &[
                    g.example_address.to_string(),
                    esc(&answers.join("; ")),
                    g.connections.to_string(),
                    human_bytes(g.bytes_out),
                ],
            );
        }
    }

    if !totals.unreadable.files.is_empty() {
        let _ = writeln!(out, "\n## Unreadable input\n");
        for file in &totals.unreadable.files {
            let _ = writeln!(
                out,
                "- {}: {} problem(s)",
                esc(&file.path),
                file.problem_count
            );
            for p in file.problems.iter().take(5) {
                let _ = writeln!(out, "  - at byte {}: {}", p.offset, esc(&p.reason));
            }
        }
    }

    let _ = writeln!(out, "\n## Inputs\n");
    for e in &report.inputs.evidence {
        let _ = writeln!(out, "- Evidence {}: `{}`", esc(&e.path), e.sha256);
    }
    let _ = writeln!(
        out,
        "- Estate {}: `{}`",
        esc(&report.inputs.estate.path),
        report.inputs.estate.sha256
    );
    let _ = writeln!(out, "- Catalog: `{}`", report.inputs.catalog.sha256);
    let _ = writeln!(
        out,
        "- Policies {}: `{}`",
        esc(&report.inputs.policies.ids.join(", ")),
        report.inputs.policies.sha256
    );
    for s in &report.inputs.intel {
        let _ = writeln!(
            out,
            "- IP data {} {} ({}, {}): `{}`",
            esc(&s.name),
            esc(&s.version),
            s.basis.as_str(),
            esc(&s.licence),
            s.sha256
        );
    }
    let _ = writeln!(
        out,
        "\nIP data: [IP Geolocation by DB-IP](https://db-ip.com), NRO delegated statistics, RouteViews; \
         map data: Natural Earth."
    );
    out
}
