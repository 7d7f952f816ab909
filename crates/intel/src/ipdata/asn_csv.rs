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
        let csv_error = |line: u64, reason: String| IntelError::Csv {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut record = csv::ByteRecord::new();
        loop {
            let line = reader.position().line();
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(csv_error(line, e.to_string())),
            }
            let field = |i: usize| {
                record
                    .get(i)
                    .and_then(|f| std::str::from_utf8(f).ok())
                    .map(str::trim)
            };
            let (Some(start), Some(end), Some(asn)) = (field(0), field(1), field(2)) else {
                return Err(csv_error(
                    line,
                    "expected start,end,asn,organisation".to_string(),
                ));
            };
            let asn: u32 = asn
                .parse()
                .map_err(|_| csv_error(line, format!("bad AS number {asn:?}")))?;
            let organisation = match field(3).map(cap_organisation).filter(|o| !o.is_empty()) {
                Some(name) => self
                    .intern(name)
                    .ok_or_else(|| csv_error(line, "too many organisation names".into()))?,
                None => NO_ORGANISATION,
            };
            let start: IpAddr = start
                .parse()
                .map_err(|_| csv_error(line, format!("bad address {start:?}")))?;
            let end: IpAddr = end
                .parse()
                .map_err(|_| csv_error(line, format!("bad address {end:?}")))?;
            match (start, end) {
                (IpAddr::V4(s), IpAddr::V4(e)) if s <= e => self.table.v4.push(Range {
                    start: u32::from(s),
                    end: u32::from(e),
                    asn,
                    organisation,
                }),
                (IpAddr::V6(s), IpAddr::V6(e)) if s <= e => self.table.v6.push(Range {
                    start: u128::from(s),
                    end: u128::from(e),
                    asn,
                    organisation,
                }),
                _ => {
                    return Err(csv_error(
                        line,
                        format!("{start} - {end} is not a range of one address family"),
                    ));
                }
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

    /// Sorts the ranges and makes them disjoint. Real tables overlap (the published
    /// `@ip-location-db/asn` has ranges such as 214.95.0.0-215.0.255.255 and 215.0.0.0-…): where
    /// ranges overlap, the one starting later — the more specific allocation inside a broader
    /// one — answers for the shared span, and the broader one keeps the rest. Deterministic
    /// whatever the line order.
    pub fn finish(mut self) -> AsnTable {
        let v4: Vec<Range<u128>> = self
            .table
            .v4
            .iter()
            .map(|r| Range {
                start: u128::from(r.start),
                end: u128::from(r.end),
                asn: r.asn,
                organisation: r.organisation,
            })
            .collect();
        self.table.v4 = disjoint(v4)
            .into_iter()
            .filter_map(|r| {
                Some(Range {
                    start: u32::try_from(r.start).ok()?,
                    end: u32::try_from(r.end).ok()?,
                    asn: r.asn,
                    organisation: r.organisation,
                })
            })
            .collect();
        self.table.v6 = disjoint(std::mem::take(&mut self.table.v6));
        self.table.v4.shrink_to_fit();
        self.table.v6.shrink_to_fit();
        self.table
    }
}

/// Disjoint, sorted ranges from possibly overlapping ones (a sweep over every range boundary,
/// keeping the covering range with the latest start).
fn disjoint(mut ranges: Vec<Range<u128>>) -> Vec<Range<u128>> {
    // Ties broken by the narrower range first, so the result does not depend on input order.
    ranges.sort_unstable_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(a.end.cmp(&b.end))
            .then(a.asn.cmp(&b.asn))
    });
    if ranges.windows(2).all(|w| w[0].end < w[1].start) {
        return ranges;
    }
    let mut boundaries: Vec<u128> = ranges
        .iter()
        .flat_map(|r| [Some(r.start), r.end.checked_add(1)])
        .flatten()
        .collect();
    boundaries.sort_unstable();
    boundaries.dedup();
    let mut out: Vec<Range<u128>> = Vec::with_capacity(ranges.len());
    // Active ranges by (start, index): the top is the latest-starting range begun so far.
    let mut active: std::collections::BinaryHeap<(u128, std::cmp::Reverse<usize>)> =
        std::collections::BinaryHeap::new();
    let mut next = 0usize;
    for (i, &boundary) in boundaries.iter().enumerate() {
        while let Some(range) = ranges.get(next).filter(|r| r.start <= boundary) {
            active.push((range.start, std::cmp::Reverse(next)));
            next += 1;
        }
        while let Some(&(_, std::cmp::Reverse(index))) = active.peek() {
            if ranges.get(index).is_some_and(|r| r.end < boundary) {
                active.pop();
            } else {
                break;
            }
        }
        let Some(&(_, std::cmp::Reverse(index))) = active.peek() else {
            continue;
        };
        let Some(winner) = ranges.get(index) else {
            continue;
        };
        let segment_end = boundaries
            .get(i + 1)
            .map_or(u128::MAX, |b| b - 1)
            .min(winner.end);
        match out.last_mut() {
            Some(last)
                if last.asn == winner.asn
                    && last.organisation == winner.organisation
                    && last.end.checked_add(1) == Some(boundary) =>
            {
                last.end = segment_end
            }
            _ => out.push(Range {
                start: boundary,
                end: segment_end,
                asn: winner.asn,
                organisation: winner.organisation,
            }),
        }
    }
    out
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
                        let (start, prefix) = enclosing_prefix(
                            u128::from(addr),
                            u128::from(range.start),
                            u128::from(range.end),
                            32,
                        );
                        let network_address =
                            IpAddr::V4(Ipv4Addr::from(u32::try_from(start).unwrap_or(addr)));
                        self.answer_for(
                            range.asn,
                            range.organisation,
                            Network {
                                address: network_address,
                                prefix,
                            },
                        )
                    }
                    None => Answer::default(),
                }
            }
            IpAddr::V6(v6) => {
                let addr = u128::from(v6);
                match find(&self.v6, addr) {
                    Some(range) => {
                        let (start, prefix) = enclosing_prefix(addr, range.start, range.end, 128);
                        let network = Network {
                            address: IpAddr::V6(Ipv6Addr::from(start)),
                            prefix,
                        };
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
        Ok(builder.finish())
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
        assert_eq!(
            a.data.organisation.as_deref(),
            Some("Kaspersky Lab Switzerland GmbH")
        );
        assert_eq!(a.network.unwrap().to_string(), "77.74.176.0/21");
        assert_eq!(
            t.answer("1.0.0.9".parse().unwrap())
                .data
                .organisation
                .as_deref(),
            Some("Cloudflare, Inc.")
        );
        assert_eq!(t.answer("1.0.1.0".parse().unwrap()), Answer::default());
        assert_eq!(t.answer("0.0.0.1".parse().unwrap()), Answer::default());
        let v6 = t.answer("2001:200::1".parse().unwrap());
        assert_eq!(v6.data.asn, Some(2500));
        assert_eq!(v6.network.unwrap().to_string(), "2001:200::/40");
        assert_eq!(
            t.answer("2001:200:1ba::".parse().unwrap()),
            Answer::default()
        );
    }

    #[test]
    fn overlapping_ranges_resolve_to_the_later_start() {
        let t = table(
            "214.95.0.0,215.0.255.255,749,DoD\n\
             215.0.0.0,215.1.3.255,721,DoD NIC\n\
             10.0.0.0,10.255.255.255,1,outer\n\
             10.1.0.0,10.1.255.255,2,inner\n\
             10.1.2.0,10.1.2.255,3,innermost\n",
        )
        .unwrap();
        let asn = |a: &str| t.answer(a.parse().unwrap()).data.asn;
        assert_eq!(asn("214.255.255.255"), Some(749));
        assert_eq!(asn("215.0.0.1"), Some(721));
        assert_eq!(asn("215.1.3.255"), Some(721));
        assert_eq!(asn("215.1.4.0"), None);
        assert_eq!(asn("10.0.0.1"), Some(1));
        assert_eq!(asn("10.1.0.1"), Some(2));
        assert_eq!(asn("10.1.2.1"), Some(3));
        assert_eq!(asn("10.1.3.1"), Some(2));
        assert_eq!(asn("10.2.0.0"), Some(1));
        assert_eq!(asn("10.255.255.255"), Some(1));
        // The network reported is the one the answer holds for, after resolution.
        assert_eq!(
            t.answer("10.1.3.1".parse().unwrap())
                .network
                .unwrap()
                .to_string(),
            "10.1.3.0/24"
        );
        assert_eq!(t.len(), (7, 0));
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
        let err = table("1.0.0.0,1.0.0.255,99999999999,a\n").unwrap_err();
        assert!(err.to_string().contains("bad AS number"), "{err}");
    }
}
