//! ASN tables in the ip-location-db CSV layout: `start,end,asn,organisation` per line, addresses
//! dotted (IPv4) or colon (IPv6) form, both families in any file. Held as two sorted range
//! vectors and searched by bisection.
//!
//! Why the CSV and not an MMDB: `@ip-location-db/asn` ships only CSV files (`asn-ipv4.csv`,
//! `asn-ipv6.csv` and their `-num` twins), and it is the one package that carries the
//! organisation names the catalog matches operators by.

use super::answer::{Answer, Network, RecordData, enclosing_prefix};
use super::error::IntelError;
use super::record::cap_organisation;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::Arc;

#[derive(Clone, Copy, Debug)]
struct Range<T> {
    start: T,
    end: T,
    asn: u32,
    /// Index into `organisations`, or `u32::MAX` for none.
    organisation: u32,
}

const NO_ORGANISATION: u32 = u32::MAX;

/// Bound on distinct organisation names, so a hostile table cannot exhaust memory by names alone
/// (the real table has about 80 000).
const MAX_ORGANISATIONS: usize = 4 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct AsnTable {
    v4: Vec<Range<u32>>,
    v6: Vec<Range<u128>>,
    organisations: Vec<Arc<str>>,
}

/// Builds a table from one or more CSV texts, interning organisation names.
#[derive(Default)]
pub struct AsnTableBuilder {
    table: AsnTable,
    interned: HashMap<Arc<str>, u32>,
}

impl AsnTableBuilder {
    /// Adds every line of `bytes` (the contents of `path`, named in errors).
    pub fn add_csv(&mut self, path: &Path, bytes: &[u8]) -> Result<(), IntelError> {
        let csv_error = |line: u64, reason: String| IntelError::Csv { path: path.to_path_buf(), line, reason };
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut record = csv::ByteRecord::new();
        loop {
            let line = reader.position().line();
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(csv_error(line, e.to_string())),
            }
            let field = |i: usize| record.get(i).and_then(|f| std::str::from_utf8(f).ok()).map(str::trim);
            let (Some(start), Some(end), Some(asn)) = (field(0), field(1), field(2)) else {
                return Err(csv_error(line, "expected start,end,asn,organisation".to_string()));
            };
            let asn: u32 = asn.parse().map_err(|_| csv_error(line, format!("bad AS number {asn:?}")))?;
            let organisation = match field(3).map(cap_organisation).filter(|o| !o.is_empty()) {
                Some(name) => self.intern(name).ok_or_else(|| csv_error(line, "too many organisation names".into()))?,
                None => NO_ORGANISATION,
            };
            let start: IpAddr = start.parse().map_err(|_| csv_error(line, format!("bad address {start:?}")))?;
            let end: IpAddr = end.parse().map_err(|_| csv_error(line, format!("bad address {end:?}")))?;
            match (start, end) {
                (IpAddr::V4(s), IpAddr::V4(e)) if s <= e => {
                    self.table.v4.push(Range { start: u32::from(s), end: u32::from(e), asn, organisation })
                }
                (IpAddr::V6(s), IpAddr::V6(e)) if s <= e => {
                    self.table.v6.push(Range { start: u128::from(s), end: u128::from(e), asn, organisation })
                }
                _ => return Err(csv_error(line, format!("{start} - {end} is not a range of one address family"))),
            }
        }
        Ok(())
    }

    fn intern(&mut self, name: &str) -> Option<u32> {
        if let Some(&index) = self.interned.get(name) {
            return Some(index);
        }
        if self.table.organisations.len() >= MAX_ORGANISATIONS {
            return None;
        }
        let index = u32::try_from(self.table.organisations.len()).ok()?;
        let name: Arc<str> = Arc::from(name);
        self.table.organisations.push(name.clone());
        self.interned.insert(name, index);
        Some(index)
    }

    /// Sorts the ranges and refuses overlapping ones (bisection needs disjoint ranges; an overlap
    /// would make one answer silently hide another).
    pub fn finish(mut self, path: &Path) -> Result<AsnTable, IntelError> {
        self.table.v4.sort_unstable_by_key(|r| r.start);
        self.table.v6.sort_unstable_by_key(|r| r.start);
        let overlap = |a: String, b: String| IntelError::Csv {
            path: path.to_path_buf(),
            line: 0,
            reason: format!("ranges starting at {a} and {b} overlap"),
        };
        if let Some(w) = self.table.v4.windows(2).find(|w| w[0].end >= w[1].start) {
            return Err(overlap(Ipv4Addr::from(w[0].start).to_string(), Ipv4Addr::from(w[1].start).to_string()));
        }
        if let Some(w) = self.table.v6.windows(2).find(|w| w[0].end >= w[1].start) {
            return Err(overlap(Ipv6Addr::from(w[0].start).to_string(), Ipv6Addr::from(w[1].start).to_string()));
        }
        self.table.v4.shrink_to_fit();
        self.table.v6.shrink_to_fit();
        Ok(self.table)
    }
}

impl AsnTable {
    /// Number of IPv4 and IPv6 ranges.
    #[cfg(test)]
    fn len(&self) -> (usize, usize) {
        (self.v4.len(), self.v6.len())
    }

    pub fn answer(&self, address: IpAddr) -> Answer {
        match address {
            IpAddr::V4(v4) => {
                let addr = u32::from(v4);
                match find(&self.v4, addr) {
                    Some(range) => {
                        let (start, prefix) =
                            enclosing_prefix(u128::from(addr), u128::from(range.start), u128::from(range.end), 32);
                        let network_address = IpAddr::V4(Ipv4Addr::from(u32::try_from(start).unwrap_or(addr)));
                        self.answer_for(range.asn, range.organisation, Network { address: network_address, prefix })
                    }
                    None => Answer::default(),
                }
            }
            IpAddr::V6(v6) => {
                let addr = u128::from(v6);
                match find(&self.v6, addr) {
                    Some(range) => {
                        let (start, prefix) = enclosing_prefix(addr, range.start, range.end, 128);
                        let network = Network { address: IpAddr::V6(Ipv6Addr::from(start)), prefix };
                        self.answer_for(range.asn, range.organisation, network)
                    }
                    None => Answer::default(),
                }
            }
        }
    }

    fn answer_for(&self, asn: u32, organisation: u32, network: Network) -> Answer {
        Answer {
            data: RecordData {
                country: None,
                asn: Some(asn).filter(|&a| a != 0),
                organisation: self.organisations.get(organisation as usize).cloned(),
            },
            network: Some(network),
        }
    }
}

/// The range holding `addr`: the last one starting at or before it, if it reaches that far.
fn find<T: Copy + Ord>(ranges: &[Range<T>], addr: T) -> Option<&Range<T>> {
    let after = ranges.partition_point(|r| r.start <= addr);
    let range = ranges.get(after.checked_sub(1)?)?;
    (addr <= range.end).then_some(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Result<AsnTable, IntelError> {
        let mut builder = AsnTableBuilder::default();
        builder.add_csv(Path::new("t.csv"), text.as_bytes())?;
        builder.finish(Path::new("t.csv"))
    }

    #[test]
    fn finds_ranges_of_both_families() {
        let t = table(
            "77.74.184.0,77.74.191.255,42988,OOO Teleport-Service Regions\n\
             77.74.176.0,77.74.183.255,200107,Kaspersky Lab Switzerland GmbH\n\
             2001:200::,2001:200:1b9:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project\n\
             1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n",
        )
        .unwrap();
        assert_eq!(t.len(), (3, 1));
        let a = t.answer("77.74.181.1".parse().unwrap());
        assert_eq!(a.data.asn, Some(200107));
        assert_eq!(a.data.organisation.as_deref(), Some("Kaspersky Lab Switzerland GmbH"));
        assert_eq!(a.network.unwrap().to_string(), "77.74.176.0/21");
        assert_eq!(t.answer("1.0.0.9".parse().unwrap()).data.organisation.as_deref(), Some("Cloudflare, Inc."));
        assert_eq!(t.answer("1.0.1.0".parse().unwrap()), Answer::default());
        assert_eq!(t.answer("0.0.0.1".parse().unwrap()), Answer::default());
        let v6 = t.answer("2001:200::1".parse().unwrap());
        assert_eq!(v6.data.asn, Some(2500));
        assert_eq!(v6.network.unwrap().to_string(), "2001:200::/40");
        assert_eq!(t.answer("2001:200:1ba::".parse().unwrap()), Answer::default());
    }

    #[test]
    fn bad_lines_are_errors_naming_file_and_line() {
        let err = table("1.0.0.0,1.0.0.255,1,a\n1.0.1.0,zzz,2,b\n").unwrap_err();
        assert_eq!(err.to_string(), "t.csv:2: bad address \"zzz\"");
        let err = table("1.0.0.0,::1,1,a\n").unwrap_err();
        assert!(err.to_string().contains("t.csv:1:"), "{err}");
        let err = table("1.0.0.9,1.0.0.0,1,a\n").unwrap_err();
        assert!(err.to_string().contains("not a range"), "{err}");
        let err = table("1.0.0.0,1.0.0.255\n").unwrap_err();
        assert!(err.to_string().contains("expected start,end,asn"), "{err}");
        let err = table("1.0.0.0,1.0.0.255,1,a\n1.0.0.128,1.0.1.0,2,b\n").unwrap_err();
        assert!(err.to_string().contains("overlap"), "{err}");
        let err = table("1.0.0.0,1.0.0.255,99999999999,a\n").unwrap_err();
        assert!(err.to_string().contains("bad AS number"), "{err}");
    }
}
