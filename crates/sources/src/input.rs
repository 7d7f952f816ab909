//! Opening a text or binary evidence stream the same way for every log-style reader: a path or
//! `-` (standard input), gzip detected by its magic bytes and undone transparently, and the
//! SHA-256 of the bytes as read (the compressed bytes for a gzip file) computed in the same pass
//! (beside the parse, on a thread of its own for large inputs: `raw_digest`).
//!
//! Packet captures have their own reader (`capture::CaptureReader`) because pcap-parser drives
//! its own buffer; everything else reads lines or records through [`EvidenceStream`].

use crate::raw_digest::HashedReader;
use flate2::bufread::MultiGzDecoder;
use ringfence_model::{Evidence, EvidenceKind, ReadProblem};
use std::io::{self, BufRead, BufReader, Read};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The decompressed side's buffer for a gzip input.
const GZIP_BUFFER: usize = 128 << 10;
/// How many read problems are kept (all are counted).
pub const MAX_KEPT_PROBLEMS: usize = 100;

type Raw = HashedReader<Box<dyn Read>>;

/// The bytes a reader parses: the raw bytes themselves, or what they decompress to.
enum Body {
    Plain(Raw),
    Gzip {
        decoder: Box<BufReader<MultiGzDecoder<Raw>>>,
        /// Where [`EvidenceStream::next_bytes`] gathers decompressed bytes.
        gathered: Vec<u8>,
    },
}

/// An evidence file opened for reading: decompressed bytes through [`EvidenceStream::reader`],
/// and the digest of the raw bytes once it has been read to the end.
pub struct EvidenceStream {
    label: String,
    /// Boxed: the raw reader's digest state is large, and streams are moved around.
    body: Box<Body>,
    problems: Problems,
}

impl EvidenceStream {
    /// Opens `path` (`-` is standard input).
    pub fn open(path: &str) -> io::Result<EvidenceStream> {
        let input: Box<dyn Read> = if path == "-" {
            Box::new(io::stdin())
        } else {
            Box::new(std::fs::File::open(path)?)
        };
        EvidenceStream::from_reader(path, input)
    }

    /// Wraps any reader; `label` names it in problems and in the evidence list.
    pub fn from_reader(label: &str, input: Box<dyn Read>) -> io::Result<EvidenceStream> {
        let mut raw = HashedReader::new(input);
        let gzip = raw.fill_buf()?.starts_with(&GZIP_MAGIC);
        let body = if gzip {
            Body::Gzip {
                decoder: Box::new(BufReader::with_capacity(
                    GZIP_BUFFER,
                    MultiGzDecoder::new(raw),
                )),
                gathered: Vec::new(),
            }
        } else {
            Body::Plain(raw)
        };
        Ok(EvidenceStream {
            label: label.to_owned(),
            body: Box::new(body),
            problems: Problems::new(label),
        })
    }

    /// The path as the user gave it.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The decompressed bytes.
    pub fn reader(&mut self) -> &mut dyn BufRead {
        match &mut *self.body {
            Body::Plain(raw) => raw,
            Body::Gzip { decoder, .. } => decoder,
        }
    }

    /// The next `n` decompressed bytes in one slice (`n` at most 256 KiB), consumed; fewer only
    /// where the input ends. Read where they lie in the stream's buffer when they can be, so a
    /// reader of fixed-size records (EVTX chunks) never copies them.
    pub(crate) fn next_bytes(&mut self, n: usize) -> io::Result<&[u8]> {
        match &mut *self.body {
            Body::Plain(raw) => raw.next_bytes(n),
            Body::Gzip { decoder, gathered } => {
                gathered.clear();
                let n = n.min(crate::raw_digest::BLOCK_BYTES) as u64;
                decoder.take(n).read_to_end(gathered)?;
                Ok(gathered)
            }
        }
    }

    /// Where unreadable records are noted.
    pub fn problems(&mut self) -> &mut Problems {
        &mut self.problems
    }

    /// Reads whatever is left (so the digest covers the whole input) and reports the evidence.
    pub fn finish(mut self, kind: EvidenceKind) -> (Evidence, Problems) {
        let drained = match &mut *self.body {
            Body::Plain(raw) => raw.drain(),
            Body::Gzip { decoder, .. } => io::copy(decoder, &mut io::sink()).map(drop),
        };
        let raw = match &mut *self.body {
            Body::Plain(raw) => raw,
            Body::Gzip { decoder, .. } => decoder.get_mut().get_mut(),
        };
        if let Err(e) = drained {
            self.problems
                .note(raw.bytes_read(), format!("read error: {e}"));
        }
        let sha256 = raw.finish_digest().unwrap_or_else(|lost| {
            self.problems.note(raw.bytes_read(), lost.to_string());
            String::new()
        });
        let evidence = Evidence {
            path: self.label.clone(),
            kind: Some(kind),
            sha256,
            bytes: raw.bytes_read(),
        };
        (evidence, self.problems)
    }
}

/// Unreadable records of one input: the first [`MAX_KEPT_PROBLEMS`] in input order, and a count
/// of all of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems {
    label: String,
    pub kept: Vec<ReadProblem>,
    pub count: u64,
}

impl Problems {
    pub fn new(label: &str) -> Problems {
        Problems {
            label: label.to_owned(),
            kept: Vec::new(),
            count: 0,
        }
    }

    /// Notes a problem at `offset` (in the decompressed stream).
    pub fn note(&mut self, offset: u64, reason: impl Into<String>) {
        self.count = self.count.saturating_add(1);
        if self.kept.len() < MAX_KEPT_PROBLEMS {
            self.kept.push(ReadProblem {
                path: self.label.clone(),
                offset,
                reason: reason.into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::io::Write;

    fn digest_of(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    #[test]
    fn plain_and_gzip_read_the_same_text_and_hash_the_raw_bytes() {
        // Large enough that the plain file is hashed on the digest thread.
        let text = b"line one\nline two\n".repeat(200_000);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&text).unwrap();
        let gz = encoder.finish().unwrap();
        for raw in [text.clone(), gz] {
            let mut stream =
                EvidenceStream::from_reader("t.log", Box::new(io::Cursor::new(raw.clone())))
                    .unwrap();
            let mut first = String::new();
            stream.reader().read_line(&mut first).unwrap();
            assert_eq!(first, "line one\n");
            let (evidence, problems) = stream.finish(EvidenceKind::ZeekLog);
            assert_eq!(evidence.sha256, digest_of(&raw));
            assert_eq!(evidence.bytes, raw.len() as u64);
            assert_eq!(problems.count, 0);
        }
    }

    #[test]
    fn fixed_size_records_come_whole_from_plain_and_gzip_input() {
        // Records that do not divide the stream's blocks, over several megabytes.
        let records: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&records).unwrap();
        let gz = encoder.finish().unwrap();
        for raw in [records.clone(), gz] {
            let mut stream =
                EvidenceStream::from_reader("t.evtx", Box::new(io::Cursor::new(raw.clone())))
                    .unwrap();
            let mut read = Vec::new();
            assert_eq!(stream.next_bytes(4096).unwrap(), &records[..4096]);
            read.extend_from_slice(&records[..4096]);
            loop {
                let record = stream.next_bytes(65_536).unwrap();
                if record.is_empty() {
                    break;
                }
                assert!(record.len() == 65_536 || read.len() + record.len() == records.len());
                read.extend_from_slice(record);
            }
            assert!(read == records);
            let (evidence, _) = stream.finish(EvidenceKind::Sysmon);
            assert_eq!(evidence.sha256, digest_of(&raw));
        }
    }

    #[test]
    fn problems_beyond_the_kept_list_are_still_counted() {
        let mut problems = Problems::new("x");
        for offset in 0..250 {
            problems.note(offset, "bad");
        }
        assert_eq!(problems.count, 250);
        assert_eq!(problems.kept.len(), MAX_KEPT_PROBLEMS);
        assert_eq!(problems.kept[0].to_string(), "x: at byte 0: bad");
    }
}
