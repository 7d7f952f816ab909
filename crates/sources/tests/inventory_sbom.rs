//! The real CycloneDX and SPDX documents under `../shared/data/inventory`: each is sniffed as an
//! inventory, read with no problem, and gives one installation per component or package, as an
//! independent walk of the JSON counts them; a few components are checked field by field.

mod common;

use common::{Collected, shared_data};
use ringfence_model::{InstallSource, Installation, Timestamp};
use ringfence_sources::evidence::{
    EvidenceFormat, EvidenceReader, RecordFormat, evidence_format, open_evidence, read_records,
};
use std::path::{Path, PathBuf};

fn json_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "json") {
            found.push(path);
        }
    }
}

/// Reads `path` the way `ringfence audit` does: sniffed, then read by the inventory reader.
fn read(path: &Path) -> (Collected, ringfence_sources::evidence::EvidenceSummary) {
    let label = path.to_string_lossy();
    let opened = open_evidence(&label).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(
        opened.format,
        EvidenceFormat::Records(RecordFormat::Inventory),
        "{label}"
    );
    let Ok(EvidenceReader::Records(format, stream)) = opened.into_reader() else {
        panic!("{label}: not a record reader");
    };
    let mut collected = Collected::default();
    let summary = read_records(format, stream, 3, &mut collected);
    (collected, summary)
}

/// Components (nested ones too) that are software, not `device` hardware.
fn cyclonedx_count(components: &serde_json::Value) -> usize {
    components.as_array().map_or(0, |list| {
        list.iter()
            .map(|c| usize::from(c["type"] != "device") + cyclonedx_count(&c["components"]))
            .sum()
    })
}

fn expected_count(document: &serde_json::Value) -> usize {
    if document["bomFormat"] == "CycloneDX" {
        cyclonedx_count(&document["components"])
    } else {
        assert!(document["spdxVersion"].is_string());
        document["packages"].as_array().map_or(0, |packages| {
            packages
                .iter()
                .filter(|p| p["primaryPackagePurpose"] != "DEVICE")
                .count()
        })
    }
}

#[test]
fn every_sbom_reads_without_problems_and_gives_each_component() {
    let mut files = Vec::new();
    json_files(&shared_data("inventory"), &mut files);
    assert_eq!(files.len(), 8, "{files:?}");
    for path in &files {
        let document: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let (collected, summary) = read(path);
        assert_eq!(
            summary.problem_count,
            0,
            "{}: {:?}",
            path.display(),
            summary.problems
        );
        let expected = expected_count(&document);
        assert_eq!(
            collected.installations.len(),
            expected,
            "{}",
            path.display()
        );
        assert_eq!(summary.records as usize, expected, "{}", path.display());
        assert_eq!(summary.connections, 0);
        for installation in &collected.installations {
            assert_eq!(installation.source, InstallSource::SbomComponent);
            assert!(installation.present);
            assert_eq!(installation.evidence.evidence, 3);
            // No real example names the machine it describes.
            assert!(installation.host.is_unknown(), "{}", path.display());
        }
        // Evidence references point at the component's opening brace, in reading order.
        let bytes = std::fs::read(path).unwrap();
        let offsets: Vec<u64> = collected
            .installations
            .iter()
            .map(|i| i.evidence.offset)
            .collect();
        for offset in &offsets {
            assert_eq!(
                bytes.get(*offset as usize),
                Some(&b'{'),
                "{}",
                path.display()
            );
        }
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "{}",
            path.display()
        );
    }
}

fn named<'a>(installations: &'a [Installation], name: &str) -> &'a Installation {
    installations
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("{name} missing"))
}

#[test]
fn cyclonedx_components_carry_version_purl_publisher_and_bom_time() {
    let (obom, _) = read(&shared_data(
        "inventory/cyclonedx-bom-examples/OBOM/Example-1-Decoupled/obom.json",
    ));
    let rhel = named(&obom.installations, "Red Hat Enterprise Linux");
    assert_eq!(rhel.version.as_deref(), Some("8.0"));
    assert_eq!(rhel.publisher.as_deref(), Some("Red Hat"));
    assert_eq!(
        rhel.time,
        Some(Timestamp::from_secs_nanos(1_659_441_600, 0))
    );
    assert!(rhel.host.is_unknown());

    let (proton, _) = read(&shared_data(
        "inventory/cyclonedx-bom-examples/SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json",
    ));
    let imap = named(&proton.installations, "github.com/ProtonMail/go-imap");
    assert_eq!(
        imap.version.as_deref(),
        Some("v0.0.0-20201228133358-4db68cea0cac")
    );
    assert_eq!(
        imap.product.as_deref(),
        Some("pkg:golang/github.com/ProtonMail/go-imap@v0.0.0-20201228133358-4db68cea0cac")
    );
    // 2021-05-16T17:10:53+02:00
    assert_eq!(
        imap.time,
        Some(Timestamp::from_secs_nanos(1_621_177_853, 0))
    );

    let (laravel, _) = read(&shared_data(
        "inventory/cyclonedx-bom-examples/SBOM/laravel-7.12.0/bom.1.4.json",
    ));
    let framework = named(&laravel.installations, "framework");
    assert_eq!(framework.version.as_deref(), Some("v7.30.6"));
    assert_eq!(framework.publisher.as_deref(), Some("Taylor Otwell"));
    assert_eq!(framework.time, None, "this BOM has no metadata.timestamp");
}

#[test]
fn spdx_packages_carry_version_purl_supplier_and_creation_time() {
    let (sbom, _) = read(&shared_data(
        "inventory/spdx-examples/presentations/OSS-NA-2023/SPDXVersion2.3/03-SBOMwDependency.json",
    ));
    let tools = named(&sbom.installations, "tools-java");
    assert_eq!(tools.version.as_deref(), Some("1.5.1"));
    assert_eq!(
        tools.publisher.as_deref(),
        Some("SPDX (Spdx-tech@lists.spdx.org)")
    );
    assert_eq!(
        tools.product.as_deref(),
        Some("pkg:github/spdx/tools-java@2235d5d7f7fe46ce1e0d54b7831c5681633b25cc")
    );
    assert_eq!(
        tools.time,
        Some(Timestamp::from_secs_nanos(1_683_916_222, 0))
    );
    let xlsx = named(&sbom.installations, "xlsx");
    assert_eq!(xlsx.publisher.as_deref(), Some("Webjar"));

    let (example11, _) = read(&shared_data(
        "inventory/spdx-examples/software/example11/spdx2.3/sbom.spdx.json",
    ));
    let source = named(&example11.installations, "hello-server-src");
    assert_eq!(
        source.product.as_deref(),
        Some("pkg:deb/debian/libselinux1-dev@3.1-3?arch=s390x")
    );
    assert_eq!(source.publisher, None, "no supplier in this document");
    assert_eq!(
        source.time,
        Some(Timestamp::from_secs_nanos(1_667_459_410, 0))
    );
}

#[test]
fn non_json_files_beside_the_sboms_are_not_inventories() {
    for relative in [
        "inventory/spdx-examples/README.md",
        "inventory/cyclonedx-bom-examples/OBOM/Example-1-Decoupled/README.md",
        "inventory/cyclonedx-bom-examples/LICENSE",
    ] {
        let path = shared_data(relative);
        let format = evidence_format(&path.to_string_lossy()).unwrap();
        assert_ne!(
            format,
            EvidenceFormat::Records(RecordFormat::Inventory),
            "{relative}"
        );
    }
}
