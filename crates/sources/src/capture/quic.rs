//! QUIC client Initial packets (RFC 9000/9001 v1, RFC 9369 v2, drafts, and Google QUIC): decrypting
//! the client's Initial packets of one flow to recover its TLS ClientHello (SNI, ALPN, JA4) or, for
//! Google QUIC, its CHLO (SNI only), and the matching sealing side used by tests and the
//! sample-capture generator.

pub mod gquic;

use super::quic_crypto::{
    GQUIC_Q050, GQUIC_T050, GQUIC_T051, InitialKeys, SAMPLE_LEN, TAG_LEN, V1_PARAMS, version_params,
};
use super::tls::{ClientHello, parse_client_hello_message};
use ringfence_model::Transport;

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
pub fn seal_client_initial(
    version: u32,
    dcid: &[u8],
    scid: &[u8],
    packet_number: u32,
    frames: &[u8],
) -> Vec<u8> {
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
    let length_field_len = |payload_len: usize| {
        if payload_len + PN_LEN + TAG_LEN < 1 << 14 {
            2
        } else {
            4
        }
    };
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

/// The largest CRYPTO stream offset we assemble: the ClientHello must fit below it.
pub const MAX_CRYPTO_STREAM: usize = 64 * 1024;
/// Initial packets looked at before giving up on finding a complete ClientHello.
const MAX_INITIAL_PACKETS: u32 = 64;
/// Datagrams looked at without any Initial packet opening before the flow is judged not to be a
/// QUIC client we can read (e.g. the capture started after the handshake).
const MAX_DATAGRAMS_WITHOUT_INITIAL: u64 = 32;
/// Connection IDs are at most 20 bytes in v1 and v2 (RFC 9000 §17.2).
const MAX_CID_LEN: usize = 20;

/// The state of a [`QuicInitialScanner`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuicScan {
    /// No complete ClientHello yet.
    NeedMore,
    Done(ClientHello),
    /// The flow's first datagram is not a long-header packet of a QUIC version we can read.
    NotQuic,
    /// QUIC, but the Initial packets or the ClientHello are broken or exceed the bounds.
    Malformed(&'static str),
}

/// The client's CRYPTO stream at the Initial level, assembled by offset. The first copy of a byte
/// wins, so an overlapping retransmission cannot rewrite what was already assembled.
#[derive(Debug, Default)]
struct CryptoStream {
    data: Vec<u8>,
    /// One bit per byte of `data`: whether it has been received.
    present: Vec<u64>,
    /// Length of the gap-free prefix.
    contiguous: usize,
}

impl CryptoStream {
    /// Records `bytes` at `offset`; `false` when they reach past [`MAX_CRYPTO_STREAM`].
    fn insert(&mut self, offset: u64, bytes: &[u8]) -> bool {
        let Ok(start) = usize::try_from(offset) else {
            return false;
        };
        let Some(end) = start.checked_add(bytes.len()) else {
            return false;
        };
        if end > MAX_CRYPTO_STREAM {
            return false;
        }
        if self.data.len() < end {
            self.data.resize(end, 0);
            self.present.resize(end.div_ceil(64), 0);
        }
        for (i, b) in bytes.iter().enumerate() {
            let at = start + i;
            let (word, bit) = (at / 64, 1u64 << (at % 64));
            if let (Some(w), Some(slot)) = (self.present.get_mut(word), self.data.get_mut(at))
                && *w & bit == 0
            {
                *w |= bit;
                *slot = *b;
            }
        }
        while self.contiguous < self.data.len()
            && self
                .present
                .get(self.contiguous / 64)
                .is_some_and(|w| w & (1 << (self.contiguous % 64)) != 0)
        {
            self.contiguous += 1;
        }
        true
    }

    fn prefix(&self) -> &[u8] {
        self.data.get(..self.contiguous).unwrap_or_default()
    }
}

/// Fed every UDP payload the client sends on one flow (client-to-server datagrams only), in order.
/// Decrypts the client's Initial packets (v1, v2 and drafts 23-32), assembles the CRYPTO stream by
/// offset, and parses the ClientHello once it is complete. Coalesced packets, several Initials,
/// out-of-order and overlapping CRYPTO frames are handled; other packet types are skipped.
#[derive(Default)]
pub struct QuicInitialScanner {
    state: Option<QuicScan>,
    datagrams: u64,
    initial_packets: u32,
    /// Keys that opened packets, by (version, DCID): the first DCID's, then the last other one's.
    keys: Vec<(u32, Vec<u8>, InitialKeys)>,
    /// The largest packet number decrypted, for packet-number recovery (RFC 9000 §A.3).
    largest_pn: Option<u64>,
    crypto: CryptoStream,
    /// The version of the first Initial opened: it decides the frame types and what the CRYPTO
    /// stream holds (a TLS ClientHello, or a gQUIC CHLO for Q050).
    crypto_version: Option<u32>,
    /// The flow is Google QUIC Q046 or earlier: unencrypted packets, CHLO in a STREAM frame.
    plain_gquic: bool,
}

impl std::fmt::Debug for QuicInitialScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuicInitialScanner")
            .field("state", self.state())
            .field("datagrams", &self.datagrams)
            .field("initial_packets", &self.initial_packets)
            .finish_non_exhaustive()
    }
}

/// A long-header packet located in a datagram.
struct LongPacket<'a> {
    first: u8,
    version: u32,
    dcid: &'a [u8],
    /// The whole packet, header included.
    packet: &'a [u8],
    /// Offset of the (protected) packet number within `packet`.
    pn_offset: usize,
}

/// Where one long-header packet starts and ends; `Err` when the datagram cannot be walked further.
enum Walk<'a> {
    Initial(LongPacket<'a>, usize),
    /// A packet to skip (0-RTT, Handshake), and the length consumed.
    Skip(usize),
    /// The rest of the datagram is not walkable (short header, Retry, unknown version, garbage).
    Stop,
}

fn walk_long_header(datagram: &[u8]) -> Walk<'_> {
    let Some(&first) = datagram.first() else {
        return Walk::Stop;
    };
    if first & 0x80 == 0 {
        return Walk::Stop;
    }
    let Some(version) = datagram
        .get(1..5)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    else {
        return Walk::Stop;
    };
    let Some(params) = version_params(version) else {
        return Walk::Stop;
    };
    let packet_type = (first >> 4) & 0x03;
    if packet_type == params.retry_type {
        return Walk::Stop;
    }
    let mut pos = 5;
    let Some(dcid_len) = datagram.get(pos).map(|l| usize::from(*l)) else {
        return Walk::Stop;
    };
    if dcid_len > MAX_CID_LEN {
        return Walk::Stop;
    }
    let Some(dcid) = datagram.get(pos + 1..pos + 1 + dcid_len) else {
        return Walk::Stop;
    };
    pos += 1 + dcid_len;
    let Some(scid_len) = datagram.get(pos).map(|l| usize::from(*l)) else {
        return Walk::Stop;
    };
    if scid_len > MAX_CID_LEN {
        return Walk::Stop;
    }
    pos += 1 + scid_len;
    let is_initial = packet_type == params.initial_type;
    if is_initial {
        let Some(token_len) = read_varint(datagram, &mut pos) else {
            return Walk::Stop;
        };
        let Some(after_token) = usize::try_from(token_len)
            .ok()
            .and_then(|t| pos.checked_add(t))
        else {
            return Walk::Stop;
        };
        pos = after_token;
    }
    let Some(length) = read_varint(datagram, &mut pos).and_then(|l| usize::try_from(l).ok()) else {
        return Walk::Stop;
    };
    let Some(end) = pos.checked_add(length).filter(|end| *end <= datagram.len()) else {
        return Walk::Stop;
    };
    if !is_initial {
        return Walk::Skip(end);
    }
    match datagram.get(..end) {
        Some(packet) => Walk::Initial(
            LongPacket {
                first,
                version,
                dcid,
                packet,
                pn_offset: pos,
            },
            end,
        ),
        None => Walk::Stop,
    }
}

/// Whether a flow's first datagram is a QUIC long-header packet by the version-independent
/// invariants (RFC 8999): header form bit set, a non-zero version, and connection-ID lengths that
/// fit. Google QUIC versions are excluded except the ones with IETF-style Initial protection
/// (Q050, T050, T051); the unencrypted older ones are [`gquic::plain_packet`]'s. An unknown version
/// is accepted: clients open with a grease version to force version negotiation and send their real
/// Initial next.
fn looks_like_quic(datagram: &[u8]) -> bool {
    let (Some(&first), Some(version)) = (datagram.first(), datagram.get(1..5)) else {
        return false;
    };
    let is_gquic = version
        .try_into()
        .ok()
        .and_then(gquic::version_tag)
        .is_some();
    let version_number = u32::from_be_bytes(version.try_into().unwrap_or([0; 4]));
    let readable_gquic = matches!(version_number, GQUIC_Q050 | GQUIC_T050 | GQUIC_T051);
    if first & 0x80 == 0 || version == [0, 0, 0, 0] || (is_gquic && !readable_gquic) {
        return false;
    }
    let Some(dcid_len) = datagram.get(5).map(|l| usize::from(*l)) else {
        return false;
    };
    datagram
        .get(6 + dcid_len)
        .is_some_and(|scid_len| 7 + dcid_len + usize::from(*scid_len) <= datagram.len())
}

/// Recovers a full packet number from its truncated encoding (RFC 9000 §A.3).
fn decode_packet_number(largest: Option<u64>, truncated: u64, pn_bits: u32) -> u64 {
    let expected = largest.map_or(0, |l| l.saturating_add(1));
    let window = 1u64 << pn_bits;
    let half = window / 2;
    let mask = window - 1;
    let candidate = (expected & !mask) | truncated;
    if candidate.saturating_add(half) <= expected && candidate < (1u64 << 62) - window {
        candidate + window
    } else if candidate > expected.saturating_add(half) && candidate >= window {
        candidate - window
    } else {
        candidate
    }
}

/// Removes header protection and decrypts one Initial packet with `keys`: the full packet number
/// and the plaintext payload, or `None` when the AEAD tag does not verify.
fn unprotect(
    keys: &InitialKeys,
    packet: &LongPacket<'_>,
    largest_pn: Option<u64>,
) -> Option<(u64, Vec<u8>)> {
    let sample_at = packet.pn_offset + 4;
    let sample = packet.packet.get(sample_at..sample_at + SAMPLE_LEN)?;
    let mut sample_block = [0u8; SAMPLE_LEN];
    sample_block.copy_from_slice(sample);
    let mask = keys.header_mask(&sample_block);
    let first = packet.first ^ (mask[0] & 0x0f);
    let pn_len = usize::from(first & 0x03) + 1;
    let payload_at = packet.pn_offset + pn_len;
    let mut header = packet.packet.get(..payload_at)?.to_vec();
    let ciphertext = packet.packet.get(payload_at..)?;
    if let Some(h) = header.first_mut() {
        *h = first;
    }
    let mut truncated = 0u64;
    for (i, m) in mask.iter().skip(1).take(pn_len).enumerate() {
        let b = header.get_mut(packet.pn_offset + i)?;
        *b ^= m;
        truncated = (truncated << 8) | u64::from(*b);
    }
    let body_len = ciphertext.len().checked_sub(TAG_LEN)?;
    let (body, tag) = ciphertext.split_at(body_len);
    let mut tag_block = [0u8; TAG_LEN];
    tag_block.copy_from_slice(tag);
    let packet_number = decode_packet_number(largest_pn, truncated, 8 * pn_len as u32);
    let mut plaintext = body.to_vec();
    keys.open(packet_number, &header, &mut plaintext, &tag_block)
        .then_some((packet_number, plaintext))
}

impl QuicInitialScanner {
    pub fn new() -> Self {
        Self::default()
    }

    /// The current state, without feeding.
    pub fn state(&self) -> &QuicScan {
        self.state.as_ref().unwrap_or(&QuicScan::NeedMore)
    }

    pub fn feed(&mut self, datagram: &[u8]) -> &QuicScan {
        if self.state.is_some() {
            return self.state();
        }
        self.datagrams += 1;
        if self.datagrams == 1 && gquic::plain_packet(datagram).is_some() {
            self.plain_gquic = true;
        }
        if self.plain_gquic {
            self.feed_plain_gquic(datagram);
            return self.state();
        }
        if self.datagrams == 1 && !looks_like_quic(datagram) {
            self.state = Some(QuicScan::NotQuic);
            return self.state();
        }
        let mut rest = datagram;
        while !rest.is_empty() && self.state.is_none() {
            match walk_long_header(rest) {
                Walk::Initial(packet, consumed) => {
                    self.open_initial(&packet);
                    rest = rest.get(consumed..).unwrap_or_default();
                }
                Walk::Skip(consumed) => rest = rest.get(consumed..).unwrap_or_default(),
                Walk::Stop => break,
            }
        }
        if self.state.is_none()
            && self.largest_pn.is_none()
            && self.datagrams >= MAX_DATAGRAMS_WITHOUT_INITIAL
        {
            self.state = Some(QuicScan::NotQuic);
        }
        self.state()
    }

    /// Google QUIC up to Q046: the CHLO is in the clear in one of the first packets carrying the
    /// version (a client repeats its CHLO, with the same SNI, after a REJ).
    fn feed_plain_gquic(&mut self, datagram: &[u8]) {
        if let Some(packet) = gquic::plain_packet(datagram) {
            self.initial_packets += 1;
            match gquic::chlo_in_plain_packet(&packet) {
                Some(Ok(hello)) => self.state = Some(QuicScan::Done(hello)),
                Some(Err(reason)) => self.state = Some(QuicScan::Malformed(reason)),
                None => {}
            }
        }
        if self.state.is_none()
            && self.initial_packets == 0
            && self.datagrams >= MAX_DATAGRAMS_WITHOUT_INITIAL
        {
            self.state = Some(QuicScan::NotQuic);
        } else if self.state.is_none() && self.datagrams >= MAX_DATAGRAMS_WITHOUT_INITIAL {
            self.state = Some(QuicScan::Malformed(
                "no CHLO in the first Google QUIC packets",
            ));
        }
    }

    /// Decrypts one Initial packet and takes its frames. The client's Initial keys come from the DCID
    /// of its first Initial and stay the same when it later switches to the server's connection ID
    /// (RFC 9001 §5.2); only a Retry makes it derive new keys from the DCID it then uses. So the
    /// keys of the first DCID are tried first, then those of the last other DCID that worked, then
    /// keys derived from this packet's DCID.
    fn open_initial(&mut self, packet: &LongPacket<'_>) {
        self.initial_packets += 1;
        if self.initial_packets > MAX_INITIAL_PACKETS {
            self.state = Some(QuicScan::Malformed(
                "no complete ClientHello in the first 64 Initial packets",
            ));
            return;
        }
        let mut opened = None;
        for (version, _, keys) in &self.keys {
            if *version == packet.version
                && let Some(result) = unprotect(keys, packet, self.largest_pn)
            {
                opened = Some(result);
                break;
            }
        }
        if opened.is_none()
            && !self
                .keys
                .iter()
                .any(|(v, d, _)| *v == packet.version && d.as_slice() == packet.dcid)
        {
            let keys = version_params(packet.version)
                .and_then(|params| InitialKeys::new(&params, packet.dcid));
            if let Some(keys) = keys
                && let Some(result) = unprotect(&keys, packet, self.largest_pn)
            {
                opened = Some(result);
                let entry = (packet.version, packet.dcid.to_vec(), keys);
                if self.keys.len() < 2 {
                    self.keys.push(entry);
                } else if let Some(last) = self.keys.last_mut() {
                    *last = entry;
                }
            }
        }
        // Not the client's keys (e.g. a server packet on a swapped flow) or corrupted: skip it.
        let Some((packet_number, plaintext)) = opened else {
            return;
        };
        self.largest_pn = Some(
            self.largest_pn
                .map_or(packet_number, |l| l.max(packet_number)),
        );
        let version = *self.crypto_version.get_or_insert(packet.version);
        if let Err(reason) = self.take_frames(&plaintext, version) {
            self.state = Some(QuicScan::Malformed(reason));
            return;
        }
        self.try_parse_hello();
    }

    /// Walks the frames of a decrypted Initial payload; CRYPTO data goes to the stream. Frames not
    /// allowed in Initial packets end the walk (the data before them is kept). Q050, T050 and T051
    /// use gQUIC frame types, where CRYPTO is 0x08 (with IETF varint fields).
    fn take_frames(&mut self, payload: &[u8], version: u32) -> Result<(), &'static str> {
        let crypto_type = if matches!(version, GQUIC_Q050 | GQUIC_T050 | GQUIC_T051) {
            0x08
        } else {
            0x06
        };
        let mut pos = 0;
        while pos < payload.len() {
            let Some(frame_type) = read_varint(payload, &mut pos) else {
                return Ok(());
            };
            match frame_type {
                0x00 | 0x01 => {} // PADDING, PING
                0x02 | 0x03 if crypto_type == 0x06 => {
                    // ACK: largest, delay, range count, first range, then (gap, length) pairs.
                    let mut fields = [0u64; 4];
                    for f in fields.iter_mut() {
                        let Some(v) = read_varint(payload, &mut pos) else {
                            return Ok(());
                        };
                        *f = v;
                    }
                    let pairs = fields[2].saturating_mul(2);
                    let ecn = if frame_type == 0x03 { 3 } else { 0 };
                    // Each varint takes at least one byte, so the loop is bounded by the payload.
                    let mut left = pairs.saturating_add(ecn);
                    while left > 0 {
                        if read_varint(payload, &mut pos).is_none() {
                            return Ok(());
                        }
                        left -= 1;
                    }
                }
                t if t == crypto_type => {
                    let (Some(offset), Some(len)) = (
                        read_varint(payload, &mut pos),
                        read_varint(payload, &mut pos),
                    ) else {
                        return Ok(());
                    };
                    let Some(data) = usize::try_from(len)
                        .ok()
                        .and_then(|len| pos.checked_add(len))
                        .and_then(|end| payload.get(pos..end))
                    else {
                        return Err("CRYPTO frame runs past the packet");
                    };
                    pos += data.len();
                    if !self.crypto.insert(offset, data) {
                        return Err("CRYPTO data beyond 64 KiB");
                    }
                }
                0x1c | 0x1d => {
                    // CONNECTION_CLOSE: error code, (frame type for 0x1c), reason phrase.
                    return Ok(());
                }
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    fn try_parse_hello(&mut self) {
        let prefix = self.crypto.prefix();
        if self.crypto_version == Some(GQUIC_Q050) {
            let result = match gquic::chlo_len(prefix) {
                None => return,
                Some(Err(reason)) => Err(reason),
                Some(Ok(total)) if total > MAX_CRYPTO_STREAM => Err("CHLO larger than 64 KiB"),
                Some(Ok(total)) => match prefix.get(..total) {
                    Some(message) => gquic::parse_chlo(message),
                    None => return,
                },
            };
            self.state = Some(match result {
                Ok(hello) => QuicScan::Done(hello),
                Err(reason) => QuicScan::Malformed(reason),
            });
            self.crypto = CryptoStream::default();
            return;
        }
        let Some(header) = prefix.get(..4) else {
            return;
        };
        if header.first() != Some(&1) {
            self.state = Some(QuicScan::Malformed(
                "first CRYPTO message is not a ClientHello",
            ));
            return;
        }
        let total = 4 + header
            .iter()
            .skip(1)
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        if total > MAX_CRYPTO_STREAM {
            self.state = Some(QuicScan::Malformed("ClientHello larger than 64 KiB"));
            return;
        }
        let Some(message) = prefix.get(..total) else {
            return;
        };
        self.state = Some(match parse_client_hello_message(message, Transport::Udp) {
            Ok(hello) => QuicScan::Done(hello),
            Err(reason) => QuicScan::Malformed(reason),
        });
        self.crypto = CryptoStream::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_number_recovery_rfc9000_a3() {
        assert_eq!(
            decode_packet_number(Some(0xa82f_30ea), 0x9b32, 16),
            0xa82f_9b32
        );
        assert_eq!(decode_packet_number(None, 0, 32), 0);
        assert_eq!(decode_packet_number(None, 2, 32), 2);
        assert_eq!(decode_packet_number(Some(0xff), 0x01, 8), 0x101);
        assert_eq!(decode_packet_number(Some(0x101), 0xff, 8), 0xff);
    }

    #[test]
    fn varints_round_trip() {
        for value in [
            0u64,
            63,
            64,
            16_383,
            16_384,
            (1 << 30) - 1,
            1 << 30,
            (1 << 62) - 1,
        ] {
            let mut out = Vec::new();
            encode_varint(value, &mut out);
            let mut pos = 0;
            assert_eq!(read_varint(&out, &mut pos), Some(value));
            assert_eq!(pos, out.len());
        }
        let mut pos = 0;
        assert_eq!(read_varint(&[0x80, 0x01], &mut pos), None);
        // RFC 9000 §A.1 examples.
        let mut pos = 0;
        assert_eq!(
            read_varint(&[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c], &mut pos),
            Some(151_288_809_941_952_652)
        );
        let mut pos = 0;
        assert_eq!(read_varint(&[0x7b, 0xbd], &mut pos), Some(15_293));
    }

    #[test]
    fn crypto_stream_first_copy_wins() {
        let mut stream = CryptoStream::default();
        assert!(stream.insert(3, b"def"));
        assert_eq!(stream.prefix(), b"");
        assert!(stream.insert(0, b"abX"));
        assert!(stream.insert(2, b"cZZ"));
        assert_eq!(stream.prefix(), b"abXdef");
        assert!(!stream.insert(MAX_CRYPTO_STREAM as u64 - 1, b"xy"));
        assert!(!stream.insert(u64::MAX, b"x"));
    }
}
