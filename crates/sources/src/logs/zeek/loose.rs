//! JSON values read loosely (a string, a number, a list or anything else), because the same key
//! has different types in different Zeek logs.
//!
//! A [`Loose`] value is `Copy`: strings are borrowed from the line, and what must be owned (a
//! string JSON escapes, a list) lives in the record's [`Owned`]. A record holds about thirty of
//! them; a value that needs dropping (a `Cow`, a `Vec`) made setting up, moving and dropping that
//! record cost more than a tenth of reading a Zeek JSON log.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A JSON value as far as ringfence cares.
#[derive(Clone, Copy, Default)]
pub(super) enum Loose<'a> {
    Text(&'a str),
    /// A string with escapes: an index into [`Owned::texts`].
    Escaped(usize),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    /// The strings and numbers of a list (nested lists and objects are skipped): an index into
    /// [`Owned::lists`].
    List(usize),
    /// `null`, a boolean or an object.
    #[default]
    Other,
}

/// What the values of one record own.
#[derive(Default)]
pub(super) struct Owned<'a> {
    texts: Vec<String>,
    lists: Vec<Vec<Loose<'a>>>,
}

impl<'a> Owned<'a> {
    /// A non-empty string value.
    pub(super) fn text<'s>(&'s self, value: Loose<'a>) -> Option<&'s str>
    where
        'a: 's,
    {
        let text = match value {
            Loose::Text(text) => text,
            Loose::Escaped(i) => self.texts.get(i)?.as_str(),
            _ => return None,
        };
        (!text.is_empty()).then_some(text)
    }

    /// A string value, taken out (a copy only when it had escapes).
    pub(super) fn take_string(&mut self, value: Loose<'a>) -> Option<Cow<'a, str>> {
        match value {
            Loose::Text(text) => Some(Cow::Borrowed(text)),
            Loose::Escaped(i) => Some(Cow::Owned(std::mem::take(self.texts.get_mut(i)?))),
            _ => None,
        }
    }

    /// A non-empty string value, taken out.
    pub(super) fn take_text(&mut self, value: Loose<'a>) -> Option<Cow<'a, str>> {
        self.take_string(value).filter(|text| !text.is_empty())
    }

    /// Keeps the items of a list: the value that refers to them.
    pub(super) fn push_list(&mut self, items: Vec<Loose<'a>>) -> Loose<'a> {
        self.lists.push(items);
        Loose::List(self.lists.len() - 1)
    }

    /// The items of a list value.
    pub(super) fn list(&self, value: Loose<'a>) -> Option<&[Loose<'a>]> {
        match value {
            Loose::List(i) => self.lists.get(i).map(Vec::as_slice),
            _ => None,
        }
    }

    /// A value as problem messages show it (as `{:?}` showed it when values owned their text).
    pub(super) fn shown(&self, value: Loose<'a>) -> Shown<'_, 'a> {
        Shown { owned: self, value }
    }
}

pub(super) struct Shown<'s, 'a> {
    owned: &'s Owned<'a>,
    value: Loose<'a>,
}

impl fmt::Debug for Shown<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value {
            Loose::Text(text) => f.debug_tuple("Text").field(&text).finish(),
            Loose::Escaped(i) => {
                let text = self.owned.texts.get(i).map_or("", String::as_str);
                f.debug_tuple("Text").field(&text).finish()
            }
            Loose::Unsigned(n) => f.debug_tuple("Unsigned").field(&n).finish(),
            Loose::Signed(n) => f.debug_tuple("Signed").field(&n).finish(),
            Loose::Float(x) => f.debug_tuple("Float").field(&x).finish(),
            Loose::List(i) => {
                let items = self.owned.lists.get(i).map_or(&[][..], Vec::as_slice);
                let items: Vec<Shown<'_, '_>> =
                    items.iter().map(|v| self.owned.shown(*v)).collect();
                f.debug_tuple("List").field(&items).finish()
            }
            Loose::Other => f.write_str("Other"),
        }
    }
}

/// Reads one value into `owned`.
pub(super) struct LooseSeed<'r, 'a> {
    pub(super) owned: &'r mut Owned<'a>,
    /// Inside a list: lists and objects are not kept.
    pub(super) nested: bool,
}

impl<'de> DeserializeSeed<'de> for LooseSeed<'_, 'de> {
    type Value = Loose<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LooseSeed<'_, 'de> {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Loose::Text(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        self.owned.texts.push(v.to_owned());
        Ok(Loose::Escaped(self.owned.texts.len() - 1))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        self.owned.texts.push(v);
        Ok(Loose::Escaped(self.owned.texts.len() - 1))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Loose::Unsigned(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Loose::Signed(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Loose::Float(v))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Loose::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if self.nested {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Loose::Other);
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(LooseSeed {
            owned: self.owned,
            nested: true,
        })? {
            items.push(item);
        }
        Ok(self.owned.push_list(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Other)
    }
}

/// A nested `"id": {"orig_h": …}` object (some exporters write it so; x509.log's `id` is a string).
#[derive(Clone, Copy, Default)]
pub(super) struct NestedId<'a> {
    pub(super) orig_h: Loose<'a>,
    pub(super) orig_p: Loose<'a>,
    pub(super) resp_h: Loose<'a>,
    pub(super) resp_p: Loose<'a>,
}

/// Reads a nested `id` into `owned`; anything but an object is no `id`.
pub(super) struct NestedIdSeed<'r, 'a> {
    pub(super) owned: &'r mut Owned<'a>,
}

impl<'de> DeserializeSeed<'de> for NestedIdSeed<'_, 'de> {
    type Value = NestedId<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NestedIdSeed<'_, 'de> {
    type Value = NestedId<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut id = NestedId::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let slot = match &*key {
                "orig_h" => &mut id.orig_h,
                "orig_p" => &mut id.orig_p,
                "resp_h" => &mut id.resp_h,
                "resp_p" => &mut id.resp_p,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = map.next_value_seed(LooseSeed {
                owned: self.owned,
                nested: false,
            })?;
        }
        Ok(id)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(NestedId::default())
    }
    fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(NestedId::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_show_as_they_did_when_they_owned_their_text() {
        let line = r#"[1,-2,1.5,"a\"b","plain",[1,"x\u0041",[2],{}],{"k":1},null,true]"#;
        let mut owned = Owned::default();
        let mut de = serde_json::Deserializer::from_str(line);
        let mut values = Vec::new();
        struct All<'r, 'a>(&'r mut Owned<'a>, &'r mut Vec<Loose<'a>>);
        impl<'de> Visitor<'de> for All<'_, 'de> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while let Some(v) = seq.next_element_seed(LooseSeed {
                    owned: self.0,
                    nested: false,
                })? {
                    self.1.push(v);
                }
                Ok(())
            }
        }
        de.deserialize_seq(All(&mut owned, &mut values)).unwrap();
        let shown: Vec<String> = values
            .iter()
            .map(|v| format!("{:?}", owned.shown(*v)))
            .collect();
        assert_eq!(
            shown,
            [
                "Unsigned(1)",
                "Signed(-2)",
                "Float(1.5)",
                r#"Text("a\"b")"#,
                r#"Text("plain")"#,
                r#"List([Unsigned(1), Text("xA"), Other, Other])"#,
                "Other",
                "Other",
                "Other",
            ]
        );
        assert_eq!(owned.text(values[3]), Some("a\"b"));
        assert_eq!(owned.take_text(values[3]).as_deref(), Some("a\"b"));
    }
}
