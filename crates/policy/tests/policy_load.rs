//! Loading packs and user files: validation against the schema, ids, digests, and errors with
//! file, line and column.

use ringfence_policy::{PolicyError, PolicySet, PolicySource, pack_names};
use std::path::PathBuf;

fn temp_file(name: &str, text: &str) -> (PathBuf, PathBuf) {
    let dir =
        std::env::temp_dir().join(format!("ringfence-policy-{}-{}", name, std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let file = dir.join(format!("{name}.cedar"));
    std::fs::write(&file, text).expect("write policy file");
    (dir, file)
}

#[test]
fn every_bundled_pack_validates_against_the_schema() {
    for pack in pack_names() {
        let set = PolicySet::load(&[pack.to_string()]).unwrap_or_else(|e| panic!("{pack}: {e}"));
        let ids = set.policy_ids();
        assert!(!ids.is_empty());
        assert!(
            ids.iter().all(|id| id.starts_with(&format!("{pack}-"))),
            "{pack}: {ids:?}"
        );
    }
    let ids = PolicySet::load(&["ncsc-2017".into()])
        .expect("ncsc")
        .policy_ids();
    assert_eq!(
        ids,
        vec![
            "ncsc-2017-egress-controlled-ru",
            "ncsc-2017-egress-located-ru",
            "ncsc-2017-egress-otherwise",
            "ncsc-2017-egress-ru-supplier",
            "ncsc-2017-install-otherwise",
            "ncsc-2017-install-ru-supplier",
        ]
    );
}

#[test]
fn every_cedar_file_in_a_pack_folder_is_bundled() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies");
    for pack in pack_names() {
        let dir = PathBuf::from(root).join(pack);
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "cedar"))
            .map(|p| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
            .collect();
        let set = PolicySet::load(&[pack.to_string()]).expect("pack loads");
        let mut bundled: Vec<String> = set.sources().iter().map(|s| s.text.clone()).collect();
        on_disk.sort();
        bundled.sort();
        assert_eq!(
            on_disk,
            bundled,
            "pack {pack}: bundled files differ from {}",
            dir.display()
        );
        // The folder loaded as user files gives the same policies and the same digest.
        let from_folder = PolicySet::load(&[dir.display().to_string()]).expect("folder loads");
        assert_eq!(from_folder.policy_ids(), set.policy_ids());
        assert_eq!(from_folder.sha256(), set.sha256());
    }
}

#[test]
fn digest_is_stable_and_depends_on_the_texts_only() {
    let a = PolicySet::load(&["ncsc-2017".into(), "bod-17-01".into()]).expect("loads");
    let b = PolicySet::load(&["bod-17-01".into(), "ncsc-2017".into(), "ncsc-2017".into()])
        .expect("loads");
    assert_eq!(a.sha256(), b.sha256());
    assert_eq!(a.sha256().len(), 64);
    let c = PolicySet::load(&["ncsc-2017".into()]).expect("loads");
    assert_ne!(a.sha256(), c.sha256());
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let text = "@id(\"ok\")\npermit (principal, action, resource);\n\n@id(\"broken\")\nforbid (principal, action == Action::\"egress\", resource)\nwhen { principal.national_security && };\n";
    let (dir, file) = temp_file("syntax", text);
    let err = PolicySet::load(&[file.display().to_string()]).expect_err("syntax error");
    std::fs::remove_dir_all(&dir).ok();
    let PolicyError::Syntax(diagnostics) = &err else {
        panic!("expected a syntax error, got {err}")
    };
    let first = diagnostics.first().expect("one diagnostic");
    assert_eq!(first.location.file, file.display().to_string());
    // The `}` after `&&` on line 6: "when { principal.national_security && }" → column 39.
    assert_eq!(
        (first.location.line, first.location.column),
        (6, 39),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains(&format!("{}:6:39: ", file.display())),
        "{err}"
    );
}

#[test]
fn a_policy_violating_the_schema_is_a_validation_error_with_its_location() {
    let text = "// a typo in an attribute name\n@id(\"typo\")\nforbid (principal, action == Action::\"install\", resource)\nwhen { principal.national_securty };\n";
    let (dir, file) = temp_file("schema", text);
    let err = PolicySet::load(&[file.display().to_string()]).expect_err("validation error");
    std::fs::remove_dir_all(&dir).ok();
    let PolicyError::Validation(diagnostics) = &err else {
        panic!("expected a validation error, got {err}")
    };
    let first = diagnostics.first().expect("one diagnostic");
    assert_eq!(first.location.file, file.display().to_string());
    assert_eq!(first.location.line, 4, "{err}");
    // The span starts at `principal.national_securty` (column 8).
    assert_eq!(first.location.column, 8, "{err}");
    assert!(first.message.contains("national_securty"), "{err}");
}

#[test]
fn an_unknown_entity_type_is_a_validation_error_in_the_right_file() {
    let sources = vec![
        PolicySource {
            name: "good.cedar".into(),
            text: "@id(\"g\") permit (principal, action, resource);".into(),
        },
        PolicySource {
            name: "bad.cedar".into(),
            text: "@id(\"b\")\nforbid (principal, action, resource in Vendor::\"x\");".into(),
        },
    ];
    let err = PolicySet::from_sources(sources).expect_err("unknown type");
    let diagnostics = err.diagnostics();
    assert!(!diagnostics.is_empty(), "{err}");
    assert!(
        diagnostics
            .iter()
            .all(|d| d.location.file == "bad.cedar" && d.location.line == 2),
        "{err}"
    );
}

#[test]
fn duplicate_ids_are_refused_with_both_places() {
    let sources = vec![
        PolicySource {
            name: "a.cedar".into(),
            text: "@id(\"same\") permit (principal, action, resource);".into(),
        },
        PolicySource {
            name: "b.cedar".into(),
            text: "\n\n@id(\"same\")\nforbid (principal, action, resource);".into(),
        },
    ];
    let err = PolicySet::from_sources(sources).expect_err("duplicate");
    assert_eq!(
        err.to_string(),
        "b.cedar:3:5: policy id 'same' is already used at a.cedar:1:5"
    );
}

#[test]
fn unnamed_policies_get_file_and_position_ids() {
    let sources = vec![PolicySource {
        name: "mine.cedar".into(),
        text: "permit (principal, action, resource);\nforbid (principal, action == Action::\"install\", resource);".into(),
    }];
    let set = PolicySet::from_sources(sources).expect("loads");
    assert_eq!(set.policy_ids(), vec!["mine.cedar#1", "mine.cedar#2"]);
}

#[test]
fn unknown_names_and_empty_lists_are_errors() {
    let err = PolicySet::load(&["no-such-pack".into()]).expect_err("not found");
    assert!(
        err.to_string().contains("no-such-pack") && err.to_string().contains("ncsc-2017"),
        "{err}"
    );
    assert!(matches!(PolicySet::load(&[]), Err(PolicyError::Empty(_))));
}
