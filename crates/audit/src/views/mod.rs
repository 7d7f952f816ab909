//! Views rendered from a [`Report`]: a terminal summary, Markdown, and one self-contained HTML
//! file with a world map. Every string that can come from evidence, the estate or IP data passes
//! through [`escape`] for the view's syntax.

pub mod escape;
mod html;
mod installs;
mod iso;
mod markdown;
mod terminal;
mod worldmap;

pub use html::html;
pub use iso::alpha2_for_numeric;
pub use markdown::markdown;
pub use terminal::terminal;
pub use worldmap::{MapError, WorldMap};

use crate::report::{Finding, Report};
use ringfence_model::{Basis, Decision};

/// Rows shown per table in the terminal and Markdown views (the JSON report has them all).
pub const ROWS_SHOWN: usize = 50;

/// Raw (unescaped) labels, shared by the views; each view escapes them for its syntax.
pub(crate) fn system_label(report: &Report, id: Option<&str>) -> String {
    match id {
        None => "not in estate".to_owned(),
        Some(id) => match report.system(id) {
            Some(s) if !s.name.is_empty() => format!("{} ({}, {})", s.name, s.id, s.classification),
            Some(s) => format!("{} ({})", s.id, s.classification),
            None => id.to_owned(),
        },
    }
}

pub(crate) fn product_label(report: &Report, id: Option<&str>) -> String {
    match id {
        None => "unattributed".to_owned(),
        Some(id) => match report.product(id) {
            Some(p) => {
                let vendor = report
                    .organisation(&p.vendor)
                    .map_or(p.vendor.as_str(), |o| o.name.as_str());
                format!("{} ({vendor})", p.name)
            }
            None => id.to_owned(),
        },
    }
}

/// The operator and its ownership chain with countries: who controls the receiving end.
pub(crate) fn operator_label(report: &Report, id: Option<&str>) -> String {
    match id {
        None => "unknown operator".to_owned(),
        Some(id) => {
            let chain = report.ownership_chain(id);
            if chain.is_empty() {
                return id.to_owned();
            }
            chain
                .iter()
                .map(|o| format!("{} ({})", o.name, o.headquarters))
                .collect::<Vec<_>>()
                .join(" ← owned by ")
        }
    }
}

pub(crate) fn basis_short(basis: Basis) -> &'static str {
    match basis {
        Basis::RoutingCountry => "routing",
        Basis::RegistryCountry => "registry",
        Basis::GeolocatedCountry => "geolocated",
        Basis::AsnOrganisation => "ASN",
    }
}

/// "routing CH · registry RU"
pub(crate) fn countries_label(finding: &Finding) -> String {
    if finding.countries.is_empty() {
        return "not located".to_owned();
    }
    finding
        .countries
        .iter()
        .map(|b| format!("{} {}", basis_short(b.basis), b.countries.join(",")))
        .collect::<Vec<_>>()
        .join(" · ")
}

pub(crate) fn decision_label(decision: Decision) -> &'static str {
    match decision {
        Decision::Deny => "DENY",
        Decision::Unknown => "UNKNOWN",
        Decision::Allow => "allow",
    }
}

pub(crate) fn policies_label(finding: &Finding) -> String {
    let mut parts: Vec<String> = finding.policies.clone();
    parts.extend(finding.reasons.iter().cloned());
    if parts.is_empty() {
        "—".to_owned()
    } else {
        parts.join("; ")
    }
}

/// Binary units, one decimal: `1.5 MiB`.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS.get(unit).copied().unwrap_or("B"))
}

/// Per product (or unattributed): connections and bytes over all findings.
pub(crate) struct Rollup {
    pub key: Option<String>,
    pub connections: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub deny: u64,
    pub unknown: u64,
}

pub(crate) fn rollup(report: &Report, key: impl Fn(&Finding) -> Option<String>) -> Vec<Rollup> {
    let mut map: std::collections::BTreeMap<Option<String>, Rollup> =
        std::collections::BTreeMap::new();
    for f in &report.findings {
        let k = key(f);
        let entry = map.entry(k.clone()).or_insert(Rollup {
            key: k,
            connections: 0,
            bytes_out: 0,
            bytes_in: 0,
            deny: 0,
            unknown: 0,
        });
        entry.connections = entry.connections.saturating_add(f.connections);
        entry.bytes_out = entry.bytes_out.saturating_add(f.bytes_out);
        entry.bytes_in = entry.bytes_in.saturating_add(f.bytes_in);
        match f.decision {
            Decision::Deny => entry.deny = entry.deny.saturating_add(f.connections),
            Decision::Unknown => entry.unknown = entry.unknown.saturating_add(f.connections),
            Decision::Allow => {}
        }
    }
    let mut rows: Vec<Rollup> = map.into_values().collect();
    rows.sort_by(|a, b| {
        (b.bytes_out.saturating_add(b.bytes_in))
            .cmp(&a.bytes_out.saturating_add(a.bytes_in))
            .then_with(|| a.key.cmp(&b.key))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024u64.pow(5)), "3.0 PiB");
        assert_eq!(human_bytes(u64::MAX), "16384.0 PiB");
    }
}
