//! One MMDB record, read whatever the vendor's layout: the fields ringfence needs are picked out
//! by name and everything else is skipped without being decoded into memory.
//!
//! Layouts understood (top-level keys):
//! - MaxMind GeoIP2/GeoLite2 Country/City and DB-IP lite: `country.iso_code`,
//!   `registered_country.iso_code`;
//! - MaxMind GeoLite2 ASN, DB-IP ASN, ip-location-db ASN MMDB: `autonomous_system_number`,
//!   `autonomous_system_organization`;
//! - ip-location-db country MMDB, IPinfo lite: `country_code`; IPinfo country: `country` as a
//!   string;
//! - IPinfo ASN/lite: `asn` as `"AS13335"`, `as_name` or `name`.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// The fields of one record that an answer can use, borrowed from the database.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawRecord<'a> {
    pub country: Option<&'a str>,
    pub registered_country: Option<&'a str>,
    pub country_code: Option<&'a str>,
    pub asn: Option<u32>,
    pub organisation: Option<&'a str>,
    /// IPinfo's `name` (the AS name in its ASN database): only used when the record has an `asn`.
    pub name: Option<&'a str>,
}

impl<'de> serde::Deserialize<'de> for RawRecord<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RecordVisitor)
    }
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = RawRecord<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an MMDB record map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut record = RawRecord::default();
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "country" => record.country = map.next_value::<CountryField<'de>>()?.0,
                "registered_country" => {
                    record.registered_country = map.next_value::<CountryField<'de>>()?.0
                }
                "country_code" => record.country_code = map.next_value::<Option<&'de str>>()?,
                "autonomous_system_number" | "asn" => record.asn = map.next_value::<AsnField>()?.0,
                "autonomous_system_organization" | "as_name" => {
                    record.organisation = map.next_value::<Option<&'de str>>()?
                }
                "name" => record.name = map.next_value::<Option<&'de str>>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if record.organisation.is_none() && record.asn.is_some() {
            record.organisation = record.name;
        }
        Ok(record)
    }
}

/// A country given either as a GeoIP2 map (`{"iso_code": "CH", "names": …}`) or as a code string.
struct CountryField<'a>(Option<&'a str>);

impl<'de> serde::Deserialize<'de> for CountryField<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CountryVisitor)
    }
}

struct CountryVisitor;

impl<'de> Visitor<'de> for CountryVisitor {
    type Value = CountryField<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a country map or code")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(CountryField(Some(v)))
    }

    fn visit_str<E: de::Error>(self, _v: &str) -> Result<Self::Value, E> {
        // Only reachable from a non-borrowing deserializer; nothing to keep.
        Ok(CountryField(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut code = None;
        while let Some(key) = map.next_key::<&'de str>()? {
            if key == "iso_code" {
                code = map.next_value::<Option<&'de str>>()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(CountryField(code))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(CountryField(None))
    }
}

/// An AS number given as an integer or as IPinfo's `"AS13335"`.
struct AsnField(Option<u32>);

impl<'de> serde::Deserialize<'de> for AsnField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AsnVisitor)
    }
}

struct AsnVisitor;

impl<'de> Visitor<'de> for AsnVisitor {
    type Value = AsnField;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an AS number")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(AsnField(u32::try_from(v).ok()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(AsnField(u32::try_from(v).ok()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let digits = v
            .strip_prefix("AS")
            .or_else(|| v.strip_prefix("as"))
            .unwrap_or(v);
        Ok(AsnField(digits.parse().ok()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(AsnField(None))
    }
}

/// An ISO 3166-1 alpha-2 code in upper case, or nothing when the value is not one (a hostile or
/// odd database cannot put arbitrary text where a country code belongs).
pub fn normalise_country(code: &str) -> Option<[u8; 2]> {
    match code.as_bytes() {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            Some([a.to_ascii_uppercase(), b.to_ascii_uppercase()])
        }
        _ => None,
    }
}

/// Organisation names are capped: enough for any real name, bounded for a hostile one.
pub const MAX_ORGANISATION_BYTES: usize = 512;

/// `name` cut to at most [`MAX_ORGANISATION_BYTES`] on a character boundary.
pub fn cap_organisation(name: &str) -> &str {
    if name.len() <= MAX_ORGANISATION_BYTES {
        return name;
    }
    let mut end = MAX_ORGANISATION_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_validated_and_upper_cased() {
        assert_eq!(normalise_country("ch"), Some(*b"CH"));
        assert_eq!(normalise_country("RU"), Some(*b"RU"));
        assert_eq!(normalise_country("R1"), None);
        assert_eq!(normalise_country("<script>"), None);
        assert_eq!(normalise_country("É"), None);
    }

    #[test]
    fn organisation_is_capped_on_a_char_boundary() {
        let long = "é".repeat(400);
        let capped = cap_organisation(&long);
        assert!(capped.len() <= MAX_ORGANISATION_BYTES);
        assert!(capped.chars().all(|c| c == 'é'));
        assert_eq!(cap_organisation("Kaspersky"), "Kaspersky");
    }
}
