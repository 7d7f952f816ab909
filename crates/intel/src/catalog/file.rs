//! The TOML form of a catalog file: `[[organisation]]` and `[[product]]` tables. The structs
//! mirror the model's with `deny_unknown_fields`, so a misspelt key is an error with its line
//! and column rather than a silently missing fact.

use super::error::CatalogError;
use ringfence_model::{FactSource, Organisation, Product, ProductCategory};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    organisation: Vec<toml::Spanned<OrganisationToml>>,
    #[serde(default)]
    product: Vec<toml::Spanned<ProductToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceToml {
    url: String,
    checked: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganisationToml {
    id: String,
    name: String,
    #[serde(default)]
    parent: Option<String>,
    incorporated: String,
    headquarters: String,
    #[serde(default)]
    asns: Vec<u32>,
    #[serde(default)]
    hosts_others: bool,
    sources: Vec<SourceToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductToml {
    id: String,
    name: String,
    vendor: String,
    category: ProductCategory,
    #[serde(default)]
    process_images: Vec<String>,
    #[serde(default)]
    package_names: Vec<String>,
    #[serde(default)]
    endpoints: Vec<String>,
    #[serde(default)]
    networks: Vec<String>,
    sources: Vec<SourceToml>,
}

/// Where an organisation or product was written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Origin {
    pub file: String,
    /// 1-based line of the table.
    pub line: usize,
}

/// One file's facts.
pub(crate) struct ParsedFile {
    pub organisations: Vec<(Organisation, Origin)>,
    pub products: Vec<(Product, Origin)>,
}

fn sources(list: Vec<SourceToml>) -> Vec<FactSource> {
    list.into_iter()
        .map(|s| FactSource {
            url: s.url,
            checked: s.checked,
        })
        .collect()
}

/// Parses one catalog file's text; `file` names it in errors.
pub(crate) fn parse(file: &str, text: &str) -> Result<ParsedFile, CatalogError> {
    let parsed: FileToml = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |span| line_column(text, span.start));
        CatalogError::Parse {
            file: file.to_string(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    let origin = |offset: usize| Origin {
        file: file.to_string(),
        line: line_column(text, offset).0,
    };
    let organisations = parsed
        .organisation
        .into_iter()
        .map(|spanned| {
            let at = origin(spanned.span().start);
            let o = spanned.into_inner();
            let org = Organisation {
                id: o.id,
                name: o.name,
                parent: o.parent,
                incorporated: o.incorporated,
                headquarters: o.headquarters,
                asns: o.asns,
                hosts_others: o.hosts_others,
                sources: sources(o.sources),
            };
            (org, at)
        })
        .collect();
    let products = parsed
        .product
        .into_iter()
        .map(|spanned| {
            let at = origin(spanned.span().start);
            let p = spanned.into_inner();
            let product = Product {
                id: p.id,
                name: p.name,
                vendor: p.vendor,
                category: p.category,
                process_images: p.process_images,
                package_names: p.package_names,
                endpoints: p.endpoints,
                networks: p.networks,
                sources: sources(p.sources),
            };
            (product, at)
        })
        .collect();
    Ok(ParsedFile {
        organisations,
        products,
    })
}

/// 1-based line and character column of a byte offset (clamped to the text).
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset = offset.saturating_sub(1);
    }
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one_in_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 3));
        assert_eq!(line_column(text, 1_000), (3, 1));
    }

    #[test]
    fn tables_remember_their_line() {
        let text = "\n\n[[organisation]]\nid = \"x\"\nname = \"X\"\nincorporated = \"GB\"\n\
                    headquarters = \"GB\"\nsources = []\n";
        let parsed = parse("x.toml", text).unwrap_or_else(|e| panic!("{e}"));
        let (org, origin) = parsed
            .organisations
            .first()
            .unwrap_or_else(|| panic!("no org"));
        assert_eq!(org.id, "x");
        assert_eq!(origin.file, "x.toml");
        assert!((3..=4).contains(&origin.line), "line {}", origin.line);
    }

    #[test]
    fn unknown_keys_are_errors_with_a_position() {
        let text = "[[product]]\nid = \"p\"\nname = \"P\"\nvendor = \"v\"\ncategory = \"edr\"\n\
                    endpoint = [\"a.b\"]\nsources = []\n";
        match parse("p.toml", text) {
            Err(CatalogError::Parse {
                file,
                line,
                message,
                ..
            }) => {
                assert_eq!(file, "p.toml");
                assert!(line >= 1);
                assert!(message.contains("endpoint"), "{message}");
            }
            _ => panic!("an unknown key must be refused"),
        }
    }
}
