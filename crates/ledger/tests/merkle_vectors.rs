//! Every transparency-dev/merkle inclusion and consistency vector, positive and negative.
//! (The subtree* vectors test draft-ietf-plants subtree proofs, which the ledger does not use.)

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ringfence_ledger::hash::Hash;
use ringfence_ledger::proof::{verify_consistency, verify_inclusion};
use serde_json::Value;

fn hash(v: &Value) -> Option<Hash> {
    let b = B64.decode(v.as_str()?).ok()?;
    Hash::from_slice(&b)
}

/// Roots in some vectors are placeholders ("don't care 1") compared only for equality; stand
/// them in by their SHA-256, which keeps equal placeholders equal and distinct ones distinct.
fn root(v: &Value) -> Option<Hash> {
    let b = B64.decode(v.as_str()?).ok()?;
    Some(Hash::from_slice(&b).unwrap_or_else(|| ringfence_ledger::hash::sha256(&b)))
}

fn hashes(v: &Value) -> Option<Vec<Hash>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Array(a) => a.iter().map(hash).collect(),
        _ => None,
    }
}

fn files(kind: &str) -> Vec<std::path::PathBuf> {
    let root = common::tlog_data("transparency-dev-merkle/testdata").join(kind);
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn inclusion_vectors() {
    let all = files("inclusion");
    assert!(
        all.len() > 50,
        "expected the inclusion vectors, found {}",
        all.len()
    );
    let (mut pos, mut neg) = (0, 0);
    for f in all {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let want_err = v["wantErr"].as_bool().unwrap();
        let got = (|| {
            let leaf = hash(&v["leafHash"]).ok_or("leaf")?;
            let root = root(&v["root"]).ok_or("root")?;
            let proof = hashes(&v["proof"]).ok_or("proof")?;
            verify_inclusion(
                v["leafIdx"].as_u64().unwrap(),
                v["treeSize"].as_u64().unwrap(),
                &leaf,
                &proof,
                &root,
            )
            .map_err(|_| "verify")
        })();
        assert_eq!(got.is_err(), want_err, "{}: {got:?}", f.display());
        if want_err { neg += 1 } else { pos += 1 }
    }
    assert!(pos >= 5 && neg >= 50, "positive {pos}, negative {neg}");
}

#[test]
fn consistency_vectors() {
    let all = files("consistency");
    assert!(
        all.len() > 80,
        "expected the consistency vectors, found {}",
        all.len()
    );
    let (mut pos, mut neg) = (0, 0);
    for f in all {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let want_err = v["wantErr"].as_bool().unwrap();
        let got = (|| {
            let r1 = root(&v["root1"]).ok_or("root1")?;
            let r2 = root(&v["root2"]).ok_or("root2")?;
            let proof = hashes(&v["proof"]).ok_or("proof")?;
            verify_consistency(
                v["size1"].as_u64().unwrap(),
                v["size2"].as_u64().unwrap(),
                &proof,
                &r1,
                &r2,
            )
            .map_err(|_| "verify")
        })();
        assert_eq!(got.is_err(), want_err, "{}: {got:?}", f.display());
        if want_err { neg += 1 } else { pos += 1 }
    }
    assert!(pos >= 5 && neg >= 60, "positive {pos}, negative {neg}");
}
