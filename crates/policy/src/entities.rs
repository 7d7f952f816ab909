//! Cedar entities built from ringfence facts, following the schema in
//! `policies/ringfence.cedarschema`: the ownership chain becomes the entity hierarchy.

use crate::facts::OwnershipFacts;
use cedar_policy::{Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};
use ringfence_model::{Basis, Destination, Organisation, Product, ProductCategory};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

/// Ownership chains longer than this are cut: the catalog checks for cycles, but the Judge must
/// stay bounded whatever it is handed.
const MAX_CHAIN: usize = 64;

/// The parsed entity type and action names, built once per Judge.
#[derive(Clone, Debug)]
pub(crate) struct Names {
    system: EntityTypeName,
    product: EntityTypeName,
    organisation: EntityTypeName,
    jurisdiction: EntityTypeName,
    destination: EntityTypeName,
    pub install: EntityUid,
    pub egress: EntityUid,
}

impl Names {
    /// Parses the schema's type names; fails only if the names below stop being valid Cedar,
    /// which the loading tests would catch at once.
    pub fn new() -> Result<Names, String> {
        let ty = |s: &str| EntityTypeName::from_str(s).map_err(|e| format!("entity type {s}: {e}"));
        let action = ty("Action")?;
        Ok(Names {
            system: ty("System")?,
            product: ty("Product")?,
            organisation: ty("Organisation")?,
            jurisdiction: ty("Jurisdiction")?,
            destination: ty("Destination")?,
            install: EntityUid::from_type_name_and_id(action.clone(), EntityId::new("install")),
            egress: EntityUid::from_type_name_and_id(action, EntityId::new("egress")),
        })
    }

    pub fn system(&self, id: &str) -> EntityUid {
        EntityUid::from_type_name_and_id(self.system.clone(), EntityId::new(id))
    }
    pub fn product(&self, id: &str) -> EntityUid {
        EntityUid::from_type_name_and_id(self.product.clone(), EntityId::new(id))
    }
    pub fn organisation(&self, id: &str) -> EntityUid {
        EntityUid::from_type_name_and_id(self.organisation.clone(), EntityId::new(id))
    }
    pub fn jurisdiction(&self, country: &str) -> EntityUid {
        EntityUid::from_type_name_and_id(self.jurisdiction.clone(), EntityId::new(country))
    }
    pub fn destination(&self) -> EntityUid {
        EntityUid::from_type_name_and_id(self.destination.clone(), EntityId::new("destination"))
    }
}

/// A system as the policies see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SystemView {
    pub id: String,
    pub name: String,
    pub classification: String,
    pub rank: i64,
    pub national_security: bool,
    pub cni: bool,
    pub in_estate: bool,
}

/// The entity store of one evaluation, keyed by uid so each entity appears once.
#[derive(Default)]
pub(crate) struct Store {
    entities: BTreeMap<String, Entity>,
}

impl Store {
    pub fn into_entities(self) -> impl Iterator<Item = Entity> {
        self.entities.into_values()
    }

    fn insert(&mut self, entity: Entity) {
        self.entities
            .entry(entity.uid().to_string())
            .or_insert(entity);
    }

    pub fn add_system(&mut self, names: &Names, system: &SystemView) -> EntityUid {
        let uid = names.system(&system.id);
        let attrs = HashMap::from([
            (
                "name".to_string(),
                RestrictedExpression::new_string(system.name.clone()),
            ),
            (
                "classification".to_string(),
                RestrictedExpression::new_string(system.classification.clone()),
            ),
            (
                "classification_rank".to_string(),
                RestrictedExpression::new_long(system.rank),
            ),
            (
                "national_security".to_string(),
                RestrictedExpression::new_bool(system.national_security),
            ),
            (
                "cni".to_string(),
                RestrictedExpression::new_bool(system.cni),
            ),
            (
                "in_estate".to_string(),
                RestrictedExpression::new_bool(system.in_estate),
            ),
        ]);
        self.add(uid.clone(), attrs, HashSet::new());
        uid
    }

    /// An organisation and every owner up its chain, each in its parent and its jurisdictions.
    pub fn add_organisation(
        &mut self,
        names: &Names,
        facts: &dyn OwnershipFacts,
        organisation: &Organisation,
    ) -> EntityUid {
        let first = names.organisation(&organisation.id);
        let mut current = Some(organisation);
        let mut seen: HashSet<&str> = HashSet::new();
        while let Some(org) = current {
            if seen.len() >= MAX_CHAIN || !seen.insert(org.id.as_str()) {
                break;
            }
            let mut parents = HashSet::new();
            for country in [&org.incorporated, &org.headquarters] {
                if let Some(code) = country_code(country) {
                    parents.insert(names.jurisdiction(&code));
                }
            }
            if let Some(parent) = &org.parent {
                parents.insert(names.organisation(parent));
            }
            self.add(
                names.organisation(&org.id),
                organisation_attrs(org),
                parents,
            );
            current = org.parent.as_deref().and_then(|p| facts.organisation(p));
        }
        first
    }

    pub fn add_product(
        &mut self,
        names: &Names,
        facts: &dyn OwnershipFacts,
        product: &Product,
    ) -> EntityUid {
        let uid = names.product(&product.id);
        let vendor = match facts.organisation(&product.vendor) {
            Some(org) => self.add_organisation(names, facts, org),
            // A vendor id the catalog does not hold: the product is still in it, and the chain
            // stops there (the catalog check reports the dangling reference).
            None => names.organisation(&product.vendor),
        };
        let attrs = HashMap::from([
            (
                "name".to_string(),
                RestrictedExpression::new_string(product.name.clone()),
            ),
            (
                "category".to_string(),
                RestrictedExpression::new_string(category_name(product.category).to_string()),
            ),
            (
                "vendor".to_string(),
                RestrictedExpression::new_entity_uid(vendor.clone()),
            ),
        ]);
        self.add(uid.clone(), attrs, HashSet::from([vendor]));
        uid
    }

    /// A product standing in for one ringfence could not attribute: made by a stand-in vendor
    /// that is inside `inside` (everything policies name, or nothing).
    pub fn add_stand_in_product(
        &mut self,
        names: &Names,
        category: ProductCategory,
        inside: &[EntityUid],
    ) -> EntityUid {
        let vendor = self.add_stand_in_organisation(names, "(unknown vendor)", inside);
        let uid = names.product("(unattributed)");
        let attrs = HashMap::from([
            (
                "name".to_string(),
                RestrictedExpression::new_string(String::new()),
            ),
            (
                "category".to_string(),
                RestrictedExpression::new_string(category_name(category).to_string()),
            ),
            (
                "vendor".to_string(),
                RestrictedExpression::new_entity_uid(vendor.clone()),
            ),
        ]);
        let mut parents: HashSet<EntityUid> = inside.iter().cloned().collect();
        parents.insert(vendor);
        self.add(uid.clone(), attrs, parents);
        uid
    }

    pub fn add_stand_in_organisation(
        &mut self,
        names: &Names,
        id: &str,
        inside: &[EntityUid],
    ) -> EntityUid {
        let uid = names.organisation(id);
        let attrs = HashMap::from([
            (
                "name".to_string(),
                RestrictedExpression::new_string(String::new()),
            ),
            (
                "incorporated".to_string(),
                RestrictedExpression::new_string(String::new()),
            ),
            (
                "headquarters".to_string(),
                RestrictedExpression::new_string(String::new()),
            ),
        ]);
        self.add(uid.clone(), attrs, inside.iter().cloned().collect());
        uid
    }

    /// The destination with every source's countries per basis, in its operator when known.
    pub fn add_destination(
        &mut self,
        names: &Names,
        countries: &Countries,
        operator: Option<EntityUid>,
        operator_known: bool,
    ) -> EntityUid {
        let uid = names.destination();
        let set = |values: &[String]| {
            RestrictedExpression::new_set(
                values
                    .iter()
                    .map(|c| RestrictedExpression::new_string(c.clone())),
            )
        };
        let mut attrs = HashMap::from([
            ("routing_country".to_string(), set(&countries.routing)),
            ("registry_country".to_string(), set(&countries.registry)),
            (
                "geolocated_countries".to_string(),
                set(&countries.geolocated),
            ),
            (
                "operator_known".to_string(),
                RestrictedExpression::new_bool(operator_known),
            ),
        ]);
        let mut parents = HashSet::new();
        if let Some(operator) = operator {
            attrs.insert(
                "operator".to_string(),
                RestrictedExpression::new_entity_uid(operator.clone()),
            );
            parents.insert(operator);
        }
        self.add(uid.clone(), attrs, parents);
        uid
    }

    fn add(
        &mut self,
        uid: EntityUid,
        attrs: HashMap<String, RestrictedExpression>,
        parents: HashSet<EntityUid>,
    ) {
        // Attribute values here are literals, so construction cannot fail; should it, the entity
        // is left out, the request fails validation and the verdict is Unknown, never Allow.
        if let Ok(entity) = Entity::new(uid, attrs, parents) {
            self.insert(entity);
        }
    }
}

fn organisation_attrs(org: &Organisation) -> HashMap<String, RestrictedExpression> {
    HashMap::from([
        (
            "name".to_string(),
            RestrictedExpression::new_string(org.name.clone()),
        ),
        (
            "incorporated".to_string(),
            RestrictedExpression::new_string(country_code(&org.incorporated).unwrap_or_default()),
        ),
        (
            "headquarters".to_string(),
            RestrictedExpression::new_string(country_code(&org.headquarters).unwrap_or_default()),
        ),
    ])
}

/// An ISO 3166-1 alpha-2 code in upper case, or None for anything else.
pub(crate) fn country_code(value: &str) -> Option<String> {
    let trimmed = value.trim();
    (trimmed.len() == 2 && trimmed.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| trimmed.to_ascii_uppercase())
}

pub(crate) fn category_name(category: ProductCategory) -> &'static str {
    match category {
        ProductCategory::AntiVirus => "anti-virus",
        ProductCategory::Edr => "edr",
        ProductCategory::EndpointManagement => "endpoint-management",
        ProductCategory::Firewall => "firewall",
        ProductCategory::Other => "other",
    }
}

pub(crate) const CATEGORIES: [ProductCategory; 5] = [
    ProductCategory::AntiVirus,
    ProductCategory::Edr,
    ProductCategory::EndpointManagement,
    ProductCategory::Firewall,
    ProductCategory::Other,
];

/// A destination's countries per basis, each sorted and without repeats. ASN answers carry no
/// location basis and are not counted here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Countries {
    pub routing: Vec<String>,
    pub registry: Vec<String>,
    pub geolocated: Vec<String>,
}

impl Countries {
    pub fn of(destination: &Destination) -> Countries {
        let mut countries = Countries::default();
        for answer in &destination.answers {
            let Some(code) = answer.country.as_deref().and_then(country_code) else {
                continue;
            };
            match answer.basis {
                Basis::RoutingCountry => countries.routing.push(code),
                Basis::RegistryCountry => countries.registry.push(code),
                Basis::GeolocatedCountry => countries.geolocated.push(code),
                Basis::AsnOrganisation => {}
            }
        }
        for list in [
            &mut countries.routing,
            &mut countries.registry,
            &mut countries.geolocated,
        ] {
            list.sort_unstable();
            list.dedup();
        }
        countries
    }
}
