//! A minimal capture walk for the protocol-parser tests: reads a pcap/pcapng file and returns the
//! TCP and UDP payloads per direction in file order. The real flow engine lives elsewhere; these
//! tests only need the simple, well-ordered public captures, so retransmitted TCP bytes are trimmed
//! by sequence number and nothing else is reordered.

#![allow(dead_code)]

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::{Block, PcapBlockOwned, PcapError, create_reader};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

/// `../shared/data/captures/<rel>` from the crate directory; panics when the data is missing.
pub fn data_path(rel: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/captures")
        .join(rel);
    assert!(
        path.exists(),
        "test data missing: {} (install /work/shared/data as described in DESIGN.md)",
        path.display()
    );
    path
}

pub fn read_text(rel: &str) -> String {
    std::fs::read_to_string(data_path(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Proto {
    Tcp,
    Udp,
}

/// One direction of one connection.
#[derive(Debug)]
pub struct Direction {
    pub proto: Proto,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// TCP: each in-order payload chunk (retransmitted bytes trimmed); UDP: each datagram.
    pub chunks: Vec<Vec<u8>>,
    next_seq: Option<u32>,
}

impl Direction {
    pub fn stream(&self) -> Vec<u8> {
        self.chunks.concat()
    }
}

/// All directions of all flows in the capture, in order of first packet. A TCP SYN without ACK on
/// a 4-tuple already seen starts a new connection (port reuse), unless it retransmits the SYN.
pub fn directions(rel: &str) -> Vec<Direction> {
    let file = std::fs::File::open(data_path(rel)).unwrap_or_else(|e| panic!("open {rel}: {e}"));
    let mut reader =
        create_reader(1 << 20, file).unwrap_or_else(|e| panic!("pcap reader {rel}: {e:?}"));
    let mut link_types: Vec<u32> = Vec::new();
    let mut out: Vec<Direction> = Vec::new();
    let mut index: HashMap<(Proto, SocketAddr, SocketAddr), usize> = HashMap::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                let frame: Option<(u32, Vec<u8>)> = match block {
                    PcapBlockOwned::LegacyHeader(header) => {
                        link_types = vec![header.network.0 as u32];
                        None
                    }
                    PcapBlockOwned::Legacy(b) => {
                        Some((link_types.first().copied().unwrap_or(1), b.data.to_vec()))
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        link_types.push(idb.linktype.0 as u32);
                        None
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => Some((
                        link_types.get(epb.if_id as usize).copied().unwrap_or(1),
                        epb.data.to_vec(),
                    )),
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        Some((link_types.first().copied().unwrap_or(1), spb.data.to_vec()))
                    }
                    PcapBlockOwned::NG(_) => None,
                };
                reader.consume(offset);
                if let Some((link, data)) = frame {
                    take_frame(link, &data, &mut out, &mut index);
                }
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader
                .refill()
                .unwrap_or_else(|e| panic!("refill {rel}: {e:?}")),
            Err(e) => panic!("reading {rel}: {e:?}"),
        }
    }
    out
}

fn take_frame(
    link: u32,
    data: &[u8],
    out: &mut Vec<Direction>,
    index: &mut HashMap<(Proto, SocketAddr, SocketAddr), usize>,
) {
    let sliced = match link {
        1 => SlicedPacket::from_ethernet(data),
        0 | 108 => SlicedPacket::from_ip(data.get(4..).unwrap_or_default()),
        101 | 228 | 229 => SlicedPacket::from_ip(data),
        113 => SlicedPacket::from_linux_sll(data),
        276 => SlicedPacket::from_ip(data.get(20..).unwrap_or_default()),
        // PPP (9): 2-byte protocol field after address/control, or just protocol.
        9 => SlicedPacket::from_ip(data.get(4..).unwrap_or_default()),
        other => panic!("link type {other} not handled by the test walk"),
    };
    let Ok(packet) = sliced else {
        return;
    };
    let (src_ip, dst_ip): (IpAddr, IpAddr) = match &packet.net {
        Some(NetSlice::Ipv4(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        Some(NetSlice::Ipv6(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        _ => return,
    };
    match &packet.transport {
        Some(TransportSlice::Tcp(tcp)) => {
            let src = SocketAddr::new(src_ip, tcp.source_port());
            let dst = SocketAddr::new(dst_ip, tcp.destination_port());
            let key = (Proto::Tcp, src, dst);
            let seq = tcp.sequence_number();
            // A SYN starts a new connection unless it retransmits the SYN of the current one.
            let new_connection = |d: &Direction| {
                tcp.syn()
                    && !tcp.ack()
                    && (!d.chunks.is_empty() || d.next_seq != Some(seq.wrapping_add(1)))
            };
            let slot = match index.get(&key) {
                Some(&i) if !new_connection(&out[i]) => i,
                _ => {
                    out.push(Direction {
                        proto: Proto::Tcp,
                        src,
                        dst,
                        chunks: Vec::new(),
                        next_seq: None,
                    });
                    index.insert(key, out.len() - 1);
                    out.len() - 1
                }
            };
            let dir = &mut out[slot];
            if tcp.syn() {
                dir.next_seq = Some(seq.wrapping_add(1));
                return;
            }
            let payload = tcp.payload();
            if payload.is_empty() {
                return;
            }
            let next = *dir.next_seq.get_or_insert(seq);
            let behind = next.wrapping_sub(seq) as i32;
            let fresh = if behind > 0 {
                payload.get(behind as usize..).unwrap_or_default()
            } else {
                payload
            };
            if !fresh.is_empty() {
                dir.chunks.push(fresh.to_vec());
                dir.next_seq = Some(seq.wrapping_add(payload.len() as u32));
            }
        }
        Some(TransportSlice::Udp(udp)) => {
            let src = SocketAddr::new(src_ip, udp.source_port());
            let dst = SocketAddr::new(dst_ip, udp.destination_port());
            let key = (Proto::Udp, src, dst);
            let slot = *index.entry(key).or_insert_with(|| {
                out.push(Direction {
                    proto: Proto::Udp,
                    src,
                    dst,
                    chunks: Vec::new(),
                    next_seq: None,
                });
                out.len() - 1
            });
            out[slot].chunks.push(udp.payload().to_vec());
        }
        _ => {}
    }
}
