//! What goes wrong loading a catalog (it cannot be read at all) and what `check` finds wrong in
//! one that loaded.

use std::fmt;
use std::path::PathBuf;

/// A catalog that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read catalog {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        file: String,
        /// 1-based.
        line: usize,
        /// 1-based, in characters.
        column: usize,
        message: String,
    },
    #[error("catalog directory {} holds no .toml files", dir.display())]
    Empty { dir: PathBuf },
    #[error("catalog file {} is larger than {limit} bytes", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
}

/// One thing `Catalog::check` found wrong, located as precisely as the catalog allows.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CatalogProblem {
    /// The catalog file holding the fact (as given to the loader, e.g. `kaspersky.toml`).
    pub file: String,
    /// 1-based line of the organisation or product, when known.
    pub line: Option<usize>,
    /// What the problem is about, e.g. `organisation kaspersky-lab`.
    pub subject: String,
    pub reason: String,
}

impl fmt::Display for CatalogProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}: {}", self.file, self.subject, self.reason),
            None => write!(f, "{}: {}: {}", self.file, self.subject, self.reason),
        }
    }
}
