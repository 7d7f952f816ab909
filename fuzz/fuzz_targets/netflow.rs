//! NetFlow/IPFIX: arbitrary bytes as one export datagram (twice, so the second sees the
//! templates the first taught), and as a bare stream or capture through `netflow::read`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::ObservationSink;
use ringfence_sources::input::EvidenceStream;
use ringfence_sources::netflow::{DecodeSink, ExportDecoder, FlowRecord, UNKNOWN_EXPORTER, read};

struct Check(usize);

impl DecodeSink for Check {
    fn flow(&mut self, _: &FlowRecord) {}
    fn problem(&mut self, offset: usize, _: String) {
        assert!(offset <= self.0);
    }
}

struct Discard;

impl ObservationSink for Discard {
    fn connection(&mut self, _: Connection) {}
    fn resolution(&mut self, _: Resolution) {}
    fn installation(&mut self, _: Installation) {}
}

fuzz_target!(|data: &[u8]| {
    let mut decoder = ExportDecoder::default();
    decoder.decode(UNKNOWN_EXPORTER, data, &mut Check(data.len()));
    decoder.decode(UNKNOWN_EXPORTER, data, &mut Check(data.len()));
    if let Ok(stream) =
        EvidenceStream::from_reader("fuzz", Box::new(std::io::Cursor::new(data.to_vec())))
    {
        let outcome = read(stream, 0, &mut Discard);
        assert_eq!(outcome.evidence.bytes, data.len() as u64);
    }
});
