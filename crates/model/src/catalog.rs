use serde::{Deserialize, Serialize};

/// Where a catalog fact comes from, and when somebody last checked that it still says so.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FactSource {
    pub url: String,
    /// ISO 8601 date, e.g. `2026-11-20`.
    pub checked: String,
}

/// A company, with its parent (the ownership chain runs through `parent`) and jurisdictions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Stable identifier, e.g. `kaspersky-lab-switzerland`.
    pub id: String,
    pub name: String,
    /// The `id` of the organisation that owns or controls this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// ISO 3166-1 alpha-2 country of incorporation.
    pub incorporated: String,
    /// ISO 3166-1 alpha-2 country of headquarters.
    pub headquarters: String,
    /// Autonomous systems the organisation operates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asns: Vec<u32>,
    /// True when the organisation's networks carry other parties' services (a cloud, a CDN, or
    /// many products of its own), so its ASNs identify the operator of a destination but never
    /// a product.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hosts_others: bool,
    pub sources: Vec<FactSource>,
}

/// What a product is for, as assurance teams group them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProductCategory {
    AntiVirus,
    Edr,
    EndpointManagement,
    Firewall,
    Other,
}

/// A product made by an organisation, with what identifies it in evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Stable identifier, e.g. `kaspersky-endpoint-security`.
    pub id: String,
    pub name: String,
    /// The `Organisation::id` of the vendor.
    pub vendor: String,
    pub category: ProductCategory,
    /// Process image patterns (case-insensitive, `*` wildcards), e.g. `*\\avp.exe`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub process_images: Vec<String>,
    /// Installed program / package names as inventories show them (Windows programs, deb, rpm,
    /// CycloneDX/SPDX names), and package URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_names: Vec<String>,
    /// Endpoint names: exact (`ts.eset.com`) or suffix (`.kaspersky.com` matches any subdomain).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// Address ranges (CIDR) the vendor documents for the product's services.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    pub sources: Vec<FactSource>,
}

/// How a connection was tied to a product, strongest first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum AttributionBasis {
    /// The process image that made the connection matched the product's pattern.
    ProcessImage { image: String, pattern: String },
    /// A name learned for the remote side matched an endpoint pattern of the product.
    EndpointName { name: String, pattern: String },
    /// The remote address lies in a range the product's vendor documents.
    VendorNetwork { network: String },
    /// The remote address is announced by an autonomous system the vendor operates.
    VendorAsn { asn: u32 },
}

/// A connection's product, with why ringfence thinks so.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Attribution {
    pub product: String,
    pub basis: AttributionBasis,
}
