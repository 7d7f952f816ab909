//! Cost of one verdict: from the cache, and uncached (the cache cleared before each decision, so
//! every call builds the entities and runs Cedar). The facts are hand-built, like the tests'.

use criterion::{Criterion, criterion_group, criterion_main};
use ringfence_model::{
    Basis, Destination, FactSource, Organisation, Product, ProductCategory, SourceAnswer, System,
};
use ringfence_policy::{Judge, OwnershipFacts, PolicySet};
use std::hint::black_box;

struct Facts(Vec<Organisation>);

impl OwnershipFacts for Facts {
    fn organisation(&self, id: &str) -> Option<&Organisation> {
        self.0.iter().find(|o| o.id == id)
    }
    fn organisations(&self) -> &[Organisation] {
        &self.0
    }
    fn operator_of(&self, destination: &Destination) -> Option<&Organisation> {
        let asns = destination.asns();
        self.0
            .iter()
            .find(|o| o.asns.iter().any(|a| asns.contains(a)))
    }
}

fn org(id: &str, parent: Option<&str>, country: &str, asns: &[u32]) -> Organisation {
    Organisation {
        id: id.into(),
        name: id.into(),
        parent: parent.map(String::from),
        incorporated: country.into(),
        headquarters: country.into(),
        asns: asns.to_vec(),
        hosts_others: false,
        sources: vec![FactSource {
            url: "https://example.invalid".into(),
            checked: "2026-01-01".into(),
        }],
    }
}

fn product(id: &str, vendor: &str) -> Product {
    Product {
        id: id.into(),
        name: id.into(),
        vendor: vendor.into(),
        category: ProductCategory::AntiVirus,
        process_images: Vec::new(),
        package_names: Vec::new(),
        endpoints: Vec::new(),
        networks: Vec::new(),
        sources: Vec::new(),
    }
}

fn answer(basis: Basis, country: Option<&str>, asn: Option<u32>) -> SourceAnswer {
    SourceAnswer {
        source: "bench".into(),
        basis,
        country: country.map(String::from),
        asn,
        organisation: None,
        network: None,
    }
}

fn bench(c: &mut Criterion) {
    let policies = PolicySet::load(&["ncsc-2017".to_string(), "bod-17-01".to_string()])
        .expect("bundled packs load");
    let facts = Facts(vec![
        org("ao-kaspersky-lab", None, "RU", &[]),
        org(
            "kaspersky-lab-switzerland",
            Some("ao-kaspersky-lab"),
            "CH",
            &[64512],
        ),
        org("eset", None, "SK", &[64513]),
    ]);
    let system = System {
        id: "secret".into(),
        name: "secret".into(),
        classification: "SECRET".into(),
        national_security: true,
        cni: false,
        hosts: Vec::new(),
    };
    let kaspersky = product("kes", "kaspersky-lab-switzerland");
    let destination = Destination {
        address: "77.74.181.1".parse().expect("address"),
        answers: vec![
            answer(Basis::RoutingCountry, Some("CH"), None),
            answer(Basis::RegistryCountry, Some("RU"), None),
            answer(Basis::AsnOrganisation, None, Some(64512)),
        ],
    };
    let unknown = Destination {
        address: "192.0.2.1".parse().expect("address"),
        answers: vec![
            answer(Basis::RoutingCountry, Some("DE"), None),
            answer(Basis::AsnOrganisation, None, Some(64999)),
        ],
    };

    let mut judge = Judge::with_facts(&policies, &facts);
    judge.egress(Some(&system), Some(&kaspersky), &destination);
    c.bench_function("egress cached", |b| {
        b.iter(|| {
            judge.egress(
                black_box(Some(&system)),
                black_box(Some(&kaspersky)),
                black_box(&destination),
            )
        })
    });
    c.bench_function("egress uncached, facts known", |b| {
        b.iter(|| {
            judge.clear_cache();
            judge.egress(
                black_box(Some(&system)),
                black_box(Some(&kaspersky)),
                black_box(&destination),
            )
        })
    });
    c.bench_function("egress uncached, product and operator unknown", |b| {
        b.iter(|| {
            judge.clear_cache();
            judge.egress(black_box(Some(&system)), None, black_box(&unknown))
        })
    });
    c.bench_function("egress uncached, host outside estate, facts known", |b| {
        b.iter(|| {
            judge.clear_cache();
            judge.egress(None, black_box(Some(&kaspersky)), black_box(&destination))
        })
    });
    c.bench_function("install uncached", |b| {
        b.iter(|| {
            judge.clear_cache();
            judge.install(black_box(Some(&system)), black_box(&kaspersky))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
