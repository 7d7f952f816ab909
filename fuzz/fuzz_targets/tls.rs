//! TLS: the bytes as a ClientHello handshake message, and as a client stream fed in chunks whose
//! sizes come from the first byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringfence_model::Transport;
use ringfence_sources::capture::tls::{ClientHelloScanner, parse_client_hello_message};

fuzz_target!(|data: &[u8]| {
    let _ = parse_client_hello_message(data, Transport::Tcp);
    let step = data.first().map_or(1, |b| usize::from(*b).max(1));
    let mut scanner = ClientHelloScanner::new();
    for chunk in data.chunks(step) {
        scanner.feed(chunk);
    }
});
