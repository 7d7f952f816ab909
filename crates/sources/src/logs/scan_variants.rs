//! Hostile variants of JSON log lines for the differential tests of the scanner's fast paths:
//! each value (at any depth) replaced by odd or broken JSON, keys escaped or repeated, whitespace
//! everywhere, truncations, flipped bytes and wrappings.

use serde_json::Value;
use std::fmt::Write;

/// Values put in place of a line's values: odd strings, numbers, nesting, and broken JSON.
const SNIPPETS: &[&str] = &[
    r#""""#,
    r#""a\"b""#,
    r#""a\\b""#,
    r#""\/""#,
    r#""\u0041""#,
    r#""\ud83d\ude00""#,
    r#""\ud800""#,
    r#""\udc00x""#,
    r#""\u12""#,
    r#""\x41""#,
    "\"a\u{1}b\"",
    "\"\u{e9}\u{4e2d}\"",
    r#""10.0.0.1""#,
    r#""443""#,
    r#""1300475167.5""#,
    r#""2011-03-18T19:06:07.096535Z""#,
    "0",
    "-0",
    "01",
    "1e5",
    "1E-2",
    "-1.5e3",
    "-1",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "1e400",
    "0.1",
    "9007199254740993.5",
    "4503599627370497.5",
    "123456789012345678901234567890",
    "0.0000000000000000000000001",
    "1.",
    ".5",
    "-",
    "+1",
    "NaN",
    "1.5.2",
    "65536",
    "1300475167.096535",
    "null",
    "true",
    "false",
    "nul",
    "tru",
    "[]",
    "{}",
    r#"[1,"a",[2],{}]"#,
    r#"["a\"",null]"#,
    r#"{"a":{"b":[1,{"c":null}]}}"#,
    r#"{"k\u0041":1}"#,
    "[1,]",
    r#"{"a":1,}"#,
    r#""unterminated"#,
    "",
];

/// Hostile variants of `line`; `seed` picks which replacements each value gets, so that many
/// lines together meet every one.
pub(crate) fn variants(line: &str, seed: usize) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let step = (bytes.len() / 40).max(1);
    for end in (0..bytes.len()).step_by(step) {
        if line.is_char_boundary(end) {
            out.push(line[..end].to_string());
        }
    }
    for (i, at) in (0..bytes.len()).step_by(step).enumerate() {
        let flip = [
            "{", "}", "[", "]", "\"", ":", ",", "\\", "0", "-", ".", "e", " ", "x",
        ];
        if line.is_char_boundary(at) && line.is_char_boundary(at + 1) {
            let with = flip[(i + seed) % flip.len()];
            out.push(format!("{}{with}{}", &line[..at], &line[at + 1..]));
        }
    }
    out.push(format!(" \t{line}\r\n "));
    out.push(format!("[{line}]"));
    out.push(format!("{line}{line}"));
    out.push(format!("{line}x"));
    let Ok(value) = serde_json::from_str::<Value>(line) else {
        return out;
    };
    // Every value replaced, at any depth.
    let mut leaves = 0;
    count_nodes(&value, &mut leaves);
    for target in 0..leaves {
        for (k, snippet) in SNIPPETS.iter().enumerate() {
            if (k + target + seed).is_multiple_of(8) {
                let mut text = String::new();
                write(
                    &value,
                    &mut Edit::Replace(target, snippet),
                    &mut 0,
                    &mut text,
                );
                out.push(text);
            }
        }
    }
    for target in 0..leaves {
        let mut text = String::new();
        write(&value, &mut Edit::Duplicate(target), &mut 0, &mut text);
        out.push(text);
        let mut text = String::new();
        write(&value, &mut Edit::EscapeKey(target), &mut 0, &mut text);
        out.push(text);
    }
    let mut spaced = String::new();
    write(&value, &mut Edit::Space, &mut 0, &mut spaced);
    out.push(spaced);
    // Huge values.
    let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let long = format!("\"{}\"", "a".repeat(100_000));
    let digits = "9".repeat(5000);
    let many = format!("[{}1]", "1,".repeat(10_000));
    for huge in [&deep, &long, &digits, &many] {
        let target = seed % leaves.max(1);
        let mut text = String::new();
        write(&value, &mut Edit::Replace(target, huge), &mut 0, &mut text);
        out.push(text);
    }
    out
}

/// What to do to the node numbered `n` (in the order [`write`] meets them).
enum Edit<'s> {
    Replace(usize, &'s str),
    /// Write the key of the node twice (when it is an object's value).
    Duplicate(usize),
    /// Write the key of the node with its first character as a `\u` escape.
    EscapeKey(usize),
    /// Whitespace around every token.
    Space,
}

fn count_nodes(value: &Value, count: &mut usize) {
    *count += 1;
    match value {
        Value::Array(items) => items.iter().for_each(|v| count_nodes(v, count)),
        Value::Object(map) => map.values().for_each(|v| count_nodes(v, count)),
        _ => {}
    }
}

fn write(value: &Value, edit: &mut Edit<'_>, node: &mut usize, out: &mut String) {
    let this = *node;
    *node += 1;
    if let Edit::Replace(target, snippet) = edit
        && *target == this
    {
        out.push_str(snippet);
        return;
    }
    let space = if matches!(edit, Edit::Space) {
        " \t"
    } else {
        ""
    };
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    let _ = write!(out, "{space},{space}");
                }
                write(item, edit, node, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    let _ = write!(out, "{space},{space}");
                }
                let child = *node;
                let key_text = match edit {
                    Edit::EscapeKey(target) if *target == child => {
                        let mut chars = key.chars();
                        match chars.next() {
                            Some(c) => format!("\"\\u{:04x}{}\"", u32::from(c), chars.as_str()),
                            None => "\"\"".to_string(),
                        }
                    }
                    _ => Value::String(key.clone()).to_string(),
                };
                let _ = write!(out, "{space}{key_text}{space}:{space}");
                write(item, edit, node, out);
                if let Edit::Duplicate(target) = edit
                    && *target == child
                {
                    let _ = write!(out, ",{key_text}:{item}");
                }
            }
            out.push('}');
        }
        _ => out.push_str(&value.to_string()),
    }
}
