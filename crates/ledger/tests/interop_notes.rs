//! Interoperability with published signed notes, keys and logs: the C2SP signed-note example,
//! Go's note test vector, the Sunlight test log (tiles, mirror and witness cosignatures) and the
//! CCTV Ed25519 edge cases.

mod common;

use ringfence_ledger::hash::{Hash, root_of_hashes};
use ringfence_ledger::keys::{KeyKind, KeyRing, SignerKey, VerifierKey, verify_ed25519};
use ringfence_ledger::note::SignedNote;
use ringfence_ledger::proof::range_root;
use ringfence_ledger::tile_source::{FsTiles, TileNodes, read_hash_tile};
use serde_json::Value;

#[test]
fn c2sp_signed_note_example_verifies() {
    let vkey =
        VerifierKey::parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
            .unwrap();
    // The note exactly as printed in signed-note.md, which is read to be sure it is the same.
    let spec = std::fs::read_to_string(common::tlog_data("c2sp/signed-note.md")).unwrap();
    let note = "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    assert!(
        spec.contains(note),
        "signed-note.md no longer holds the example"
    );
    let parsed = SignedNote::parse(note.as_bytes()).unwrap();
    assert_eq!(
        parsed
            .verified_by(&KeyRing(vec![vkey.clone()]))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(parsed.to_bytes(), note.as_bytes());
    let tampered = note.replace("example message", "example massage");
    assert!(
        SignedNote::parse(tampered.as_bytes())
            .unwrap()
            .verified_by(&KeyRing(vec![vkey]))
            .is_err()
    );
    // The poem at the top of the spec parses as a note (its key is not published).
    let poem = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
    assert!(spec.contains(poem));
    let p = SignedNote::parse(poem.as_bytes()).unwrap();
    assert_eq!(p.signatures.len(), 1);
    assert!(p.body.ends_with("sera.\n".as_bytes()));
}

#[test]
fn go_note_test_vector_signs_and_verifies() {
    // From golang.org/x/mod/sumdb/note note_test.go (TestSign/TestOpen).
    let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    let signed = format!(
        "{text}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    );
    let key = SignerKey::parse(skey).unwrap();
    assert_eq!(key.verifier().to_vkey(), vkey);
    let sig = key.sign_note(text.as_bytes(), 0).unwrap();
    let ours = SignedNote {
        body: text.as_bytes().to_vec(),
        signatures: vec![sig],
    };
    assert_eq!(String::from_utf8(ours.to_bytes()).unwrap(), signed);
    let theirs = SignedNote::parse(signed.as_bytes()).unwrap();
    theirs
        .verified_by(&KeyRing(vec![VerifierKey::parse(vkey).unwrap()]))
        .unwrap();
}

fn witness_key(json_rel: &str) -> VerifierKey {
    let v: Value =
        serde_json::from_slice(&std::fs::read(common::tlog_data(json_rel)).unwrap()).unwrap();
    let k = v["verifier_keys"][0].as_str().unwrap();
    let key = VerifierKey::parse(k).unwrap();
    assert_eq!(key.kind, KeyKind::CosignatureV1);
    key
}

const SKY: &str = "sunlight/cmd/skylight/testdata";
const ORIGIN_HASH: &str = "000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706";

#[test]
fn sunlight_mirror_tiles_rebuild_the_cosigned_root() {
    let mirror = common::tlog_data(&format!("{SKY}/witness/mirror/{ORIGIN_HASH}"));
    let note = SignedNote::parse(&std::fs::read(mirror.join("checkpoint")).unwrap()).unwrap();
    let cp = note.checkpoint().unwrap();
    assert_eq!(
        (cp.origin.as_str(), cp.size),
        ("rome2026h1.example.org", 300)
    );
    // The directory name is the SHA-256 of the origin, as tlog-witness monitoring URLs use.
    assert_eq!(
        ringfence_ledger::hash::sha256(cp.origin.as_bytes()).to_hex(),
        ORIGIN_HASH
    );
    let tiles = FsTiles(mirror.clone());
    let mut leaves = read_hash_tile(&tiles, 0, 0, 256).unwrap();
    leaves.extend(read_hash_tile(&tiles, 0, 1, 44).unwrap());
    assert_eq!(root_of_hashes(&leaves), cp.root);
    // The level-1 tile holds the hash of the full level-0 tile.
    assert_eq!(
        read_hash_tile(&tiles, 1, 0, 1).unwrap(),
        vec![root_of_hashes(&leaves[..256])]
    );
    // And proofs computed from the tiles reach the same root.
    assert_eq!(
        range_root(&mut TileNodes::new(&tiles, 300), 0, 300).unwrap(),
        cp.root
    );
    // The mirror's cosignature/v1 verifies with the key in mirror.v0.json.
    let key = witness_key(&format!("{SKY}/witness/mirror/mirror.v0.json"));
    assert_eq!(
        note.verified_by(&KeyRing(vec![key.clone()])).unwrap().len(),
        1
    );
    let mut forged = note.clone();
    forged.body = forged.body.replace_last_size();
    assert!(forged.verified_by(&KeyRing(vec![key])).is_err());
}

trait ReplaceSize {
    fn replace_last_size(&self) -> Vec<u8>;
}
impl ReplaceSize for Vec<u8> {
    fn replace_last_size(&self) -> Vec<u8> {
        String::from_utf8(self.clone())
            .unwrap()
            .replacen("\n300\n", "\n301\n", 1)
            .into_bytes()
    }
}

#[test]
fn sunlight_witness_cosignatures_verify() {
    let w1 = witness_key(&format!("{SKY}/witness/witness.v0.json"));
    let note = SignedNote::parse(
        &std::fs::read(common::tlog_data(&format!(
            "{SKY}/witness/{ORIGIN_HASH}/checkpoint"
        )))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        note.signatures.len(),
        2,
        "log signature and one cosignature"
    );
    let ok = note.verified_by(&KeyRing(vec![w1.clone()])).unwrap();
    assert_eq!(ok[0].name(), "witness.example.org");
    // The log's own signature is an RFC 6962 (ECDSA, type 0x05) note signature: unknown to an
    // Ed25519 key ring, so it is ignored rather than failing the note.
    assert_eq!(
        note.checkpoint().unwrap().root.to_base64(),
        "lCkHUpkmVBEms2r2T1K6Og69+wUuuN3MIEW1/ezu2v0="
    );

    let w2 = witness_key(&format!("{SKY}/witness2/witness.v0.json"));
    let dir = common::tlog_data(&format!("{SKY}/witness2"));
    let entry = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let note2 = SignedNote::parse(&std::fs::read(entry.join("checkpoint")).unwrap()).unwrap();
    assert_eq!(
        note2.checkpoint().unwrap().origin,
        "milan2026h1.example.org"
    );
    note2.verified_by(&KeyRing(vec![w2.clone()])).unwrap();
    // A witness's key does not verify another witness's cosignature.
    assert!(note2.verified_by(&KeyRing(vec![w1])).is_err());
    // The published skylight tree checkpoint carries only the ECDSA log signature.
    let tree = SignedNote::parse(
        &std::fs::read(common::tlog_data(&format!("{SKY}/tree/checkpoint"))).unwrap(),
    )
    .unwrap();
    assert!(tree.verified_by(&KeyRing(vec![w2])).is_err());
}

#[test]
fn cctv_ed25519_edge_cases() {
    let v: Value = serde_json::from_slice(
        &std::fs::read(common::tlog_data("cctv/ed25519/ed25519vectors.json")).unwrap(),
    )
    .unwrap();
    let vectors = v.as_array().unwrap();
    assert!(vectors.len() > 100);
    let (mut accepted, mut rejected) = (0, 0);
    for vec in vectors {
        let key: [u8; 32] = hex::decode(vec["key"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let sig = hex::decode(vec["sig"].as_str().unwrap()).unwrap();
        let msg = vec["msg"].as_str().unwrap().as_bytes();
        let flags: Vec<&str> = vec["flags"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // verify_strict accepts only vectors whose sole oddity is a low-order *component*
        // (a point with a prime-order part too, which no blocklist can catch).
        let expect_accept = flags
            .iter()
            .all(|f| matches!(*f, "low_order_component_A" | "low_order_component_R"));
        let got = ed25519_dalek::VerifyingKey::from_bytes(&key)
            .map(|k| verify_ed25519(&k, msg, &sig))
            .unwrap_or(false);
        assert_eq!(
            got, expect_accept,
            "vector {} flags {flags:?}",
            vec["number"]
        );
        if got { accepted += 1 } else { rejected += 1 }
    }
    eprintln!("CCTV ed25519: accepted {accepted}, rejected {rejected}");
    assert!(accepted > 0 && rejected > 0);
}

#[test]
fn hash_type_is_32_bytes() {
    assert!(Hash::from_slice(&[0; 31]).is_none());
}

#[test]
fn sunlight_log_signature_verifies_with_the_key_in_its_log_list_entry() {
    use base64::Engine as _;
    use ringfence_ledger::rfc6962::Rfc6962Key;

    let list: Value = serde_json::from_slice(
        &std::fs::read(common::tlog_data(&format!("{SKY}/tree/log.v3.json"))).unwrap(),
    )
    .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let der = b64.decode(list["key"].as_str().unwrap()).unwrap();
    let key = Rfc6962Key::from_spki_der(list["description"].as_str().unwrap(), &der).unwrap();
    // The LogID the list publishes is the SHA-256 of the key.
    assert_eq!(b64.encode(key.log_id), list["log_id"].as_str().unwrap());
    let tree = SignedNote::parse(
        &std::fs::read(common::tlog_data(&format!("{SKY}/tree/checkpoint"))).unwrap(),
    )
    .unwrap();
    // The key ID derived from the name and LogID is the one on the signature line.
    assert_eq!(tree.signatures[0].id(), key.key_id());
    // The signed timestamp is the final tree head's.
    assert_eq!(
        key.verify(&tree).unwrap(),
        list["final_tree_head"]["timestamp"].as_u64().unwrap()
    );
    // The witness's copy of the same checkpoint carries the same log signature.
    let witnessed = SignedNote::parse(
        &std::fs::read(common::tlog_data(&format!(
            "{SKY}/witness/{ORIGIN_HASH}/checkpoint"
        )))
        .unwrap(),
    )
    .unwrap();
    key.verify(&witnessed).unwrap();

    // Another root under the same signature fails.
    let mut forged = tree.clone();
    let body = String::from_utf8(forged.body.clone()).unwrap();
    forged.body = body
        .replace(
            "lCkHUpkmVBEms2r2T1K6Og69+wUuuN3MIEW1/ezu2v0=",
            &Hash([7; 32]).to_base64(),
        )
        .into_bytes();
    assert_eq!(
        key.verify(&forged).unwrap_err(),
        "the ECDSA signature does not verify"
    );
    // A different key (the same bytes under another name) does not match the signature line.
    let other = Rfc6962Key::from_spki_der("milan2026h1.example.org", &der).unwrap();
    assert!(other.verify(&tree).is_err());
    // A key that is not P-256 is refused.
    assert!(Rfc6962Key::from_spki_der("x", &der[..der.len() - 1]).is_err());
}
