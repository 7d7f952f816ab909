//! `ringfence witness ...`: run a C2SP tlog-witness that cosigns checkpoints of trusted logs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use ringfence_ledger::log::read_small;
use ringfence_ledger::witness_server::{Witness, serve};
use ringfence_ledger::{KeyKind, Policy, SignerKey};

const USAGE: u8 = 2;

#[derive(Args)]
pub struct WitnessArgs {
    #[command(subcommand)]
    command: WitnessCommand,
}

#[derive(Subcommand)]
enum WitnessCommand {
    /// Create a witness key pair (cosignature/v1); prints the public vkey
    Keygen {
        /// The witness name, e.g. witness.example.org
        #[arg(long)]
        name: String,
        /// Private key file to create (mode 0600)
        #[arg(long)]
        key: PathBuf,
    },
    /// Serve the witness over HTTP (POST /add-checkpoint, GET /<origin hash>/checkpoint)
    Serve {
        /// Private key file made by `ringfence witness keygen`
        #[arg(long)]
        key: PathBuf,
        /// A C2SP tlog-policy file whose `log` lines are the logs this witness cosigns
        #[arg(long)]
        logs: PathBuf,
        /// Directory for the witness's state (latest cosigned checkpoint per log)
        #[arg(long)]
        state: PathBuf,
        /// Address to listen on
        #[arg(long, default_value = "127.0.0.1:7380")]
        listen: String,
    },
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("ringfence witness: {msg}");
    ExitCode::from(USAGE)
}

/// Runs `ringfence witness`.
pub fn run(args: WitnessArgs) -> ExitCode {
    match args.command {
        WitnessCommand::Keygen { name, key } => {
            let k = match SignerKey::generate(&name, KeyKind::CosignatureV1) {
                Ok(k) => k,
                Err(e) => return fail(e),
            };
            if let Err(e) = ringfence_ledger::durable::create_private(
                &key,
                format!("{}\n", k.to_skey()).as_bytes(),
            ) {
                return fail(format!("{}: {e}", key.display()));
            }
            println!("{}", k.verifier().to_vkey());
            ExitCode::SUCCESS
        }
        WitnessCommand::Serve {
            key,
            logs,
            state,
            listen,
        } => {
            let key = match read_small(&key, 4096)
                .map_err(|e| e.to_string())
                .and_then(|t| SignerKey::parse(&t))
            {
                Ok(k) => k,
                Err(e) => return fail(format!("{}: {e}", key.display())),
            };
            let policy = match read_small(&logs, 256 * 1024)
                .map_err(|e| e.to_string())
                .and_then(|t| Policy::parse(t.as_bytes()))
            {
                Ok(p) => p,
                Err(e) => return fail(format!("{}: {e}", logs.display())),
            };
            let witness = match Witness::new(key, policy.log_keys(), &state) {
                Ok(w) => Arc::new(w),
                Err(e) => return fail(e),
            };
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return fail(e),
            };
            let result = rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&listen).await?;
                eprintln!("ringfence witness: listening on {}", listener.local_addr()?);
                serve(witness, listener, async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
    }
}
