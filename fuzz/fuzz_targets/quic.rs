//! QUIC: the bytes as client datagrams (split at 0xff bytes), and as the plaintext frames of a
//! sealed Initial packet so the fuzzer reaches the frame and ClientHello parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringfence_sources::capture::quic::{QuicInitialScanner, seal_client_initial};

fuzz_target!(|data: &[u8]| {
    let mut scanner = QuicInitialScanner::new();
    for datagram in data.split(|b| *b == 0xff) {
        scanner.feed(datagram);
    }
    let mut scanner = QuicInitialScanner::new();
    scanner.feed(&seal_client_initial(1, b"fuzzdcid", b"", 0, data));
});
