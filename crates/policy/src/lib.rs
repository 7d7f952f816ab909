//! Policy: the Cedar schema for ringfence facts, the bundled packs (`policies/`), loading and
//! validating the user's policies, and verdicts (allow, deny or unknown, with the deciding
//! policies) for installations and egress. See the crate's README for the entity model and how
//! unknown is decided.

mod bundled;
mod entities;
mod error;
mod facts;
mod judge;
mod location;
mod policy_set;

pub use bundled::{pack_names, schema_text};
pub use error::{Diagnostic, PolicyError};
pub use facts::OwnershipFacts;
pub use judge::{
    Judge, MAX_CACHED_VERDICTS, REASON_CLASSIFICATION, REASON_HOST, REASON_NO_PERMIT,
    REASON_OPERATOR, REASON_PRODUCT,
};
pub use location::Location;
pub use policy_set::{MAX_POLICY_FILE_BYTES, PolicySet, PolicySource};
