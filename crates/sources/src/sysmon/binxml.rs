//! The few pieces of binary XML (MS-EVEN6 §2.2) the fast EVTX path reads by hand: a bounded
//! little-endian cursor, the token bytes, and one substitution value → the [`Scalar`] that the
//! `evtx` crate's JSON rendering of it would have given.
//!
//! Why by hand: the `evtx` crate (0.15) keeps its token walker, template definitions and value
//! decoder crate-private; what it makes public either renders the whole record (to JSON or XML)
//! or builds every value of every record. ringfence needs four header values and at most 18
//! `EventData` values of three Sysmon events, and must skip every other record (most of a
//! Sysmon log) at the cost of reading its EventID. Anything this module does not know exactly
//! how the crate renders is [`Unsupported`], and the chunk is then read by the crate (see
//! `chunk`), so the two paths give the same observations.

use super::fields::Scalar;
use std::borrow::Cow;

/// A shape or value the fast path does not read; the crate reads the chunk instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unsupported;

pub(crate) type Fast<T> = Result<T, Unsupported>;

/// Token bytes (MS-EVEN6 §2.2.3.1); `MORE` is the "more bits" flag some tokens carry.
pub(crate) mod token {
    pub(crate) const EOF: u8 = 0x00;
    pub(crate) const OPEN_START: u8 = 0x01;
    pub(crate) const CLOSE_START: u8 = 0x02;
    pub(crate) const CLOSE_EMPTY: u8 = 0x03;
    pub(crate) const END_ELEMENT: u8 = 0x04;
    pub(crate) const VALUE: u8 = 0x05;
    pub(crate) const ATTRIBUTE: u8 = 0x06;
    pub(crate) const CDATA: u8 = 0x07;
    pub(crate) const CHAR_REF: u8 = 0x08;
    pub(crate) const ENTITY_REF: u8 = 0x09;
    pub(crate) const PI_TARGET: u8 = 0x0a;
    pub(crate) const PI_DATA: u8 = 0x0b;
    pub(crate) const TEMPLATE_INSTANCE: u8 = 0x0c;
    pub(crate) const SUBSTITUTION: u8 = 0x0d;
    pub(crate) const OPTIONAL_SUBSTITUTION: u8 = 0x0e;
    pub(crate) const FRAGMENT_HEADER: u8 = 0x0f;
    pub(crate) const MORE: u8 = 0x40;
}

/// Value types (MS-EVEN6 §2.2.18); array types are these with 0x80 set.
pub(crate) mod value_type {
    pub(crate) const NULL: u8 = 0x00;
    pub(crate) const STRING: u8 = 0x01;
    pub(crate) const ANSI_STRING: u8 = 0x02;
    pub(crate) const INT8: u8 = 0x03;
    pub(crate) const UINT64: u8 = 0x0a;
    pub(crate) const REAL32: u8 = 0x0b;
    pub(crate) const REAL64: u8 = 0x0c;
    pub(crate) const BOOL: u8 = 0x0d;
    pub(crate) const BINARY: u8 = 0x0e;
    pub(crate) const GUID: u8 = 0x0f;
    pub(crate) const FILETIME: u8 = 0x11;
    pub(crate) const SYSTIME: u8 = 0x12;
    pub(crate) const SID: u8 = 0x13;
    pub(crate) const HEX_INT32: u8 = 0x14;
    pub(crate) const HEX_INT64: u8 = 0x15;
    pub(crate) const BIN_XML: u8 = 0x21;
}

/// A bounded little-endian reader over a chunk, at absolute chunk offsets (BinXML offsets
/// are relative to the chunk's start). Reading past `end` gives [`Unsupported`].
#[derive(Clone, Copy)]
pub(crate) struct Cursor<'c> {
    pub(crate) data: &'c [u8],
    pub(crate) pos: usize,
    pub(crate) end: usize,
}

impl<'c> Cursor<'c> {
    pub(crate) fn new(data: &'c [u8], pos: usize, end: usize) -> Cursor<'c> {
        Cursor {
            data,
            pos,
            end: end.min(data.len()),
        }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Fast<&'c [u8]> {
        let stop = self.pos.checked_add(n).filter(|&stop| stop <= self.end);
        let bytes = stop
            .and_then(|stop| self.data.get(self.pos..stop))
            .ok_or(Unsupported)?;
        self.pos += n;
        Ok(bytes)
    }

    pub(crate) fn u8(&mut self) -> Fast<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Fast<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Fast<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Fast<[u8; N]> {
        self.bytes(N)?.try_into().map_err(|_| Unsupported)
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.data
            .get(self.pos)
            .copied()
            .filter(|_| self.pos < self.end)
    }

    pub(crate) fn skip(&mut self, n: usize) -> Fast<()> {
        self.bytes(n).map(|_| ())
    }

    /// A `u16` count of UTF-16 units, then the units (as the crate reads literal text).
    pub(crate) fn prefixed_utf16(&mut self) -> Fast<&'c [u8]> {
        let units = usize::from(self.u16()?);
        self.bytes(units * 2)
    }
}

/// UTF-16LE up to its first NUL (where the crate stops), as text; unpaired surrogates are
/// [`Unsupported`] (the crate's rendering of them is its own business).
pub(crate) fn utf16_text(bytes: &[u8]) -> Fast<String> {
    let mut text = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units(bytes)) {
        text.push(c.map_err(|_| Unsupported)?);
    }
    Ok(text)
}

/// The UTF-16 units of `bytes` up to the first NUL.
fn units(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|unit| u16::from_le_bytes([unit[0], unit[1]]))
        .take_while(|&unit| unit != 0)
}

/// UTF-16LE text (up to a NUL) compared with ASCII text without decoding it: a name of the
/// chunk's string table, or a string value.
#[derive(Clone, Copy)]
pub(crate) struct Name<'c>(pub(crate) &'c [u8]);

impl Name<'_> {
    pub(crate) fn eq_ignore_ascii_case(&self, ascii: &str) -> bool {
        let lower = |unit: u16| u8::try_from(unit).map_or(unit, |b| b.to_ascii_lowercase().into());
        units(self.0)
            .map(lower)
            .eq(ascii.bytes().map(|b| u16::from(b.to_ascii_lowercase())))
    }
}

impl PartialEq<&str> for Name<'_> {
    fn eq(&self, ascii: &&str) -> bool {
        // Compared often while templates are read, so by bytes: the text is `ascii` followed
        // by nothing or a NUL.
        let n = 2 * ascii.len();
        let Some(text) = self.0.get(..n) else {
            return false;
        };
        matches!(self.0.get(n..n + 2), None | Some([0, 0]))
            && text
                .chunks_exact(2)
                .zip(ascii.bytes())
                .all(|(unit, b)| unit == [b, 0])
    }
}

/// One substitution value (its type and its bytes) as the JSON the crate renders reads back:
/// strings as text, integers as numbers, booleans (0/1; other values stay integers) and GUIDs
/// as `{xxxxxxxx-xxxx-…}` text. Other types are [`Unsupported`].
pub(crate) fn scalar(ty: u8, bytes: &[u8]) -> Fast<Scalar<'static>> {
    let int = |signed: bool| -> Fast<Scalar<'static>> {
        let mut le = [0u8; 8];
        le.get_mut(..bytes.len())
            .ok_or(Unsupported)?
            .copy_from_slice(bytes);
        let unsigned = u64::from_le_bytes(le);
        let shift = 64 - 8 * bytes.len() as u32;
        let value = if signed {
            // Sign-extend from the value's width.
            ((unsigned << shift) as i64) >> shift
        } else {
            return Ok(Scalar::Unsigned(unsigned));
        };
        Ok(u64::try_from(value).map_or(Scalar::Signed(value), Scalar::Unsigned))
    };
    match ty {
        value_type::NULL => Ok(Scalar::Absent),
        value_type::STRING if bytes.len().is_multiple_of(2) => {
            Ok(Scalar::Text(Cow::Owned(utf16_text(bytes)?)))
        }
        value_type::INT8..=value_type::UINT64 => {
            // Int8, UInt8, Int16, UInt16, … alternate: the signed ones are the odd types.
            let width = 1usize << ((ty - value_type::INT8) / 2);
            if bytes.len() != width {
                return Err(Unsupported);
            }
            int(ty % 2 == 1)
        }
        value_type::BOOL if bytes.len() == 4 => {
            match i32::from_le_bytes(bytes.try_into().map_err(|_| Unsupported)?) {
                0 => Ok(Scalar::Bool(false)),
                1 => Ok(Scalar::Bool(true)),
                _ => int(true),
            }
        }
        value_type::GUID if bytes.len() == 16 => Ok(Scalar::Text(Cow::Owned(guid(bytes)))),
        _ => Err(Unsupported),
    }
}

/// A GUID as the crate writes it: `{` the first three fields little-endian, the rest in
/// order, lower-case hex `}`.
fn guid(bytes: &[u8]) -> String {
    const ORDER: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    let mut text = String::with_capacity(38);
    text.push('{');
    for (i, at) in ORDER.into_iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        let byte = bytes.get(at).copied().unwrap_or_default();
        for nibble in [byte >> 4, byte & 0x0f] {
            text.push(char::from_digit(nibble.into(), 16).unwrap_or('0'));
        }
    }
    text.push('}');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_the_crate_renders_them() {
        let text: Vec<u8> = "a-b\0rest"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(
            scalar(value_type::STRING, &text),
            Ok(Scalar::Text("a-b".into()))
        );
        assert_eq!(scalar(0x03, &[0xff]), Ok(Scalar::Signed(-1)));
        assert_eq!(scalar(0x04, &[0xff]), Ok(Scalar::Unsigned(255)));
        assert_eq!(scalar(0x06, &[0x10, 0x0e]), Ok(Scalar::Unsigned(3600)));
        assert_eq!(scalar(0x07, &[5, 0, 0, 0]), Ok(Scalar::Unsigned(5)));
        assert_eq!(scalar(0x08, &[0, 0]), Err(Unsupported));
        assert_eq!(
            scalar(0x09, &[0xfe; 8]),
            Ok(Scalar::Signed(-0x0101_0101_0101_0102))
        );
        assert_eq!(
            scalar(value_type::BOOL, &[1, 0, 0, 0]),
            Ok(Scalar::Bool(true))
        );
        assert_eq!(
            scalar(value_type::BOOL, &[2, 0, 0, 0]),
            Ok(Scalar::Unsigned(2))
        );
        let id: Vec<u8> = (0..16).collect();
        assert_eq!(
            scalar(value_type::GUID, &id),
            Ok(Scalar::Text(
                "{03020100-0504-0706-0809-0a0b0c0d0e0f}".into()
            ))
        );
        assert_eq!(scalar(0x11, &[0; 8]), Err(Unsupported));
        assert!(Name(&text[..6]) == "a-b" && Name(&text) == "a-b" && Name(&text) != "a-");
        assert!(Name(&text).eq_ignore_ascii_case("A-B") && !Name(&text).eq_ignore_ascii_case("A-"));
        let bad = [0x00, 0xd8, 0x41, 0x00];
        assert_eq!(scalar(value_type::STRING, &bad), Err(Unsupported));
    }
}
