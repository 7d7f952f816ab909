//! Packet captures (pcap, pcapng, gzip, stdin) → connections with the names their software used.
//!
//! Layers, each in its own file:
//! - `reader`: capture file formats → [`Frame`]s (link-layer records with time and position);
//! - `link`, `ip`, `fragments`, `tunnel` (with `gtp`, `capwap`): a frame → a transport-level
//!   [`Packet`];
//! - `dns`, `tls`, `ja4`, `quic`, `http`: application parsers over payloads and in-order streams;
//! - the flow engine (`flow`, `stream`, `names`, `engine`): packets → connections.

mod app;
mod capwap;
mod community_id;
mod decode;
pub mod dns;
mod engine;
mod flow;
mod fragments;
mod gtp;
pub mod http;
mod ip;
pub mod ja4;
mod link;
mod names;
mod packet;
pub mod quic;
pub mod quic_crypto;
mod reader;
mod stream;
mod table;
pub mod tls;
mod tunnel;

pub use community_id::{community_id, community_id_with_seed};
pub use decode::{Decoded, Decoder};
pub use engine::{CaptureEngine, CaptureOptions, CaptureStats, ObservationSink};
pub use packet::{
    Frame, LinkType, Packet, TcpFlags, TcpHeader, TransportHeader, Tunnel, TunnelStack,
};
pub use reader::{CaptureError, CaptureReader, ReadSummary};
pub use table::FlowTimeouts;

// The log readers (`crate::logs`) name connections the same way the capture engine does.
pub(crate) use app::host_of;
pub(crate) use flow::normalise_name;
