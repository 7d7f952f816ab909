//! `rpm -qa` output → RPM package installations.
//!
//! One package a line as rpm's default query format writes it: `name-version-release.arch`
//! (`%{NVRA}`; `%{NEVRA}` adds `epoch:` before the version), or `name-version-release` for
//! packages without an architecture (`gpg-pubkey-…`) and older rpm versions. Names contain dashes
//! (`kesl-gui`, `perl-Data-Dumper`) but versions and releases cannot, so the release is after the
//! last dash and the version after the one before; the architecture is the part after the last
//! dot only when it is an architecture rpm knows (a release like `1.el9` has dots too). The
//! version reported is `[epoch:]version-release`, as for osquery's `rpm_packages`. The listing
//! names no host. Evidence references give the line.

use super::output::Output;
use crate::logs::lines::LinePosition;
use ringfence_model::{HostIdentity, InstallSource, Installation};

/// Architectures rpm builds for (and `src`/`nosrc` for source packages).
const ARCHES: [&str; 26] = [
    "noarch",
    "x86_64",
    "i386",
    "i486",
    "i586",
    "i686",
    "athlon",
    "aarch64",
    "armv7hl",
    "armv7l",
    "armv6hl",
    "armhfp",
    "ppc",
    "ppc64",
    "ppc64le",
    "ppc64p7",
    "s390",
    "s390x",
    "riscv64",
    "loongarch64",
    "mips64el",
    "e2k",
    "e2kv4",
    "ia64",
    "src",
    "nosrc",
];

/// A package line taken apart.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Nevra<'a> {
    pub(crate) name: &'a str,
    /// `[epoch:]version-release`.
    pub(crate) version: &'a str,
    pub(crate) arch: Option<&'a str>,
}

/// Splits `name-[epoch:]version-release[.arch]`; `None` when the line is not one.
pub(crate) fn nevra(line: &str) -> Option<Nevra<'_>> {
    if line.is_empty() || line.len() > 1024 || line.contains(char::is_whitespace) {
        return None;
    }
    let (rest, arch) = match line.rsplit_once('.') {
        Some((rest, arch)) if ARCHES.contains(&arch) => (rest, Some(arch)),
        _ => (line, None),
    };
    let (name_version, release) = rest.rsplit_once('-')?;
    let (name, version) = name_version.rsplit_once('-')?;
    let plausible = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._+~^:".contains(c))
    };
    let name_ok = name.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    if !(name_ok && plausible(version) && plausible(release)) {
        return None;
    }
    let version = line.get(name.len() + 1..rest.len())?;
    Some(Nevra {
        name,
        version,
        arch,
    })
}

pub(crate) fn line(out: &mut Output<'_>, at: LinePosition, line: &str) {
    let line = line.trim();
    if line.is_empty() {
        return;
    }
    out.counts.records += 1;
    let Some(package) = nevra(line) else {
        out.problem(
            at.offset,
            format!(
                "line {}: not a `name-version-release.arch` package",
                at.number
            ),
        );
        return;
    };
    let evidence = out.at(at.number, at.offset);
    out.installation(Installation {
        host: HostIdentity::default(),
        source: InstallSource::RpmPackage,
        name: package.name.to_owned(),
        version: Some(package.version.to_owned()),
        publisher: None,
        product: None,
        location: None,
        hashes: None,
        time: None,
        present: true,
        evidence,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_dashes_and_releases_their_dots() {
        let cases = [
            (
                "kesl-12.1.0-1234.x86_64",
                "kesl",
                "12.1.0-1234",
                Some("x86_64"),
            ),
            (
                "kesl-gui-12.1.0-1234.x86_64",
                "kesl-gui",
                "12.1.0-1234",
                Some("x86_64"),
            ),
            (
                "perl-Data-Dumper-2.183-1.el9.noarch",
                "perl-Data-Dumper",
                "2.183-1.el9",
                Some("noarch"),
            ),
            ("bash-5.1.8-6.el9_1", "bash", "5.1.8-6.el9_1", None),
            (
                "gpg-pubkey-fd431d51-4ae0493b",
                "gpg-pubkey",
                "fd431d51-4ae0493b",
                None,
            ),
            (
                "shadow-utils-2:4.9-8.el9.x86_64",
                "shadow-utils",
                "2:4.9-8.el9",
                Some("x86_64"),
            ),
            (
                "libstdc++-11.3.1-4.3.el9.x86_64",
                "libstdc++",
                "11.3.1-4.3.el9",
                Some("x86_64"),
            ),
        ];
        for (line, name, version, arch) in cases {
            assert_eq!(
                nevra(line),
                Some(Nevra {
                    name,
                    version,
                    arch
                }),
                "{line}"
            );
        }
        for bad in [
            "",
            "bash",
            "bash-5.1",
            "two words-1-2.x86_64",
            "-1-2",
            "a-1-2-",
            "{\"a\":1}",
        ] {
            assert_eq!(nevra(bad), None, "{bad}");
        }
    }
}
