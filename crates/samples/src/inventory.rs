//! The sample office's software inventory, as osqueryd's result log writes it: one snapshot line
//! of the `programs` table per Windows host, on the morning the sample capture starts.
//!
//! Each host's security products are the ones its traffic shows in the sample capture (the same
//! `office()` table), so the capture and the inventory tell one story. The hosts identify
//! themselves by address (osqueryd `--host_identifier=specified` with the host's address as the
//! specified identifier), which is how the example estate lists them. Linux servers have no
//! `programs` table and are left out.

use crate::EPOCH_US;
use crate::endpoints::Product;
use crate::network::office;
use std::io::{self, Write};

/// An installed program as the `programs` table shows it.
struct Program {
    name: &'static str,
    version: &'static str,
    publisher: &'static str,
    install_location: &'static str,
}

/// What every desk has, whatever its security products.
const COMMON: [Program; 3] = [
    Program {
        name: "7-Zip 24.08 (x64)",
        version: "24.08",
        publisher: "Igor Pavlov",
        install_location: "C:\\\\Program Files\\\\7-Zip\\\\",
    },
    Program {
        name: "Google Chrome",
        version: "131.0.6778.86",
        publisher: "Google LLC",
        install_location: "C:\\\\Program Files\\\\Google\\\\Chrome\\\\Application",
    },
    Program {
        name: "Microsoft 365 Apps for enterprise - en-gb",
        version: "16.0.18129.20158",
        publisher: "Microsoft Corporation",
        install_location: "C:\\\\Program Files\\\\Microsoft Office",
    },
];

/// The program an installed security product shows in Programs and Features. Defender is part
/// of Windows and has no entry; browsing is not a product.
fn program_of(product: Product) -> Option<Program> {
    Some(match product {
        Product::Kaspersky => Program {
            name: "Kaspersky Endpoint Security for Windows",
            version: "12.6.0.438",
            publisher: "AO Kaspersky Lab",
            install_location: "C:\\\\Program Files (x86)\\\\Kaspersky Lab\\\\KES.12.6.0\\\\",
        },
        Product::Eset => Program {
            name: "ESET Endpoint Security",
            version: "11.1.2039.0",
            publisher: "ESET, spol. s r.o.",
            install_location: "C:\\\\Program Files\\\\ESET\\\\ESET Security\\\\",
        },
        Product::Sophos => Program {
            name: "Sophos Endpoint Agent",
            version: "2023.2.2.1",
            publisher: "Sophos Limited",
            install_location: "C:\\\\Program Files\\\\Sophos\\\\",
        },
        Product::CrowdStrike => Program {
            name: "CrowdStrike Windows Sensor",
            version: "7.19.18913.0",
            publisher: "CrowdStrike, Inc.",
            install_location: "C:\\\\Program Files\\\\CrowdStrike\\\\",
        },
        Product::Defender | Product::Browsing => return None,
    })
}

/// Writes the inventory (a few KiB; the same bytes every time) and returns the number of hosts.
pub fn write_inventory(mut out: impl Write) -> io::Result<u64> {
    let unix_time = EPOCH_US / 1_000_000;
    let mut hosts = 0;
    for host in office().into_iter().filter(|h| h.ttl == 128) {
        let programs: Vec<Program> = COMMON
            .into_iter()
            .chain(host.products.iter().filter_map(|p| program_of(*p)))
            .collect();
        let rows: Vec<String> = programs
            .iter()
            .map(|p| {
                format!(
                    "{{\"name\":\"{}\",\"version\":\"{}\",\"publisher\":\"{}\",\"install_location\":\"{}\"}}",
                    p.name, p.version, p.publisher, p.install_location
                )
            })
            .collect();
        writeln!(
            out,
            "{{\"snapshot\":[{}],\"action\":\"snapshot\",\"name\":\"pack_inventory_programs\",\
             \"hostIdentifier\":\"{}\",\"calendarTime\":\"Mon Jun  1 09:00:00 2026 UTC\",\
             \"unixTime\":{unix_time},\"epoch\":0,\"counter\":0,\"numerics\":false}}",
            rows.join(","),
            host.v4
        )?;
        hosts += 1;
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_valid_json_line_per_windows_host_with_its_products() {
        let mut bytes = Vec::new();
        assert_eq!(write_inventory(&mut bytes).unwrap(), 42);
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 42);
        // 10.20.0.21 is the first desk: Kaspersky and CrowdStrike besides Defender.
        let first = lines[0];
        assert!(
            first.contains("\"hostIdentifier\":\"10.20.0.21\""),
            "{first}"
        );
        assert!(first.contains("Kaspersky Endpoint Security for Windows"));
        assert!(first.contains("CrowdStrike Windows Sensor"));
        assert!(!first.contains("ESET"));
        for line in lines {
            assert!(line.starts_with("{\"snapshot\":[{") && line.ends_with('}'));
            assert_eq!(line.matches('{').count(), line.matches('}').count());
            // Every backslash of a Windows path is escaped in the JSON: none is left alone.
            assert!(!line.replace("\\\\", "").contains('\\'), "{line}");
        }
    }
}
