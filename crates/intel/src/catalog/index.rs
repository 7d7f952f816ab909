//! Lookup tables built once per catalog so that attribution, which runs per connection, costs a
//! few hash lookups: exact names and dotted suffixes in hash maps (a name is tried whole, then
//! each suffix from the longest, so the most specific pattern wins), process images keyed by
//! their literal file name, networks sorted most specific first, and ASNs mapped to operators
//! and products.

use super::glob::{self, ImagePattern};
use super::net::Cidr;
use super::rules::MAX_NAME_LEN;
use ringfence_model::{Organisation, Product};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// A product and the index of one of its patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Hit {
    pub product: usize,
    pub pattern: usize,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    pub org_by_id: HashMap<String, usize>,
    pub product_by_id: HashMap<String, usize>,
    exact_names: HashMap<String, Hit>,
    /// Keys start with '.'.
    suffixes: HashMap<String, Hit>,
    images_by_file: HashMap<String, Vec<(Hit, ImagePattern)>>,
    images_other: Vec<(Hit, ImagePattern)>,
    /// Most specific first.
    networks: Vec<(Cidr, Hit)>,
    asn_operator: HashMap<u32, usize>,
    asn_product: HashMap<u32, usize>,
    /// Normalised package names and purls.
    packages: HashMap<String, usize>,
}

/// The longest program or package name looked up; inventories are hostile input too.
const MAX_PACKAGE_LEN: usize = 1_024;

impl Index {
    /// Builds the tables. The first claim on a name, suffix, network, ASN or package (in id
    /// order) wins; `check` reports the later claims as problems.
    pub(crate) fn build(organisations: &[Organisation], products: &[Product]) -> Index {
        let mut index = Index::default();
        for (i, org) in organisations.iter().enumerate() {
            index.org_by_id.entry(org.id.clone()).or_insert(i);
            for asn in &org.asns {
                index.asn_operator.entry(*asn).or_insert(i);
            }
        }
        for (p, product) in products.iter().enumerate() {
            index.product_by_id.entry(product.id.clone()).or_insert(p);
            for (i, pattern) in product.endpoints.iter().enumerate() {
                let hit = Hit {
                    product: p,
                    pattern: i,
                };
                let key = pattern.to_ascii_lowercase();
                let table = if key.starts_with('.') {
                    &mut index.suffixes
                } else {
                    &mut index.exact_names
                };
                table.entry(key).or_insert(hit);
            }
            for (i, pattern) in product.process_images.iter().enumerate() {
                let hit = Hit {
                    product: p,
                    pattern: i,
                };
                let compiled = ImagePattern::new(pattern);
                match compiled.literal_file_name() {
                    Some(file) => index
                        .images_by_file
                        .entry(file)
                        .or_default()
                        .push((hit, compiled)),
                    None => index.images_other.push((hit, compiled)),
                }
            }
            for (i, network) in product.networks.iter().enumerate() {
                if let Ok(cidr) = Cidr::parse(network) {
                    index.networks.push((
                        cidr,
                        Hit {
                            product: p,
                            pattern: i,
                        },
                    ));
                }
            }
            for name in &product.package_names {
                if let Some(key) = package_key(name) {
                    index.packages.entry(key).or_insert(p);
                }
            }
        }
        index
            .networks
            .sort_by(|a, b| b.0.prefix().cmp(&a.0.prefix()).then(a.1.cmp(&b.1)));
        index.asn_product = asn_products(&index, organisations, products);
        index
    }

    /// The first product whose process image pattern matches `image`.
    pub(crate) fn by_image(&self, image: &str) -> Option<Hit> {
        if image.is_empty() || image.len() > glob::MAX_IMAGE_LEN {
            return None;
        }
        let normalised: Vec<char> = glob::normalise(image).chars().collect();
        let file: String = glob::file_name(&normalised).iter().collect();
        let keyed = self.images_by_file.get(&file).into_iter().flatten();
        keyed
            .chain(self.images_other.iter())
            .filter(|(_, pattern)| pattern.matches_normalised(&normalised))
            .map(|(hit, _)| *hit)
            .min()
    }

    /// The product whose endpoint pattern matches `name`: exact first, then the longest suffix
    /// on a label boundary.
    pub(crate) fn by_name(&self, name: &str) -> Option<Hit> {
        let name = name.strip_suffix('.').unwrap_or(name);
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return None;
        }
        let name = name.to_ascii_lowercase();
        if let Some(hit) = self.exact_names.get(&name) {
            return Some(*hit);
        }
        // Every '.' starts a suffix on a label boundary; from the left is longest first.
        name.match_indices('.')
            .filter_map(|(i, _)| name.get(i..))
            .find_map(|suffix| self.suffixes.get(suffix).copied())
    }

    pub(crate) fn by_address(&self, address: std::net::IpAddr) -> Option<Hit> {
        self.networks
            .iter()
            .find(|(cidr, _)| cidr.contains(address))
            .map(|(_, hit)| *hit)
    }

    pub(crate) fn operator_by_asn(&self, asn: u32) -> Option<usize> {
        self.asn_operator.get(&asn).copied()
    }

    pub(crate) fn product_by_asn(&self, asn: u32) -> Option<usize> {
        self.asn_product.get(&asn).copied()
    }

    pub(crate) fn by_package(&self, name: &str) -> Option<usize> {
        let key = package_key(name)?;
        if let Some(p) = self.packages.get(&key) {
            return Some(*p);
        }
        if key.starts_with("pkg:") {
            return None;
        }
        // Inventories append versions and editions ("ESET Endpoint Antivirus 10.1.2046.0"):
        // try the longest catalog name that is a whole-word prefix.
        key.rmatch_indices(' ')
            .filter_map(|(i, _)| key.get(..i))
            .find_map(|prefix| self.packages.get(prefix.trim_end()).copied())
    }
}

/// The form package names are compared in: lower case, single spaces; for purls the type,
/// namespace and name only (no version, qualifiers or subpath).
pub(crate) fn package_key(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > MAX_PACKAGE_LEN {
        return None;
    }
    let lower = name.to_lowercase();
    if let Some(purl) = lower.strip_prefix("pkg:") {
        let end = purl.find(['@', '?', '#']).unwrap_or(purl.len());
        let core = purl.get(..end)?.trim_end_matches('/');
        return Some(format!("pkg:{core}"));
    }
    let key = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    (!key.is_empty()).then_some(key)
}

/// For each ASN an organisation operates, the product it most plausibly carries: one whose
/// vendor is the operator, else one whose vendor is the operator's nearest owner, else one
/// whose vendor the operator (directly or through subsidiaries) owns. Ties go to the first
/// product by id, which is deterministic; every product of one vendor leads to the same
/// ownership chain, which is what policy judges. Operators marked `hosts_others` (clouds,
/// CDNs, companies with many products) carry traffic of too many parties for their ASNs to
/// name a product, so they get none: an Azure address says "Microsoft operates this", never
/// "this is Microsoft Defender".
fn asn_products(
    index: &Index,
    organisations: &[Organisation],
    products: &[Product],
) -> HashMap<u32, usize> {
    let chain = |start: usize| -> Vec<usize> {
        let mut out = vec![start];
        let mut at = start;
        while let Some(parent) = organisations
            .get(at)
            .and_then(|o| o.parent.as_ref())
            .and_then(|p| index.org_by_id.get(p))
        {
            if out.contains(parent) {
                break;
            }
            out.push(*parent);
            at = *parent;
        }
        out
    };
    let mut best: HashMap<u32, (usize, usize)> = HashMap::new();
    for (p, product) in products.iter().enumerate() {
        let Some(vendor) = index.org_by_id.get(&product.vendor).copied() else {
            continue;
        };
        let vendor_chain = chain(vendor);
        for (o, org) in organisations.iter().enumerate() {
            if org.asns.is_empty() || org.hosts_others {
                continue;
            }
            let distance = match vendor_chain.iter().position(|v| *v == o) {
                Some(d) => Some(d),
                None => chain(o)
                    .iter()
                    .position(|c| *c == vendor)
                    .map(|d| d.saturating_add(organisations.len())),
            };
            let Some(distance) = distance else { continue };
            for asn in &org.asns {
                if index.asn_operator.get(asn) != Some(&o) {
                    continue;
                }
                match best.entry(*asn) {
                    Entry::Vacant(v) => {
                        v.insert((distance, p));
                    }
                    Entry::Occupied(mut e) => {
                        if (distance, p) < *e.get() {
                            e.insert((distance, p));
                        }
                    }
                }
            }
        }
    }
    best.into_iter().map(|(asn, (_, p))| (asn, p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    const OPERATORS: &str = r#"
[[organisation]]
id = "microsoft"
name = "Microsoft Corporation"
incorporated = "US"
headquarters = "US"
asns = [8075]
hosts_others = true
sources = [{ url = "https://example.com/m", checked = "2026-11-24" }]

[[organisation]]
id = "ao-kaspersky-lab"
name = "AO Kaspersky Lab"
incorporated = "RU"
headquarters = "RU"
sources = [{ url = "https://example.com/k", checked = "2026-11-24" }]

[[organisation]]
id = "kaspersky-lab-switzerland"
name = "Kaspersky Lab Switzerland GmbH"
parent = "ao-kaspersky-lab"
incorporated = "CH"
headquarters = "CH"
asns = [200107]
sources = [{ url = "https://example.com/k", checked = "2026-11-24" }]

[[product]]
id = "kaspersky-endpoint-security"
name = "Kaspersky Endpoint Security"
vendor = "ao-kaspersky-lab"
category = "anti-virus"
endpoints = [".kaspersky.com"]
sources = [{ url = "https://example.com/k", checked = "2026-11-24" }]

[[product]]
id = "microsoft-defender-antivirus"
name = "Microsoft Defender Antivirus"
vendor = "microsoft"
category = "anti-virus"
endpoints = ["wdcp.microsoft.com"]
sources = [{ url = "https://example.com/m", checked = "2026-11-24" }]
"#;

    #[test]
    fn hosting_operators_name_the_operator_but_never_a_product() {
        let catalog =
            Catalog::from_texts([("operators.toml", OPERATORS)]).unwrap_or_else(|e| panic!("{e}"));
        assert!(catalog.check().is_empty(), "{:?}", catalog.check());
        let index = &catalog.index;
        let microsoft = index
            .operator_by_asn(8075)
            .and_then(|i| catalog.organisations.get(i));
        assert_eq!(microsoft.map(|o| o.id.as_str()), Some("microsoft"));
        assert_eq!(index.product_by_asn(8075), None);
        let kaspersky = index
            .product_by_asn(200_107)
            .and_then(|p| catalog.products.get(p));
        assert_eq!(
            kaspersky.map(|p| p.id.as_str()),
            Some("kaspersky-endpoint-security")
        );
    }

    #[test]
    fn package_keys_drop_purl_versions_and_fold_case_and_space() {
        assert_eq!(
            package_key("pkg:deb/kaspersky/kesl@12.1.0-1234?arch=amd64").as_deref(),
            Some("pkg:deb/kaspersky/kesl")
        );
        assert_eq!(
            package_key("Kaspersky  Endpoint Security for Windows").as_deref(),
            Some("kaspersky endpoint security for windows")
        );
        assert_eq!(package_key(""), None);
        assert_eq!(package_key(&"a".repeat(2_000)), None);
    }
}
