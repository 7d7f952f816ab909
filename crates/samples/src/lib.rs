//! Deterministic sample evidence: a packet capture of a small office network whose anti-virus and
//! endpoint products talk to their documented vendor endpoints, between ordinary web browsing,
//! and the same office's software inventory (an osqueryd result log).
//!
//! The same [`SampleConfig`] always yields byte-identical output: the only source of variety is a
//! seeded generator, timestamps start at [`EPOCH_US`] (2026-06-01T09:00:00Z) and advance by drawn
//! intervals, and the output is streamed (memory stays bounded whatever the size).
//!
//! What is inside, and where the names and addresses come from, is described in
//! `examples/README.md`.

mod body;
mod dns;
mod endpoints;
mod generate;
mod http;
mod inventory;
mod network;
mod pcap;
mod quic;
mod rng;
mod scenario;
mod session;
mod size;
mod tls;
mod wire;

pub use generate::{SampleConfig, SampleStats, write_capture};
pub use inventory::write_inventory;
pub use size::parse_size;

/// The first timestamp of every sample: 2026-06-01T09:00:00Z, in microseconds since the Unix epoch.
pub const EPOCH_US: u64 = 1_780_304_400 * 1_000_000;

/// The default `--size`: 20 MiB, enough for every product and a few hours of activity.
pub const DEFAULT_TARGET_BYTES: u64 = 20 * 1024 * 1024;
