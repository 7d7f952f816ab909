//! JSON helpers shared by the inventory readers: values that tools write as strings or numbers,
//! arrays walked one element at a time without collecting them, and where a borrowed piece of a
//! document or line sits in it.

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A scalar column: osquery writes every column as a string unless `numerics` is on, PowerShell
/// writes numbers and booleans bare. Held as text; `null` and empty strings are absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Text<'a>(pub(crate) Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    /// The trimmed text, when there is some.
    pub(crate) fn get(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|t| !t.is_empty())
    }

    pub(crate) fn owned(&self) -> Option<String> {
        self.get().map(str::to_owned)
    }

    pub(crate) fn is_some(&self) -> bool {
        self.get().is_some()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Borrowed(if v { "true" } else { "false" }))))
            }
            fn visit_unit<E>(self) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_none<E>(self) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// Calls `each` with every element of the JSON array `array`, in order, as it is parsed: nothing
/// is collected, so an array of millions of elements costs no more memory than one.
pub(crate) fn for_each_element<'a>(
    array: &'a RawValue,
    each: impl FnMut(&'a RawValue),
) -> Result<(), serde_json::Error> {
    struct Elements<F>(F);
    impl<'de, F: FnMut(&'de RawValue)> Visitor<'de> for Elements<F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
            while let Some(element) = seq.next_element::<&'de RawValue>()? {
                (self.0)(element);
            }
            Ok(())
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(array.get());
    deserializer.deserialize_seq(Elements(each))
}

/// Calls `each` with the elements of `value` when it is an array, or with `value` itself when it
/// is an object: `ConvertTo-Json` writes a single item without the array around it.
pub(crate) fn for_each_item<'a>(
    value: &'a RawValue,
    mut each: impl FnMut(&'a RawValue),
) -> Result<(), serde_json::Error> {
    if value.get().starts_with('[') {
        for_each_element(value, each)
    } else {
        each(value);
        Ok(())
    }
}

/// Where `part` (borrowed from `whole`) starts in `whole`.
pub(crate) fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize)
        .checked_sub(whole.as_ptr() as usize)
        .filter(|&at| at <= whole.len())
        .unwrap_or(0)
}

/// The offset in `text` of the line and column a `serde_json` error names (both 1-based); an
/// error of input ending too soon is at the end.
pub(crate) fn error_offset(text: &str, error: &serde_json::Error) -> usize {
    if error.is_eof() {
        return text.len();
    }
    let line_start = if error.line() <= 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', text.as_bytes())
            .nth(error.line() - 2)
            .map_or(text.len(), |newline| newline + 1)
    };
    line_start
        .saturating_add(error.column().saturating_sub(1))
        .min(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_visited_in_place() {
        let text = r#"{"a":[ {"x":1}, 2, "three" ]}"#;
        #[derive(serde::Deserialize)]
        struct Doc<'a> {
            #[serde(borrow)]
            a: &'a RawValue,
        }
        let doc: Doc<'_> = serde_json::from_str(text).unwrap();
        let mut seen = Vec::new();
        for_each_element(doc.a, |e| seen.push((offset_in(text, e.get()), e.get()))).unwrap();
        assert_eq!(seen, vec![(7, r#"{"x":1}"#), (16, "2"), (19, "\"three\"")]);
    }

    #[test]
    fn text_takes_strings_numbers_and_null() {
        let values: Vec<Text<'_>> =
            serde_json::from_str(r#"["a\"b", 12, -3, 1.5, true, null, " "]"#).unwrap();
        let got: Vec<Option<&str>> = values.iter().map(Text::get).collect();
        assert_eq!(
            got,
            vec![
                Some("a\"b"),
                Some("12"),
                Some("-3"),
                Some("1.5"),
                Some("true"),
                None,
                None
            ]
        );
    }

    #[test]
    fn error_offsets_point_at_the_fault() {
        let text = "[\n  {\"a\": 1},\n  {\"a\" 2}\n]";
        let error = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        let at = error_offset(text, &error);
        assert_eq!(&text[at..at + 1], "2");
    }
}
