//! The fast path of the EVE reader: an [`Event`] read by the log scanner (`logs::scan`) in one
//! pass over the line, giving up on anything the scanner is not sure of. Where it does not give
//! up, the event is the one serde's derived reader gives: the same fields, `null` as absent, the
//! same types required, a known key given twice rejected (by giving up); the differential tests
//! hold the two to it.

use super::event::{Dns, DnsAnswer, DnsQuery, Event, Flow, Grouped, Http, ServerName, Tcp, Text};
use crate::logs::scan::Scanner;

/// Reads one event, or `None` when serde_json must.
pub(super) fn event(line: &str) -> Option<Event<'_>> {
    let mut scanner = Scanner::new(line);
    let event = structure(&mut scanner, |event: &mut Event<'_>, seen, scanner, key| {
        match key {
            "event_type" => event.event_type = seen.once(0, text(scanner))?,
            "timestamp" => event.timestamp = seen.once(1, text(scanner))?,
            "flow_id" => event.flow_id = seen.once(2, unsigned(scanner))?,
            "src_ip" => event.src_ip = seen.once(3, text(scanner))?,
            "src_port" => event.src_port = seen.once(4, port(scanner))?,
            "dest_ip" => event.dest_ip = seen.once(5, text(scanner))?,
            "dest_port" => event.dest_port = seen.once(6, port(scanner))?,
            "proto" => event.proto = seen.once(7, text(scanner))?,
            "community_id" => event.community_id = seen.once(8, text(scanner))?,
            "flow" => event.flow = seen.once(9, optional(scanner, flow))?,
            "tcp" => event.tcp = seen.once(10, optional(scanner, tcp))?,
            "dns" => event.dns = seen.once(11, optional(scanner, dns))?,
            "tls" => event.tls = seen.once(12, optional(scanner, server_name))?,
            "quic" => event.quic = seen.once(13, optional(scanner, server_name))?,
            "http" => event.http = seen.once(14, optional(scanner, http))?,
            _ => scanner.skip()?,
        }
        Some(())
    })?;
    scanner.end()?;
    Some(event)
}

/// The known keys of one object already read.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    /// `value`, unless the key numbered `bit` was read before (serde's derived readers reject a
    /// duplicate: serde_json must say so).
    fn once<T>(&mut self, bit: u32, value: Option<T>) -> Option<T> {
        let mask = 1 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        value
    }
}

/// An `Option<T>`: `null` is `None`.
fn optional<'a, T>(
    scanner: &mut Scanner<'a>,
    read: impl FnOnce(&mut Scanner<'a>) -> Option<T>,
) -> Option<Option<T>> {
    if scanner.null() {
        return Some(None);
    }
    read(scanner).map(Some)
}

fn text<'a>(scanner: &mut Scanner<'a>) -> Option<Option<Text<'a>>> {
    optional(scanner, |scanner| scanner.string().map(Text::borrowed))
}

fn unsigned(scanner: &mut Scanner<'_>) -> Option<Option<u64>> {
    optional(scanner, Scanner::unsigned)
}

fn port(scanner: &mut Scanner<'_>) -> Option<Option<u16>> {
    optional(scanner, |scanner| u16::try_from(scanner.unsigned()?).ok())
}

/// A list of `T` (not optional: `null` is not a list).
fn list<'a, T>(
    scanner: &mut Scanner<'a>,
    read: impl Fn(&mut Scanner<'a>) -> Option<T>,
) -> Option<Vec<T>> {
    let mut items = Vec::new();
    scanner.array(|scanner| {
        items.push(read(scanner)?);
        Some(())
    })?;
    Some(items)
}

/// A struct, read from an object: `field` reads the value of each key it knows into the struct
/// (numbering the key for [`Seen`]) and skips the others. Serde's derived readers also take a
/// list of the fields in order, which is left to serde_json.
fn structure<'a, T: Default>(
    scanner: &mut Scanner<'a>,
    mut field: impl FnMut(&mut T, &mut Seen, &mut Scanner<'a>, &'a str) -> Option<()>,
) -> Option<T> {
    if scanner.peek_token()? != b'{' {
        return None;
    }
    let mut value = T::default();
    let mut seen = Seen::default();
    scanner.object(|scanner, key| field(&mut value, &mut seen, scanner, key))?;
    Some(value)
}

fn flow<'a>(scanner: &mut Scanner<'a>) -> Option<Flow<'a>> {
    structure(scanner, |flow: &mut Flow<'a>, seen, scanner, key| {
        match key {
            "pkts_toserver" => flow.pkts_toserver = seen.once(0, scanner.unsigned())?,
            "pkts_toclient" => flow.pkts_toclient = seen.once(1, scanner.unsigned())?,
            "bytes_toserver" => flow.bytes_toserver = seen.once(2, scanner.unsigned())?,
            "bytes_toclient" => flow.bytes_toclient = seen.once(3, scanner.unsigned())?,
            "start" => flow.start = seen.once(4, text(scanner))?,
            "end" => flow.end = seen.once(5, text(scanner))?,
            _ => scanner.skip()?,
        }
        Some(())
    })
}

fn tcp<'a>(scanner: &mut Scanner<'a>) -> Option<Tcp<'a>> {
    structure(scanner, |tcp: &mut Tcp<'a>, seen, scanner, key| {
        match key {
            "tcp_flags_ts" => tcp.tcp_flags_ts = seen.once(0, text(scanner))?,
            "tcp_flags_tc" => tcp.tcp_flags_tc = seen.once(1, text(scanner))?,
            _ => scanner.skip()?,
        }
        Some(())
    })
}

fn dns<'a>(scanner: &mut Scanner<'a>) -> Option<Dns<'a>> {
    structure(scanner, |dns: &mut Dns<'a>, seen, scanner, key| {
        match key {
            "version" => dns.version = seen.once(0, unsigned(scanner))?,
            "type" => dns.kind = seen.once(1, text(scanner))?,
            "id" => dns.id = seen.once(2, unsigned(scanner))?,
            "rrname" => dns.rrname = seen.once(3, text(scanner))?,
            "rrtype" => dns.rrtype = seen.once(4, text(scanner))?,
            "ttl" => dns.ttl = seen.once(5, unsigned(scanner))?,
            "rdata" => dns.rdata = seen.once(6, text(scanner))?,
            "queries" => {
                let queries = optional(scanner, |scanner| list(scanner, dns_query));
                dns.queries = seen.once(7, queries)?;
            }
            "answers" => {
                let answers = optional(scanner, |scanner| list(scanner, dns_answer));
                dns.answers = seen.once(8, answers)?;
            }
            "grouped" => dns.grouped = seen.once(9, optional(scanner, grouped))?,
            _ => scanner.skip()?,
        }
        Some(())
    })
}

fn dns_query<'a>(scanner: &mut Scanner<'a>) -> Option<DnsQuery<'a>> {
    structure(scanner, |query: &mut DnsQuery<'a>, seen, scanner, key| {
        match key {
            "rrname" => query.rrname = seen.once(0, text(scanner))?,
            _ => scanner.skip()?,
        }
        Some(())
    })
}

fn dns_answer<'a>(scanner: &mut Scanner<'a>) -> Option<DnsAnswer<'a>> {
    structure(scanner, |answer: &mut DnsAnswer<'a>, seen, scanner, key| {
        match key {
            "rrname" => answer.rrname = seen.once(0, text(scanner))?,
            "rrtype" => answer.rrtype = seen.once(1, text(scanner))?,
            "ttl" => answer.ttl = seen.once(2, unsigned(scanner))?,
            "rdata" => answer.rdata = seen.once(3, text(scanner))?,
            _ => scanner.skip()?,
        }
        Some(())
    })
}

fn grouped<'a>(scanner: &mut Scanner<'a>) -> Option<Grouped<'a>> {
    let string = |scanner: &mut Scanner<'a>| scanner.string().map(Text::borrowed);
    structure(scanner, |grouped: &mut Grouped<'a>, seen, scanner, key| {
        match key {
            "A" => grouped.a = seen.once(0, list(scanner, string))?,
            "AAAA" => grouped.aaaa = seen.once(1, list(scanner, string))?,
            "CNAME" => grouped.cname = seen.once(2, list(scanner, string))?,
            _ => scanner.skip()?,
        }
        Some(())
    })
}

fn server_name<'a>(scanner: &mut Scanner<'a>) -> Option<ServerName<'a>> {
    structure(scanner, |name: &mut ServerName<'a>, seen, scanner, key| {
        match key {
            "sni" => name.sni = seen.once(0, text(scanner))?,
            _ => scanner.skip()?,
        }
        Some(())
    })
}

fn http<'a>(scanner: &mut Scanner<'a>) -> Option<Http<'a>> {
    structure(scanner, |http: &mut Http<'a>, seen, scanner, key| {
        match key {
            "hostname" => http.hostname = seen.once(0, text(scanner))?,
            "http_method" => http.http_method = seen.once(1, text(scanner))?,
            "url" => http.url = seen.once(2, text(scanner))?,
            _ => scanner.skip()?,
        }
        Some(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::scan_variants::variants;
    use std::io::Read;

    /// Reads `line` both ways: where the scanner does not give up, serde_json must read the line,
    /// and to the same event. Returns whether the scanner read it.
    fn check(line: &str) -> bool {
        let fast = event(line);
        let slow = serde_json::from_str::<Event<'_>>(line);
        let Some(fast) = fast else { return false };
        match slow {
            Ok(slow) => assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{line}"),
            Err(e) => panic!("scanned, but serde_json says {e}: {line}"),
        }
        true
    }

    /// The events of the Suricata fixture (real Suricata output) and events of the other kinds
    /// and versions the reader knows.
    fn real_lines() -> Vec<String> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/suricata/eve.json.gz"
        );
        let file = std::fs::File::open(path).expect("the Suricata fixture");
        let mut text = String::new();
        flate2::read::GzDecoder::new(file)
            .read_to_string(&mut text)
            .expect("gzip");
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        lines.extend(
            [
                r#"{"timestamp":"2016-05-18T16:51:47.123456+0000","flow_id":1,"event_type":"dns","src_ip":"10.0.0.1","src_port":53,"dest_ip":"10.0.0.2","dest_port":5353,"proto":"UDP","dns":{"type":"answer","id":7,"rrname":"a.example","rrtype":"A","ttl":60,"rdata":"192.0.2.1"}}"#,
                r#"{"timestamp":"2016-05-18T16:51:47.123456+0000","flow_id":2,"event_type":"dns","dns":{"version":3,"type":"response","queries":[{"rrname":"b.example"}],"grouped":{"CNAME":["c.example"],"A":["192.0.2.2"],"AAAA":["2001:db8::1"]}}}"#,
                r#"{"timestamp":"2016-05-18T16:51:47.123456+0000","flow_id":3,"event_type":"http","http":{"hostname":"proxy.example","url":"d.example:443","http_method":"CONNECT","status":200}}"#,
                r#"{"timestamp":"2016-05-18T16:51:47.123456+0000","flow_id":4,"event_type":"quic","quic":{"version":"1","sni":"e.example"},"tls":null,"flow":null,"tcp":{"tcp_flags_ts":"1b","tcp_flags_tc":null}}"#,
                r#"{"timestamp":"2016-05-18T16:51:47.123456+0000","event_type":"alert","alert":{"signature":"x \"quoted\" \\ \u00e9","metadata":{"a":[1,2.5e3,-4]}},"payload_printable":"GET / HTTP/1.1\r\n"}"#,
            ]
            .map(String::from),
        );
        lines
    }

    #[test]
    fn real_events_are_scanned_and_read_as_serde_json_reads_them() {
        let lines = real_lines();
        let scanned = lines.iter().filter(|line| check(line)).count();
        assert!(lines.len() > 400, "{} lines", lines.len());
        // The fast path must be the common one, or the figures measure serde_json.
        assert!(
            scanned * 10 >= lines.len() * 9,
            "{scanned} of {}",
            lines.len()
        );
    }

    #[test]
    fn hostile_variants_are_read_as_serde_json_reads_them() {
        let (mut lines, mut scanned) = (0, 0);
        for (seed, line) in real_lines().iter().enumerate() {
            for variant in variants(line, seed) {
                lines += 1;
                scanned += usize::from(check(&variant));
            }
        }
        assert!(lines > 100_000, "{lines} lines");
        assert!(scanned > 0 && scanned < lines);
    }
}
