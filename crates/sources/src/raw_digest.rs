//! The SHA-256 of an evidence file's raw bytes, computed beside the parse rather than inside it.
//!
//! Every input's digest is in the report, and hashing costs as much CPU time as parsing a Sysmon
//! EVTX file and about two thirds of reading a capture. So once an input proves larger than
//! [`INLINE_BYTES`], its bytes are copied into blocks and hashed on a thread of their own while
//! the reader goes on parsing: the copy costs a few per cent of the hash, and on a machine with a
//! spare core the parse no longer waits for the hash. Small inputs (most inventories and logs)
//! are hashed inline and never start a thread. Memory stays bounded: at most [`BLOCKS`] blocks of
//! [`BLOCK_BYTES`] exist, and the reader waits for the hasher when all are in flight.
//!
//! The digest is the same whichever path computed it; only where the work runs differs.

use sha2::{Digest, Sha256};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Inputs up to this size are hashed inline: starting a thread would cost more than it saves.
const INLINE_BYTES: u64 = 1 << 20;
/// Bytes handed to the hashing thread at a time.
const BLOCK_BYTES: usize = 256 << 10;
/// Blocks in existence at once (filling, queued, being hashed): the memory bound.
const BLOCKS: usize = 4;

/// A running SHA-256 and byte count of the raw bytes read so far.
pub(crate) struct RawDigest {
    bytes: u64,
    state: State,
}

enum State {
    Inline(Sha256),
    Background(Hasher),
    Finished(Result<String, DigestLost>),
}

/// The hashing thread: full blocks go to it, emptied blocks come back.
struct Hasher {
    filling: Vec<u8>,
    full: SyncSender<Vec<u8>>,
    emptied: Receiver<Vec<u8>>,
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

impl RawDigest {
    pub(crate) fn new() -> RawDigest {
        RawDigest {
            bytes: 0,
            state: State::Inline(Sha256::new()),
        }
    }

    /// Raw bytes seen so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Adds the next raw bytes.
    pub(crate) fn update(&mut self, chunk: &[u8]) {
        self.bytes = self.bytes.saturating_add(chunk.len() as u64);
        let state = std::mem::replace(&mut self.state, State::Finished(Err(DigestLost)));
        self.state = match state {
            State::Inline(mut sha) => {
                sha.update(chunk);
                if self.bytes > INLINE_BYTES {
                    Hasher::start(sha).map_or_else(State::Inline, State::Background)
                } else {
                    State::Inline(sha)
                }
            }
            State::Background(mut hasher) => {
                if hasher.append(chunk) {
                    State::Background(hasher)
                } else {
                    State::Finished(Err(DigestLost))
                }
            }
            finished @ State::Finished(_) => finished,
        };
    }

    /// The hex digest of every byte given to [`RawDigest::update`]. Later calls give the same
    /// answer and later updates are not counted.
    pub(crate) fn finish(&mut self) -> Result<String, DigestLost> {
        let state = std::mem::replace(&mut self.state, State::Finished(Err(DigestLost)));
        let result = match state {
            State::Inline(sha) => Ok(hex::encode(sha.finalize())),
            State::Background(hasher) => hasher.finish().map(|sha| hex::encode(sha.finalize())),
            State::Finished(result) => result,
        };
        self.state = State::Finished(result.clone());
        result
    }
}

impl Hasher {
    /// Starts the thread, continuing from `sha`; gives `sha` back if no thread can be started.
    fn start(sha: Sha256) -> Result<Hasher, Sha256> {
        let (full, to_hash) = sync_channel::<Vec<u8>>(BLOCKS);
        let (give_back, emptied) = sync_channel::<Vec<u8>>(BLOCKS);
        // The thread continues from a copy of the running digest; if it cannot be started, the
        // caller keeps hashing inline from the original, so nothing is lost.
        let mut continued = sha.clone();
        let spawned = std::thread::Builder::new()
            .name("evidence-sha256".to_owned())
            .spawn(move || {
                for mut block in to_hash {
                    continued.update(&block);
                    block.clear();
                    // The reader may have finished and gone; the block is simply dropped then.
                    let _ = give_back.send(block);
                }
                continued
            });
        match spawned {
            Ok(thread) => Ok(Hasher {
                filling: Vec::with_capacity(BLOCK_BYTES),
                full,
                emptied,
                allocated: 1,
                thread,
            }),
            Err(_) => Err(sha),
        }
    }

    /// Copies `chunk` into blocks, sending each full one. False if the thread has gone.
    fn append(&mut self, mut chunk: &[u8]) -> bool {
        while !chunk.is_empty() {
            let room = BLOCK_BYTES.saturating_sub(self.filling.len());
            let (now, later) = chunk.split_at(room.min(chunk.len()));
            self.filling.extend_from_slice(now);
            chunk = later;
            if self.filling.len() >= BLOCK_BYTES && !self.send_filling() {
                return false;
            }
        }
        true
    }

    /// Sends the block being filled and takes an empty one: a new one while fewer than [`BLOCKS`]
    /// exist, else the next one the thread gives back.
    fn send_filling(&mut self) -> bool {
        let next = match self.emptied.try_recv() {
            Ok(block) => block,
            Err(_) if self.allocated < BLOCKS => {
                self.allocated += 1;
                Vec::with_capacity(BLOCK_BYTES)
            }
            Err(_) => Vec::new(),
        };
        let full = std::mem::replace(&mut self.filling, next);
        if self.full.send(full).is_err() {
            return false;
        }
        if self.filling.capacity() == 0 {
            // All blocks were in flight: wait for one (this is what bounds memory).
            match self.emptied.recv() {
                Ok(block) => self.filling = block,
                Err(_) => return false,
            }
        }
        true
    }

    fn finish(mut self) -> Result<Sha256, DigestLost> {
        if !self.filling.is_empty() {
            let last = std::mem::take(&mut self.filling);
            if self.full.send(last).is_err() {
                return Err(DigestLost);
            }
        }
        drop(self.full);
        self.thread.join().map_err(|_| DigestLost)
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

    #[test]
    fn inline_and_background_give_the_digest_of_every_byte() {
        // Below, at and beyond the inline limit; many blocks, so the pool is recycled.
        for len in [
            0,
            1,
            1 << 20,
            (1 << 20) + 1,
            5 * BLOCK_BYTES * BLOCKS + 12_345,
        ] {
            let data = bytes(len);
            // Odd chunk sizes, some larger than a block, some crossing block ends.
            for chunk_len in [1000, 128 << 10, 700_001] {
                let mut digest = RawDigest::new();
                for chunk in data.chunks(chunk_len) {
                    digest.update(chunk);
                }
                assert_eq!(digest.bytes(), len as u64);
                let first = digest.finish();
                assert_eq!(first, Ok(expected(&data)), "{len} bytes in {chunk_len}");
                assert_eq!(
                    digest.finish(),
                    first,
                    "a second finish gives the same answer"
                );
            }
        }
    }

    #[test]
    fn a_digest_dropped_unfinished_stops_its_thread() {
        let mut digest = RawDigest::new();
        digest.update(&bytes(3 << 20));
        assert!(matches!(digest.state, State::Background(_)));
        drop(digest);
    }
}
