//! The installation and baseline tables, built once as raw (unescaped) cells that each view
//! escapes and lays out in its own syntax.

use super::{decision_label, product_label, system_label};
use crate::report::{EvidenceExample, Report};
use crate::report_installs::{BaselineStatus, FindingKind};
use ringfence_model::{Decision, HostIdentity, InstallSource};

/// Hosts named per row; the count is always given.
const HOSTS_NAMED: usize = 5;

/// A titled table of raw cells; `decision` colours a row where the view can.
pub(crate) struct Table {
    pub title: &'static str,
    pub headers: &'static [&'static str],
    pub rows: Vec<(Option<Decision>, Vec<String>)>,
}

pub(crate) fn host_label(host: &HostIdentity) -> String {
    match (&host.name, host.address) {
        (Some(name), Some(address)) => format!("{name} ({address})"),
        (Some(name), None) => name.clone(),
        (None, Some(address)) => address.to_string(),
        (None, None) => "host not named in the evidence".to_owned(),
    }
}

fn hosts_label(count: u64, hosts: &[HostIdentity]) -> String {
    let named: Vec<String> = hosts.iter().take(HOSTS_NAMED).map(host_label).collect();
    let more = if count > named.len() as u64 {
        ", …"
    } else {
        ""
    };
    format!("{count}: {}{more}", named.join(", "))
}

fn source_label(source: InstallSource) -> &'static str {
    match source {
        InstallSource::WindowsProgram => "Windows program",
        InstallSource::DebPackage => "deb",
        InstallSource::RpmPackage => "rpm",
        InstallSource::MacApp => "macOS app",
        InstallSource::ChocolateyPackage => "Chocolatey",
        InstallSource::SbomComponent => "SBOM",
        InstallSource::RunningProcess => "running process",
    }
}

pub(crate) fn evidence_label(evidence: &[EvidenceExample]) -> String {
    evidence
        .iter()
        .map(|e| {
            format!(
                "{}…#{}@{}",
                e.sha256.get(..12).unwrap_or(""),
                e.record,
                e.offset
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The decision, with the finding's standing against the baseline when there is one.
pub(crate) fn decision_cell(decision: Decision, baseline: Option<BaselineStatus>) -> String {
    match baseline {
        Some(status) => format!("{} ({})", decision_label(decision), status_label(status)),
        None => decision_label(decision).to_owned(),
    }
}

fn status_label(status: BaselineStatus) -> &'static str {
    match status {
        BaselineStatus::New => "new",
        BaselineStatus::Persisting => "persisting",
        BaselineStatus::Resolved => "resolved",
        BaselineStatus::Unverified => "unverified",
    }
}

fn verdict_label(policies: &[String], reasons: &[String]) -> String {
    let parts: Vec<&str> = policies.iter().chain(reasons).map(String::as_str).collect();
    if parts.is_empty() {
        "—".to_owned()
    } else {
        parts.join("; ")
    }
}

/// Where each catalog product is installed; empty when the evidence held no inventory.
pub(crate) fn installations(report: &Report) -> Table {
    let rows = report
        .installations
        .findings
        .iter()
        .map(|f| {
            let sources: Vec<&str> = f.sources.iter().map(|s| source_label(*s)).collect();
            (
                Some(f.decision),
                vec![
                    decision_cell(f.decision, f.baseline),
                    system_label(report, f.system.as_deref()),
                    product_label(report, Some(&f.product)),
                    hosts_label(f.host_count, &f.hosts),
                    format!("{} ({})", f.example_names.join(", "), sources.join(", ")),
                    verdict_label(&f.policies, &f.reasons),
                    evidence_label(&f.evidence),
                ],
            )
        })
        .collect();
    Table {
        title: "Installations",
        headers: &[
            "Decision",
            "System",
            "Product",
            "Hosts",
            "Seen as",
            "Policies / reasons",
            "Evidence",
        ],
        rows,
    }
}

/// Products the evidence shows removed.
pub(crate) fn removals(report: &Report) -> Table {
    let rows = report
        .installations
        .removed
        .iter()
        .map(|r| {
            (
                None,
                vec![
                    system_label(report, r.system.as_deref()),
                    product_label(report, Some(&r.product)),
                    hosts_label(r.host_count, &r.hosts),
                    evidence_label(&r.evidence),
                ],
            )
        })
        .collect();
    Table {
        title: "Removed",
        headers: &["System", "Product", "Hosts", "Evidence"],
        rows,
    }
}

/// Baseline findings no longer seen; empty without a baseline.
pub(crate) fn gone(report: &Report) -> Table {
    let rows = report
        .baseline
        .iter()
        .flat_map(|b| &b.gone)
        .map(|g| {
            let kind = match g.kind {
                FindingKind::Egress => "connections",
                FindingKind::Install => "installation",
            };
            let not_inventoried = if g.hosts_not_inventoried.is_empty() {
                String::new()
            } else {
                let named: Vec<String> = g
                    .hosts_not_inventoried
                    .iter()
                    .take(HOSTS_NAMED)
                    .map(host_label)
                    .collect();
                format!("; not inventoried: {}", named.join(", "))
            };
            (
                None,
                vec![
                    status_label(g.status).to_owned(),
                    kind.to_owned(),
                    system_label(report, g.system.as_deref()),
                    product_label(report, g.product.as_deref()),
                    decision_label(g.baseline_decision).to_owned(),
                    format!("{}{not_inventoried}", evidence_label(&g.evidence)),
                ],
            )
        })
        .collect();
    Table {
        title: "Gone since the baseline",
        headers: &[
            "Status",
            "Finding",
            "System",
            "Product",
            "Baseline decision",
            "Later evidence",
        ],
        rows,
    }
}

/// The one-line comparison with the baseline, when there is one.
pub(crate) fn baseline_summary(report: &Report) -> Option<String> {
    let b = report.baseline.as_ref()?;
    let count = |status| b.gone.iter().filter(|g| g.status == status).count();
    Some(format!(
        "compared with {} (sha256 {}…): {} new, {} persisting, {} resolved, {} unverified",
        b.report.path,
        b.report.sha256.get(..12).unwrap_or(""),
        b.new,
        b.persisting,
        count(BaselineStatus::Resolved),
        count(BaselineStatus::Unverified)
    ))
}
