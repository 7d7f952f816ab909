//! One self-contained HTML file: inline CSS, no scripts, no external requests (a Content Security
//! Policy forbids them too), a world map drawn server-side as SVG, and the report's tables.

use super::escape::html as esc;
use super::installs;
use super::worldmap::WorldMap;
use super::{
    basis_short, countries_label, human_bytes, operator_label, policies_label, product_label,
    rollup, system_label,
};
use crate::report::{CountryTraffic, Report};
use ringfence_model::{Basis, Decision};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Findings rows in the page (the JSON report has them all).
const FINDING_ROWS: usize = 500;
/// Shading buckets (classes `b1` … `b5`), lightest first.
const BUCKETS: u32 = 5;

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
main{max-width:1320px;margin:0 auto;padding:20px 28px 40px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.sub{color:#5a6270;font-size:12px;word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}
.card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:20px}.card.deny b{color:#b3261e}.card.unknown b{color:#9a6700}
table{border-collapse:collapse;width:100%;background:#fff;font-size:12.5px}
th,td{border:1px solid #dde1e7;padding:4px 7px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#eef1f5}td.n{text-align:right;white-space:nowrap}
tr.deny td.d{color:#fff;background:#b3261e;font-weight:600}tr.unknown td.d{background:#fff1c2;font-weight:600}
tr.allow td.d{color:#1b5e20}
.map{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px}
svg{width:100%;height:auto;display:block}
path{stroke:#fff;stroke-width:.4;fill:#d9dde3}path.sea{fill:#eef3f8;stroke:#c9d3de;stroke-width:.6}
:root{--b1:#fde0c5;--b2:#facba6;--b3:#f59e72;--b4:#e8604c;--b5:#b3261e}
path.b1,i.b1{fill:var(--b1);background:var(--b1)}path.b2,i.b2{fill:var(--b2);background:var(--b2)}
path.b3,i.b3{fill:var(--b3);background:var(--b3)}path.b4,i.b4{fill:var(--b4);background:var(--b4)}
path.b5,i.b5{fill:var(--b5);background:var(--b5)}
.legend{display:flex;gap:12px;align-items:center;font-size:12px;color:#5a6270;margin-top:6px;flex-wrap:wrap}
.legend i{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle}
footer{margin-top:28px;font-size:12px;color:#5a6270}
code{font-size:11.5px}
";

fn bucket(bytes: u64, max: u64) -> u32 {
    if bytes == 0 || max == 0 {
        return 0;
    }
    // Logarithmic: traffic volumes span many orders of magnitude.
    let ratio = (1.0 + bytes as f64).ln() / (1.0 + max as f64).ln();
    let b = (ratio * f64::from(BUCKETS)).ceil();
    (b as u32).clamp(1, BUCKETS)
}

/// Bytes each way per country on `basis`.
fn by_country(report: &Report, basis: Basis) -> BTreeMap<&str, &CountryTraffic> {
    report
        .countries
        .iter()
        .filter(|c| c.basis == basis)
        .map(|c| (c.country.as_str(), c))
        .collect()
}

fn total(c: &CountryTraffic) -> u64 {
    c.bytes_out.saturating_add(c.bytes_in)
}

fn world_map(out: &mut String, report: &Report, atlas: &str) {
    let _ = writeln!(out, "<h2>Where the data went</h2><div class=\"map\">");
    let Some(basis) = report.map_basis() else {
        let _ = writeln!(
            out,
            "<p>No destination could be located by any IP data source.</p></div>"
        );
        return;
    };
    let countries = by_country(report, basis);
    let max = countries.values().map(|c| total(c)).max().unwrap_or(0);
    match WorldMap::from_topojson(atlas) {
        Ok(map) => {
            let _ = writeln!(
                out,
                "<svg id=\"world-map\" viewBox=\"0 {} {} {}\" role=\"img\" aria-label=\"World map of bytes per destination country by {}\">\
                 <defs><clipPath id=\"globe\"><path d=\"{}\"/></clipPath></defs>\
                 <path class=\"sea\" d=\"{}\"/><g clip-path=\"url(#globe)\">",
                map.top,
                map.width,
                map.height,
                basis.as_str(),
                map.outline,
                map.outline
            );
            for country in &map.countries {
                let traffic = country.iso.and_then(|iso| countries.get(iso));
                let class = traffic.map_or(0, |t| bucket(total(t), max));
                let _ = write!(out, "<path");
                if let Some(iso) = country.iso {
                    let _ = write!(out, " data-iso=\"{iso}\"");
                }
                if class > 0 {
                    let _ = write!(out, " class=\"b{class}\"");
                }
                let _ = write!(out, " d=\"{}\"><title>{}", country.path, esc(&country.name));
                if let Some(t) = traffic {
                    let _ = write!(
                        out,
                        ": {} out, {} in, {} connections",
                        human_bytes(t.bytes_out),
                        human_bytes(t.bytes_in),
                        t.connections
                    );
                }
                let _ = writeln!(out, "</title></path>");
            }
            let _ = writeln!(out, "</g></svg>");
        }
        Err(error) => {
            let _ = writeln!(
                out,
                "<p>The world map could not be drawn: {}</p>",
                esc(&error.to_string())
            );
        }
    }
    let _ = write!(
        out,
        "<div class=\"legend\"><span>Countries shaded by bytes (both directions, logarithmic) by <b>{}</b> \
         (where the network that carries the traffic is; location is not control).</span>",
        basis.as_str()
    );
    for b in 1..=BUCKETS {
        // The largest byte count that falls in bucket `b` (inverse of `bucket`).
        let upper = ((f64::from(b) / f64::from(BUCKETS)) * (1.0 + max as f64).ln()).exp() - 1.0;
        let _ = write!(
            out,
            "<span><i class=\"b{b}\"></i>≤ {}</span>",
            human_bytes(upper.max(0.0) as u64)
        );
    }
    let _ = writeln!(out, "</div></div>");

    let _ = writeln!(
        out,
        "<h2>Destination countries</h2><table id=\"countries\"><thead><tr><th>Country</th><th>Basis</th>\
         <th>Connections</th><th>Out</th><th>In</th></tr></thead><tbody>"
    );
    for basis_rows in [basis].into_iter().chain(
        [
            Basis::RoutingCountry,
            Basis::RegistryCountry,
            Basis::GeolocatedCountry,
        ]
        .into_iter()
        .filter(|b| *b != basis),
    ) {
        let mut shown: Vec<&CountryTraffic> = report
            .countries
            .iter()
            .filter(|c| c.basis == basis_rows)
            .collect();
        shown.sort_by(|a, b| {
            total(b)
                .cmp(&total(a))
                .then_with(|| a.country.cmp(&b.country))
        });
        for c in shown {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&c.country),
                basis_short(c.basis),
                c.connections,
                human_bytes(c.bytes_out),
                human_bytes(c.bytes_in)
            );
        }
    }
    let _ = writeln!(out, "</tbody></table>");
}

fn cards(out: &mut String, report: &Report) {
    let t = &report.totals;
    let card = |out: &mut String, class: &str, value: String, label: &str| {
        let _ = write!(
            out,
            "<div class=\"card {class}\"><b>{value}</b>{label}</div>"
        );
    };
    let _ = write!(out, "<div class=\"cards\">");
    card(out, "deny", t.deny.findings.to_string(), "deny findings");
    card(
        out,
        "unknown",
        t.unknown.findings.to_string(),
        "unknown findings",
    );
    card(out, "", t.traffic.connections.to_string(), "connections");
    card(out, "", human_bytes(t.traffic.bytes_out), "sent");
    card(out, "", human_bytes(t.traffic.bytes_in), "received");
    card(
        out,
        "",
        t.unattributed.connections.to_string(),
        "unattributed connections",
    );
    card(
        out,
        "",
        format!(
            "{}{}",
            t.hosts_not_in_estate.hosts.len(),
            if t.hosts_not_in_estate.truncated {
                "+"
            } else {
                ""
            }
        ),
        "hosts not in estate",
    );
    card(
        out,
        "",
        t.unreadable.problem_count.to_string(),
        "unreadable records",
    );
    let _ = writeln!(out, "</div>");
}

fn findings(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "<h2>Findings</h2><table id=\"findings\"><thead><tr><th>Decision</th><th>System</th><th>Product</th>\
         <th>Destination operator</th><th>Countries</th><th>Connections</th><th>Out</th><th>In</th>\
         <th>Policies / reasons</th><th>Seen</th><th>Examples</th></tr></thead><tbody>"
    );
    for f in report.findings.iter().take(FINDING_ROWS) {
        let class = match f.decision {
            Decision::Deny => "deny",
            Decision::Unknown => "unknown",
            Decision::Allow => "allow",
        };
        let names: Vec<String> = f.example_names.iter().map(|n| esc(n)).collect();
        let hosts: Vec<String> = f.example_hosts.iter().map(|h| h.to_string()).collect();
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .map(|e| {
                format!(
                    "{}…#{}@{}",
                    e.sha256.get(..12).unwrap_or(""),
                    e.record,
                    e.offset
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td class=\"d\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"sub\">{}<br>{}</td>\
             <td class=\"sub\">{}<br>hosts {}<br>evidence <code>{}</code></td></tr>",
            installs::decision_cell(f.decision, f.baseline),
            esc(&system_label(report, f.system.as_deref())),
            esc(&product_label(report, f.product.as_deref())),
            esc(&operator_label(report, f.operator.as_deref())),
            esc(&countries_label(f)),
            f.connections,
            human_bytes(f.bytes_out),
            human_bytes(f.bytes_in),
            esc(&policies_label(f)),
            f.first_seen,
            f.last_seen,
            names.join(", "),
            hosts.join(", "),
            evidence.join(" ")
        );
    }
    let _ = writeln!(out, "</tbody></table>");
    if report.findings.len() > FINDING_ROWS {
        let _ = writeln!(
            out,
            "<p>{} more findings in the JSON report.</p>",
            report.findings.len() - FINDING_ROWS
        );
    }
}

/// An installation or baseline table, when it has rows.
fn endpoint_table(out: &mut String, id: &str, table: &installs::Table) {
    if table.rows.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h2>{}</h2><table id=\"{id}\"><thead><tr>",
        esc(table.title)
    );
    for header in table.headers {
        let _ = write!(out, "<th>{}</th>", esc(header));
    }
    let _ = writeln!(out, "</tr></thead><tbody>");
    for (decision, cells) in table.rows.iter().take(FINDING_ROWS) {
        let class = match decision {
            Some(Decision::Deny) => " class=\"deny\"",
            Some(Decision::Unknown) => " class=\"unknown\"",
            Some(Decision::Allow) => " class=\"allow\"",
            None => "",
        };
        let _ = write!(out, "<tr{class}>");
        for cell in cells {
            let _ = write!(out, "<td>{}</td>", esc(cell));
        }
        let _ = writeln!(out, "</tr>");
    }
    let _ = writeln!(out, "</tbody></table>");
    if table.rows.len() > FINDING_ROWS {
        let _ = writeln!(
            out,
            "<p>{} more rows in the JSON report.</p>",
            table.rows.len() - FINDING_ROWS
        );
    }
}

fn rollups(out: &mut String, report: &Report) {
    for (id, title, rows) in [
        (
            "products",
            "Per product",
            rollup(report, |f| f.product.clone()),
        ),
        (
            "systems",
            "Per system",
            rollup(report, |f| f.system.clone()),
        ),
    ] {
        let _ = writeln!(
            out,
            "<h2>{title}</h2><table id=\"{id}\"><thead><tr><th>Name</th><th>Connections</th><th>Out</th><th>In</th>\
             <th>Denied connections</th><th>Unknown connections</th></tr></thead><tbody>"
        );
        for r in rows {
            let label = if id == "products" {
                product_label(report, r.key.as_deref())
            } else {
                system_label(report, r.key.as_deref())
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&label),
                r.connections,
                human_bytes(r.bytes_out),
                human_bytes(r.bytes_in),
                r.deny,
                r.unknown
            );
        }
        let _ = writeln!(out, "</tbody></table>");
    }
}

fn disagreements(out: &mut String, report: &Report) {
    let d = &report.disagreements;
    let _ = writeln!(
        out,
        "<h2>Where IP sources disagree</h2><p class=\"sub\">{} connection(s) went to addresses whose sources name \
         more than one country{}.</p>",
        d.traffic.connections,
        if d.truncated {
            " (only the first groups are listed)"
        } else {
            ""
        }
    );
    if d.groups.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<table id=\"disagreements\"><thead><tr><th>Example address</th><th>Answers</th><th>Connections</th>\
         <th>Out</th></tr></thead><tbody>"
    );
    let mut groups: Vec<_> = d.groups.iter().collect();
    groups.sort_by(|a, b| {
        b.bytes_out
            .cmp(&a.bytes_out)
            .then_with(|| a.answers.cmp(&b.answers))
    });
    for g in groups.into_iter().take(FINDING_ROWS) {
        let answers: Vec<String> = g
            .answers
            .iter()
            .map(|a| {
                let mut parts = vec![format!("{} ({})", a.source, basis_short(a.basis))];
                if let Some(c) = &a.country {
                    parts.push(c.clone());
                }
                if let Some(asn) = a.asn {
                    parts.push(format!("AS{asn}"));
                }
                if let Some(o) = &a.organisation {
                    parts.push(o.clone());
                }
                esc(&parts.join(" "))
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            g.example_address,
            answers.join("<br>"),
            g.connections,
            human_bytes(g.bytes_out)
        );
    }
    let _ = writeln!(out, "</tbody></table>");
}

fn details(out: &mut String, report: &Report) {
    let t = &report.totals;
    if !t.hosts_not_in_estate.hosts.is_empty() {
        let hosts: Vec<String> = t
            .hosts_not_in_estate
            .hosts
            .iter()
            .map(|h| h.to_string())
            .collect();
        let _ = writeln!(
            out,
            "<h2>Hosts not in the estate</h2><p>{} connection(s) from {}{} host(s): {}</p>",
            t.hosts_not_in_estate.traffic.connections,
            hosts.len(),
            if t.hosts_not_in_estate.truncated {
                "+"
            } else {
                ""
            },
            hosts.join(", ")
        );
    }
    if !t.unreadable.files.is_empty() {
        let _ = writeln!(out, "<h2>Unreadable input</h2><ul>");
        for file in &t.unreadable.files {
            let _ = write!(
                out,
                "<li>{}: {} problem(s)<ul>",
                esc(&file.path),
                file.problem_count
            );
            for p in file.problems.iter().take(10) {
                let _ = write!(out, "<li>at byte {}: {}</li>", p.offset, esc(&p.reason));
            }
            let _ = writeln!(out, "</ul></li>");
        }
        let _ = writeln!(out, "</ul>");
    }
    let i = &report.inputs;
    let _ = writeln!(
        out,
        "<h2>Inputs</h2><table id=\"inputs\"><thead><tr><th>Input</th><th>Details</th><th>SHA-256</th></tr></thead><tbody>"
    );
    let row = |out: &mut String, what: &str, detail: String, digest: &str| {
        let _ = writeln!(
            out,
            "<tr><td>{what}</td><td>{detail}</td><td><code>{}</code></td></tr>",
            esc(digest)
        );
    };
    for e in &i.evidence {
        row(
            out,
            "evidence",
            format!(
                "{} ({} bytes, {} connections)",
                esc(&e.path),
                e.bytes,
                e.connections
            ),
            &e.sha256,
        );
    }
    row(out, "estate", esc(&i.estate.path), &i.estate.sha256);
    row(
        out,
        "catalog",
        format!(
            "{} organisations, {} products",
            i.catalog.organisations, i.catalog.products
        ),
        &i.catalog.sha256,
    );
    row(
        out,
        "policies",
        esc(&i.policies.ids.join(", ")),
        &i.policies.sha256,
    );
    for s in &i.intel {
        row(
            out,
            "IP data",
            esc(&format!(
                "{} {} — {}, {}",
                s.name,
                s.version,
                s.basis.as_str(),
                s.licence
            )),
            &s.sha256,
        );
    }
    let _ = writeln!(out, "</tbody></table>");
}

/// The HTML view. `world_atlas_json` is world-atlas 2.0.2 `countries-110m.json`; if it cannot be
/// decoded the page says so where the map would be and shows everything else.
pub fn html(report: &Report, world_atlas_json: &str) -> String {
    let mut out = String::with_capacity(256 * 1024);
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>ringfence audit</title><style>{STYLE}</style></head><body><main>"
    );
    let _ = writeln!(out, "<h1>ringfence audit</h1>");
    let _ = writeln!(
        out,
        "<div class=\"sub\">report SHA-256 <code>{}</code> · ringfence {}{}</div>",
        report.sha256(),
        esc(&report.ringfence_version),
        report
            .time_range
            .map(|r| format!(" · evidence from {} to {}", r.first_seen, r.last_seen))
            .unwrap_or_default()
    );
    cards(&mut out, report);
    world_map(&mut out, report, world_atlas_json);
    findings(&mut out, report);
    if let Some(summary) = installs::baseline_summary(report) {
        let _ = writeln!(out, "<h2>Since the baseline</h2><p>{}</p>", esc(&summary));
    }
    for (id, table) in [
        ("installations", installs::installations(report)),
        ("removed", installs::removals(report)),
        ("gone", installs::gone(report)),
    ] {
        endpoint_table(&mut out, id, &table);
    }
    rollups(&mut out, report);
    disagreements(&mut out, report);
    details(&mut out, report);
    let _ = writeln!(
        out,
        "<footer>IP data: <a href=\"https://db-ip.com\">IP Geolocation by DB-IP</a> (CC BY 4.0); \
         registry countries from the NRO delegated statistics; routing data from RouteViews and IPtoASN. \
         Map: world-atlas 2.0.2, made with Natural Earth (public domain).</footer>"
    );
    let _ = writeln!(out, "</main></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_logarithmic_and_bounded() {
        assert_eq!(bucket(0, 100), 0);
        assert_eq!(bucket(100, 100), BUCKETS);
        assert_eq!(bucket(1, 1_000_000_000), 1);
        assert!(bucket(1_000_000, 1_000_000_000) >= 3);
        assert_eq!(bucket(5, 0), 0);
    }
}
