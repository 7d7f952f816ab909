//! DNS messages (RFC 1035) as a stub resolver and a recursive resolver exchange them: a query with
//! an EDNS(0) OPT record, and an answer with the CNAME chain a CDN uses followed by the addresses.

use std::net::IpAddr;

pub(crate) const TYPE_A: u16 = 1;
pub(crate) const TYPE_CNAME: u16 = 5;
pub(crate) const TYPE_AAAA: u16 = 28;
const TYPE_OPT: u16 = 41;
const CLASS_IN: u16 = 1;

fn put_name(out: &mut Vec<u8>, name: &str) {
    for label in name.trim_end_matches('.').split('.') {
        let bytes = label.as_bytes();
        let n = bytes.len().min(63);
        out.push(n as u8);
        out.extend_from_slice(bytes.get(..n).unwrap_or_default());
    }
    out.push(0);
}

fn put_opt(out: &mut Vec<u8>) {
    out.push(0); // root
    out.extend_from_slice(&TYPE_OPT.to_be_bytes());
    out.extend_from_slice(&1232u16.to_be_bytes()); // UDP payload size (DNS flag day 2020)
    out.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // extended rcode, version, flags, rdlen
}

fn header(out: &mut Vec<u8>, id: u16, flags: u16, answers: u16) {
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes()); // questions
    out.extend_from_slice(&answers.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes()); // authority
    out.extend_from_slice(&1u16.to_be_bytes()); // additional: OPT
}

/// A recursive query for `name`.
pub(crate) fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    header(&mut out, id, 0x0100, 0);
    put_name(&mut out, name);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    put_opt(&mut out);
    out
}

/// The resolver's answer: `cnames` in order (the first is the target of `name`, each next one the
/// target of the one before), then the addresses of the last name that match `qtype`. Owner names
/// are compressed with pointers, as every resolver does.
pub(crate) fn response(
    id: u16,
    name: &str,
    qtype: u16,
    cnames: &[&str],
    addrs: &[IpAddr],
    ttl: u32,
) -> Vec<u8> {
    let wanted: Vec<&IpAddr> = addrs
        .iter()
        .filter(|a| {
            matches!(
                (qtype, a),
                (TYPE_A, IpAddr::V4(_)) | (TYPE_AAAA, IpAddr::V6(_))
            )
        })
        .collect();
    let count = (cnames.len() + wanted.len()) as u16;
    let mut out = Vec::with_capacity(128);
    header(&mut out, id, 0x8180, count);
    let mut owner_at = out.len() as u16; // the question name
    put_name(&mut out, name);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    for target in cnames {
        out.extend_from_slice(&(0xc000 | owner_at).to_be_bytes());
        out.extend_from_slice(&TYPE_CNAME.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&ttl.min(3600).to_be_bytes());
        let rdlen_at = out.len();
        out.extend_from_slice(&[0, 0]);
        owner_at = out.len() as u16;
        put_name(&mut out, target);
        let rdlen = (out.len() - rdlen_at - 2) as u16;
        if let Some(slot) = out.get_mut(rdlen_at..rdlen_at + 2) {
            slot.copy_from_slice(&rdlen.to_be_bytes());
        }
    }
    for addr in wanted {
        out.extend_from_slice(&(0xc000 | owner_at).to_be_bytes());
        let (t, data): (u16, Vec<u8>) = match addr {
            IpAddr::V4(v4) => (TYPE_A, v4.octets().to_vec()),
            IpAddr::V6(v6) => (TYPE_AAAA, v6.octets().to_vec()),
        };
        out.extend_from_slice(&t.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&ttl.to_be_bytes());
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(&data);
    }
    put_opt(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn query_has_name_and_opt() {
        let q = query(0x1234, "dnl-01.geo.kaspersky.com", TYPE_A);
        assert_eq!(&q[0..2], &[0x12, 0x34]);
        assert_eq!(&q[12..19], b"\x06dnl-01");
        assert_eq!(q.len(), 12 + 26 + 4 + 11);
    }

    #[test]
    fn response_chains_cnames_and_filters_by_type() {
        let addrs = [
            IpAddr::V4(Ipv4Addr::new(151, 101, 0, 144)),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ];
        let r = response(
            7,
            "www.gov.uk",
            TYPE_A,
            &["www-gov-uk.map.fastly.net"],
            &addrs,
            300,
        );
        assert_eq!(u16::from_be_bytes([r[6], r[7]]), 2, "one CNAME and one A");
        // The CNAME's owner points at the question name (offset 12).
        let q_end = 12 + 12 + 4;
        assert_eq!(&r[q_end..q_end + 2], &[0xc0, 12]);
        // The A record's owner points at the CNAME target.
        let a = r.len() - 11 - 16;
        let target_at = u16::from_be_bytes([r[a], r[a + 1]]) & 0x3fff;
        assert_eq!(r[usize::from(target_at)], 10);
        assert_eq!(&r[r.len() - 11 - 4..r.len() - 11], &[151, 101, 0, 144]);
    }
}
