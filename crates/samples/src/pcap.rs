//! Classic pcap output (microsecond timestamps, LINKTYPE_ETHERNET), with a hard cap on the bytes
//! written so that `--size` is an upper bound whatever the scheduler estimated.

use std::io::{self, Write};

/// The 24-byte global header's length.
pub(crate) const GLOBAL_HEADER_LEN: u64 = 24;
/// Each record's header length.
pub(crate) const RECORD_HEADER_LEN: u64 = 16;

const LINKTYPE_ETHERNET: u32 = 1;
const SNAPLEN: u32 = 262_144;

pub(crate) struct PcapWriter<W: Write> {
    out: W,
    written: u64,
    limit: u64,
    packets: u64,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the global header. `limit` is the most bytes the file may hold (the header always fits).
    pub(crate) fn new(mut out: W, limit: u64) -> io::Result<Self> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone: timestamps are UTC
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        h.extend_from_slice(&SNAPLEN.to_le_bytes());
        h.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter {
            out,
            written: GLOBAL_HEADER_LEN,
            limit: limit.max(GLOBAL_HEADER_LEN),
            packets: 0,
        })
    }

    /// Writes one record at `ts_us` microseconds since the Unix epoch. Returns `Ok(false)`, writing
    /// nothing, when the record would take the file past its limit.
    pub(crate) fn write_frame(&mut self, ts_us: u64, frame: &[u8]) -> io::Result<bool> {
        let len = frame.len() as u64;
        if self.written + RECORD_HEADER_LEN + len > self.limit {
            return Ok(false);
        }
        let secs = u32::try_from(ts_us / 1_000_000).unwrap_or(u32::MAX);
        let micros = (ts_us % 1_000_000) as u32;
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&secs.to_le_bytes());
        h[4..8].copy_from_slice(&micros.to_le_bytes());
        h[8..12].copy_from_slice(&(len as u32).to_le_bytes());
        h[12..16].copy_from_slice(&(len as u32).to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(frame)?;
        self.written += RECORD_HEADER_LEN + len;
        self.packets += 1;
        Ok(true)
    }

    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    pub(crate) fn packets(&self) -> u64 {
        self.packets
    }

    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}
