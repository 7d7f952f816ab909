//! One evidence stream of exports → connections: a capture whose UDP packets carry exports (what
//! `ringfence collect netflow` writes, or any pcap/pcapng), or a bare stream of export datagrams
//! written one after another.

use super::decoder::{DecodeSink, DecodeStats, DecoderOptions, ExportDecoder, UNKNOWN_EXPORTER};
use super::detect::{MAX_DATAGRAM, datagram_len, plausible_export};
use super::pairing::{PairStats, Pairer};
use super::record::FlowRecord;
use crate::capture::{CaptureReader, Decoded, Decoder, ObservationSink, TransportHeader};
use crate::input::{EvidenceStream, MAX_KEPT_PROBLEMS, Problems};
use ringfence_model::{Connection, Evidence, EvidenceKind, EvidenceRef};
use serde::Serialize;
use std::cell::RefCell;
use std::io::{self, BufRead, Read};
use std::net::IpAddr;
use std::rc::Rc;

const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
const PCAP_MAGICS: [u32; 3] = [0xa1b2_c3d4, 0xa1b2_3c4d, 0xa1b2_cd34];
/// Records that wait for their other direction at most (see `pairing`).
const MAX_WAITING: usize = 65_536;

/// How the exports were stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputForm {
    /// pcap or pcapng: exports are the UDP payloads, the exporter is the packet's source.
    Capture,
    /// Export datagrams one after another with nothing between them; the exporter is unknown.
    Bare,
}

/// Counts for one stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NetflowStats {
    pub form: InputForm,
    /// Captures only: packets that were not export datagrams (other traffic, non-UDP).
    pub other_packets: u64,
    pub decode: DecodeStats,
    pub pairing: PairStats,
}

/// What reading one stream produced besides its observations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOutcome {
    pub evidence: Evidence,
    pub problems: Problems,
    /// Flow records decoded (options records not included).
    pub records: u64,
    pub connections: u64,
    pub stats: NetflowStats,
}

/// True when the first bytes (up to 4 KiB, already decompressed) look like exports: a bare
/// export stream, or a capture whose first UDP packet carries an export.
pub fn looks_like(head: &[u8]) -> bool {
    if is_capture(head) {
        return capture_head_has_export(head);
    }
    if !plausible_export(head, false) {
        return false;
    }
    // The first datagram must end where the head ends or where another export begins.
    let end = datagram_len(head);
    end >= head.len()
        || head
            .get(end..)
            .is_some_and(|rest| plausible_export(rest, false))
}

/// Reads one evidence stream to the end, sending observations to `sink`.
pub fn read(
    mut stream: EvidenceStream,
    evidence: u32,
    sink: &mut dyn ObservationSink,
) -> ReadOutcome {
    let capture = match stream.reader().fill_buf() {
        Ok(head) => is_capture(head),
        Err(e) => {
            stream.problems().note(0, format!("read error: {e}"));
            false
        }
    };
    let mut state = State {
        decoder: ExportDecoder::new(DecoderOptions::default()),
        pairer: Pairer::new(MAX_WAITING),
        sink,
        evidence,
        records: 0,
    };
    let label = stream.label().to_owned();
    let (form, other_packets, finished) = if capture {
        // The capture reader takes its input by value; it borrows the stream through a shared
        // handle and gives it back when it is dropped.
        let shared = Rc::new(RefCell::new(stream));
        let (other, problems) = read_capture(&shared, &label, &mut state);
        let finished = Rc::try_unwrap(shared).ok().map(|cell| {
            let mut stream = cell.into_inner();
            merge_problems(stream.problems(), problems);
            stream.finish(EvidenceKind::Netflow)
        });
        (InputForm::Capture, other, finished)
    } else {
        read_bare(&mut stream, &mut state);
        (
            InputForm::Bare,
            0,
            Some(stream.finish(EvidenceKind::Netflow)),
        )
    };
    let State {
        decoder,
        mut pairer,
        sink,
        records,
        ..
    } = state;
    pairer.finish(&mut |connection| sink.connection(connection));
    let (evidence, problems) = finished.unwrap_or_else(|| {
        // Not reachable: the capture reader is gone by now. Said rather than panicked on.
        let mut problems = Problems::new(&label);
        problems.note(0, "the input could not be finished (its digest is unknown)");
        let evidence = Evidence {
            path: label.clone(),
            kind: Some(EvidenceKind::Netflow),
            sha256: String::new(),
            bytes: 0,
        };
        (evidence, problems)
    });
    ReadOutcome {
        evidence,
        problems,
        records,
        connections: pairer.stats.connections,
        stats: NetflowStats {
            form,
            other_packets,
            decode: decoder.stats(),
            pairing: pairer.stats,
        },
    }
}

fn is_capture(head: &[u8]) -> bool {
    let Some(magic) = head.get(..4).and_then(|m| <[u8; 4]>::try_from(m).ok()) else {
        return false;
    };
    magic == PCAPNG_MAGIC
        || PCAP_MAGICS.contains(&u32::from_le_bytes(magic))
        || PCAP_MAGICS.contains(&u32::from_be_bytes(magic))
}

fn capture_head_has_export(head: &[u8]) -> bool {
    let Ok(mut reader) =
        CaptureReader::from_reader("head", Box::new(io::Cursor::new(head.to_vec())))
    else {
        return false;
    };
    let mut decoder = Decoder::new();
    let mut verdict = None;
    reader.for_each_frame(|frame| {
        if verdict.is_some() {
            return;
        }
        if let Decoded::Packet(packet) = decoder.decode(frame)
            && let TransportHeader::Udp { .. } = packet.transport
        {
            verdict = Some(plausible_export(packet.payload, false));
        }
    });
    verdict == Some(true)
}

/// Everything one datagram's decoding needs to hand on.
struct State<'s> {
    decoder: ExportDecoder,
    pairer: Pairer,
    sink: &'s mut dyn ObservationSink,
    evidence: u32,
    records: u64,
}

impl State<'_> {
    /// Decodes one datagram found at `offset` (record `record` of the input); `exact` says the
    /// problem offsets can be given as `offset` + the byte within the datagram (bare streams).
    fn datagram(
        &mut self,
        exporter: IpAddr,
        payload: &[u8],
        record: u64,
        offset: u64,
        exact: bool,
        problems: &mut Problems,
    ) {
        let State {
            decoder,
            pairer,
            sink,
            evidence,
            records,
        } = self;
        let mut to_sink = ToSink {
            pairer,
            sink: &mut **sink,
            problems,
            at: EvidenceRef {
                evidence: *evidence,
                record,
                offset,
            },
            exact,
            records,
        };
        decoder.decode(exporter, payload, &mut to_sink);
    }
}

struct ToSink<'a> {
    pairer: &'a mut Pairer,
    sink: &'a mut dyn ObservationSink,
    problems: &'a mut Problems,
    at: EvidenceRef,
    exact: bool,
    records: &'a mut u64,
}

impl DecodeSink for ToSink<'_> {
    fn flow(&mut self, record: &FlowRecord) {
        *self.records += 1;
        let sink = &mut *self.sink;
        self.pairer
            .push(record, self.at, &mut |connection: Connection| {
                sink.connection(connection)
            });
    }

    fn problem(&mut self, offset: usize, reason: String) {
        if self.exact {
            self.problems.note(
                self.at.offset.saturating_add(offset as u64),
                format!("datagram {}: {reason}", self.at.record),
            );
        } else {
            self.problems.note(
                self.at.offset,
                format!("record {}, export byte {offset}: {reason}", self.at.record),
            );
        }
    }
}

/// Reads through the capture reader; returns the count of packets that were not exports and
/// the problems met (the capture reader's and the decoder's).
fn read_capture(
    shared: &Rc<RefCell<EvidenceStream>>,
    label: &str,
    state: &mut State<'_>,
) -> (u64, Problems) {
    let mut problems = Problems::new(label);
    let mut other = 0u64;
    let mut reader =
        match CaptureReader::from_reader(label, Box::new(SharedStream(Rc::clone(shared)))) {
            Ok(reader) => reader,
            Err(e) => {
                problems.note(0, e.to_string());
                return (other, problems);
            }
        };
    let mut decoder = Decoder::new();
    let summary = reader.for_each_frame(|frame| {
        let Decoded::Packet(packet) = decoder.decode(frame) else {
            other += 1;
            return;
        };
        let TransportHeader::Udp { .. } = packet.transport else {
            other += 1;
            return;
        };
        // A payload cut short by the capture's snap length is still decoded (and its problems
        // reported); anything else that does not start like an export is other traffic.
        let whole = packet.payload.len() == packet.payload_len as usize;
        if !plausible_export(packet.payload, whole) {
            other += 1;
            return;
        }
        state.datagram(
            packet.src,
            packet.payload,
            frame.record,
            frame.offset,
            false,
            &mut problems,
        );
    });
    let mut from_reader = Problems::new(label);
    from_reader.kept = summary.problems;
    from_reader.count = summary.problem_count;
    merge_problems(&mut problems, from_reader);
    (other, problems)
}

/// Adds `from` to `into`, keeping the first problems in input order.
fn merge_problems(into: &mut Problems, from: Problems) {
    into.count = into.count.saturating_add(from.count);
    into.kept.extend(from.kept);
    into.kept.sort_by_key(|problem| problem.offset);
    into.kept.truncate(MAX_KEPT_PROBLEMS);
}

/// The evidence stream as a `Read` the capture reader can own.
struct SharedStream(Rc<RefCell<EvidenceStream>>);

impl Read for SharedStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.borrow_mut().reader().read(buf)
    }
}

/// Reads a bare stream of export datagrams: each one starts where the previous one ended
/// (`detect::datagram_len`); bytes that do not start an export are skipped up to the next
/// plausible header and reported.
fn read_bare(stream: &mut EvidenceStream, state: &mut State<'_>) {
    let mut window = Window::new();
    let mut problems = Problems::new(stream.label());
    let mut datagrams = 0u64;
    loop {
        if let Err(e) = window.fill(stream.reader()) {
            problems.note(
                window.offset + window.len() as u64,
                format!("read error: {e}"),
            );
            break;
        }
        let data = window.data();
        if data.is_empty() {
            break;
        }
        if plausible_export(data, false) {
            let len = datagram_len(data).max(1);
            datagrams += 1;
            let datagram = data.get(..len).unwrap_or(data);
            state.datagram(
                UNKNOWN_EXPORTER,
                datagram,
                datagrams,
                window.offset,
                true,
                &mut problems,
            );
            window.consume(len);
            continue;
        }
        // Not an export here: skip to the next plausible header (a header may straddle the end
        // of the window, so the last few bytes stay unless the input has ended).
        let skip = (1..data.len())
            .find(|at| {
                data.get(*at..)
                    .is_some_and(|rest| plausible_export(rest, false))
            })
            .unwrap_or(if window.at_end {
                data.len()
            } else {
                data.len().saturating_sub(64).max(1)
            });
        problems.note(
            window.offset,
            format!("{skip} bytes that are not an export header skipped"),
        );
        window.consume(skip);
    }
    merge_problems(stream.problems(), problems);
}

/// A sliding window over the input that always holds a whole datagram when there is one.
struct Window {
    buf: Vec<u8>,
    start: usize,
    /// Offset in the input of `buf[start]`.
    offset: u64,
    at_end: bool,
}

impl Window {
    fn new() -> Window {
        Window {
            buf: Vec::with_capacity(4 * MAX_DATAGRAM),
            start: 0,
            offset: 0,
            at_end: false,
        }
    }

    fn data(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.len());
        self.start += n;
        self.offset += n as u64;
    }

    /// Tops the window up to at least one maximal datagram, unless the input ends first.
    fn fill(&mut self, input: &mut dyn BufRead) -> io::Result<()> {
        if self.start >= 2 * MAX_DATAGRAM {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        while !self.at_end && self.len() < MAX_DATAGRAM {
            let chunk = match input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                self.at_end = true;
                break;
            }
            let take = chunk.len().min(2 * MAX_DATAGRAM);
            self.buf
                .extend_from_slice(chunk.get(..take).unwrap_or(chunk));
            input.consume(take);
        }
        Ok(())
    }
}
