//! A JSON scanner for log lines: the fast path in front of serde_json for Zeek's and Suricata's
//! JSON logs.
//!
//! It reads only what it is sure serde_json reads the same way, and gives up (`None`) on anything
//! else; the caller then reads the line with serde_json, so a record is always the one serde_json
//! gives. It gives up on:
//!
//! - a string it must keep, or a key, that holds an escape (serde_json decodes those, and rejects
//!   some, such as a lone surrogate `\ud800`); escapes in skipped strings are checked as
//!   serde_json checks them when it ignores a value;
//! - a number it must keep that is not exact (see [`Scanner::number`]);
//! - skipped values nested deeper than [`MAX_SKIP_DEPTH`];
//! - anything that is not JSON.
//!
//! Duplicate keys are the caller's to notice (serde's derived readers reject a known one).

/// How deep a skipped value may nest before the scanner gives up (serde_json has no limit when it
/// ignores a value; real log lines nest two or three levels).
const MAX_SKIP_DEPTH: u8 = 32;

/// 10^0 to 10^22: every one exact in an `f64`.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The largest integer below which every integer is exact in an `f64`.
const EXACT_INTEGERS: u64 = 1 << 53;

/// A JSON number as serde_json hands it to a visitor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

/// A position in one line of JSON.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Scanner<'a> {
        Scanner { text, at: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// The next byte after whitespace (JSON's four, as serde_json skips them), not consumed.
    #[inline]
    pub(crate) fn peek_token(&mut self) -> Option<u8> {
        while let Some(byte) = self.peek() {
            if !matches!(byte, b' ' | b'\n' | b'\t' | b'\r') {
                return Some(byte);
            }
            self.at += 1;
        }
        None
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek_token()? == byte).then(|| self.at += 1)
    }

    /// Whether only whitespace is left.
    pub(crate) fn end(&mut self) -> Option<()> {
        self.peek_token().is_none().then_some(())
    }

    /// Reads an object, handing each key to `each`, which must read the key's value.
    pub(crate) fn object(
        &mut self,
        mut each: impl FnMut(&mut Scanner<'a>, &'a str) -> Option<()>,
    ) -> Option<()> {
        let mut more = self.open(b'{', b'}')?;
        while more {
            let key = self.string()?;
            self.colon()?;
            each(self, key)?;
            more = self.next(b'}')?;
        }
        Some(())
    }

    /// Reads an array, calling `each` for every item, which must read it.
    pub(crate) fn array(
        &mut self,
        mut each: impl FnMut(&mut Scanner<'a>) -> Option<()>,
    ) -> Option<()> {
        let mut more = self.open(b'[', b']')?;
        while more {
            each(self)?;
            more = self.next(b']')?;
        }
        Some(())
    }

    /// Opens an object or array: whether it has a first entry (else it is closed already).
    pub(crate) fn open(&mut self, open: u8, close: u8) -> Option<bool> {
        self.eat(open)?;
        if self.peek_token()? == close {
            self.at += 1;
            return Some(false);
        }
        Some(true)
    }

    /// After an entry: whether another follows (a comma), or the object or array is closed.
    pub(crate) fn next(&mut self, close: u8) -> Option<bool> {
        let byte = self.peek_token()?;
        self.at += 1;
        match byte {
            b',' => Some(true),
            _ if byte == close => Some(false),
            _ => None,
        }
    }

    /// The colon after a key.
    pub(crate) fn colon(&mut self) -> Option<()> {
        self.eat(b':')
    }

    /// Reads the key `key` (a string without escapes) if it comes next.
    pub(crate) fn key_is(&mut self, key: &[u8]) -> bool {
        let Some(b'"') = self.peek_token() else {
            return false;
        };
        let bytes = self.text.as_bytes();
        let start = self.at + 1;
        let end = start + key.len();
        if bytes.get(start..end) == Some(key) && bytes.get(end) == Some(&b'"') {
            self.at = end + 1;
            return true;
        }
        false
    }

    /// A string without escapes, borrowed from the line.
    #[inline]
    pub(crate) fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let end = start + self.string_run()?;
        if self.text.as_bytes().get(end) != Some(&b'"') {
            return None;
        }
        self.at = end + 1;
        // The line is valid UTF-8 and both ends are ASCII quotes: always a character boundary.
        self.text.get(start..end)
    }

    /// The length of the run of string bytes from here to the next quote, backslash or control
    /// character (which serde_json rejects in a string); `None` at the end of the line.
    #[inline]
    fn string_run(&self) -> Option<usize> {
        let rest = self.text.as_bytes().get(self.at..)?;
        // Eight bytes at a time (as serde_json looks for them): strings of log lines are mostly
        // longer than eight bytes, and a byte-by-byte loop was a fifth of reading a Zeek line.
        let mut chunks = rest.chunks_exact(8);
        let mut offset = 0;
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let stops = string_stops(u64::from_le_bytes(word));
            if stops != 0 {
                return Some(offset + (stops.trailing_zeros() / 8) as usize);
            }
            offset += 8;
        }
        let tail = chunks.remainder();
        let stop = tail
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        Some(offset + stop)
    }

    /// Reads `null` if it comes next.
    pub(crate) fn null(&mut self) -> bool {
        self.peek_token() == Some(b'n') && self.word(b"null").is_some()
    }

    fn word(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at.checked_add(word.len())?;
        (self.text.as_bytes().get(self.at..end)? == word).then(|| self.at = end)
    }

    /// A number, when serde_json reads it exactly so: an integer of at most 19 digits (`-0`
    /// excepted: serde_json makes it a float), or a decimal fraction without exponent whose digits
    /// form an integer below 2^53 with at most 22 after the point. Such a fraction is one exact
    /// integer divided by one exact power of ten, a single correctly rounded operation: the value
    /// serde_json gives with or without its `float_roundtrip` feature.
    #[inline]
    pub(crate) fn number(&mut self) -> Option<Number> {
        let negative = self.peek_token()? == b'-';
        if negative {
            self.at += 1;
        }
        let (whole, whole_digits) = self.digits()?;
        if whole_digits > 1 && self.text.as_bytes().get(self.at - whole_digits) == Some(&b'0') {
            return None;
        }
        match self.peek() {
            Some(b'.') => {
                self.at += 1;
                let start = self.at;
                let mut significand = whole;
                while let Some(digit @ b'0'..=b'9') = self.peek() {
                    significand = significand
                        .checked_mul(10)?
                        .checked_add(u64::from(digit - b'0'))?;
                    self.at += 1;
                }
                let power = EXACT_POWERS_OF_TEN.get(self.at - start)?;
                if self.at == start
                    || significand >= EXACT_INTEGERS
                    || matches!(self.peek(), Some(b'e' | b'E'))
                {
                    return None;
                }
                let value = significand as f64 / power;
                Some(Number::Float(if negative { -value } else { value }))
            }
            Some(b'e' | b'E') => None,
            _ if !negative => Some(Number::Unsigned(whole)),
            _ => match i64::try_from(whole) {
                Ok(n) if n > 0 => Some(Number::Signed(-n)),
                _ => None,
            },
        }
    }

    /// An unsigned integer (as serde reads a `u64`).
    pub(crate) fn unsigned(&mut self) -> Option<u64> {
        match self.number()? {
            Number::Unsigned(n) => Some(n),
            _ => None,
        }
    }

    /// A run of at most 19 digits (which always fits a `u64`) and its length; at least one.
    fn digits(&mut self) -> Option<(u64, usize)> {
        let start = self.at;
        let mut value: u64 = 0;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            if self.at - start == 19 {
                return None;
            }
            value = value * 10 + u64::from(digit - b'0');
            self.at += 1;
        }
        let length = self.at - start;
        (length > 0).then_some((value, length))
    }

    /// Skips any value, checked as serde_json checks a value it ignores.
    pub(crate) fn skip(&mut self) -> Option<()> {
        self.skip_nested(MAX_SKIP_DEPTH)
    }

    fn skip_nested(&mut self, depth: u8) -> Option<()> {
        match self.peek_token()? {
            b'"' => self.skip_string(),
            b'{' => {
                let depth = depth.checked_sub(1)?;
                self.object(|scanner, _| scanner.skip_nested(depth))
            }
            b'[' => {
                let depth = depth.checked_sub(1)?;
                self.array(|scanner| scanner.skip_nested(depth))
            }
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    /// Skips a string; its escapes need only be well formed (`\uXXXX` any four hex digits).
    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            self.at += self.string_run()?;
            let stop = self.peek()?;
            self.at += 1;
            match stop {
                b'"' => return Some(()),
                b'\\' => self.skip_escape()?,
                _ => return None,
            }
        }
    }

    fn skip_escape(&mut self) -> Option<()> {
        let kind = self.peek()?;
        self.at += 1;
        match kind {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(()),
            b'u' => {
                let end = self.at.checked_add(4)?;
                let hex = self.text.as_bytes().get(self.at..end)?;
                hex.iter().all(u8::is_ascii_hexdigit).then(|| self.at = end)
            }
            _ => None,
        }
    }

    /// Skips a number of JSON's grammar, whatever its size (serde_json does not range-check a
    /// number it ignores).
    fn skip_number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.skip_digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.some_digits()?;
        }
        // serde_json rejects a leading zero followed by a digit right there.
        (!matches!(self.peek(), Some(b'0'..=b'9'))).then_some(())
    }

    fn skip_digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    fn some_digits(&mut self) -> Option<()> {
        let start = self.at;
        self.skip_digits();
        (self.at > start).then_some(())
    }
}

/// The high bit of each byte of `word` that is a quote, a backslash or a control character. A
/// byte above a marked one may be marked too (a borrow carries into it), but the lowest marked
/// byte is always the first such byte.
fn string_stops(word: u64) -> u64 {
    const ONES: u64 = u64::MAX / 255;
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    let quotes = word ^ (ONES * u64::from(b'"'));
    let quote = quotes.wrapping_sub(ONES) & !quotes;
    let backslashes = word ^ (ONES * u64::from(b'\\'));
    let backslash = backslashes.wrapping_sub(ONES) & !backslashes;
    (control | quote | backslash) & (ONES << 7)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> Option<Number> {
        let mut scanner = Scanner::new(text);
        let number = scanner.number()?;
        scanner.end()?;
        Some(number)
    }

    /// serde_json's reading of a number, in the scanner's terms.
    fn serde_number(text: &str) -> Option<Number> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let number = value.as_number()?;
        Some(if let Some(n) = number.as_u64() {
            Number::Unsigned(n)
        } else if let Some(n) = number.as_i64() {
            Number::Signed(n)
        } else {
            Number::Float(number.as_f64()?)
        })
    }

    #[test]
    fn numbers_read_are_read_as_serde_json_reads_them() {
        let cases = [
            "0",
            "7",
            "-7",
            "1300475167.096535",
            "0.000412",
            "-0.5",
            "300.0",
            "65535",
            "18446744073709551615",
            "9999999999999999999",
            "9007199254740991.5",
            "0.0000000000000000000001",
            "123456789.123456789",
            "9223372036854775807",
            "-9223372036854775808",
            "1.7976931348623157",
            "4.35",
            "2.675",
            "0.1",
            "0.3",
        ];
        for case in cases {
            if let Some(number) = number(case) {
                let expected = serde_number(case).expect(case);
                match (number, expected) {
                    (Number::Float(a), Number::Float(b)) => {
                        assert_eq!(a.to_bits(), b.to_bits(), "{case}")
                    }
                    _ => assert_eq!(number, expected, "{case}"),
                }
            }
        }
        assert_eq!(
            number("1300475167.096535"),
            Some(Number::Float(1300475167.096535))
        );
        assert_eq!(number("-12"), Some(Number::Signed(-12)));
        for odd in [
            "-0", "01", "1.", "1e3", "1.5E2", "-", "+1", ".5", "0x1", "1.2.3", "NaN",
        ] {
            assert_eq!(number(odd), None, "{odd}");
        }
    }

    #[test]
    fn numbers_of_every_length_are_read_as_serde_json_reads_them() {
        let digits = "31415926535897932384626433832795028841971";
        let mut read = 0;
        for whole in 1..24 {
            for fraction in 0..26 {
                for zeros in [0, 1, 7] {
                    let mut text = digits[..whole].to_string();
                    if fraction > 0 {
                        text = format!("{text}.{}{}", "0".repeat(zeros), &digits[3..3 + fraction]);
                    }
                    for text in [text.clone(), format!("-{text}")] {
                        let Some(number) = number(&text) else {
                            continue;
                        };
                        read += 1;
                        match (number, serde_number(&text).expect(&text)) {
                            (Number::Float(a), Number::Float(b)) => {
                                assert_eq!(a.to_bits(), b.to_bits(), "{text}")
                            }
                            (a, b) => assert_eq!(a, b, "{text}"),
                        }
                    }
                }
            }
        }
        assert!(read > 300, "{read}");
    }

    #[test]
    fn skipped_values_are_checked_as_serde_json_checks_them() {
        let valid = [
            r#"{"a":[1,-2.5e+3,{"b":null}],"c":"x\"\\\/\b\f\n\r\t\u00e9\ud800"}"#,
            " [ true , false , null , 0 , -0 , 1E400 ] ",
            r#""""#,
        ];
        let invalid = [
            r#"{"a":01}"#,
            r#""\x""#,
            r#""\u12g4""#,
            "[1,]",
            r#"{"a":1,}"#,
            "[1 2]",
            "tru",
            "\"a\tb\"",
            "{\"a\"1}",
            "-",
            "1.",
            "1e",
            "[",
            "{",
        ];
        for (text, expected) in valid
            .iter()
            .map(|t| (t, true))
            .chain(invalid.iter().map(|t| (t, false)))
        {
            let mut scanner = Scanner::new(text);
            let scanned = scanner.skip().and_then(|()| scanner.end()).is_some();
            let serde = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
            assert_eq!(serde, expected, "serde on {text}");
            assert_eq!(scanned, expected, "scanner on {text}");
        }
    }

    #[test]
    fn deep_nesting_gives_up_without_recursing_far() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let mut scanner = Scanner::new(&deep);
        assert_eq!(scanner.skip(), None);
    }

    #[test]
    fn strings_with_escapes_are_left_to_serde() {
        let mut scanner = Scanner::new(r#""plain" "esc\"aped""#);
        assert_eq!(scanner.string(), Some("plain"));
        assert_eq!(scanner.string(), None);
    }
}
