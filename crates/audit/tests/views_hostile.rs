//! Evidence is hostile: names, paths, IP data organisations and estate labels may carry script
//! tags, quotes, control characters and 64 KB labels. Every view must show them as inert text.

mod common;

use common::{sample_capture, setup, work_dir};
use ringfence_audit::{Report, UnreadableFile, audit_evidence, views};
use ringfence_model::ReadProblem;

/// A tiny but valid TopoJSON with one country, so the map code runs without the installed atlas.
const TINY_ATLAS: &str = r#"{"type":"Topology","transform":{"scale":[1,1],"translate":[0,0]},
  "arcs":[[[0,0],[0,10],[10,0],[0,-10],[-10,0]]],
  "objects":{"countries":{"type":"GeometryCollection","geometries":[
    {"type":"Polygon","id":"756","properties":{"name":"<script>alert('atlas')</script>"},"arcs":[[0]]}]}}}"#;

fn hostile_strings() -> Vec<String> {
    vec![
        "<script>alert(1)</script>".to_owned(),
        "\"'><img src=x onerror=alert(1)>".to_owned(),
        "a\u{1b}[2J\u{7}b\r\nc\u{202e}d\u{0}e|f*g[h](javascript:x)".to_owned(),
        format!("{}.example", "<".repeat(65_536)),
        "x".repeat(65_536),
    ]
}

fn hostile_report() -> Report {
    let dir = work_dir("hostile");
    let evidence = vec![sample_capture(&dir, 1, 512 * 1024)];
    let mut report =
        audit_evidence(&setup(&dir, &["ncsc-2017", "bod-17-01"]), &evidence, 1).unwrap();
    let hostile = hostile_strings();
    let pick = |i: usize| hostile[i % hostile.len()].clone();

    report.ringfence_version = pick(0);
    for (i, system) in report.systems.iter_mut().enumerate() {
        system.name = pick(i + 1);
    }
    for (i, product) in report.products.iter_mut().enumerate() {
        product.name = pick(i + 2);
    }
    for (i, org) in report.organisations.iter_mut().enumerate() {
        org.name = pick(i + 3);
        org.headquarters = pick(i);
    }
    for finding in &mut report.findings {
        finding.example_names.extend(hostile.iter().cloned());
        finding.reasons.push(pick(2));
        finding.policies.push(pick(0));
    }
    for country in &mut report.countries {
        country.country = pick(1);
    }
    for group in &mut report.disagreements.groups {
        for answer in &mut group.answers {
            answer.organisation = Some(pick(0));
            answer.source = pick(2);
        }
    }
    for source in &mut report.inputs.intel {
        source.name = pick(0);
        source.licence = pick(1);
        source.version = pick(2);
    }
    report.inputs.evidence[0].path = pick(3);
    report.inputs.estate.path = pick(2);
    report.inputs.policies.ids.push(pick(0));
    report.totals.unreadable.files.push(UnreadableFile {
        path: pick(0),
        sha256: pick(1),
        problem_count: 2,
        problems: hostile
            .iter()
            .map(|reason| ReadProblem {
                path: pick(0),
                offset: 7,
                reason: reason.clone(),
            })
            .collect(),
    });
    report.totals.unreadable.problem_count = 2;
    report
}

/// No control character but newline, no bidirectional override, no 64 KB run of anything.
fn assert_inert_text(view: &str, name: &str) {
    for c in view.chars() {
        assert!(
            !c.is_control() || c == '\n',
            "{name}: control character U+{:04X}",
            u32::from(c)
        );
        assert!(
            !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'),
            "{name}: bidi control"
        );
    }
    assert!(
        !view.contains(&"x".repeat(1000)),
        "{name}: a 64 KB label was shown whole"
    );
    assert!(view.len() < 4 * 1024 * 1024, "{name}: {} bytes", view.len());
}

#[test]
fn html_escapes_every_hostile_string() {
    let report = hostile_report();
    let html = views::html(&report, TINY_ATLAS);
    assert_inert_text(&html, "html");
    assert!(!html.contains("<<"), "raw < in HTML");
    assert!(
        !html.to_lowercase().contains("<script"),
        "script tag in HTML"
    );
    assert!(!html.contains("<img"), "img tag in HTML");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the hostile name is shown as text"
    );
    assert!(html.contains("&quot;&#39;&gt;&lt;img"), "quotes escaped");
    assert!(html.contains("\\u{1b}"), "escape character made visible");
    // The only tags are the page's own.
    let tags: std::collections::BTreeSet<&str> = html
        .split('<')
        .skip(1)
        .filter_map(|t| t.split([' ', '>', '/']).find(|s| !s.is_empty()))
        .collect();
    let allowed = [
        "!DOCTYPE", "a", "b", "body", "clipPath", "defs", "g", "br", "code", "div", "footer", "h1",
        "h2", "head", "html", "i", "li", "main", "meta", "p", "path", "span", "style", "svg",
        "table", "tbody", "td", "th", "thead", "title", "tr", "ul",
    ];
    for tag in &tags {
        assert!(allowed.contains(tag), "unexpected tag <{tag}> in {tags:?}");
    }
    // No external request: the only URL is the DB-IP attribution link, and a CSP forbids loads.
    assert!(html.contains("default-src 'none'"));
    let hrefs: Vec<&str> = html
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(hrefs, ["https://db-ip.com"]);
}

#[test]
fn markdown_escapes_every_hostile_string() {
    let report = hostile_report();
    let md = views::markdown(&report);
    assert_inert_text(&md, "markdown");
    assert!(!md.contains('<'), "raw < in Markdown");
    assert!(!md.to_lowercase().contains("<script"));
    assert!(!md.contains("<img"));
    assert!(!md.contains("](javascript"), "no link can be injected");
    // Every table row keeps its cell count: escaped pipes do not split cells.
    for line in md.lines().filter(|l| l.starts_with("| ")) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert!(cells >= 5, "{line}");
    }
    let findings_rows: Vec<&str> = md
        .split("## Findings")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .nth(1)
        .unwrap()
        .lines()
        .collect();
    let columns = findings_rows[0].matches('|').count();
    assert!(
        findings_rows
            .iter()
            .all(|l| l.replace("\\|", "").matches('|').count() == columns)
    );
}

#[test]
fn terminal_escapes_every_hostile_string() {
    let report = hostile_report();
    let text = views::terminal(&report);
    assert_inert_text(&text, "terminal");
    // A terminal shows `<` harmlessly, but a 64 KB label is still cut.
    assert!(!text.contains(&"<".repeat(200)));
    assert!(
        text.contains("\\u{1b}[2J"),
        "the escape sequence is shown, not run"
    );
}

#[test]
fn canonical_json_keeps_names_bounded() {
    let dir = work_dir("json-bounded");
    let evidence = vec![sample_capture(&dir, 2, 256 * 1024)];
    let report = audit_evidence(&setup(&dir, &["bod-17-01"]), &evidence, 1).unwrap();
    let json = report.to_canonical_json();
    assert_eq!(report.sha256().len(), 64);
    let again: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(again["ringfence_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        ringfence_audit::findings::bounded_name(&"é".repeat(200)).len(),
        256 + "…".len()
    );
}
