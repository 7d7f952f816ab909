//! EVTX files (the Windows event log's own format), read chunk by chunk from a stream.
//!
//! An EVTX file is a 4 KiB file header (magic `ElfFile\0`) followed by 64 KiB chunks (magic
//! `ElfChnk\0`), each holding its own string and template tables and whole records. So the
//! reader holds one chunk at a time and needs no `Seek` (the input may be standard input or
//! gzip): it reads 64 KiB and has the `evtx` crate read the chunk header and check both
//! checksums (`EvtxChunkData`). Chunks are read in file order; a log that wrapped around
//! therefore gives its newest chunks' records before its oldest (record numbers stay the
//! file's order).
//!
//! An intact chunk (whole, both checksums right) is read the fast way (`chunk`): the values
//! ringfence needs are taken from each record's template substitutions, with no rendering.
//! Any other chunk, and an intact one the fast way does not read (shaped otherwise than
//! Windows writes logs), is read as before the fast way existed: the crate renders each record
//! to JSON and the fields are read from that JSON (`fields`). Both ways give the same
//! observations (the tests below compare them on every sample); rendering made the reader four
//! times slower per core than `evtx_dump` (`scripts/bench-evtx`).
//!
//! A chunk without its magic, a chunk whose checksum is wrong, a record the crate cannot parse
//! or render, and a file cut short are problems (with the byte offset of the chunk or record);
//! reading goes on with the next record or chunk. All-zero chunks (preallocated space) are
//! skipped silently.

use super::chunk::FastChunks;
use super::fields::{EventData, EventHeader, Scalar, present};
use super::observe::{Observer, Position};
use crate::input::{EvidenceStream, Problems};
use evtx::err::EvtxError;
use evtx::{ChunkFlags, EvtxChunkData, EvtxChunkHeader, ParserSettings};
use serde::Deserialize;
use std::borrow::Cow;
use std::sync::Arc;

const FILE_MAGIC: &[u8] = b"ElfFile\0";
const CHUNK_MAGIC: &[u8] = b"ElfChnk\0";
pub(crate) const FILE_HEADER_SIZE: usize = 4096;
pub(crate) const CHUNK_SIZE: usize = 65536;
const RECORD_HEADER_SIZE: u64 = 24;
/// The chunk header the header CRC32 covers (but for the checksum field itself at 120..128).
const CHUNK_HEADER_SIZE: usize = 512;
/// A chunk holds at most this many records (each at least a record header): a bound on the
/// crate's record iterator whatever the chunk's bytes say.
const MAX_RECORDS_PER_CHUNK: usize = CHUNK_SIZE / RECORD_HEADER_SIZE as usize;

pub(crate) fn looks_like(head: &[u8]) -> bool {
    head.starts_with(FILE_MAGIC)
}

/// The parts of a record's JSON (as the `evtx` crate renders it) that ringfence reads.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "Event", borrow)]
    event: Event<'a>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "System", borrow, default)]
    system: Option<System<'a>>,
    #[serde(rename = "EventData", borrow, default)]
    event_data: Option<EventData<'a>>,
}

#[derive(Deserialize)]
struct System<'a> {
    #[serde(rename = "EventID", borrow, default)]
    event_id: Scalar<'a>,
    #[serde(rename = "Channel", borrow, default)]
    channel: Scalar<'a>,
    #[serde(rename = "Computer", borrow, default)]
    computer: Scalar<'a>,
    #[serde(rename = "Provider", borrow, default)]
    provider: Option<Provider<'a>>,
}

#[derive(Deserialize)]
struct Provider<'a> {
    #[serde(rename = "#attributes", borrow, default)]
    attributes: Option<ProviderAttributes<'a>>,
}

#[derive(Deserialize)]
struct ProviderAttributes<'a> {
    #[serde(rename = "Name", borrow, default)]
    name: Scalar<'a>,
}

/// Reads the EVTX file in `stream` to its end.
pub(crate) fn read(
    stream: &mut EvidenceStream,
    observer: &mut Observer<'_>,
    problems: &mut Problems,
) {
    read_chunks(stream, Some(&mut FastChunks::default()), observer, problems);
}

/// [`read`], with the fast path for intact chunks or (`None`) with the crate's rendering only.
fn read_chunks(
    stream: &mut EvidenceStream,
    fast: Option<&mut FastChunks>,
    observer: &mut Observer<'_>,
    problems: &mut Problems,
) {
    let header = match stream.next_bytes(FILE_HEADER_SIZE) {
        Ok(header) => header,
        Err(error) => return problems.note(0, format!("read error: {error}")),
    };
    if !header.starts_with(FILE_MAGIC) {
        return problems.note(0, "not an EVTX file (no ElfFile magic)");
    }
    if header.len() < FILE_HEADER_SIZE {
        return problems.note(
            header.len() as u64,
            format!(
                "file cut short in its header ({} of {FILE_HEADER_SIZE} bytes)",
                header.len()
            ),
        );
    }
    let mut chunks = ChunkReader {
        settings: Arc::new(ParserSettings::default().indent(false)),
        fast,
        record_number: 0,
    };
    let mut offset = FILE_HEADER_SIZE as u64;
    loop {
        // The chunk is read where it lies in the stream's buffer; only a chunk the crate must
        // render is copied.
        let chunk = match stream.next_bytes(CHUNK_SIZE) {
            Ok(chunk) => chunk,
            Err(error) => {
                return problems.note(
                    offset,
                    format!("read error: {error}; the rest of the input was not read"),
                );
            }
        };
        if chunk.is_empty() {
            return;
        }
        let complete = chunk.len() == CHUNK_SIZE;
        if !complete {
            problems.note(
                offset + chunk.len() as u64,
                format!(
                    "file cut short in the chunk at byte {offset} ({} of {CHUNK_SIZE} bytes): \
                     its complete records are read",
                    chunk.len()
                ),
            );
        }
        if chunk.starts_with(CHUNK_MAGIC) {
            chunks.chunk(chunk, offset, observer, problems);
        } else if !all_zero(chunk) {
            problems.note(offset, "no ElfChnk magic: chunk skipped");
        }
        if !complete {
            return;
        }
        offset += CHUNK_SIZE as u64;
    }
}

/// Whether every byte is zero (the unused chunks a log file is created with). Without an early
/// exit, so that it runs a vector's width at a time.
fn all_zero(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |any, &b| any | b) == 0
}

struct ChunkReader<'f> {
    settings: Arc<ParserSettings>,
    /// The fast path for intact chunks (`None` in the tests that compare both ways).
    fast: Option<&'f mut FastChunks>,
    /// Records read so far in the file.
    record_number: u64,
}

impl ChunkReader<'_> {
    /// Reads the records of the chunk at `offset` (`bytes`: the whole chunk, or what the input
    /// holds of it).
    fn chunk(
        &mut self,
        bytes: &[u8],
        offset: u64,
        observer: &mut Observer<'_>,
        problems: &mut Problems,
    ) {
        let complete = bytes.len() == CHUNK_SIZE;
        if complete && self.read_intact(bytes, offset, observer, problems) {
            return;
        }
        // The crate's parser owns its chunk, made up to full size with zeros when cut short.
        let mut owned = vec![0u8; CHUNK_SIZE];
        if let Some(start) = owned.get_mut(..bytes.len()) {
            start.copy_from_slice(bytes);
        }
        let mut data = match EvtxChunkData::new(owned, false) {
            Ok(data) => data,
            Err(error) => {
                return problems.note(offset, format!("chunk skipped: {}", describe(&error)));
            }
        };
        if complete && !data.validate_checksum() {
            problems.note(
                offset,
                "chunk checksum mismatch: its records are read anyway",
            );
        }
        self.render(&mut data, offset, bytes.len(), observer, problems);
    }

    /// Reads an intact chunk (both CRC32s right) on the fast path, when there is one and the
    /// chunk holds nothing it leaves to the crate; false when nothing was read.
    fn read_intact(
        &mut self,
        bytes: &[u8],
        offset: u64,
        observer: &mut Observer<'_>,
        problems: &mut Problems,
    ) -> bool {
        let Some(fast) = self.fast.as_mut() else {
            return false;
        };
        let Ok(header) = EvtxChunkHeader::from_bytes(bytes) else {
            return false;
        };
        intact(bytes, &header)
            && fast
                .read(
                    bytes,
                    &header,
                    offset,
                    &mut self.record_number,
                    observer,
                    problems,
                )
                .is_ok()
    }

    /// Reads the chunk's records through the crate's rendering; `read` bytes of it came from
    /// the input (the rest is padding).
    fn render(
        &mut self,
        data: &mut EvtxChunkData,
        offset: u64,
        read: usize,
        observer: &mut Observer<'_>,
        problems: &mut Problems,
    ) {
        match data.parse(Arc::clone(&self.settings)) {
            Ok(mut chunk) => {
                for record in chunk.iter().take(MAX_RECORDS_PER_CHUNK) {
                    match record {
                        Ok(record) => {
                            let start = record.binxml_offset.saturating_sub(RECORD_HEADER_SIZE);
                            // The binary XML, then a copy of the record's size.
                            let end = record.binxml_offset + u64::from(record.binxml_size) + 4;
                            if end > read as u64 {
                                // Cut short: the rest was made up of zeros to parse the chunk.
                                break;
                            }
                            self.record_number += 1;
                            let at = Position {
                                record: self.record_number,
                                offset: offset + start,
                            };
                            match record.into_json_bytes() {
                                Ok(json) => one_record(&json.data, at, observer, problems),
                                Err(error) => problems.note(
                                    at.offset,
                                    format!("record {}: {}", at.record, describe(&error)),
                                ),
                            }
                        }
                        Err(error) => {
                            let at = record_offset(&error);
                            if at >= read as u64 {
                                break;
                            }
                            problems.note(
                                offset + at,
                                format!("unreadable record: {}", describe(&error)),
                            );
                        }
                    }
                }
            }
            Err(error) => problems.note(offset, format!("chunk skipped: {}", describe(&error))),
        }
    }
}

/// Whether both CRC32s of the chunk are right (or it says it has none), as
/// `EvtxChunkData::validate_checksum` decides, but on the chunk where it lies.
fn intact(bytes: &[u8], header: &EvtxChunkHeader) -> bool {
    if header.flags.contains(ChunkFlags::NO_CRC32) {
        return true;
    }
    let (Some(before), Some(after)) = (bytes.get(..120), bytes.get(128..CHUNK_HEADER_SIZE)) else {
        return false;
    };
    let mut header_crc = crc32fast::Hasher::new();
    header_crc.update(before);
    header_crc.update(after);
    let records = bytes.get(CHUNK_HEADER_SIZE..header.free_space_offset as usize);
    header_crc.finalize() == header.header_chunk_checksum
        && records.is_some_and(|records| crc32fast::hash(records) == header.events_checksum)
}

fn one_record(json: &[u8], at: Position, observer: &mut Observer<'_>, problems: &mut Problems) {
    let record: Record<'_> = match serde_json::from_slice(json) {
        Ok(record) => record,
        Err(error) => {
            return problems.note(
                at.offset,
                format!("record {}: rendered JSON unreadable: {error}", at.record),
            );
        }
    };
    let Some(system) = &record.event.system else {
        return problems.note(
            at.offset,
            format!("record {}: no System element", at.record),
        );
    };
    let provider = system
        .provider
        .as_ref()
        .and_then(|p| p.attributes.as_ref())
        .and_then(|a| present(&a.name));
    let header = EventHeader {
        event_id: system.event_id.unsigned(),
        channel: present(&system.channel).map(Cow::Borrowed),
        provider: provider.map(Cow::Borrowed),
        computer: present(&system.computer).map(Cow::Borrowed),
    };
    if observer.wants(&header) {
        let data = record.event.event_data.unwrap_or_default();
        observer.event(&header, &data, at, problems);
    }
}

/// Where in its chunk an unreadable record is, when the error says.
fn record_offset(error: &EvtxError) -> u64 {
    match error {
        EvtxError::FailedToReadRecordAt { offset, .. } => *offset,
        _ => 0,
    }
}

/// An error and its causes, outermost first.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::ObservationSink;
    use crate::sysmon::{SysmonCounts, SysmonOptions};
    use ringfence_model::{Connection, Installation, Resolution};
    use std::path::PathBuf;

    #[derive(Debug, Default, PartialEq)]
    struct Sent {
        connections: Vec<Connection>,
        resolutions: Vec<Resolution>,
        installations: Vec<Installation>,
    }

    impl ObservationSink for Sent {
        fn connection(&mut self, connection: Connection) {
            self.connections.push(connection);
        }
        fn resolution(&mut self, resolution: Resolution) {
            self.resolutions.push(resolution);
        }
        fn installation(&mut self, installation: Installation) {
            self.installations.push(installation);
        }
    }

    fn sample(name: &str) -> Vec<u8> {
        let path = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/endpoint/evtx-attack-samples"
        ))
        .join(name);
        std::fs::read(&path)
            .unwrap_or_else(|e| panic!("shared test data missing: {}: {e}", path.display()))
    }

    /// What reading `bytes` sends, counts and notes, and the chunks read the fast way.
    fn read_both_ways(bytes: &[u8], fast: bool) -> (Sent, SysmonCounts, Problems, u64) {
        let input = Box::new(std::io::Cursor::new(bytes.to_vec()));
        let mut stream = EvidenceStream::from_reader("x.evtx", input).unwrap();
        let mut sent = Sent::default();
        let mut problems = Problems::new("x.evtx");
        let mut observer = Observer::new(0, &mut sent, SysmonOptions::default());
        let mut chunks = FastChunks::default();
        let fast = fast.then_some(&mut chunks);
        read_chunks(&mut stream, fast, &mut observer, &mut problems);
        let counts = observer.finish();
        (sent, counts, problems, chunks.chunks)
    }

    /// The fast path gives exactly what rendering every record gives, on every sample and on
    /// all of them in one file (the templates and names of one chunk are not another's).
    #[test]
    fn the_fast_path_reads_what_the_crate_renders() {
        let files = [
            "Command and Control/DE_sysmon-3-rdp-tun.evtx",
            "Lateral Movement/LM_sysmon_3_12_13_1_SharpRDP.evtx",
            "Privilege Escalation/Sysmon_UACME_64.evtx",
        ]
        .map(sample);
        let mut all = files[0][..FILE_HEADER_SIZE].to_vec();
        for file in &files {
            all.extend_from_slice(&file[FILE_HEADER_SIZE..]);
        }
        for bytes in files.iter().chain([&all]) {
            let (fast, fast_counts, fast_problems, chunks) = read_both_ways(bytes, true);
            let (rendered, counts, problems, _) = read_both_ways(bytes, false);
            // Every chunk but the preallocated (all-zero) ones is read the fast way.
            let written = bytes[FILE_HEADER_SIZE..]
                .chunks(CHUNK_SIZE)
                .filter(|chunk| chunk.starts_with(CHUNK_MAGIC))
                .count();
            assert_eq!(chunks as usize, written);
            assert_eq!(fast_counts, counts);
            assert_eq!(fast_problems, problems);
            assert_eq!(fast, rendered);
            assert!(counts.records > 0 && problems.count == 0);
        }
    }

    /// Damage the checksums do not catch (they are written again after it) reaches the fast
    /// path: no panic, problems inside the input, and whatever it reads is bounded by the input.
    #[test]
    fn damage_behind_right_checksums_is_no_panic() {
        let bytes = sample("Privilege Escalation/Sysmon_UACME_64.evtx");
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let chunks = (bytes.len() - FILE_HEADER_SIZE) / CHUNK_SIZE;
        let mut fast_reads = 0;
        for _ in 0..300 {
            let mut damaged = bytes.clone();
            let start = FILE_HEADER_SIZE + (next() as usize % chunks) * CHUNK_SIZE;
            let chunk = &mut damaged[start..start + CHUNK_SIZE];
            let free = u32::from_le_bytes(chunk[48..52].try_into().unwrap()) as usize;
            if !(512..=CHUNK_SIZE).contains(&free) {
                continue;
            }
            for _ in 0..1 + next() % 8 {
                let at = 512 + next() as usize % (free - 512);
                chunk[at] = next() as u8;
            }
            let records = evtx::checksum_ieee(&chunk[512..free]);
            chunk[52..56].copy_from_slice(&records.to_le_bytes());
            let header = evtx::checksum_ieee(&[&chunk[..120], &chunk[128..512]].concat());
            chunk[124..128].copy_from_slice(&header.to_le_bytes());
            let (sent, counts, problems, fast) = read_both_ways(&damaged, true);
            fast_reads += fast;
            assert!(problems.kept.iter().all(|p| p.offset < bytes.len() as u64));
            // A record takes at least its header and the copy of its size.
            assert!(counts.records <= (chunks * CHUNK_SIZE / 28) as u64);
            assert!(sent.connections.len() + sent.installations.len() <= counts.records as usize);
        }
        // Most damage hits values the fast path reads past, or reads as other values.
        assert!(fast_reads > 0);
    }
}
