//! Opening a text or binary evidence stream the same way for every log-style reader: a path or
//! `-` (standard input), gzip detected by its magic bytes and undone transparently, and the
//! SHA-256 of the bytes as read (the compressed bytes for a gzip file) computed in the same pass
//! (beside the parse, on a thread of its own for large inputs: `raw_digest`).
//!
//! Packet captures have their own reader (`capture::CaptureReader`) because pcap-parser drives
//! its own buffer; everything else reads lines or records through [`EvidenceStream`].

use crate::raw_digest::RawDigest;
use flate2::bufread::MultiGzDecoder;
use ringfence_model::{Evidence, EvidenceKind, ReadProblem};
use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Small enough that the bytes just read are still in the core's cache when they are hashed and
/// parsed: with 1 MiB, reading a Sysmon EVTX file took a quarter more CPU time.
const READ_BUFFER: usize = 128 << 10;
/// How many read problems are kept (all are counted).
pub const MAX_KEPT_PROBLEMS: usize = 100;

/// The raw bytes' running digest is shared between the hashing reader (deep inside the decoder
/// stack) and the stream that reports it at the end.
struct HashingRead {
    inner: Box<dyn Read>,
    digest: Rc<RefCell<RawDigest>>,
}

impl Read for HashingRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest
            .borrow_mut()
            .update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

/// An evidence file opened for reading: decompressed bytes through [`EvidenceStream::reader`],
/// and the digest of the raw bytes once it has been read to the end.
pub struct EvidenceStream {
    label: String,
    reader: Box<dyn BufRead>,
    digest: Rc<RefCell<RawDigest>>,
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
        let digest = Rc::new(RefCell::new(RawDigest::new()));
        let mut raw = BufReader::with_capacity(
            READ_BUFFER,
            HashingRead {
                inner: input,
                digest: Rc::clone(&digest),
            },
        );
        let gzip = raw.fill_buf()?.starts_with(&GZIP_MAGIC);
        let reader: Box<dyn BufRead> = if gzip {
            Box::new(BufReader::with_capacity(
                READ_BUFFER,
                MultiGzDecoder::new(raw),
            ))
        } else {
            Box::new(raw)
        };
        Ok(EvidenceStream {
            label: label.to_owned(),
            reader,
            digest,
            problems: Problems::new(label),
        })
    }

    /// The path as the user gave it.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The decompressed bytes.
    pub fn reader(&mut self) -> &mut dyn BufRead {
        &mut *self.reader
    }

    /// Where unreadable records are noted.
    pub fn problems(&mut self) -> &mut Problems {
        &mut self.problems
    }

    /// Reads whatever is left (so the digest covers the whole input) and reports the evidence.
    pub fn finish(mut self, kind: EvidenceKind) -> (Evidence, Problems) {
        if let Err(e) = io::copy(&mut self.reader, &mut io::sink()) {
            let offset = self.digest.borrow().bytes();
            self.problems.note(offset, format!("read error: {e}"));
        }
        let mut digest = self.digest.borrow_mut();
        let sha256 = digest.finish().unwrap_or_else(|lost| {
            self.problems.note(digest.bytes(), lost.to_string());
            String::new()
        });
        let evidence = Evidence {
            path: self.label.clone(),
            kind: Some(kind),
            sha256,
            bytes: digest.bytes(),
        };
        drop(digest);
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
