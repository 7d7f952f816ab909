//! A country or ASN database in the MaxMind DB format, read with the `maxminddb` crate.

use super::answer::{Answer, Network, RecordData};
use super::error::IntelError;
use super::record::{RawRecord, cap_organisation, normalise_country};
use maxminddb::Reader;
use ringfence_model::Basis;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Decoded records kept per database: many addresses share a record (a country database has a
/// few hundred), so each is decoded once. Bounded so a hostile database cannot grow it without end.
const MAX_DECODED_RECORDS: usize = 1 << 16;

pub struct MmdbSource {
    reader: Reader<Vec<u8>>,
    /// Which country field the source's basis calls for (see [`pick_country`]).
    basis: Basis,
    decoded: Mutex<HashMap<usize, RecordData>>,
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
        let reader = Reader::from_source(bytes).map_err(|e| mmdb_error(e.to_string()))?;
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
        Ok(MmdbSource {
            reader,
            basis,
            decoded: Mutex::new(HashMap::new()),
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

    /// The answer for `address`. A corrupt record yields an empty answer and is counted in
    /// [`errors`](Self::errors), never a panic.
    pub fn answer(&self, address: IpAddr) -> Answer {
        match self.try_answer(address) {
            Ok(answer) => answer,
            Err(_) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                Answer::default()
            }
        }
    }

    /// The answer for `address`, or the decoding error.
    pub fn try_answer(&self, address: IpAddr) -> Result<Answer, maxminddb::MaxMindDbError> {
        let result = self.reader.lookup(address)?;
        let Some(offset) = result.offset() else {
            return Ok(Answer::default());
        };
        let network = result.network().ok().map(|n| Network {
            address: n.network(),
            prefix: n.prefix(),
        });
        if let Some(data) = self
            .decoded
            .lock()
            .ok()
            .and_then(|cache| cache.get(&offset).cloned())
        {
            return Ok(Answer { data, network });
        }
        let data = match result.decode::<RawRecord<'_>>()? {
            Some(record) => record_data(&record, self.basis),
            None => RecordData::default(),
        };
        if let Ok(mut cache) = self.decoded.lock()
            && cache.len() < MAX_DECODED_RECORDS
        {
            cache.insert(offset, data.clone());
        }
        Ok(Answer { data, network })
    }
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
