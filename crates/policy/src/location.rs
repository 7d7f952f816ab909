//! Source positions: Cedar reports byte offsets into the text it parsed; people want
//! `file:line:column`.

use std::fmt;

/// A position in a policy or schema file, 1-based, columns counted in characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The line and column of byte `offset` in `text`. An offset past the end (or inside a
    /// multi-byte character) is clamped to the nearest character boundary before it, so a
    /// library reporting a stale span never makes us panic.
    pub fn at(file: &str, text: &str, offset: usize) -> Location {
        let mut end = offset.min(text.len());
        while end > 0 && !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = text.get(..end).unwrap_or("");
        let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Location {
            file: file.to_string(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_character_columns() {
        let text = "ab\ncdé\nfg";
        assert_eq!(
            Location::at("f", text, 0),
            Location {
                file: "f".into(),
                line: 1,
                column: 1
            }
        );
        assert_eq!(Location::at("f", text, 4).to_string(), "f:2:2");
        // 'é' is two bytes (5 and 6): the newline is byte 7, 'f' byte 8, 'g' byte 9.
        assert_eq!(Location::at("f", text, 9).to_string(), "f:3:2");
        // Inside 'é' (byte 6 is its second byte): clamped to its start, column 3.
        assert_eq!(Location::at("f", text, 6).to_string(), "f:2:3");
        assert_eq!(Location::at("f", text, 1000).to_string(), "f:3:3");
    }
}
