//! QUIC datagrams: the client's protected Initial packets carrying its ClientHello (sealed by
//! `ringfence_sources`, the same code the reader opens them with, so both sides follow RFC 9001 /
//! RFC 9369 in one place), and 1-RTT short-header packets whose protected bytes are random.

use crate::rng::Rng;
use crate::tls::{self, Hello, Stack};
use ringfence_sources::capture::quic::{crypto_frame, seal_client_initial};

pub(crate) const QUIC_V1: u32 = 0x0000_0001;
pub(crate) const QUIC_V2: u32 = 0x6b33_43cf;

/// CRYPTO bytes that fit one Initial packet of a 1200-byte datagram with room to spare.
const CRYPTO_PER_PACKET: usize = 1100;

/// The client's first flight: one Initial packet per datagram. A hello larger than one packet (the
/// post-quantum share) is always split; `split_small` also splits a small one at an odd point.
pub(crate) fn client_initials(
    version: u32,
    dcid: &[u8],
    scid: &[u8],
    stack: Stack,
    server_name: &str,
    split_small: bool,
    rng: &mut Rng,
) -> Vec<Vec<u8>> {
    let hello = tls::client_hello_message(
        Some(stack),
        &Hello {
            server_name,
            alpn: &["h3"],
            quic_scid: Some(scid),
        },
        rng,
    );
    let mut cuts = Vec::new();
    let mut at = 0;
    if split_small && hello.len() <= CRYPTO_PER_PACKET {
        let cut = hello.len() / 2 + rng.below(64) as usize;
        cuts.push(cut.min(hello.len()));
        at = cut.min(hello.len());
    }
    while hello.len() - at > CRYPTO_PER_PACKET {
        at += CRYPTO_PER_PACKET;
        cuts.push(at);
    }
    cuts.push(hello.len());
    let mut packets = Vec::with_capacity(cuts.len());
    let mut start = 0;
    for (pn, &end) in cuts.iter().enumerate() {
        let data = hello.get(start..end).unwrap_or_default();
        let frame = crypto_frame(start as u64, data);
        packets.push(seal_client_initial(version, dcid, scid, pn as u32, &frame));
        start = end;
    }
    packets
}

/// A 1-RTT packet: fixed bit set, the (header-protected, so random-looking) low bits, the
/// destination connection ID and `len` protected bytes.
pub(crate) fn short_packet(dcid: &[u8], len: usize, rng: &mut Rng) -> Vec<u8> {
    let mut p = Vec::with_capacity(1 + dcid.len() + len);
    p.push(0x40 | (rng.next_u32() as u8 & 0x3f));
    p.extend_from_slice(dcid);
    let at = p.len();
    p.resize(at + len.max(20), 0);
    if let Some(rest) = p.get_mut(at..) {
        rng.fill(rest);
    }
    p
}
