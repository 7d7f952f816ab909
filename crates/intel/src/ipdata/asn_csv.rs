//! ASN tables in the ip-location-db CSV layout: `start,end,asn,organisation` per line, addresses
//! dotted (IPv4) or colon (IPv6) form, both families in any file. Held as two sorted range
//! vectors (searched by bisection when the table is not in the merged index) over a table of
//! distinct (AS number, organisation) records.
//!
//! Why the CSV and not an MMDB: `@ip-location-db/asn` ships only CSV files (`asn-ipv4.csv`,
//! `asn-ipv6.csv` and their `-num` twins), and it is the one package that carries the
//! organisation names the catalog matches operators by.

use super::answer::{Answer, Network, RecordData, enclosing_prefix};
use super::error::IntelError;
use super::merged::{MAX_RECORD_IDS, Ranges, Slot};
use super::record::cap_organisation;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

#[derive(Clone, Copy, Debug)]
struct Range<T> {
    start: T,
    end: T,
    /// Index into `records`.
    record: u32,
}

/// Bound on distinct (AS number, organisation) records, so a hostile table cannot exhaust memory
/// by names alone (the real table has about 80 000). Every record has an id a slot of the merged
/// index can hold.
const MAX_RECORDS: usize = 4 * 1024 * 1024;
const _: () = assert!(MAX_RECORDS <= MAX_RECORD_IDS);

#[derive(Debug, Default)]
pub struct AsnTable {
    v4: Vec<Range<u32>>,
    v6: Vec<Range<u128>>,
    /// Distinct (AS number, organisation) pairs.
    records: Vec<RecordData>,
}

/// Builds a table from one or more CSV texts, interning organisation names and records.
#[derive(Default)]
pub struct AsnTableBuilder {
    table: AsnTable,
    organisations: HashSet<Arc<str>, foldhash::fast::RandomState>,
    records: HashMap<(u32, Option<Arc<str>>), u32, foldhash::fast::RandomState>,
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
            let organisation = field(3).map(cap_organisation).filter(|o| !o.is_empty());
            let record = self
                .intern(asn, organisation)
                .ok_or_else(|| csv_error(line, "too many distinct organisations".into()))?;
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
                    record,
                }),
                (IpAddr::V6(s), IpAddr::V6(e)) if s <= e => self.table.v6.push(Range {
                    start: u128::from(s),
                    end: u128::from(e),
                    record,
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

    /// The id of the record (`asn`, `organisation`), names and records shared between lines.
    fn intern(&mut self, asn: u32, organisation: Option<&str>) -> Option<u32> {
        let organisation: Option<Arc<str>> = match organisation {
            Some(name) => Some(match self.organisations.get(name) {
                Some(shared) => shared.clone(),
                None => {
                    let shared: Arc<str> = Arc::from(name);
                    self.organisations.insert(shared.clone());
                    shared
                }
            }),
            None => None,
        };
        let key = (asn, organisation);
        if let Some(&id) = self.records.get(&key) {
            return Some(id);
        }
        if self.table.records.len() >= MAX_RECORDS {
            return None;
        }
        let id = u32::try_from(self.table.records.len()).ok()?;
        self.table.records.push(RecordData {
            country: None,
            asn: Some(key.0).filter(|&a| a != 0),
            organisation: key.1.clone(),
        });
        self.records.insert(key, id);
        Some(id)
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
                record: r.record,
            })
            .collect();
        self.table.v4 = disjoint(v4)
            .into_iter()
            .filter_map(|r| {
                Some(Range {
                    start: u32::try_from(r.start).ok()?,
                    end: u32::try_from(r.end).ok()?,
                    record: r.record,
                })
            })
            .collect();
        self.table.v6 = disjoint(std::mem::take(&mut self.table.v6));
        self.table.v4.shrink_to_fit();
        self.table.v6.shrink_to_fit();
        self.table.records.shrink_to_fit();
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
            .then(a.record.cmp(&b.record))
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
                if last.record == winner.record && last.end.checked_add(1) == Some(boundary) =>
            {
                last.end = segment_end
            }
            _ => out.push(Range {
                start: boundary,
                end: segment_end,
                record: winner.record,
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

    /// The answer for `address` by bisection (the network: the largest prefix around it inside
    /// its range).
    pub fn answer(&self, address: IpAddr) -> Answer<'_> {
        let (range, network) = match address {
            IpAddr::V4(v4) => {
                let addr = u32::from(v4);
                let Some(range) = find(&self.v4, addr) else {
                    return Answer::default();
                };
                let (start, end) = (u128::from(range.start), u128::from(range.end));
                let (_, prefix) = enclosing_prefix(u128::from(addr), start, end, 32);
                (range.record, Network::around(address, prefix))
            }
            IpAddr::V6(v6) => {
                let Some(range) = find(&self.v6, u128::from(v6)) else {
                    return Answer::default();
                };
                let (_, prefix) = enclosing_prefix(u128::from(v6), range.start, range.end, 128);
                (range.record, Network::around(address, prefix))
            }
        };
        match self.record(range) {
            Some(data) => Answer::of(data, network),
            None => Answer::default(),
        }
    }

    /// Record `id` (a [`Slot`] of the merged index names it).
    pub fn record(&self, id: u32) -> Option<&RecordData> {
        self.records.get(id as usize)
    }

    /// The table's ranges for one family in the merged index: each range cut into its CIDR
    /// blocks (the network an answer names is the block holding the address), gaps empty.
    pub fn ranges(&self, v6: bool) -> Ranges<'_> {
        if v6 {
            let ranges = self.v6.iter().map(|r| (r.start, r.end, r.record));
            Box::new(blocks(ranges, 128))
        } else {
            let ranges =
                (self.v4.iter()).map(|r| (u128::from(r.start), u128::from(r.end), r.record));
            Box::new(blocks(ranges, 32))
        }
    }
}

/// Sorted, disjoint `(start, end, record)` ranges of a `bits`-bit space as merged-index ranges:
/// an empty range for each gap, and each range cut into its CIDR blocks from the lowest, each
/// the largest aligned block that starts there and stays inside the range — the block
/// [`enclosing_prefix`] finds for every address in it.
struct Blocks<I> {
    ranges: I,
    bits: u32,
    /// The first address not covered yet (`None`: the space is covered to its end).
    free: Option<u128>,
    /// The rest of the range being cut: (next block start, range end, record).
    cutting: Option<(u128, u128, u32)>,
}

fn blocks<I: Iterator<Item = (u128, u128, u32)>>(ranges: I, bits: u32) -> Blocks<I> {
    Blocks {
        ranges,
        bits,
        free: Some(0),
        cutting: None,
    }
}

impl<I: Iterator<Item = (u128, u128, u32)>> Iterator for Blocks<I> {
    type Item = (u128, Slot);

    fn next(&mut self) -> Option<(u128, Slot)> {
        loop {
            if let Some((at, end, record)) = self.cutting {
                let length_bits = (end - at)
                    .checked_add(1)
                    .map_or(128, |n| 127 - n.leading_zeros());
                let host = at.trailing_zeros().min(length_bits).min(self.bits);
                let last = at | u128::MAX.checked_shr(128 - host).unwrap_or(0);
                self.cutting = (last < end).then(|| (last + 1, end, record));
                let prefix = u8::try_from(self.bits - host).unwrap_or(0);
                return Some((at, Slot::data(record as usize, prefix)));
            }
            let Some((start, end, record)) = self.ranges.next() else {
                return self.free.take().map(|free| (free, Slot::EMPTY));
            };
            let space_end = u128::MAX.checked_shr(128 - self.bits).unwrap_or(0);
            let gap = self.free.filter(|&free| free < start);
            self.free = end.checked_add(1).filter(|&n| n <= space_end);
            self.cutting = Some((start, end, record));
            if let Some(free) = gap {
                return Some((free, Slot::EMPTY));
            }
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
        assert_eq!(a.asn, Some(200107));
        assert_eq!(
            a.organisation.as_deref(),
            Some("Kaspersky Lab Switzerland GmbH")
        );
        assert_eq!(a.network.unwrap().to_string(), "77.74.176.0/21");
        assert_eq!(
            t.answer("1.0.0.9".parse().unwrap()).organisation.as_deref(),
            Some("Cloudflare, Inc.")
        );
        assert_eq!(t.answer("1.0.1.0".parse().unwrap()), Answer::default());
        assert_eq!(t.answer("0.0.0.1".parse().unwrap()), Answer::default());
        let v6 = t.answer("2001:200::1".parse().unwrap());
        assert_eq!(v6.asn, Some(2500));
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
        let asn = |a: &str| t.answer(a.parse().unwrap()).asn;
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

    /// Every address of a range lies in a block whose prefix is the enclosing prefix the
    /// bisection path finds; gaps are empty; the blocks cover the space in order.
    #[test]
    fn blocks_are_the_enclosing_prefixes() {
        let ranges = [
            (0u128, 0u128, 1u32),
            (5, 17, 2),
            (18, 18, 3),
            (0x0A00_0000, 0x0AFF_FFFF, 4),
            (0x8000_0001, 0xFFFF_FFFF, 5),
        ];
        let pieces: Vec<(u128, Slot)> = blocks(ranges.iter().copied(), 32).collect();
        assert_eq!(pieces.first(), Some(&(0, Slot::data(1, 32))));
        assert!(pieces.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(pieces.iter().filter(|(s, _)| *s == 0x0A00_0000).count(), 1);
        for &(start, end, record) in &ranges {
            for addr in [
                start,
                start + 1,
                (start + end) / 2,
                end.saturating_sub(1),
                end,
            ] {
                let addr = addr.clamp(start, end);
                let holding = pieces.partition_point(|(s, _)| *s <= addr) - 1;
                let (_, prefix) = enclosing_prefix(addr, start, end, 32);
                assert_eq!(
                    pieces[holding].1,
                    Slot::data(record as usize, prefix),
                    "{addr:#x}"
                );
            }
        }
        let at = |addr: u128| pieces[pieces.partition_point(|(s, _)| *s <= addr) - 1].1;
        assert_eq!(at(1), Slot::EMPTY);
        assert_eq!(at(19), Slot::EMPTY);
        assert_eq!(at(0x8000_0000), Slot::EMPTY);
        // One range over the whole IPv6 space is one block of prefix 0, with no gap after it.
        let whole: Vec<_> = blocks([(0, u128::MAX, 9)].into_iter(), 128).collect();
        assert_eq!(whole, [(0, Slot::data(9, 0))]);
        let none: Vec<_> = blocks(std::iter::empty(), 128).collect();
        assert_eq!(none, [(0, Slot::EMPTY)]);
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
