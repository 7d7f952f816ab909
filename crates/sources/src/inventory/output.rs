//! Where an inventory reader's findings go: observations to the sink, unreadable items to the
//! problem list, and the counts the outcome reports.

use crate::capture::ObservationSink;
use crate::input::Problems;
use ringfence_model::{Connection, EvidenceRef, Installation};

pub(crate) struct Output<'s> {
    pub(crate) evidence: u32,
    sink: &'s mut dyn ObservationSink,
    pub(crate) problems: Problems,
    pub(crate) counts: Counts,
}

/// What one stream gave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Items read: installed programs and packages, SBOM components, osquery rows.
    pub records: u64,
    pub installations: u64,
    pub connections: u64,
    /// Items that are not software on the host: rows of other osquery tables, dpkg packages
    /// whose files are gone (`config-files`, `not-installed`), registry keys without a
    /// `DisplayName`.
    pub other_records: u64,
}

impl<'s> Output<'s> {
    pub(crate) fn new(evidence: u32, label: &str, sink: &'s mut dyn ObservationSink) -> Output<'s> {
        Output {
            evidence,
            sink,
            problems: Problems::new(label),
            counts: Counts::default(),
        }
    }

    /// The reference for the item numbered `record` starting at `offset`.
    pub(crate) fn at(&self, record: u64, offset: u64) -> EvidenceRef {
        EvidenceRef {
            evidence: self.evidence,
            record,
            offset,
        }
    }

    pub(crate) fn installation(&mut self, installation: Installation) {
        self.counts.installations += 1;
        self.sink.installation(installation);
    }

    pub(crate) fn connection(&mut self, connection: Connection) {
        self.counts.connections += 1;
        self.sink.connection(connection);
    }

    /// Notes an item that could not be read.
    pub(crate) fn problem(&mut self, offset: u64, reason: impl Into<String>) {
        self.problems.note(offset, reason);
    }
}
