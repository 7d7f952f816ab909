use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// What an IP data source's answer is based on. Location is not control, and sources disagree:
/// each answer keeps its basis so nobody mistakes one kind for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The country where the announcing network routes the prefix (e.g. iptoasn).
    RoutingCountry,
    /// The country in the regional internet registry's allocation (e.g. NRO delegated stats).
    RegistryCountry,
    /// A geolocation vendor's estimate of where the address is used (MaxMind, IPinfo, DB-IP).
    GeolocatedCountry,
    /// The autonomous system announcing the prefix and the organisation that holds it.
    AsnOrganisation,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::RoutingCountry => "routing country",
            Basis::RegistryCountry => "registry country",
            Basis::GeolocatedCountry => "geolocated country",
            Basis::AsnOrganisation => "ASN and organisation",
        }
    }
}

/// An IP data source as the report records it: enough to say where an answer came from and to
/// re-run the audit with the same data.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IntelSource {
    pub name: String,
    pub basis: Basis,
    pub version: String,
    pub licence: String,
    /// Lower-case hex SHA-256 of the source file.
    pub sha256: String,
}

/// One source's answer for one address (absent fields: the source does not say).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourceAnswer {
    /// The `IntelSource::name` that answered.
    pub source: String,
    pub basis: Basis,
    /// ISO 3166-1 alpha-2, upper case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// The prefix the answer holds for, e.g. `77.74.176.0/21`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

/// A remote address with every source's answer. Disagreement stays visible: nothing here picks
/// one answer over another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    pub address: IpAddr,
    pub answers: Vec<SourceAnswer>,
}

impl Destination {
    /// The distinct countries the sources name, with the bases that name each.
    pub fn countries(&self) -> Vec<(&str, Basis)> {
        let mut out: Vec<(&str, Basis)> = self
            .answers
            .iter()
            .filter_map(|a| a.country.as_deref().map(|c| (c, a.basis)))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// True when sources name more than one country.
    pub fn sources_disagree(&self) -> bool {
        let mut countries: Vec<&str> = self
            .answers
            .iter()
            .filter_map(|a| a.country.as_deref())
            .collect();
        countries.sort_unstable();
        countries.dedup();
        countries.len() > 1
    }

    /// The autonomous systems the sources name.
    pub fn asns(&self) -> Vec<u32> {
        let mut asns: Vec<u32> = self.answers.iter().filter_map(|a| a.asn).collect();
        asns.sort_unstable();
        asns.dedup();
        asns
    }
}
