//! The vocabulary of ringfence (see DESIGN.md): evidence, observations and the types every other
//! crate shares. No I/O lives here.

pub mod canonical_json;
mod connection;
mod evidence;
mod names;
mod resolution;
mod timestamp;

pub use connection::{Connection, FlowKey, HttpRequest, TcpState, Transport};
pub use evidence::{Evidence, EvidenceKind, EvidenceRef, ReadProblem};
pub use names::{LearnedName, NameSource};
pub use resolution::Resolution;
pub use timestamp::Timestamp;
