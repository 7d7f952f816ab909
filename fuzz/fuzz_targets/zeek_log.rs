//! Arbitrary bytes as a Zeek log (TSV or JSON, plain or gzip): the reader must never panic, every
//! kept problem must lie inside the input, and the evidence must cover every byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::ObservationSink;
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::logs::zeek;

struct Discard;

impl ObservationSink for Discard {
    fn connection(&mut self, _: Connection) {}
    fn resolution(&mut self, _: Resolution) {}
    fn installation(&mut self, _: Installation) {}
}

fuzz_target!(|data: &[u8]| {
    let input = Box::new(std::io::Cursor::new(data.to_vec()));
    let Ok(stream) = EvidenceStream::from_reader("fuzz", input) else {
        return;
    };
    let outcome = zeek::read(stream, 0, &mut Discard);
    assert!(outcome.problems.kept.len() as u64 <= outcome.problems.count);
    assert_eq!(outcome.evidence.bytes, data.len() as u64);
});
