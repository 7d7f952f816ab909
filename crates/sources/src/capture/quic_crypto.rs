//! QUIC Initial packet protection (RFC 9001 §5, RFC 9369 §3.3): the per-version salts and HKDF
//! labels, key derivation from the Destination Connection ID, header protection with AES-ECB of a
//! 16-byte sample, and AES-128-GCM payload protection. Initial keys are public by design (anyone who
//! sees the DCID can derive them), which is what lets a passive observer read the ClientHello.

use aes::Aes128;
use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, Nonce, Tag};
use hkdf::Hkdf;
use sha2::Sha256;

/// QUIC version 1 (RFC 9000).
pub const QUIC_V1: u32 = 0x0000_0001;
/// QUIC version 2 (RFC 9369).
pub const QUIC_V2: u32 = 0x6b33_43cf;

/// Length of the AEAD tag that ends every protected payload.
pub const TAG_LEN: usize = 16;
/// Length of the header-protection sample.
pub const SAMPLE_LEN: usize = 16;

/// What differs between the QUIC versions whose Initial packets we can open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionParams {
    pub salt: [u8; 20],
    pub key_label: &'static [u8],
    pub iv_label: &'static [u8],
    pub hp_label: &'static [u8],
    /// The long-header packet type value (bits 4-5 of the first byte) that means Initial.
    pub initial_type: u8,
    /// The long-header packet type value that means Retry (a Retry has no Length field).
    pub retry_type: u8,
}

const V1_SALT: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const V2_SALT: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
/// draft-ietf-quic-tls-29 to -32 (still seen in older captures: Chrome shipped draft-29 widely).
const DRAFT29_SALT: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];
/// draft-ietf-quic-tls-23 to -28.
const DRAFT23_SALT: [u8; 20] = [
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65,
    0xbe, 0xf9, 0xf5, 0x02,
];

/// draft-ietf-quic-tls-22, also used by Facebook's mvfst "draft-22" version 0xfaceb001.
const DRAFT22_SALT: [u8; 20] = [
    0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd,
    0x7a, 0x02, 0x64, 0x4a,
];

/// Google QUIC Q050: IETF-style Initial protection with its own salt; the payload is a gQUIC CHLO.
pub const GQUIC_Q050: u32 = 0x5130_3530;
/// Google QUIC T050 and T051: TLS 1.3 in gQUIC framing, each with its own Initial salt.
pub const GQUIC_T050: u32 = 0x5430_3530;
pub const GQUIC_T051: u32 = 0x5430_3531;

/// The Initial salts of Chromium's `quic_versions.cc` (also in Wireshark's packet-quic.c).
const Q050_SALT: [u8; 20] = [
    0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe, 0x2f, 0x9d, 0x94, 0x5c, 0xfc, 0xdb, 0xd3, 0xa7, 0xf0,
    0xd3, 0xb5, 0x6b, 0x45,
];
const T050_SALT: [u8; 20] = [
    0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80, 0x30, 0x4c, 0x43, 0xa2, 0x36, 0x7c,
    0x60, 0x48, 0x83, 0x10,
];
const T051_SALT: [u8; 20] = [
    0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50, 0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc,
    0xda, 0x6e, 0x03, 0x3d,
];

/// QUIC v1's parameters.
pub const V1_PARAMS: VersionParams = VersionParams {
    salt: V1_SALT,
    key_label: b"quic key",
    iv_label: b"quic iv",
    hp_label: b"quic hp",
    initial_type: 0,
    retry_type: 3,
};

/// The parameters for `version`, or `None` for a version whose Initial protection we do not know
/// (gQUIC before Q050, other drafts, grease versions).
pub fn version_params(version: u32) -> Option<VersionParams> {
    let v1 = |salt| VersionParams { salt, ..V1_PARAMS };
    match version {
        // Drafts 33 and 34 already used the v1 salt.
        QUIC_V1 | 0xff00_0021 | 0xff00_0022 => Some(V1_PARAMS),
        QUIC_V2 => Some(VersionParams {
            salt: V2_SALT,
            key_label: b"quicv2 key",
            iv_label: b"quicv2 iv",
            hp_label: b"quicv2 hp",
            initial_type: 1,
            retry_type: 0,
        }),
        0xff00_001d..=0xff00_0020 => Some(v1(DRAFT29_SALT)),
        0xff00_0017..=0xff00_001c => Some(v1(DRAFT23_SALT)),
        0xff00_0016 | 0xface_b001 => Some(v1(DRAFT22_SALT)),
        // mvfst's draft-27 and experimental versions.
        0xface_b002 | 0xface_b00e => Some(v1(DRAFT23_SALT)),
        GQUIC_Q050 => Some(v1(Q050_SALT)),
        GQUIC_T050 => Some(v1(T050_SALT)),
        GQUIC_T051 => Some(v1(T051_SALT)),
        _ => None,
    }
}

/// The raw client Initial key material, exposed so tests can check it against the RFC vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitialKeyMaterial {
    pub key: [u8; 16],
    pub iv: [u8; 12],
    pub hp: [u8; 16],
}

/// TLS 1.3 HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
fn expand_label(secret: &Hkdf<Sha256>, label: &[u8], out: &mut [u8]) -> Option<()> {
    let out_len = u16::try_from(out.len()).ok()?;
    let full_label_len = u8::try_from(6 + label.len()).ok()?;
    let mut info = Vec::with_capacity(4 + 6 + label.len());
    info.extend_from_slice(&out_len.to_be_bytes());
    info.push(full_label_len);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    secret.expand(&info, out).ok()
}

/// Derives the client's Initial key, IV and header-protection key from the client's first DCID.
pub fn client_initial_key_material(version: u32, dcid: &[u8]) -> Option<InitialKeyMaterial> {
    key_material(&version_params(version)?, dcid)
}

fn key_material(params: &VersionParams, dcid: &[u8]) -> Option<InitialKeyMaterial> {
    let (_, initial) = Hkdf::<Sha256>::extract(Some(&params.salt), dcid);
    let mut client_secret = [0u8; 32];
    expand_label(&initial, b"client in", &mut client_secret)?;
    let client = Hkdf::<Sha256>::from_prk(&client_secret).ok()?;
    let mut material = InitialKeyMaterial {
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    expand_label(&client, params.key_label, &mut material.key)?;
    expand_label(&client, params.iv_label, &mut material.iv)?;
    expand_label(&client, params.hp_label, &mut material.hp)?;
    Some(material)
}

/// Ready-to-use client Initial keys for one (version, DCID).
pub struct InitialKeys {
    aead: Aes128Gcm,
    iv: [u8; 12],
    hp: Aes128,
}

impl InitialKeys {
    pub fn new(params: &VersionParams, dcid: &[u8]) -> Option<Self> {
        let material = key_material(params, dcid)?;
        Some(InitialKeys {
            aead: Aes128Gcm::new_from_slice(&material.key).ok()?,
            iv: material.iv,
            hp: Aes128::new_from_slice(&material.hp).ok()?,
        })
    }

    /// The 5-byte header-protection mask for a sample (RFC 9001 §5.4.3).
    pub fn header_mask(&self, sample: &[u8; SAMPLE_LEN]) -> [u8; 5] {
        let mut block = GenericArray::from(*sample);
        self.hp.encrypt_block(&mut block);
        let mut mask = [0u8; 5];
        for (m, b) in mask.iter_mut().zip(block.iter()) {
            *m = *b;
        }
        mask
    }

    fn nonce(&self, packet_number: u64) -> [u8; 12] {
        let mut nonce = self.iv;
        for (n, p) in nonce[4..].iter_mut().zip(packet_number.to_be_bytes()) {
            *n ^= p;
        }
        nonce
    }

    /// Encrypts `payload` in place and returns the tag.
    pub fn seal(
        &self,
        packet_number: u64,
        header: &[u8],
        payload: &mut [u8],
    ) -> Option<[u8; TAG_LEN]> {
        let nonce = self.nonce(packet_number);
        let tag = self
            .aead
            .encrypt_in_place_detached(Nonce::from_slice(&nonce), header, payload)
            .ok()?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(&tag);
        Some(out)
    }

    /// Decrypts `payload` in place; `false` when the tag does not verify (wrong keys or tampering).
    pub fn open(
        &self,
        packet_number: u64,
        header: &[u8],
        payload: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> bool {
        let nonce = self.nonce(packet_number);
        self.aead
            .decrypt_in_place_detached(
                Nonce::from_slice(&nonce),
                header,
                payload,
                Tag::from_slice(tag),
            )
            .is_ok()
    }
}
