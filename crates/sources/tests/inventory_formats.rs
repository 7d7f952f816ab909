//! Every inventory format read from a fixture written the way its tool writes it: the Kaspersky
//! item comes out with its name, version, publisher and host, and the bundled catalog maps its
//! name to the Kaspersky product.

mod common;

use common::inventory::{self as fixtures, UNIX_TIME, read};
use ringfence_intel::catalog::Catalog;
use ringfence_model::{
    HostIdentity, InstallSource, Installation, LocalProcess, Timestamp, Transport,
};
use ringfence_sources::evidence::{
    EvidenceFormat, EvidenceReader, RecordFormat, open_evidence, read_records,
};
use ringfence_sources::inventory::looks_like;

const KES: &str = "kaspersky-endpoint-security";
const NETWORK_AGENT: &str = "kaspersky-security-center-network-agent";

fn named<'a>(installations: &'a [Installation], name: &str) -> &'a Installation {
    installations
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("{name} missing from {installations:#?}"))
}

fn product_of(name: &str) -> Option<String> {
    Catalog::bundled()
        .product_for_package(name)
        .map(|p| p.id.clone())
}

fn host(name: &str) -> HostIdentity {
    HostIdentity {
        name: Some(name.to_owned()),
        address: None,
    }
}

#[test]
fn osquery_result_log_gives_every_table_with_host_time_and_presence() {
    let log = fixtures::osquery_log();
    assert!(looks_like(log.as_bytes()));
    let (collected, outcome) = read("osqueryd.results.log", log.as_bytes());
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    let time = Some(Timestamp::from_secs_nanos(UNIX_TIME, 0));
    let installations = &collected.installations;
    for installation in installations {
        assert_eq!(installation.host, host("pc-01"), "{}", installation.name);
        assert_eq!(installation.time, time, "{}", installation.name);
    }

    let kes = named(installations, "Kaspersky Endpoint Security for Windows");
    assert_eq!(kes.source, InstallSource::WindowsProgram);
    assert_eq!(kes.version.as_deref(), Some("12.6.0.438"));
    assert_eq!(kes.publisher.as_deref(), Some("AO Kaspersky Lab"));
    assert_eq!(
        kes.location.as_deref(),
        Some(r"C:\Program Files (x86)\Kaspersky Lab\KES.12.6\")
    );
    assert!(kes.present);
    assert_eq!((kes.evidence.record, kes.evidence.offset), (1, 0));
    assert_eq!(product_of(&kes.name).as_deref(), Some(KES));

    let agent = named(installations, "Kaspersky Security Center Network Agent");
    assert!(!agent.present, "a differential `removed` row");
    assert_eq!(agent.evidence.record, 2);
    assert_eq!(
        agent.evidence.offset,
        log.find('\n').map(|n| n as u64 + 1).unwrap()
    );
    assert_eq!(product_of(&agent.name).as_deref(), Some(NETWORK_AGENT));

    let deb = named(installations, "klnagent64");
    assert_eq!(deb.source, InstallSource::DebPackage);
    assert_eq!(deb.version.as_deref(), Some("15.1.0-20748"));
    assert_eq!(
        deb.publisher.as_deref(),
        Some("AO Kaspersky Lab <support@kaspersky.com>")
    );
    assert_eq!(product_of(&deb.name).as_deref(), Some(NETWORK_AGENT));

    let kesl: Vec<&Installation> = installations.iter().filter(|i| i.name == "kesl").collect();
    assert_eq!(kesl.len(), 2);
    assert_eq!(kesl[0].source, InstallSource::RpmPackage);
    assert_eq!(
        (kesl[0].version.as_deref(), kesl[0].present),
        (Some("12.1.0-1297"), true)
    );
    assert_eq!(
        (kesl[1].version.as_deref(), kesl[1].present),
        (Some("12.0.0-6672"), false)
    );
    assert_eq!(kesl[0].publisher.as_deref(), Some("AO Kaspersky Lab"));
    assert_eq!(product_of("kesl").as_deref(), Some(KES));

    let mac = named(installations, "Kaspersky Endpoint Security for Mac");
    assert_eq!(mac.source, InstallSource::MacApp);
    assert_eq!(mac.version.as_deref(), Some("11.3.0"));
    assert_eq!(mac.product.as_deref(), Some("com.kaspersky.kes"));

    let choco = named(installations, "kaspersky-tdsskiller");
    assert_eq!(choco.source, InstallSource::ChocolateyPackage);
    assert_eq!(choco.publisher.as_deref(), Some("Kaspersky Lab"));

    let avp = r"C:\Program Files (x86)\Kaspersky Lab\KES.12.6\avp.exe";
    let process = named(installations, avp);
    assert_eq!(process.source, InstallSource::RunningProcess);
    assert_eq!(
        installations
            .iter()
            .filter(|i| i.source == InstallSource::RunningProcess)
            .count(),
        1,
        "one installation per process, however many sockets it holds"
    );

    // Only the socket with a remote end is a connection.
    assert_eq!(collected.connections.len(), 1);
    let connection = &collected.connections[0];
    assert_eq!(connection.key.transport, Transport::Tcp);
    assert_eq!(
        (
            connection.key.orig_addr.to_string(),
            connection.key.orig_port
        ),
        ("10.1.2.3".to_string(), 49722)
    );
    assert_eq!(
        (
            connection.key.resp_addr.to_string(),
            connection.key.resp_port
        ),
        ("77.74.181.1".to_string(), 443)
    );
    assert_eq!(
        connection.community_id,
        ringfence_sources::capture::community_id(&connection.key)
    );
    assert_eq!(
        connection.first_seen,
        Timestamp::from_secs_nanos(UNIX_TIME, 0)
    );
    assert_eq!(connection.last_seen, connection.first_seen);
    assert_eq!(connection.orig_bytes + connection.resp_bytes, 0);
    assert_eq!(
        connection.process,
        Some(LocalProcess {
            host: Some("pc-01".to_owned()),
            image: avp.to_owned(),
            pid: Some(3124),
            user: None,
        })
    );
    assert_eq!(connection.evidence.record, 7);

    // Rows: 2 programs, 2 deb, 2 rpm, 1 app, 1 chocolatey, 2 sockets, 1 osquery_info.
    assert_eq!(outcome.records, 11);
    assert_eq!(outcome.installations, 8);
    assert_eq!(outcome.connections, 1);
    assert_eq!(
        outcome.other_records, 2,
        "config-files deb and osquery_info"
    );
}

#[test]
fn osqueryi_arrays_name_no_host_unless_a_column_does() {
    let (collected, outcome) = read("programs.json", fixtures::osqueryi_programs().as_bytes());
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    assert_eq!(collected.installations.len(), 2);
    let kes = named(
        &collected.installations,
        "Kaspersky Endpoint Security for Windows",
    );
    assert!(kes.host.is_unknown());
    assert_eq!(kes.time, None);
    assert_eq!(kes.publisher.as_deref(), Some("AO Kaspersky Lab"));
    assert_eq!((kes.evidence.record, kes.evidence.offset), (1, 4));
    let seven = named(&collected.installations, "7-Zip 23.01 (x64)");
    assert_eq!(seven.evidence.record, 2);

    let with_host = r#"[{"hostname":"pc-09","name":"kesl","version":"12.1.0","release":"1297","arch":"x86_64"},
{"hostname":"pc-09","pid":"812","protocol":"6","local_address":"10.0.0.9","local_port":"40000","remote_address":"77.74.181.1","remote_port":"443","path":"/opt/kaspersky/kesl/libexec/kesl"}]"#;
    let (collected, outcome) = read("rows.json", with_host.as_bytes());
    assert_eq!(collected.installations[0].host, host("pc-09"));
    assert_eq!(
        collected.installations[0].version.as_deref(),
        Some("12.1.0-1297")
    );
    assert_eq!(
        collected.installations[1].source,
        InstallSource::RunningProcess
    );
    // No time in osqueryi output: no connection, and a problem saying so.
    assert!(collected.connections.is_empty());
    assert_eq!(outcome.problems.count, 1);
    assert!(outcome.problems.kept[0].reason.contains("no time"));
}

#[test]
fn utf16_reg_export_of_uninstall_keys() {
    let export = fixtures::reg_export();
    let (collected, outcome) = read("uninstall.reg", &export);
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    let names: Vec<&str> = collected
        .installations
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "7-Zip 23.01 (x64)",
            "Kaspersky Endpoint Security for Windows",
            "Microsoft Teams"
        ]
    );
    let kes = named(
        &collected.installations,
        "Kaspersky Endpoint Security for Windows",
    );
    assert_eq!(kes.version.as_deref(), Some("12.6.0.438"));
    assert_eq!(kes.publisher.as_deref(), Some("AO Kaspersky Lab"));
    assert_eq!(
        kes.location.as_deref(),
        Some(r"C:\Program Files (x86)\Kaspersky Lab\KES.12.6\")
    );
    assert!(kes.host.is_unknown());
    assert_eq!(kes.source, InstallSource::WindowsProgram);
    // The reference points at the key's line, in UTF-16 bytes.
    let text = String::from_utf16_lossy(
        &export[2..]
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect::<Vec<_>>(),
    );
    let key = text
        .find("[HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node")
        .unwrap();
    assert_eq!(
        kes.evidence.offset,
        2 + 2 * text[..key].encode_utf16().count() as u64
    );
    assert_eq!(product_of(&kes.name).as_deref(), Some(KES));
    // Uninstall entries: 7-Zip, Kaspersky, KB5034441 (no DisplayName), Teams.
    assert_eq!((outcome.records, outcome.other_records), (4, 1));
}

#[test]
fn powershell_json_and_csv_listings() {
    let (packages, outcome) = read("packages.json", fixtures::get_package_json().as_bytes());
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    assert_eq!(packages.installations.len(), 2);
    let kes = named(
        &packages.installations,
        "Kaspersky Endpoint Security for Windows",
    );
    assert_eq!(kes.version.as_deref(), Some("12.6.0.438"));
    assert_eq!(
        kes.publisher, None,
        "ProviderName is the package provider, not a publisher"
    );
    assert!(kes.host.is_unknown());

    let (cim, outcome) = read("product.json", fixtures::cim_product_json().as_bytes());
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    let [agent] = cim.installations.as_slice() else {
        panic!("{:?}", cim.installations);
    };
    assert_eq!(agent.name, "Kaspersky Security Center Network Agent");
    assert_eq!(agent.version.as_deref(), Some("14.0.0.10902"));
    assert_eq!(agent.publisher.as_deref(), Some("AO Kaspersky Lab"));
    assert_eq!(agent.host, host("pc-02"));
    assert_eq!(product_of(&agent.name).as_deref(), Some(NETWORK_AGENT));

    let csv = fixtures::get_package_csv();
    let (packages, outcome) = read("packages.csv", csv.as_bytes());
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    let names: Vec<&str> = packages
        .installations
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Kaspersky Endpoint Security for Windows",
            "7-Zip 23.01 (x64)"
        ]
    );
    let kes = &packages.installations[0];
    assert_eq!(kes.version.as_deref(), Some("12.6.0.438"));
    assert_eq!(kes.evidence.record, 3);
    assert_eq!(kes.evidence.offset, csv.find("\"Kaspersky").unwrap() as u64);
    // The record after the multi-line field starts on line 5.
    assert_eq!(packages.installations[1].evidence.record, 5);

    let (cim, outcome) = read("products.csv", &fixtures::cim_product_csv());
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    let [agent] = cim.installations.as_slice() else {
        panic!("{:?}", cim.installations);
    };
    assert_eq!(agent.publisher.as_deref(), Some("AO Kaspersky Lab"));
    assert_eq!(agent.host, host("pc-03"));
    assert_eq!(
        agent.location.as_deref(),
        Some(r"C:\Program Files (x86)\Kaspersky Lab\NetworkAgent\")
    );
}

#[test]
fn dpkg_status_reports_packages_whose_files_are_on_disk() {
    let status = fixtures::dpkg_status();
    let (collected, outcome) = read("status", status.as_bytes());
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    let names: Vec<&str> = collected
        .installations
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(names, ["adduser", "kesl", "klnagent64"]);
    let kesl = named(&collected.installations, "kesl");
    assert_eq!(kesl.source, InstallSource::DebPackage);
    assert_eq!(kesl.version.as_deref(), Some("12.1.0-1297"));
    assert_eq!(
        kesl.publisher.as_deref(),
        Some("AO Kaspersky Lab <support@kaspersky.com>")
    );
    assert!(kesl.host.is_unknown());
    assert_eq!(
        kesl.evidence.offset,
        status.find("Package: kesl").unwrap() as u64
    );
    assert_eq!(product_of("kesl").as_deref(), Some(KES));
    assert_eq!(product_of("klnagent64").as_deref(), Some(NETWORK_AGENT));
    assert_eq!((outcome.records, outcome.other_records), (4, 1));
}

#[test]
fn rpm_qa_lines_become_packages() {
    let listing = fixtures::rpm_qa();
    let (collected, outcome) = read("rpm-qa.txt", listing.as_bytes());
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    let got: Vec<(&str, Option<&str>)> = collected
        .installations
        .iter()
        .map(|i| (i.name.as_str(), i.version.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("kesl", Some("12.1.0-1297")),
            ("perl-Data-Dumper", Some("2.183-1.el9")),
            ("gpg-pubkey", Some("fd431d51-4ae0493b")),
            ("klnagent64", Some("15.1.0-20748")),
            ("kesl-gui", Some("12.1.0-1297")),
        ]
    );
    assert!(
        collected
            .installations
            .iter()
            .all(|i| i.source == InstallSource::RpmPackage)
    );
    assert_eq!(product_of("kesl-gui").as_deref(), Some(KES));
    assert_eq!(collected.installations[3].evidence.record, 4);
}

#[test]
fn evidence_sniffing_routes_inventories_to_this_reader() {
    let dir = std::env::temp_dir().join(format!("ringfence-inventory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: [(&str, Vec<u8>); 4] = [
        ("uninstall.reg", fixtures::reg_export()),
        ("results.log", fixtures::osquery_log().into_bytes()),
        ("status", fixtures::dpkg_status().as_bytes().to_vec()),
        ("rpm.txt", fixtures::rpm_qa().as_bytes().to_vec()),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let label = path.to_string_lossy();
        let opened = open_evidence(&label).unwrap();
        assert_eq!(
            opened.format,
            EvidenceFormat::Records(RecordFormat::Inventory),
            "{name}"
        );
        let Ok(EvidenceReader::Records(format, stream)) = opened.into_reader() else {
            panic!("{name}");
        };
        let mut collected = common::Collected::default();
        let summary = read_records(format, stream, 0, &mut collected);
        assert_eq!(summary.problem_count, 0, "{name}: {:?}", summary.problems);
        assert!(summary.records > 0, "{name}");
        assert_eq!(summary.evidence.bytes, bytes.len() as u64);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
