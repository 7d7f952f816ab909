//! Packet captures (pcap, pcapng, gzip, stdin) → connections with the names their software used.
//!
//! Layers, each in its own file:
//! - `reader`: capture file formats → [`Frame`]s (link-layer records with time and position);
//! - `link`, `ip`, `fragments`, `tunnel`: a frame → a transport-level [`Packet`];
//! - `dns`, `tls`, `ja4`, `quic`, `http`: application parsers over payloads and in-order streams;
//! - the flow engine (`flow`, `stream`, `names`, `engine`): packets → connections.

mod decode;
mod fragments;
mod ip;
mod link;
mod packet;
pub mod http;
pub mod dns;
mod reader;
mod tunnel;
pub mod tls;
pub mod ja4;
pub mod quic;
pub mod quic_crypto;

pub use packet::{Frame, LinkType, Packet, TcpFlags, TcpHeader, TransportHeader, Tunnel, TunnelStack};
pub use decode::{Decoded, Decoder};
pub use reader::{CaptureError, CaptureReader, ReadSummary};
