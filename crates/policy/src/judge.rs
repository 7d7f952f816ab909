//! Verdicts: Cedar evaluation of ringfence facts, with unknown facts handled explicitly and
//! verdicts cached per distinct tuple of facts.
//!
//! Cedar's stable API has no unknowns, so a missing fact (unattributed product, unknown operator,
//! host outside the estate) is handled by evaluating every shape the fact could take that matters
//! to `in` tests and flags: a stand-in inside nothing and a stand-in inside every organisation and
//! jurisdiction the policies or the catalog name, each product category, every classification
//! level and flag combination. If all of them give the same decision, a policy decided regardless
//! of the missing fact and that decision stands; otherwise the verdict is Unknown. The knowledge
//! flags (`context.attributed`, `Destination::operator_known`, `System::in_estate`) keep their
//! real value in every shape, so a policy written about missing facts decides as written.

use crate::entities::{CATEGORIES, Countries, Names, Store, SystemView, country_code};
use crate::facts::OwnershipFacts;
use crate::policy_set::PolicySet;
use cedar_policy::{Authorizer, Context, Entities, EntityUid, Request, RestrictedExpression};
use ringfence_model::{
    Decision, Destination, Organisation, Product, ProductCategory, System, Verdict, uk_levels,
};
use std::collections::{BTreeSet, HashMap};

/// The cache is cleared when it holds this many verdicts, so memory stays bounded whatever the
/// evidence; real audits have far fewer distinct tuples.
pub const MAX_CACHED_VERDICTS: usize = 1 << 16;

pub const REASON_PRODUCT: &str = "product not attributed";
pub const REASON_OPERATOR: &str = "destination operator unknown";
pub const REASON_HOST: &str = "host not in estate";
pub const REASON_CLASSIFICATION: &str = "classification not in the estate's levels";
pub const REASON_NO_PERMIT: &str = "no policy permits it";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Action {
    Install,
    Egress,
}

/// The facts a verdict depends on, and nothing else: the cache key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    action: Action,
    system: Option<String>,
    product: Option<String>,
    operator: Option<String>,
    countries: Countries,
}

/// One way a missing fact could be.
#[derive(Clone, Copy, Debug)]
enum Shape {
    /// The fact as known (or absent, when unknown).
    Actual,
    /// A stand-in inside nothing.
    Outside(ProductCategory),
    /// A stand-in inside everything the policies and the catalog name.
    Inside(ProductCategory),
}

/// The outcome of one Cedar evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Decided {
        decision: Decision,
        policies: Vec<String>,
    },
    Failed(Vec<String>),
}

/// Judges installations and egress against a policy set, using catalog facts for ownership.
pub struct Judge<'a> {
    policies: &'a PolicySet,
    facts: &'a (dyn OwnershipFacts + Sync),
    names: Names,
    levels: Vec<String>,
    /// Everything a stand-in for a missing product or operator is placed inside.
    everything: Vec<EntityUid>,
    authorizer: Authorizer,
    cache: HashMap<Key, Verdict>,
    evaluations: u64,
}

impl<'a> Judge<'a> {
    /// A judge over the catalog, with the UK classification levels.
    pub fn new(
        policies: &'a PolicySet,
        catalog: &'a ringfence_intel::catalog::Catalog,
    ) -> Judge<'a> {
        Judge::with_facts(policies, catalog)
    }

    /// A judge over any source of ownership facts (tests use hand-built organisations).
    pub fn with_facts(
        policies: &'a PolicySet,
        facts: &'a (dyn OwnershipFacts + Sync),
    ) -> Judge<'a> {
        let names = policies.names.clone();
        let mut everything: BTreeSet<String> = BTreeSet::new();
        let mut uids: Vec<EntityUid> = Vec::new();
        let mut push = |uid: EntityUid, uids: &mut Vec<EntityUid>| {
            if everything.insert(uid.to_string()) {
                uids.push(uid);
            }
        };
        for uid in &policies.named_entities {
            push(uid.clone(), &mut uids);
        }
        for org in facts.organisations() {
            push(names.organisation(&org.id), &mut uids);
            for country in [&org.incorporated, &org.headquarters] {
                if let Some(code) = country_code(country) {
                    push(names.jurisdiction(&code), &mut uids);
                }
            }
        }
        Judge {
            policies,
            facts,
            names,
            levels: uk_levels(),
            everything: uids,
            authorizer: Authorizer::new(),
            cache: HashMap::new(),
            evaluations: 0,
        }
    }

    /// Uses the estate's own ordered classification levels (lowest first) for
    /// `classification_rank`, instead of the UK levels.
    pub fn with_levels(mut self, levels: &[String]) -> Judge<'a> {
        self.levels = levels.to_vec();
        self.cache.clear();
        self
    }

    /// Egress from a host of `system` (None: host not in the estate) by `product` (None:
    /// unattributed) to `destination`. Cached per distinct (system, product, operator,
    /// destination countries per basis) tuple.
    pub fn egress(
        &mut self,
        system: Option<&System>,
        product: Option<&Product>,
        destination: &Destination,
    ) -> Verdict {
        let facts = self.facts;
        let operator = facts.operator_of(destination);
        let key = Key {
            action: Action::Egress,
            system: system.map(|s| s.id.clone()),
            product: product.map(|p| p.id.clone()),
            operator: operator.map(|o| o.id.clone()),
            countries: Countries::of(destination),
        };
        if let Some(verdict) = self.cache.get(&key) {
            return verdict.clone();
        }
        let verdict = self.judge_egress(system, product, operator, &key.countries);
        self.remember(key, verdict.clone());
        verdict
    }

    /// A product installed on a host of `system` (None: host not in the estate).
    pub fn install(&mut self, system: Option<&System>, product: &Product) -> Verdict {
        let key = Key {
            action: Action::Install,
            system: system.map(|s| s.id.clone()),
            product: Some(product.id.clone()),
            operator: None,
            countries: Countries::default(),
        };
        if let Some(verdict) = self.cache.get(&key) {
            return verdict.clone();
        }
        let verdict = self.judge_install(system, product);
        self.remember(key, verdict.clone());
        verdict
    }

    /// How many Cedar evaluations the judge has run (cache misses times the shapes tried).
    pub fn evaluations(&self) -> u64 {
        self.evaluations
    }

    /// Forgets every cached verdict (benchmarks measure uncached decisions with it).
    pub fn clear_cache(&mut self) {
        self.cache.clear();
    }

    /// How many distinct tuples are cached.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    fn remember(&mut self, key: Key, verdict: Verdict) {
        if self.cache.len() >= MAX_CACHED_VERDICTS {
            self.cache.clear();
        }
        self.cache.insert(key, verdict);
    }

    fn judge_install(&mut self, system: Option<&System>, product: &Product) -> Verdict {
        let (systems, mut reasons) = self.system_shapes(system);
        let mut outcomes = Vec::new();
        for view in &systems {
            let mut store = Store::default();
            let principal = store.add_system(&self.names, view);
            let resource = store.add_product(&self.names, self.facts, product);
            let outcome = self.evaluate(
                store,
                principal,
                self.names.install.clone(),
                resource,
                Context::empty(),
            );
            if disagree(&outcomes, &outcome) {
                outcomes.push(outcome);
                break;
            }
            outcomes.push(outcome);
        }
        combine(outcomes, &mut reasons)
    }

    fn judge_egress(
        &mut self,
        system: Option<&System>,
        product: Option<&Product>,
        operator: Option<&Organisation>,
        countries: &Countries,
    ) -> Verdict {
        let (systems, mut reasons) = self.system_shapes(system);
        let product_shapes: Vec<Shape> = match product {
            Some(_) => vec![Shape::Actual],
            None => {
                reasons.push(REASON_PRODUCT.to_string());
                std::iter::once(Shape::Actual)
                    .chain(
                        CATEGORIES
                            .iter()
                            .flat_map(|c| [Shape::Inside(*c), Shape::Outside(*c)]),
                    )
                    .collect()
            }
        };
        let operator_shapes: Vec<Shape> = match operator {
            Some(_) => vec![Shape::Actual],
            None => {
                reasons.push(REASON_OPERATOR.to_string());
                vec![
                    Shape::Actual,
                    Shape::Inside(ProductCategory::Other),
                    Shape::Outside(ProductCategory::Other),
                ]
            }
        };
        let mut outcomes = Vec::new();
        'shapes: for op_shape in &operator_shapes {
            for product_shape in &product_shapes {
                for view in &systems {
                    let outcome = self.evaluate_egress(
                        view,
                        product,
                        *product_shape,
                        operator,
                        *op_shape,
                        countries,
                    );
                    let split = disagree(&outcomes, &outcome);
                    outcomes.push(outcome);
                    if split {
                        break 'shapes;
                    }
                }
            }
        }
        combine(outcomes, &mut reasons)
    }

    fn evaluate_egress(
        &mut self,
        view: &SystemView,
        product: Option<&Product>,
        product_shape: Shape,
        operator: Option<&Organisation>,
        operator_shape: Shape,
        countries: &Countries,
    ) -> Outcome {
        let names = &self.names;
        let mut store = Store::default();
        let principal = store.add_system(names, view);
        let product_uid = match (product, product_shape) {
            (Some(p), _) => Some(store.add_product(names, self.facts, p)),
            (None, Shape::Actual) => None,
            (None, Shape::Inside(c)) => {
                Some(store.add_stand_in_product(names, c, &self.everything))
            }
            (None, Shape::Outside(c)) => Some(store.add_stand_in_product(names, c, &[])),
        };
        let operator_uid = match (operator, operator_shape) {
            (Some(o), _) => Some(store.add_organisation(names, self.facts, o)),
            (None, Shape::Actual) => None,
            (None, Shape::Inside(_)) => {
                Some(store.add_stand_in_organisation(names, "(unknown operator)", &self.everything))
            }
            (None, Shape::Outside(_)) => {
                Some(store.add_stand_in_organisation(names, "(unknown operator)", &[]))
            }
        };
        let resource = store.add_destination(names, countries, operator_uid, operator.is_some());
        let mut pairs = vec![(
            "attributed".to_string(),
            RestrictedExpression::new_bool(product.is_some()),
        )];
        if let Some(uid) = product_uid {
            pairs.push((
                "product".to_string(),
                RestrictedExpression::new_entity_uid(uid),
            ));
        }
        let context = match Context::from_pairs(pairs) {
            Ok(context) => context,
            Err(e) => return Outcome::Failed(vec![format!("context could not be built: {e}")]),
        };
        let action = self.names.egress.clone();
        self.evaluate(store, principal, action, resource, context)
    }

    fn evaluate(
        &mut self,
        store: Store,
        principal: EntityUid,
        action: EntityUid,
        resource: EntityUid,
        context: Context,
    ) -> Outcome {
        self.evaluations = self.evaluations.saturating_add(1);
        let schema = &self.policies.schema;
        let entities = match Entities::from_entities(store.into_entities(), Some(schema)) {
            Ok(entities) => entities,
            Err(e) => return Outcome::Failed(vec![format!("entities do not fit the schema: {e}")]),
        };
        let request = match Request::new(principal, action, resource, context, Some(schema)) {
            Ok(request) => request,
            Err(e) => {
                return Outcome::Failed(vec![format!("request does not fit the schema: {e}")]);
            }
        };
        let response = self
            .authorizer
            .is_authorized(&request, &self.policies.cedar, &entities);
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(|e| format!("policy could not be evaluated: {e}"))
            .collect();
        if !errors.is_empty() {
            // A policy that errs might have decided otherwise: never let it pass silently.
            return Outcome::Failed(errors);
        }
        let mut policies: Vec<String> = response
            .diagnostics()
            .reason()
            .map(|id| id.to_string())
            .collect();
        policies.sort();
        let decision = match response.decision() {
            cedar_policy::Decision::Allow => Decision::Allow,
            cedar_policy::Decision::Deny => Decision::Deny,
        };
        Outcome::Decided { decision, policies }
    }

    /// The system as the policies see it, or every shape it could take when unknown.
    fn system_shapes(&self, system: Option<&System>) -> (Vec<SystemView>, Vec<String>) {
        let ranks: Vec<(i64, String)> = if self.levels.is_empty() {
            vec![(0, String::new())]
        } else {
            (0i64..).zip(self.levels.iter().cloned()).collect()
        };
        match system {
            Some(s) => {
                let view = |rank: i64| SystemView {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    classification: s.classification.clone(),
                    rank,
                    national_security: s.national_security,
                    cni: s.cni,
                    in_estate: true,
                };
                match self.levels.iter().position(|l| *l == s.classification) {
                    Some(rank) => (
                        vec![view(i64::try_from(rank).unwrap_or(i64::MAX))],
                        Vec::new(),
                    ),
                    None => (
                        ranks.iter().map(|(rank, _)| view(*rank)).collect(),
                        vec![REASON_CLASSIFICATION.to_string()],
                    ),
                }
            }
            None => {
                let mut views = Vec::new();
                for (rank, level) in &ranks {
                    for (national_security, cni) in
                        [(true, true), (false, false), (true, false), (false, true)]
                    {
                        views.push(SystemView {
                            id: "(not in estate)".to_string(),
                            name: String::new(),
                            classification: level.clone(),
                            rank: *rank,
                            national_security,
                            cni,
                            in_estate: false,
                        });
                    }
                }
                (views, vec![REASON_HOST.to_string()])
            }
        }
    }
}

/// True when `next` differs from an outcome already seen.
fn disagree(seen: &[Outcome], next: &Outcome) -> bool {
    seen.first()
        .is_some_and(|first| decision_of(first) != decision_of(next))
}

fn decision_of(outcome: &Outcome) -> Option<Decision> {
    match outcome {
        Outcome::Decided { decision, .. } => Some(*decision),
        Outcome::Failed(_) => None,
    }
}

/// One verdict from the outcomes of every shape tried. `reasons` holds the missing facts.
fn combine(outcomes: Vec<Outcome>, reasons: &mut Vec<String>) -> Verdict {
    let mut failures: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Failed(errors) => Some(errors.clone()),
            Outcome::Decided { .. } => None,
        })
        .flatten()
        .collect();
    let decisions: BTreeSet<Option<Decision>> = outcomes.iter().map(decision_of).collect();
    let mut union: BTreeSet<String> = BTreeSet::new();
    let mut common: Option<BTreeSet<String>> = None;
    for outcome in &outcomes {
        if let Outcome::Decided { policies, .. } = outcome {
            let set: BTreeSet<String> = policies.iter().cloned().collect();
            union.extend(set.iter().cloned());
            common = Some(match common {
                None => set,
                Some(c) => c.intersection(&set).cloned().collect(),
            });
        }
    }
    let agreed = match decisions.iter().next() {
        Some(Some(decision)) if decisions.len() == 1 => Some(*decision),
        _ => None,
    };
    match agreed {
        Some(decision) => {
            // Every shape of the missing facts gave this decision: a policy decided regardless,
            // and the missing facts are not reasons for anything.
            reasons.clear();
            let common = common.unwrap_or_default();
            let policies: Vec<String> = if common.is_empty() {
                union.into_iter().collect()
            } else {
                common.into_iter().collect()
            };
            if decision == Decision::Deny && policies.is_empty() {
                reasons.push(REASON_NO_PERMIT.to_string());
            }
            Verdict {
                decision,
                policies,
                reasons: std::mem::take(reasons),
            }
        }
        None => {
            failures.sort();
            failures.dedup();
            reasons.extend(failures);
            Verdict {
                decision: Decision::Unknown,
                policies: union.into_iter().collect(),
                reasons: std::mem::take(reasons),
            }
        }
    }
}
