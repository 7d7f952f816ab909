//! The fast path of the Zeek JSON reader: a [`JsonRecord`] filled by the log scanner
//! (`logs::scan`) in one pass over the line, giving up on anything the scanner is not sure of.
//! Where it does not give up, the record is the one serde_json fills (`JsonRecord::read`): the
//! same values, the same keys rejected as duplicates; the differential tests hold the two to it.

use super::json::{Field, JsonRecord};
use super::loose::{Loose, NestedId, Owned};
use crate::logs::scan::{Number, Scanner};

/// The most keys of a line remembered, and the longest key.
const MAX_KEYS: usize = 64;
const MAX_KEY_LENGTH: usize = 32;

/// The keys of the last line read, in order, with what each is to ringfence. The lines of a log
/// have the same keys in the same order, so a key is mostly known by comparing it with one name
/// instead of being read and looked up among the names (the Zeek JSON benchmark ≈ 5 % faster).
#[derive(Default)]
pub(super) struct KeyOrder {
    keys: Vec<KnownKey>,
}

struct KnownKey {
    name: [u8; MAX_KEY_LENGTH],
    /// `None` for a key too long to remember (it never matches).
    length: Option<u8>,
    field: Field,
}

impl KnownKey {
    fn new(key: &str, field: Field) -> KnownKey {
        let mut name = [0; MAX_KEY_LENGTH];
        let length = match name.get_mut(..key.len()) {
            Some(kept) => {
                kept.copy_from_slice(key.as_bytes());
                u8::try_from(key.len()).ok()
            }
            None => None,
        };
        KnownKey {
            name,
            length,
            field,
        }
    }

    fn name(&self) -> Option<&[u8]> {
        self.name.get(..usize::from(self.length?))
    }
}

impl KeyOrder {
    /// The key at `index` of the line, when it is the one there last time.
    fn expected(&self, index: usize, scanner: &mut Scanner<'_>) -> Option<Field> {
        let known = self.keys.get(index)?;
        scanner.key_is(known.name()?).then_some(known.field)
    }

    /// Remembers the key at `index` of the line.
    fn learn(&mut self, index: usize, key: &str, field: Field) {
        let known = KnownKey::new(key, field);
        if let Some(slot) = self.keys.get_mut(index) {
            *slot = known;
        } else if index == self.keys.len() && index < MAX_KEYS {
            self.keys.push(known);
        }
    }
}

impl<'a> JsonRecord<'a> {
    /// Fills an empty record from `line`, or gives up (`None`) leaving it partly filled.
    pub(super) fn scan(&mut self, line: &'a str, keys: &mut KeyOrder) -> Option<()> {
        let mut scanner = Scanner::new(line);
        let mut seen = 0u64;
        let mut more = scanner.open(b'{', b'}')?;
        let mut index = 0;
        while more {
            let field = match keys.expected(index, &mut scanner) {
                Some(field) => field,
                None => {
                    let key = scanner.string()?;
                    let field = Field::of(key);
                    keys.learn(index, key, field);
                    field
                }
            };
            if let Some((bit, _)) = field.bit_and_name() {
                // serde_json rejects the line: leave it to say so.
                if seen & bit != 0 {
                    return None;
                }
                seen |= bit;
            }
            scanner.colon()?;
            self.value(&mut scanner, field)?;
            more = scanner.next(b'}')?;
            index += 1;
        }
        scanner.end()
    }

    fn value(&mut self, scanner: &mut Scanner<'a>, field: Field) -> Option<()> {
        match field {
            Field::Value(key) => {
                let value = loose(scanner, &mut self.owned)?;
                if let Some(slot) = self.values.get_mut(key as usize) {
                    *slot = value;
                }
            }
            Field::Id => self.id = nested_id(scanner, &mut self.owned)?,
            Field::Marker(i) => {
                if !scanner.null() {
                    scanner.skip()?;
                    self.markers |= 1 << i;
                }
            }
            Field::Unknown => scanner.skip()?,
        }
        Some(())
    }
}

/// A value read loosely (as `LooseSeed` reads it at the top of a record).
#[inline(always)]
fn loose<'a>(scanner: &mut Scanner<'a>, owned: &mut Owned<'a>) -> Option<Loose<'a>> {
    if scanner.peek_token()? == b'[' {
        let mut items = Vec::new();
        scanner.array(|scanner| {
            items.push(item(scanner)?);
            Some(())
        })?;
        return Some(owned.push_list(items));
    }
    item(scanner)
}

/// A value inside a list, or any value but a list: lists and objects in it are skipped.
#[inline(always)]
fn item<'a>(scanner: &mut Scanner<'a>) -> Option<Loose<'a>> {
    Some(match scanner.peek_token()? {
        b'"' => Loose::Text(scanner.string()?),
        b'-' | b'0'..=b'9' => match scanner.number()? {
            Number::Unsigned(n) => Loose::Unsigned(n),
            Number::Signed(n) => Loose::Signed(n),
            Number::Float(x) => Loose::Float(x),
        },
        _ => {
            scanner.skip()?;
            Loose::Other
        }
    })
}

/// A nested `id` (as `NestedIdSeed` reads it): an object's four ends; anything else is no `id`,
/// though serde_json still reads a string or number in full.
fn nested_id<'a>(scanner: &mut Scanner<'a>, owned: &mut Owned<'a>) -> Option<NestedId<'a>> {
    let mut id = NestedId::default();
    match scanner.peek_token()? {
        b'{' => scanner.object(|scanner, key| {
            let slot = match key {
                "orig_h" => &mut id.orig_h,
                "orig_p" => &mut id.orig_p,
                "resp_h" => &mut id.resp_h,
                "resp_p" => &mut id.resp_p,
                _ => return scanner.skip(),
            };
            *slot = loose(scanner, owned)?;
            Some(())
        })?,
        b'"' => {
            scanner.string()?;
        }
        b'-' | b'0'..=b'9' => {
            scanner.number()?;
        }
        _ => scanner.skip()?,
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::scan_variants::variants;
    use std::path::Path;

    /// A record as far as anything reads it: every value, the nested `id`, the markers.
    fn shown(record: &JsonRecord<'_>) -> String {
        let show = |value: Loose<'_>| format!("{:?}", record.owned.shown(value));
        let values: Vec<String> = record.values.iter().map(|v| show(*v)).collect();
        let id = &record.id;
        let ends = [id.orig_h, id.orig_p, id.resp_h, id.resp_p].map(show);
        format!("{values:?} {ends:?} {}", record.markers)
    }

    #[derive(Default)]
    struct Tally {
        lines: usize,
        scanned: usize,
    }

    /// Reads `line` both ways: where the scanner does not give up, serde_json must read the
    /// line, and to the same record.
    fn check(line: &str, keys: &mut KeyOrder, tally: &mut Tally) {
        let mut fast = JsonRecord::default();
        let scanned = fast.scan(line, keys);
        let mut slow = JsonRecord::default();
        let read = slow.read(line);
        tally.lines += 1;
        if scanned.is_some() {
            tally.scanned += 1;
            assert!(
                read.is_ok(),
                "scanned, but serde_json says {read:?}: {line}"
            );
            assert_eq!(shown(&fast), shown(&slow), "{line}");
        }
    }

    /// A Zeek TSV log as Zeek writes it with `LogAscii::use_json` (unset fields left out), the
    /// masked times of the baselines given a value.
    fn as_json(log: &str) -> Vec<String> {
        let (mut fields, mut types) = (Vec::new(), Vec::new());
        let mut lines = Vec::new();
        for (row, line) in log.lines().enumerate() {
            if let Some(names) = line.strip_prefix("#fields\t") {
                fields = names.split('\t').map(String::from).collect();
            } else if let Some(names) = line.strip_prefix("#types\t") {
                types = names.split('\t').map(String::from).collect();
            } else if !line.starts_with('#') && !line.is_empty() {
                let mut object = serde_json::Map::new();
                for ((name, kind), text) in fields.iter().zip(&types).zip(line.split('\t')) {
                    if text != "-" {
                        object.insert(name.clone(), typed(kind, text, row));
                    }
                }
                lines.push(serde_json::Value::Object(object).to_string());
            }
        }
        lines
    }

    fn typed(kind: &str, text: &str, row: usize) -> serde_json::Value {
        use serde_json::Value;
        let inner = kind
            .strip_prefix("set[")
            .or_else(|| kind.strip_prefix("vector["));
        if let Some(inner) = inner.and_then(|k| k.strip_suffix(']')) {
            if text == "(empty)" {
                return Value::Array(Vec::new());
            }
            return Value::Array(text.split(',').map(|t| typed(inner, t, row)).collect());
        }
        match kind {
            "time" | "interval" | "double" => match text.parse::<f64>() {
                Ok(x) => Value::from(x),
                Err(_) => Value::from(1_300_475_167.096_535 + row as f64),
            },
            "count" | "port" => text.parse::<u64>().map_or(Value::Null, Value::from),
            "int" => text.parse::<i64>().map_or(Value::Null, Value::from),
            "bool" => Value::Bool(text == "T"),
            _ => Value::String(text.to_string()),
        }
    }

    /// Every Zeek log of the shared baselines as JSON lines, also with the nested `id` and ISO
    /// times, and lines as the benchmark writes them.
    fn real_lines() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/captures/zeek/testing/btest/Baseline");
        let mut logs = Vec::new();
        let dirs = std::fs::read_dir(&root).expect("shared/data is installed");
        for dir in dirs.flatten() {
            for file in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if file.path().extension().is_some_and(|e| e == "log") {
                    logs.push(file.path());
                }
            }
        }
        logs.sort();
        let mut lines = Vec::new();
        for log in logs {
            let text = std::fs::read_to_string(&log).expect("a baseline log");
            for line in as_json(&text) {
                let nested = line
                    .replacen(r#""id.orig_h":"#, r#""id":{"orig_h":"#, 1)
                    .replacen(r#","id.orig_p":"#, r#","orig_p":"#, 1)
                    .replacen(r#","id.resp_h":"#, r#","resp_h":"#, 1)
                    .replacen(r#","id.resp_p":"#, r#","resp_p":"#, 1)
                    .replacen(r#","proto":"#, r#"},"proto":"#, 1);
                let iso = line.replacen(
                    r#""ts":1300475167"#,
                    r#""ts":"2011-03-18T19:06:07.096535Z","was":1300475167"#,
                    1,
                );
                lines.extend([line, nested, iso]);
            }
        }
        lines.extend(
            [
                r#"{"ts":1780304400.012345,"uid":"C0123456789abcdef","id.orig_h":"10.20.1.33","id.orig_p":50123,"id.resp_h":"93.184.216.34","id.resp_p":443,"proto":"tcp","service":"ssl","duration":12.000345,"orig_bytes":1200,"resp_bytes":54000,"conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShADadFf","orig_pkts":30,"orig_ip_bytes":2400,"resp_pkts":60,"resp_ip_bytes":56400}"#,
                r#"{"ts":1780304399.992345,"uid":"D123456789abcdef","id.orig_h":"10.20.1.33","id.orig_p":50124,"id.resp_h":"10.20.1.53","id.resp_p":53,"proto":"udp","trans_id":7,"rtt":0.000412,"query":"www.google.com","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["93.184.216.34"],"TTLs":[300.0],"rejected":false}"#,
                r#"{"ts":1780304400.013245,"uid":"C0123456789abcdef","id.orig_h":"10.20.1.33","id.orig_p":50123,"id.resp_h":"93.184.216.34","id.resp_p":443,"version":"TLSv13","cipher":"TLS_AES_128_GCM_SHA256","curve":"x25519","server_name":"www.google.com","resumed":false,"next_protocol":"h2","established":true,"ssl_history":"CsiI","cert_chain_fps":[],"client_cert_chain_fps":[]}"#,
                r#"{"_path":"quic","uid":"C1","client_initial_dcid":"00","client_protocol":null,"trans_depth":1,"status_code":null,"method":"CONNECT"}"#,
            ]
            .map(String::from),
        );
        lines
    }

    #[test]
    fn real_lines_are_scanned_and_read_as_serde_json_reads_them() {
        let mut tally = Tally::default();
        let mut keys = KeyOrder::default();
        for line in real_lines() {
            check(&line, &mut keys, &mut tally);
            check(&line, &mut KeyOrder::default(), &mut tally);
        }
        // The fast path must be the common one, or the figures measure serde_json.
        assert!(tally.lines > 300, "{} lines", tally.lines);
        assert!(
            tally.scanned * 10 >= tally.lines * 9,
            "{} of {} scanned",
            tally.scanned,
            tally.lines
        );
    }

    #[test]
    fn hostile_variants_are_read_as_serde_json_reads_them() {
        let mut tally = Tally::default();
        let mut keys = KeyOrder::default();
        for (seed, line) in real_lines().iter().enumerate() {
            for variant in variants(line, seed) {
                check(&variant, &mut keys, &mut tally);
            }
        }
        assert!(tally.lines > 50_000, "{} lines", tally.lines);
        assert!(tally.scanned > 0 && tally.scanned < tally.lines);
    }

    #[test]
    fn keys_too_long_or_too_many_to_remember_never_match() {
        let long = "k".repeat(MAX_KEY_LENGTH + 1);
        let mut line = format!(r#"{{"{long}":1,"ts":2"#);
        for i in 0..MAX_KEYS + 5 {
            let _ = std::fmt::Write::write_fmt(&mut line, format_args!(r#","x{i}":{i}"#));
        }
        line.push('}');
        let mut keys = KeyOrder::default();
        let mut tally = Tally::default();
        for _ in 0..3 {
            check(&line, &mut keys, &mut tally);
            check(r#"{"":1,"ts":3}"#, &mut keys, &mut tally);
        }
        assert_eq!(tally.scanned, tally.lines);
        assert!(keys.keys.len() <= MAX_KEYS);
    }
}
