//! The schema and packs shipped in the repository's `policies/` folder, compiled in so the binary
//! needs no files at run time.

/// One policy file of a bundled pack: its name as errors show it, and its text.
pub(crate) struct BundledFile {
    pub name: &'static str,
    pub text: &'static str,
}

/// A bundled pack: its name on the command line and its files.
pub(crate) struct BundledPack {
    pub name: &'static str,
    pub files: &'static [BundledFile],
}

macro_rules! policy_file {
    ($path:literal) => {
        BundledFile {
            name: concat!("policies/", $path),
            text: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../policies/",
                $path
            )),
        }
    };
}

/// The Cedar schema every policy is validated against (`policies/ringfence.cedarschema`).
pub(crate) const SCHEMA_NAME: &str = "policies/ringfence.cedarschema";
pub(crate) const SCHEMA_TEXT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../policies/ringfence.cedarschema"
));

/// Every bundled pack. A test checks that each `policies/<pack>/*.cedar` file is listed here.
pub(crate) const PACKS: &[BundledPack] = &[
    BundledPack {
        name: "ncsc-2017",
        files: &[
            policy_file!("ncsc-2017/egress.cedar"),
            policy_file!("ncsc-2017/install.cedar"),
        ],
    },
    BundledPack {
        name: "bod-17-01",
        files: &[policy_file!("bod-17-01/bod-17-01.cedar")],
    },
];

/// The names of the bundled packs, in the order they are listed.
pub fn pack_names() -> Vec<&'static str> {
    PACKS.iter().map(|p| p.name).collect()
}

/// The bundled schema's text, for tools that show or export it.
pub fn schema_text() -> &'static str {
    SCHEMA_TEXT
}

pub(crate) fn pack(name: &str) -> Option<&'static BundledPack> {
    PACKS.iter().find(|p| p.name == name)
}
