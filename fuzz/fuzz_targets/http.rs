//! HTTP: the bytes as a client stream fed in chunks whose sizes come from the first byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringfence_sources::capture::http::HttpRequestScanner;

fuzz_target!(|data: &[u8]| {
    let step = data.first().map_or(1, |b| usize::from(*b).max(1));
    let mut scanner = HttpRequestScanner::new();
    let mut count = 0usize;
    for chunk in data.chunks(step) {
        scanner.feed(chunk, |_| count += 1);
    }
    assert!(count <= 64);
});
