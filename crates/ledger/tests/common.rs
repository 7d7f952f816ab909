//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// Path of a file under `shared/data/tlog`, failing loudly if the data is missing.
pub fn tlog_data(rel: &str) -> PathBuf {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/tlog"
    ))
    .join(rel);
    assert!(
        p.exists(),
        "test data {} is missing: install ../shared/data/tlog (see its SOURCES.md)",
        p.display()
    );
    p
}
