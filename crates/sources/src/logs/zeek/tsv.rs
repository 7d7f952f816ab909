//! Zeek's ASCII (TSV) logs: a header block (`#separator`, `#set_separator`, `#empty_field`,
//! `#unset_field`, `#path`, `#open`, `#fields`, `#types`) then one record per line, `#close` at
//! the end. Several logs may follow one another in one file; each `#separator` starts a new block
//! and each `#fields` a new column layout.
//!
//! Fields are picked by name from `#fields`, so any column order and any extra columns work. Zeek
//! escapes non-printable bytes, the backslash and separators inside values as `\xNN`; names keep
//! those escapes except for printable characters (a `,` inside a set element), which is how the
//! capture engine writes untrusted names too.

use super::field::{LogField, NAMES};
use super::record::{
    ConnRecord, DnsRecord, LogPath, Record, asks_for_addresses, flow_key, min_ttl, tcp_state,
    tls_kind, transport,
};
use crate::logs::address::parse_address;
use crate::logs::join::AppName;
use crate::logs::time::decimal_seconds_nanos;
use ringfence_model::Transport;
use std::borrow::Cow;
use std::net::IpAddr;

/// Fields without which a log's records cannot be read.
fn required(path: LogPath) -> &'static [LogField] {
    match path {
        LogPath::Conn => &[
            LogField::Ts,
            LogField::OrigH,
            LogField::OrigP,
            LogField::RespH,
            LogField::RespP,
            LogField::Proto,
        ],
        LogPath::Dns => &[LogField::Ts, LogField::Query, LogField::Answers],
        LogPath::Ssl | LogPath::Quic => &[LogField::Uid, LogField::ServerName],
        LogPath::Http => &[LogField::Uid, LogField::Host],
        LogPath::Other => &[],
    }
}

/// The values of one line, by slot.
type Values<'a> = [Option<&'a [u8]>; NAMES.len()];

/// What a line was.
pub(crate) enum TsvLine<'a> {
    /// A header, a comment or a blank line.
    Header,
    Record(Record<'a>),
}

/// The header block in force.
pub(crate) struct TsvState {
    separator: Vec<u8>,
    set_separator: Vec<u8>,
    empty_field: Vec<u8>,
    unset_field: Vec<u8>,
    path: Option<LogPath>,
    /// For each column of `#fields`, the slot it fills (`None` when not read); `None` before the
    /// first `#fields`.
    columns: Option<Vec<Option<LogField>>>,
    /// The log the file name suggests, for a block without `#path`.
    path_hint: LogPath,
}

impl TsvState {
    pub(crate) fn new(path_hint: LogPath) -> TsvState {
        TsvState {
            separator: b"\t".to_vec(),
            set_separator: b",".to_vec(),
            empty_field: b"(empty)".to_vec(),
            unset_field: b"-".to_vec(),
            path: None,
            columns: None,
            path_hint,
        }
    }

    /// Whether a `#fields` header is in force (a line starting with `{` is then a TSV record).
    pub(crate) fn has_columns(&self) -> bool {
        self.columns.is_some()
    }

    pub(crate) fn line<'a>(&mut self, line: &'a [u8]) -> Result<TsvLine<'a>, String> {
        if line.is_empty() {
            return Ok(TsvLine::Header);
        }
        if line.starts_with(b"#") {
            self.header(line)?;
            return Ok(TsvLine::Header);
        }
        let Some(columns) = &self.columns else {
            return Err("a record before any #fields header".into());
        };
        let mut values: Values<'a> = [None; NAMES.len()];
        let mut count = 0usize;
        let mut keep = |field: &'a [u8]| {
            if let Some(Some(slot)) = columns.get(count)
                && let Some(value) = values.get_mut(*slot as usize)
            {
                *value = (field != self.unset_field.as_slice()).then_some(field);
            }
            count += 1;
        };
        match self.separator.as_slice() {
            // The usual case, without the general iterator's bookkeeping.
            [separator] => {
                let mut start = 0;
                for end in Separators::new(line, *separator) {
                    keep(line.get(start..end).unwrap_or_default());
                    start = end + 1;
                }
                keep(line.get(start..).unwrap_or_default());
            }
            separator => Fields::new(line, separator).for_each(keep),
        }
        if count != columns.len() {
            return Err(format!(
                "{count} fields where the #fields header has {}",
                columns.len()
            ));
        }
        let record = Parsed {
            values: &values,
            state: self,
        };
        Ok(TsvLine::Record(record.record()?))
    }

    fn header(&mut self, line: &[u8]) -> Result<(), String> {
        if let Some(value) = line.strip_prefix(b"#separator ") {
            let separator = unescape_all(value);
            if separator.is_empty() {
                return Err("empty #separator".into());
            }
            *self = TsvState::new(self.path_hint);
            self.separator = separator;
            return Ok(());
        }
        let mut parts = Fields::new(line, &self.separator);
        let name = parts.next().unwrap_or_default();
        let value = line
            .get(name.len().saturating_add(self.separator.len())..)
            .unwrap_or_default();
        match name {
            b"#set_separator" => {
                self.set_separator = unescape_all(value);
                if self.set_separator.is_empty() {
                    self.set_separator = b",".to_vec();
                    return Err("empty #set_separator: `,` is used".into());
                }
            }
            b"#empty_field" => self.empty_field = value.to_vec(),
            b"#unset_field" => self.unset_field = value.to_vec(),
            b"#path" => self.path = Some(LogPath::from_name(value)),
            b"#fields" => {
                let columns = columns_of(parts);
                let path = self.path();
                let missing = required(path)
                    .iter()
                    .find(|slot| !columns.contains(&Some(**slot)));
                self.columns = Some(columns);
                if let Some(slot) = missing {
                    // The block's records are counted as records of another log.
                    self.path = Some(LogPath::Other);
                    return Err(format!(
                        "#fields of a {path:?} log without {}: its records cannot be read",
                        slot.name()
                    ));
                }
            }
            // #open, #close, #types, and comments.
            _ => {}
        }
        Ok(())
    }

    fn path(&self) -> LogPath {
        self.path.unwrap_or(self.path_hint)
    }
}

/// For each column of a `#fields` line, the slot it fills.
fn columns_of<'a>(names: impl Iterator<Item = &'a [u8]>) -> Vec<Option<LogField>> {
    names.map(LogField::of).collect()
}

/// The values of one record with the header that explains them.
struct Parsed<'v, 'a> {
    values: &'v Values<'a>,
    state: &'v TsvState,
}

impl<'a> Parsed<'_, 'a> {
    fn record(&self) -> Result<Record<'a>, String> {
        match self.state.path() {
            LogPath::Conn => self.conn(),
            LogPath::Dns => self.dns(),
            LogPath::Ssl => {
                let kind = tls_kind(self.get(LogField::Version));
                self.names(&[(LogField::ServerName, kind)])
            }
            LogPath::Quic => self.names(&[(LogField::ServerName, AppName::Quic)]),
            LogPath::Http => {
                let connect = self.get(LogField::Method) == Some(b"CONNECT");
                let mut wanted = vec![(LogField::Host, AppName::HttpHost)];
                if connect {
                    wanted.push((LogField::Uri, AppName::HttpConnect));
                }
                self.names(&wanted)
            }
            LogPath::Other => Ok(Record::Other),
        }
    }

    fn get(&self, slot: LogField) -> Option<&'a [u8]> {
        self.values.get(slot as usize).copied().flatten()
    }

    fn required(&self, slot: LogField) -> Result<&'a [u8], String> {
        self.get(slot)
            .ok_or_else(|| format!("{} is unset", slot.name()))
    }

    fn conn(&self) -> Result<Record<'a>, String> {
        let Some(transport) = transport(self.required(LogField::Proto)?) else {
            return Ok(Record::OtherTransport);
        };
        let ts = self.seconds(LogField::Ts)?.ok_or("ts is unset")?;
        let orig = (self.address(LogField::OrigH)?, self.port(LogField::OrigP)?);
        let resp = (self.address(LogField::RespH)?, self.port(LogField::RespP)?);
        let tcp_state = match transport {
            Transport::Tcp => self.get(LogField::ConnState).and_then(tcp_state),
            Transport::Udp => None,
        };
        Ok(Record::Conn(ConnRecord {
            uid: self.text(LogField::Uid)?,
            key: flow_key(transport, orig, resp),
            ts,
            duration: self.seconds(LogField::Duration)?,
            orig_pkts: self.count(LogField::OrigPkts)?,
            orig_ip_bytes: self.count(LogField::OrigIpBytes)?,
            orig_bytes: self.count(LogField::OrigBytes)?,
            resp_pkts: self.count(LogField::RespPkts)?,
            resp_ip_bytes: self.count(LogField::RespIpBytes)?,
            resp_bytes: self.count(LogField::RespBytes)?,
            tcp_state,
            community_id: self.text(LogField::CommunityId)?,
        }))
    }

    fn dns(&self) -> Result<Record<'a>, String> {
        let qtype = match self.get(LogField::Qtype) {
            Some(code) => Some(parse_count(code).ok_or("qtype is not a number")?),
            None => None,
        };
        if !asks_for_addresses(qtype, self.get(LogField::QtypeName)) {
            return Ok(Record::NoAnswer);
        }
        let (Some(query), Some(answers)) =
            (self.text(LogField::Query)?, self.get(LogField::Answers))
        else {
            return Ok(Record::NoAnswer);
        };
        let ts = self.seconds(LogField::Ts)?.ok_or("ts is unset")?;
        let rtt = self.seconds(LogField::Rtt)?.unwrap_or(0);
        let answers = self
            .elements(answers)
            .map(text_of)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("answers: {e}"))?;
        let ttls = match self.get(LogField::Ttls) {
            Some(list) => self
                .elements(list)
                .map(|t| decimal_seconds_nanos(t).ok_or("a TTL is not a number"))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        Ok(Record::Dns(DnsRecord {
            answered: ts.saturating_add(rtt.max(0)),
            query,
            answers,
            min_ttl: min_ttl(ttls.into_iter()),
        }))
    }

    fn names(&self, wanted: &[(LogField, AppName)]) -> Result<Record<'a>, String> {
        let uid = self.text(LogField::Uid)?.ok_or("uid is unset")?;
        let mut names = Vec::new();
        for (slot, kind) in wanted {
            if let Some(name) = self.text(*slot)? {
                names.push((name, *kind));
            }
        }
        Ok(Record::Names { uid, names })
    }

    /// The elements of a set or vector field (`(empty)` has none).
    fn elements(&self, value: &'a [u8]) -> Fields<'a, '_> {
        let fields = Fields::new(value, &self.state.set_separator);
        if value == self.state.empty_field.as_slice() {
            fields.none()
        } else {
            fields
        }
    }

    fn text(&self, slot: LogField) -> Result<Option<Cow<'a, str>>, String> {
        match self.get(slot) {
            None => Ok(None),
            Some(value) if value == self.state.empty_field.as_slice() => Ok(None),
            Some(value) => text_of(value)
                .map(Some)
                .map_err(|e| format!("{}: {e}", slot.name())),
        }
    }

    fn seconds(&self, slot: LogField) -> Result<Option<i64>, String> {
        match self.get(slot) {
            None => Ok(None),
            Some(value) => decimal_seconds_nanos(value).map(Some).ok_or_else(|| {
                format!("{} is not a time in seconds: {}", slot.name(), shown(value))
            }),
        }
    }

    fn count(&self, slot: LogField) -> Result<u64, String> {
        match self.get(slot) {
            None => Ok(0),
            Some(value) => parse_count(value)
                .ok_or_else(|| format!("{} is not a count: {}", slot.name(), shown(value))),
        }
    }

    fn port(&self, slot: LogField) -> Result<u16, String> {
        let value = self.required(slot)?;
        parse_count(value)
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| format!("{} is not a port: {}", slot.name(), shown(value)))
    }

    fn address(&self, slot: LogField) -> Result<IpAddr, String> {
        let value = self.required(slot)?;
        parse_address(value)
            .ok_or_else(|| format!("{} is not an address: {}", slot.name(), shown(value)))
    }
}

/// The fields of a line (or the elements of a set) between separators.
struct Fields<'a, 's> {
    rest: Option<&'a [u8]>,
    line: &'a [u8],
    start: usize,
    search: Search<'a, 's>,
}

enum Search<'a, 's> {
    Byte(Separators<'a>),
    Bytes(&'s [u8]),
}

impl<'a, 's> Fields<'a, 's> {
    fn new(line: &'a [u8], separator: &'s [u8]) -> Self {
        let search = match separator {
            [byte] => Search::Byte(Separators::new(line, *byte)),
            _ => Search::Bytes(separator),
        };
        Fields {
            rest: Some(line),
            line,
            start: 0,
            search,
        }
    }

    /// No fields at all (an empty set).
    fn none(mut self) -> Self {
        self.rest = None;
        self
    }
}

impl<'a> Iterator for Fields<'a, '_> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        let found = match &mut self.search {
            Search::Byte(positions) => positions.next().map(|at| (at - self.start, 1)),
            Search::Bytes([]) => None,
            Search::Bytes(separator) => {
                memchr::memmem::find(rest, separator).map(|at| (at, separator.len()))
            }
        };
        match found {
            Some((at, separator_len)) => {
                let next = self.start + at + separator_len;
                self.rest = self.line.get(next..);
                self.start = next;
                rest.get(..at)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// The positions of one byte in a line, eight bytes at a time (SWAR). Fields are short (a few
/// bytes each), so a SIMD search restarted per field (`memchr`) spends more in setting up than in
/// searching; this finds every tab of a typical conn.log line about four times faster.
struct Separators<'a> {
    line: &'a [u8],
    pattern: u64,
    /// Where the word in `mask` starts, and where the next word starts.
    base: usize,
    next: usize,
    /// High bit set in each byte of the current word that equals the separator.
    mask: u64,
}

const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;

impl<'a> Separators<'a> {
    fn new(line: &'a [u8], separator: u8) -> Self {
        Separators {
            line,
            pattern: u64::from_le_bytes([separator; 8]),
            base: 0,
            next: 0,
            mask: 0,
        }
    }
}

impl Iterator for Separators<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            let rest = self.line.get(self.next..).filter(|r| !r.is_empty())?;
            let word = match rest.first_chunk::<8>() {
                Some(word) => *word,
                None => {
                    // A short last word is padded with bytes that differ from the separator.
                    let mut word = [!(self.pattern as u8); 8];
                    for (to, from) in word.iter_mut().zip(rest) {
                        *to = *from;
                    }
                    word
                }
            };
            let x = u64::from_le_bytes(word) ^ self.pattern;
            // Exact zero-byte detection: no false positives from borrows.
            let t = (x & LOW_SEVEN).wrapping_add(LOW_SEVEN);
            self.mask = !(t | x | LOW_SEVEN);
            self.base = self.next;
            self.next += 8;
        }
        let at = self.base + (self.mask.trailing_zeros() / 8) as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// A value as text: printable `\xNN` escapes undone (they were escaped only because they are
/// separators), the others kept as Zeek wrote them.
fn text_of(value: &[u8]) -> Result<Cow<'_, str>, String> {
    let bytes = if memchr::memchr(b'\\', value).is_some() {
        Cow::Owned(unescape(value, |b| (0x20..0x7f).contains(&b) && b != b'\\'))
    } else {
        Cow::Borrowed(value)
    };
    match bytes {
        Cow::Borrowed(b) => std::str::from_utf8(b).map(Cow::Borrowed),
        Cow::Owned(v) => String::from_utf8(v)
            .map(Cow::Owned)
            .map_err(|e| e.utf8_error()),
    }
    .map_err(|_| "not UTF-8".to_string())
}

/// A header value with every `\xNN` escape undone (`#separator \x09`).
fn unescape_all(value: &[u8]) -> Vec<u8> {
    unescape(value, |_| true)
}

fn unescape(value: &[u8], undo: impl Fn(u8) -> bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        if b == b'\\'
            && value.get(i + 1) == Some(&b'x')
            && let Some(byte) = value
                .get(i + 2..i + 4)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            && undo(byte)
        {
            out.push(byte);
            i += 4;
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

/// Decimal digits only, at most `u64::MAX`.
fn parse_count(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 20 {
        return None;
    }
    value.iter().try_fold(0u64, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// A value for a problem message: at most 40 bytes, escaped.
fn shown(value: &[u8]) -> String {
    let cut = value.get(..40).unwrap_or(value);
    let mut text = crate::capture::tls::escape_bytes(cut);
    if cut.len() < value.len() {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<Result<String, String>> {
        let mut state = TsvState::new(LogPath::Other);
        let mut out = Vec::new();
        for line in text.lines() {
            match state.line(line.as_bytes()) {
                Ok(TsvLine::Header) => {}
                Ok(TsvLine::Record(record)) => out.push(Ok(describe(&record))),
                Err(e) => out.push(Err(e)),
            }
        }
        out
    }

    fn describe(record: &Record<'_>) -> String {
        match record {
            Record::Conn(c) => format!(
                "conn {} {:?} {}:{}>{}:{} {:?} {:?}",
                c.uid.as_deref().unwrap_or("?"),
                c.key.transport,
                c.key.orig_addr,
                c.key.orig_port,
                c.key.resp_addr,
                c.key.resp_port,
                c.duration,
                c.tcp_state
            ),
            Record::Dns(d) => format!("dns {} {:?} {:?}", d.query, d.answers, d.min_ttl),
            Record::Names { uid, names } => format!("names {uid} {names:?}"),
            Record::OtherTransport => "other transport".into(),
            Record::NoAnswer => "no answer".into(),
            Record::Other => "other".into(),
        }
    }

    #[test]
    fn header_blocks_and_separators_are_honoured() {
        let log = "#separator \\x7c\n#set_separator|;\n#empty_field|EMPTY\n#unset_field|NONE\n\
                   #path|dns\n#fields|ts|uid|query|qtype|answers|TTLs|extra\n\
                   1.5|C1|a\\x7cb.example|1|x.example;192.0.2.1|10.0;5.5|whatever\n\
                   1.5|C2|b.example|1|EMPTY|NONE|\n\
                   #separator \\x09\n#path\tssl\n#fields\tuid\tserver_name\tversion\n\
                   C3\tExample.COM\tTLSv13\nC4\t-\tDTLSv12\n";
        assert_eq!(
            records(log),
            vec![
                Ok(r#"dns a|b.example ["x.example", "192.0.2.1"] Some(5)"#.to_string()),
                Ok(r#"dns b.example [] None"#.to_string()),
                Ok(r#"names C3 [("Example.COM", Tls)]"#.to_string()),
                Ok("names C4 []".to_string()),
            ]
        );
    }

    #[test]
    fn bad_records_say_why() {
        let log = "#separator \\x09\n#path\tconn\n\
                   #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\tconn_state\n\
                   1.0\tC1\t10.0.0.1\t1234\t10.0.0.2\t80\ttcp\t-\tS0\n\
                   1.0\tC2\t10.0.0.1\t1234\t10.0.0.2\t80\ttcp\n\
                   1.0\tC3\t10.0.0.1\t99999\t10.0.0.2\t80\ttcp\t-\tS0\n\
                   1.0\tC4\tnot-an-address\t1\t10.0.0.2\t80\tudp\t-\t-\n\
                   XXXXXXXXXX.XXXXXX\tC5\t10.0.0.1\t1\t10.0.0.2\t80\tudp\t-\t-\n\
                   1.0\tC6\t10.0.0.1\t1\t10.0.0.2\t0\ticmp\t-\t-\n\
                   1.0\tC7\t10.0.0.1\t1\t10.0.0.2\t80\tudp\t0.25\tSF\n";
        let got = records(log);
        assert_eq!(
            got[0],
            Ok("conn C1 Tcp 10.0.0.1:1234>10.0.0.2:80 None Some(Attempted)".into())
        );
        assert_eq!(
            got[1],
            Err("7 fields where the #fields header has 9".into())
        );
        assert_eq!(got[2], Err("id.orig_p is not a port: 99999".into()));
        assert_eq!(
            got[3],
            Err("id.orig_h is not an address: not-an-address".into())
        );
        assert_eq!(
            got[4],
            Err("ts is not a time in seconds: XXXXXXXXXX.XXXXXX".into())
        );
        assert_eq!(got[5], Ok("other transport".into()));
        assert_eq!(
            got[6],
            Ok("conn C7 Udp 10.0.0.1:1>10.0.0.2:80 Some(250000000) None".into())
        );
    }

    #[test]
    fn headers_missing_needed_fields_and_records_without_header_are_problems() {
        let got = records("1.0\tC1\n#path\tconn\n#fields\tts\tuid\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], Err("a record before any #fields header".into()));
        assert!(got[1].as_ref().unwrap_err().contains("without id.orig_h"));
    }

    #[test]
    fn separators_are_found_at_every_position_and_line_length() {
        for length in 0..40 {
            for separator in [b'\t', 0u8, 0xff, b','] {
                let line: Vec<u8> = (0..length)
                    .map(|i: usize| {
                        if i % 3 == 1 || i.is_multiple_of(7) {
                            separator
                        } else {
                            b'a' + (i % 26) as u8
                        }
                    })
                    .collect();
                let expected: Vec<usize> = line
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == separator)
                    .map(|(i, _)| i)
                    .collect();
                let found: Vec<usize> = Separators::new(&line, separator).collect();
                assert_eq!(found, expected, "length {length}, separator {separator}");
                let fields: Vec<&[u8]> = Fields::new(&line, &[separator]).collect();
                let split: Vec<&[u8]> = line.split(|b| *b == separator).collect();
                assert_eq!(fields, split);
            }
        }
    }

    #[test]
    fn escapes_of_printable_bytes_are_undone_and_others_kept() {
        assert_eq!(text_of(b"a\\x2cb\\x00c\\x5c").unwrap(), "a,b\\x00c\\x5c");
        assert_eq!(text_of(b"trailing\\x4").unwrap(), "trailing\\x4");
        assert!(text_of(b"\xff").is_err());
        assert_eq!(parse_count(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_count(b"18446744073709551616"), None);
        assert_eq!(parse_count(b"-1"), None);
    }
}
