//! The per-connection steps of the audit: orient the connection from the estate's side, look up
//! the remote address, attribute, judge, and fold the result into the aggregate.

use crate::estate_index::EstateIndex;
use crate::findings::{Aggregate, Oriented, Outcome, SystemKey, bounded_name};
use ringfence_intel::catalog::Catalog;
use ringfence_intel::ipdata::IpIntel;
use ringfence_model::{
    Attribution, AttributionBasis, Connection, InstallSource, Installation, Product, Resolution,
};
use ringfence_policy::Judge;
use ringfence_sources::capture::ObservationSink;

/// What every worker shares (read-only).
pub struct Context<'a> {
    pub estate: &'a EstateIndex,
    pub catalog: &'a Catalog,
    pub intel: &'a IpIntel,
}

/// Receives the connections of one evidence file.
pub struct AuditSink<'a, 'j> {
    pub context: &'a Context<'a>,
    pub judge: &'a mut Judge<'j>,
    /// The file's position in the run's evidence list, for a capture (its engine numbers from 0);
    /// `None` when the reader was given the position and numbers observations itself.
    pub evidence: Option<u32>,
    pub aggregate: Aggregate,
}

impl AuditSink<'_, '_> {
    fn fold(&mut self, connection: &Connection) {
        let estate = self.context.estate;
        let key = connection.key;
        // Endpoint evidence names its own host: an address the estate does not list (a VPN or
        // NAT address) still places the connection by the host's name.
        let local_by_name = connection
            .process
            .as_ref()
            .and_then(|p| p.host.as_deref())
            .and_then(|name| estate.system_index_for_name(name));
        let orig = estate.system_index(key.orig_addr);
        let resp = estate.system_index(key.resp_addr);
        let (orig, resp) = match (orig, resp, local_by_name) {
            (None, None, Some(system)) => (Some(system), None),
            known => (known.0, known.1),
        };
        // The estate's host is the local side; between two estate hosts, the one that opened the
        // connection; when neither is in the estate, the originator (reported as not in estate).
        let (oriented, remote, remote_in_estate) = match (orig, resp) {
            (Some(system), _) => (
                Oriented {
                    connection,
                    local: key.orig_addr,
                    system: SystemKey::InEstate(system),
                    bytes_out: connection.orig_bytes,
                    bytes_in: connection.resp_bytes,
                },
                key.resp_addr,
                resp.is_some(),
            ),
            (None, Some(system)) => (
                Oriented {
                    connection,
                    local: key.resp_addr,
                    system: SystemKey::InEstate(system),
                    bytes_out: connection.resp_bytes,
                    bytes_in: connection.orig_bytes,
                },
                key.orig_addr,
                false,
            ),
            (None, None) => (
                Oriented {
                    connection,
                    local: key.orig_addr,
                    system: SystemKey::NotInEstate,
                    bytes_out: connection.orig_bytes,
                    bytes_in: connection.resp_bytes,
                },
                key.resp_addr,
                false,
            ),
        };
        let catalog = self.context.catalog;
        let destination = self.context.intel.destination_shared(remote);
        let attribution = catalog
            .attribute(
                connection,
                &destination,
                connection.process.as_ref().map(|p| p.image.as_str()),
            )
            .map(bounded_attribution);
        if remote_in_estate && attribution.is_none() {
            self.aggregate.add(&oriented, &Outcome::Internal);
            return;
        }
        let product = attribution
            .as_ref()
            .and_then(|a| catalog.product(&a.product));
        let operator = catalog.operator_of(&destination).map(|o| o.id.as_str());
        let system = match oriented.system {
            SystemKey::InEstate(index) => estate.systems().get(index),
            SystemKey::NotInEstate => None,
        };
        let verdict = self.judge.egress(system, product, &destination);
        self.aggregate.add(
            &oriented,
            &Outcome::Judged {
                destination: &destination,
                attribution: attribution.as_ref(),
                operator,
                verdict: &verdict,
            },
        );
    }
}

/// The catalog product a record shows: a running process by its image, anything else by its
/// name, then by its package URL (SBOM components carry one).
fn installed_product<'c>(catalog: &'c Catalog, installation: &Installation) -> Option<&'c Product> {
    match installation.source {
        InstallSource::RunningProcess => installation
            .location
            .as_deref()
            .or(Some(installation.name.as_str()))
            .and_then(|image| catalog.product_for_image(image)),
        _ => catalog.product_for_package(&installation.name).or_else(|| {
            installation
                .product
                .as_deref()
                .filter(|p| p.starts_with("pkg:"))
                .and_then(|purl| catalog.product_for_package(purl))
        }),
    }
}

/// Names and images in an attribution come from the evidence; bound them like learned names.
fn bounded_attribution(attribution: Attribution) -> Attribution {
    let basis = match attribution.basis {
        AttributionBasis::EndpointName { name, pattern } => AttributionBasis::EndpointName {
            name: bounded_name(&name),
            pattern,
        },
        AttributionBasis::ProcessImage { image, pattern } => AttributionBasis::ProcessImage {
            image: bounded_name(&image),
            pattern,
        },
        other => other,
    };
    Attribution {
        product: attribution.product,
        basis,
    }
}

impl ObservationSink for AuditSink<'_, '_> {
    fn connection(&mut self, mut connection: Connection) {
        if let Some(position) = self.evidence {
            connection.evidence.evidence = position;
        }
        self.fold(&connection);
    }

    /// Resolutions already label the connections (the capture engine applies them); the report
    /// does not list them.
    fn resolution(&mut self, _resolution: Resolution) {}

    fn installation(&mut self, mut installation: Installation) {
        if let Some(position) = self.evidence {
            installation.evidence.evidence = position;
        }
        // The report lists hosts by name: bound it like any name the evidence chooses.
        if let Some(name) = &mut installation.host.name {
            *name = bounded_name(name);
        }
        let system = match self
            .context
            .estate
            .system_index_for_host(&installation.host)
        {
            Some(index) => SystemKey::InEstate(index),
            None => SystemKey::NotInEstate,
        };
        let installs = &mut self.aggregate.installs;
        installs.inventoried(system, &installation);
        if let Some(product) = installed_product(self.context.catalog, &installation) {
            installs.add(system, &product.id, &installation);
        }
    }
}
