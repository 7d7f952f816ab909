//! In-order delivery of one direction of a TCP stream to the application parsers.
//!
//! Only the first part of most streams matters (a ClientHello, request heads, DNS messages), so
//! this is deliberately small: retransmitted and overlapping bytes are trimmed, segments that arrive
//! early wait in a bounded buffer, and a gap that outgrows the buffer ends delivery for the stream
//! instead of growing memory.

/// Out-of-order segments held at most, per direction.
const MAX_PENDING_SEGMENTS: usize = 64;
/// Out-of-order bytes held at most, per direction.
const MAX_PENDING_BYTES: usize = 256 * 1024;
/// A segment further ahead than this is not the stream we are following (or garbage).
const MAX_AHEAD: i32 = 1 << 20;

#[derive(Debug, Default)]
pub(crate) struct StreamReassembler {
    /// The sequence number of the next byte to deliver; unset until the SYN or first data.
    next_seq: Option<u32>,
    pending: Vec<(u32, Vec<u8>)>,
    pending_bytes: usize,
    gave_up: bool,
}

/// Signed distance from `from` to `to` in sequence space (RFC 793 modular arithmetic).
fn seq_diff(to: u32, from: u32) -> i32 {
    to.wrapping_sub(from) as i32
}

impl StreamReassembler {
    /// A SYN fixes the initial sequence number; data starts one after it.
    pub(crate) fn on_syn(&mut self, isn: u32) {
        if self.next_seq.is_none() {
            self.next_seq = Some(isn.wrapping_add(1));
        }
    }

    /// True once a gap could not be filled within the bounds: nothing more will be delivered.
    pub(crate) fn gave_up(&self) -> bool {
        self.gave_up
    }

    /// Takes one segment's payload and delivers every byte that is now in order, once.
    pub(crate) fn on_segment(&mut self, seq: u32, data: &[u8], mut deliver: impl FnMut(&[u8])) {
        if data.is_empty() || self.gave_up {
            return;
        }
        let next = *self.next_seq.get_or_insert(seq);
        let ahead = seq_diff(seq, next);
        if ahead > 0 {
            self.hold(seq, data, ahead);
            return;
        }
        self.deliver_from(seq, data, &mut deliver);
        self.drain_pending(&mut deliver);
    }

    /// Delivers the part of a segment starting at `seq` (at or before the next expected byte)
    /// that has not been delivered yet.
    fn deliver_from(&mut self, seq: u32, data: &[u8], deliver: &mut impl FnMut(&[u8])) {
        let Some(next) = self.next_seq else { return };
        let already = seq_diff(next, seq);
        let Ok(skip) = usize::try_from(already) else {
            return;
        };
        let Some(fresh) = data.get(skip..) else {
            return;
        };
        if fresh.is_empty() {
            return;
        }
        deliver(fresh);
        // A segment is at most 64 KiB (an IP datagram), so the length fits in u32.
        let fresh_len = u32::try_from(fresh.len()).unwrap_or(u32::MAX);
        self.next_seq = Some(next.wrapping_add(fresh_len));
    }

    fn hold(&mut self, seq: u32, data: &[u8], ahead: i32) {
        let full = self.pending.len() >= MAX_PENDING_SEGMENTS
            || self.pending_bytes + data.len() > MAX_PENDING_BYTES;
        if ahead > MAX_AHEAD || full {
            self.gave_up = true;
            self.pending = Vec::new();
            self.pending_bytes = 0;
            return;
        }
        self.pending_bytes += data.len();
        self.pending.push((seq, data.to_vec()));
    }

    fn drain_pending(&mut self, deliver: &mut impl FnMut(&[u8])) {
        while let Some(next) = self.next_seq {
            let Some(position) = self
                .pending
                .iter()
                .position(|(seq, _)| seq_diff(*seq, next) <= 0)
            else {
                return;
            };
            let (seq, data) = self.pending.swap_remove(position);
            self.pending_bytes -= data.len();
            self.deliver_from(seq, &data, deliver);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(segments: &[(u32, &[u8])], isn: Option<u32>) -> Vec<u8> {
        let mut stream = StreamReassembler::default();
        if let Some(isn) = isn {
            stream.on_syn(isn);
        }
        let mut out = Vec::new();
        for (seq, data) in segments {
            stream.on_segment(*seq, data, |bytes| out.extend_from_slice(bytes));
        }
        out
    }

    #[test]
    fn delivers_in_order_segments() {
        assert_eq!(
            collect(&[(101, b"hello "), (107, b"world")], Some(100)),
            b"hello world"
        );
    }

    #[test]
    fn reorders_early_segments() {
        assert_eq!(
            collect(&[(107, b"world"), (101, b"hello ")], Some(100)),
            b"hello world"
        );
    }

    #[test]
    fn trims_retransmissions_and_overlaps() {
        let segments: [(u32, &[u8]); 4] = [
            (101, b"hello "),
            (101, b"hello "),
            (104, b"lo wor"),
            (107, b"world"),
        ];
        assert_eq!(collect(&segments, Some(100)), b"hello world");
    }

    #[test]
    fn follows_sequence_wraparound() {
        let isn = u32::MAX - 2;
        let segments: [(u32, &[u8]); 2] = [(u32::MAX - 1, b"ab"), (0, b"cd")];
        assert_eq!(collect(&segments, Some(isn)), b"abcd");
    }

    #[test]
    fn starts_midstream_without_syn() {
        assert_eq!(
            collect(&[(5000, b"GET /"), (5005, b" HTTP")], None),
            b"GET / HTTP"
        );
    }

    #[test]
    fn gives_up_on_a_gap_beyond_the_bounds() {
        let mut stream = StreamReassembler::default();
        stream.on_syn(0);
        let chunk = vec![b'x'; 8192];
        let mut seq = 1 + 10;
        for _ in 0..40 {
            stream.on_segment(seq, &chunk, |_| panic!("nothing is in order"));
            seq += 8192;
        }
        assert!(stream.gave_up());
        let mut delivered = false;
        stream.on_segment(1, b"0123456789", |_| delivered = true);
        assert!(!delivered);
    }
}
