//! Capture files → [`Frame`]s, streaming: pcap (both byte orders, µs and ns, the "modified"
//! variant) and pcapng (any number of sections and interfaces), plain or gzip-compressed, from a
//! file or standard input.
//!
//! The SHA-256 in the returned [`Evidence`] is computed over the raw bytes as they are read (the
//! compressed bytes for a gzip file), in the same pass that decodes them (on a thread of its own
//! once the input is large: `raw_digest`).

use super::packet::{Frame, LinkType};
use crate::raw_digest::HashedReader;
use flate2::bufread::MultiGzDecoder;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};
use ringfence_model::{Evidence, EvidenceKind, ReadProblem, Timestamp};
use std::cell::{RefCell, RefMut};
use std::io::{self, BufReader, Cursor, Read};
use std::rc::Rc;

/// The parser's buffer starts small (most captures are small files, and zeroing a large buffer
/// per file adds up) and grows to `READ_BUFFER` once the input proves larger.
const INITIAL_BUFFER: usize = 64 << 10;
/// Size of the parser's buffer for a large input; also the size of each read from the input.
const READ_BUFFER: usize = 1 << 20;
/// No record (pcap record or pcapng block) may be larger than this: a longer length field is
/// corruption (libpcap's own maximum snap length is 256 KiB).
const MAX_RECORD: usize = 1 << 20;
/// The parser's buffer may grow to this to hold one record of `MAX_RECORD` plus its header.
const MAX_BUFFER: usize = 2 * MAX_RECORD;
/// How many read problems are kept in the summary (all are counted).
const MAX_KEPT_PROBLEMS: usize = 100;
/// pcapng allows any number of interfaces; a section declaring more than this is hostile.
const MAX_INTERFACES: usize = 4096;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const PCAPNG_SHB: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
const PCAP_MAGICS: [u32; 3] = [0xa1b2_c3d4, 0xa1b2_3c4d, 0xa1b2_cd34];
/// The obsolete pcapng Packet Block, which pcap-parser hands over as an unknown block.
const OBSOLETE_PACKET_BLOCK: u32 = 0x0000_0002;

/// Why a capture could not be opened at all.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: at byte {offset}: not a packet capture: {reason}")]
    NotACapture {
        path: String,
        offset: u64,
        reason: String,
    },
}

/// What one pass over a capture produced besides its frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadSummary {
    pub evidence: Evidence,
    pub frames: u64,
    /// The first problems met (at most 100), in file order.
    pub problems: Vec<ReadProblem>,
    /// All problems met, including those beyond the kept list.
    pub problem_count: u64,
}

/// The raw input with its running digest. Shared between the parser (which owns a reading handle)
/// and the reader (which finishes the digest); borrowed once per 1 MiB read. Not `Send`, so that
/// any reader can feed it (the NetFlow reader passes an already opened `EvidenceStream`).
struct RawInput {
    input: HashedReader<Box<dyn Read>>,
    /// The last I/O error, kept because the parser reduces it to "read error".
    error: Option<String>,
}

#[derive(Clone)]
struct HashingReader(Rc<RefCell<RawInput>>);

impl HashingReader {
    fn lock(&self) -> RefMut<'_, RawInput> {
        // Never borrowed twice: no borrow is held across a call back into the reader.
        self.0.borrow_mut()
    }
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut raw = self.lock();
        raw.input
            .read(buf)
            .inspect_err(|e| raw.error = Some(e.to_string()))
    }
}

/// Reads until `buf` is full or the input ends. The parser does a single `read` per refill and
/// must see whole headers at the start, so short reads (gzip, pipes) are gathered here.
struct FillReader<R> {
    inner: R,
    /// An error met after some bytes were gathered, returned by the next call.
    pending: Option<io::Error>,
}

impl<R> FillReader<R> {
    fn new(inner: R) -> Self {
        FillReader {
            inner,
            pending: None,
        }
    }
}

impl<R: Read> Read for FillReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        let mut filled = 0;
        while let Some(rest) = buf.get_mut(filled..) {
            if rest.is_empty() {
                break;
            }
            match self.inner.read(rest) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if filled > 0 => {
                    self.pending = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(filled)
    }
}

type Source = FillReader<Box<dyn Read>>;

enum Parser {
    Pcap(Box<LegacyPcapReader<Source>>),
    Pcapng(Box<PcapNGReader<Source>>),
}

/// One pcapng interface: its link type and how to turn its timestamps into nanoseconds.
#[derive(Clone, Copy)]
struct Interface {
    link_type: LinkType,
    /// Timestamp units per second (10^6 unless `if_tsresol` says otherwise).
    units_per_sec: u64,
    offset_secs: i64,
}

impl Interface {
    fn timestamp(&self, high: u32, low: u32) -> Timestamp {
        let units = (u64::from(high) << 32) | u64::from(low);
        let per_sec = self.units_per_sec.max(1);
        let secs = units / per_sec;
        let frac = units % per_sec;
        let nanos = (u128::from(frac) * 1_000_000_000 / u128::from(per_sec)) as u32;
        let secs = i64::try_from(secs)
            .unwrap_or(i64::MAX)
            .saturating_add(self.offset_secs);
        Timestamp::from_secs_nanos(secs, nanos)
    }
}

/// `if_tsresol`: high bit clear → 10^-n s, set → 2^-n s. An unusable value falls back to µs.
fn units_per_sec(tsresol: u8) -> u64 {
    let exponent = u32::from(tsresol & 0x7f);
    let units = if tsresol & 0x80 == 0 {
        10u64.checked_pow(exponent)
    } else {
        1u64.checked_shl(exponent).filter(|_| exponent < 64)
    };
    units.filter(|u| *u > 0).unwrap_or(1_000_000)
}

/// A capture file being read.
pub struct CaptureReader {
    label: String,
    kind: EvidenceKind,
    raw: HashingReader,
    parser: Option<Parser>,
}

impl CaptureReader {
    /// `path` "-" means standard input. Detects gzip (by magic, not extension), pcap (LE/BE, µs and
    /// ns magics) and pcapng.
    pub fn open(path: &str) -> Result<CaptureReader, CaptureError> {
        let input: Box<dyn Read> = if path == "-" {
            Box::new(io::stdin())
        } else {
            let file = std::fs::File::open(path).map_err(|source| CaptureError::Io {
                path: path.to_owned(),
                source,
            })?;
            Box::new(file)
        };
        Self::from_reader(path, input)
    }

    /// Reads a capture from any byte stream; `label` names it in evidence and problems.
    pub fn from_reader(label: &str, input: Box<dyn Read>) -> Result<CaptureReader, CaptureError> {
        let raw = HashingReader(Rc::new(RefCell::new(RawInput {
            input: HashedReader::new(input),
            error: None,
        })));
        let io_error = |source: io::Error| CaptureError::Io {
            path: label.to_owned(),
            source,
        };
        let not_capture = |reason: String| CaptureError::NotACapture {
            path: label.to_owned(),
            offset: 0,
            reason,
        };

        let mut raw_reader = FillReader::new(raw.clone());
        let mut head = [0u8; 4];
        let got = raw_reader.read(&mut head).map_err(io_error)?;
        let head = head.get(..got).unwrap_or_default();
        if head.is_empty() {
            return Err(not_capture("the input is empty".to_owned()));
        }
        let raw_stream = Cursor::new(head.to_vec()).chain(raw.clone());

        // Decompressed (or not) stream, with its first four bytes read back for the magic.
        let (stream, magic): (Box<dyn Read>, [u8; 4]) = if head.starts_with(&GZIP_MAGIC) {
            let mut gz = FillReader::new(MultiGzDecoder::new(BufReader::with_capacity(
                READ_BUFFER,
                raw_stream,
            )));
            let mut magic = [0u8; 4];
            let got = gz.read(&mut magic).map_err(|e| match e.kind() {
                io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => {
                    not_capture(format!("gzip data is corrupt: {e}"))
                }
                _ => io_error(e),
            })?;
            let prefix = magic.get(..got).unwrap_or_default().to_vec();
            (Box::new(Cursor::new(prefix).chain(gz.inner)), magic)
        } else {
            let mut magic = [0u8; 4];
            if let Some(dst) = magic.get_mut(..head.len()) {
                dst.copy_from_slice(head);
            }
            (Box::new(raw_stream), magic)
        };

        let source = FillReader::new(stream);
        let magic_len = if head.starts_with(&GZIP_MAGIC) {
            4
        } else {
            head.len()
        };
        if magic_len < 4 {
            return Err(not_capture(format!(
                "{magic_len} bytes are too short for a capture file header"
            )));
        }
        let (kind, parser) = if magic == PCAPNG_SHB {
            let parser = PcapNGReader::new(INITIAL_BUFFER, source)
                .map_err(|e| not_capture(format!("pcapng section header is unreadable ({e})")))?;
            (EvidenceKind::Pcapng, Parser::Pcapng(Box::new(parser)))
        } else if PCAP_MAGICS.contains(&u32::from_le_bytes(magic))
            || PCAP_MAGICS.contains(&u32::from_be_bytes(magic))
        {
            let parser = LegacyPcapReader::new(INITIAL_BUFFER, source)
                .map_err(|e| not_capture(format!("pcap file header is unreadable ({e})")))?;
            (EvidenceKind::Pcap, Parser::Pcap(Box::new(parser)))
        } else {
            return Err(not_capture(format!(
                "unknown magic number {:02x}{:02x}{:02x}{:02x}",
                magic[0], magic[1], magic[2], magic[3]
            )));
        };
        Ok(CaptureReader {
            label: label.to_owned(),
            kind,
            raw,
            parser: Some(parser),
        })
    }

    /// pcap or pcapng.
    pub fn kind(&self) -> EvidenceKind {
        self.kind
    }

    /// Calls `on_frame` for every frame in order. Corrupt records are reported with file label,
    /// byte offset and reason into the returned summary and reading resynchronises where the
    /// format allows (pcapng: skip a block whose length is sane; pcap cannot resync, so it stops).
    /// A second call finds nothing more to read.
    pub fn for_each_frame(&mut self, mut on_frame: impl FnMut(&Frame<'_>)) -> ReadSummary {
        let mut state = ReadState {
            label: &self.label,
            frames: 0,
            problems: Vec::new(),
            problem_count: 0,
        };
        if let Some(mut parser) = self.parser.take() {
            match &mut parser {
                Parser::Pcap(_) => read_pcap(&mut parser, &self.raw, &mut state, &mut on_frame),
                Parser::Pcapng(_) => read_pcapng(&mut parser, &self.raw, &mut state, &mut on_frame),
            }
            drop(parser);
            // Whatever the parser left unread still belongs to the evidence: finish the digest
            // over the whole input so that it identifies the file.
            let drained = self.raw.lock().input.drain();
            if let Err(e) = drained {
                let at = self.raw.lock().input.bytes_read();
                state.problem(
                    at,
                    &format!("reading the rest of the raw input failed at raw byte {at}: {e}"),
                );
            }
        }
        let mut raw = self.raw.lock();
        let bytes = raw.input.bytes_read();
        let sha256 = raw.input.finish_digest().unwrap_or_else(|lost| {
            state.problem(bytes, &lost.to_string());
            String::new()
        });
        ReadSummary {
            evidence: Evidence {
                path: self.label.clone(),
                kind: Some(self.kind),
                sha256,
                bytes,
            },
            frames: state.frames,
            problems: state.problems,
            problem_count: state.problem_count,
        }
    }
}

struct ReadState<'l> {
    label: &'l str,
    frames: u64,
    problems: Vec<ReadProblem>,
    problem_count: u64,
}

impl ReadState<'_> {
    fn problem(&mut self, offset: u64, reason: &str) {
        self.problem_count += 1;
        if self.problems.len() < MAX_KEPT_PROBLEMS {
            self.problems.push(ReadProblem {
                path: self.label.to_owned(),
                offset,
                reason: reason.to_owned(),
            });
        }
    }

    fn next_record(&mut self) -> u64 {
        self.frames += 1;
        self.frames
    }
}

/// What to do after the parser could not give a record.
enum Stall {
    /// More input was read (or the buffer grew); try again.
    Retry,
    /// The input ended cleanly.
    Done,
    /// A problem was reported; reading cannot go on.
    Stop,
}

/// Handles the parser's "need more bytes" answers common to both formats.
fn refill_or_grow(
    iter: &mut dyn PcapReaderIterator,
    needed_record: Option<usize>,
    capacity: &mut usize,
    raw: &HashingReader,
    state: &mut ReadState<'_>,
    offset: u64,
) -> Stall {
    if let Some(record) = needed_record {
        if record > MAX_RECORD {
            state.problem(
                offset,
                &format!(
                    "record length {record} exceeds the {MAX_RECORD}-byte limit; cannot resynchronise"
                ),
            );
            return Stall::Stop;
        }
        if record >= *capacity / 2 && *capacity < MAX_BUFFER {
            // A large record might not fit beside the parser's margin: grow within the hard cap.
            iter.grow(MAX_BUFFER);
            *capacity = MAX_BUFFER;
        }
    }
    let before = iter.data().len();
    if iter.refill().is_err() {
        let reason = raw
            .lock()
            .error
            .clone()
            .unwrap_or_else(|| "read error".to_owned());
        state.problem(offset, &format!("reading the input failed: {reason}"));
        return Stall::Stop;
    }
    let after = iter.data().len();
    if after == before && iter.reader_exhausted() {
        if before == 0 {
            return Stall::Done;
        }
        state.problem(
            offset,
            &format!("the capture ends inside a record ({before} bytes left over)"),
        );
        return Stall::Stop;
    }
    if after >= *capacity && *capacity < READ_BUFFER {
        // The input filled the small buffer: it is a large capture, read it in large chunks.
        iter.grow(READ_BUFFER);
        *capacity = READ_BUFFER;
    }
    Stall::Retry
}

/// The total length of the pcap record at the start of `data`, when its header is there.
fn pcap_record_len(data: &[u8], big_endian: bool, modified: bool) -> Option<usize> {
    let caplen: [u8; 4] = data.get(8..12)?.try_into().ok()?;
    let caplen = if big_endian {
        u32::from_be_bytes(caplen)
    } else {
        u32::from_le_bytes(caplen)
    };
    let header = if modified { 24 } else { 16 };
    usize::try_from(caplen).ok()?.checked_add(header)
}

fn read_pcap(
    parser: &mut Parser,
    raw: &HashingReader,
    state: &mut ReadState<'_>,
    on_frame: &mut dyn FnMut(&Frame<'_>),
) {
    let Parser::Pcap(reader) = parser else {
        return;
    };
    let mut link_type = LinkType::ETHERNET;
    let mut nanos = false;
    let mut big_endian = false;
    let mut modified = false;
    let mut capacity = INITIAL_BUFFER;
    loop {
        let offset = reader.consumed() as u64;
        let error_reason = {
            let iter: &mut dyn PcapReaderIterator = reader.as_mut();
            match iter.next() {
                Ok((len, block)) => {
                    match block {
                        PcapBlockOwned::LegacyHeader(header) => {
                            // The upper bits of the link-type field may carry FCS information.
                            link_type = LinkType((header.network.0 as u32) & 0xffff);
                            nanos = header.is_nanosecond_precision();
                            big_endian = header.is_bigendian();
                            modified = header.is_modified_format();
                        }
                        PcapBlockOwned::Legacy(record) => {
                            let sub = if nanos {
                                record.ts_usec
                            } else {
                                record.ts_usec.saturating_mul(1000)
                            };
                            let frame = Frame {
                                link_type,
                                time: Timestamp::from_secs_nanos(i64::from(record.ts_sec), sub),
                                data: record.data,
                                wire_len: record.origlen,
                                record: state.next_record(),
                                offset,
                            };
                            on_frame(&frame);
                        }
                        PcapBlockOwned::NG(_) => {}
                    }
                    iter.consume(len);
                    continue;
                }
                Err(PcapError::Eof) => return,
                Err(PcapError::Incomplete(_)) | Err(PcapError::BufferTooSmall) => None,
                Err(PcapError::UnexpectedEof) => {
                    Some("the capture ends inside a record".to_owned())
                }
                Err(e) => Some(format!("unreadable record ({e:?})")),
            }
        };
        if let Some(reason) = error_reason {
            let left = reader.data().len();
            state.problem(offset, &format!("{reason} ({left} bytes left unread)"));
            return;
        }
        let needed = pcap_record_len(reader.data(), big_endian, modified);
        match refill_or_grow(reader.as_mut(), needed, &mut capacity, raw, state, offset) {
            Stall::Retry => {}
            Stall::Done | Stall::Stop => return,
        }
    }
}

/// Length of the pcapng block at the start of `data` if its header is there.
fn pcapng_block_len(data: &[u8], big_endian: bool) -> Option<usize> {
    let len: [u8; 4] = data.get(4..8)?.try_into().ok()?;
    let len = if big_endian {
        u32::from_be_bytes(len)
    } else {
        u32::from_le_bytes(len)
    };
    usize::try_from(len).ok()
}

/// A block length that can be trusted to skip by: at least a header and trailer, 4-aligned, and
/// not beyond the record limit.
fn sane_block_len(len: usize) -> bool {
    len >= 12 && len.is_multiple_of(4) && len <= MAX_RECORD
}

fn read_pcapng(
    parser: &mut Parser,
    raw: &HashingReader,
    state: &mut ReadState<'_>,
    on_frame: &mut dyn FnMut(&Frame<'_>),
) {
    let Parser::Pcapng(reader) = parser else {
        return;
    };
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut big_endian = false;
    let mut capacity = INITIAL_BUFFER;
    loop {
        let offset = reader.consumed() as u64;
        let bad_block: Option<String> = {
            let iter: &mut dyn PcapReaderIterator = reader.as_mut();
            match iter.next() {
                Ok((len, block)) => {
                    if let PcapBlockOwned::NG(block) = block {
                        let problem = handle_block(
                            &block,
                            &mut interfaces,
                            &mut big_endian,
                            state,
                            offset,
                            on_frame,
                        );
                        if let Some(reason) = problem {
                            state.problem(offset, reason);
                        }
                    }
                    iter.consume(len);
                    continue;
                }
                Err(PcapError::Eof) => return,
                Err(PcapError::Incomplete(_)) | Err(PcapError::BufferTooSmall) => None,
                Err(PcapError::UnexpectedEof) => {
                    let left = iter.data().len();
                    state.problem(
                        offset,
                        &format!("the capture ends inside a block ({left} bytes left unread)"),
                    );
                    return;
                }
                Err(e) => Some(format!("{e:?}")),
            }
        };
        if let Some(detail) = bad_block {
            // A block the parser rejects: skip it by its length when that length can be trusted.
            match pcapng_block_len(reader.data(), big_endian) {
                Some(len) if sane_block_len(len) && len <= reader.data().len() => {
                    state.problem(offset, &format!("corrupt block skipped ({detail})"));
                    reader.consume(len);
                    continue;
                }
                Some(len) => {
                    state.problem(
                        offset,
                        &format!("corrupt block with unusable length {len}; cannot resynchronise"),
                    );
                    return;
                }
                None => {
                    state.problem(offset, "corrupt block; cannot resynchronise");
                    return;
                }
            }
        }
        let needed = pcapng_block_len(reader.data(), big_endian);
        if let Some(len) = needed
            && sane_block_len(len)
            && len <= reader.data().len()
        {
            // The whole block is in the buffer yet the parser wants more: its inner lengths
            // (e.g. a captured length beyond the block) are inconsistent. Skip it.
            state.problem(
                offset,
                "corrupt block skipped (inner length exceeds the block)",
            );
            reader.consume(len);
            continue;
        }
        if let Some(len) = needed
            && len < 12
        {
            state.problem(
                offset,
                &format!("block length {len} is shorter than a block header; cannot resynchronise"),
            );
            return;
        }
        match refill_or_grow(reader.as_mut(), needed, &mut capacity, raw, state, offset) {
            Stall::Retry => {}
            Stall::Done | Stall::Stop => return,
        }
    }
}

/// Acts on one parsed pcapng block; returns a problem to report, if any.
fn handle_block(
    block: &Block<'_>,
    interfaces: &mut Vec<Interface>,
    big_endian: &mut bool,
    state: &mut ReadState<'_>,
    offset: u64,
    on_frame: &mut dyn FnMut(&Frame<'_>),
) -> Option<&'static str> {
    match block {
        Block::SectionHeader(shb) => {
            // A new section starts a new interface list.
            *big_endian = shb.big_endian();
            interfaces.clear();
        }
        Block::InterfaceDescription(idb) => {
            if interfaces.len() >= MAX_INTERFACES {
                return Some("too many interfaces in one section; interface ignored");
            }
            interfaces.push(Interface {
                link_type: LinkType(idb.linktype.0 as u32),
                units_per_sec: units_per_sec(idb.if_tsresol),
                offset_secs: idb.if_tsoffset,
            });
        }
        Block::EnhancedPacket(epb) => {
            let Some(interface) = usize::try_from(epb.if_id)
                .ok()
                .and_then(|i| interfaces.get(i))
            else {
                return Some("packet for an interface that was never described; skipped");
            };
            let caplen = usize::try_from(epb.caplen).unwrap_or(usize::MAX);
            let data = epb.data.get(..caplen).unwrap_or(epb.data);
            on_frame(&Frame {
                link_type: interface.link_type,
                time: interface.timestamp(epb.ts_high, epb.ts_low),
                data,
                wire_len: epb.origlen,
                record: state.next_record(),
                offset,
            });
        }
        Block::SimplePacket(spb) => {
            // A simple packet belongs to the first interface and has no timestamp.
            let Some(interface) = interfaces.first() else {
                return Some("simple packet before any interface description; skipped");
            };
            let caplen = usize::try_from(spb.origlen).unwrap_or(usize::MAX);
            let data = spb.data.get(..caplen).unwrap_or(spb.data);
            on_frame(&Frame {
                link_type: interface.link_type,
                time: Timestamp::default(),
                data,
                wire_len: spb.origlen,
                record: state.next_record(),
                offset,
            });
        }
        Block::Unknown(unknown) if unknown.block_type == OBSOLETE_PACKET_BLOCK => {
            return obsolete_packet(
                unknown.data,
                *big_endian,
                interfaces,
                state,
                offset,
                on_frame,
            );
        }
        _ => {}
    }
    None
}

/// The obsolete Packet Block: interface id (2), drops (2), timestamp (8), caplen (4), len (4), data.
fn obsolete_packet(
    body: &[u8],
    big_endian: bool,
    interfaces: &[Interface],
    state: &mut ReadState<'_>,
    offset: u64,
    on_frame: &mut dyn FnMut(&Frame<'_>),
) -> Option<&'static str> {
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = body.get(at..at + 2)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = body.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let (Some(if_id), Some(high), Some(low), Some(caplen), Some(wire_len)) =
        (u16_at(0), u32_at(4), u32_at(8), u32_at(12), u32_at(16))
    else {
        return Some("packet block too short; skipped");
    };
    let Some(interface) = interfaces.get(usize::from(if_id)) else {
        return Some("packet for an interface that was never described; skipped");
    };
    let Some(data) = usize::try_from(caplen)
        .ok()
        .and_then(|len| body.get(20..20usize.checked_add(len)?))
    else {
        return Some("packet block's captured length exceeds the block; skipped");
    };
    on_frame(&Frame {
        link_type: interface.link_type,
        time: interface.timestamp(high, low),
        data,
        wire_len,
        record: state.next_record(),
        offset,
    });
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsresol_decimal_and_binary() {
        assert_eq!(units_per_sec(6), 1_000_000);
        assert_eq!(units_per_sec(9), 1_000_000_000);
        assert_eq!(units_per_sec(0x80 | 10), 1024);
        // Unrepresentable resolutions fall back to microseconds rather than dividing by zero.
        assert_eq!(units_per_sec(20), 1_000_000);
        assert_eq!(units_per_sec(0x80 | 64), 1_000_000);
    }

    #[test]
    fn interface_timestamps_use_resolution_and_offset() {
        let ns = Interface {
            link_type: LinkType::ETHERNET,
            units_per_sec: 1_000_000_000,
            offset_secs: 0,
        };
        let units: u64 = 1_700_000_000_123_456_789;
        let t = ns.timestamp((units >> 32) as u32, units as u32);
        assert_eq!(t, Timestamp::from_secs_nanos(1_700_000_000, 123_456_789));
        let binary = Interface {
            link_type: LinkType::ETHERNET,
            units_per_sec: 1024,
            offset_secs: 10,
        };
        let t = binary.timestamp(0, 1024 * 5 + 512);
        assert_eq!(t, Timestamp::from_secs_nanos(15, 500_000_000));
    }
}
