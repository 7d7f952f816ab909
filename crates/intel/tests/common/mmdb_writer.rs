//! A small MaxMind DB writer for tests: builds databases with exactly the records a test needs.
//!
//! Format (MaxMind DB 2.0): a binary search tree of `node_count` nodes, each two records of
//! 24, 28 or 32 bits (a record below `node_count` is a node, equal to it "no data", above it a
//! pointer `node_count + 16 + data offset`); 16 zero bytes; the data section of typed fields;
//! `\xAB\xCD\xEFMaxMind.com`; the metadata map.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::IpAddr;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    U16(u16),
    U32(u32),
    U64(u64),
    Bool(bool),
    Double(f64),
    Map(Vec<(String, Value)>),
    Array(Vec<Value>),
}

/// `Value::Map` from pairs.
pub fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

pub fn s(text: &str) -> Value {
    Value::Str(text.to_string())
}

#[derive(Clone, Copy, Debug)]
enum Child {
    Empty,
    Node(usize),
    Data(u32),
}

pub struct MmdbWriter {
    database_type: String,
    ip_version: u16,
    record_size: u16,
    nodes: Vec<[Child; 2]>,
    data: Vec<u8>,
    offsets: HashMap<Vec<u8>, u32>,
}

impl MmdbWriter {
    /// `ip_version` 4 (32-bit tree) or 6 (128-bit tree, IPv4 under `::/96`); `record_size` 24, 28
    /// or 32.
    pub fn new(database_type: &str, ip_version: u16, record_size: u16) -> MmdbWriter {
        assert!(ip_version == 4 || ip_version == 6);
        assert!(matches!(record_size, 24 | 28 | 32));
        MmdbWriter {
            database_type: database_type.to_string(),
            ip_version,
            record_size,
            nodes: vec![[Child::Empty, Child::Empty]],
            data: Vec::new(),
            offsets: HashMap::new(),
        }
    }

    /// Inserts `value` for `network` (`"77.74.176.0/21"`, `"2001:db8::/32"`). Insert broader
    /// networks before the more specific ones inside them.
    pub fn insert(&mut self, network: &str, value: &Value) {
        let (address, prefix) = network.split_once('/').expect("network/prefix");
        let address: IpAddr = address.parse().expect("address");
        let prefix: usize = prefix.parse().expect("prefix");
        let (bits, prefix) = match (address, self.ip_version) {
            (IpAddr::V4(v4), 4) => (u128::from(u32::from(v4)) << 96, prefix),
            (IpAddr::V4(v4), _) => (u128::from(u32::from(v4)), prefix + 96),
            (IpAddr::V6(v6), 6) => (u128::from(v6), prefix),
            (IpAddr::V6(_), _) => panic!("IPv6 network in an IPv4 database"),
        };
        let depth_limit = if self.ip_version == 4 { 32 } else { 128 };
        assert!(prefix >= 1 && prefix <= depth_limit, "prefix {prefix}");
        let offset = self.data_offset(value);
        let mut node = 0usize;
        for depth in 0..prefix {
            let bit = ((bits >> (127 - depth)) & 1) as usize;
            if depth + 1 == prefix {
                self.nodes[node][bit] = Child::Data(offset);
                return;
            }
            node = match self.nodes[node][bit] {
                Child::Node(next) => next,
                Child::Empty => self.push_node(node, bit, [Child::Empty, Child::Empty]),
                Child::Data(old) => self.push_node(node, bit, [Child::Data(old), Child::Data(old)]),
            };
        }
    }

    fn push_node(&mut self, parent: usize, bit: usize, children: [Child; 2]) -> usize {
        self.nodes.push(children);
        let index = self.nodes.len() - 1;
        self.nodes[parent][bit] = Child::Node(index);
        index
    }

    fn data_offset(&mut self, value: &Value) -> u32 {
        let mut encoded = Vec::new();
        encode(value, &mut encoded);
        if let Some(&offset) = self.offsets.get(&encoded) {
            return offset;
        }
        let offset = self.data.len() as u32;
        self.data.extend_from_slice(&encoded);
        self.offsets.insert(encoded, offset);
        offset
    }

    /// The database file.
    pub fn build(&self) -> Vec<u8> {
        let node_count = self.nodes.len() as u32;
        let record = |child: Child| -> u32 {
            match child {
                Child::Empty => node_count,
                Child::Node(i) => i as u32,
                Child::Data(offset) => node_count + 16 + offset,
            }
        };
        let mut out = Vec::new();
        for [left, right] in &self.nodes {
            let (l, r) = (record(*left), record(*right));
            match self.record_size {
                24 => {
                    out.extend_from_slice(&l.to_be_bytes()[1..]);
                    out.extend_from_slice(&r.to_be_bytes()[1..]);
                }
                28 => {
                    out.extend_from_slice(&l.to_be_bytes()[1..]);
                    out.push((((l >> 24) & 0x0f) << 4) as u8 | ((r >> 24) & 0x0f) as u8);
                    out.extend_from_slice(&r.to_be_bytes()[1..]);
                }
                _ => {
                    out.extend_from_slice(&l.to_be_bytes());
                    out.extend_from_slice(&r.to_be_bytes());
                }
            }
        }
        out.extend_from_slice(&[0u8; 16]);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
        let metadata = map(&[
            ("node_count", Value::U32(node_count)),
            ("record_size", Value::U16(self.record_size)),
            ("ip_version", Value::U16(self.ip_version)),
            ("database_type", s(&self.database_type)),
            ("languages", Value::Array(vec![s("en")])),
            ("binary_format_major_version", Value::U16(2)),
            ("binary_format_minor_version", Value::U16(0)),
            ("build_epoch", Value::U64(1_781_740_800)),
            ("description", map(&[("en", s("ringfence test fixture"))])),
        ]);
        encode(&metadata, &mut out);
        out
    }
}

/// Control byte(s) for a field of `type_number` and `size`.
fn control(type_number: u8, size: usize, out: &mut Vec<u8>) {
    let (first_type, extended) = if type_number <= 7 {
        (type_number << 5, None)
    } else {
        (0, Some(type_number - 7))
    };
    let (size_bits, extra): (u8, Vec<u8>) = if size < 29 {
        (size as u8, vec![])
    } else if size < 29 + 256 {
        (29, vec![(size - 29) as u8])
    } else if size < 285 + 65_536 {
        (30, ((size - 285) as u16).to_be_bytes().to_vec())
    } else {
        (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec())
    };
    out.push(first_type | size_bits);
    if let Some(extended) = extended {
        out.push(extended);
    }
    out.extend_from_slice(&extra);
}

fn minimal_be(value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    bytes[skip..].to_vec()
}

fn encode(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Str(text) => {
            control(2, text.len(), out);
            out.extend_from_slice(text.as_bytes());
        }
        Value::Double(d) => {
            control(3, 8, out);
            out.extend_from_slice(&d.to_be_bytes());
        }
        Value::U16(n) => uint(5, u64::from(*n), out),
        Value::U32(n) => uint(6, u64::from(*n), out),
        Value::U64(n) => uint(9, *n, out),
        Value::Map(pairs) => {
            control(7, pairs.len(), out);
            for (key, value) in pairs {
                encode(&Value::Str(key.clone()), out);
                encode(value, out);
            }
        }
        Value::Array(items) => {
            control(11, items.len(), out);
            for item in items {
                encode(item, out);
            }
        }
        Value::Bool(b) => control(14, usize::from(*b), out),
    }
}

fn uint(type_number: u8, value: u64, out: &mut Vec<u8>) {
    let bytes = minimal_be(value);
    control(type_number, bytes.len(), out);
    out.extend_from_slice(&bytes);
}
