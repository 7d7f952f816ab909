//! Reading an evidence file's raw bytes and their SHA-256 in one pass, with the hash beside the
//! parse rather than inside it.
//!
//! Every input's digest is in the report, and hashing costs as much CPU time as parsing a Sysmon
//! EVTX file and about two thirds of reading a capture. [`HashedReader`] reads the raw input into
//! blocks and is the parser's buffer: the parser reads the bytes where they landed, and a block is
//! hashed only once the parser has moved past it. Once an input proves larger than
//! [`INLINE_BYTES`], finished blocks go to a thread of their own, which hashes them and gives
//! them back: on a machine with a spare core the parse no longer waits for the hash, and the bytes
//! are never copied for it. Small inputs (most inventories and logs) are hashed inline and never
//! start a thread. Memory stays bounded: at most [`BLOCKS`] blocks of [`BLOCK_BYTES`] exist, and
//! the reader waits for the hasher when all are in flight.
//!
//! The digest is the same whichever path computed it; only where the work runs differs.

use sha2::{Digest, Sha256};
use std::io::{self, BufRead, Read};
use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Inputs up to this size are hashed inline: starting a thread would cost more than it saves.
const INLINE_BYTES: u64 = 1 << 20;
/// The size of a block: the most one read asks of the input, and the longest run of contiguous
/// bytes [`HashedReader::next_bytes`] gives. Small enough that the bytes just read are still in the
/// core's cache when they are parsed (1 MiB made reading a Sysmon EVTX file a quarter slower).
pub(crate) const BLOCK_BYTES: usize = 256 << 10;
/// Blocks in existence at once (being parsed, queued, being hashed): the memory bound.
const BLOCKS: usize = 4;

type Block = Box<[u8]>;

fn new_block() -> Block {
    vec![0u8; BLOCK_BYTES].into_boxed_slice()
}

/// The raw input, buffered in blocks that are hashed once read past: a [`BufRead`] whose
/// [`HashedReader::finish_digest`] gives the SHA-256 of every byte it read.
pub(crate) struct HashedReader<R> {
    inner: R,
    block: Block,
    /// Leading bytes of `block` carried over from the previous block, where they were hashed.
    carried: usize,
    /// The next byte to give the parser.
    pos: usize,
    /// The end of the bytes read into `block`.
    end: usize,
    /// Raw bytes read from `inner`.
    read: u64,
    digest: BlockDigest,
}

impl<R: Read> HashedReader<R> {
    pub(crate) fn new(inner: R) -> HashedReader<R> {
        HashedReader {
            inner,
            block: new_block(),
            carried: 0,
            pos: 0,
            end: 0,
            read: 0,
            digest: BlockDigest::Inline {
                sha: Sha256::new(),
                hashed: 0,
                spare: None,
            },
        }
    }

    /// Raw bytes read from the input so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.read
    }

    /// The next `n` bytes (at most [`BLOCK_BYTES`]) in one slice, consumed; fewer only where the
    /// input ends. Bytes already buffered stay buffered when a read fails, so nothing is lost.
    pub(crate) fn next_bytes(&mut self, n: usize) -> io::Result<&[u8]> {
        let n = n.min(BLOCK_BYTES);
        if self.end - self.pos < n {
            if self.pos + n > BLOCK_BYTES {
                self.next_block();
            }
            while self.end - self.pos < n {
                if self.read_more()? == 0 {
                    break;
                }
            }
        }
        let at = self.pos;
        self.pos = self.end.min(at + n);
        Ok(self.block.get(at..self.pos).unwrap_or_default())
    }

    /// Reads what is left of the input, so that the digest covers all of it.
    pub(crate) fn drain(&mut self) -> io::Result<()> {
        loop {
            self.pos = self.end;
            if self.fill_buf()?.is_empty() {
                return Ok(());
            }
        }
    }

    /// The hex SHA-256 of every byte read. Later calls give the same answer; bytes read later are
    /// not counted.
    pub(crate) fn finish_digest(&mut self) -> Result<String, DigestLost> {
        let block = std::mem::take(&mut self.block);
        self.digest.hash(block, self.carried..self.end);
        (self.carried, self.pos, self.end) = (0, 0, 0);
        self.digest.finish()
    }

    /// Moves to an empty block, carrying over the bytes not yet given to the parser, and hashes
    /// the block left.
    fn next_block(&mut self) {
        let mut next = self.digest.spare();
        let unread = self.pos.min(self.end)..self.end;
        let carried = unread.len();
        if let (Some(to), Some(from)) = (next.get_mut(..carried), self.block.get(unread)) {
            to.copy_from_slice(from);
        }
        let left = std::mem::replace(&mut self.block, next);
        self.digest.hash(left, self.carried..self.end);
        (self.carried, self.pos, self.end) = (carried, 0, carried);
    }

    /// Reads into the room left in the block (moving to a new block when none is left).
    fn read_more(&mut self) -> io::Result<usize> {
        if self.end >= self.block.len() {
            self.next_block();
        }
        let room = self.block.get_mut(self.end..).unwrap_or_default();
        let n = loop {
            match self.inner.read(room) {
                Ok(n) => break n.min(room.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        self.end += n;
        self.read = self.read.saturating_add(n as u64);
        Ok(n)
    }
}

impl<R: Read> BufRead for HashedReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.end {
            self.read_more()?;
        }
        Ok(self.block.get(self.pos..self.end).unwrap_or_default())
    }

    fn consume(&mut self, amount: usize) {
        self.pos = self.end.min(self.pos.saturating_add(amount));
    }
}

impl<R: Read> Read for HashedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        if let (Some(to), Some(from)) = (buf.get_mut(..n), available.get(..n)) {
            to.copy_from_slice(from);
        }
        self.consume(n);
        Ok(n)
    }
}

/// The running SHA-256 of the blocks handed over.
enum BlockDigest {
    Inline {
        sha: Sha256,
        hashed: u64,
        /// The last block hashed, kept for reuse.
        spare: Option<Block>,
    },
    Background(Hasher),
    Finished {
        result: Result<String, DigestLost>,
        spare: Option<Block>,
    },
}

/// The hashing thread: full blocks go to it, emptied blocks come back.
struct Hasher {
    full: SyncSender<(Block, Range<usize>)>,
    emptied: Receiver<Block>,
    /// Blocks in existence, the reader's own included.
    allocated: usize,
    thread: JoinHandle<Sha256>,
}

/// The hashing thread stopped before the end of the input, so the digest is not known. Never
/// expected (hashing cannot fail), but reported rather than guessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DigestLost;

impl std::fmt::Display for DigestLost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the thread computing the input's SHA-256 stopped; its digest is unknown")
    }
}

impl BlockDigest {
    /// Adds `block[range]` to the digest; the block is reused once hashed.
    fn hash(&mut self, block: Block, range: Range<usize>) {
        match self {
            BlockDigest::Inline { sha, hashed, spare } => {
                let bytes = block.get(range).unwrap_or_default();
                sha.update(bytes);
                *hashed = hashed.saturating_add(bytes.len() as u64);
                *spare = Some(block);
                if *hashed > INLINE_BYTES {
                    let inline = std::mem::replace(sha, Sha256::new());
                    match Hasher::start(inline) {
                        Ok(hasher) => *self = BlockDigest::Background(hasher),
                        Err(inline) => *sha = inline,
                    }
                }
            }
            BlockDigest::Background(hasher) => {
                if let Err(unsent) = hasher.full.send((block, range)) {
                    self.lose(Some(unsent.0.0));
                }
            }
            BlockDigest::Finished { spare, .. } => *spare = Some(block),
        }
    }

    /// An empty block to read into: the spare, or one the thread gave back, or a new one while
    /// fewer than [`BLOCKS`] exist; else waits for the thread to give one back.
    fn spare(&mut self) -> Block {
        match self {
            BlockDigest::Inline { spare, .. } | BlockDigest::Finished { spare, .. } => {
                spare.take().unwrap_or_else(new_block)
            }
            BlockDigest::Background(hasher) => {
                if let Ok(block) = hasher.emptied.try_recv() {
                    return block;
                }
                if hasher.allocated < BLOCKS {
                    hasher.allocated += 1;
                    return new_block();
                }
                // All blocks are in flight: waiting here is what bounds memory.
                match hasher.emptied.recv() {
                    Ok(block) => block,
                    Err(_) => {
                        self.lose(None);
                        new_block()
                    }
                }
            }
        }
    }

    /// The thread is gone: the digest can no longer be known.
    fn lose(&mut self, spare: Option<Block>) {
        *self = BlockDigest::Finished {
            result: Err(DigestLost),
            spare,
        };
    }

    fn finish(&mut self) -> Result<String, DigestLost> {
        let finished = std::mem::replace(
            self,
            BlockDigest::Finished {
                result: Err(DigestLost),
                spare: None,
            },
        );
        let result = match finished {
            BlockDigest::Inline { sha, .. } => Ok(hex::encode(sha.finalize())),
            BlockDigest::Background(hasher) => {
                drop(hasher.full);
                drop(hasher.emptied);
                match hasher.thread.join() {
                    Ok(sha) => Ok(hex::encode(sha.finalize())),
                    Err(_) => Err(DigestLost),
                }
            }
            BlockDigest::Finished { result, .. } => result,
        };
        *self = BlockDigest::Finished {
            result: result.clone(),
            spare: None,
        };
        result
    }
}

impl Hasher {
    /// Starts the thread, continuing from `sha`; gives `sha` back if no thread can be started.
    fn start(sha: Sha256) -> Result<Hasher, Sha256> {
        let (full, to_hash) = sync_channel::<(Block, Range<usize>)>(BLOCKS);
        let (give_back, emptied) = sync_channel::<Block>(BLOCKS);
        // The thread continues from a copy of the running digest; if it cannot be started, the
        // caller keeps hashing inline from the original, so nothing is lost.
        let mut continued = sha.clone();
        let spawned = std::thread::Builder::new()
            .name("evidence-sha256".to_owned())
            .spawn(move || {
                for (block, range) in to_hash {
                    continued.update(block.get(range).unwrap_or_default());
                    // The reader may have finished and gone; the block is simply dropped then.
                    let _ = give_back.send(block);
                }
                continued
            });
        match spawned {
            Ok(thread) => Ok(Hasher {
                full,
                emptied,
                // The reader's own block (the inline spare is dropped).
                allocated: 1,
                thread,
            }),
            Err(_) => Err(sha),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Deterministic bytes that are not periodic at any block size.
    fn bytes(len: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_u32;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    /// A reader that gives at most `step` bytes per read, like a pipe.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.data.len());
            let (now, later) = self.data.split_at(n);
            buf[..n].copy_from_slice(now);
            self.data = later;
            Ok(n)
        }
    }

    const LENGTHS: [usize; 6] = [
        0,
        1,
        1 << 20,
        (1 << 20) + 1,
        3 * BLOCK_BYTES - 7,
        5 * BLOCK_BYTES * BLOCKS + 12_345,
    ];

    #[test]
    fn buffered_reads_give_every_byte_and_its_digest() {
        for len in LENGTHS {
            let data = bytes(len);
            for step in [1000, 128 << 10, 700_001] {
                let mut reader = HashedReader::new(Trickle { data: &data, step });
                let mut out = Vec::new();
                Read::read_to_end(&mut reader, &mut out).unwrap();
                assert!(out == data, "{len} bytes read {step} at a time");
                assert_eq!(reader.bytes_read(), len as u64);
                let first = reader.finish_digest();
                assert_eq!(first, Ok(expected(&data)), "{len} bytes by {step}");
                assert_eq!(reader.finish_digest(), first, "a second finish agrees");
            }
        }
    }

    #[test]
    fn contiguous_takes_cross_blocks_without_losing_or_repeating_a_byte() {
        for len in LENGTHS {
            let data = bytes(len);
            // Sizes that divide the block, that do not, and a whole block.
            for size in [4096, 65_536, 100_003, BLOCK_BYTES] {
                let mut reader = HashedReader::new(Trickle {
                    data: &data,
                    step: 70_000,
                });
                let mut out = Vec::new();
                loop {
                    let taken = reader.next_bytes(size).unwrap();
                    if taken.is_empty() {
                        break;
                    }
                    assert!(taken.len() == size || out.len() + taken.len() == len);
                    out.extend_from_slice(taken);
                }
                assert!(out == data, "{len} bytes taken {size} at a time");
                assert_eq!(reader.finish_digest(), Ok(expected(&data)));
            }
        }
    }

    #[test]
    fn the_digest_covers_bytes_read_but_never_given_to_the_parser() {
        let data = bytes(3 << 20);
        let mut reader = HashedReader::new(&data[..]);
        assert_eq!(reader.next_bytes(10).unwrap(), &data[..10]);
        reader.drain().unwrap();
        assert_eq!(reader.finish_digest(), Ok(expected(&data)));
    }

    #[test]
    fn a_reader_dropped_unfinished_stops_its_thread() {
        let data = bytes(3 << 20);
        let mut reader = HashedReader::new(&data[..]);
        reader.drain().unwrap();
        assert!(matches!(reader.digest, BlockDigest::Background(_)));
        drop(reader);
    }
}
