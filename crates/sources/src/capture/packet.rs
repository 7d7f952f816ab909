//! The two records that pass between the capture layers: a link-layer [`Frame`] as read from a file
//! and the transport-level [`Packet`] decoded from it.

use ringfence_model::Timestamp;
use std::net::IpAddr;

/// A pcap/pcapng link-layer header type (the `LINKTYPE_*` registry values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    pub const RAW: LinkType = LinkType(101);
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const PPI: LinkType = LinkType(192);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// One captured link-layer record, borrowed from the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub link_type: LinkType,
    pub time: Timestamp,
    /// The captured bytes (possibly fewer than were on the wire).
    pub data: &'a [u8],
    /// The length on the wire.
    pub wire_len: u32,
    /// 1-based record number in the file.
    pub record: u64,
    /// Byte offset of the record in the (decompressed) file.
    pub offset: u64,
}

/// TCP flags, as the bits of the header's flags byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;

    pub fn fin(self) -> bool {
        self.0 & Self::FIN != 0
    }
    pub fn syn(self) -> bool {
        self.0 & Self::SYN != 0
    }
    pub fn rst(self) -> bool {
        self.0 & Self::RST != 0
    }
    pub fn ack(self) -> bool {
        self.0 & Self::ACK != 0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpHeader {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportHeader {
    Tcp(TcpHeader),
    Udp {
        src_port: u16,
        dst_port: u16,
    },
    /// Any other IP protocol (ICMP, SCTP, …): counted, not made into connections.
    Other {
        protocol: u8,
    },
}

/// An encapsulation a packet was carried in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tunnel {
    Gre,
    Vxlan,
    Teredo,
    /// IPv4 or IPv6 carried directly in IPv4 or IPv6 (protocols 4 and 41: IP-in-IP, 6in4, 4in6, 6in6).
    IpInIp,
    /// Geneve (UDP port 6081).
    Geneve,
    /// GTPv1-U (UDP port 2152): mobile networks' user plane, IP carried in G-PDUs.
    Gtp,
    /// CAPWAP data channel (UDP port 5247): wireless clients' frames relayed by an access point.
    Capwap,
}

impl Tunnel {
    pub fn as_str(self) -> &'static str {
        match self {
            Tunnel::Gre => "gre",
            Tunnel::Vxlan => "vxlan",
            Tunnel::Teredo => "teredo",
            Tunnel::IpInIp => "ipip",
            Tunnel::Geneve => "geneve",
            Tunnel::Gtp => "gtp",
            Tunnel::Capwap => "capwap",
        }
    }
}

/// The encapsulations of one packet, outermost first, without allocating.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TunnelStack {
    layers: [Option<Tunnel>; TunnelStack::MAX_DEPTH],
    depth: u8,
}

impl TunnelStack {
    /// Decapsulation stops (and the packet is reported) beyond this depth.
    pub const MAX_DEPTH: usize = 4;

    /// Adds an inner layer; returns false when the stack is full.
    pub fn push(&mut self, tunnel: Tunnel) -> bool {
        let depth = usize::from(self.depth);
        if depth >= Self::MAX_DEPTH {
            return false;
        }
        self.layers[depth] = Some(tunnel);
        self.depth += 1;
        true
    }

    pub fn is_empty(&self) -> bool {
        self.depth == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = Tunnel> + '_ {
        self.layers[..usize::from(self.depth)]
            .iter()
            .flatten()
            .copied()
    }
}

/// A decoded IP packet: the innermost IP header's addresses, its transport header and payload.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    pub time: Timestamp,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub transport: TransportHeader,
    /// Length of the innermost IP packet as its header states it (after reassembly, the whole
    /// datagram), headers included.
    pub ip_len: u32,
    /// The transport payload that was captured (may be shorter than sent when the snap length cut it).
    pub payload: &'a [u8],
    /// The transport payload length the headers claim (what was sent).
    pub payload_len: u32,
    pub tunnels: TunnelStack,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunnel_stack_keeps_order_and_bounds_depth() {
        let mut stack = TunnelStack::default();
        assert!(stack.push(Tunnel::Gre));
        assert!(stack.push(Tunnel::Vxlan));
        assert!(stack.push(Tunnel::IpInIp));
        assert!(stack.push(Tunnel::Teredo));
        assert!(!stack.push(Tunnel::Gre));
        let order: Vec<_> = stack.iter().collect();
        assert_eq!(
            order,
            [Tunnel::Gre, Tunnel::Vxlan, Tunnel::IpInIp, Tunnel::Teredo]
        );
    }
}
