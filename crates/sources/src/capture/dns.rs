//! DNS messages (RFC 1035) from UDP payloads and from DNS-over-TCP streams, and the resolutions
//! their answers give (question → CNAME chain → addresses).
//!
//! Written by hand rather than with `simple-dns`: we need the raw label bytes to escape them the way
//! Zeek does, hard caps on every count, and to keep the answers read before a malformed record
//! instead of rejecting the whole message — and the format is small.

use super::tls::escape_bytes;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Questions kept per message.
pub const MAX_QUESTIONS: usize = 64;
/// Answer records kept per message.
pub const MAX_ANSWERS: usize = 256;
/// The longest name on the wire (RFC 1035 §3.1), length octets included.
pub const MAX_NAME_WIRE_LEN: usize = 255;
/// Compression pointers followed within one name; each must also point backwards.
const MAX_POINTERS: usize = 64;
/// CNAME hops followed from a question.
const MAX_CNAME_HOPS: usize = 16;

const TYPE_A: u16 = 1;
const TYPE_CNAME: u16 = 5;
const TYPE_AAAA: u16 = 28;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("DNS message truncated in the {0}")]
    Truncated(&'static str),
    #[error("DNS name uses a reserved label type")]
    BadLabel,
    #[error("DNS name compression pointer loops or points forward")]
    PointerLoop,
    #[error("DNS name longer than 255 bytes")]
    NameTooLong,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub is_response: bool,
    pub rcode: u8,
    /// At most [`MAX_QUESTIONS`].
    pub questions: Vec<DnsQuestion>,
    /// At most [`MAX_ANSWERS`]; the records read before a malformed one when `answers_truncated`.
    pub answers: Vec<DnsRecord>,
    /// True when the answer section could not be read to its end (cut or malformed).
    pub answers_truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsQuestion {
    /// Lower-cased, labels joined with '.', non-printable bytes and '\' escaped as `\xNN`.
    pub name: String,
    pub qtype: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsRecord {
    pub name: String,
    pub ttl: u32,
    pub data: DnsData,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(String),
    /// Any other type (or an A/AAAA record of the wrong length), by type number.
    Other(u16),
}

/// Reads the name at `start`, following compression pointers. Returns the name and the offset just
/// after it in the uncompressed position (where the record continues).
fn read_name(message: &[u8], start: usize) -> Result<(String, usize), DnsError> {
    let mut raw: Vec<u8> = Vec::with_capacity(64);
    let mut wire_len = 0usize;
    let mut pos = start;
    let mut end_of_name: Option<usize> = None;
    let mut pointers = 0usize;
    // Every pointer must go strictly before the lowest offset read so far: loops are impossible.
    let mut lowest = start;
    loop {
        let len = *message.get(pos).ok_or(DnsError::Truncated("name"))?;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    let after = pos + 1;
                    return Ok((finish_name(&raw), end_of_name.unwrap_or(after)));
                }
                let label_len = usize::from(len);
                wire_len += 1 + label_len;
                if wire_len + 1 > MAX_NAME_WIRE_LEN {
                    return Err(DnsError::NameTooLong);
                }
                let label = message
                    .get(pos + 1..pos + 1 + label_len)
                    .ok_or(DnsError::Truncated("name"))?;
                if !raw.is_empty() {
                    raw.push(b'.');
                }
                raw.extend_from_slice(label);
                pos += 1 + label_len;
            }
            0xc0 => {
                let low = *message.get(pos + 1).ok_or(DnsError::Truncated("name"))?;
                let target = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                pointers += 1;
                if target >= lowest || pointers > MAX_POINTERS {
                    return Err(DnsError::PointerLoop);
                }
                end_of_name.get_or_insert(pos + 2);
                lowest = target;
                pos = target;
            }
            _ => return Err(DnsError::BadLabel),
        }
    }
}

fn finish_name(raw: &[u8]) -> String {
    escape_bytes(&raw.to_ascii_lowercase())
}

fn be16(message: &[u8], pos: usize, what: &'static str) -> Result<u16, DnsError> {
    let b = message.get(pos..pos + 2).ok_or(DnsError::Truncated(what))?;
    Ok(u16::from_be_bytes([b[0], b[1]]))
}

/// Parses one DNS message (a UDP payload, or a TCP message without its length prefix).
pub fn parse_message(bytes: &[u8]) -> Result<DnsMessage, DnsError> {
    let header = bytes.get(..12).ok_or(DnsError::Truncated("header"))?;
    let id = u16::from_be_bytes([header[0], header[1]]);
    let flags = u16::from_be_bytes([header[2], header[3]]);
    let qdcount = be16(header, 4, "header")?;
    let ancount = be16(header, 6, "header")?;
    let mut pos = 12;
    let mut questions = Vec::with_capacity(usize::from(qdcount).min(MAX_QUESTIONS));
    // All questions must be walked to find the answers; only the first ones are kept. The walk is
    // bounded by the message length (each question takes at least 5 bytes).
    for _ in 0..qdcount {
        let (name, after) = read_name(bytes, pos)?;
        let qtype = be16(bytes, after, "question")?;
        be16(bytes, after + 2, "question")?;
        pos = after + 4;
        if questions.len() < MAX_QUESTIONS {
            questions.push(DnsQuestion { name, qtype });
        }
    }
    let mut answers = Vec::with_capacity(usize::from(ancount).min(MAX_ANSWERS));
    let mut answers_truncated = false;
    for _ in 0..ancount.min(MAX_ANSWERS as u16) {
        match read_record(bytes, pos) {
            Ok((record, after)) => {
                answers.push(record);
                pos = after;
            }
            Err(_) => {
                answers_truncated = true;
                break;
            }
        }
    }
    Ok(DnsMessage {
        id,
        is_response: flags & 0x8000 != 0,
        rcode: (flags & 0x000f) as u8,
        questions,
        answers,
        answers_truncated,
    })
}

fn read_record(message: &[u8], pos: usize) -> Result<(DnsRecord, usize), DnsError> {
    let (name, after) = read_name(message, pos)?;
    let rtype = be16(message, after, "record")?;
    let ttl_bytes = message
        .get(after + 4..after + 8)
        .ok_or(DnsError::Truncated("record"))?;
    let ttl = u32::from_be_bytes([ttl_bytes[0], ttl_bytes[1], ttl_bytes[2], ttl_bytes[3]]);
    let rdlength = usize::from(be16(message, after + 8, "record")?);
    let rdata_at = after + 10;
    let rdata = message
        .get(rdata_at..rdata_at + rdlength)
        .ok_or(DnsError::Truncated("record data"))?;
    let data = match (rtype, rdata.len()) {
        (TYPE_A, 4) => DnsData::A(Ipv4Addr::new(rdata[0], rdata[1], rdata[2], rdata[3])),
        (TYPE_AAAA, 16) => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(rdata);
            DnsData::Aaaa(Ipv6Addr::from(octets))
        }
        // The CNAME target may be compressed against the whole message.
        (TYPE_CNAME, _) => DnsData::Cname(read_name(message, rdata_at)?.0),
        (other, _) => DnsData::Other(other),
    };
    Ok((DnsRecord { name, ttl, data }, rdata_at + rdlength))
}

/// The resolution an answer gives for one question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerChain {
    /// The name asked.
    pub query: String,
    /// The CNAME targets followed from the asked name, in order.
    pub cname_chain: Vec<String>,
    /// The A/AAAA addresses of the chain's last name, in answer order, without duplicates.
    pub addresses: Vec<IpAddr>,
    /// The smallest TTL on the path (CNAME records and address records).
    pub ttl: u32,
}

/// For each question of a response, follows the CNAME chain from the asked name through the answers
/// (at most 16 hops, never revisiting a name) and collects the addresses at its end. Questions
/// whose answers give neither a CNAME nor an address yield nothing.
pub fn answer_chains(message: &DnsMessage) -> Vec<AnswerChain> {
    let mut chains = Vec::new();
    if !message.is_response {
        return chains;
    }
    for question in &message.questions {
        if chains
            .iter()
            .any(|c: &AnswerChain| c.query == question.name)
        {
            continue;
        }
        let mut current = question.name.clone();
        let mut cname_chain: Vec<String> = Vec::new();
        let mut ttl: Option<u32> = None;
        for _ in 0..MAX_CNAME_HOPS {
            let next = message.answers.iter().find_map(|r| match &r.data {
                DnsData::Cname(target) if r.name == current => Some((target, r.ttl)),
                _ => None,
            });
            let Some((target, record_ttl)) = next else {
                break;
            };
            if *target == question.name || cname_chain.contains(target) {
                break;
            }
            ttl = Some(ttl.map_or(record_ttl, |t| t.min(record_ttl)));
            cname_chain.push(target.clone());
            current = target.clone();
        }
        let mut addresses: Vec<IpAddr> = Vec::new();
        for record in message.answers.iter().filter(|r| r.name == current) {
            let address = match record.data {
                DnsData::A(a) => IpAddr::V4(a),
                DnsData::Aaaa(a) => IpAddr::V6(a),
                _ => continue,
            };
            ttl = Some(ttl.map_or(record.ttl, |t| t.min(record.ttl)));
            if !addresses.contains(&address) {
                addresses.push(address);
            }
        }
        if addresses.is_empty() && cname_chain.is_empty() {
            continue;
        }
        chains.push(AnswerChain {
            query: question.name.clone(),
            cname_chain,
            addresses,
            ttl: ttl.unwrap_or(0),
        });
    }
    chains
}

/// DNS over TCP (RFC 1035 §4.2.2): fed the in-order bytes of one direction in chunks, yields each
/// complete message. Holds at most one message (65535 bytes) plus its 2-byte length.
#[derive(Debug, Default)]
pub struct TcpDnsScanner {
    /// The length prefix being read (when `length` is `None`).
    prefix: Vec<u8>,
    /// The length of the message being read.
    length: Option<usize>,
    message: Vec<u8>,
}

impl TcpDnsScanner {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn feed(
        &mut self,
        mut data: &[u8],
        mut on_message: impl FnMut(Result<DnsMessage, DnsError>),
    ) {
        while !data.is_empty() {
            match self.length {
                None => {
                    let take = (2 - self.prefix.len()).min(data.len());
                    let (head, rest) = data.split_at(take);
                    self.prefix.extend_from_slice(head);
                    data = rest;
                    if let [high, low] = self.prefix[..] {
                        self.length = Some(usize::from(u16::from_be_bytes([high, low])));
                        self.prefix.clear();
                    }
                }
                Some(length) => {
                    let take = (length - self.message.len()).min(data.len());
                    let (head, rest) = data.split_at(take);
                    self.message.extend_from_slice(head);
                    data = rest;
                }
            }
            if let Some(length) = self.length
                && self.message.len() == length
            {
                on_message(parse_message(&self.message));
                self.message.clear();
                self.length = None;
            }
        }
    }
}
