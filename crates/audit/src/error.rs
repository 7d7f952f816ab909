//! Why an audit could not be run at all. Problems inside evidence are not errors: they are
//! counted in the report and the run goes on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The estate file is not valid TOML or not a valid estate; `line` and `column` are 1-based.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Estate {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("IP data: {0}")]
    Intel(#[from] ringfence_intel::ipdata::IntelError),
    #[error("policy: {0}")]
    Policy(#[from] ringfence_policy::PolicyError),
    /// An evidence file that could not be opened or is not evidence ringfence can read.
    #[error("evidence: {0}")]
    Evidence(String),
    /// The report given as `--baseline` could not be read or is not a ringfence report.
    #[error("baseline {}: {message}", path.display())]
    Baseline { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
}
