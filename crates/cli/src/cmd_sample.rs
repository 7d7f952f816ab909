//! `ringfence sample capture|inventory`: writes the project's own realistic, deterministic sample
//! evidence.

use crate::exit;
use ringfence_samples::{SampleConfig, SampleStats, parse_size, write_capture, write_inventory};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct SampleArgs {
    #[command(subcommand)]
    pub what: SampleKind,
}

#[derive(clap::Subcommand)]
pub enum SampleKind {
    /// Write a packet capture of a small office whose anti-virus and EDR products talk to their
    /// vendors, between ordinary browsing (classic pcap, Ethernet). The same seed and size always
    /// give the same bytes.
    Capture(CaptureArgs),
    /// Write the same office's software inventory as an osqueryd result log (a snapshot of the
    /// `programs` table per Windows host); the same bytes every time.
    Inventory(InventoryArgs),
}

#[derive(clap::Args)]
pub struct InventoryArgs {
    /// Where to write the inventory ("-" for standard output)
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(clap::Args)]
pub struct CaptureArgs {
    /// Where to write the capture ("-" for standard output)
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    /// The most bytes the capture may hold, e.g. 20MiB, 1GiB, 500MB or 1048576
    #[arg(long, value_name = "SIZE", default_value = "20MiB", value_parser = parse_size)]
    pub size: u64,
    /// Seed for the generator: another seed gives other hosts, sizes and timings
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
}

pub fn run(args: SampleArgs) -> ExitCode {
    match args.what {
        SampleKind::Capture(a) => capture(&a),
        SampleKind::Inventory(a) => inventory(&a),
    }
}

fn inventory(args: &InventoryArgs) -> ExitCode {
    let result = if args.out.as_os_str() == "-" {
        write_inventory(io::stdout().lock())
    } else {
        std::fs::File::create(&args.out).and_then(|file| {
            let mut out = io::BufWriter::new(file);
            let hosts = write_inventory(&mut out)?;
            out.flush()?;
            Ok(hosts)
        })
    };
    match result {
        Ok(hosts) => {
            eprintln!(
                "ringfence: wrote the inventory of {hosts} hosts to {}",
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ringfence: cannot write {}: {error}", args.out.display());
            exit::usage()
        }
    }
}

fn capture(args: &CaptureArgs) -> ExitCode {
    let config = SampleConfig {
        seed: args.seed,
        target_bytes: args.size,
    };
    let result = if args.out.as_os_str() == "-" {
        let stdout = io::stdout();
        write_capture(&config, stdout.lock())
    } else {
        write_file(&args.out, &config)
    };
    match result {
        Ok(stats) => {
            let _ = summary(&mut io::stderr(), &args.out, &stats);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ringfence: cannot write {}: {error}", args.out.display());
            exit::usage()
        }
    }
}

/// Writes beside the destination and renames, so an interrupted run never leaves a truncated
/// capture under the requested name.
fn write_file(path: &Path, config: &SampleConfig) -> io::Result<SampleStats> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let written = std::fs::File::create(&partial).and_then(|file| {
        let stats = write_capture(config, &file)?;
        file.sync_all()?;
        Ok(stats)
    });
    match written {
        Ok(stats) => {
            std::fs::rename(&partial, path)?;
            Ok(stats)
        }
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            Err(error)
        }
    }
}

fn summary(out: &mut impl Write, path: &Path, stats: &SampleStats) -> io::Result<()> {
    writeln!(
        out,
        "wrote {}: {} bytes, {} packets, {} connections, {} DNS queries",
        path.display(),
        stats.bytes,
        stats.packets,
        stats.connections,
        stats.dns_queries
    )?;
    for (product, connections) in &stats.connections_by_product {
        writeln!(out, "  {connections:>6}  {product}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringfence_samples::DEFAULT_TARGET_BYTES;

    #[test]
    fn writes_the_file_under_its_name_and_no_partial() {
        let dir = std::env::temp_dir().join(format!("ringfence-sample-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("sample.pcap");
        let stats = write_file(
            &path,
            &SampleConfig {
                seed: 1,
                target_bytes: DEFAULT_TARGET_BYTES / 64,
            },
        )
        .expect("write sample");
        let len = std::fs::metadata(&path).expect("written").len();
        assert_eq!(len, stats.bytes);
        assert!(!dir.join("sample.pcap.partial").exists());
        let mut text = Vec::new();
        summary(&mut text, &path, &stats).expect("summary");
        let text = String::from_utf8(text).expect("utf-8");
        assert!(text.contains("Kaspersky Endpoint Security"));
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
