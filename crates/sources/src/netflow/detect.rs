//! Recognising export datagrams by their content: a UDP payload in a capture, the start of a
//! file, or the next datagram in a bare stream of them. NetFlow has no magic number, so the
//! header has to make sense: a known version, a record count or message length in range, and a
//! first (flow)set with a valid id and length.

use super::decoder::V5_MAX_RECORDS;
use super::wire::u16_at;

const V5_HEADER: usize = 24;
const V5_RECORD: usize = 48;
const V9_HEADER: usize = 20;
const IPFIX_HEADER: usize = 16;
/// No export datagram is longer than the largest UDP payload.
pub const MAX_DATAGRAM: usize = 65_535;

/// True when `data` starts with a plausible export header. With `whole`, `data` must also be
/// exactly one datagram (a UDP payload): lengths that say otherwise rule it out.
pub fn plausible_export(data: &[u8], whole: bool) -> bool {
    match u16_at(data, 0) {
        Some(5) => {
            let Some(count) = u16_at(data, 2).map(usize::from) else {
                return false;
            };
            let len = V5_HEADER + count * V5_RECORD;
            (1..=V5_MAX_RECORDS).contains(&count)
                && data.len() >= V5_HEADER
                && (!whole || data.len() == len)
        }
        Some(9) => {
            let (Some(id), Some(len)) = (u16_at(data, V9_HEADER), u16_at(data, V9_HEADER + 2))
            else {
                return false;
            };
            let len = usize::from(len);
            (id <= 1 || id >= 256) && len >= 4 && (!whole || V9_HEADER + len <= data.len())
        }
        Some(10) => {
            let (Some(length), Some(id), Some(set_len)) = (
                u16_at(data, 2),
                u16_at(data, IPFIX_HEADER),
                u16_at(data, IPFIX_HEADER + 2),
            ) else {
                return false;
            };
            let (length, set_len) = (usize::from(length), usize::from(set_len));
            (id == 2 || id == 3 || id >= 256)
                && set_len >= 4
                && IPFIX_HEADER + set_len <= length
                && (!whole || length == data.len())
        }
        _ => false,
    }
}

/// Where the first datagram of a bare stream (datagrams written one after another, as
/// `nc -u -l > file` writes them) ends. `buf` holds at least `MAX_DATAGRAM` bytes unless the
/// input ends sooner. The caller has checked that `buf` starts with a plausible header.
///
/// v5 and IPFIX headers give the length. v9 does not: its flowsets are walked until one ends at
/// the buffer's end, at zero padding, or where the next plausible header starts (flowset ids 2 to
/// 255 are reserved, so v9's, v5's and IPFIX's versions never begin a valid flowset).
pub fn datagram_len(buf: &[u8]) -> usize {
    let limit = buf.len().min(MAX_DATAGRAM);
    match u16_at(buf, 0) {
        Some(5) => {
            let count = u16_at(buf, 2).map_or(0, usize::from);
            (V5_HEADER + count * V5_RECORD).min(limit)
        }
        Some(10) => u16_at(buf, 2).map_or(limit, usize::from).clamp(1, limit),
        Some(9) => {
            let mut at = V9_HEADER;
            loop {
                if at >= limit {
                    return limit;
                }
                let rest = buf.get(at..).unwrap_or_default();
                let (Some(id), Some(len)) = (u16_at(rest, 0), u16_at(rest, 2)) else {
                    return skip_padding(buf, at, limit);
                };
                if (2..256).contains(&id) {
                    return at;
                }
                let len = usize::from(len);
                if len < 4 {
                    return skip_padding(buf, at, limit);
                }
                if at + len > limit {
                    return limit;
                }
                at += len;
            }
        }
        _ => 1,
    }
}

/// Zero bytes after the last flowset belong to the datagram, up to where the next one starts.
fn skip_padding(buf: &[u8], mut at: usize, limit: usize) -> usize {
    while at < limit
        && buf.get(at) == Some(&0)
        && !buf
            .get(at..)
            .is_some_and(|rest| plausible_export(rest, false))
    {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v9(flowsets: &[(u16, usize)]) -> Vec<u8> {
        let mut out = vec![0, 9, 0, 1];
        out.extend_from_slice(&[0; 16]);
        for (id, len) in flowsets {
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&(*len as u16).to_be_bytes());
            out.extend(std::iter::repeat_n(0xaa, len - 4));
        }
        out
    }

    #[test]
    fn v9_datagrams_end_where_the_next_header_starts() {
        let first = v9(&[(0, 12), (256, 8)]);
        let second = v9(&[(256, 8)]);
        let stream = [first.clone(), second.clone()].concat();
        assert_eq!(datagram_len(&stream), first.len());
        assert_eq!(datagram_len(&second), second.len());
        // Zero padding after the last flowset belongs to the datagram.
        let padded = [first.clone(), vec![0; 40], second].concat();
        assert_eq!(datagram_len(&padded), first.len() + 40);
    }

    #[test]
    fn plausibility() {
        let ipfix = [
            0, 10, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 8, 1, 2, 3, 4,
        ];
        assert!(plausible_export(&ipfix, true));
        assert!(!plausible_export(&ipfix[..20], true));
        let mut v5 = vec![0, 5, 0, 1];
        v5.resize(72, 0);
        assert!(plausible_export(&v5, true));
        v5[3] = 31;
        assert!(!plausible_export(&v5, false));
        assert!(!plausible_export(b"GET / HTTP/1.1\r\n", false));
    }
}
