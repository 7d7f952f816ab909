//! Hostile inventories: every format truncated at every offset, random bytes, and corrupt items
//! whose problems must name the item's offset while the other items are still read.

mod common;

use common::inventory::{self as fixtures, read};

fn small_fixtures() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("osquery log", fixtures::osquery_log().into_bytes()),
        ("osqueryi", fixtures::osqueryi_programs().as_bytes().to_vec()),
        ("reg export", fixtures::reg_export()),
        ("get-package json", fixtures::get_package_json().as_bytes().to_vec()),
        ("cim json", fixtures::cim_product_json().as_bytes().to_vec()),
        ("get-package csv", fixtures::get_package_csv().as_bytes().to_vec()),
        ("cim csv utf-16", fixtures::cim_product_csv()),
        ("dpkg", fixtures::dpkg_status().as_bytes().to_vec()),
        ("rpm", fixtures::rpm_qa().as_bytes().to_vec()),
        (
            "cyclonedx",
            std::fs::read(common::shared_data(
                "inventory/cyclonedx-bom-examples/OBOM/Example-1-Decoupled/obom.json",
            ))
            .unwrap(),
        ),
        (
            "spdx",
            std::fs::read(common::shared_data(
                "inventory/spdx-examples/presentations/OSS-NA-2023/SPDXVersion2.3/03-SBOMwDependency.json",
            ))
            .unwrap(),
        ),
    ]
}

#[test]
fn truncation_at_every_offset_never_panics_and_problems_stay_in_bounds() {
    for (name, bytes) in small_fixtures() {
        let (whole, outcome) = read(name, &bytes);
        assert_eq!(outcome.problems.count, 0, "{name}: {:?}", outcome.problems);
        let all = whole.installations.len();
        for cut in 0..bytes.len() {
            let (collected, outcome) = read(name, &bytes[..cut]);
            assert!(collected.installations.len() <= all, "{name} cut at {cut}");
            for problem in &outcome.problems.kept {
                assert!(
                    problem.offset <= cut as u64,
                    "{name} cut at {cut}: {problem}"
                );
            }
            assert_eq!(outcome.evidence.bytes, cut as u64);
        }
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[test]
fn random_bytes_and_random_damage_never_panic() {
    for seed in 0..200u64 {
        let noise = random_bytes(seed, 64 + (seed as usize * 37) % 4000);
        let _ = read("noise", &noise);
    }
    // Damage each fixture: overwrite a few bytes at pseudo-random places, keeping its head so it
    // is still read as its format.
    for (name, bytes) in small_fixtures() {
        for seed in 0..50u64 {
            let mut damaged = bytes.clone();
            let noise = random_bytes(seed, 8);
            for (i, byte) in noise.iter().enumerate() {
                let at = 64
                    + (usize::from(*byte) * 131 + i * 977 + seed as usize * 61)
                        % damaged.len().saturating_sub(64).max(1);
                if let Some(slot) = damaged.get_mut(at) {
                    *slot = *byte;
                }
            }
            let _ = read(name, &damaged);
        }
    }
}

#[test]
fn a_corrupt_result_line_is_reported_at_its_offset_and_the_rest_is_read() {
    let good = fixtures::osquery_log();
    let first_end = good.find('\n').unwrap() + 1;
    let broken = format!(
        "{}{{\"name\":\"programs\",\"hostIdentifier\":\"pc-01\",\"columns\":{{\"name\":\n{}",
        &good[..first_end],
        &good[first_end..]
    );
    let (collected, outcome) = read("results.log", broken.as_bytes());
    assert_eq!(outcome.problems.count, 1, "{:?}", outcome.problems);
    let problem = &outcome.problems.kept[0];
    // The error is at the end of the broken line (the offset of its newline).
    let broken_end = broken[first_end..].find('\n').unwrap() + first_end;
    assert_eq!(problem.offset, broken_end as u64, "{problem}");
    assert!(problem.reason.starts_with("line 2: "), "{problem}");
    assert_eq!(collected.installations.len(), 8);
}

#[test]
fn corrupt_items_in_line_formats_name_their_line() {
    let rpm = "kesl-12.1.0-1297.x86_64\nnot a package line\nbash-5.1.8-6.el9.x86_64\n";
    let (collected, outcome) = read("rpm", rpm.as_bytes());
    assert_eq!(collected.installations.len(), 2);
    assert_eq!(outcome.problems.count, 1);
    assert_eq!(outcome.problems.kept[0].offset, 24);
    assert!(outcome.problems.kept[0].reason.starts_with("line 2:"));

    let dpkg = "Package: a\nStatus: install ok installed\n\nPackage: b\nStatus: install ok sideways\n\nVersion: 1\nStatus: install ok installed\n";
    let (collected, outcome) = read("status", dpkg.as_bytes());
    assert_eq!(collected.installations.len(), 1);
    let offsets: Vec<u64> = outcome.problems.kept.iter().map(|p| p.offset).collect();
    let expected = [dpkg.find("Package: b"), dpkg.find("Version: 1")].map(|o| o.unwrap() as u64);
    assert_eq!(offsets, expected, "{:?}", outcome.problems);

    let mut reg = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    reg.push_str(
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\x]\r\n",
    );
    let bad_line = reg.len();
    reg.push_str("\"DisplayName\"=\"unterminated\r\n\"Publisher\"=\"P\"\r\ngarbage\r\n");
    let (collected, outcome) = read("x.reg", &fixtures::utf16le(&reg));
    assert_eq!(
        collected.installations.len(),
        0,
        "no DisplayName was readable"
    );
    let offsets: Vec<u64> = outcome.problems.kept.iter().map(|p| p.offset).collect();
    let garbage = reg.find("garbage").unwrap();
    assert_eq!(
        offsets,
        [2 + 2 * bad_line as u64, 2 + 2 * garbage as u64],
        "{:?}",
        outcome.problems
    );
}

#[test]
fn corrupt_document_items_name_their_offset() {
    let json = r#"[{"Name":"a","Version":"1","Vendor":"v"},{"Name":{"x":1},"Version":"2","Vendor":"v"},{"Name":"c","Version":"3","Vendor":"v"}]"#;
    let (collected, outcome) = read("p.json", json.as_bytes());
    let names: Vec<&str> = collected
        .installations
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(names, ["a", "c"]);
    assert_eq!(outcome.problems.count, 1);
    assert_eq!(
        outcome.problems.kept[0].offset,
        json.find("{\"Name\":{").unwrap() as u64
    );

    let bom = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"ok"},{"type":"library","name":["bad"]},{"type":"library","name":"nested","components":[{"type":"library","name":"child"}]}]}"#;
    let (collected, outcome) = read("bom.json", bom.as_bytes());
    let names: Vec<&str> = collected
        .installations
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(names, ["ok", "nested", "child"]);
    assert_eq!(
        outcome.problems.kept[0].offset,
        bom.find("{\"type\":\"library\",\"name\":[").unwrap() as u64
    );

    let truncated = &bom[..bom.len() - 40];
    let (_, outcome) = read("bom.json", truncated.as_bytes());
    assert_eq!(outcome.problems.count, 1);
    assert_eq!(outcome.problems.kept[0].offset, truncated.len() as u64);
}

#[test]
fn a_document_larger_than_the_limit_is_a_problem_not_an_allocation() {
    // The limit itself (256 MiB) is too big for a test to build; a stream that never ends shows
    // the reader stops at the limit instead of reading on.
    struct Endless;
    impl std::io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let head = br#"{"bomFormat":"CycloneDX","components":["#;
            buf.fill(b' ');
            let n = head.len().min(buf.len());
            buf[..n].copy_from_slice(&head[..n]);
            Ok(buf.len())
        }
    }
    let stream = ringfence_sources::input::EvidenceStream::from_reader(
        "endless.json",
        Box::new(std::io::Read::take(
            Endless,
            (ringfence_sources::inventory::MAX_DOCUMENT + 4096) as u64,
        )),
    )
    .unwrap();
    let mut collected = common::Collected::default();
    let outcome = ringfence_sources::inventory::read(stream, 0, &mut collected);
    assert_eq!(outcome.problems.count, 1);
    assert!(outcome.problems.kept[0].reason.contains("larger than"));
}
