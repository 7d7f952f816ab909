//! Helpers for the log readers' tests: Zeek baselines with their masked timestamps filled in,
//! streams over bytes, and Zeek TSV logs rewritten as Zeek JSON logs.

use ringfence_sources::input::EvidenceStream;
use std::io::Cursor;

/// The time written in place of the baselines' masked `XXXXXXXXXX.XXXXXX` (Zeek's test
/// framework masks them; the logs are otherwise Zeek's own output).
pub const UNMASKED_TS: &str = "1300475168.000000";

/// A Zeek baseline log with its masked timestamps replaced by [`UNMASKED_TS`].
pub fn unmasked(path: &std::path::Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.replace("XXXXXXXXXX.XXXXXX", UNMASKED_TS).into_bytes()
}

pub fn stream(label: &str, bytes: Vec<u8>) -> EvidenceStream {
    EvidenceStream::from_reader(label, Box::new(Cursor::new(bytes))).expect("in-memory stream")
}

/// A Zeek TSV log as Zeek's JSON writer would write it: one object per record, flat `id.*` keys,
/// numbers for counts, ports, times and intervals, arrays for sets and vectors, unset fields
/// left out, and `_path` only when `with_path`.
pub fn tsv_to_json(tsv: &[u8], with_path: bool) -> Vec<u8> {
    let text = std::str::from_utf8(tsv).expect("UTF-8 log");
    let mut out = String::new();
    let (mut fields, mut types, mut path) = (Vec::new(), Vec::new(), String::new());
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#fields\t") {
            fields = rest.split('\t').map(String::from).collect();
        } else if let Some(rest) = line.strip_prefix("#types\t") {
            types = rest.split('\t').map(String::from).collect();
        } else if let Some(rest) = line.strip_prefix("#path\t") {
            path = rest.to_string();
        } else if !line.starts_with('#') && !line.is_empty() {
            let mut object = serde_json::Map::new();
            if with_path {
                object.insert("_path".into(), path.clone().into());
            }
            for ((name, kind), value) in fields.iter().zip(&types).zip(line.split('\t')) {
                if value == "-" {
                    continue;
                }
                object.insert(name.clone(), json_value(kind, value));
            }
            out.push_str(&serde_json::Value::Object(object).to_string());
            out.push('\n');
        }
    }
    out.into_bytes()
}

fn json_value(kind: &str, value: &str) -> serde_json::Value {
    use serde_json::Value;
    if let Some(inner) = kind
        .strip_prefix("set[")
        .or_else(|| kind.strip_prefix("vector["))
        .and_then(|k| k.strip_suffix(']'))
    {
        if value == "(empty)" {
            return Value::Array(Vec::new());
        }
        return Value::Array(value.split(',').map(|v| json_value(inner, v)).collect());
    }
    match kind {
        "count" | "port" | "int" => Value::from(value.parse::<i64>().expect("integer")),
        "time" | "interval" | "double" => Value::from(value.parse::<f64>().expect("number")),
        "bool" => Value::Bool(value == "T"),
        _ => Value::String(value.to_string()),
    }
}
