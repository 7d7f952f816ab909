//! The Sysmon fields ringfence reads, as serde structs that borrow from the JSON text: the
//! header of an event (event id, channel, provider, computer) and the `EventData` fields of
//! events 1, 3 and 22. Every other field is skipped unread.
//!
//! The same `EventData` names appear in every form: EVTX rendered to JSON by the `evtx` crate
//! (numbers and booleans typed), NXLog and the OTRF datasets (every field a string, at the top
//! level of the line) and Winlogbeat (strings, under `winlog.event_data`). [`Scalar`] takes a
//! string, a number or a boolean alike.

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A JSON string, number or boolean, kept as written. An object is read as its `#text` member
/// (the `evtx` crate writes `{"#attributes":{"Qualifiers":…},"#text":4624}` for an EventID with
/// qualifiers); anything else (arrays, null) is [`Scalar::Absent`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Scalar<'a> {
    Text(Cow<'a, str>),
    Unsigned(u64),
    Signed(i64),
    Bool(bool),
    #[default]
    Absent,
}

impl<'a> Scalar<'a> {
    /// The same value, owning its text.
    pub(crate) fn into_owned(self) -> Scalar<'static> {
        match self {
            Scalar::Text(text) => Scalar::Text(Cow::Owned(text.into_owned())),
            Scalar::Unsigned(n) => Scalar::Unsigned(n),
            Scalar::Signed(n) => Scalar::Signed(n),
            Scalar::Bool(b) => Scalar::Bool(b),
            Scalar::Absent => Scalar::Absent,
        }
    }

    /// The value as text, when it is a string.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Scalar::Text(text) => Some(text),
            _ => None,
        }
    }

    /// A non-negative integer, written as a number or as decimal text.
    pub(crate) fn unsigned(&self) -> Option<u64> {
        match self {
            Scalar::Unsigned(n) => Some(*n),
            Scalar::Signed(n) => u64::try_from(*n).ok(),
            Scalar::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// A boolean, written as `true`/`false` or as text (`"true"`, `"false"`, any case).
    pub(crate) fn boolean(&self) -> Option<bool> {
        match self {
            Scalar::Bool(b) => Some(*b),
            Scalar::Text(text) if text.eq_ignore_ascii_case("true") => Some(true),
            Scalar::Text(text) if text.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Text(Cow::Owned(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Unsigned(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Signed(v))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Absent)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Absent)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Absent)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Absent)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut text = Scalar::Absent;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "#text" {
                text = map.next_value::<Scalar<'de>>()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(text)
    }
}

/// The `EventData` fields of Sysmon events 1 (ProcessCreate), 3 (NetworkConnect) and 22
/// (DnsQuery). Absent fields are [`Scalar::Absent`].
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EventData<'a> {
    #[serde(rename = "UtcTime", borrow)]
    pub(crate) utc_time: Scalar<'a>,
    #[serde(rename = "ProcessGuid", borrow)]
    pub(crate) process_guid: Scalar<'a>,
    #[serde(rename = "ProcessId", borrow)]
    pub(crate) process_id: Scalar<'a>,
    #[serde(rename = "Image", borrow)]
    pub(crate) image: Scalar<'a>,
    #[serde(rename = "User", borrow)]
    pub(crate) user: Scalar<'a>,
    #[serde(rename = "Protocol", borrow)]
    pub(crate) protocol: Scalar<'a>,
    #[serde(rename = "Initiated", borrow)]
    pub(crate) initiated: Scalar<'a>,
    #[serde(rename = "SourceIp", borrow)]
    pub(crate) source_ip: Scalar<'a>,
    #[serde(rename = "SourcePort", borrow)]
    pub(crate) source_port: Scalar<'a>,
    #[serde(rename = "DestinationIp", borrow)]
    pub(crate) destination_ip: Scalar<'a>,
    #[serde(rename = "DestinationPort", borrow)]
    pub(crate) destination_port: Scalar<'a>,
    #[serde(rename = "DestinationHostname", borrow)]
    pub(crate) destination_hostname: Scalar<'a>,
    #[serde(rename = "QueryName", borrow)]
    pub(crate) query_name: Scalar<'a>,
    #[serde(rename = "QueryResults", borrow)]
    pub(crate) query_results: Scalar<'a>,
    #[serde(rename = "Company", borrow)]
    pub(crate) company: Scalar<'a>,
    #[serde(rename = "Product", borrow)]
    pub(crate) product: Scalar<'a>,
    #[serde(rename = "FileVersion", borrow)]
    pub(crate) file_version: Scalar<'a>,
    #[serde(rename = "Hashes", borrow)]
    pub(crate) hashes: Scalar<'a>,
}

/// The names of the [`EventData`] fields, in the order [`EventData::field_mut`] numbers them
/// (the EVTX fast path maps a template's `<Data Name=…>` elements to them).
pub(crate) const DATA_NAMES: [&str; 18] = [
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "Image",
    "User",
    "Protocol",
    "Initiated",
    "SourceIp",
    "SourcePort",
    "DestinationIp",
    "DestinationPort",
    "DestinationHostname",
    "QueryName",
    "QueryResults",
    "Company",
    "Product",
    "FileVersion",
    "Hashes",
];

impl<'a> EventData<'a> {
    /// The field named `DATA_NAMES[index]`.
    pub(crate) fn field_mut(&mut self, index: usize) -> Option<&mut Scalar<'a>> {
        Some(match index {
            0 => &mut self.utc_time,
            1 => &mut self.process_guid,
            2 => &mut self.process_id,
            3 => &mut self.image,
            4 => &mut self.user,
            5 => &mut self.protocol,
            6 => &mut self.initiated,
            7 => &mut self.source_ip,
            8 => &mut self.source_port,
            9 => &mut self.destination_ip,
            10 => &mut self.destination_port,
            11 => &mut self.destination_hostname,
            12 => &mut self.query_name,
            13 => &mut self.query_results,
            14 => &mut self.company,
            15 => &mut self.product,
            16 => &mut self.file_version,
            17 => &mut self.hashes,
            _ => return None,
        })
    }
}

/// What tells an event apart: its id, where it was logged and on which host.
#[derive(Debug, Default)]
pub(crate) struct EventHeader<'a> {
    pub(crate) event_id: Option<u64>,
    /// The channel (`Microsoft-Windows-Sysmon/Operational`), when the form writes it.
    pub(crate) channel: Option<Cow<'a, str>>,
    /// The provider (`Microsoft-Windows-Sysmon`), when the form writes it.
    pub(crate) provider: Option<Cow<'a, str>>,
    pub(crate) computer: Option<Cow<'a, str>>,
}

pub(crate) const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
const SYSMON_PROVIDER: &str = "Microsoft-Windows-Sysmon";

impl EventHeader<'_> {
    /// True when the event comes from Sysmon: by its channel, or by its provider when the form
    /// writes no channel.
    pub(crate) fn is_sysmon(&self) -> bool {
        match (&self.channel, &self.provider) {
            (Some(channel), _) => channel.eq_ignore_ascii_case(SYSMON_CHANNEL),
            (None, Some(provider)) => provider.eq_ignore_ascii_case(SYSMON_PROVIDER),
            (None, None) => false,
        }
    }
}

/// A text field, `None` when absent, empty or `-` (how Sysmon and NXLog write "no value").
pub(crate) fn present<'s>(value: &'s Scalar<'_>) -> Option<&'s str> {
    value
        .text()
        .map(str::trim)
        .filter(|text| !text.is_empty() && *text != "-")
}

/// A scalar as owned text (numbers written in decimal), `None` when absent, empty or `-`.
pub(crate) fn owned(value: &Scalar<'_>) -> Option<String> {
    match value {
        Scalar::Unsigned(n) => Some(n.to_string()),
        Scalar::Signed(n) => Some(n.to_string()),
        _ => present(value).map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_strings_numbers_booleans_and_text_members() {
        let data: EventData<'_> = serde_json::from_str(
            r##"{"ProcessId":1608,"Initiated":false,"SourcePort":"1900","Image":"C:\\x.exe",
                "UtcTime":{"#attributes":{"a":1},"#text":"t"},"User":[1,2],"Hashes":null,
                "Other":{"deep":[{}]}}"##,
        )
        .unwrap();
        assert_eq!(data.process_id.unsigned(), Some(1608));
        assert_eq!(data.initiated.boolean(), Some(false));
        assert_eq!(data.source_port.unsigned(), Some(1900));
        assert_eq!(data.image.text(), Some("C:\\x.exe"));
        assert_eq!(data.utc_time.text(), Some("t"));
        assert_eq!(data.user, Scalar::Absent);
        assert_eq!(data.hashes, Scalar::Absent);
        assert_eq!(present(&Scalar::Text("-".into())), None);
        assert_eq!(owned(&Scalar::Unsigned(7)).as_deref(), Some("7"));
    }

    #[test]
    fn data_names_number_the_fields_serde_reads() {
        for (index, name) in DATA_NAMES.iter().enumerate() {
            let json = format!("{{{name:?}:\"v{index}\"}}");
            let mut data: EventData<'_> = serde_json::from_str(&json).unwrap();
            let field = data.field_mut(index).unwrap();
            assert_eq!(field.text(), Some(format!("v{index}").as_str()), "{name}");
        }
        assert!(EventData::default().field_mut(DATA_NAMES.len()).is_none());
    }
}
