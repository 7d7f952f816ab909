//! Process image patterns: case-insensitive, `*` matches any run of characters, `\` and `/` are
//! the same separator. A pattern without a separator matches the image's file name; a pattern
//! with one matches the full path.

/// The longest image path matched against patterns (Windows' extended paths top out at 32 767
/// UTF-16 units); longer images come only from hostile evidence and are not matched.
pub(crate) const MAX_IMAGE_LEN: usize = 32_768;

/// A compiled pattern: lower-cased, separators normalised to `\`.
#[derive(Clone, Debug)]
pub(crate) struct ImagePattern {
    normalised: Vec<char>,
    /// True when the pattern names a path, not just a file name.
    has_separator: bool,
}

impl ImagePattern {
    pub(crate) fn new(pattern: &str) -> ImagePattern {
        let normalised: Vec<char> = normalise(pattern).chars().collect();
        let has_separator = normalised.contains(&'\\');
        ImagePattern {
            normalised,
            has_separator,
        }
    }

    /// The file-name part of the pattern when it holds no wildcard: an index key.
    pub(crate) fn literal_file_name(&self) -> Option<String> {
        let start = self
            .normalised
            .iter()
            .rposition(|c| *c == '\\')
            .map_or(0, |i| i + 1);
        let tail = self.normalised.get(start..)?;
        if tail.is_empty() || tail.contains(&'*') {
            return None;
        }
        Some(tail.iter().collect())
    }

    /// Matches an image already passed through [`normalise`].
    pub(crate) fn matches_normalised(&self, image: &[char]) -> bool {
        if self.has_separator {
            wildcard_match(&self.normalised, image)
        } else {
            wildcard_match(&self.normalised, file_name(image))
        }
    }
}

/// Lower-cases and turns `/` into `\`, so one form serves Windows and Unix paths.
pub(crate) fn normalise(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == '/' { '\\' } else { c })
        .collect()
}

/// The part after the last separator.
pub(crate) fn file_name(image: &[char]) -> &[char] {
    match image.iter().rposition(|c| *c == '\\') {
        Some(i) => image.get(i + 1..).unwrap_or(&[]),
        None => image,
    }
}

/// Glob matching with `*` only, by the classic greedy algorithm with one backtrack point:
/// linear in practice, O(pattern × text) at worst, never recursive.
fn wildcard_match(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(c) if Some(c) == text.get(t) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, image: &str) -> bool {
        let image: Vec<char> = normalise(image).chars().collect();
        ImagePattern::new(pattern).matches_normalised(&image)
    }

    #[test]
    fn file_name_patterns_ignore_the_directory_and_case() {
        assert!(m(
            "avp.exe",
            r"C:\Program Files (x86)\Kaspersky Lab\KES 12\AVP.EXE"
        ));
        assert!(m("avp.exe", "avp.exe"));
        assert!(!m("avp.exe", r"C:\tools\navp.exe"));
        assert!(m("ekrn*.exe", r"C:\Program Files\ESET\ekrn.exe"));
    }

    #[test]
    fn path_patterns_match_the_whole_path_with_either_separator() {
        assert!(m(
            r"*\kaspersky lab\*\avp.exe",
            r"C:\Program Files\Kaspersky Lab\KES\avp.exe"
        ));
        assert!(m("*/opt/kaspersky/*", "/opt/kaspersky/kesl/bin/kesl"));
        assert!(!m(
            r"*\kaspersky lab\*\avp.exe",
            r"C:\Users\x\Downloads\avp.exe"
        ));
    }

    #[test]
    fn stars_backtrack_and_trailing_stars_match_empty() {
        assert!(wildcard_match(
            &['a', '*', 'b', '*'],
            &['a', 'x', 'b', 'y', 'b']
        ));
        assert!(wildcard_match(&['*'], &[]));
        assert!(!wildcard_match(&['a'], &[]));
        assert!(!wildcard_match(&['a', '*', 'c'], &['a', 'b', 'd']));
    }

    #[test]
    fn literal_file_names_are_index_keys() {
        assert_eq!(
            ImagePattern::new(r"*\AVP.exe")
                .literal_file_name()
                .as_deref(),
            Some("avp.exe")
        );
        assert_eq!(ImagePattern::new("ekrn*.exe").literal_file_name(), None);
        assert_eq!(ImagePattern::new(r"C:\x\*").literal_file_name(), None);
    }
}
