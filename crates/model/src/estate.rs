use serde::{Deserialize, Serialize};

/// The user's description of their systems: which hosts belong to which system, and how
/// sensitive each system is. Read from a TOML file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Estate {
    /// Classification levels, lowest first; defaults to the UK Government Security Classifications.
    #[serde(default = "uk_levels")]
    pub levels: Vec<String>,
    #[serde(default, rename = "system")]
    pub systems: Vec<System>,
}

/// The UK Government Security Classifications (2014, as updated), lowest first.
pub fn uk_levels() -> Vec<String> {
    ["OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"]
        .map(String::from)
        .to_vec()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// Stable identifier, e.g. `finance-desktops`.
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// One of the estate's `levels`.
    pub classification: String,
    /// Data whose compromise would harm national security.
    #[serde(default)]
    pub national_security: bool,
    /// Critical national infrastructure.
    #[serde(default)]
    pub cni: bool,
    /// Member hosts: addresses (`10.20.0.5`), CIDR ranges (`10.20.0.0/24`) or hostnames.
    pub hosts: Vec<String>,
}
