//! Lines of a text log, streamed from a `BufRead` with bounded memory.
//!
//! A line that lies inside the reader's buffer is handed over in place (no copy); one that spans
//! two fills is gathered in a scratch buffer that never grows past the line limit: a longer line
//! is reported with its length and skipped without being held. `BufRead::read_until` cannot do
//! this (it keeps appending until it meets the newline), hence this small loop.

use std::io::{self, BufRead};

/// Where a line starts: its 1-based number and the byte offset of its first byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LinePosition {
    pub(crate) number: u64,
    pub(crate) offset: u64,
}

/// One line, without its `\n` (nor a `\r` before it), or the length of a line too long to read.
pub(crate) enum Line<'a> {
    Text(&'a [u8]),
    TooLong { length: u64 },
}

/// Calls `each` for every line of `reader`. Returns the bytes read, or the I/O error that stopped
/// the reading together with the offset reached.
pub(crate) fn for_each_line(
    reader: &mut dyn BufRead,
    max_line: usize,
    mut each: impl FnMut(LinePosition, Line<'_>),
) -> Result<u64, (u64, io::Error)> {
    let mut scratch: Vec<u8> = Vec::new();
    // Bytes of the current line that were skipped because it is already too long.
    let mut skipped: u64 = 0;
    let mut position = LinePosition {
        number: 1,
        offset: 0,
    };
    let mut consumed: u64 = 0;
    loop {
        let buffer = match reader.fill_buf() {
            Ok(buffer) => buffer,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err((consumed, e)),
        };
        if buffer.is_empty() {
            // The last line has no newline.
            if skipped > 0 {
                each(position, Line::TooLong { length: skipped });
            } else if !scratch.is_empty() {
                each(position, Line::Text(trim_cr(&scratch)));
            }
            return Ok(consumed);
        }
        let (piece, newline) = match memchr::memchr(b'\n', buffer) {
            Some(end) => (buffer.get(..end).unwrap_or_default(), true),
            None => (buffer, false),
        };
        let piece_len = piece.len();
        let too_long = skipped > 0 || scratch.len().saturating_add(piece_len) > max_line;
        if too_long {
            skipped = skipped
                .saturating_add(scratch.len() as u64)
                .saturating_add(piece_len as u64);
            scratch.clear();
        } else if newline && scratch.is_empty() {
            each(position, Line::Text(trim_cr(piece)));
        } else {
            scratch.extend_from_slice(piece);
        }
        let step = piece_len + usize::from(newline);
        reader.consume(step);
        consumed = consumed.saturating_add(step as u64);
        if newline {
            if skipped > 0 {
                each(position, Line::TooLong { length: skipped });
                skipped = 0;
            } else if !scratch.is_empty() {
                each(position, Line::Text(trim_cr(&scratch)));
                scratch.clear();
            }
            position = LinePosition {
                number: position.number.saturating_add(1),
                offset: consumed,
            };
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn collect(input: &[u8], capacity: usize, max_line: usize) -> Vec<(u64, u64, String)> {
        let mut reader = BufReader::with_capacity(capacity, input);
        let mut out = Vec::new();
        let read = for_each_line(&mut reader, max_line, |at, line| {
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
    fn lines_are_the_same_whatever_the_buffer_size() {
        let input = b"one\r\ntwo\n\nthree and more\nlast";
        let expected = vec![
            (1, 0, "one".to_string()),
            (2, 5, "two".to_string()),
            (3, 9, String::new()),
            (4, 10, "three and more".to_string()),
            (5, 25, "last".to_string()),
        ];
        for capacity in [1, 2, 3, 7, 64] {
            assert_eq!(
                collect(input, capacity, 100),
                expected,
                "buffer of {capacity}"
            );
        }
    }

    #[test]
    fn long_lines_are_skipped_and_measured() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 5000));
        input.extend_from_slice(b"\nafter\n");
        input.extend(std::iter::repeat_n(b'y', 300));
        for capacity in [16, 100, 8192] {
            let got = collect(&input, capacity, 200);
            assert_eq!(
                got,
                vec![
                    (1, 0, "short".to_string()),
                    (2, 6, "<5000>".to_string()),
                    (3, 5007, "after".to_string()),
                    (4, 5013, "<300>".to_string()),
                ],
                "buffer of {capacity}"
            );
        }
    }
}
