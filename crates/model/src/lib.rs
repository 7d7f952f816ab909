//! The vocabulary of ringfence (see DESIGN.md): evidence, observations and the types every other
//! crate shares. No I/O lives here.

pub mod canonical_json;
mod catalog;
mod connection;
mod estate;
mod evidence;
mod installation;
mod intel;
mod names;
mod process;
mod resolution;
mod timestamp;
mod verdict;

pub use catalog::{
    Attribution, AttributionBasis, FactSource, Organisation, Product, ProductCategory,
};
pub use connection::{Connection, FlowKey, HttpRequest, TcpState, Transport};
pub use estate::{Estate, System, uk_levels};
pub use evidence::{Evidence, EvidenceKind, EvidenceRef, ReadProblem};
pub use installation::{HostIdentity, InstallSource, Installation};
pub use intel::{Basis, Destination, IntelSource, SourceAnswer};
pub use names::{LearnedName, NameSource};
pub use process::LocalProcess;
pub use resolution::Resolution;
pub use timestamp::Timestamp;
pub use verdict::{Decision, Verdict};
