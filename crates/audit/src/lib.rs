//! The audit: one run of the pipeline (evidence → connections → destination intel → attribution →
//! policy verdicts), folded into a deterministic report, and the views rendered from it.
//!
//! - `estate`, `host`, `estate_index`: the user's systems and which system a host belongs to;
//! - `findings`, `smallest`, `assemble`, `report`: bounded, order-independent aggregation and the
//!   canonical report;
//! - `run`, `sink`: the pipeline over the evidence files, on any number of threads;
//! - `commitment`: what the ledger logs for a report, derived from the report's bytes alone;
//! - `views`: terminal, Markdown and self-contained HTML (with a server-side SVG world map).

mod assemble;
mod assemble_installs;
mod baseline;
pub mod commitment;
mod error;
mod estate;
mod estate_index;
pub mod findings;
mod host;
pub mod installs;
mod report;
mod report_installs;
mod run;
mod sink;
mod smallest;
pub mod views;

pub use assemble::RINGFENCE_VERSION;
pub use baseline::{Baseline, MAX_BASELINE_BYTES};
pub use error::AuditError;
pub use estate::{MAX_ESTATE_BYTES, load_estate, parse_estate};
pub use estate_index::EstateIndex;
pub use host::{HostPattern, Network};
pub use report::*;
pub use report_installs::*;
pub use run::{AuditInputs, AuditSetup, audit_evidence, load_setup, read_estate, run_audit};
