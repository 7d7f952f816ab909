//! The world map as server-side SVG paths, from world-atlas 2.0.2 `countries-110m.json`
//! (TopoJSON; Natural Earth data).
//!
//! TopoJSON stores shared borders once, as arcs of quantized, delta-encoded positions: an arc's
//! first position is absolute (in quantized units), each next one is a difference. A polygon ring
//! lists arc indices; a negative index `i` means arc `!i` (that is `-i - 1`) walked backwards.
//! Consecutive arcs share their joining position, so every arc after the first drops its first
//! point. Positions become longitude/latitude through `transform` (`scale`, `translate`) and then
//! map coordinates through the Natural Earth projection.

use super::iso::{alpha2_for_numeric, alpha2_for_unnumbered};
use serde_json::Value;
use std::fmt::Write;

/// The atlas file is a few hundred kilobytes; refuse anything absurd before parsing it.
pub const MAX_ATLAS_BYTES: usize = 32 * 1024 * 1024;
/// Positions decoded at most (the 110m atlas has about 10 000).
const MAX_POSITIONS: usize = 4_000_000;
/// Map width in SVG units; the height follows from the projection.
pub const MAP_WIDTH: f64 = 960.0;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MapError {
    #[error("world atlas: {0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> MapError {
    MapError::Invalid(message.into())
}

/// One country's outline, ready for an SVG `<path d="…">`.
#[derive(Clone, Debug, PartialEq)]
pub struct CountryShape {
    /// ISO 3166-1 alpha-2, when the atlas says which country it is.
    pub iso: Option<&'static str>,
    pub name: String,
    pub path: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WorldMap {
    pub width: f64,
    /// The view box's top edge (bands without land are cropped) and height.
    pub top: f64,
    pub height: f64,
    /// The projection's outline, for the sea and for clipping rings drawn past ±180°.
    pub outline: String,
    pub countries: Vec<CountryShape>,
}

/// Natural Earth I (Šavrič, Patterson, Jenny), as d3-geo writes it; radians in, unit plane out.
fn natural_earth(lambda: f64, phi: f64) -> (f64, f64) {
    let phi2 = phi * phi;
    let phi4 = phi2 * phi2;
    let x = lambda
        * (0.8707 - 0.131979 * phi2
            + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4)));
    let y = phi
        * (1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4)));
    (x, y)
}

/// The projection's extent: x at the equator's ends, y at the poles.
fn extent() -> (f64, f64) {
    let (x, _) = natural_earth(std::f64::consts::PI, 0.0);
    let (_, y) = natural_earth(0.0, std::f64::consts::FRAC_PI_2);
    (x, y)
}

fn pair(value: &Value) -> Option<(f64, f64)> {
    let items = value.as_array()?;
    Some((items.first()?.as_f64()?, items.get(1)?.as_f64()?))
}

/// Every arc as longitude/latitude positions.
fn decode_arcs(topology: &Value) -> Result<Vec<Vec<(f64, f64)>>, MapError> {
    let transform = topology.get("transform");
    let scale = transform.and_then(|t| t.get("scale")).and_then(pair);
    let translate = transform.and_then(|t| t.get("translate")).and_then(pair);
    let arcs = topology
        .get("arcs")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("no `arcs`"))?;
    let mut decoded = Vec::with_capacity(arcs.len());
    let mut total = 0usize;
    for arc in arcs {
        let positions = arc
            .as_array()
            .ok_or_else(|| invalid("an arc is not a list"))?;
        total = total.saturating_add(positions.len());
        if total > MAX_POSITIONS {
            return Err(invalid(format!("more than {MAX_POSITIONS} positions")));
        }
        let mut out = Vec::with_capacity(positions.len());
        let (mut x, mut y) = (0.0f64, 0.0f64);
        for position in positions {
            let (a, b) = pair(position).ok_or_else(|| invalid("a position is not two numbers"))?;
            let (lon, lat) = match (scale, translate) {
                // Quantized topology: positions are deltas in quantized units.
                (Some((sx, sy)), Some((tx, ty))) => {
                    x += a;
                    y += b;
                    (x * sx + tx, y * sy + ty)
                }
                _ => (a, b),
            };
            if !lon.is_finite() || !lat.is_finite() {
                return Err(invalid("a position is not finite"));
            }
            out.push((lon, lat));
        }
        decoded.push(out);
    }
    Ok(decoded)
}

/// One ring of arc indices as positions.
fn ring(arcs: &[Vec<(f64, f64)>], indices: &Value) -> Result<Vec<(f64, f64)>, MapError> {
    let indices = indices
        .as_array()
        .ok_or_else(|| invalid("a ring is not a list"))?;
    let mut points: Vec<(f64, f64)> = Vec::new();
    for index in indices {
        let index = index
            .as_i64()
            .ok_or_else(|| invalid("an arc index is not an integer"))?;
        let (position, reversed) = if index < 0 {
            (!index, true)
        } else {
            (index, false)
        };
        let arc = usize::try_from(position)
            .ok()
            .and_then(|i| arcs.get(i))
            .ok_or_else(|| invalid(format!("arc {index} does not exist")))?;
        let skip = usize::from(!points.is_empty());
        if reversed {
            points.extend(arc.iter().rev().skip(skip));
        } else {
            points.extend(arc.iter().skip(skip));
        }
    }
    Ok(points)
}

/// The polygons of a geometry: each a list of rings, each a list of arc indices.
fn polygons(geometry: &Value) -> Result<Vec<&Value>, MapError> {
    let arcs = geometry.get("arcs");
    match geometry.get("type").and_then(Value::as_str) {
        Some("Polygon") => Ok(arcs.into_iter().collect()),
        Some("MultiPolygon") => Ok(arcs
            .and_then(Value::as_array)
            .map(|p| p.iter().collect())
            .unwrap_or_default()),
        // Points, lines and empty geometries draw nothing on a country map.
        _ => Ok(Vec::new()),
    }
}

impl WorldMap {
    /// Decodes the `countries` object of a world-atlas TopoJSON file.
    pub fn from_topojson(text: &str) -> Result<WorldMap, MapError> {
        if text.len() > MAX_ATLAS_BYTES {
            return Err(invalid(format!("more than {MAX_ATLAS_BYTES} bytes")));
        }
        let topology: Value = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if topology.get("type").and_then(Value::as_str) != Some("Topology") {
            return Err(invalid("not a TopoJSON topology"));
        }
        let arcs = decode_arcs(&topology)?;
        let geometries = topology
            .get("objects")
            .and_then(|o| o.get("countries"))
            .and_then(|c| c.get("geometries"))
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("no `objects.countries.geometries`"))?;

        let mut bounds = (f64::INFINITY, f64::NEG_INFINITY);
        let mut countries = Vec::with_capacity(geometries.len());
        for geometry in geometries {
            let name = geometry
                .get("properties")
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let iso = match geometry.get("id") {
                Some(Value::String(id)) => alpha2_for_numeric(id),
                Some(Value::Number(id)) => alpha2_for_numeric(&id.to_string()),
                _ => alpha2_for_unnumbered(&name),
            };
            // Antarctica carries no traffic and its ring along the ±180° edge needs clipping.
            if iso == Some("AQ") {
                continue;
            }
            let mut path = String::new();
            for polygon in polygons(geometry)? {
                for ring_indices in polygon.as_array().into_iter().flatten() {
                    let points = unwrap_longitudes(ring(&arcs, ring_indices)?);
                    let (west, east) = points
                        .iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(w, e), (lon, _)| {
                            (w.min(*lon), e.max(*lon))
                        });
                    // A ring reaching past ±180° (Chukotka, Fiji) is drawn again a turn of the
                    // globe away; the map's outline clips both copies.
                    draw_ring(&mut path, &points, 0.0, &mut bounds);
                    if east > 180.0 {
                        draw_ring(&mut path, &points, -360.0, &mut bounds);
                    }
                    if west < -180.0 {
                        draw_ring(&mut path, &points, 360.0, &mut bounds);
                    }
                }
            }
            if !path.is_empty() {
                countries.push(CountryShape { iso, name, path });
            }
        }
        // Crop the empty bands above and below the drawn countries (Antarctica is not drawn).
        let (top, bottom) = if bounds.0 <= bounds.1 {
            bounds
        } else {
            (0.0, full_height())
        };
        let top = (top - 4.0).max(0.0).floor();
        let bottom = (bottom + 4.0).min(full_height()).ceil();
        Ok(WorldMap {
            width: MAP_WIDTH,
            top,
            height: bottom - top,
            outline: outline(),
            countries,
        })
    }
}

/// SVG units per unit of the projection plane.
fn scale() -> f64 {
    MAP_WIDTH / (2.0 * extent().0)
}

fn full_height() -> f64 {
    2.0 * extent().1 * scale()
}

/// Longitude/latitude → SVG coordinates, in tenths (one decimal is well below a pixel).
fn project(lon: f64, lat: f64) -> (i64, i64) {
    let (half_width, half_height) = extent();
    let (x, y) = natural_earth(lon.to_radians(), lat.clamp(-90.0, 90.0).to_radians());
    let scale = scale();
    (
        ((x + half_width) * scale * 10.0).round() as i64,
        ((half_height - y) * scale * 10.0).round() as i64,
    )
}

/// Makes a ring continuous in longitude: a step of more than 180° is the same step the short way
/// round, so the ring may run past ±180° instead of jumping across the whole map.
fn unwrap_longitudes(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut offset = 0.0;
    let mut previous: Option<f64> = None;
    points
        .into_iter()
        .map(|(lon, lat)| {
            if let Some(p) = previous {
                let step = lon + offset - p;
                if step > 180.0 {
                    offset -= 360.0;
                } else if step < -180.0 {
                    offset += 360.0;
                }
            }
            let unwrapped = lon + offset;
            previous = Some(unwrapped);
            (unwrapped, lat)
        })
        .collect()
}

/// Appends one ring, shifted by `shift` degrees of longitude, and widens the vertical `bounds`.
fn draw_ring(path: &mut String, points: &[(f64, f64)], shift: f64, bounds: &mut (f64, f64)) {
    let mut last: Option<(i64, i64)> = None;
    for (lon, lat) in points {
        let (px, py) = project(lon + shift, *lat);
        if last == Some((px, py)) {
            continue;
        }
        let command = if last.is_none() { 'M' } else { 'L' };
        let y = py as f64 / 10.0;
        let _ = write!(path, "{command}{:.1} {y:.1}", px as f64 / 10.0);
        *bounds = (bounds.0.min(y), bounds.1.max(y));
        last = Some((px, py));
    }
    if last.is_some() {
        path.push('Z');
    }
}

/// The edge of the world in this projection: the ±180° meridians joined at the poles.
fn outline() -> String {
    let mut path = String::new();
    let east = (-90..=90).rev().map(|lat| (180.0, f64::from(lat)));
    let west = (-90..=90).map(|lat| (-180.0, f64::from(lat)));
    for (i, (lon, lat)) in east.chain(west).enumerate() {
        let (px, py) = project(lon, lat);
        let command = if i == 0 { 'M' } else { 'L' };
        let _ = write!(
            path,
            "{command}{:.1} {:.1}",
            px as f64 / 10.0,
            py as f64 / 10.0
        );
    }
    path.push('Z');
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two unit squares sharing an edge, quantized with a transform, one drawn with a reversed arc.
    const TINY: &str = r#"{"type":"Topology",
        "transform":{"scale":[1,1],"translate":[0,0]},
        "arcs":[[[0,0],[0,10]],[[0,10],[10,0],[0,-10],[-10,0]],[[0,0],[-10,0],[0,10],[10,0]]],
        "objects":{"countries":{"type":"GeometryCollection","geometries":[
            {"type":"Polygon","id":"643","properties":{"name":"Russia"},"arcs":[[0,1]]},
            {"type":"MultiPolygon","id":"756","properties":{"name":"Switzerland"},"arcs":[[[2,-1]]]},
            {"type":"Polygon","properties":{"name":"Kosovo"},"arcs":[[0,1]]},
            {"type":"Polygon","id":"010","properties":{"name":"Antarctica"},"arcs":[[0,1]]}
        ]}}}"#;

    #[test]
    fn decodes_delta_arcs_and_reversed_indices() {
        let arcs = decode_arcs(&serde_json::from_str(TINY).unwrap()).unwrap();
        assert_eq!(arcs[0], [(0.0, 0.0), (0.0, 10.0)]);
        assert_eq!(
            arcs[1],
            [(0.0, 10.0), (10.0, 10.0), (10.0, 0.0), (0.0, 0.0)]
        );
        let ring = ring(&arcs, &serde_json::json!([2, -1])).unwrap();
        // Arc 2 then arc 0 backwards, without repeating the shared point.
        assert_eq!(
            ring,
            [
                (0.0, 0.0),
                (-10.0, 0.0),
                (-10.0, 10.0),
                (0.0, 10.0),
                (0.0, 0.0)
            ]
        );
    }

    #[test]
    fn countries_get_iso_codes_and_paths() {
        let map = WorldMap::from_topojson(TINY).unwrap();
        let isos: Vec<_> = map.countries.iter().map(|c| c.iso).collect();
        assert_eq!(isos, [Some("RU"), Some("CH"), Some("XK")]);
        assert!(map.countries[0].path.starts_with('M') && map.countries[0].path.ends_with('Z'));
        assert!(
            map.height > 0.0 && map.top + map.height <= full_height().ceil(),
            "{map:?}"
        );
        assert!(map.outline.starts_with('M') && map.outline.ends_with('Z'));
    }

    #[test]
    fn rings_across_the_antimeridian_stay_continuous() {
        let ring = unwrap_longitudes(vec![
            (179.0, 65.0),
            (-179.0, 66.0),
            (-178.0, 64.0),
            (179.0, 65.0),
        ]);
        assert_eq!(
            ring,
            [(179.0, 65.0), (181.0, 66.0), (182.0, 64.0), (179.0, 65.0)]
        );
        let mut path = String::new();
        let mut bounds = (f64::INFINITY, f64::NEG_INFINITY);
        draw_ring(&mut path, &ring, -360.0, &mut bounds);
        // The shifted copy starts just inside the western edge.
        let (x, _) = project(-181.0, 65.0);
        assert!(x < project(-180.0, 65.0).0);
        assert!(path.starts_with('M') && bounds.0 < bounds.1);
    }

    #[test]
    fn the_projection_centres_the_origin() {
        let (half_width, half_height) = extent();
        assert!((half_width - std::f64::consts::PI * 0.8707).abs() < 1e-9);
        assert!(half_height > 1.4 && half_height < 1.45);
        assert_eq!(natural_earth(0.0, 0.0), (0.0, 0.0));
    }

    #[test]
    fn hostile_atlases_are_refused_not_panicked_on() {
        for text in [
            "",
            "[]",
            r#"{"type":"Topology"}"#,
            r#"{"type":"Topology","arcs":[[[0]]],"objects":{"countries":{"geometries":[]}}}"#,
            r#"{"type":"Topology","arcs":[],"objects":{"countries":{"geometries":[{"type":"Polygon","arcs":[[5]]}]}}}"#,
            r#"{"type":"Topology","arcs":[],"objects":{"countries":{"geometries":[{"type":"Polygon","arcs":[[-9223372036854775808]]}]}}}"#,
        ] {
            assert!(WorldMap::from_topojson(text).is_err(), "{text}");
        }
    }
}
