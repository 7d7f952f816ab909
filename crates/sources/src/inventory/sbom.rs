//! CycloneDX (1.2–1.6) and SPDX (2.2, 2.3) JSON documents → SBOM component installations.
//!
//! **CycloneDX**: every entry of `components`, nested `components` included (walked level by
//! level with a queue, not by recursion, so nesting depth costs no stack). Name, version, package
//! URL (as `product`), and as publisher the first of `publisher`, `supplier.name`,
//! `manufacturer.name` and `author`. The time is `metadata.timestamp`. The host: the
//! `metadata.component` when its type is `device` (the BOM describes that machine), else a
//! `metadata.properties` or `metadata.component.properties` entry named `hostname`, `host`,
//! `host.name` or `…:hostname`. The real examples (CycloneDX's bom-examples) describe an
//! application in `metadata.component`, even the OBOM (Keycloak, whose `operating-system`
//! component is "Red Hat Enterprise Linux", a product, not a host), so they name no host.
//! Components of type `device` are hardware, not software: counted as other records.
//!
//! **SPDX**: every entry of `packages`. Name, `versionInfo`, the `purl` external reference (as
//! `product`), and as publisher `supplier` or else `originator` without its `Organization:` /
//! `Person:` prefix (`NOASSERTION` is no publisher). The time is `creationInfo.created`. The host
//! is the name of a package whose `primaryPackagePurpose` is `DEVICE` (that package itself is
//! counted as another record). The document `name` is not taken as a host: in the real examples
//! it names the software or is a generated identifier (`SBOM-SPDX-2d85f548-…`).
//!
//! Evidence references give the component's number (in reading order) and offset.

use super::json::{Text, error_offset, for_each_element, offset_in};
use super::output::Output;
use super::text::{Document, StreamOffsets};
use crate::logs::time::iso8601;
use ringfence_model::{HostIdentity, InstallSource, Installation, Timestamp};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::VecDeque;

#[derive(Deserialize)]
struct Bom<'a> {
    #[serde(borrow, default)]
    metadata: Option<Metadata<'a>>,
    #[serde(borrow, default)]
    components: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Metadata<'a> {
    #[serde(borrow, default)]
    timestamp: Text<'a>,
    #[serde(borrow, default)]
    component: Option<Component<'a>>,
    #[serde(borrow, default)]
    properties: Option<&'a RawValue>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Component<'a> {
    #[serde(borrow, rename = "type")]
    kind: Text<'a>,
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    version: Text<'a>,
    #[serde(borrow)]
    publisher: Text<'a>,
    #[serde(borrow)]
    author: Text<'a>,
    #[serde(borrow)]
    supplier: Option<Entity<'a>>,
    #[serde(borrow)]
    manufacturer: Option<Entity<'a>>,
    #[serde(borrow)]
    purl: Text<'a>,
    #[serde(borrow)]
    components: Option<&'a RawValue>,
    #[serde(borrow)]
    properties: Option<&'a RawValue>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Entity<'a> {
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Deserialize)]
struct Property<'a> {
    #[serde(borrow, default)]
    name: Text<'a>,
    #[serde(borrow, default)]
    value: Text<'a>,
}

/// What every component of one document shares.
struct Shared {
    host: HostIdentity,
    time: Option<Timestamp>,
    number: u64,
}

pub(crate) fn cyclonedx(out: &mut Output<'_>, document: &Document) {
    let text = document.text.as_str();
    let mut offsets = document.offsets();
    let bom: Bom<'_> = match serde_json::from_str(text) {
        Ok(bom) => bom,
        Err(e) => {
            let at = offsets.stream(error_offset(text, &e));
            out.problem(at, format!("not a CycloneDX document: {e}"));
            return;
        }
    };
    let metadata = bom.metadata.as_ref();
    let mut shared = Shared {
        host: HostIdentity {
            name: metadata.and_then(cyclonedx_host),
            address: None,
        },
        time: metadata.and_then(|m| iso8601(m.timestamp.get()?.as_bytes())),
        number: 0,
    };
    let mut queue: VecDeque<&RawValue> = bom.components.into_iter().collect();
    while let Some(array) = queue.pop_front() {
        let walked = for_each_element(array, |raw| {
            shared.number += 1;
            let offset = offsets.stream(offset_in(text, raw.get()));
            let component: Component<'_> = match serde_json::from_str(raw.get()) {
                Ok(component) => component,
                Err(e) => {
                    out.counts.records += 1;
                    out.problem(offset, format!("component {}: {e}", shared.number));
                    return;
                }
            };
            if let Some(children) = component.components {
                queue.push_back(children);
            }
            cyclonedx_component(out, &shared, &component, offset);
        });
        if let Err(e) = walked {
            let at = offset_in(text, array.get()) + error_offset(array.get(), &e);
            out.problem(offsets.stream(at), format!("components: {e}"));
        }
    }
}

fn cyclonedx_component(
    out: &mut Output<'_>,
    shared: &Shared,
    component: &Component<'_>,
    offset: u64,
) {
    out.counts.records += 1;
    if component.kind.get() == Some("device") {
        out.counts.other_records += 1;
        return;
    }
    let Some(name) = component.name.owned() else {
        out.problem(offset, format!("component {}: no name", shared.number));
        return;
    };
    let publisher = component
        .publisher
        .owned()
        .or_else(|| component.supplier.as_ref().and_then(|s| s.name.owned()))
        .or_else(|| component.manufacturer.as_ref().and_then(|m| m.name.owned()))
        .or_else(|| component.author.owned());
    let evidence = out.at(shared.number, offset);
    out.installation(Installation {
        host: shared.host.clone(),
        source: InstallSource::SbomComponent,
        name,
        version: component.version.owned(),
        publisher,
        product: component.purl.owned(),
        location: None,
        hashes: None,
        time: shared.time,
        present: true,
        evidence,
    });
}

fn cyclonedx_host(metadata: &Metadata<'_>) -> Option<String> {
    let component = metadata.component.as_ref();
    if let Some(name) = component
        .filter(|c| c.kind.get() == Some("device"))
        .and_then(|device| device.name.owned())
    {
        return Some(name);
    }
    [metadata.properties, component.and_then(|c| c.properties)]
        .into_iter()
        .flatten()
        .find_map(host_property)
}

/// The value of the first host-naming property in a `properties` array.
fn host_property(properties: &RawValue) -> Option<String> {
    let mut found = None;
    // A malformed properties array names no host; the components are still read.
    let _ = for_each_element(properties, |raw| {
        if found.is_some() {
            return;
        }
        let Ok(property) = serde_json::from_str::<Property<'_>>(raw.get()) else {
            return;
        };
        let names_host = property.name.get().is_some_and(|name| {
            let name = name.to_ascii_lowercase();
            matches!(name.as_str(), "hostname" | "host" | "host.name")
                || name.ends_with(":hostname")
        });
        if names_host {
            found = property.value.owned();
        }
    });
    found
}

#[derive(Deserialize)]
struct SpdxDocument<'a> {
    #[serde(borrow, default, rename = "creationInfo")]
    creation_info: Option<CreationInfo<'a>>,
    #[serde(borrow, default)]
    packages: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct CreationInfo<'a> {
    #[serde(borrow, default)]
    created: Text<'a>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Package<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow, rename = "versionInfo")]
    version_info: Text<'a>,
    #[serde(borrow)]
    supplier: Text<'a>,
    #[serde(borrow)]
    originator: Text<'a>,
    #[serde(borrow, rename = "primaryPackagePurpose")]
    purpose: Text<'a>,
    #[serde(borrow, rename = "externalRefs")]
    external_refs: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ExternalRef<'a> {
    #[serde(borrow, default, rename = "referenceType")]
    reference_type: Text<'a>,
    #[serde(borrow, default, rename = "referenceLocator")]
    reference_locator: Text<'a>,
}

pub(crate) fn spdx(out: &mut Output<'_>, document: &Document) {
    let text = document.text.as_str();
    let mut offsets = document.offsets();
    let spdx: SpdxDocument<'_> = match serde_json::from_str(text) {
        Ok(spdx) => spdx,
        Err(e) => {
            let at = offsets.stream(error_offset(text, &e));
            out.problem(at, format!("not an SPDX document: {e}"));
            return;
        }
    };
    let Some(packages) = spdx.packages else {
        return;
    };
    let mut shared = Shared {
        host: HostIdentity {
            name: spdx_device(packages),
            address: None,
        },
        time: spdx
            .creation_info
            .as_ref()
            .and_then(|c| iso8601(c.created.get()?.as_bytes())),
        number: 0,
    };
    let walked = for_each_element(packages, |raw| {
        shared.number += 1;
        spdx_package(out, &shared, raw, &mut offsets, text);
    });
    if let Err(e) = walked {
        let at = offset_in(text, packages.get()) + error_offset(packages.get(), &e);
        out.problem(offsets.stream(at), format!("packages: {e}"));
    }
}

fn spdx_package(
    out: &mut Output<'_>,
    shared: &Shared,
    raw: &RawValue,
    offsets: &mut StreamOffsets<'_>,
    text: &str,
) {
    out.counts.records += 1;
    let offset = offsets.stream(offset_in(text, raw.get()));
    let package: Package<'_> = match serde_json::from_str(raw.get()) {
        Ok(package) => package,
        Err(e) => {
            out.problem(offset, format!("package {}: {e}", shared.number));
            return;
        }
    };
    if package.purpose.get() == Some("DEVICE") {
        out.counts.other_records += 1;
        return;
    }
    let Some(name) = package.name.owned() else {
        out.problem(offset, format!("package {}: no name", shared.number));
        return;
    };
    let evidence = out.at(shared.number, offset);
    out.installation(Installation {
        host: shared.host.clone(),
        source: InstallSource::SbomComponent,
        name,
        version: package.version_info.owned(),
        publisher: spdx_party(&package.supplier).or_else(|| spdx_party(&package.originator)),
        product: package.external_refs.and_then(purl),
        location: None,
        hashes: None,
        time: shared.time,
        present: true,
        evidence,
    });
}

/// The name of the first package that is a device.
fn spdx_device(packages: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Purpose<'a> {
        #[serde(borrow, default)]
        name: Text<'a>,
        #[serde(borrow, default, rename = "primaryPackagePurpose")]
        purpose: Text<'a>,
    }
    let mut found = None;
    // Unreadable packages are reported when the packages are read.
    let _ = for_each_element(packages, |raw| {
        if found.is_none()
            && let Ok(package) = serde_json::from_str::<Purpose<'_>>(raw.get())
            && package.purpose.get() == Some("DEVICE")
        {
            found = package.name.owned();
        }
    });
    found
}

/// `Organization: Name (email)` or `Person: Name` → `Name (email)`; `NOASSERTION` → none.
fn spdx_party(text: &Text<'_>) -> Option<String> {
    let text = text.get()?;
    let name = ["Organization:", "Person:", "Tool:"]
        .iter()
        .find_map(|prefix| text.strip_prefix(prefix))
        .unwrap_or(text)
        .trim();
    (!name.is_empty() && name != "NOASSERTION" && name != "NONE").then(|| name.to_owned())
}

/// The first `purl` external reference.
fn purl(refs: &RawValue) -> Option<String> {
    let mut found = None;
    let _ = for_each_element(refs, |raw| {
        if found.is_none()
            && let Ok(reference) = serde_json::from_str::<ExternalRef<'_>>(raw.get())
            && reference.reference_type.get() == Some("purl")
        {
            found = reference.reference_locator.owned();
        }
    });
    found
}
