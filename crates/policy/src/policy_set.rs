//! Loading policies: bundled packs or the user's files, parsed, given their `@id`, and validated
//! against the bundled schema before anything is judged.

use crate::bundled;
use crate::entities::Names;
use crate::error::{Diagnostic, PolicyError};
use crate::location::Location;
use cedar_policy::{EntityUid, PolicyId, Schema, ValidationMode, Validator};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

/// A policy file larger than this is refused: policies are written by people, and the cap keeps
/// a mistaken argument (a capture file, say) from being read whole.
pub const MAX_POLICY_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// One policy file as loaded: the name errors show, and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicySource {
    pub name: String,
    pub text: String,
}

/// Validated policies, ready to judge with.
#[derive(Clone, Debug)]
pub struct PolicySet {
    pub(crate) schema: Schema,
    pub(crate) cedar: cedar_policy::PolicySet,
    sources: Vec<PolicySource>,
    ids: Vec<String>,
    /// Organisation and Jurisdiction entities named in the policies: the Judge puts a stand-in
    /// for a missing fact inside all of them to see whether the fact could change a verdict.
    pub(crate) named_entities: Vec<EntityUid>,
    pub(crate) names: Names,
    digest: String,
}

impl PolicySet {
    /// `packs`: bundled pack names ("ncsc-2017", "bod-17-01") or paths to the user's `.cedar`
    /// files (or folders of them). Every policy is validated against the bundled schema first;
    /// syntax and validation errors carry file, line and column.
    pub fn load(packs: &[String]) -> Result<PolicySet, PolicyError> {
        let mut sources: Vec<PolicySource> = Vec::new();
        for pack in packs {
            for source in resolve(pack)? {
                // Naming the same pack or file twice loads it once.
                if !sources.iter().any(|s| s.name == source.name) {
                    sources.push(source);
                }
            }
        }
        PolicySet::from_sources(sources)
    }

    /// Builds from policy texts already in memory (each with the name errors should show).
    pub fn from_sources(sources: Vec<PolicySource>) -> Result<PolicySet, PolicyError> {
        if sources.is_empty() {
            return Err(PolicyError::Empty(bundled::pack_names().join(", ")));
        }
        let schema = Schema::from_cedarschema_str(bundled::SCHEMA_TEXT)
            .map(|(schema, _warnings)| schema)
            .map_err(|e| PolicyError::Schema(format!("{}: {e}", bundled::SCHEMA_NAME)))?;
        let names = Names::new().map_err(PolicyError::Schema)?;

        let mut cedar = cedar_policy::PolicySet::new();
        let mut syntax = Vec::new();
        // policy id → (index into sources, location of its @id or start)
        let mut origin: BTreeMap<String, (usize, Location)> = BTreeMap::new();
        for (index, source) in sources.iter().enumerate() {
            let parsed = match cedar_policy::PolicySet::from_str(&source.text) {
                Ok(parsed) => parsed,
                Err(errors) => {
                    for error in errors.iter() {
                        syntax.push(diagnostic(
                            &source.name,
                            &source.text,
                            error,
                            error.to_string(),
                        ));
                    }
                    continue;
                }
            };
            if parsed.templates().next().is_some() {
                syntax.push(Diagnostic {
                    location: Location::at(&source.name, &source.text, 0),
                    message: "policy templates (?principal, ?resource) are not supported: write static policies".into(),
                });
                continue;
            }
            // Cedar numbers a file's policies policy0, policy1, … in source order; keep that order
            // so that unnamed policies get stable names.
            let mut policies: Vec<&cedar_policy::Policy> = parsed.policies().collect();
            policies.sort_by_key(|p| policy_number(p.id()));
            for (n, policy) in policies.into_iter().enumerate() {
                let id = match policy.annotation("id") {
                    Some(id) => id.to_string(),
                    None => format!("{}#{}", source.name, n + 1),
                };
                let location = id_location(&source.name, &source.text, &id);
                if let Some((_, first)) = origin.get(&id) {
                    return Err(PolicyError::DuplicateId {
                        id,
                        first: first.clone(),
                        second: location,
                    });
                }
                let renamed = policy.new_id(PolicyId::new(&id));
                cedar.add(renamed).map_err(|e| {
                    PolicyError::Syntax(vec![Diagnostic {
                        location: location.clone(),
                        message: e.to_string(),
                    }])
                })?;
                origin.insert(id, (index, location));
            }
        }
        if !syntax.is_empty() {
            return Err(PolicyError::Syntax(syntax));
        }

        let result = Validator::new(schema.clone()).validate(&cedar, ValidationMode::Strict);
        let mut invalid: Vec<Diagnostic> = result
            .validation_errors()
            .map(|error| {
                let id = error.policy_id().to_string();
                match origin
                    .get(&id)
                    .and_then(|(i, loc)| sources.get(*i).map(|s| (s, loc)))
                {
                    Some((source, _)) => {
                        diagnostic(&source.name, &source.text, error, error.to_string())
                    }
                    None => Diagnostic {
                        location: Location {
                            file: id.clone(),
                            line: 0,
                            column: 0,
                        },
                        message: error.to_string(),
                    },
                }
            })
            .collect();
        if !invalid.is_empty() {
            invalid.sort();
            invalid.dedup();
            return Err(PolicyError::Validation(invalid));
        }

        let mut named_entities: Vec<EntityUid> = cedar
            .policies()
            .flat_map(|p| p.entity_literals())
            .filter(|uid| {
                let ty = uid.type_name().to_string();
                ty == "Organisation" || ty == "Jurisdiction"
            })
            .collect();
        named_entities.sort_by_key(|uid| uid.to_string());
        named_entities.dedup();

        let mut ids: Vec<String> = origin.into_keys().collect();
        ids.sort();
        let digest = digest(&sources);
        Ok(PolicySet {
            schema,
            cedar,
            sources,
            ids,
            named_entities,
            names,
            digest,
        })
    }

    /// The ids of every policy, sorted.
    pub fn policy_ids(&self) -> Vec<String> {
        self.ids.clone()
    }

    /// SHA-256 (hex) of the schema and policy texts: the schema first, then each file's text in
    /// byte order of the texts, each preceded by its length as 8 bytes big-endian. File names and
    /// paths are left out so the same policies give the same digest wherever they are kept.
    pub fn sha256(&self) -> String {
        self.digest.clone()
    }

    /// The policy files, in the order they were loaded.
    pub fn sources(&self) -> &[PolicySource] {
        &self.sources
    }
}

fn digest(sources: &[PolicySource]) -> String {
    let mut texts: Vec<&str> = sources.iter().map(|s| s.text.as_str()).collect();
    texts.sort_unstable();
    let mut hasher = Sha256::new();
    for text in std::iter::once(bundled::SCHEMA_TEXT).chain(texts) {
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// A pack name or a path to the files it stands for.
fn resolve(pack: &str) -> Result<Vec<PolicySource>, PolicyError> {
    if let Some(bundled) = bundled::pack(pack) {
        return Ok(bundled
            .files
            .iter()
            .map(|f| PolicySource {
                name: f.name.to_string(),
                text: f.text.to_string(),
            })
            .collect());
    }
    let path = Path::new(pack);
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|source| PolicyError::Read {
            path: pack.to_string(),
            source,
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| PolicyError::Read {
                path: pack.to_string(),
                source,
            })?;
            let file = entry.path();
            if file.extension().is_some_and(|e| e == "cedar") {
                files.push(file);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(not_found(pack));
        }
        return files.iter().map(|f| read(f)).collect();
    }
    if path.is_file() {
        return Ok(vec![read(path)?]);
    }
    Err(not_found(pack))
}

fn not_found(name: &str) -> PolicyError {
    PolicyError::NotFound {
        name: name.to_string(),
        packs: bundled::pack_names().join(", "),
    }
}

fn read(path: &Path) -> Result<PolicySource, PolicyError> {
    use std::io::Read;
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| PolicyError::Read {
        path: name.clone(),
        source,
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_POLICY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| PolicyError::Read {
            path: name.clone(),
            source,
        })?;
    if bytes.len() as u64 > MAX_POLICY_FILE_BYTES {
        return Err(PolicyError::TooLarge(name, MAX_POLICY_FILE_BYTES));
    }
    let text = String::from_utf8(bytes).map_err(|e| PolicyError::Read {
        path: name.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
    })?;
    Ok(PolicySource { name, text })
}

/// A diagnostic at the first labelled span of a Cedar error (its primary position), with the
/// error's help text when it has one.
fn diagnostic(
    file: &str,
    text: &str,
    error: &dyn miette::Diagnostic,
    message: String,
) -> Diagnostic {
    let offset = error
        .labels()
        .and_then(|mut labels| labels.next())
        .map_or(0, |label| label.offset());
    let message = match error.help() {
        Some(help) => format!("{message} (help: {help})"),
        None => message,
    };
    Diagnostic {
        location: Location::at(file, text, offset),
        message,
    }
}

/// The n of Cedar's `policyN` ids (source order within a file).
fn policy_number(id: &PolicyId) -> usize {
    id.to_string()
        .strip_prefix("policy")
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

/// Where a policy's `@id("…")` annotation is, for messages about the id itself.
fn id_location(file: &str, text: &str, id: &str) -> Location {
    let quoted = format!("\"{id}\"");
    let offset = text
        .match_indices(&quoted)
        .map(|(i, _)| i)
        .find(|i| {
            text.get(..*i).is_some_and(|before| {
                before
                    .trim_end()
                    .trim_end_matches('(')
                    .trim_end()
                    .ends_with("@id")
            })
        })
        .unwrap_or(0);
    Location::at(file, text, offset)
}
