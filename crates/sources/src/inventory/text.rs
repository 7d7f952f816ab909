//! The text encodings inventories come in, and reading them as UTF-8 with offsets into the
//! stream as it was written.
//!
//! Windows tools write UTF-16LE with a byte-order mark (regedit's default, Windows PowerShell's
//! `>` and `Out-File`) or the ANSI code page (`REGEDIT4`, `Out-File -Encoding Default`); everything
//! else is UTF-8. Written by hand rather than with `encoding_rs`: ringfence needs exactly two
//! decoders (UTF-16LE, which std decodes, and Windows-1252, one 32-entry table), and problems and
//! evidence references must give byte offsets in the *undecoded* stream, which a transcoding
//! reader would hide.

use crate::logs::lines::{self, Line, LinePosition};
use std::borrow::Cow;
use std::io::{self, BufRead, Read};

const UTF16LE_BOM: [u8; 2] = [0xff, 0xfe];
const UTF8_BOM: [u8; 3] = [0xef, 0xbb, 0xbf];

/// How the stream's bytes encode its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-8 (a line that is not valid UTF-8 is read as Windows-1252).
    Utf8,
    /// UTF-16LE after a byte-order mark.
    Utf16Le,
}

impl Encoding {
    pub(crate) fn of(head: &[u8]) -> Encoding {
        if head.starts_with(&UTF16LE_BOM) {
            Encoding::Utf16Le
        } else {
            Encoding::Utf8
        }
    }
}

/// The first bytes of a stream as UTF-8 text, for format detection: UTF-16LE decoded, byte-order
/// marks removed.
pub(crate) fn head_text(head: &[u8]) -> Cow<'_, str> {
    match Encoding::of(head) {
        Encoding::Utf16Le => {
            let units = head
                .get(2..)
                .unwrap_or_default()
                .chunks_exact(2)
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
            Cow::Owned(
                char::decode_utf16(units)
                    .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect(),
            )
        }
        Encoding::Utf8 => {
            let head = head.strip_prefix(&UTF8_BOM).unwrap_or(head);
            match std::str::from_utf8(head) {
                Ok(text) => Cow::Borrowed(text),
                // The head may end inside a character; what comes before it is enough.
                Err(e) => String::from_utf8_lossy(head.get(..e.valid_up_to()).unwrap_or_default()),
            }
        }
    }
}

/// A line's bytes as text: UTF-8 when valid, else Windows-1252 (the ANSI code page of Western
/// Windows installations, a superset of Latin-1 for display purposes).
pub(crate) fn decode_line(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| windows_1252(b)).collect()),
    }
}

/// Windows-1252: Latin-1 except 0x80–0x9F, which hold typographic characters (`™` is 0x99).
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9f => HIGH
            .get(usize::from(byte - 0x80))
            .copied()
            .unwrap_or(char::REPLACEMENT_CHARACTER),
        _ => char::from(byte),
    }
}

/// Calls `each` with every line of `reader` as UTF-8 text (byte-order mark removed; UTF-16LE
/// decoded), with its number and the offset of its first byte in the stream. Lines longer than
/// `max_line` bytes are reported as [`Line::TooLong`]. Returns the bytes read, or the I/O error
/// that stopped the reading with the offset reached.
pub(crate) fn for_each_line(
    reader: &mut dyn BufRead,
    encoding: Encoding,
    max_line: usize,
    mut each: impl FnMut(LinePosition, Line<'_>),
) -> Result<u64, (u64, io::Error)> {
    match encoding {
        Encoding::Utf8 => lines::for_each_line(reader, max_line, |at, line| match line {
            Line::Text(text) if at.number == 1 => {
                each(at, Line::Text(text.strip_prefix(&UTF8_BOM).unwrap_or(text)));
            }
            line => each(at, line),
        }),
        Encoding::Utf16Le => utf16_lines(reader, max_line, each),
    }
}

/// UTF-16LE lines: split on the unit U+000A, decoded one line at a time. A line's units are
/// gathered in a scratch buffer that never holds more than `max_line / 2` units.
fn utf16_lines(
    reader: &mut dyn BufRead,
    max_line: usize,
    mut each: impl FnMut(LinePosition, Line<'_>),
) -> Result<u64, (u64, io::Error)> {
    let max_units = max_line / 2;
    let mut units: Vec<u16> = Vec::new();
    let mut decoded = String::new();
    let mut skipped: u64 = 0;
    let mut odd: Option<u8> = None;
    let mut consumed: u64 = 0;
    let mut position = LinePosition {
        number: 1,
        offset: 0,
    };
    // The byte-order mark is decoded as U+FEFF and dropped from the first line.
    let mut emit = |units: &mut Vec<u16>, skipped: &mut u64, at: LinePosition| {
        if *skipped > 0 {
            each(at, Line::TooLong { length: *skipped });
            *skipped = 0;
        } else {
            let body = match (at.offset, units.first()) {
                (0, Some(0xfeff)) => units.get(1..).unwrap_or_default(),
                _ => units.as_slice(),
            };
            let body = body.strip_suffix(&[0x0d]).unwrap_or(body);
            decoded.clear();
            decoded.extend(
                char::decode_utf16(body.iter().copied())
                    .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)),
            );
            each(at, Line::Text(decoded.as_bytes()));
        }
        units.clear();
    };
    loop {
        let buffer = match reader.fill_buf() {
            Ok(buffer) => buffer,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err((consumed, e)),
        };
        if buffer.is_empty() {
            // A dangling odd byte at the end is not a character: ignored.
            if skipped > 0 || !units.is_empty() {
                emit(&mut units, &mut skipped, position);
            }
            return Ok(consumed);
        }
        let length = buffer.len();
        let mut bytes = buffer.iter().copied();
        while let Some(byte) = bytes.next() {
            let unit = match odd.take() {
                Some(low) => u16::from_le_bytes([low, byte]),
                None => match bytes.next() {
                    Some(high) => u16::from_le_bytes([byte, high]),
                    None => {
                        // A unit split across two fills: completed by the next one.
                        odd = Some(byte);
                        break;
                    }
                },
            };
            if unit == 0x000a {
                emit(&mut units, &mut skipped, position);
                position = LinePosition {
                    number: position.number.saturating_add(1),
                    offset: consumed.saturating_add((length - bytes.len()) as u64),
                };
            } else if skipped > 0 || units.len() >= max_units {
                skipped = skipped
                    .saturating_add(2 * units.len() as u64)
                    .saturating_add(2);
                units.clear();
            } else {
                units.push(unit);
            }
        }
        reader.consume(length);
        consumed = consumed.saturating_add(length as u64);
    }
}

/// A whole document (a JSON value) read into memory, as UTF-8, with what is needed to turn an
/// offset in the text back into an offset in the stream.
pub(crate) struct Document {
    pub(crate) text: String,
    /// Bytes before the text in the stream (a byte-order mark).
    start: u64,
    /// Stream bytes per decoded character.
    units: Units,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Units {
    /// One stream byte per text byte.
    Utf8,
    /// Two stream bytes per UTF-16 unit.
    Utf16,
    /// One stream byte per character (Windows-1252).
    SingleByte,
}

/// Why a document could not be read.
pub(crate) enum DocumentError {
    TooLarge,
    Io(u64, io::Error),
}

impl Document {
    /// Reads all of `reader`, at most `limit` bytes of it.
    pub(crate) fn read(
        reader: &mut dyn BufRead,
        encoding: Encoding,
        limit: usize,
    ) -> Result<Document, DocumentError> {
        let mut raw = Vec::new();
        let read = reader
            .take(limit as u64 + 1)
            .read_to_end(&mut raw)
            .map_err(|e| DocumentError::Io(raw.len() as u64, e))?;
        if read > limit {
            return Err(DocumentError::TooLarge);
        }
        Ok(match encoding {
            Encoding::Utf16Le => {
                let units = raw
                    .get(2..)
                    .unwrap_or_default()
                    .chunks_exact(2)
                    .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
                Document {
                    text: char::decode_utf16(units)
                        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                        .collect(),
                    start: 2,
                    units: Units::Utf16,
                }
            }
            Encoding::Utf8 => {
                let start = if raw.starts_with(&UTF8_BOM) { 3 } else { 0 };
                let body = raw.get(start..).unwrap_or_default();
                match std::str::from_utf8(body) {
                    Ok(_) => {
                        raw.drain(..start);
                        Document {
                            text: String::from_utf8(raw).unwrap_or_default(),
                            start: start as u64,
                            units: Units::Utf8,
                        }
                    }
                    Err(_) => Document {
                        text: decode_line(body).into_owned(),
                        start: start as u64,
                        units: Units::SingleByte,
                    },
                }
            }
        })
    }

    /// A cursor turning offsets in [`Document::text`] into stream offsets; cheap when asked in
    /// increasing order, as readers do.
    pub(crate) fn offsets(&self) -> StreamOffsets<'_> {
        StreamOffsets {
            document: self,
            text_at: 0,
            stream_at: self.start,
        }
    }
}

pub(crate) struct StreamOffsets<'d> {
    document: &'d Document,
    text_at: usize,
    stream_at: u64,
}

impl StreamOffsets<'_> {
    /// The stream offset of text offset `at` (clamped to the text).
    pub(crate) fn stream(&mut self, at: usize) -> u64 {
        let text = &self.document.text;
        let at = at.min(text.len());
        if self.document.units == Units::Utf8 {
            return self.document.start.saturating_add(at as u64);
        }
        if at < self.text_at {
            self.text_at = 0;
            self.stream_at = self.document.start;
        }
        let per_char = |c: char| match self.document.units {
            Units::Utf16 => 2 * c.len_utf16() as u64,
            _ => 1,
        };
        let skipped: u64 = text
            .get(self.text_at..at)
            .unwrap_or_default()
            .chars()
            .map(per_char)
            .sum();
        self.text_at = at;
        self.stream_at = self.stream_at.saturating_add(skipped);
        self.stream_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str) -> Vec<u8> {
        let mut bytes = UTF16LE_BOM.to_vec();
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    fn collect(input: &[u8], capacity: usize, max_line: usize) -> Vec<(u64, u64, String)> {
        let mut reader = io::BufReader::with_capacity(capacity, input);
        let mut out = Vec::new();
        let read = for_each_line(&mut reader, Encoding::of(input), max_line, |at, line| {
            let text = match line {
                Line::Text(t) => String::from_utf8_lossy(t).into_owned(),
                Line::TooLong { length } => format!("<{length}>"),
            };
            out.push((at.number, at.offset, text));
        })
        .unwrap();
        assert_eq!(read, input.len() as u64);
        out
    }

    #[test]
    fn utf16_lines_carry_stream_offsets_whatever_the_buffer_size() {
        let input = utf16("Windows Registry Editor\r\n\r\n\"DisplayName\"=\"Kaspersky™\"\r\nend");
        let expected = vec![
            (1, 0, "Windows Registry Editor".to_string()),
            (2, 52, String::new()),
            (3, 56, "\"DisplayName\"=\"Kaspersky™\"".to_string()),
            (4, 112, "end".to_string()),
        ];
        for capacity in [1, 2, 3, 5, 64, 4096] {
            assert_eq!(
                collect(&input, capacity, 1000),
                expected,
                "buffer {capacity}"
            );
        }
    }

    #[test]
    fn long_utf16_lines_are_measured_and_skipped() {
        let mut text = "a".repeat(300);
        text.push_str("\nok\n");
        let got = collect(&utf16(&text), 7, 100);
        // 602: the byte-order mark and 300 units, as they lie in the stream.
        assert_eq!(
            got,
            vec![(1, 0, "<602>".to_string()), (2, 604, "ok".to_string())]
        );
    }

    #[test]
    fn utf8_bom_is_dropped_and_ansi_lines_are_read_as_windows_1252() {
        let got = collect(b"\xef\xbb\xbfone\nMicrosoft\xae Office\x99\n", 8, 100);
        assert_eq!(got[0].2, "one");
        assert_eq!(
            decode_line(b"Microsoft\xae Office\x99"),
            "Microsoft® Office™"
        );
    }

    #[test]
    fn document_offsets_map_back_to_the_stream() {
        let raw = utf16("[{\"Name\":\"ä😀\"},{\"Name\":\"b\"}]");
        let document = Document::read(
            &mut io::Cursor::new(raw.clone()),
            Encoding::Utf16Le,
            1 << 20,
        )
        .ok()
        .unwrap();
        let second = document.text.find("{\"Name\":\"b").unwrap();
        let mut offsets = document.offsets();
        // 2 (BOM) + 2 × units before: `[{"Name":"ä😀"},` is 16 units (the emoji is two).
        assert_eq!(offsets.stream(1), 4);
        assert_eq!(offsets.stream(second), 2 + 2 * 16);
        assert_eq!(offsets.stream(1), 4);
        assert!(matches!(
            Document::read(&mut io::Cursor::new(vec![b' '; 11]), Encoding::Utf8, 10),
            Err(DocumentError::TooLarge)
        ));
    }
}
