//! What one side sends in one turn, produced lazily so a 20 MB download costs no more memory than a
//! 20 KB one: literal bytes (headers, handshakes), random bytes (a file body) or TLS
//! application-data records of random bytes (anything encrypted).

use crate::rng::Rng;
use crate::tls::MAX_RECORD;
use std::collections::VecDeque;

enum Chunk {
    Bytes {
        data: Vec<u8>,
        pos: usize,
    },
    Random {
        left: u64,
    },
    /// `left` wire bytes (headers included) of records; `in_record` bytes of the current body left.
    Tls {
        left: u64,
        in_record: usize,
    },
}

impl Chunk {
    fn len(&self) -> u64 {
        match self {
            Chunk::Bytes { data, pos } => (data.len() - (*pos).min(data.len())) as u64,
            Chunk::Random { left } | Chunk::Tls { left, .. } => *left,
        }
    }
}

#[derive(Default)]
pub(crate) struct Body {
    chunks: VecDeque<Chunk>,
}

impl Body {
    pub(crate) fn bytes(data: Vec<u8>) -> Self {
        let mut b = Body::default();
        b.push_bytes(data);
        b
    }

    pub(crate) fn push_bytes(&mut self, data: Vec<u8>) {
        if !data.is_empty() {
            self.chunks.push_back(Chunk::Bytes { data, pos: 0 });
        }
    }

    pub(crate) fn push_random(&mut self, len: u64) {
        if len > 0 {
            self.chunks.push_back(Chunk::Random { left: len });
        }
    }

    /// About `len` bytes of TLS application data as records of at most 16 KiB; at least one record.
    pub(crate) fn push_tls(&mut self, len: u64) {
        self.chunks.push_back(Chunk::Tls {
            left: len.max(6 + 17),
            in_record: 0,
        });
    }

    pub(crate) fn len(&self) -> u64 {
        self.chunks.iter().map(Chunk::len).sum()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends up to `n` next bytes to `out`; returns how many.
    pub(crate) fn take(&mut self, n: usize, rng: &mut Rng, out: &mut Vec<u8>) -> usize {
        let mut taken = 0;
        while taken < n {
            let Some(chunk) = self.chunks.front_mut() else {
                break;
            };
            let want = n - taken;
            let got = match chunk {
                Chunk::Bytes { data, pos } => {
                    let rest = data.get(*pos..).unwrap_or_default();
                    let k = rest.len().min(want);
                    out.extend_from_slice(rest.get(..k).unwrap_or_default());
                    *pos += k;
                    k
                }
                Chunk::Random { left } => {
                    let k = (*left).min(want as u64) as usize;
                    random_bytes(out, k, rng);
                    *left -= k as u64;
                    k
                }
                Chunk::Tls { left, in_record } => {
                    if *in_record == 0 {
                        // Start a record; never leave a tail too short for a header and a tag.
                        let rest = left.saturating_sub(5);
                        let mut body = rest.min(MAX_RECORD as u64);
                        if rest > body && rest - body < 23 {
                            body -= 23;
                        }
                        *in_record = body as usize;
                        out.extend_from_slice(&[23, 3, 3]);
                        out.extend_from_slice(&(body as u16).to_be_bytes());
                        *left = left.saturating_sub(5);
                        5
                    } else {
                        let k = (*in_record).min(want);
                        random_bytes(out, k, rng);
                        *in_record -= k;
                        *left -= k as u64;
                        k
                    }
                }
            };
            taken += got;
            if chunk.len() == 0 {
                self.chunks.pop_front();
            }
        }
        taken
    }
}

fn random_bytes(out: &mut Vec<u8>, k: usize, rng: &mut Rng) {
    let at = out.len();
    out.resize(at + k, 0);
    if let Some(slot) = out.get_mut(at..) {
        rng.fill(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_body_is_a_sequence_of_whole_records() {
        for total in [23u64, 100, 16_389, 16_645, 16_650, 40_000, 1_000_003] {
            let mut b = Body::default();
            b.push_tls(total);
            let expected = b.len();
            let mut rng = Rng::new(5);
            let mut out = Vec::new();
            while !b.is_empty() {
                b.take(1448, &mut rng, &mut out);
            }
            assert_eq!(out.len() as u64, expected);
            let mut i = 0;
            while i < out.len() {
                assert_eq!(
                    &out[i..i + 3],
                    &[23, 3, 3],
                    "record header at {i} for {total}"
                );
                let n = usize::from(u16::from_be_bytes([out[i + 3], out[i + 4]]));
                assert!((17..=MAX_RECORD).contains(&n));
                i += 5 + n;
            }
            assert_eq!(i, out.len());
        }
    }

    #[test]
    fn mixed_body_keeps_order() {
        let mut b = Body::bytes(b"HTTP/1.1 200 OK\r\n\r\n".to_vec());
        b.push_random(10);
        let mut rng = Rng::new(1);
        let mut out = Vec::new();
        assert_eq!(b.take(5, &mut rng, &mut out), 5);
        assert_eq!(b.take(100, &mut rng, &mut out), 24);
        assert!(out.starts_with(b"HTTP/1.1 200 OK"));
        assert_eq!(out.len(), 29);
        assert!(b.is_empty());
    }
}
