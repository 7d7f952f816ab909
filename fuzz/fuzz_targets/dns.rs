//! DNS: one message as a UDP payload, and the same bytes as a DNS-over-TCP stream split in two.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringfence_sources::capture::dns::{TcpDnsScanner, answer_chains, parse_message};

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = parse_message(data) {
        let _ = answer_chains(&message);
    }
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let mut scanner = TcpDnsScanner::new();
    let mut on_message = |m: Result<_, _>| {
        if let Ok(m) = m {
            let _ = answer_chains(&m);
        }
    };
    scanner.feed(&data[..split], &mut on_message);
    scanner.feed(&data[split..], &mut on_message);
});
