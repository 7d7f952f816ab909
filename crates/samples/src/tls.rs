//! TLS bytes as clients and servers send them: a complete ClientHello (so SNI, ALPN and JA4 can be
//! read from it) in the style of a few real TLS stacks, a ServerHello, and opaque application-data
//! records standing in for everything encrypted.

use crate::rng::Rng;

/// The TLS stack a product uses: what its ClientHello offers, in its order. Different stacks give
/// different JA4 fingerprints, as in real traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stack {
    /// Chromium-style: GREASE, a post-quantum hybrid key share (so the hello spans two segments).
    Chrome,
    /// Windows SChannel-style (Defender and other Windows services).
    Schannel,
    /// OpenSSL 3-style (agents that ship their own OpenSSL).
    OpenSsl,
    /// An agent's own minimal TLS 1.3-first client.
    Agent,
}

const GREASE: [u16; 16] = [
    0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba,
    0xcaca, 0xdada, 0xeaea, 0xfafa,
];

const X25519: u16 = 0x001d;
const SECP256R1: u16 = 0x0017;
const SECP384R1: u16 = 0x0018;
const X25519_MLKEM768: u16 = 0x11ec;

const EXT_SERVER_NAME: u16 = 0x0000;
const EXT_STATUS_REQUEST: u16 = 0x0005;
const EXT_SUPPORTED_GROUPS: u16 = 0x000a;
const EXT_EC_POINT_FORMATS: u16 = 0x000b;
const EXT_SIGNATURE_ALGORITHMS: u16 = 0x000d;
const EXT_ALPN: u16 = 0x0010;
const EXT_SCT: u16 = 0x0012;
const EXT_ENCRYPT_THEN_MAC: u16 = 0x0016;
const EXT_EXTENDED_MASTER_SECRET: u16 = 0x0017;
const EXT_COMPRESS_CERTIFICATE: u16 = 0x001b;
const EXT_SESSION_TICKET: u16 = 0x0023;
const EXT_SUPPORTED_VERSIONS: u16 = 0x002b;
const EXT_PSK_KEY_EXCHANGE_MODES: u16 = 0x002d;
const EXT_KEY_SHARE: u16 = 0x0033;
const EXT_QUIC_TRANSPORT_PARAMETERS: u16 = 0x0039;
const EXT_RENEGOTIATION_INFO: u16 = 0xff01;

struct Profile {
    ciphers: &'static [u16],
    extensions: &'static [u16],
    groups: &'static [u16],
    sigalgs: &'static [u16],
    /// Groups that get a key share, in order.
    shares: &'static [u16],
    versions: &'static [u16],
    grease: bool,
}

const CHROME: Profile = Profile {
    ciphers: &[
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
        0x009c, 0x009d, 0x002f, 0x0035,
    ],
    extensions: &[
        EXT_SERVER_NAME,
        EXT_EXTENDED_MASTER_SECRET,
        EXT_RENEGOTIATION_INFO,
        EXT_SUPPORTED_GROUPS,
        EXT_EC_POINT_FORMATS,
        EXT_SESSION_TICKET,
        EXT_ALPN,
        EXT_STATUS_REQUEST,
        EXT_SIGNATURE_ALGORITHMS,
        EXT_SCT,
        EXT_KEY_SHARE,
        EXT_PSK_KEY_EXCHANGE_MODES,
        EXT_SUPPORTED_VERSIONS,
        EXT_COMPRESS_CERTIFICATE,
    ],
    groups: &[X25519_MLKEM768, X25519, SECP256R1, SECP384R1],
    sigalgs: &[
        0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
    ],
    shares: &[X25519_MLKEM768, X25519],
    versions: &[0x0304, 0x0303],
    grease: true,
};

const SCHANNEL: Profile = Profile {
    ciphers: &[
        0x1302, 0x1301, 0xc02c, 0xc02b, 0xc030, 0xc02f, 0xc024, 0xc023, 0xc028, 0xc027, 0xc00a,
        0xc009, 0xc014, 0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f,
    ],
    extensions: &[
        EXT_SERVER_NAME,
        EXT_STATUS_REQUEST,
        EXT_SUPPORTED_GROUPS,
        EXT_EC_POINT_FORMATS,
        EXT_SIGNATURE_ALGORITHMS,
        EXT_SESSION_TICKET,
        EXT_ALPN,
        EXT_EXTENDED_MASTER_SECRET,
        EXT_RENEGOTIATION_INFO,
        EXT_SUPPORTED_VERSIONS,
        EXT_PSK_KEY_EXCHANGE_MODES,
        EXT_KEY_SHARE,
    ],
    groups: &[X25519, SECP256R1, SECP384R1],
    sigalgs: &[
        0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203, 0x0202, 0x0601,
        0x0603,
    ],
    shares: &[X25519],
    versions: &[0x0304, 0x0303],
    grease: false,
};

const OPENSSL: Profile = Profile {
    ciphers: &[
        0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f,
        0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009,
        0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff,
    ],
    extensions: &[
        EXT_SERVER_NAME,
        EXT_EC_POINT_FORMATS,
        EXT_SUPPORTED_GROUPS,
        EXT_SESSION_TICKET,
        EXT_ALPN,
        EXT_ENCRYPT_THEN_MAC,
        EXT_EXTENDED_MASTER_SECRET,
        EXT_SIGNATURE_ALGORITHMS,
        EXT_SUPPORTED_VERSIONS,
        EXT_PSK_KEY_EXCHANGE_MODES,
        EXT_KEY_SHARE,
    ],
    groups: &[X25519, SECP256R1, 0x001e, 0x0019, SECP384R1],
    sigalgs: &[
        0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806,
        0x0401, 0x0501, 0x0601,
    ],
    shares: &[X25519],
    versions: &[0x0304, 0x0303],
    grease: false,
};

const AGENT: Profile = Profile {
    ciphers: &[
        0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030,
    ],
    extensions: &[
        EXT_SERVER_NAME,
        EXT_SUPPORTED_VERSIONS,
        EXT_SUPPORTED_GROUPS,
        EXT_SIGNATURE_ALGORITHMS,
        EXT_KEY_SHARE,
        EXT_PSK_KEY_EXCHANGE_MODES,
        EXT_ALPN,
        EXT_EXTENDED_MASTER_SECRET,
        EXT_RENEGOTIATION_INFO,
        EXT_EC_POINT_FORMATS,
    ],
    groups: &[X25519, SECP256R1, SECP384R1],
    sigalgs: &[
        0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
    ],
    shares: &[X25519],
    versions: &[0x0304, 0x0303],
    grease: false,
};

const QUIC_CHROME: Profile = Profile {
    ciphers: &[0x1301, 0x1302, 0x1303],
    extensions: &[
        EXT_SERVER_NAME,
        EXT_SUPPORTED_GROUPS,
        EXT_ALPN,
        EXT_SIGNATURE_ALGORITHMS,
        EXT_KEY_SHARE,
        EXT_PSK_KEY_EXCHANGE_MODES,
        EXT_SUPPORTED_VERSIONS,
        EXT_COMPRESS_CERTIFICATE,
        EXT_QUIC_TRANSPORT_PARAMETERS,
    ],
    groups: &[X25519_MLKEM768, X25519, SECP256R1, SECP384R1],
    sigalgs: &[
        0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
    ],
    shares: &[X25519_MLKEM768, X25519],
    versions: &[0x0304],
    grease: true,
};

/// A QUIC client without the post-quantum share: its hello fits one Initial packet.
const QUIC_PLAIN: Profile = Profile {
    ciphers: &[0x1301, 0x1303, 0x1302],
    extensions: &[
        EXT_SERVER_NAME,
        EXT_SUPPORTED_GROUPS,
        EXT_SIGNATURE_ALGORITHMS,
        EXT_ALPN,
        EXT_KEY_SHARE,
        EXT_PSK_KEY_EXCHANGE_MODES,
        EXT_SUPPORTED_VERSIONS,
        EXT_QUIC_TRANSPORT_PARAMETERS,
    ],
    groups: &[X25519, SECP256R1, SECP384R1],
    sigalgs: &[
        0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
    ],
    shares: &[X25519],
    versions: &[0x0304],
    grease: false,
};

fn profile(stack: Stack) -> &'static Profile {
    match stack {
        Stack::Chrome => &CHROME,
        Stack::Schannel => &SCHANNEL,
        Stack::OpenSsl => &OPENSSL,
        Stack::Agent => &AGENT,
    }
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u24(out: &mut Vec<u8>, v: usize) {
    let b = (v as u32).to_be_bytes();
    out.extend_from_slice(&b[1..4]);
}

/// Writes `body` preceded by its 16-bit length.
fn with_len16(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0, 0]);
    body(out);
    let len = (out.len() - at - 2) as u16;
    if let Some(slot) = out.get_mut(at..at + 2) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
}

fn key_share_len(group: u16) -> usize {
    match group {
        X25519_MLKEM768 => 1184 + 32,
        SECP256R1 => 65,
        _ => 32,
    }
}

/// QUIC transport parameters (RFC 9000 §18) as a browser sends them; `scid` is the
/// initial_source_connection_id, which must match the packet's Source Connection ID.
fn quic_transport_parameters(out: &mut Vec<u8>, scid: &[u8], rng: &mut Rng) {
    fn varint(out: &mut Vec<u8>, v: u64) {
        if v < 64 {
            out.push(v as u8);
        } else if v < 16_384 {
            out.extend_from_slice(&(0x4000 | v as u16).to_be_bytes());
        } else if v < 1 << 30 {
            out.extend_from_slice(&(0x8000_0000 | v as u32).to_be_bytes());
        } else {
            out.extend_from_slice(&(0xc000_0000_0000_0000 | v).to_be_bytes());
        }
    }
    fn param(out: &mut Vec<u8>, id: u64, value: u64) {
        let mut v = Vec::with_capacity(8);
        varint(&mut v, value);
        varint(out, id);
        varint(out, v.len() as u64);
        out.extend_from_slice(&v);
    }
    param(out, 0x01, 30_000); // max_idle_timeout
    param(out, 0x03, 1472); // max_udp_payload_size
    param(out, 0x04, 15_728_640); // initial_max_data
    param(out, 0x05, 6_291_456); // initial_max_stream_data_bidi_local
    param(out, 0x06, 6_291_456); // initial_max_stream_data_bidi_remote
    param(out, 0x07, 6_291_456); // initial_max_stream_data_uni
    param(out, 0x08, 100); // initial_max_streams_bidi
    param(out, 0x09, 103); // initial_max_streams_uni
    varint(out, 0x0f); // initial_source_connection_id
    varint(out, scid.len() as u64);
    out.extend_from_slice(scid);
    // A GREASE transport parameter (RFC 9000 §18.1: 31 * N + 27) with a few random bytes.
    varint(out, 31 * rng.range(1, 200) + 27);
    varint(out, 4);
    out.extend_from_slice(&rng.bytes::<4>());
}

/// What a ClientHello says beyond its stack.
pub(crate) struct Hello<'a> {
    pub server_name: &'a str,
    pub alpn: &'a [&'a str],
    /// For QUIC: the client's Source Connection ID (for the transport parameters).
    pub quic_scid: Option<&'a [u8]>,
}

/// The ClientHello handshake message (type 1, with its 24-bit length), without a record header.
pub(crate) fn client_hello_message(
    stack: Option<Stack>,
    hello: &Hello<'_>,
    rng: &mut Rng,
) -> Vec<u8> {
    let p = match (stack, hello.quic_scid) {
        (Some(Stack::Chrome) | None, Some(_)) => &QUIC_CHROME,
        (Some(_), Some(_)) => &QUIC_PLAIN,
        (Some(s), None) => profile(s),
        (None, None) => &CHROME,
    };
    let grease = |rng: &mut Rng| {
        GREASE
            .get(rng.below(16) as usize)
            .copied()
            .unwrap_or(0x0a0a)
    };
    let g_cipher = grease(rng);
    let g_ext1 = grease(rng);
    let mut g_ext2 = grease(rng);
    if g_ext2 == g_ext1 {
        g_ext2 ^= 0x1010;
    }
    let g_group = grease(rng);
    let g_version = grease(rng);

    let mut body = Vec::with_capacity(2048);
    put_u16(&mut body, 0x0303);
    body.extend_from_slice(&rng.bytes::<32>());
    if hello.quic_scid.is_some() {
        body.push(0); // QUIC forbids a legacy session id
    } else {
        body.push(32);
        body.extend_from_slice(&rng.bytes::<32>());
    }
    with_len16(&mut body, |b| {
        if p.grease {
            put_u16(b, g_cipher);
        }
        for &c in p.ciphers {
            put_u16(b, c);
        }
    });
    body.extend_from_slice(&[1, 0]); // compression methods: null
    with_len16(&mut body, |b| {
        if p.grease {
            put_u16(b, g_ext1);
            put_u16(b, 0);
        }
        for &ext in p.extensions {
            if ext == EXT_ALPN && hello.alpn.is_empty() {
                continue;
            }
            put_u16(b, ext);
            with_len16(b, |e| {
                extension_body(e, ext, p, hello, g_group, g_version, rng)
            });
        }
        if p.grease {
            put_u16(b, g_ext2);
            put_u16(b, 1);
            b.push(0);
        }
    });
    let mut msg = Vec::with_capacity(body.len() + 4);
    msg.push(1);
    put_u24(&mut msg, body.len());
    msg.extend_from_slice(&body);
    msg
}

fn extension_body(
    e: &mut Vec<u8>,
    ext: u16,
    p: &Profile,
    hello: &Hello<'_>,
    g_group: u16,
    g_version: u16,
    rng: &mut Rng,
) {
    match ext {
        EXT_SERVER_NAME => with_len16(e, |l| {
            l.push(0); // host_name
            with_len16(l, |n| n.extend_from_slice(hello.server_name.as_bytes()));
        }),
        EXT_STATUS_REQUEST => e.extend_from_slice(&[1, 0, 0, 0, 0]),
        EXT_SUPPORTED_GROUPS => with_len16(e, |l| {
            if p.grease {
                put_u16(l, g_group);
            }
            for &g in p.groups {
                put_u16(l, g);
            }
        }),
        EXT_EC_POINT_FORMATS => e.extend_from_slice(&[1, 0]),
        EXT_SIGNATURE_ALGORITHMS => with_len16(e, |l| {
            for &s in p.sigalgs {
                put_u16(l, s);
            }
        }),
        EXT_ALPN => with_len16(e, |l| {
            for proto in hello.alpn {
                l.push(proto.len() as u8);
                l.extend_from_slice(proto.as_bytes());
            }
        }),
        EXT_RENEGOTIATION_INFO => e.push(0),
        EXT_COMPRESS_CERTIFICATE => e.extend_from_slice(&[2, 0, 2]), // brotli
        EXT_SUPPORTED_VERSIONS => {
            let n = p.versions.len() + usize::from(p.grease);
            e.push((n * 2) as u8);
            if p.grease {
                put_u16(e, g_version);
            }
            for &v in p.versions {
                put_u16(e, v);
            }
        }
        EXT_PSK_KEY_EXCHANGE_MODES => e.extend_from_slice(&[1, 1]),
        EXT_KEY_SHARE => with_len16(e, |l| {
            if p.grease {
                put_u16(l, g_group);
                put_u16(l, 1);
                l.push(0);
            }
            for &g in p.shares {
                put_u16(l, g);
                let n = key_share_len(g);
                put_u16(l, n as u16);
                let at = l.len();
                l.resize(at + n, 0);
                if let Some(key) = l.get_mut(at..) {
                    rng.fill(key);
                    if g == SECP256R1
                        && let Some(first) = key.first_mut()
                    {
                        *first = 4; // uncompressed point
                    }
                }
            }
        }),
        EXT_QUIC_TRANSPORT_PARAMETERS => {
            if let Some(scid) = hello.quic_scid {
                quic_transport_parameters(e, scid, rng);
            }
        }
        // session_ticket (empty), SCT (empty), encrypt_then_mac (empty), extended_master_secret (empty)
        _ => {}
    }
}

/// Wraps handshake bytes in one TLS record (content type 22).
pub(crate) fn handshake_record(message: &[u8], legacy_version: u16) -> Vec<u8> {
    let mut r = Vec::with_capacity(message.len() + 5);
    r.push(22);
    put_u16(&mut r, legacy_version);
    put_u16(&mut r, message.len() as u16);
    r.extend_from_slice(message);
    r
}

/// A complete ClientHello record for TLS over TCP.
pub(crate) fn client_hello_record(
    stack: Stack,
    server_name: &str,
    alpn: &[&str],
    rng: &mut Rng,
) -> Vec<u8> {
    let msg = client_hello_message(
        Some(stack),
        &Hello {
            server_name,
            alpn,
            quic_scid: None,
        },
        rng,
    );
    // Clients put 0x0301 in the first record for compatibility with old middleboxes.
    handshake_record(&msg, 0x0301)
}

/// The server's first flight: ServerHello (TLS 1.3 via supported_versions, x25519), the
/// compatibility ChangeCipherSpec, and one application-data record standing for the encrypted
/// extensions, certificate chain, verify and finished (`encrypted_len` bytes).
pub(crate) fn server_first_flight(
    client_hello: &[u8],
    encrypted_len: usize,
    rng: &mut Rng,
) -> Vec<u8> {
    // Echo the client's legacy session id (record 5 + handshake 4 + version 2 + random 32 = 43).
    let sid: Vec<u8> = match client_hello.get(43) {
        Some(&n) if n <= 32 => client_hello
            .get(44..44 + usize::from(n))
            .map(<[u8]>::to_vec)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut body = Vec::with_capacity(128);
    put_u16(&mut body, 0x0303);
    body.extend_from_slice(&rng.bytes::<32>());
    body.push(sid.len() as u8);
    body.extend_from_slice(&sid);
    put_u16(&mut body, 0x1301);
    body.push(0);
    with_len16(&mut body, |e| {
        put_u16(e, EXT_SUPPORTED_VERSIONS);
        put_u16(e, 2);
        put_u16(e, 0x0304);
        put_u16(e, EXT_KEY_SHARE);
        put_u16(e, 36);
        put_u16(e, X25519);
        put_u16(e, 32);
        e.extend_from_slice(&rng.bytes::<32>());
    });
    let mut msg = vec![2];
    put_u24(&mut msg, body.len());
    msg.extend_from_slice(&body);
    let mut out = handshake_record(&msg, 0x0303);
    out.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
    app_data_record(&mut out, encrypted_len, rng);
    out
}

/// The client's second flight: ChangeCipherSpec and its encrypted Finished.
pub(crate) fn client_finished(rng: &mut Rng) -> Vec<u8> {
    let mut out = vec![20, 3, 3, 0, 1, 1];
    app_data_record(&mut out, 53, rng);
    out
}

/// Appends one application-data record of `len` random bytes (at most 2^14 + 256).
pub(crate) fn app_data_record(out: &mut Vec<u8>, len: usize, rng: &mut Rng) {
    let len = len.min(MAX_RECORD);
    out.extend_from_slice(&[23, 3, 3]);
    put_u16(out, len as u16);
    let at = out.len();
    out.resize(at + len, 0);
    if let Some(body) = out.get_mut(at..) {
        rng.fill(body);
    }
}

/// The largest TLS 1.3 ciphertext record body (RFC 8446 §5.2).
pub(crate) const MAX_RECORD: usize = 16_384 + 256;

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks a ClientHello and returns (SNI, ALPN list, extension types), failing on any
    /// inconsistent length: the same checks a dissector makes.
    fn parse(record: &[u8]) -> (String, Vec<String>, Vec<u16>) {
        assert_eq!(record[0], 22);
        let rlen = usize::from(u16::from_be_bytes([record[3], record[4]]));
        assert_eq!(rlen + 5, record.len());
        let hs = &record[5..];
        assert_eq!(hs[0], 1);
        let hlen = usize::from(hs[1]) << 16 | usize::from(hs[2]) << 8 | usize::from(hs[3]);
        assert_eq!(hlen + 4, hs.len());
        let mut i = 4 + 2 + 32;
        i += 1 + usize::from(hs[i]);
        i += 2 + usize::from(u16::from_be_bytes([hs[i], hs[i + 1]]));
        i += 1 + usize::from(hs[i]);
        let elen = usize::from(u16::from_be_bytes([hs[i], hs[i + 1]]));
        i += 2;
        assert_eq!(i + elen, hs.len());
        let (mut sni, mut alpn, mut types) = (String::new(), Vec::new(), Vec::new());
        while i < hs.len() {
            let t = u16::from_be_bytes([hs[i], hs[i + 1]]);
            let l = usize::from(u16::from_be_bytes([hs[i + 2], hs[i + 3]]));
            let body = &hs[i + 4..i + 4 + l];
            types.push(t);
            if t == EXT_SERVER_NAME {
                sni = String::from_utf8(body[5..].to_vec()).unwrap();
            }
            if t == EXT_ALPN {
                let mut j = 2;
                while j < body.len() {
                    let n = usize::from(body[j]);
                    alpn.push(String::from_utf8(body[j + 1..j + 1 + n].to_vec()).unwrap());
                    j += 1 + n;
                }
            }
            i += 4 + l;
        }
        (sni, alpn, types)
    }

    #[test]
    fn every_stack_writes_a_consistent_hello_with_sni_and_alpn() {
        let mut rng = Rng::new(9);
        for stack in [Stack::Chrome, Stack::Schannel, Stack::OpenSsl, Stack::Agent] {
            let rec = client_hello_record(
                stack,
                "s01.upd.kaspersky.com",
                &["h2", "http/1.1"],
                &mut rng,
            );
            let (sni, alpn, types) = parse(&rec);
            assert_eq!(sni, "s01.upd.kaspersky.com");
            assert_eq!(alpn, ["h2", "http/1.1"]);
            for needed in [
                EXT_SUPPORTED_VERSIONS,
                EXT_SIGNATURE_ALGORITHMS,
                EXT_SUPPORTED_GROUPS,
                EXT_KEY_SHARE,
            ] {
                assert!(types.contains(&needed), "{stack:?} lacks {needed:#06x}");
            }
        }
        // The Chromium hello carries a hybrid post-quantum share: larger than one segment.
        let rec = client_hello_record(Stack::Chrome, "www.google.com", &["h2"], &mut rng);
        assert!(rec.len() > 1448);
    }

    #[test]
    fn server_hello_echoes_session_id() {
        let mut rng = Rng::new(2);
        let ch = client_hello_record(Stack::OpenSsl, "a.example", &[], &mut rng);
        let sh = server_first_flight(&ch, 3000, &mut rng);
        assert_eq!(sh[0], 22);
        assert_eq!(sh[9 + 2 + 32], 32);
        assert_eq!(&sh[9 + 2 + 32 + 1..9 + 2 + 32 + 33], &ch[44..76]);
    }
}
