//! `ringfence whois`: every IP data source's answer for addresses, side by side. Sources
//! disagree, and the disagreement is shown, never resolved.

use crate::exit;
use clap::Args;
use ringfence_intel::ipdata::{self, IpIntel};
use ringfence_model::{Basis, Destination};
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
#[command(after_long_help = "\
Examples:
  ringfence whois 77.74.181.1
  ringfence whois --json 77.74.181.1 2a03:2480:8::1

Each source answers on its own basis: routing country (where the announcing network routes the \
prefix), registry country (the regional internet registry's allocation), geolocated country (a \
vendor's estimate), ASN and organisation. Location is not control.")]
pub struct WhoisArgs {
    /// IPv4 or IPv6 addresses
    #[arg(required = true, value_name = "ADDRESS")]
    addresses: Vec<String>,
    /// One JSON document with the sources and every answer
    #[arg(long)]
    json: bool,
    /// The data directory (default: $RINGFENCE_DATA_DIR, else the XDG data directory)
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// A TOML file adding the user's own sources (`[[source]] name, path, basis, licence, version`)
    #[arg(long, value_name = "FILE")]
    intel_config: Option<PathBuf>,
}

pub fn run(args: WhoisArgs) -> ExitCode {
    let mut addresses = Vec::with_capacity(args.addresses.len());
    for text in &args.addresses {
        match text.trim().parse::<IpAddr>() {
            Ok(address) => addresses.push(address),
            Err(_) => {
                eprintln!(
                    "ringfence whois: {:?} is not an IPv4 or IPv6 address",
                    printable(text)
                );
                return exit::usage();
            }
        }
    }
    let data_dir = args.data_dir.unwrap_or_else(ipdata::default_data_dir);
    let intel = match IpIntel::load(&data_dir, args.intel_config.as_deref()) {
        Ok(intel) => intel,
        // `IntelError::Missing` itself tells the user to run `ringfence data install`.
        Err(error) => {
            eprintln!("ringfence whois: {error}");
            return exit::usage();
        }
    };
    let destinations: Vec<Destination> = addresses.iter().map(|&a| intel.destination(a)).collect();
    let text = if args.json {
        json(&intel, &destinations)
    } else {
        table(&destinations, std::io::stdout().is_terminal())
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringfence whois: {e}");
            exit::usage()
        }
    }
}

fn json(intel: &IpIntel, destinations: &[Destination]) -> String {
    let destinations: Vec<serde_json::Value> = destinations
        .iter()
        .map(|d| {
            serde_json::json!({
                "address": d.address,
                "answers": d.answers,
                "sources_disagree": d.sources_disagree(),
            })
        })
        .collect();
    let document = serde_json::json!({ "sources": intel.sources(), "destinations": destinations });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

const HEADERS: [&str; 6] = [
    "SOURCE",
    "BASIS",
    "COUNTRY",
    "ASN",
    "ORGANISATION",
    "NETWORK",
];

/// The side-by-side table, one block per address.
fn table(destinations: &[Destination], colour: bool) -> String {
    let mut out = String::new();
    for (i, destination) in destinations.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", destination.address);
        let rows: Vec<[String; 6]> = destination
            .answers
            .iter()
            .map(|a| {
                [
                    printable(&a.source),
                    a.basis.as_str().to_string(),
                    a.country
                        .as_deref()
                        .map_or_else(|| "-".to_string(), printable),
                    a.asn.map_or_else(|| "-".to_string(), |n| format!("AS{n}")),
                    a.organisation
                        .as_deref()
                        .map_or_else(|| "-".to_string(), |o| clip(&printable(o), 48)),
                    a.network
                        .as_deref()
                        .map_or_else(|| "-".to_string(), printable),
                ]
            })
            .collect();
        let mut widths = HEADERS.map(|h| h.chars().count());
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        write_row(&mut out, &HEADERS.map(str::to_string), &widths);
        for row in &rows {
            write_row(&mut out, row, &widths);
        }
        if destination.sources_disagree() {
            let line = format!("  sources disagree: {}", disagreement(destination));
            if colour {
                let _ = writeln!(out, "\x1b[1;33m{line}\x1b[0m");
            } else {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

fn write_row(out: &mut String, cells: &[String; 6], widths: &[usize; 6]) {
    out.push_str("  ");
    let last = cells.len() - 1;
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if i == last {
            out.push_str(cell);
        } else {
            let _ = write!(out, "{cell:<width$}  ");
        }
    }
    out.push('\n');
}

/// `CH (routing country), RU (registry country)`: each country with the bases naming it.
fn disagreement(destination: &Destination) -> String {
    let mut grouped: Vec<(&str, Vec<Basis>)> = Vec::new();
    for (country, basis) in destination.countries() {
        match grouped.iter_mut().find(|(c, _)| *c == country) {
            Some((_, bases)) => bases.push(basis),
            None => grouped.push((country, vec![basis])),
        }
    }
    grouped
        .iter()
        .map(|(country, bases)| {
            let bases: Vec<&str> = bases.iter().map(|b| b.as_str()).collect();
            format!("{} ({})", printable(country), bases.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Control characters and bidirectional overrides escaped: organisation names come from data
/// files and must not drive the terminal.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control()
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
        {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringfence_model::SourceAnswer;

    fn answer(source: &str, basis: Basis, country: Option<&str>) -> SourceAnswer {
        SourceAnswer {
            source: source.into(),
            basis,
            country: country.map(str::to_string),
            asn: None,
            organisation: None,
            network: Some("77.74.176.0/21".into()),
        }
    }

    #[test]
    fn disagreement_is_a_line_naming_each_country_and_basis() {
        let mut destination = Destination {
            address: "77.74.181.1".parse().unwrap(),
            answers: vec![
                answer("iptoasn-country", Basis::RoutingCountry, Some("CH")),
                answer("geo-whois-asn-country", Basis::RegistryCountry, Some("RU")),
                SourceAnswer {
                    asn: Some(200107),
                    organisation: Some("Kaspersky Lab\x1b[31m Switzerland GmbH".into()),
                    ..answer("asn", Basis::AsnOrganisation, None)
                },
            ],
        };
        let text = table(std::slice::from_ref(&destination), false);
        assert!(
            text.contains("\n  sources disagree: CH (routing country), RU (registry country)\n"),
            "{text}"
        );
        assert!(text.contains("AS200107"), "{text}");
        assert!(
            text.contains("Kaspersky Lab\\u{1b}[31m Switzerland"),
            "{text}"
        );
        assert!(!text.contains('\x1b'), "{text}");
        destination
            .answers
            .push(answer("geolite2", Basis::GeolocatedCountry, Some("CH")));
        assert_eq!(
            disagreement(&destination),
            "CH (routing country, geolocated country), RU (registry country)"
        );
        destination.answers.truncate(1);
        assert!(!table(&[destination], false).contains("disagree"));
    }
}
