//! Hostile Sysmon input: real EVTX and JSON-lines files cut at many offsets, and random bytes
//! written over their records. No panic, a problem at the right offset, and what is intact is
//! still read.

mod common;

use common::sysmon::*;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const HEADER: usize = 4096;
const CHUNK: usize = 65536;

#[test]
fn a_truncated_evtx_reads_its_complete_records_and_says_where_it_ends() {
    let bytes = shared_bytes(EVTX_RDP_TUNNEL);
    let (_, full) = read_bytes("full.evtx", bytes.clone());
    // An empty input has nothing to read (and nothing wrong with it).
    let mut cuts: Vec<usize> = (1..bytes.len()).step_by(509).collect();
    cuts.extend([1, 7, 8, 4095, 4096, 4097, 4096 + 512, bytes.len() - 1]);
    for cut in cuts {
        let (outcome, collected) = read_bytes("cut.evtx", bytes[..cut].to_vec());
        // A file header alone is an empty log; any other cut is reported.
        if cut == HEADER {
            assert_eq!(outcome.problems.count, 0);
            continue;
        }
        assert!(
            outcome.problems.count > 0,
            "cut at {cut}: no problem reported"
        );
        let last = outcome
            .problems
            .kept
            .iter()
            .map(|p| p.offset)
            .max()
            .unwrap();
        if cut >= 8 {
            assert!(last <= cut as u64, "cut at {cut}: problem at {last}");
        }
        if cut > HEADER {
            assert!(
                outcome.problems.kept.iter().any(|p| p.offset == cut as u64),
                "cut at {cut}: {:?}",
                outcome.problems.kept
            );
        }
        // What is read is what the whole file gives, cut short.
        assert!(collected.connections.len() <= full.connections.len());
        for (got, expected) in collected.connections.iter().zip(&full.connections) {
            assert_eq!(got.key, expected.key, "cut at {cut}");
        }
    }
    // Cut after the first half of the chunk: the records before the cut are all there.
    let (_, half) = read_bytes("half.evtx", bytes[..HEADER + CHUNK / 2].to_vec());
    assert!(!half.connections.is_empty());
}

#[test]
fn random_bytes_in_a_chunk_are_problems_not_panics() {
    let bytes = shared_bytes(EVTX_UACME);
    let chunks = (bytes.len() - HEADER) / CHUNK;
    let mut rng = Rng(0x5eed_0123_4567_89ab);
    for round in 0..60 {
        let mut damaged = bytes.clone();
        let chunk = rng.below(chunks);
        let start = HEADER + chunk * CHUNK;
        let writes = 1 + rng.below(64);
        for _ in 0..writes {
            // Mostly in the records, sometimes in the chunk header and its tables.
            let at = start
                + if round % 4 == 0 {
                    rng.below(512)
                } else {
                    512 + rng.below(CHUNK - 512)
                };
            damaged[at] = rng.next() as u8;
        }
        let (outcome, _) = read_bytes("damaged.evtx", damaged.clone());
        if damaged != bytes {
            assert!(
                outcome
                    .problems
                    .kept
                    .iter()
                    .any(|p| (start as u64..(start + CHUNK) as u64).contains(&p.offset)),
                "round {round}: damage in the chunk at {start} not reported: {:?}",
                outcome.problems.kept
            );
        }
    }
    // Whole chunks of noise, and noise instead of the file.
    let mut noisy = bytes.clone();
    for b in &mut noisy[HEADER..HEADER + CHUNK] {
        *b = rng.next() as u8;
    }
    let (outcome, _) = read_bytes("noise.evtx", noisy);
    assert!(
        outcome
            .problems
            .kept
            .iter()
            .any(|p| p.offset == HEADER as u64)
    );
    let noise: Vec<u8> = (0..200_000).map(|_| rng.next() as u8).collect();
    let (outcome, _) = read_bytes("noise.bin", noise);
    assert_eq!(outcome.problems.kept[0].offset, 0);
}

#[test]
fn chunk_magic_with_noise_after_it() {
    let bytes = shared_bytes(EVTX_SHARP_RDP);
    let mut rng = Rng(42);
    for _ in 0..20 {
        let mut damaged = bytes.clone();
        for b in &mut damaged[HEADER + 8..HEADER + 8 + rng.below(4000)] {
            *b = rng.next() as u8;
        }
        let (outcome, _) = read_bytes("x.evtx", damaged);
        assert!(outcome.problems.count > 0);
        assert!(
            outcome
                .problems
                .kept
                .iter()
                .all(|p| p.offset < bytes.len() as u64)
        );
    }
}

/// The OTRF lines around PowerShell's DNS queries and connections (lines 489 to 496).
fn small_json() -> Vec<u8> {
    let extracted = extract_otrf(OTRF_CMSTP);
    let text = std::fs::read_to_string(&extracted.path).unwrap();
    let lines: Vec<&str> = text.lines().skip(488).take(8).collect();
    (lines.join("\n") + "\n").into_bytes()
}

#[test]
fn a_truncated_json_line_is_a_problem_at_its_offset() {
    let bytes = small_json();
    let (full_outcome, full) = read_bytes("small.json", bytes.clone());
    assert_eq!(full_outcome.problems.count, 0);
    assert_eq!(full.connections.len(), 2);
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    for cut in 0..bytes.len() {
        let (outcome, collected) = read_bytes("cut.json", bytes[..cut].to_vec());
        let line_start = *starts.iter().filter(|s| **s <= cut).max().unwrap();
        // Cut inside a line (not just before its newline): that line is a problem.
        if cut > line_start && bytes[cut] != b'\n' {
            let kept = &outcome.problems.kept;
            assert_eq!(kept.len(), 1, "cut at {cut}: {kept:?}");
            assert_eq!(kept[0].offset, line_start as u64, "cut at {cut}");
        } else {
            assert_eq!(outcome.problems.count, 0, "cut at {cut}");
        }
        assert!(collected.connections.len() <= 2);
    }
}

#[test]
fn random_bytes_in_json_lines_are_problems_not_panics() {
    let bytes = small_json();
    let mut rng = Rng(7);
    for _ in 0..300 {
        let mut damaged = bytes.clone();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(damaged.len());
            damaged[at] = rng.next() as u8;
        }
        let (outcome, _) = read_bytes("damaged.json", damaged);
        assert!(
            outcome
                .problems
                .kept
                .iter()
                .all(|p| p.offset < bytes.len() as u64)
        );
    }
    // Hostile values in well-formed JSON.
    let hostile = concat!(
        r#"{"EventID":3,"Channel":"Microsoft-Windows-Sysmon/Operational","Protocol":"tcp","Initiated":"maybe","SourceIp":"1.2.3.4","SourcePort":"99999","DestinationIp":"x","DestinationPort":"-1","UtcTime":"2020-13-45 99:99:99.999"}"#,
        "\n",
        r#"{"EventID":22,"Channel":"Microsoft-Windows-Sysmon/Operational","UtcTime":"2020-01-01 00:00:00.000","QueryName":"","QueryResults":"type:  5 ;;::ffff:;"}"#,
        "\n",
        r#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Image":{"nested":[1]}}"#,
        "\n",
        r#"{"EventID":"3","Channel":5}"#,
        "\n",
        "not json at all\n",
    );
    let (outcome, collected) = read_bytes("hostile.json", hostile.as_bytes().to_vec());
    assert!(
        collected.connections.is_empty()
            && collected.resolutions.is_empty()
            && collected.installations.is_empty()
    );
    let offsets: Vec<u64> = outcome.problems.kept.iter().map(|p| p.offset).collect();
    let line_starts: Vec<u64> = std::iter::once(0)
        .chain(
            hostile
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i as u64 + 1),
        )
        .collect();
    assert_eq!(
        offsets,
        [
            line_starts[0],
            line_starts[1],
            line_starts[2],
            line_starts[4]
        ]
    );
}
