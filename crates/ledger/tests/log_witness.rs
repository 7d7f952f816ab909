//! End to end: a log on disk with two real witnesses on 127.0.0.1, concurrent appends,
//! receipts verified offline against a tlog-policy, the witness protocol's status codes, and
//! the monitor (including a fork).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use ringfence_ledger::entry::{FindingCounts, REPORT_KIND, ReportCommitment, TimeRange};
use ringfence_ledger::hash::{Hash, empty_root, leaf_hash};
use ringfence_ledger::keys::KeyRing;
use ringfence_ledger::log::{default_key_path, default_vkey_path, default_witnesses_path};
use ringfence_ledger::monitor::monitor;
use ringfence_ledger::note::{SignedNote, sign_checkpoint};
use ringfence_ledger::proof::verify_consistency;
use ringfence_ledger::tile_source::FsTiles;
use ringfence_ledger::witness_server::{Witness, serve};
use ringfence_ledger::{
    Checkpoint, KeyKind, Log, Policy, ReceiptError, SignerKey, TlogProof, init_log, verify_receipt,
};

struct RunningWitness {
    url: String,
    key: SignerKey,
    _stop: tokio::sync::oneshot::Sender<()>,
    _thread: std::thread::JoinHandle<()>,
}

fn start_witness(name: &str, seed: u8, log_keys: KeyRing, state: &Path) -> RunningWitness {
    let key = SignerKey::from_seed(name, KeyKind::CosignatureV1, [seed; 32]).unwrap();
    let witness = Arc::new(Witness::new(key.clone(), log_keys, state).unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            serve(witness, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
    });
    let addr = addr_rx.recv().unwrap();
    RunningWitness {
        url: format!("http://{addr}"),
        key,
        _stop: tx,
        _thread: thread,
    }
}

fn commitment(i: u64) -> Vec<u8> {
    ReportCommitment {
        kind: REPORT_KIND.into(),
        report_sha256: ringfence_ledger::hash::sha256(&i.to_be_bytes()).to_hex(),
        inputs: BTreeMap::from([("evidence/capture.pcap".to_string(), "00".repeat(32))]),
        findings: FindingCounts {
            deny: i % 3,
            unknown: i % 5,
        },
        time_range: Some(TimeRange {
            first: "2017-12-01T00:00:00Z".into(),
            last: "2017-12-01T01:00:00Z".into(),
        }),
        policy_ids: vec!["ncsc-2017".into()],
        ringfence_version: "0.1.0".into(),
    }
    .to_entry()
    .unwrap()
}

fn post(url: &str, body: Vec<u8>) -> (u16, String, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent
        .post(&format!("{url}/add-checkpoint"))
        .send(&body[..])
        .unwrap();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (
        resp.status().as_u16(),
        ct,
        resp.body_mut().read_to_string().unwrap(),
    )
}

#[test]
fn log_with_witnesses_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let origin = "ringfence.test/log";
    let vkey = init_log(
        &dir,
        origin,
        &default_key_path(&dir),
        &default_vkey_path(&dir),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(default_key_path(&dir))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "private key must be mode 0600");
    }
    let log_keys = KeyRing(vec![vkey.clone()]);
    let w1 = start_witness("w1.test", 1, log_keys.clone(), &tmp.path().join("w1"));
    let w2 = start_witness("w2.test", 2, log_keys.clone(), &tmp.path().join("w2"));
    let witnesses_policy = format!(
        "witness w1 {} {}\nwitness w2 {} {}\ngroup both all w1 w2\nquorum both\n",
        w1.key.verifier().to_vkey(),
        w1.url,
        w2.key.verifier().to_vkey(),
        w2.url
    );
    std::fs::write(default_witnesses_path(&dir), &witnesses_policy).unwrap();
    let verifier_policy =
        Policy::parse(format!("log {}\n{witnesses_policy}", vkey.to_vkey()).as_bytes()).unwrap();

    let log = Arc::new(Log::open(&dir).unwrap());
    // Four threads append concurrently; indices must be unique and cover 0..n.
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for i in 0..25u64 {
                    let n = t * 1000 + i;
                    let idx = log.append(vec![commitment(n)]).unwrap();
                    got.push((idx[0], n));
                }
                got
            })
        })
        .collect();
    let mut all: Vec<(u64, u64)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort();
    assert_eq!(
        all.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        (0..100).collect::<Vec<_>>()
    );
    let more = log
        .append((0..300).map(|i| commitment(10_000 + i)).collect())
        .unwrap();
    assert_eq!(more, (100..400).collect::<Vec<_>>());

    // Every receipt verifies offline with the policy and names both witnesses.
    for (idx, n) in all.iter().step_by(7) {
        let proof = log.receipt(*idx).unwrap();
        let text = proof.to_text();
        let parsed = TlogProof::parse(&text).unwrap();
        assert_eq!(parsed, proof);
        let ok = verify_receipt(&commitment(*n), &parsed, &verifier_policy).unwrap();
        assert_eq!(ok.checkpoint.size, 400);
        assert_eq!(ok.witnesses, vec!["w1".to_string(), "w2".to_string()]);
        // The wrong entry, another index, or a policy demanding an unknown witness all fail.
        assert!(matches!(
            verify_receipt(&commitment(n + 1), &parsed, &verifier_policy),
            Err(ReceiptError::Inclusion(_))
        ));
    }
    let proof = log.receipt(5).unwrap();
    let entry5 = commitment(all[5].1);
    let mut wrong_index = proof.clone();
    wrong_index.index = 6;
    assert!(verify_receipt(&entry5, &wrong_index, &verifier_policy).is_err());
    let stranger = SignerKey::from_seed("w3.test", KeyKind::CosignatureV1, [3; 32]).unwrap();
    let strict = Policy::parse(
        format!(
            "log {}\nwitness w3 {}\nquorum w3\n",
            vkey.to_vkey(),
            stranger.verifier().to_vkey()
        )
        .as_bytes(),
    )
    .unwrap();
    assert!(matches!(
        verify_receipt(&entry5, &proof, &strict),
        Err(ReceiptError::Quorum(_))
    ));
    let other_log = SignerKey::from_seed(origin, KeyKind::Ed25519, [4; 32]).unwrap();
    let wrong_log =
        Policy::parse(format!("log {}\nquorum none\n", other_log.verifier().to_vkey()).as_bytes())
            .unwrap();
    assert!(matches!(
        verify_receipt(&entry5, &proof, &wrong_log),
        Err(ReceiptError::LogSignature(_))
    ));
    let no_witness =
        Policy::parse(format!("log {}\nquorum none\n", vkey.to_vkey()).as_bytes()).unwrap();
    verify_receipt(&entry5, &proof, &no_witness).unwrap();

    // Consistency proofs between any two sizes verify against roots rebuilt independently.
    let leaves: Vec<Hash> = (0..400u64)
        .map(|i| {
            let n = all
                .get(i as usize)
                .map(|(_, n)| *n)
                .unwrap_or(10_000 + i - 100);
            leaf_hash(&commitment(n))
        })
        .collect();
    for (a, b) in [
        (1u64, 400u64),
        (100, 400),
        (255, 257),
        (256, 400),
        (399, 400),
        (400, 400),
    ] {
        let p = log.consistency(a, b).unwrap();
        let ra = ringfence_ledger::hash::root_of_hashes(&leaves[..a as usize]);
        let rb = ringfence_ledger::hash::root_of_hashes(&leaves[..b as usize]);
        verify_consistency(a, b, &p, &ra, &rb).unwrap();
    }

    // Reopening gives the same checkpoint; the monitor re-hashes everything and is content.
    let (note, cp) = log.checkpoint().unwrap();
    drop(log);
    let reopened = Log::open(&dir).unwrap();
    assert_eq!(reopened.checkpoint().unwrap().1, cp);
    let report = monitor(
        &FsTiles(dir.clone()),
        &vkey,
        &[(100, ringfence_ledger::hash::root_of_hashes(&leaves[..100]))],
    )
    .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.entries, 400);
    // A checkpoint seen earlier with a different root is a fork.
    let forked = monitor(&FsTiles(dir.clone()), &vkey, &[(100, leaf_hash(b"fork"))]).unwrap();
    assert!(
        forked.problems.iter().any(|p| p.contains("fork")),
        "{:?}",
        forked.problems
    );
    let ahead = monitor(&FsTiles(dir.clone()), &vkey, &[(500, leaf_hash(b"x"))]).unwrap();
    assert!(!ahead.problems.is_empty());

    // Witness protocol status codes, against w1, which has cosigned size 400.
    let key = ringfence_ledger::log::read_signer_key(&default_key_path(&dir)).unwrap();
    let body = |old: u64, proof: &[Hash], note: &SignedNote| {
        let mut s = format!("old {old}\n");
        for h in proof {
            s.push_str(&format!("{h}\n"));
        }
        s.push('\n');
        let mut b = s.into_bytes();
        b.extend(note.to_bytes());
        b
    };
    let (status, ct, text) = post(&w1.url, body(0, &[], &note));
    assert_eq!(
        (status, ct.as_str(), text.as_str()),
        (409, "text/x.tlog.size", "400\n")
    );
    let (status, _, text) = post(&w1.url, body(400, &[], &note));
    assert_eq!(status, 200, "{text}");
    let cosigned = SignedNote {
        body: note.body.clone(),
        signatures: vec![signed_note::Signature::from_bytes(text.trim_end().as_bytes()).unwrap()],
    };
    cosigned
        .verified_by(&KeyRing(vec![w1.key.verifier()]))
        .unwrap();
    let unknown = SignerKey::from_seed("unknown.test/log", KeyKind::Ed25519, [5; 32]).unwrap();
    let unknown_note = sign_checkpoint(
        &Checkpoint {
            origin: "unknown.test/log".into(),
            size: 0,
            root: empty_root(),
            extensions: vec![],
        },
        &unknown,
    )
    .unwrap();
    assert_eq!(post(&w1.url, body(0, &[], &unknown_note)).0, 404);
    let impostor = SignerKey::from_seed(origin, KeyKind::Ed25519, [6; 32]).unwrap();
    let fake = sign_checkpoint(
        &Checkpoint {
            origin: origin.into(),
            size: 500,
            root: leaf_hash(b"x"),
            extensions: vec![],
        },
        &impostor,
    )
    .unwrap();
    assert_eq!(post(&w1.url, body(400, &[], &fake)).0, 403);
    // A validly signed checkpoint that forks the log: the proof cannot verify.
    let fork = sign_checkpoint(
        &Checkpoint {
            origin: origin.into(),
            size: 401,
            root: leaf_hash(b"fork"),
            extensions: vec![],
        },
        &key,
    )
    .unwrap();
    let p = vec![leaf_hash(b"a"); 9];
    assert_eq!(post(&w1.url, body(400, &p, &fork)).0, 422);
    assert_eq!(post(&w1.url, body(402, &[], &fork)).0, 400);
    assert_eq!(post(&w1.url, b"garbage".to_vec()).0, 400);
    let empty_bad = sign_checkpoint(
        &Checkpoint {
            origin: origin.into(),
            size: 0,
            root: leaf_hash(b"x"),
            extensions: vec![],
        },
        &key,
    )
    .unwrap();
    assert_eq!(post(&w1.url, body(0, &[], &empty_bad)).0, 422);
    // The monitoring endpoint serves the latest cosigned checkpoint.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let origin_hash = ringfence_ledger::hash::sha256(origin.as_bytes()).to_hex();
    let mut resp = agent
        .get(&format!("{}/{origin_hash}/checkpoint", w1.url))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let served = SignedNote::parse(resp.body_mut().read_to_string().unwrap().as_bytes()).unwrap();
    assert_eq!(served.checkpoint().unwrap().size, 400);
    served
        .verified_by(&KeyRing(vec![w1.key.verifier()]))
        .unwrap();
    served.verified_by(&log_keys).unwrap();
    assert_eq!(
        agent
            .get(&format!("{}/{}/checkpoint", w1.url, "0".repeat(64)))
            .call()
            .unwrap()
            .status()
            .as_u16(),
        404
    );
}
