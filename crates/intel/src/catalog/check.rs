//! `Catalog::check`: everything that must hold for the catalog's facts to be trusted by an
//! audit. Problems are collected, never fatal, and sorted so the output is stable.

use super::Catalog;
use super::error::CatalogProblem;
use super::file::Origin;
use super::net::Cidr;
use super::rules;
use ringfence_model::FactSource;
use std::collections::{HashMap, HashSet};

struct Problems(Vec<CatalogProblem>);

impl Problems {
    fn add(&mut self, origin: Option<&Origin>, subject: &str, reason: String) {
        self.0.push(CatalogProblem {
            file: origin.map_or_else(|| "<catalog>".to_string(), |o| o.file.clone()),
            line: origin.map(|o| o.line),
            subject: subject.to_string(),
            reason,
        });
    }

    fn check(&mut self, origin: Option<&Origin>, subject: &str, result: Result<(), String>) {
        if let Err(reason) = result {
            self.add(origin, subject, reason);
        }
    }

    fn sources(&mut self, origin: Option<&Origin>, subject: &str, sources: &[FactSource]) {
        if sources.is_empty() {
            self.add(
                origin,
                subject,
                "has no source (every fact needs one)".to_string(),
            );
        }
        for source in sources {
            self.check(origin, subject, rules::https_url(&source.url));
            self.check(origin, subject, rules::date(&source.checked));
        }
    }
}

pub(crate) fn check(catalog: &Catalog) -> Vec<CatalogProblem> {
    let mut problems = Problems(Vec::new());
    organisations(catalog, &mut problems);
    products(catalog, &mut problems);
    let mut out = problems.0;
    out.sort();
    out.dedup();
    out
}

fn organisations(catalog: &Catalog, problems: &mut Problems) {
    let mut asn_owner: HashMap<u32, &str> = HashMap::new();
    for (i, org) in catalog.organisations.iter().enumerate() {
        let origin = catalog.org_origins.get(i);
        let subject = format!("organisation {}", org.id);
        problems.check(origin, &subject, rules::id(&org.id));
        if catalog
            .organisations
            .iter()
            .filter(|o| o.id == org.id)
            .count()
            > 1
        {
            problems.add(
                origin,
                &subject,
                "id is used by more than one organisation".to_string(),
            );
        }
        if org.name.trim().is_empty() {
            problems.add(origin, &subject, "has an empty name".to_string());
        }
        problems.check(origin, &subject, rules::country(&org.incorporated));
        problems.check(origin, &subject, rules::country(&org.headquarters));
        for asn in &org.asns {
            problems.check(origin, &subject, rules::asn(*asn));
            match asn_owner.get(asn) {
                Some(other) if *other != org.id => problems.add(
                    origin,
                    &subject,
                    format!("AS{asn} is also listed for organisation {other}"),
                ),
                _ => {
                    asn_owner.insert(*asn, &org.id);
                }
            }
        }
        if org.hosts_others && org.asns.is_empty() {
            problems.add(
                origin,
                &subject,
                "hosts_others is set but no ASN is listed for it to apply to".to_string(),
            );
        }
        problems.sources(origin, &subject, &org.sources);
        match &org.parent {
            Some(parent) if parent == &org.id => {
                problems.add(origin, &subject, "is its own parent".to_string());
            }
            Some(parent) if catalog.organisation(parent).is_none() => problems.add(
                origin,
                &subject,
                format!("parent {parent:?} is not an organisation in the catalog"),
            ),
            _ => {}
        }
        if let Some(cycle) = cycle_from(catalog, i) {
            problems.add(
                origin,
                &subject,
                format!("ownership cycle: {}", cycle.join(" → ")),
            );
        }
    }
}

/// The ownership cycle `start` lies on, reported only from its smallest id so each cycle is
/// named once. Walks at most as many steps as there are organisations.
fn cycle_from(catalog: &Catalog, start: usize) -> Option<Vec<String>> {
    let start_id = &catalog.organisations.get(start)?.id;
    let mut path = vec![start_id.clone()];
    let mut visited: HashSet<&str> = HashSet::new();
    let mut at = catalog.organisations.get(start)?;
    while let Some(parent) = at.parent.as_deref().and_then(|p| catalog.organisation(p)) {
        if parent.id == *start_id {
            path.push(parent.id.clone());
            let smallest = path.iter().min()?;
            return (smallest == start_id).then_some(path);
        }
        if !visited.insert(&parent.id) || path.len() > catalog.organisations.len() {
            // A cycle that does not pass through `start`: reported from its own members.
            return None;
        }
        path.push(parent.id.clone());
        at = parent;
    }
    None
}

fn products(catalog: &Catalog, problems: &mut Problems) {
    let mut endpoint_owner: HashMap<&str, &str> = HashMap::new();
    let mut network_owner: HashMap<&str, &str> = HashMap::new();
    let mut package_owner: HashMap<String, &str> = HashMap::new();
    let mut image_owner: HashMap<String, &str> = HashMap::new();
    for (i, product) in catalog.products.iter().enumerate() {
        let origin = catalog.product_origins.get(i);
        let subject = format!("product {}", product.id);
        problems.check(origin, &subject, rules::id(&product.id));
        if catalog
            .products
            .iter()
            .filter(|p| p.id == product.id)
            .count()
            > 1
        {
            problems.add(
                origin,
                &subject,
                "id is used by more than one product".to_string(),
            );
        }
        if product.name.trim().is_empty() {
            problems.add(origin, &subject, "has an empty name".to_string());
        }
        if catalog.organisation(&product.vendor).is_none() {
            problems.add(
                origin,
                &subject,
                format!(
                    "vendor {:?} is not an organisation in the catalog",
                    product.vendor
                ),
            );
        }
        // A product with no identifiers of its own is still recognisable through its vendor's
        // autonomous systems (the weakest basis, but a documented one).
        // ASNs of an operator that hosts others never name a product, so they do not count.
        let vendor_has_asns = catalog
            .organisation(&product.vendor)
            .is_some_and(|v| !v.asns.is_empty() && !v.hosts_others);
        if product.process_images.is_empty()
            && product.package_names.is_empty()
            && product.endpoints.is_empty()
            && product.networks.is_empty()
            && !vendor_has_asns
        {
            problems.add(
                origin,
                &subject,
                "has no process image, package name, endpoint, network or vendor ASN to recognise it by"
                    .to_string(),
            );
        }
        for pattern in &product.process_images {
            problems.check(origin, &subject, rules::image_pattern(pattern));
            claim(
                &mut image_owner,
                super::glob::normalise(pattern),
                &product.id,
                "process image pattern",
                origin,
                &subject,
                problems,
            );
        }
        for name in &product.package_names {
            problems.check(origin, &subject, rules::package_name(name));
            if let Some(key) = super::index::package_key(name) {
                claim(
                    &mut package_owner,
                    key,
                    &product.id,
                    "package name",
                    origin,
                    &subject,
                    problems,
                );
            }
        }
        for pattern in &product.endpoints {
            problems.check(origin, &subject, rules::endpoint(pattern));
            claim(
                &mut endpoint_owner,
                pattern.as_str(),
                &product.id,
                "endpoint pattern",
                origin,
                &subject,
                problems,
            );
        }
        for network in &product.networks {
            if let Err(reason) = Cidr::parse(network) {
                problems.add(origin, &subject, format!("network: {reason}"));
            }
            claim(
                &mut network_owner,
                network.as_str(),
                &product.id,
                "network",
                origin,
                &subject,
                problems,
            );
        }
        problems.sources(origin, &subject, &product.sources);
    }
}

/// Records that `product` claims `key`; a second product claiming it makes attribution
/// ambiguous, which is a problem.
fn claim<'a, K: std::hash::Hash + Eq + std::fmt::Display>(
    owners: &mut HashMap<K, &'a str>,
    key: K,
    product: &'a str,
    what: &str,
    origin: Option<&Origin>,
    subject: &str,
    problems: &mut Problems,
) {
    match owners.get(&key) {
        Some(other) if *other != product => problems.add(
            origin,
            subject,
            format!(
                "{what} {key:?} is also claimed by product {other}",
                key = key.to_string()
            ),
        ),
        Some(_) => {}
        None => {
            owners.insert(key, product);
        }
    }
}
