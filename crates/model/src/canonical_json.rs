//! RFC 8785 JSON Canonicalization Scheme (JCS): the byte-exact form in which reports and ledger
//! commitments are hashed. Objects have their keys sorted by UTF-16 code units, strings use the
//! minimal escapes, numbers are written as ECMAScript writes IEEE-754 doubles, and there is no
//! whitespace.

use serde::Serialize;
use serde_json::{Map, Number, Value};

/// Serialises `value` as RFC 8785 canonical JSON.
///
/// Panics only if `T`'s `Serialize` implementation fails or produces a map with non-string
/// keys: a programming error in the type, never something input bytes can cause. Use
/// [`try_to_canonical_json`] where `T` is not under the caller's control.
pub fn to_canonical_json<T: Serialize>(value: &T) -> Vec<u8> {
    match try_to_canonical_json(value) {
        Ok(bytes) => bytes,
        Err(e) => panic!("type cannot be serialised as JSON (programming error): {e}"),
    }
}

/// Serialises `value` as RFC 8785 canonical JSON, or returns serde's error.
pub fn try_to_canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut out = Vec::new();
    write_value(&value, &mut out);
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(map, out),
    }
}

fn write_object(map: &Map<String, Value>, out: &mut Vec<u8>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    // RFC 8785 section 3.2.3: sort by the UTF-16 code units of the keys.
    entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    out.push(b'{');
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(k, out);
        out.push(b':');
        write_value(v, out);
    }
    out.push(b'}');
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Integers up to 2^53 in magnitude are exact doubles and print as plain integers.
const MAX_SAFE: u64 = 1 << 53;

fn write_number(n: &Number, out: &mut Vec<u8>) {
    if let Some(u) = n.as_u64().filter(|u| *u <= MAX_SAFE) {
        out.extend_from_slice(u.to_string().as_bytes());
    } else if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= MAX_SAFE) {
        out.extend_from_slice(i.to_string().as_bytes());
    } else {
        // JCS numbers are IEEE-754 doubles: larger integers are written as their nearest double.
        let f = n.as_f64().unwrap_or(0.0);
        out.extend_from_slice(format_double(f).as_bytes());
    }
}

/// ECMAScript `Number.prototype.toString` for a finite double (RFC 8785 section 3.2.2.3).
pub fn format_double(f: f64) -> String {
    if f == 0.0 || !f.is_finite() {
        // -0 prints as 0; JSON cannot carry NaN or infinities, so they never reach here.
        return "0".to_string();
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, like ECMAScript requires.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if let Some(even) = even_tie_alternative(f.abs(), &digits, exp) {
        digits = even;
    }
    let k = digits.len() as i32;
    let n = exp + 1;
    let mut s = String::new();
    if f < 0.0 {
        s.push('-');
    }
    if k <= n && n <= 21 {
        s.push_str(&digits);
        s.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        s.push_str(int);
        s.push('.');
        s.push_str(frac);
    } else if -6 < n && n <= 0 {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', (-n) as usize));
        s.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        s.push_str(first);
        if !rest.is_empty() {
            s.push('.');
            s.push_str(rest);
        }
        s.push('e');
        s.push(if n > 0 { '+' } else { '-' });
        s.push_str(&(n - 1).abs().to_string());
    }
    s
}

/// ECMAScript picks the even candidate when two shortest digit strings are equally close to
/// the double (e.g. 1424953923781206.25 prints as ...206.2); Rust's shortest formatting may pick
/// the other one. Returns the even candidate when that happens.
fn even_tie_alternative(abs: f64, digits: &str, exp: i32) -> Option<String> {
    let last = digits.bytes().last()?;
    if digits.len() < 2 || (last - b'0').is_multiple_of(2) {
        return None;
    }
    // The exact decimal expansion of a double has at most 767 significant digits.
    let exact = format!("{abs:.800e}");
    let (exact_mantissa, exact_exp) = exact.split_once('e')?;
    if exact_exp.parse::<i32>().ok()? != exp {
        return None;
    }
    let exact_digits: String = exact_mantissa
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let k = digits.len();
    let (head, tail) = (exact_digits.get(..k)?, exact_digits.get(k..)?);
    let mut tail_chars = tail.chars();
    if tail_chars.next() != Some('5') || !tail_chars.all(|c| c == '0') || head == digits {
        return None;
    }
    // A tie: `head` (rounded down) and `digits` (rounded up) are equally close.
    let candidate_value = format!("{}.{}e{exp}", head.get(..1)?, head.get(1..)?);
    (candidate_value.parse::<f64>().ok()? == abs).then(|| head.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(json: &str) -> String {
        let v: Value = serde_json::from_str(json).unwrap();
        String::from_utf8(to_canonical_json(&v)).unwrap()
    }

    #[test]
    fn rfc8785_section_3_2_2_example() {
        // The numbers are built from Rust literals (exactly rounded); serde_json's default
        // parser is not correctly rounded for 333333333.33333329 without `float_roundtrip`.
        let input = r#"{
          "numbers": [],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        let mut v: Value = serde_json::from_str(input).unwrap();
        v["numbers"] = serde_json::json!([
            333_333_333.333_333_3_f64,
            1E30_f64,
            4.50_f64,
            2e-3_f64,
            0.000000000000000000000000001_f64
        ]);
        assert_eq!(
            String::from_utf8(to_canonical_json(&v)).unwrap(),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn rfc8785_section_3_2_3_sorting_example() {
        let input = r#"{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let out = canon(input);
        let v: Value = serde_json::from_str(&out).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 7);
        // The canonical text lists them in UTF-16 order (\ud83d sorts before \ufb33, unlike
        // UTF-8/code point order).
        let order = ["\\r", "1", "\u{80}", "ö", "€", "😀", "\u{fb33}"];
        let mut pos = 0;
        for k in order {
            let needle = format!("\"{k}\":");
            let at = out[pos..]
                .find(&needle)
                .map(|p| p + pos)
                .unwrap_or_else(|| panic!("{k} out of order in {out}"));
            pos = at;
        }
    }

    #[test]
    fn rfc8785_appendix_b_numbers() {
        let cases: [(u64, &str); 24] = [
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, want) in cases {
            assert_eq!(format_double(f64::from_bits(bits)), want, "{bits:#018x}");
        }
    }

    #[test]
    fn integers_and_nesting() {
        assert_eq!(
            canon("[1, -1, 0, 9007199254740993]"),
            "[1,-1,0,9007199254740992]"
        );
        assert_eq!(
            canon(r#"{"b":[{"z":1,"a":2}],"a":{}}"#),
            r#"{"a":{},"b":[{"a":2,"z":1}]}"#
        );
        assert_eq!(
            canon(r#""\u0001\u001f\u007f\u2028""#),
            "\"\\u0001\\u001f\u{7f}\u{2028}\""
        );
    }

    #[test]
    fn failing_serialize_is_an_error_in_the_try_form() {
        let mut m = std::collections::BTreeMap::new();
        m.insert(vec![1u8], 1);
        assert!(try_to_canonical_json(&m).is_err());
    }
}
