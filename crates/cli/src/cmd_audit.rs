//! `ringfence audit`: evidence + estate + policy → findings, as a terminal summary, canonical
//! JSON, Markdown or a self-contained HTML report.

use clap::Args;
use ringfence_audit::{AuditInputs, Report, run_audit, views};
use ringfence_intel::ipdata::{default_data_dir, world_atlas_path};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
#[command(after_long_help = "\
Examples:
  ringfence data install
  ringfence sample capture --out sample.pcap
  ringfence audit --estate examples/estate.toml --policy ncsc-2017 --policy bod-17-01 \\
      --html report.html sample.pcap
  ringfence audit --estate estate.toml --policy my-rules.cedar --json --out report.json *.pcapng
  ringfence audit --estate estate.toml --policy bod-17-01 --baseline last-week.json \\
      --json --out this-week.json osquery/*.log sysmon/*.evtx

Every connection is attributed to a product (process image, endpoint names, vendor networks or \
ASNs), its destination located by every IP data source (which may disagree) and its operator \
identified, then judged by the policies: allow, deny or unknown. Findings are aggregated per \
system × product × destination operator. Software that inventories and process starts show on a \
host is judged per system × product with the `install` action; --baseline marks findings new or \
persisting and lists earlier ones as resolved (with the evidence that shows it) or unverified. The JSON report is canonical (RFC 8785): the same inputs \
give the same bytes and the same SHA-256, whatever the thread count.

Exit codes: 0 no deny findings; 1 deny findings; 2 usage error or unreadable input (estate, \
policy, IP data, an evidence file that cannot be opened); 3 no deny findings but some evidence \
records were unreadable and skipped.")]
pub struct AuditArgs {
    /// Evidence files, told apart by content: pcap, pcapng, NetFlow/IPFIX exports, Zeek logs (read
    /// together, joined by uid), Suricata EVE JSON, Sysmon (EVTX or JSON lines), software
    /// inventories (osquery, CycloneDX, SPDX, reg export, PowerShell, dpkg status, rpm -qa);
    /// optionally gzip-compressed; `-` is standard input
    #[arg(required = true, value_name = "EVIDENCE")]
    evidence: Vec<String>,
    /// The estate: systems, classifications, flags and member hosts (TOML)
    #[arg(long, value_name = "FILE")]
    estate: PathBuf,
    /// A bundled policy pack (ncsc-2017, bod-17-01) or a Cedar policy file; repeat for more
    #[arg(long = "policy", required = true, value_name = "PACK")]
    policies: Vec<String>,
    /// Where `ringfence data install` put the IP data and the world map
    /// [default: $RINGFENCE_DATA_DIR, else $XDG_DATA_HOME/ringfence, else ~/.local/share/ringfence]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Your own IP data sources (TOML: [[source]] name, path, basis, licence, version)
    #[arg(long, value_name = "FILE")]
    intel_config: Option<PathBuf>,
    /// Evidence files read at once (0: one per core); the report is the same whatever the number
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,
    /// An earlier JSON report of the same estate: mark every finding new or persisting, and list
    /// the earlier findings now gone as resolved (with the evidence that shows it) or unverified
    #[arg(long, value_name = "REPORT")]
    baseline: Option<PathBuf>,
    /// The canonical JSON report
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// A Markdown report
    #[arg(long)]
    markdown: bool,
    /// Also write a self-contained HTML report with a world map to FILE
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write the summary, JSON or Markdown to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also write the canonical JSON report to FILE (what `ringfence verify` checks)
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Commit the report to the transparency log in DIR (see `ringfence log init`) and write its
    /// receipt; needs the JSON report saved with --report FILE (or --json --out FILE)
    #[arg(long, value_name = "DIR")]
    ledger: Option<PathBuf>,
    /// The log's private key [default: DIR.key beside the log directory]
    #[arg(long, value_name = "FILE", requires = "ledger")]
    ledger_key: Option<PathBuf>,
    /// Where to write the receipt (C2SP tlog-proof) [default: the JSON report's path + .tlog-proof]
    #[arg(long, value_name = "FILE", requires = "ledger")]
    receipt: Option<PathBuf>,
}

impl AuditArgs {
    /// The file the canonical JSON report is written to, if any.
    fn json_report_path(&self) -> Option<&Path> {
        self.report
            .as_deref()
            .or(self.out.as_deref().filter(|_| self.json))
    }
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("ringfence: {message}");
    crate::exit::usage()
}

fn write_to(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn run(args: AuditArgs) -> ExitCode {
    // Open the log before the audit so a wrong directory or key fails fast.
    let ledger = match &args.ledger {
        Some(dir) => {
            if args.json_report_path().is_none() {
                return usage(
                    "--ledger commits the canonical JSON report: save it with --report FILE (or --json --out FILE)",
                );
            }
            match crate::ledger_commit::open_log(dir, args.ledger_key.as_deref()) {
                Ok(log) => Some(log),
                Err(e) => return usage(e),
            }
        }
        None => None,
    };
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    // Read the map before the audit so a missing data set-up fails fast.
    let atlas = match &args.html {
        Some(_) => {
            let path = world_atlas_path(&data_dir);
            match std::fs::read_to_string(&path) {
                Ok(text) => Some(text),
                Err(e) => {
                    return usage(format!(
                        "{}: {e} (the world map for --html; run `ringfence data install`)",
                        path.display()
                    ));
                }
            }
        }
        None => None,
    };
    let inputs = AuditInputs {
        evidence: args.evidence.clone(),
        estate: args.estate.clone(),
        policies: args.policies.clone(),
        data_dir,
        intel_config: args.intel_config.clone(),
        threads: args.threads,
        baseline: args.baseline.clone(),
    };
    let report = match run_audit(&inputs) {
        Ok(report) => report,
        Err(e) => return usage(e),
    };

    if let (Some(path), Some(atlas)) = (&args.html, &atlas)
        && let Err(e) = write_to(path, views::html(&report, atlas).as_bytes())
    {
        return usage(e);
    }
    // The JSON is written exactly as hashed (no trailing newline), so `sha256sum` of the file
    // is the report's digest.
    let body = if args.json {
        report.to_canonical_json()
    } else if args.markdown {
        views::markdown(&report).into_bytes()
    } else {
        views::terminal(&report).into_bytes()
    };
    let written = match &args.out {
        Some(path) => write_to(path, &body),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&body)
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("standard output: {e}"))
        }
    };
    if let Err(e) = written {
        return usage(e);
    }
    if let Some(path) = &args.report
        && let Err(e) = write_to(path, &report.to_canonical_json())
    {
        return usage(e);
    }
    if let (Some(log), Some(report_path)) = (&ledger, args.json_report_path()) {
        let receipt = args.receipt.clone().unwrap_or_else(|| {
            let mut path = report_path.as_os_str().to_owned();
            path.push(".tlog-proof");
            PathBuf::from(path)
        });
        match crate::ledger_commit::commit(log, &report.to_canonical_json(), &receipt) {
            Ok(index) => eprintln!(
                "ringfence: report committed to {} at index {index}; receipt {}",
                log.dir().display(),
                receipt.display()
            ),
            Err(e) => return usage(e),
        }
    }
    exit_code(&report)
}

/// 1 for deny findings (even if input was skipped: a deny is the more important news), else 3
/// when evidence was skipped, else 0.
fn exit_code(report: &Report) -> ExitCode {
    if report.has_deny() {
        ExitCode::from(1)
    } else if report.has_skipped_input() {
        crate::exit::skipped_input()
    } else {
        ExitCode::SUCCESS
    }
}
