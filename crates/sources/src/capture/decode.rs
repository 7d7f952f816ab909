//! The entry point from a [`Frame`] to a [`Packet`]: link layer → IP (reassembling fragments) →
//! tunnels (each layer pushed on the packet's tunnel stack) → the innermost transport header.
//!
//! Unfragmented packets are decoded without allocating: everything borrows the frame. A
//! reassembled datagram lives in the decoder's buffer until the next call.

use super::fragments::{Fragment, FragmentKey, Outcome, Reassembler};
use super::ip::{PROTO_FRAGMENT, parse_ip, parse_transport, skip_extensions};
use super::link::{LinkPayload, ethernet, link_payload};
use super::packet::{Frame, Packet, TunnelStack};
use super::tunnel::{Decap, Inner, decapsulate};

/// What one frame decoded to.
#[derive(Clone, Copy, Debug)]
pub enum Decoded<'a> {
    Packet(Packet<'a>),
    /// A fragment was stored; the datagram is not complete yet.
    FragmentHeld,
    /// Not IP at all (ARP, LLDP, STP, …) or an unsupported link type: nothing to report as an error.
    NotIp,
    /// The frame claims to be IP (or a tunnel) but is malformed: a reason for the read-problem list.
    Malformed(&'static str),
}

/// Decodes frames of one capture; holds the fragment reassembly state between frames.
pub struct Decoder {
    fragments: Reassembler,
    /// The last reassembled datagram's payload (reused, so steady state does not allocate).
    reassembled: Vec<u8>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder {
            fragments: Reassembler::new(),
            reassembled: Vec::new(),
        }
    }

    /// Datagrams whose fragments are held, waiting for the rest.
    pub fn fragments_pending(&self) -> usize {
        self.fragments.pending()
    }

    /// Decodes one frame down to the innermost IP packet and its transport header.
    pub fn decode<'a>(&'a mut self, frame: &Frame<'a>) -> Decoded<'a> {
        let Decoder {
            fragments,
            reassembled,
        } = self;
        // Only one datagram per frame can be reassembled (into this buffer); a fragment found
        // inside a reassembled datagram is reported instead.
        let mut buffer: Option<&'a mut Vec<u8>> = Some(reassembled);
        let mut tunnels = TunnelStack::default();
        let mut next = match link_payload(frame.link_type, frame.data) {
            LinkPayload::Ip(data) => Inner::Ip(data),
            LinkPayload::NotIp => return Decoded::NotIp,
            LinkPayload::Malformed(reason) => return Decoded::Malformed(reason),
        };
        loop {
            let data = match next {
                Inner::Ip(data) => data,
                Inner::Ethernet(data) => match ethernet(data) {
                    LinkPayload::Ip(data) => data,
                    LinkPayload::NotIp => return Decoded::NotIp,
                    LinkPayload::Malformed(reason) => return Decoded::Malformed(reason),
                },
            };
            let header = match parse_ip(data) {
                Ok(header) => header,
                Err(reason) => return Decoded::Malformed(reason),
            };
            let (protocol, ip_payload, payload_len, ip_len) = match header.fragment {
                None => (
                    header.protocol,
                    header.payload,
                    header.payload_len,
                    header.total_len,
                ),
                Some(info) => {
                    let Some(buf) = buffer.take() else {
                        return Decoded::Malformed("fragment inside a reassembled datagram");
                    };
                    let key = FragmentKey {
                        src: header.src,
                        dst: header.dst,
                        id: info.id,
                        protocol: header.protocol,
                    };
                    let fragment = Fragment {
                        offset: info.offset,
                        more: info.more,
                        data: header.payload,
                        stated_len: header.payload_len,
                    };
                    match fragments.insert(key, fragment, frame.time, buf) {
                        Outcome::Held => return Decoded::FragmentHeld,
                        Outcome::Dropped(reason) => return Decoded::Malformed(reason),
                        Outcome::Complete => {}
                    }
                    let whole: &'a [u8] = buf.as_slice();
                    let ipv6 = header.src.is_ipv6();
                    // In IPv6 the fragmentable part may start with more extension headers.
                    let (protocol, skipped) = if ipv6 {
                        match skip_extensions(header.protocol, whole, true) {
                            Ok(found) => found,
                            Err(reason) => return Decoded::Malformed(reason),
                        }
                    } else {
                        (header.protocol, 0)
                    };
                    if ipv6 && protocol == PROTO_FRAGMENT {
                        return Decoded::Malformed("second fragment header in a datagram");
                    }
                    let payload = whole.get(skipped..).unwrap_or_default();
                    let whole_len = u32::try_from(whole.len()).unwrap_or(u32::MAX);
                    // The datagram as sent had no fragment header (8 bytes in IPv6).
                    let header_len = if ipv6 {
                        header.header_len.saturating_sub(8)
                    } else {
                        header.header_len
                    };
                    (
                        protocol,
                        payload,
                        u32::try_from(payload.len()).unwrap_or(u32::MAX),
                        header_len.saturating_add(whole_len),
                    )
                }
            };
            let transport = match parse_transport(protocol, ip_payload, payload_len) {
                Ok(transport) => transport,
                Err(reason) => return Decoded::Malformed(reason),
            };
            match decapsulate(protocol, ip_payload, &transport.header, transport.payload) {
                Decap::NotTunnel => {
                    return Decoded::Packet(Packet {
                        time: frame.time,
                        src: header.src,
                        dst: header.dst,
                        transport: transport.header,
                        ip_len,
                        payload: transport.payload,
                        payload_len: transport.payload_len,
                        tunnels,
                    });
                }
                Decap::Inner(tunnel, inner) => {
                    if !tunnels.push(tunnel) {
                        return Decoded::Malformed(
                            "tunnels nested deeper than the decoder follows",
                        );
                    }
                    next = inner;
                }
                Decap::Malformed(reason) => return Decoded::Malformed(reason),
            }
        }
    }
}
