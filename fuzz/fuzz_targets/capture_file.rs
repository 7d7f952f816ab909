//! Arbitrary bytes as a capture file (pcap, pcapng or gzip): the reader and the decoder must
//! never panic, and every frame must decode to something.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringfence_sources::capture::{CaptureReader, Decoder};

fuzz_target!(|data: &[u8]| {
    let input = Box::new(std::io::Cursor::new(data.to_vec()));
    let Ok(mut reader) = CaptureReader::from_reader("fuzz", input) else {
        return;
    };
    let mut decoder = Decoder::new();
    let summary = reader.for_each_frame(|frame| {
        let _ = decoder.decode(frame);
    });
    assert!(summary.problems.len() as u64 <= summary.problem_count);
    assert_eq!(summary.evidence.bytes, data.len() as u64);
});
