//! QUIC client Initial packets (RFC 9000/9001 v1, RFC 9369 v2): decrypting the client's Initial
//! packets of one flow to recover its TLS ClientHello (SNI, ALPN, JA4), and the matching sealing
//! side used by tests and the sample-capture generator.

use super::quic_crypto::{InitialKeys, SAMPLE_LEN, TAG_LEN, V1_PARAMS, version_params};

/// The smallest UDP payload a client may carry an Initial packet in (RFC 9000 §14.1).
const MIN_INITIAL_DATAGRAM: usize = 1200;

/// Appends `value` as a QUIC variable-length integer (RFC 9000 §16), shortest form.
/// Values above 2^62-1 cannot be encoded; they are clamped to that maximum.
pub fn encode_varint(value: u64, out: &mut Vec<u8>) {
    let value = value.min((1 << 62) - 1);
    if value < 1 << 6 {
        out.push(value as u8);
    } else if value < 1 << 14 {
        out.extend_from_slice(&(value as u16 | 0x4000).to_be_bytes());
    } else if value < 1 << 30 {
        out.extend_from_slice(&(value as u32 | 0x8000_0000).to_be_bytes());
    } else {
        out.extend_from_slice(&(value | 0xc000_0000_0000_0000).to_be_bytes());
    }
}

/// Reads a QUIC variable-length integer at `*pos`, advancing it; `None` when truncated.
pub fn read_varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let first = *bytes.get(*pos)?;
    let len = 1usize << (first >> 6);
    let raw = bytes.get(*pos..pos.checked_add(len)?)?;
    let mut value = u64::from(first & 0x3f);
    for b in raw.iter().skip(1) {
        value = (value << 8) | u64::from(*b);
    }
    *pos += len;
    Some(value)
}

/// Encodes a CRYPTO frame (type 0x06, varint offset, varint length, data).
pub fn crypto_frame(offset: u64, data: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(data.len() + 17);
    frame.push(0x06);
    encode_varint(offset, &mut frame);
    encode_varint(data.len() as u64, &mut frame);
    frame.extend_from_slice(data);
    frame
}

/// Builds one protected client Initial packet: long header for `version` (0x00000001 or
/// 0x6b3343cf; any other version is sealed with the v1 salt and labels and v1 type bits), the given
/// DCID and SCID (each at most 20 bytes are used), an empty token, a 4-byte packet number, and
/// `frames` as the plaintext payload padded with PADDING so the datagram is at least 1200 bytes.
pub fn seal_client_initial(version: u32, dcid: &[u8], scid: &[u8], packet_number: u32, frames: &[u8]) -> Vec<u8> {
    let dcid = dcid.get(..dcid.len().min(20)).unwrap_or_default();
    let scid = scid.get(..scid.len().min(20)).unwrap_or_default();
    let params = version_params(version).unwrap_or(V1_PARAMS);
    const PN_LEN: usize = 4;
    // Header up to (not including) the Length field.
    let mut header = Vec::with_capacity(64);
    header.push(0xc0 | (params.initial_type << 4) | (PN_LEN as u8 - 1));
    header.extend_from_slice(&version.to_be_bytes());
    header.push(dcid.len() as u8);
    header.extend_from_slice(dcid);
    header.push(scid.len() as u8);
    header.extend_from_slice(scid);
    header.push(0); // token length
    // The Length field uses 2 bytes when it fits (as real clients do), else 4.
    let length_field_len = |payload_len: usize| if payload_len + PN_LEN + TAG_LEN < 1 << 14 { 2 } else { 4 };
    let mut payload_len = frames.len().max(1);
    let fixed = header.len() + PN_LEN + TAG_LEN;
    if fixed + length_field_len(payload_len) + payload_len < MIN_INITIAL_DATAGRAM {
        payload_len = MIN_INITIAL_DATAGRAM - fixed - length_field_len(payload_len);
    }
    let length = (payload_len + PN_LEN + TAG_LEN) as u64;
    if length_field_len(payload_len) == 2 {
        header.extend_from_slice(&(length as u16 | 0x4000).to_be_bytes());
    } else {
        header.extend_from_slice(&(length as u32 | 0x8000_0000).to_be_bytes());
    }
    let pn_offset = header.len();
    header.extend_from_slice(&packet_number.to_be_bytes());

    let mut payload = Vec::with_capacity(payload_len + TAG_LEN);
    payload.extend_from_slice(frames);
    payload.resize(payload_len, 0); // PADDING frames are single zero bytes
    let keys = InitialKeys::new(&params, dcid);
    let mut packet = header.clone();
    if let Some(keys) = keys
        && let Some(tag) = keys.seal(u64::from(packet_number), &header, &mut payload)
    {
        payload.extend_from_slice(&tag);
        packet.extend_from_slice(&payload);
        let mut sample = [0u8; SAMPLE_LEN];
        // The sample starts 4 bytes after the packet number's first byte: here, the payload start.
        if let Some(src) = payload.get(..SAMPLE_LEN) {
            sample.copy_from_slice(src);
        }
        let mask = keys.header_mask(&sample);
        if let Some(first) = packet.first_mut() {
            *first ^= mask[0] & 0x0f;
        }
        for (i, m) in mask[1..].iter().enumerate() {
            if let Some(b) = packet.get_mut(pn_offset + i) {
                *b ^= m;
            }
        }
    }
    packet
}
