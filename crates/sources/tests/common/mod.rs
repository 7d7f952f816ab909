//! Helpers shared by the real-data tests: where the shared data lives, and running a capture
//! through the whole engine.
#![allow(dead_code)] // each test binary uses its own part of these helpers

pub mod inventory;
pub mod logs;
pub mod sysmon;
pub mod zeek_log;

use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::{
    CaptureEngine, CaptureOptions, CaptureReader, CaptureStats, ObservationSink, ReadSummary,
};
use std::path::PathBuf;

/// A file under `../shared/data`. Panics (the test fails loudly) when the data is not there.
pub fn shared_data(relative: &str) -> PathBuf {
    let path =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(relative);
    assert!(
        path.exists(),
        "shared test data missing: {} (the real-data tests need ../shared/data beside the repository)",
        path.display()
    );
    path
}

#[derive(Default)]
pub struct Collected {
    pub connections: Vec<Connection>,
    pub resolutions: Vec<Resolution>,
    pub installations: Vec<Installation>,
}

impl ObservationSink for Collected {
    fn connection(&mut self, connection: Connection) {
        self.connections.push(connection);
    }
    fn resolution(&mut self, resolution: Resolution) {
        self.resolutions.push(resolution);
    }
    fn installation(&mut self, installation: Installation) {
        self.installations.push(installation);
    }
}

pub struct Run {
    pub collected: Collected,
    pub summary: ReadSummary,
    pub stats: CaptureStats,
}

/// Reads one capture with default options, as `ringfence connections` does.
pub fn run_capture(path: &std::path::Path) -> Run {
    let label = path.to_string_lossy();
    let mut reader = CaptureReader::open(&label).unwrap_or_else(|e| panic!("{label}: {e}"));
    let mut engine = CaptureEngine::new(CaptureOptions::default());
    let mut collected = Collected::default();
    let summary = engine.read(&mut reader, &mut collected, &mut |_| {});
    let stats = engine.finish(&mut collected);
    Run {
        collected,
        summary,
        stats,
    }
}
