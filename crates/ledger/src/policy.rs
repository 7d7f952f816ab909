//! C2SP tlog-policy: trusted logs, witnesses, N-of-M groups and the quorum.

use std::collections::{BTreeMap, BTreeSet};

use crate::keys::{KeyKind, KeyRing, VerifierKey};

/// Limits well above the spec's recommended 32 logs, 32 witnesses and 32 groups.
const MAX_POLICY_BYTES: usize = 256 * 1024;
const MAX_ITEMS: usize = 1024;

/// One log the policy accepts.
#[derive(Debug, Clone)]
pub struct PolicyLog {
    pub key: VerifierKey,
    pub url: Option<String>,
}

/// One witness.
#[derive(Debug, Clone)]
pub struct PolicyWitness {
    pub name: Vec<u8>,
    pub key: VerifierKey,
    pub url: Option<String>,
}

#[derive(Debug, Clone)]
enum Member {
    Witness(usize),
    Group(usize),
}

#[derive(Debug, Clone)]
struct Group {
    threshold: usize,
    members: Vec<Member>,
}

#[derive(Debug, Clone)]
enum Quorum {
    None,
    Witness(usize),
    Group(usize),
}

/// A parsed policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub logs: Vec<PolicyLog>,
    pub witnesses: Vec<PolicyWitness>,
    groups: Vec<Group>,
    quorum: Quorum,
}

fn fields(line: &[u8]) -> Vec<&[u8]> {
    line.split(|b| *b == b' ' || *b == b'\t')
        .filter(|f| !f.is_empty())
        .collect()
}

fn text(field: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(field).map_err(|_| "policy key or URL is not UTF-8".to_string())
}

impl Policy {
    /// Parses a policy file.
    pub fn parse(bytes: &[u8]) -> Result<Policy, String> {
        if bytes.len() > MAX_POLICY_BYTES {
            return Err("policy file too large".into());
        }
        if let Some(b) = bytes
            .iter()
            .find(|b| (**b < 0x20 && **b != b'\t' && **b != b'\n') || **b == 0x7f)
        {
            return Err(format!("policy contains control character 0x{b:02x}"));
        }
        let mut logs: Vec<PolicyLog> = Vec::new();
        let mut witnesses: Vec<PolicyWitness> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut names: BTreeMap<Vec<u8>, Member> = BTreeMap::new();
        let mut quorum: Option<Quorum> = None;
        for (lineno, line) in bytes.split(|b| *b == b'\n').enumerate() {
            let at = |msg: String| format!("policy line {}: {msg}", lineno + 1);
            let f = fields(line);
            let Some(first) = f.first() else { continue };
            if first.starts_with(b"#") {
                continue;
            }
            if logs.len() + witnesses.len() + groups.len() > MAX_ITEMS {
                return Err("policy has too many entries".into());
            }
            match (*first, f.len()) {
                (b"log", 2 | 3) => {
                    let key = VerifierKey::parse(text(f[1]).map_err(at)?).map_err(at)?;
                    if key.kind != KeyKind::Ed25519 {
                        return Err(at("a log key must be an Ed25519 (type 0x01) key".into()));
                    }
                    if logs.iter().any(|l| l.key.same_key(&key)) {
                        return Err(at("duplicate log key".into()));
                    }
                    let url = f
                        .get(2)
                        .map(|u| text(u).map(str::to_string))
                        .transpose()
                        .map_err(at)?;
                    logs.push(PolicyLog { key, url });
                }
                (b"witness", 3 | 4) => {
                    let name = f[1].to_vec();
                    if name == b"none" || names.contains_key(&name) {
                        return Err(at(format!(
                            "name {:?} already defined",
                            String::from_utf8_lossy(&name)
                        )));
                    }
                    let key = VerifierKey::parse(text(f[2]).map_err(at)?).map_err(at)?;
                    if key.kind != KeyKind::CosignatureV1 {
                        return Err(at(
                            "a witness key must be a cosignature/v1 (type 0x04) key".into()
                        ));
                    }
                    if witnesses.iter().any(|w| w.key.same_key(&key)) {
                        return Err(at("duplicate witness key".into()));
                    }
                    let url = f
                        .get(3)
                        .map(|u| text(u).map(str::to_string))
                        .transpose()
                        .map_err(at)?;
                    names.insert(name.clone(), Member::Witness(witnesses.len()));
                    witnesses.push(PolicyWitness { name, key, url });
                }
                (b"group", n) if n >= 4 => {
                    let name = f[1].to_vec();
                    if name == b"none" || names.contains_key(&name) {
                        return Err(at(format!(
                            "name {:?} already defined",
                            String::from_utf8_lossy(&name)
                        )));
                    }
                    let member_names = &f[3..];
                    let mut seen = BTreeSet::new();
                    let mut members = Vec::new();
                    for m in member_names {
                        if !seen.insert(m.to_vec()) {
                            return Err(at("a group lists a member twice".into()));
                        }
                        let member = names.get(*m).cloned().ok_or_else(|| {
                            at(format!("undefined name {:?}", String::from_utf8_lossy(m)))
                        })?;
                        members.push(member);
                    }
                    let threshold = match f[2] {
                        b"all" => members.len(),
                        b"any" => 1,
                        k => {
                            let k = crate::checkpoint::parse_decimal(text(k).map_err(at)?)
                                .ok_or_else(|| {
                                    at("group threshold is not all, any or a number".into())
                                })?;
                            usize::try_from(k).map_err(|_| at("threshold too large".into()))?
                        }
                    };
                    if threshold < 1 || threshold > members.len() {
                        return Err(at(
                            "group threshold must be between 1 and the member count".into()
                        ));
                    }
                    names.insert(name, Member::Group(groups.len()));
                    groups.push(Group { threshold, members });
                }
                (b"quorum", 2) => {
                    if quorum.is_some() {
                        return Err(at("a second quorum line".into()));
                    }
                    quorum = Some(if f[1] == b"none" {
                        Quorum::None
                    } else {
                        match names.get(f[1]) {
                            Some(Member::Witness(i)) => Quorum::Witness(*i),
                            Some(Member::Group(i)) => Quorum::Group(*i),
                            None => {
                                return Err(
                                    at("quorum names an undefined witness or group".into()),
                                );
                            }
                        }
                    });
                }
                _ => {
                    return Err(at(format!(
                        "unrecognised line {:?}",
                        String::from_utf8_lossy(line)
                    )));
                }
            }
        }
        let quorum = quorum.ok_or("policy has no quorum line")?;
        Ok(Policy {
            logs,
            witnesses,
            groups,
            quorum,
        })
    }

    /// The log keys as a key ring.
    pub fn log_keys(&self) -> KeyRing {
        KeyRing(self.logs.iter().map(|l| l.key.clone()).collect())
    }

    /// The witness keys as a key ring.
    pub fn witness_keys(&self) -> KeyRing {
        KeyRing(self.witnesses.iter().map(|w| w.key.clone()).collect())
    }

    /// Whether the witnesses (by index into `witnesses`) that cosigned satisfy the quorum.
    pub fn quorum_met(&self, cosigned: &BTreeSet<usize>) -> bool {
        match self.quorum {
            Quorum::None => true,
            Quorum::Witness(i) => cosigned.contains(&i),
            Quorum::Group(g) => self.group_met(g, cosigned, 0),
        }
    }

    fn group_met(&self, g: usize, cosigned: &BTreeSet<usize>, depth: usize) -> bool {
        // Groups only reference earlier definitions, so depth is bounded by the group count.
        let Some(group) = self.groups.get(g) else {
            return false;
        };
        if depth > self.groups.len() {
            return false;
        }
        let met = group
            .members
            .iter()
            .filter(|m| match m {
                Member::Witness(i) => cosigned.contains(i),
                Member::Group(j) => self.group_met(*j, cosigned, depth + 1),
            })
            .count();
        met >= group.threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SignerKey;

    fn wkey(seed: u8) -> String {
        SignerKey::from_seed(
            &format!("w{seed}.example"),
            KeyKind::CosignatureV1,
            [seed; 32],
        )
        .unwrap()
        .verifier()
        .to_vkey()
    }

    #[test]
    fn the_spec_example_quorum() {
        let log = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, [99; 32])
            .unwrap()
            .verifier()
            .to_vkey();
        let text = format!(
            "# comment\nlog {log}\nwitness X1 {}\nwitness X2 {}\nwitness X3 {}\ngroup X-witnesses 2 X1 X2 X3\n\
             witness Y1 {}\nwitness Y2 {}\nwitness Y3 {} https://y3.example/\ngroup Y-witnesses any Y1 Y2 Y3\n\
             group X-and-Y all X-witnesses Y-witnesses\n  quorum X-and-Y  \n",
            wkey(1),
            wkey(2),
            wkey(3),
            wkey(4),
            wkey(5),
            wkey(6)
        );
        let p = Policy::parse(text.as_bytes()).unwrap();
        assert_eq!(p.logs.len(), 1);
        assert_eq!(p.witnesses.len(), 6);
        let set = |v: &[usize]| v.iter().copied().collect::<BTreeSet<_>>();
        assert!(p.quorum_met(&set(&[0, 1, 3])));
        assert!(p.quorum_met(&set(&[0, 2, 5])));
        assert!(!p.quorum_met(&set(&[0, 3, 4, 5])));
        assert!(!p.quorum_met(&set(&[0, 1, 2])));
    }

    #[test]
    fn invalid_policies_are_rejected() {
        let w = wkey(1);
        for bad in [
            String::new(),
            format!("witness A {w}\nquorum B\n"),
            format!("witness A {w}\nwitness B {w}\nquorum A\n"),
            format!("witness A {w}\ngroup G 2 A\nquorum G\n"),
            format!("witness A {w}\ngroup G 0 A\nquorum G\n"),
            format!("witness A {w}\ngroup G any A A\nquorum G\n"),
            format!("witness none {w}\nquorum none\n"),
            "quorum none\nquorum none\n".to_string(),
            format!("log {w}\nquorum none\n"),
            "quorum none\r\n".to_string(),
        ] {
            assert!(Policy::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let p = Policy::parse(b"quorum none\n").unwrap();
        assert!(p.quorum_met(&BTreeSet::new()));
    }
}
