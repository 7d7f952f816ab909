//! A country or ASN database in the MaxMind DB format, read with the `maxminddb` crate.

use super::answer::{Answer, Network, RecordData};
use super::error::IntelError;
use super::merged::{MAX_RECORD_IDS, Ranges, Slot};
use super::record::{RawRecord, cap_organisation, normalise_country};
use super::tree::{Leaf, LeafKind, SearchTree, SharedBytes};
use maxminddb::Reader;
use ringfence_model::Basis;
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Decoded records kept per database: many addresses share a record (a country database has a
/// few hundred), so each is decoded once. Bounded so a hostile database cannot grow it without end.
const MAX_DECODED_RECORDS: usize = 1 << 16;
// Every pre-decoded record has an id a slot of the merged index can hold.
const _: () = assert!(MAX_DECODED_RECORDS <= MAX_RECORD_IDS);

type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

pub struct MmdbSource {
    reader: Reader<SharedBytes>,
    /// The search tree walked directly (the `maxminddb` reader only decodes records).
    tree: SearchTree,
    /// Which country field the source's basis calls for (see [`record_data`]).
    basis: Basis,
    /// Every distinct data record reachable in the tree (up to [`MAX_DECODED_RECORDS`]), decoded
    /// once at load: its id (index in `records`) by tree record. Read-only, so lookups take no
    /// lock.
    predecoded: FastMap<usize, u32>,
    records: Vec<RecordData>,
    /// True when every record the tree reaches is in `records` (so the tree can be flattened
    /// into the merged index).
    complete: bool,
    /// Records beyond the pre-decoded ones (only a database with more distinct records than the
    /// bound, such as a city database), decoded on first use.
    decoded: Mutex<FastMap<usize, RecordData>>,
    errors: AtomicU64,
}

impl MmdbSource {
    /// Opens an MMDB file already read into memory. A truncated or corrupt file is an error that
    /// names it; `verify` also walks the whole tree and data section (slower, but it turns a
    /// corrupt record into a load error instead of an empty answer later).
    pub fn from_bytes(
        path: &Path,
        bytes: Vec<u8>,
        basis: Basis,
        verify: bool,
    ) -> Result<MmdbSource, IntelError> {
        let mmdb_error = |reason: String| IntelError::Mmdb {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = SharedBytes(Arc::new(bytes));
        let reader = Reader::from_source(bytes.clone()).map_err(|e| mmdb_error(e.to_string()))?;
        if verify {
            // Every network's record is decoded once, so a corrupt tree or data section is a load
            // error naming the file. (Not `Reader::verify`: it also rejects metadata that real
            // databases ship, such as ip-location-db's empty `description` map.)
            let networks = reader
                .networks(maxminddb::WithinOptions::default())
                .map_err(|e| mmdb_error(e.to_string()))?;
            for network in networks {
                let result = network.map_err(|e| mmdb_error(e.to_string()))?;
                result
                    .decode::<RawRecord<'_>>()
                    .map_err(|e| mmdb_error(e.to_string()))?;
            }
        }
        let metadata = reader.metadata();
        let tree = SearchTree::new(
            bytes,
            metadata.record_size,
            metadata.node_count,
            metadata.ip_version,
        )
        .ok_or_else(|| mmdb_error("inconsistent search tree layout".into()))?;
        let (predecoded, records, complete) = predecode(&reader, &tree, basis);
        Ok(MmdbSource {
            reader,
            tree,
            basis,
            predecoded,
            records,
            complete,
            decoded: Mutex::new(FastMap::default()),
            errors: AtomicU64::new(0),
        })
    }

    /// The `database_type` from the file's metadata (e.g. `GeoLite2-ASN`).
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// The build time from the metadata, seconds since the Unix epoch.
    pub fn build_epoch(&self) -> u64 {
        self.reader.metadata().build_epoch
    }

    /// Lookups that failed on corrupt data (answered as "the source does not say").
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// The answer for `address` by a walk of the tree. A corrupt record yields an empty answer
    /// and is counted in [`errors`](Self::errors), never a panic.
    pub fn answer(&self, address: IpAddr) -> Answer<'_> {
        let (record, network) = match self.tree.lookup(address) {
            Leaf::Empty => return Answer::default(),
            Leaf::Data { record, network } => (record, network),
            Leaf::Invalid | Leaf::WrongFamily => return self.error(),
        };
        let network = Network {
            address: network.0,
            prefix: network.1,
        };
        if let Some(data) = self.record_of(record) {
            return Answer::of(data, network);
        }
        match self.decode_slow(address, record) {
            Ok(data) => Answer {
                country: data.country,
                asn: data.asn,
                organisation: data.organisation.map(|o| Cow::Owned(o.to_string())),
                network: Some(network),
            },
            Err(_) => self.error(),
        }
    }

    /// The pre-decoded record `id` (a [`Slot`] of the merged index names it).
    pub fn record(&self, id: u32) -> Option<&RecordData> {
        self.records.get(id as usize)
    }

    fn record_of(&self, record: usize) -> Option<&RecordData> {
        self.record(*self.predecoded.get(&record)?)
    }

    /// The tree's leaves for one family as ranges of the merged index, or `None` when some
    /// records were not decoded at load (a city database): the source then keeps its own lookup.
    /// Leaves the walk must answer (aliases, corrupt pointers, records that failed to decode)
    /// become [`Slot::WALK`] ranges, so a lookup through the index meets the same answer, error
    /// count included.
    pub fn ranges(&self, v6: bool) -> Option<Ranges<'_>> {
        if !self.complete {
            return None;
        }
        Some(Box::new(self.tree.leaves(v6).map(
            |(start, prefix, kind)| {
                let slot = match kind {
                    LeafKind::Empty => Slot::EMPTY,
                    LeafKind::Walk => Slot::WALK,
                    LeafKind::Data(record) => match self.predecoded.get(&record) {
                        Some(&id) => Slot::data(id as usize, prefix),
                        None => Slot::WALK,
                    },
                };
                (start, slot)
            },
        )))
    }

    fn error(&self) -> Answer<'static> {
        self.errors.fetch_add(1, Ordering::Relaxed);
        Answer::default()
    }

    /// A record not pre-decoded: decoded by the `maxminddb` crate and kept (bounded).
    fn decode_slow(
        &self,
        address: IpAddr,
        record: usize,
    ) -> Result<RecordData, maxminddb::MaxMindDbError> {
        if let Some(data) = self
            .decoded
            .lock()
            .ok()
            .and_then(|cache| cache.get(&record).cloned())
        {
            return Ok(data);
        }
        let data = match self.reader.lookup(address)?.decode::<RawRecord<'_>>()? {
            Some(raw) => record_data(&raw, self.basis),
            None => RecordData::default(),
        };
        if let Ok(mut cache) = self.decoded.lock()
            && cache.len() < MAX_DECODED_RECORDS
        {
            cache.insert(record, data.clone());
        }
        Ok(data)
    }
}

/// Decodes each distinct data record of the tree once, through the `maxminddb` crate, looking up
/// an address that reaches it: the ids of the records by tree record, the records, and whether
/// the tree holds no more than were decoded. A record that fails to decode is left out: its
/// lookups take the slow path, which meets the same error and counts it.
fn predecode(
    reader: &Reader<SharedBytes>,
    tree: &SearchTree,
    basis: Basis,
) -> (FastMap<usize, u32>, Vec<RecordData>, bool) {
    let mut ids = FastMap::default();
    let mut records = Vec::new();
    let found = tree.data_records(MAX_DECODED_RECORDS);
    let complete = found.len() < MAX_DECODED_RECORDS;
    for (record, address) in found {
        let Ok(result) = reader.lookup(address) else {
            continue;
        };
        // The offset the crate resolves must be the record the walk found.
        let expected = record
            .checked_sub(tree.node_count())
            .and_then(|r| r.checked_sub(16));
        if result.offset().is_none() || result.offset() != expected {
            continue;
        }
        if let Ok(decoded) = result.decode::<RawRecord<'_>>()
            && let Ok(id) = u32::try_from(records.len())
        {
            records.push(decoded.map_or_else(RecordData::default, |raw| record_data(&raw, basis)));
            ids.insert(record, id);
        }
    }
    (ids, records, complete)
}

/// The answer fields of a record. A registry-country source prefers `registered_country` (where
/// the block is registered); every other basis reads `country`, then `country_code`, taking the
/// first that holds an ISO code (IPinfo lite puts the country's name in `country` and the code in
/// `country_code`). No field of another meaning stands in: a geolocation source without a
/// country says nothing rather than its registered country.
fn record_data(record: &RawRecord<'_>, basis: Basis) -> RecordData {
    let registered = match basis {
        Basis::RegistryCountry => record.registered_country,
        _ => None,
    };
    RecordData {
        country: [registered, record.country, record.country_code]
            .into_iter()
            .flatten()
            .find_map(normalise_country),
        asn: record.asn.filter(|&asn| asn != 0),
        organisation: record
            .organisation
            .map(cap_organisation)
            .filter(|o| !o.is_empty())
            .map(Arc::from),
    }
}
