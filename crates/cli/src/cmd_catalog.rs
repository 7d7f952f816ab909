//! `ringfence catalog check|list`: validates the supplier catalog and shows what it holds.
//!
//! Exit codes: 0 the catalog is sound (or was listed), 1 `check` found problems, 2 the catalog
//! could not be read or parsed (the error names file, line and column).

use crate::exit;
use ringfence_intel::catalog::Catalog;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    pub what: CatalogCommand,
}

#[derive(clap::Subcommand)]
pub enum CatalogCommand {
    /// Validate the catalog: schema, ISO country codes, CIDRs, endpoint names, references
    /// (vendors and parents exist, no ownership cycles), uniqueness, and a dated https source on
    /// every organisation and product. Exits 1 when it finds problems.
    Check(Source),
    /// List organisations with their ownership chain and jurisdictions, and products with their
    /// vendor.
    List(Source),
}

#[derive(clap::Args)]
pub struct Source {
    /// A directory of catalog *.toml files instead of the catalog built into ringfence
    #[arg(long, value_name = "DIR")]
    pub catalog: Option<PathBuf>,
}

pub fn run(args: CatalogArgs) -> ExitCode {
    match args.what {
        CatalogCommand::Check(source) => with_catalog(&source, check),
        CatalogCommand::List(source) => with_catalog(&source, list),
    }
}

fn with_catalog(
    source: &Source,
    action: fn(&Catalog, &mut dyn Write) -> io::Result<bool>,
) -> ExitCode {
    let catalog = match &source.catalog {
        Some(dir) => match Catalog::load_dir(dir) {
            Ok(catalog) => catalog,
            Err(error) => {
                eprintln!("ringfence: {error}");
                return exit::usage();
            }
        },
        None => Catalog::bundled(),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match action(&catalog, &mut out) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        // A closed pipe (e.g. `| head`) is not a failure of the catalog.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ringfence: cannot write output: {error}");
            exit::usage()
        }
    }
}

/// Prints each problem (file:line: subject: reason) and a summary; true when there are none.
fn check(catalog: &Catalog, out: &mut dyn Write) -> io::Result<bool> {
    let problems = catalog.check();
    for problem in &problems {
        writeln!(out, "{problem}")?;
    }
    writeln!(
        out,
        "catalog: {} organisations, {} products, sha256 {}: {}",
        catalog.organisations().len(),
        catalog.products().len(),
        catalog.sha256(),
        match problems.len() {
            0 => "ok".to_string(),
            1 => "1 problem".to_string(),
            n => format!("{n} problems"),
        }
    )?;
    Ok(problems.is_empty())
}

fn list(catalog: &Catalog, out: &mut dyn Write) -> io::Result<bool> {
    writeln!(out, "ORGANISATION\tJURISDICTIONS\tOWNERSHIP CHAIN")?;
    for org in catalog.organisations() {
        let chain: Vec<String> = catalog
            .ownership_chain(&org.id)
            .iter()
            .map(|o| format!("{} ({}/{})", o.id, o.incorporated, o.headquarters))
            .collect();
        writeln!(
            out,
            "{}\t{}\t{}",
            org.id,
            catalog.jurisdictions(&org.id).join(","),
            chain.join(" → ")
        )?;
    }
    writeln!(out)?;
    writeln!(out, "PRODUCT\tCATEGORY\tVENDOR\tNAME")?;
    for product in catalog.products() {
        let category = serde_json::to_value(product.category)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        writeln!(
            out,
            "{}\t{}\t{}\t{}",
            product.id, category, product.vendor, product.name
        )?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_prints_problems_and_fails_on_a_bad_catalog() {
        let bad = "[[organisation]]\nid = \"x\"\nname = \"X\"\nincorporated = \"UK\"\n\
                   headquarters = \"GB\"\nsources = []\n";
        let catalog = Catalog::from_texts([("bad.toml", bad)]).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        let ok = check(&catalog, &mut out).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&out);
        assert!(!ok);
        assert!(text.contains("bad.toml:1: organisation x:"), "{text}");
        assert!(text.contains("has no source"), "{text}");
        assert!(text.contains("2 problems"), "{text}");
    }

    #[test]
    fn the_bundled_catalog_checks_and_lists() {
        let catalog = Catalog::bundled();
        let mut out = Vec::new();
        assert!(check(&catalog, &mut out).unwrap_or_else(|e| panic!("{e}")));
        let mut out = Vec::new();
        assert!(list(&catalog, &mut out).unwrap_or_else(|e| panic!("{e}")));
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.contains("kaspersky-lab-switzerland\tCH,RU\tkaspersky-lab-switzerland (CH/CH) → ao-kaspersky-lab (RU/RU)"),
            "{text}"
        );
        assert!(
            text.contains("crowdstrike-falcon\tedr\tcrowdstrike\tCrowdStrike Falcon"),
            "{text}"
        );
    }
}
