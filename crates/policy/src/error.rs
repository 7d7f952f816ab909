//! What can go wrong loading policies, with positions people can jump to.

use crate::location::Location;
use std::fmt;

/// One problem in one file, at a position.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

fn lines(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}: too large for a policy file (limit {1} bytes)")]
    TooLarge(String, u64),
    #[error("'{name}' is neither a bundled policy pack ({packs}) nor a .cedar file or folder")]
    NotFound { name: String, packs: String },
    #[error("no policies given: name a bundled pack ({0}) or a .cedar file")]
    Empty(String),
    #[error("the bundled schema does not parse: {0}")]
    Schema(String),
    #[error("policy syntax error:\n{}", lines(.0))]
    Syntax(Vec<Diagnostic>),
    #[error("policy does not validate against the schema:\n{}", lines(.0))]
    Validation(Vec<Diagnostic>),
    #[error("{second}: policy id '{id}' is already used at {first}")]
    DuplicateId {
        id: String,
        first: Location,
        second: Location,
    },
}

impl PolicyError {
    /// The positioned problems, when the error has any (syntax and validation errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            PolicyError::Syntax(d) | PolicyError::Validation(d) => d,
            _ => &[],
        }
    }
}
