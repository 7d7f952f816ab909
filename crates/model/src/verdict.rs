use serde::{Deserialize, Serialize};

/// What policy says about an action. Unknown is first-class: it is what an audit says when the
/// product or destination cannot be established and no policy decides regardless.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Deny,
    Unknown,
}

/// A decision with the ids of the policies that made it (sorted), and the reasons for unknowns.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Verdict {
    pub decision: Decision,
    pub policies: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}
