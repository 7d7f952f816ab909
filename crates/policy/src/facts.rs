//! The catalog facts the Judge needs, as a trait so that the Judge can be exercised with hand-built
//! organisations as well as with the real catalog.

use ringfence_model::{Destination, Organisation};

/// Who owns whom, and who operates a destination's network.
pub trait OwnershipFacts {
    /// The organisation with this catalog id.
    fn organisation(&self, id: &str) -> Option<&Organisation>;
    /// Every organisation (stand-ins for unknown facts are placed inside all of them).
    fn organisations(&self) -> &[Organisation];
    /// The organisation operating a destination's network, when the catalog knows it.
    fn operator_of(&self, destination: &Destination) -> Option<&Organisation>;
}

impl OwnershipFacts for ringfence_intel::catalog::Catalog {
    fn organisation(&self, id: &str) -> Option<&Organisation> {
        ringfence_intel::catalog::Catalog::organisation(self, id)
    }
    fn organisations(&self) -> &[Organisation] {
        ringfence_intel::catalog::Catalog::organisations(self)
    }
    fn operator_of(&self, destination: &Destination) -> Option<&Organisation> {
        ringfence_intel::catalog::Catalog::operator_of(self, destination)
    }
}
