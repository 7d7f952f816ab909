//! Making hostile strings harmless for each view. Names, paths and problem reasons come from
//! evidence an attacker chooses: in a terminal they must not carry escape sequences or reorder
//! text, in Markdown they must not start a table cell or a link, in HTML they must not start a tag.

use std::fmt::Write;

/// Longest string a view shows; the JSON report keeps more (see `findings::MAX_NAME_BYTES`).
pub const MAX_SHOWN_CHARS: usize = 120;

/// Characters that change how text is displayed without being visible: C0/C1 controls, DEL and
/// Unicode's bidirectional and invisible formatting characters (the "Trojan Source" set).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Visible text for any string: unsafe characters become `\u{…}`, backslashes are doubled (so the
/// escape cannot be faked), and anything beyond [`MAX_SHOWN_CHARS`] characters is cut with `…`.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_SHOWN_CHARS * 2));
    for (shown, c) in text.chars().enumerate() {
        if shown >= MAX_SHOWN_CHARS {
            out.push('…');
            break;
        }
        if c == '\\' {
            out.push_str("\\\\");
        } else if is_unsafe(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// For a terminal.
pub fn terminal(text: &str) -> String {
    visible(text)
}

/// For HTML text and attribute values (quoted with `"`).
pub fn html(text: &str) -> String {
    html_escape_all(&visible(text))
}

fn html_escape_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// For Markdown text and table cells: HTML-significant characters become entities (Markdown
/// passes raw HTML through) and Markdown punctuation is backslash-escaped.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in visible(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '~' | '"' | '\'' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_become_visible() {
        assert_eq!(terminal("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\u{a}");
        assert_eq!(terminal("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(terminal("c:\\u{1b}"), "c:\\\\u{1b}");
    }

    #[test]
    fn html_has_no_tag_or_quote_left() {
        let out = html("<script>alert('1')</script>\"&");
        assert_eq!(
            out,
            "&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;&quot;&amp;"
        );
    }

    #[test]
    fn markdown_cannot_break_a_table_or_inject_html() {
        let out = markdown("a|b <img src=x> [l](http://x)");
        assert!(!out.contains("<img"));
        assert!(!out.contains("|b") || out.contains("\\|b"));
        assert!(out.contains("\\[l\\]\\(http\\://x\\)"), "{out}");
    }

    #[test]
    fn long_strings_are_cut() {
        let long = "a".repeat(65_536);
        assert_eq!(visible(&long).chars().count(), MAX_SHOWN_CHARS + 1);
        assert!(html(&long).ends_with('…'));
    }
}
