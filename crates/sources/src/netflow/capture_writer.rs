//! Writing received export datagrams as a pcapng capture: one Enhanced Packet Block per datagram,
//! link type raw IP, with an IPv4 or IPv6 and UDP header made up from the exporter's and the
//! collector's addresses. Every file `ringfence collect netflow` writes is therefore a standard
//! capture that Wireshark and tshark open (and decode as CFLOW/IPFIX on the usual ports), and that
//! `netflow::read` reads back with each exporter's address intact.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const LINKTYPE_RAW: u16 = 101;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 0x0000_0001;
const EPB: u32 = 0x0000_0006;
const OPT_END: u16 = 0;
const SHB_USERAPPL: u16 = 4;
const IF_TSRESOL: u16 = 9;
/// The application named in the section header, so a reader can tell a collector's file.
pub const WRITER_APPLICATION: &str = "ringfence collect netflow";
/// The largest UDP payload an IPv4 packet can carry; longer datagrams are refused.
const MAX_PAYLOAD: usize = 65_507;

/// A pcapng file of export datagrams being written.
pub struct ExportCaptureWriter<W: Write> {
    out: W,
    collector: SocketAddr,
    bytes: u64,
    datagrams: u64,
    scratch: Vec<u8>,
}

impl<W: Write> ExportCaptureWriter<W> {
    /// Writes the section header and the one interface; `collector` is the address the
    /// datagrams were sent to (the made-up packets' destination).
    pub fn new(out: W, collector: SocketAddr) -> io::Result<Self> {
        let mut writer = ExportCaptureWriter {
            out,
            collector,
            bytes: 0,
            datagrams: 0,
            scratch: Vec::with_capacity(2048),
        };
        let mut shb = Vec::new();
        shb.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes()); // section length unknown
        option(&mut shb, SHB_USERAPPL, WRITER_APPLICATION.as_bytes());
        option(&mut shb, OPT_END, &[]);
        writer.block(SHB, &shb)?;
        let mut idb = Vec::new();
        idb.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&65_535u32.to_le_bytes()); // snap length
        option(&mut idb, IF_TSRESOL, &[9]); // nanoseconds
        option(&mut idb, OPT_END, &[]);
        writer.block(IDB, &idb)?;
        Ok(writer)
    }

    /// Appends one datagram received from `exporter` at `nanos` since the Unix epoch.
    pub fn write(&mut self, exporter: SocketAddr, nanos: u64, datagram: &[u8]) -> io::Result<()> {
        if datagram.len() > MAX_PAYLOAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "datagram longer than a UDP payload can be",
            ));
        }
        let mut packet = std::mem::take(&mut self.scratch);
        packet.clear();
        ip_udp(&mut packet, exporter, self.collector, datagram);
        let mut epb = Vec::with_capacity(packet.len() + 24);
        epb.extend_from_slice(&0u32.to_le_bytes()); // interface 0
        epb.extend_from_slice(&((nanos >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(nanos as u32).to_le_bytes());
        let len = packet.len() as u32;
        epb.extend_from_slice(&len.to_le_bytes());
        epb.extend_from_slice(&len.to_le_bytes());
        epb.extend_from_slice(&packet);
        pad(&mut epb);
        self.scratch = packet;
        self.block(EPB, &epb)?;
        self.datagrams += 1;
        Ok(())
    }

    /// Bytes written so far (headers included).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn datagrams(&self) -> u64 {
        self.datagrams
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn block(&mut self, kind: u32, body: &[u8]) -> io::Result<()> {
        let total = (body.len() + 12) as u32;
        self.out.write_all(&kind.to_le_bytes())?;
        self.out.write_all(&total.to_le_bytes())?;
        self.out.write_all(body)?;
        self.out.write_all(&total.to_le_bytes())?;
        self.bytes += u64::from(total);
        Ok(())
    }
}

fn option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
    pad(out);
}

fn pad(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// An IP and UDP header (with correct checksums) around `payload`. An exporter seen through a
/// dual-stack socket as an IPv4-mapped IPv6 address is written as IPv4.
fn ip_udp(out: &mut Vec<u8>, from: SocketAddr, to: SocketAddr, payload: &[u8]) {
    let src = from.ip().to_canonical();
    let dst = match (src, to.ip().to_canonical()) {
        (IpAddr::V4(_), dst @ IpAddr::V4(_)) | (IpAddr::V6(_), dst @ IpAddr::V6(_)) => dst,
        (IpAddr::V4(_), IpAddr::V6(_)) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (IpAddr::V6(_), IpAddr::V4(_)) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let udp_len = (payload.len() + 8) as u16;
    let mut pseudo = Vec::with_capacity(40);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = udp_len + 20;
            let mut header = [
                0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ];
            header[2..4].copy_from_slice(&total.to_be_bytes());
            header[12..16].copy_from_slice(&s.octets());
            header[16..20].copy_from_slice(&d.octets());
            let sum = checksum(&[&header]);
            header[10..12].copy_from_slice(&sum.to_be_bytes());
            out.extend_from_slice(&header);
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, 17]);
            pseudo.extend_from_slice(&udp_len.to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            out.extend_from_slice(&[0x60, 0, 0, 0]);
            out.extend_from_slice(&udp_len.to_be_bytes());
            out.extend_from_slice(&[17, 64]);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&u32::from(udp_len).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, 17]);
        }
        _ => {}
    }
    let mut udp = [0u8; 8];
    udp[0..2].copy_from_slice(&from.port().to_be_bytes());
    udp[2..4].copy_from_slice(&to.port().to_be_bytes());
    udp[4..6].copy_from_slice(&udp_len.to_be_bytes());
    let sum = match checksum(&[&pseudo, &udp, payload]) {
        0 => 0xffff, // 0 means "no checksum" in UDP
        sum => sum,
    };
    udp[6..8].copy_from_slice(&sum.to_be_bytes());
    out.extend_from_slice(&udp);
    out.extend_from_slice(payload);
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum = 0u64;
    let mut odd: Option<u8> = None;
    for part in parts {
        for byte in part.iter() {
            match odd.take() {
                Some(high) => sum += u64::from(u16::from_be_bytes([high, *byte])),
                None => odd = Some(*byte),
            }
        }
    }
    if let Some(high) = odd {
        sum += u64::from(u16::from_be_bytes([high, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_verify_to_zero() {
        let mut out = Vec::new();
        let from: SocketAddr = "192.0.2.7:4739".parse().unwrap();
        let to: SocketAddr = "198.51.100.1:2055".parse().unwrap();
        ip_udp(&mut out, from, to, b"abc");
        assert_eq!(checksum(&[&out[..20]]), 0);
        let pseudo = [
            &out[12..20],
            &[0, 17][..],
            &out[24..26], // UDP length
            &out[20..],
        ];
        assert_eq!(checksum(&pseudo), 0);
    }

    #[test]
    fn mapped_exporters_are_written_as_ipv4() {
        let mut out = Vec::new();
        let from: SocketAddr = "[::ffff:192.0.2.7]:4739".parse().unwrap();
        let to: SocketAddr = "[::]:2055".parse().unwrap();
        ip_udp(&mut out, from, to, b"x");
        assert_eq!(out[0], 0x45);
        assert_eq!(&out[12..16], &[192, 0, 2, 7]);
    }
}
