//! `ringfence verify REPORT RECEIPT --policy TLOG-POLICY`: checks, offline, that a report is the
//! one a trusted log committed to (its canonical digest, the inclusion proof, the log signature and
//! the witness quorum) and, with `--evidence`, that re-running the audit on the inputs reproduces it.

use clap::Args;
use ringfence_audit::commitment::{MAX_REPORT_BYTES, commitment_of};
use ringfence_audit::{AuditInputs, run_audit};
use ringfence_intel::ipdata::default_data_dir;
use ringfence_ledger::log::read_small;
use ringfence_ledger::{Policy, ReportCommitment, TlogProof, verify_receipt};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A receipt is a few KiB; a trust policy a few hundred lines.
const MAX_RECEIPT_BYTES: u64 = 256 << 10;
const MAX_POLICY_BYTES: u64 = 256 << 10;

#[derive(Args)]
#[command(after_long_help = "\
Examples:
  ringfence verify report.json report.json.tlog-proof --policy trust.tlog-policy
  ringfence verify report.json report.json.tlog-proof --policy trust.tlog-policy \\
      --evidence sample.pcap

TLOG-POLICY is a C2SP tlog-policy file: the logs you trust (their vkeys) and the witnesses and \
quorum whose cosignatures you require. Nothing is fetched: the receipt carries the inclusion proof \
and the cosigned checkpoint.

With --evidence the audit is re-run on those files, with the estate, policy packs and baseline \
report the report names (or --estate, --pack and --baseline), and the IP data from --data-dir; the report verifies only if the \
re-run gives the same bytes.

Exit codes: 0 verified; 1 verification failed (the reason is printed); 2 usage error or an \
unreadable file.")]
pub struct VerifyArgs {
    /// The report as `ringfence audit --json` or `--report` wrote it (canonical JSON)
    report: PathBuf,
    /// The report's receipt (C2SP tlog-proof), as `ringfence audit --ledger` wrote it
    receipt: PathBuf,
    /// The trust policy (C2SP tlog-policy): trusted log keys, witnesses and quorum
    #[arg(long, value_name = "TLOG-POLICY")]
    policy: PathBuf,
    /// Re-run the audit on these evidence files (in the report's order) and compare the bytes
    #[arg(long, num_args = 1.., value_name = "FILE")]
    evidence: Vec<String>,
    /// The estate for the re-run [default: the path the report names]
    #[arg(long, value_name = "FILE", requires = "evidence")]
    estate: Option<PathBuf>,
    /// A policy pack or Cedar file for the re-run; repeat for more [default: those the report names]
    #[arg(long = "pack", value_name = "PACK", requires = "evidence")]
    packs: Vec<String>,
    /// IP data for the re-run [default: as for `ringfence audit`]
    #[arg(long, value_name = "DIR", requires = "evidence")]
    data_dir: Option<PathBuf>,
    /// The baseline report for the re-run [default: the path the report names, if any]
    #[arg(long, value_name = "REPORT", requires = "evidence")]
    baseline: Option<PathBuf>,
}

/// Why verification stopped: a failed check (exit 1) or an unusable input (exit 2).
enum Failure {
    Check(String),
    Usage(String),
}

pub fn run(args: VerifyArgs) -> ExitCode {
    match verify(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Check(reason)) => {
            eprintln!("ringfence verify: FAILED: {reason}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("ringfence verify: {message}");
            crate::exit::usage()
        }
    }
}

fn read_bounded(path: &Path, cap: u64) -> Result<Vec<u8>, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    if bytes.len() as u64 > cap {
        return Err(Failure::Usage(format!(
            "{}: larger than {cap} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let report = read_bounded(&args.report, MAX_REPORT_BYTES as u64)?;
    let receipt = read_bounded(&args.receipt, MAX_RECEIPT_BYTES)?;
    let policy_text =
        read_small(&args.policy, MAX_POLICY_BYTES).map_err(|e| Failure::Usage(e.to_string()))?;
    let policy = Policy::parse(policy_text.as_bytes())
        .map_err(|e| Failure::Usage(format!("{}: {e}", args.policy.display())))?;
    let proof = TlogProof::parse(&receipt)
        .map_err(|e| Failure::Check(format!("{}: {e}", args.receipt.display())))?;

    let commitment = commitment_of(&report)
        .map_err(|e| Failure::Check(format!("{}: {e}", args.report.display())))?;
    let entry = commitment
        .to_entry()
        .map_err(|e| Failure::Check(format!("{}: {e}", args.report.display())))?;
    let verified = verify_receipt(&entry, &proof, &policy).map_err(|e| {
        Failure::Check(format!(
            "{} does not prove {} (sha256 {}): {e}",
            args.receipt.display(),
            args.report.display(),
            commitment.report_sha256
        ))
    })?;

    println!("report     {}", args.report.display());
    println!("sha256     {}", commitment.report_sha256);
    println!(
        "findings   {} deny, {} unknown",
        commitment.findings.deny, commitment.findings.unknown
    );
    println!(
        "included   entry {} of log {} (tree size {}, root {})",
        verified.index,
        verified.checkpoint.origin,
        verified.checkpoint.size,
        verified.checkpoint.root.to_base64()
    );
    println!(
        "witnesses  {}",
        if verified.witnesses.is_empty() {
            "none required by the policy".to_string()
        } else {
            verified.witnesses.join(", ")
        }
    );

    if !args.evidence.is_empty() {
        rerun(args, &report, &commitment)?;
        println!(
            "reproduced the audit of {} evidence file(s) gives the same bytes",
            args.evidence.len()
        );
    }
    println!("verified");
    Ok(())
}

/// Re-runs the audit and compares its canonical bytes with the report's.
fn rerun(args: &VerifyArgs, report: &[u8], committed: &ReportCommitment) -> Result<(), Failure> {
    let named: serde_json::Value = serde_json::from_slice(report)
        .map_err(|e| Failure::Usage(format!("{}: {e}", args.report.display())))?;
    let inputs = &named["inputs"];
    let estate = match &args.estate {
        Some(path) => path.clone(),
        None => inputs["estate"]["path"]
            .as_str()
            .map(PathBuf::from)
            .ok_or_else(|| Failure::Usage("the report names no estate; give --estate".into()))?,
    };
    let packs = if args.packs.is_empty() {
        inputs["policies"]["packs"]
            .as_array()
            .map(|packs| {
                packs
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        args.packs.clone()
    };
    let baseline = args.baseline.clone().or_else(|| {
        named["baseline"]["report"]["path"]
            .as_str()
            .map(PathBuf::from)
    });
    let audit = AuditInputs {
        evidence: args.evidence.clone(),
        estate,
        policies: packs,
        data_dir: args.data_dir.clone().unwrap_or_else(default_data_dir),
        intel_config: None,
        threads: 0,
        baseline,
    };
    let rerun =
        run_audit(&audit).map_err(|e| Failure::Usage(format!("re-running the audit: {e}")))?;
    let bytes = rerun.to_canonical_json();
    if bytes == report {
        return Ok(());
    }
    // Name the inputs that differ: that is what a reader needs to know first.
    let again = commitment_of(&bytes).map_err(Failure::Check)?;
    let differing: Vec<&str> = committed
        .inputs
        .iter()
        .filter(|(name, digest)| again.inputs.get(*name) != Some(*digest))
        .map(|(name, _)| name.as_str())
        .chain(
            again
                .inputs
                .keys()
                .filter(|name| !committed.inputs.contains_key(*name))
                .map(String::as_str),
        )
        .collect();
    Err(Failure::Check(if differing.is_empty() {
        format!(
            "the re-run gives a different report (sha256 {}) from the same inputs (ringfence {} vs {})",
            again.report_sha256, again.ringfence_version, committed.ringfence_version
        )
    } else {
        format!(
            "the re-run gives a different report (sha256 {}): these inputs differ: {}",
            again.report_sha256,
            differing.join(", ")
        )
    }))
}
