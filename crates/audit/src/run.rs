//! One audit run: load the estate, catalog, IP data and policies; stream every evidence file
//! through its reader (captures through the capture engine) into a per-file aggregate; merge the aggregates in evidence order.
//!
//! Each file gets its own capture engine whatever the thread count (a connection does not continue
//! from one file into the next), and aggregates merge order-independently, so the report is the
//! same on one thread or many.

use crate::assemble::assemble;
use crate::baseline::Baseline;
use crate::error::AuditError;
use crate::estate::parse_estate;
use crate::estate_index::EstateIndex;
use crate::findings::Aggregate;
use crate::report::{
    CatalogInput, EvidenceInput, FileDigest, Inputs, PolicyInput, Report, Unreadable,
    UnreadableFile,
};
use crate::sink::{AuditSink, Context};
use ringfence_intel::catalog::Catalog;
use ringfence_intel::ipdata::IpIntel;
use ringfence_model::Estate;
use ringfence_policy::{Judge, PolicySet};
use ringfence_sources::capture::{CaptureEngine, CaptureError, CaptureOptions};
use ringfence_sources::evidence::{
    EvidenceFormat, EvidenceReader, EvidenceSummary, RecordFormat, evidence_format, open_evidence,
    read_records, read_zeek_set,
};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Everything an audit reads.
#[derive(Clone, Debug)]
pub struct AuditInputs {
    /// Evidence files (packet captures, NetFlow/IPFIX exports; optionally gzip-compressed), told
    /// apart by content; `-` is standard input.
    pub evidence: Vec<String>,
    pub estate: PathBuf,
    /// Bundled pack names (`ncsc-2017`, `bod-17-01`) or paths to `.cedar` files.
    pub policies: Vec<String>,
    pub data_dir: PathBuf,
    pub intel_config: Option<PathBuf>,
    /// Evidence files read at once; 0 means one per available core.
    pub threads: usize,
    /// An earlier report to compare with (`--baseline`).
    pub baseline: Option<PathBuf>,
}

/// The loaded, non-evidence inputs of an audit. [`run_audit`] builds them from files; tests and
/// embedders can build them from parts (e.g. IP data from [`IpIntel::from_sources`]).
pub struct AuditSetup {
    pub estate: Estate,
    /// The estate file as given, and the SHA-256 of its bytes.
    pub estate_file: FileDigest,
    pub catalog: Catalog,
    pub intel: IpIntel,
    pub policies: PolicySet,
    /// The pack names or policy files as given.
    pub policy_packs: Vec<String>,
}

/// Reads the estate file once: its digest and its contents come from the same bytes.
pub fn read_estate(path: &Path) -> Result<(Estate, FileDigest), AuditError> {
    let io_error = |source| AuditError::Io {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io_error)?.len();
    if size > crate::estate::MAX_ESTATE_BYTES {
        return Err(crate::estate::too_large(path, size));
    }
    let bytes = std::fs::read(path).map_err(io_error)?;
    let text = String::from_utf8(bytes).map_err(|e| AuditError::Estate {
        path: path.to_owned(),
        line: 1,
        column: 1,
        message: format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    let estate = parse_estate(&text, path)?;
    let digest = FileDigest {
        path: path.to_string_lossy().into_owned(),
        sha256: hex::encode(Sha256::digest(text.as_bytes())),
    };
    Ok((estate, digest))
}

/// Runs the whole audit from files.
pub fn run_audit(inputs: &AuditInputs) -> Result<Report, AuditError> {
    // Read the baseline first so a wrong file fails before the evidence is read.
    let baseline = inputs.baseline.as_deref().map(Baseline::read).transpose()?;
    let setup = load_setup(inputs)?;
    let mut report = audit_evidence(&setup, &inputs.evidence, inputs.threads)?;
    if let Some(baseline) = baseline {
        baseline.compare(&mut report);
    }
    Ok(report)
}

/// Loads the estate, the bundled catalog, the IP data and the policies named by `inputs`.
pub fn load_setup(inputs: &AuditInputs) -> Result<AuditSetup, AuditError> {
    let (estate, estate_file) = read_estate(&inputs.estate)?;
    let intel = IpIntel::load(&inputs.data_dir, inputs.intel_config.as_deref())?;
    let policies = PolicySet::load(&inputs.policies)?;
    Ok(AuditSetup {
        estate,
        estate_file,
        catalog: Catalog::bundled(),
        intel,
        policies,
        policy_packs: inputs.policies.clone(),
    })
}

/// What one evidence file yields.
struct FileResult {
    input: EvidenceInput,
    unreadable: Option<UnreadableFile>,
    aggregate: Aggregate,
}

/// Audits `evidence` with an already loaded setup, reading up to `threads` files at once.
pub fn audit_evidence(
    setup: &AuditSetup,
    evidence: &[String],
    threads: usize,
) -> Result<Report, AuditError> {
    if evidence.is_empty() {
        return Err(AuditError::Usage("no evidence given".into()));
    }
    if evidence.iter().filter(|p| p.as_str() == "-").count() > 1 {
        return Err(AuditError::Usage(
            "standard input (`-`) given more than once".into(),
        ));
    }
    if u32::try_from(evidence.len()).is_err() {
        return Err(AuditError::Usage(format!(
            "{} evidence files is too many",
            evidence.len()
        )));
    }
    let index = EstateIndex::new(&setup.estate);
    let context = Context {
        estate: &index,
        catalog: &setup.catalog,
        intel: &setup.intel,
    };
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(evidence.len())
    .max(1);

    let results: Vec<Mutex<Option<Result<FileResult, AuditError>>>> =
        (0..evidence.len()).map(|_| Mutex::new(None)).collect();
    let units = work_units(evidence);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut judge =
            Judge::new(&setup.policies, &setup.catalog).with_levels(&setup.estate.levels);
        while let Some(unit) = units.get(next.fetch_add(1, Ordering::Relaxed)) {
            let files = match unit {
                WorkUnit::File(i) => vec![(*i, audit_file(&context, &mut judge, evidence, *i))],
                WorkUnit::ZeekSet(set) => audit_zeek_set(&context, &mut judge, evidence, set),
            };
            for (i, result) in files {
                if let Some(Ok(mut slot)) = results.get(i).map(Mutex::lock) {
                    *slot = Some(result);
                }
            }
        }
    };
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(work);
            }
        });
    }

    // Merge in evidence order; the first failing file (in that order) decides the error.
    let mut aggregate = Aggregate::default();
    let mut evidence_inputs = Vec::with_capacity(evidence.len());
    let mut unreadable = Unreadable::default();
    for (slot, path) in results.into_iter().zip(evidence) {
        let result = slot.into_inner().ok().flatten().ok_or_else(|| {
            AuditError::Evidence(format!("{path}: reading stopped unexpectedly"))
        })??;
        aggregate.merge(result.aggregate);
        evidence_inputs.push(result.input);
        if let Some(file) = result.unreadable {
            unreadable.problem_count = unreadable.problem_count.saturating_add(file.problem_count);
            unreadable.files.push(file);
        }
    }

    let inputs = Inputs {
        evidence: evidence_inputs,
        estate: setup.estate_file.clone(),
        catalog: CatalogInput {
            sha256: setup.catalog.sha256(),
            organisations: setup.catalog.organisations().len() as u64,
            products: setup.catalog.products().len() as u64,
        },
        intel: setup.intel.sources().to_vec(),
        policies: PolicyInput {
            packs: setup.policy_packs.clone(),
            ids: setup.policies.policy_ids(),
            sha256: setup.policies.sha256(),
        },
    };
    let mut judge = Judge::new(&setup.policies, &setup.catalog).with_levels(&setup.estate.levels);
    let mut judge_install = |system: Option<usize>, product: &str| {
        let product = setup.catalog.product(product)?;
        let system = system.and_then(|i| setup.estate.systems.get(i));
        Some(judge.install(system, product))
    };
    Ok(assemble(
        aggregate,
        &setup.estate,
        &setup.catalog,
        inputs,
        unreadable,
        &mut judge_install,
    ))
}

/// What one worker takes at a time: a file, or all the Zeek logs of the run (each Zeek log is its
/// own file, and their records join across files by `uid`).
enum WorkUnit {
    File(usize),
    ZeekSet(Vec<usize>),
}

/// Tells the Zeek logs apart by content (standard input is never part of a set: it cannot be
/// opened twice) and puts their set where the first of them was.
fn work_units(evidence: &[String]) -> Vec<WorkUnit> {
    let is_zeek = |path: &String| {
        path != "-"
            && evidence_format(path)
                .is_ok_and(|format| format == EvidenceFormat::Records(RecordFormat::ZeekLog))
    };
    let zeek: Vec<usize> = (0..evidence.len())
        .filter(|i| evidence.get(*i).is_some_and(is_zeek))
        .collect();
    let mut units = Vec::with_capacity(evidence.len());
    for i in 0..evidence.len() {
        if zeek.first() == Some(&i) {
            units.push(WorkUnit::ZeekSet(zeek.clone()));
        } else if !zeek.contains(&i) {
            units.push(WorkUnit::File(i));
        }
    }
    units
}

fn position(i: usize) -> u32 {
    // The caller has checked that every position fits.
    u32::try_from(i).unwrap_or(u32::MAX)
}

fn new_sink<'a, 'j>(
    context: &'a Context<'a>,
    judge: &'a mut Judge<'j>,
    evidence: Option<u32>,
) -> AuditSink<'a, 'j> {
    AuditSink {
        context,
        judge,
        evidence,
        aggregate: Aggregate::default(),
    }
}

/// Streams one evidence file through its reader (and, for a capture, its own engine) into a
/// fresh aggregate.
fn audit_file(
    context: &Context<'_>,
    judge: &mut Judge<'_>,
    evidence: &[String],
    i: usize,
) -> Result<FileResult, AuditError> {
    let path = evidence.get(i).map_or("", String::as_str);
    let reader = open_evidence(path)
        .and_then(|opened| opened.into_reader())
        .map_err(evidence_error)?;
    let mut sink = new_sink(context, judge, Some(position(i)));
    let summary = match reader {
        EvidenceReader::Capture(mut reader) => {
            let mut engine = CaptureEngine::new(CaptureOptions::default());
            let summary = engine.read(&mut reader, &mut sink, &mut |_| {});
            let stats = engine.finish(&mut sink);
            EvidenceSummary {
                evidence: summary.evidence,
                records: summary.frames,
                connections: stats.connections,
                problems: summary.problems,
                problem_count: summary.problem_count,
            }
        }
        EvidenceReader::Records(format, stream) => {
            read_records(format, stream, position(i), &mut sink)
        }
    };
    Ok(file_result(summary, sink.aggregate))
}

/// Reads all the Zeek logs of the run together. The set's aggregate goes with its first file
/// (aggregates merge the same whatever file carries them).
fn audit_zeek_set(
    context: &Context<'_>,
    judge: &mut Judge<'_>,
    evidence: &[String],
    set: &[usize],
) -> Vec<(usize, Result<FileResult, AuditError>)> {
    let mut results = Vec::with_capacity(set.len());
    let mut streams = Vec::with_capacity(set.len());
    for &i in set {
        let path = evidence.get(i).map_or("", String::as_str);
        match open_evidence(path).and_then(|opened| opened.into_reader()) {
            Ok(EvidenceReader::Records(_, stream)) => streams.push((position(i), stream)),
            Ok(EvidenceReader::Capture(_)) => results.push((
                i,
                Err(AuditError::Evidence(format!(
                    "{path}: changed while the audit ran (no longer a Zeek log)"
                ))),
            )),
            Err(e) => results.push((i, Err(evidence_error(e)))),
        }
    }
    let mut sink = new_sink(context, judge, None);
    // Summaries come in increasing position, as the streams were pushed.
    let opened: Vec<usize> = streams.iter().map(|(p, _)| *p as usize).collect();
    let summaries = read_zeek_set(streams, &mut sink);
    let mut aggregate = Some(sink.aggregate);
    for (i, summary) in opened.into_iter().zip(summaries) {
        results.push((
            i,
            Ok(file_result(summary, aggregate.take().unwrap_or_default())),
        ));
    }
    results
}

fn evidence_error(e: CaptureError) -> AuditError {
    AuditError::Evidence(e.to_string())
}

fn file_result(summary: EvidenceSummary, aggregate: Aggregate) -> FileResult {
    let evidence = summary.evidence;
    let unreadable = (summary.problem_count > 0).then(|| UnreadableFile {
        path: evidence.path.clone(),
        sha256: evidence.sha256.clone(),
        problem_count: summary.problem_count,
        problems: summary.problems,
    });
    FileResult {
        input: EvidenceInput {
            path: evidence.path,
            kind: evidence.kind,
            sha256: evidence.sha256,
            bytes: evidence.bytes,
            frames: summary.records,
            connections: summary.connections,
        },
        unreadable,
        aggregate,
    }
}
