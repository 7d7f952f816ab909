//! Google QUIC (pre-IETF) client hellos: the CHLO handshake message and the packets that carry it.
//!
//! Up to Q043 a gQUIC packet has a "public header" (flags, 8-byte connection ID, version, packet
//! number) followed by a 12-byte hash instead of encryption, and the client's CHLO travels in a
//! STREAM frame of stream 1. Q046 keeps that unencrypted payload behind an IETF-invariant long
//! header. Q050 encrypts its Initial packets the IETF way (with its own salt) and carries the CHLO
//! in a CRYPTO frame: that path lives in `quic.rs`, which calls [`parse_chlo`] on the assembled
//! CRYPTO stream.
//!
//! A CHLO is a tag/value message: `CHLO`, a little-endian u16 entry count, two bytes of padding,
//! then per entry a 4-byte tag and the little-endian u32 offset where its value ends, then the
//! values. The `SNI` tag names the server. There is no TLS ClientHello, hence no JA4: a gQUIC CHLO
//! is reported as a [`ClientHello`] with the SNI only (empty ALPN, empty JA4 and JA4_r, version 0).

use crate::capture::tls::{ClientHello, MAX_SNI_BYTES, escape_bytes};

/// The message tag that starts a client hello.
pub const CHLO: &[u8; 4] = b"CHLO";
/// More entries than this is not a CHLO a client sends (Chrome's have about 25).
const MAX_CHLO_ENTRIES: usize = 512;
/// The length of the null-encryption message authentication hash before the frames (Q043 and
/// earlier, and Q046).
const NULL_HASH_LEN: usize = 12;
/// The gQUIC crypto stream.
const CRYPTO_STREAM_ID: u64 = 1;

/// The numeric part of a gQUIC version tag such as `Q043` or `T051`, with its letter.
pub fn version_tag(version: [u8; 4]) -> Option<(u8, u16)> {
    let [letter, a, b, c] = version;
    if !matches!(letter, b'Q' | b'T') || ![a, b, c].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let number = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
    Some((letter, number))
}

/// The full length of the CHLO at the start of `bytes` once its tag table is present: the header,
/// the table and the values up to the last end offset. `None` while the table is incomplete;
/// `Some(Err)` when the bytes are not a plausible CHLO.
pub fn chlo_len(bytes: &[u8]) -> Option<Result<usize, &'static str>> {
    let header = bytes.get(..8)?;
    if header.get(..4) != Some(CHLO.as_slice()) {
        return Some(Err("handshake message is not a CHLO"));
    }
    let entries = usize::from(u16::from_le_bytes([header[4], header[5]]));
    if entries > MAX_CHLO_ENTRIES {
        return Some(Err("CHLO with too many tags"));
    }
    let table_end = 8 + 8 * entries;
    let table = bytes.get(8..table_end)?;
    let last_end = table
        .chunks_exact(8)
        .next_back()
        .map_or(0, |entry| u32_le(&entry[4..8]));
    let Some(total) = usize::try_from(last_end)
        .ok()
        .and_then(|end| table_end.checked_add(end))
    else {
        return Some(Err("CHLO value offsets overflow"));
    };
    Some(Ok(total))
}

fn u32_le(bytes: &[u8]) -> u32 {
    let mut word = [0u8; 4];
    for (w, b) in word.iter_mut().zip(bytes) {
        *w = *b;
    }
    u32::from_le_bytes(word)
}

/// Parses a complete CHLO message (bytes after it are ignored) and returns its SNI as a
/// [`ClientHello`] with empty ALPN and JA4 (JA4 is defined for TLS ClientHellos only).
pub fn parse_chlo(message: &[u8]) -> Result<ClientHello, &'static str> {
    let total = match chlo_len(message) {
        None => return Err("truncated CHLO tag table"),
        Some(result) => result?,
    };
    let message = message.get(..total).ok_or("truncated CHLO values")?;
    let entries = usize::from(u16::from_le_bytes([
        message.get(4).copied().unwrap_or(0),
        message.get(5).copied().unwrap_or(0),
    ]));
    let values_at = 8 + 8 * entries;
    let table = message.get(8..values_at).unwrap_or_default();
    let values = message.get(values_at..).unwrap_or_default();
    let mut sni = None;
    let mut previous_end = 0usize;
    for entry in table.chunks_exact(8) {
        let end = usize::try_from(u32_le(&entry[4..8])).map_err(|_| "CHLO offset too large")?;
        if end < previous_end {
            return Err("CHLO value offsets go backwards");
        }
        let value = values
            .get(previous_end..end)
            .ok_or("CHLO value past the message")?;
        if &entry[..4] == b"SNI\0" && sni.is_none() {
            let kept = value.get(..value.len().min(MAX_SNI_BYTES)).unwrap_or(value);
            sni = Some(escape_bytes(kept));
        }
        previous_end = end;
    }
    Ok(ClientHello {
        sni,
        alpn: Vec::new(),
        ja4: String::new(),
        ja4_r: String::new(),
        tls_version: 0,
    })
}

/// A gQUIC packet whose payload is not encrypted: Q046 and earlier.
pub struct PlainPacket<'a> {
    /// The version number (43 for Q043).
    pub version: u16,
    /// The frames, after the header and the null-encryption hash.
    pub frames: &'a [u8],
}

/// Recognises a client packet of a gQUIC version up to Q046 that carries its version (the first
/// packets of a connection do) and locates its frames. `None` for anything else, IETF QUIC and
/// Q050 or later included.
pub fn plain_packet(datagram: &[u8]) -> Option<PlainPacket<'_>> {
    let first = *datagram.first()?;
    let (version, header_len) = if first & 0x80 != 0 {
        // Q046: IETF-invariant long header, connection-ID lengths as two nibbles (value + 3), a
        // packet number of 1-4 bytes given by the low bits.
        let (b'Q', version @ 46..=49) = version_tag(datagram.get(1..5)?.try_into().ok()?)? else {
            return None;
        };
        let lengths = *datagram.get(5)?;
        let cid_len = |nibble: u8| {
            if nibble == 0 {
                0
            } else {
                usize::from(nibble) + 3
            }
        };
        let header =
            6 + cid_len(lengths >> 4) + cid_len(lengths & 0x0f) + usize::from(first & 3) + 1;
        (version, header)
    } else {
        // Public header: flags, then the 8-byte connection ID (flag 0x08), the version (flag
        // 0x01), the packet number (length in bits 4-5). Flag 0x04 announces a diversification
        // nonce only from servers: clients still send 0x0c, the old "8-byte connection ID" value.
        if first & 0x01 == 0 || first & 0x40 != 0 {
            return None;
        }
        let cid = if first & 0x08 != 0 { 8 } else { 0 };
        let (b'Q', version @ ..=45) =
            version_tag(datagram.get(1 + cid..5 + cid)?.try_into().ok()?)?
        else {
            return None;
        };
        let pn_len = [1, 2, 4, 6][usize::from((first >> 4) & 0x03)];
        // Q033 and earlier have a private-flags byte after the hash.
        let private_flags = usize::from(version <= 33);
        (version, 5 + cid + pn_len + private_flags)
    };
    let frames = datagram.get(header_len + NULL_HASH_LEN..)?;
    Some(PlainPacket { version, frames })
}

/// The CHLO in the frames of an unencrypted gQUIC packet: the data of a STREAM frame of stream 1
/// that starts with the CHLO tag. Each CHLO is padded to fit one packet, and a client sends a new
/// one after the server's REJ further along the stream, so the offset does not matter. When a frame this walk does not model (ACK, STOP_WAITING, …) comes first, the CHLO
/// tag is looked for directly and validated by parsing.
pub fn chlo_in_plain_packet(packet: &PlainPacket<'_>) -> Option<Result<ClientHello, &'static str>> {
    let frames = packet.frames;
    let big_endian = packet.version >= 39;
    let mut pos = 0;
    while let Some(&frame_type) = frames.get(pos) {
        if frame_type == 0x00 {
            // PADDING runs to the end of the packet.
            return None;
        }
        if frame_type & 0x80 == 0 {
            break;
        }
        // STREAM: 1fdooous: FIN, data-length present, offset length, stream-ID length.
        let has_len = frame_type & 0x20 != 0;
        let offset_len = match (frame_type >> 2) & 0x07 {
            0 => 0,
            n => usize::from(n) + 1,
        };
        let id_len = usize::from(frame_type & 0x03) + 1;
        pos += 1;
        let stream_id = read_uint(frames.get(pos..pos + id_len)?, big_endian);
        pos += id_len;
        // The stream offset is not needed (see above), only skipped.
        frames.get(pos..pos + offset_len)?;
        pos += offset_len;
        let data_len = if has_len {
            let len = read_uint(frames.get(pos..pos + 2)?, big_endian);
            pos += 2;
            usize::try_from(len).ok()?
        } else {
            frames.len().saturating_sub(pos)
        };
        let data = frames.get(pos..pos.checked_add(data_len)?)?;
        if stream_id == CRYPTO_STREAM_ID && data.starts_with(CHLO) {
            return Some(parse_chlo(data));
        }
        pos += data_len;
    }
    let at = frames.windows(4).position(|w| w == CHLO)?;
    parse_chlo(frames.get(at..)?).ok().map(Ok)
}

/// An unsigned integer of 0-8 bytes in the version's byte order (little-endian before Q039).
fn read_uint(bytes: &[u8], big_endian: bool) -> u64 {
    let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
    if big_endian {
        bytes.iter().fold(0, fold)
    } else {
        bytes.iter().rev().fold(0, fold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_tags() {
        assert_eq!(version_tag(*b"Q043"), Some((b'Q', 43)));
        assert_eq!(version_tag(*b"T051"), Some((b'T', 51)));
        assert_eq!(version_tag(*b"Q04x"), None);
        assert_eq!(version_tag([0, 0, 0, 1]), None);
    }

    #[test]
    fn integers_in_both_byte_orders() {
        assert_eq!(read_uint(&[0x01, 0x02], true), 0x0102);
        assert_eq!(read_uint(&[0x01, 0x02], false), 0x0201);
        assert_eq!(read_uint(&[], true), 0);
    }
}
