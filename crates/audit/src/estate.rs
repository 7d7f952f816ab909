//! Reading and checking the estate file: the user's systems, their classification and flags, and
//! the hosts that belong to each.
//!
//! The file is parsed into a private mirror of [`Estate`] whose strings carry their byte spans, so
//! a validation error (an unknown classification, a duplicate id, a host that is neither address,
//! CIDR nor hostname) points at the line and column of the offending value, like a syntax error.

use crate::error::AuditError;
use crate::host::HostPattern;
use ringfence_model::{Estate, System, uk_levels};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// Estate files are written by people; anything larger is a mistake or an attack.
pub const MAX_ESTATE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EstateFile {
    #[serde(default)]
    levels: Option<Vec<Spanned<String>>>,
    #[serde(default, rename = "system")]
    systems: Vec<SystemFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SystemFile {
    id: Spanned<String>,
    #[serde(default)]
    name: String,
    classification: Spanned<String>,
    #[serde(default)]
    national_security: bool,
    #[serde(default)]
    cni: bool,
    hosts: Vec<Spanned<String>>,
}

/// Reads, parses and validates an estate file.
pub fn load_estate(path: &Path) -> Result<Estate, AuditError> {
    let io_error = |source| AuditError::Io {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io_error)?.len();
    if size > MAX_ESTATE_BYTES {
        return Err(too_large(path, size));
    }
    let text = std::fs::read_to_string(path).map_err(io_error)?;
    parse_estate(&text, path)
}

pub(crate) fn too_large(path: &Path, size: u64) -> AuditError {
    AuditError::Estate {
        path: path.to_owned(),
        line: 1,
        column: 1,
        message: format!(
            "file is {size} bytes; an estate file may hold at most {MAX_ESTATE_BYTES}"
        ),
    }
}

/// Parses and validates estate TOML; `path` only names the file in errors.
pub fn parse_estate(text: &str, path: &Path) -> Result<Estate, AuditError> {
    let error_at = |span: Option<Range<usize>>, message: String| {
        let (line, column) = line_column(text, span.map_or(0, |s| s.start));
        AuditError::Estate {
            path: path.to_owned(),
            line,
            column,
            message,
        }
    };
    let file: EstateFile =
        toml::from_str(text).map_err(|e| error_at(e.span(), e.message().trim().to_owned()))?;

    let levels: Vec<String> = match &file.levels {
        Some(levels) => {
            if levels.is_empty() {
                return Err(error_at(
                    None,
                    "`levels` is empty: list the classification levels, lowest first".into(),
                ));
            }
            let mut seen = BTreeMap::new();
            for level in levels {
                if level.get_ref().trim().is_empty() {
                    return Err(error_at(
                        Some(level.span()),
                        "a classification level is empty".into(),
                    ));
                }
                if seen.insert(level.get_ref().as_str(), ()).is_some() {
                    return Err(error_at(
                        Some(level.span()),
                        format!("classification level `{}` is listed twice", level.get_ref()),
                    ));
                }
            }
            levels.iter().map(|l| l.get_ref().clone()).collect()
        }
        None => uk_levels(),
    };

    let mut ids: BTreeMap<&str, ()> = BTreeMap::new();
    // Which system claimed each host pattern first: a host in two systems is ambiguous.
    let mut claimed: BTreeMap<HostPattern, &str> = BTreeMap::new();
    let mut systems = Vec::with_capacity(file.systems.len());
    for system in &file.systems {
        let id = system.id.get_ref();
        if id.trim().is_empty() {
            return Err(error_at(
                Some(system.id.span()),
                "system `id` is empty".into(),
            ));
        }
        if ids.insert(id.as_str(), ()).is_some() {
            return Err(error_at(
                Some(system.id.span()),
                format!("system id `{id}` is used twice"),
            ));
        }
        let classification = system.classification.get_ref();
        if !levels.iter().any(|l| l == classification) {
            return Err(error_at(
                Some(system.classification.span()),
                format!(
                    "system `{id}`: classification `{classification}` is not one of the estate's levels ({})",
                    levels.join(", ")
                ),
            ));
        }
        if system.hosts.is_empty() {
            return Err(error_at(
                Some(system.id.span()),
                format!("system `{id}` has no hosts: list addresses, CIDR ranges or hostnames"),
            ));
        }
        for host in &system.hosts {
            let pattern = HostPattern::parse(host.get_ref()).map_err(|reason| {
                error_at(Some(host.span()), format!("system `{id}`: {reason}"))
            })?;
            if let Some(other) = claimed.insert(pattern, id.as_str()) {
                return Err(error_at(
                    Some(host.span()),
                    format!(
                        "host `{}` is listed in system `{other}` and in system `{id}`",
                        host.get_ref()
                    ),
                ));
            }
        }
        systems.push(System {
            id: id.clone(),
            name: system.name.clone(),
            classification: classification.clone(),
            national_security: system.national_security,
            cni: system.cni,
            hosts: system.hosts.iter().map(|h| h.get_ref().clone()).collect(),
        });
    }
    Ok(Estate { levels, systems })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut before = text.get(..offset.min(text.len())).unwrap_or(text);
    // A span can end inside a multi-byte character; back off to a boundary.
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end = end.saturating_sub(1);
        before = text.get(..end).unwrap_or("");
    }
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Estate, AuditError> {
        parse_estate(text, Path::new("estate.toml"))
    }

    fn error_position(text: &str) -> (usize, usize, String) {
        match parse(text) {
            Err(AuditError::Estate {
                line,
                column,
                message,
                ..
            }) => (line, column, message),
            other => panic!("expected an estate error, got {other:?}"),
        }
    }

    #[test]
    fn reads_systems_with_default_uk_levels() {
        let estate = parse(
            "[[system]]\nid = \"desk\"\nclassification = \"SECRET\"\nnational_security = true\nhosts = [\"10.0.0.0/24\", \"pc1.example\"]\n",
        )
        .unwrap();
        assert_eq!(estate.levels, uk_levels());
        assert_eq!(estate.systems.len(), 1);
        assert!(estate.systems[0].national_security);
        assert!(!estate.systems[0].cni);
        assert_eq!(estate.systems[0].hosts, ["10.0.0.0/24", "pc1.example"]);
    }

    #[test]
    fn unknown_classification_points_at_the_value() {
        let (line, column, message) = error_position(
            "[[system]]\nid = \"desk\"\nclassification = \"CONFIDENTIAL\"\nhosts = [\"10.0.0.1\"]\n",
        );
        assert_eq!((line, column), (3, 18));
        assert!(message.contains("CONFIDENTIAL"), "{message}");
    }

    #[test]
    fn own_levels_replace_the_uk_ones() {
        let text = "levels = [\"public\", \"restricted\"]\n[[system]]\nid = \"a\"\nclassification = \"restricted\"\nhosts = [\"10.0.0.1\"]\n";
        assert_eq!(parse(text).unwrap().levels, ["public", "restricted"]);
        let (line, ..) =
            error_position(&text.replace("\"restricted\"\nhosts", "\"SECRET\"\nhosts"));
        assert_eq!(line, 4);
    }

    #[test]
    fn duplicate_ids_and_hosts_are_refused() {
        let (line, _, message) = error_position(
            "[[system]]\nid = \"a\"\nclassification = \"OFFICIAL\"\nhosts = [\"10.0.0.1\"]\n[[system]]\nid = \"a\"\nclassification = \"OFFICIAL\"\nhosts = [\"10.0.0.2\"]\n",
        );
        assert_eq!(line, 6);
        assert!(message.contains("twice"), "{message}");
        let (line, _, message) = error_position(
            "[[system]]\nid = \"a\"\nclassification = \"OFFICIAL\"\nhosts = [\"10.0.0.0/24\"]\n[[system]]\nid = \"b\"\nclassification = \"OFFICIAL\"\nhosts = [\"10.0.0.0/24\"]\n",
        );
        assert_eq!(line, 8);
        assert!(message.contains("system `a`"), "{message}");
    }

    #[test]
    fn bad_hosts_are_refused_with_position() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0.5/24",
            "-bad-.example",
            "a b",
            "",
            "10.0.0.0/",
            "::1/129",
        ] {
            let text = format!(
                "[[system]]\nid = \"a\"\nclassification = \"OFFICIAL\"\nhosts = [\"{bad}\"]\n"
            );
            let (line, column, _) = error_position(&text);
            assert_eq!((line, column), (4, 10), "{bad}");
        }
    }

    #[test]
    fn syntax_errors_and_unknown_fields_have_positions() {
        let (line, ..) = error_position("[[system]]\nid = \"a\"\nclassification = OFFICIAL\n");
        assert_eq!(line, 3);
        let (line, _, message) = error_position(
            "[[system]]\nid = \"a\"\nclassification = \"OFFICIAL\"\nhosts = []\nsecret = true\n",
        );
        assert_eq!(line, 5);
        assert!(message.contains("secret"), "{message}");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(line_column("é = 1\nab", 8), (2, 2));
        assert_eq!(line_column("é", 1), (1, 1));
        assert_eq!(line_column("", 99), (1, 1));
    }
}
