//! Exit codes, documented in `ringfence --help` and the README.

use std::process::ExitCode;

/// A usage error, or an input that could not be read at all.
pub fn usage() -> ExitCode {
    ExitCode::from(2)
}

/// Finished, but some input records were unreadable and skipped.
pub fn skipped_input() -> ExitCode {
    ExitCode::from(3)
}
