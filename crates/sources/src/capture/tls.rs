//! TLS ClientHello from the client-to-server bytes of a TCP connection: record-layer reassembly of
//! the first handshake message, then a tolerant parse of the fields ringfence needs (SNI, ALPN,
//! highest offered version) and the JA4 fingerprint.
//!
//! The ClientHello is parsed by hand rather than with `tls-parser`: JA4 needs the raw, ordered list
//! of every extension type (known or not), and `tls-parser` rejects the whole extension list when any
//! single extension it knows fails its stricter parse, which would lose the SNI of an odd client.

use super::ja4::{Ja4Input, is_grease, ja4, ja4_r};
use ringfence_model::Transport;

/// The largest ClientHello handshake message we reassemble (real ones, post-quantum key shares
/// included, stay under 4 KiB; 64 KiB bounds the memory an attacker can make us hold per flow).
pub const MAX_CLIENT_HELLO: usize = 64 * 1024;
/// Bytes kept of an SNI host_name before escaping (the DNS maximum name length).
pub const MAX_SNI_BYTES: usize = 255;
/// ALPN protocol names kept.
const MAX_ALPN_VALUES: usize = 16;
/// TLS records carry at most 2^14 plaintext bytes; allow the ciphertext expansion margin too.
const MAX_RECORD: usize = 16384 + 2048;

const CONTENT_HANDSHAKE: u8 = 22;
const HANDSHAKE_CLIENT_HELLO: u8 = 1;

/// What a ClientHello says about where the client is going and who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// The server_name host_name as sent (non-printable bytes and `\` escaped as `\xNN`), at most
    /// 255 bytes of it.
    pub sni: Option<String>,
    /// The ALPN protocol names offered, in order (escaped like the SNI).
    pub alpn: Vec<String>,
    /// The JA4 fingerprint.
    pub ja4: String,
    /// JA4_r, the unhashed form of the fingerprint.
    pub ja4_r: String,
    /// The highest version offered, `supported_versions` included (e.g. 0x0304 for TLS 1.3).
    pub tls_version: u16,
}

/// Escapes bytes the way Zeek writes untrusted strings: printable ASCII kept, every other byte and
/// the backslash itself as `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            out.push(b as char);
        } else {
            out.push_str("\\x");
            out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            out.push(char::from_digit(u32::from(b & 0x0f), 16).unwrap_or('0'));
        }
    }
    out
}

/// A cursor over untrusted bytes: every read is checked.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], &'static str> {
        let end = self.pos.checked_add(n).ok_or(what)?;
        let slice = self.bytes.get(self.pos..end).ok_or(what)?;
        self.pos = end;
        Ok(slice)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, &'static str> {
        Ok(self.take(1, what)?.first().copied().unwrap_or(0))
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, &'static str> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ]))
    }
    fn u16_list(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
        bytes
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
    }
}

/// Parses one complete handshake message (type 1 with its 4-byte header) — shared by TLS and QUIC.
/// `transport` selects the JA4 protocol letter: TCP gives `t`, UDP (QUIC) gives `q`.
pub fn parse_client_hello_message(
    message: &[u8],
    transport: Transport,
) -> Result<ClientHello, &'static str> {
    let mut header = Reader::new(message);
    if header.u8("empty handshake message")? != HANDSHAKE_CLIENT_HELLO {
        return Err("handshake message is not a ClientHello");
    }
    let len_bytes = header.take(3, "truncated handshake header")?;
    let len = len_bytes
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    let body = header.take(len, "truncated ClientHello")?;

    let mut r = Reader::new(body);
    let legacy_version = r.u16("truncated ClientHello version")?;
    r.take(32, "truncated ClientHello random")?;
    let session_id_len = usize::from(r.u8("truncated session id")?);
    r.take(session_id_len, "truncated session id")?;
    let ciphers_len = usize::from(r.u16("truncated cipher suites")?);
    if !ciphers_len.is_multiple_of(2) {
        return Err("odd cipher suites length");
    }
    let ciphers: Vec<u16> =
        Reader::u16_list(r.take(ciphers_len, "truncated cipher suites")?).collect();
    let compression_len = usize::from(r.u8("truncated compression methods")?);
    r.take(compression_len, "truncated compression methods")?;

    let mut extensions = Vec::new();
    let mut sni = None;
    let mut has_sni = false;
    let mut alpn: Vec<String> = Vec::new();
    let mut first_alpn: Option<&[u8]> = None;
    let mut supported_versions: Option<u16> = None;
    let mut signature_algorithms: Vec<u16> = Vec::new();
    // A ClientHello without extensions (SSL 3.0 style) ends here.
    if r.remaining() > 0 {
        let extensions_len = usize::from(r.u16("truncated extensions length")?);
        // A cut or damaged extension list still yields what was read before the damage: an
        // audit wants the server name a server may well have acted on (nDPI keeps it too).
        let available = extensions_len.min(r.remaining());
        let mut ext = Reader::new(r.take(available, "truncated extensions")?);
        while ext.remaining() > 0 {
            let Ok(ext_type) = ext.u16("truncated extension header") else {
                break;
            };
            let Ok(ext_len) = ext.u16("truncated extension header").map(usize::from) else {
                break;
            };
            let Ok(data) = ext.take(ext_len, "truncated extension") else {
                break;
            };
            extensions.push(ext_type);
            match ext_type {
                0x0000 => {
                    has_sni = true;
                    if sni.is_none() {
                        sni = parse_sni(data);
                    }
                }
                0x0010 if alpn.is_empty() => {
                    let values = parse_alpn(data);
                    first_alpn = values.first().copied();
                    alpn = values
                        .iter()
                        .take(MAX_ALPN_VALUES)
                        .map(|v| escape_bytes(v))
                        .collect();
                }
                0x002b => supported_versions = parse_supported_versions(data),
                0x000d => signature_algorithms = parse_signature_algorithms(data),
                _ => {}
            }
        }
    }

    let tls_version = supported_versions.unwrap_or(legacy_version);
    let input = Ja4Input {
        protocol: match transport {
            Transport::Tcp => 't',
            Transport::Udp => 'q',
        },
        version: tls_version,
        has_sni,
        ciphers: &ciphers,
        extensions: &extensions,
        first_alpn,
        signature_algorithms: &signature_algorithms,
    };
    Ok(ClientHello {
        sni,
        alpn,
        ja4: ja4(&input),
        ja4_r: ja4_r(&input),
        tls_version,
    })
}

/// The first host_name of a server_name extension (RFC 6066 §3), escaped and bounded.
fn parse_sni(data: &[u8]) -> Option<String> {
    let mut r = Reader::new(data);
    let list_len = usize::from(r.u16("").ok()?);
    let mut list = Reader::new(r.take(list_len.min(r.remaining()), "").ok()?);
    while list.remaining() > 0 {
        let name_type = list.u8("").ok()?;
        let name_len = usize::from(list.u16("").ok()?);
        let name = list.take(name_len, "").ok()?;
        if name_type == 0 {
            let kept = name
                .get(..name.len().min(MAX_SNI_BYTES))
                .unwrap_or_default();
            return Some(escape_bytes(kept));
        }
    }
    None
}

/// The protocol names of an ALPN extension (RFC 7301), raw.
fn parse_alpn(data: &[u8]) -> Vec<&[u8]> {
    let mut values = Vec::new();
    let mut r = Reader::new(data);
    let Ok(list_len) = r.u16("") else {
        return values;
    };
    let Ok(list) = r.take(usize::from(list_len).min(r.remaining()), "") else {
        return values;
    };
    let mut list = Reader::new(list);
    while let Ok(len) = list.u8("") {
        match list.take(usize::from(len), "") {
            Ok(value) => values.push(value),
            Err(_) => break,
        }
    }
    values
}

/// The highest non-GREASE version in a ClientHello supported_versions extension (RFC 8446 §4.2.1).
fn parse_supported_versions(data: &[u8]) -> Option<u16> {
    let mut r = Reader::new(data);
    let len = usize::from(r.u8("").ok()?);
    let list = r.take(len.min(r.remaining()), "").ok()?;
    Reader::u16_list(list).filter(|v| !is_grease(*v)).max()
}

fn parse_signature_algorithms(data: &[u8]) -> Vec<u16> {
    let mut r = Reader::new(data);
    let Ok(len) = r.u16("") else {
        return Vec::new();
    };
    match r.take(usize::from(len).min(r.remaining()), "") {
        Ok(list) => Reader::u16_list(list).collect(),
        Err(_) => Vec::new(),
    }
}

/// The state of a [`ClientHelloScanner`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HelloScan {
    /// No complete ClientHello yet.
    NeedMore,
    Done(ClientHello),
    /// The stream does not start with a TLS handshake record.
    NotTls,
    /// TLS, but the records or the ClientHello are broken (or exceed the bounds).
    Malformed(&'static str),
}

/// Fed the in-order client stream in chunks; collects TLS handshake records (content type 22),
/// reassembles the ClientHello handshake message across records and chunks (at most
/// [`MAX_CLIENT_HELLO`] bytes), then parses it. After `Done`, `NotTls` or `Malformed` further feeds
/// return the same state without looking at the bytes.
#[derive(Debug)]
pub struct ClientHelloScanner {
    state: HelloScan,
    /// The header of the record being read (5 bytes once complete).
    record_header: [u8; 5],
    record_header_len: usize,
    /// Body bytes of the current record still to come.
    record_remaining: usize,
    records_seen: usize,
    /// The handshake bytes collected so far (the ClientHello message, header included).
    handshake: Vec<u8>,
}

impl Default for ClientHelloScanner {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientHelloScanner {
    pub fn new() -> Self {
        ClientHelloScanner {
            state: HelloScan::NeedMore,
            record_header: [0; 5],
            record_header_len: 0,
            record_remaining: 0,
            records_seen: 0,
            handshake: Vec::new(),
        }
    }

    /// The current state, without feeding.
    pub fn state(&self) -> &HelloScan {
        &self.state
    }

    pub fn feed(&mut self, mut data: &[u8]) -> &HelloScan {
        while self.state == HelloScan::NeedMore && !data.is_empty() {
            if self.record_remaining == 0 {
                // Reading a record header, possibly across chunks.
                let want = 5 - self.record_header_len;
                let n = want.min(data.len());
                let (head, rest) = data.split_at(n);
                for (dst, src) in self.record_header[self.record_header_len..]
                    .iter_mut()
                    .zip(head)
                {
                    *dst = *src;
                }
                self.record_header_len += n;
                data = rest;
                if let Some(verdict) = self.check_header_prefix() {
                    self.state = verdict;
                    break;
                }
                if self.record_header_len == 5 {
                    let len = usize::from(u16::from_be_bytes([
                        self.record_header[3],
                        self.record_header[4],
                    ]));
                    if len == 0 {
                        self.state = HelloScan::Malformed("empty TLS handshake record");
                    } else if len > MAX_RECORD {
                        self.state =
                            HelloScan::Malformed("TLS record longer than the protocol allows");
                    } else {
                        self.record_remaining = len;
                        self.records_seen += 1;
                        self.record_header_len = 0;
                    }
                }
            } else {
                let n = self.record_remaining.min(data.len());
                let (body, rest) = data.split_at(n);
                self.record_remaining -= n;
                data = rest;
                self.take_handshake_bytes(body);
            }
        }
        &self.state
    }

    /// Judges the record header bytes read so far: the first record decides TLS or not; later
    /// records must stay handshake records until the ClientHello is complete.
    fn check_header_prefix(&self) -> Option<HelloScan> {
        let header = self
            .record_header
            .get(..self.record_header_len)
            .unwrap_or_default();
        let first_record = self.records_seen == 0;
        if let Some(&content_type) = header.first()
            && content_type != CONTENT_HANDSHAKE
        {
            return Some(if first_record {
                HelloScan::NotTls
            } else {
                HelloScan::Malformed("ClientHello interrupted by a non-handshake record")
            });
        }
        if let Some(&major) = header.get(1)
            && major != 3
        {
            return Some(if first_record {
                HelloScan::NotTls
            } else {
                HelloScan::Malformed("TLS record version changed")
            });
        }
        if first_record
            && let Some(&minor) = header.get(2)
            && minor > 4
        {
            return Some(HelloScan::NotTls);
        }
        None
    }

    fn take_handshake_bytes(&mut self, body: &[u8]) {
        // Only as many bytes as the ClientHello needs are kept; a following message is ignored.
        let needed = match self.message_len() {
            Some(total) => total.saturating_sub(self.handshake.len()),
            None => 4 - self.handshake.len(),
        };
        let (now, later) = body.split_at(needed.min(body.len()));
        self.handshake.extend_from_slice(now);
        if self.handshake.len() < 4 {
            return;
        }
        if self.handshake.first() != Some(&HANDSHAKE_CLIENT_HELLO) {
            self.state = HelloScan::Malformed("first handshake message is not a ClientHello");
            return;
        }
        let Some(total) = self.message_len() else {
            return;
        };
        if total > MAX_CLIENT_HELLO {
            self.state = HelloScan::Malformed("ClientHello larger than 64 KiB");
            return;
        }
        if self.handshake.len() < total {
            // The header just completed: the rest of this record body belongs to the message.
            if !later.is_empty() {
                self.take_handshake_bytes(later);
            }
            return;
        }
        self.state = match parse_client_hello_message(&self.handshake, Transport::Tcp) {
            Ok(hello) => HelloScan::Done(hello),
            Err(reason) => HelloScan::Malformed(reason),
        };
        self.handshake = Vec::new();
    }

    /// The full length of the handshake message (header included) once its header is known.
    fn message_len(&self) -> Option<usize> {
        let header = self.handshake.get(1..4)?;
        Some(
            4 + header
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)),
        )
    }
}
