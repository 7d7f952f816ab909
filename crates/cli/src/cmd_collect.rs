//! `ringfence collect netflow`: receive NetFlow v5/v9 and IPFIX export datagrams on a UDP socket
//! and write them as evidence files that `ringfence audit` and `ringfence connections` read.
//!
//! Each file is a pcapng capture (one packet per datagram, with the exporter's address and port),
//! written as `NAME.pcapng.part` and renamed to `NAME.pcapng` once complete and synced to disk, so
//! a finished name is always a whole file. A file is closed after `--rotate-secs` or once it
//! reaches `--max-file-bytes`, and on SIGINT or SIGTERM. Datagrams are written as they arrive
//! (through one 1 MiB buffer); nothing else is held, so memory stays flat however long it runs.

use clap::{Args, Subcommand};
use ringfence_sources::netflow::{ExportCaptureWriter, MAX_DATAGRAM};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::UdpSocket;
use tokio::signal::unix::{SignalKind, signal};

const WRITE_BUFFER: usize = 1 << 20;

#[derive(Args)]
pub struct CollectArgs {
    #[command(subcommand)]
    what: CollectWhat,
}

#[derive(Subcommand)]
enum CollectWhat {
    /// Receive NetFlow v5/v9 and IPFIX exports and write them as pcapng evidence files
    Netflow(NetflowArgs),
}

#[derive(Args)]
struct NetflowArgs {
    /// UDP address to listen on, e.g. 0.0.0.0:2055 (port 0 picks a free port; the address bound
    /// is printed on stderr)
    #[arg(long)]
    listen: SocketAddr,
    /// Directory for the evidence files (created if missing)
    #[arg(long)]
    out: PathBuf,
    /// Start a new file after this many seconds
    #[arg(long, default_value_t = 300)]
    rotate_secs: u64,
    /// Start a new file once this many bytes are written
    #[arg(long, default_value_t = 256 << 20)]
    max_file_bytes: u64,
}

pub fn run(args: CollectArgs) -> ExitCode {
    let CollectWhat::Netflow(args) = args.what;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(format!("cannot start: {e}")),
    };
    match runtime.block_on(collect(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("ringfence collect netflow: {message}");
    crate::exit::usage()
}

async fn collect(args: &NetflowArgs) -> io::Result<()> {
    std::fs::create_dir_all(&args.out)?;
    let socket = UdpSocket::bind(args.listen).await?;
    let local = socket.local_addr()?;
    eprintln!("ringfence collect netflow: listening on {local}");
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut files = Files {
        dir: args.out.clone(),
        collector: local,
        current: None,
        sequence: 0,
        written: Vec::new(),
        datagrams: 0,
    };
    let rotate_after = Duration::from_secs(args.rotate_secs.max(1));
    let mut buf = vec![0u8; MAX_DATAGRAM + 1];
    loop {
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let (len, exporter) = received?;
                let Some(datagram) = buf.get(..len) else { continue };
                files.write(exporter, datagram)?;
                if files.current_bytes() >= args.max_file_bytes {
                    files.close()?;
                }
            }
            _ = tick.tick() => {
                if files.current_age().is_some_and(|age| age >= rotate_after) {
                    files.close()?;
                }
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    files.close()?;
    eprintln!(
        "ringfence collect netflow: {} datagrams in {} files",
        files.datagrams,
        files.written.len()
    );
    Ok(())
}

struct Open {
    writer: ExportCaptureWriter<BufWriter<File>>,
    part: PathBuf,
    done: PathBuf,
    opened: Instant,
}

struct Files {
    dir: PathBuf,
    collector: SocketAddr,
    current: Option<Open>,
    sequence: u64,
    written: Vec<PathBuf>,
    datagrams: u64,
}

impl Files {
    fn write(&mut self, exporter: SocketAddr, datagram: &[u8]) -> io::Result<()> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        if self.current.is_none() {
            self.current = Some(self.open(now)?);
        }
        if let Some(open) = &mut self.current {
            let nanos = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
            match open.writer.write(exporter, nanos, datagram) {
                Ok(()) => self.datagrams += 1,
                // A datagram too long for a UDP payload cannot have arrived over UDP.
                Err(e) if e.kind() == io::ErrorKind::InvalidInput => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn open(&mut self, now: Duration) -> io::Result<Open> {
        self.sequence += 1;
        let name = format!(
            "netflow-{}-{:04}.pcapng",
            utc_stamp(now.as_secs()),
            self.sequence
        );
        let done = self.dir.join(&name);
        let part = self.dir.join(format!("{name}.part"));
        let file = BufWriter::with_capacity(WRITE_BUFFER, File::create(&part)?);
        Ok(Open {
            writer: ExportCaptureWriter::new(file, self.collector)?,
            part,
            done,
            opened: Instant::now(),
        })
    }

    fn current_bytes(&self) -> u64 {
        self.current.as_ref().map_or(0, |open| open.writer.bytes())
    }

    fn current_age(&self) -> Option<Duration> {
        self.current.as_ref().map(|open| open.opened.elapsed())
    }

    /// Flushes and syncs the open file, then gives it its final name.
    fn close(&mut self) -> io::Result<()> {
        let Some(open) = self.current.take() else {
            return Ok(());
        };
        let mut buffered = open.writer.into_inner();
        buffered.flush()?;
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&open.part, &open.done)?;
        sync_dir(&self.dir)?;
        self.written.push(open.done);
        Ok(())
    }
}

/// Makes the rename durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// `YYYYMMDDTHHMMSSZ` for seconds since the epoch (UTC).
fn utc_stamp(secs: u64) -> String {
    let days = secs / 86_400;
    let rest = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc_stamp;

    #[test]
    fn stamps() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(1_700_000_000), "20231114T221320Z");
        assert_eq!(utc_stamp(951_782_400), "20000229T000000Z");
    }
}
