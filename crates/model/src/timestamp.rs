use serde::{Serialize, Serializer};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// RFC 3339 in UTC with all nine fractional digits, so every timestamp has the same width.
const RFC3339_NANOS: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z");

/// A point in time taken from evidence, in nanoseconds since the Unix epoch (UTC).
///
/// Reports never read the wall clock: every timestamp comes from a record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn from_nanos(nanos: i64) -> Self {
        Timestamp(nanos)
    }

    pub fn from_secs_nanos(secs: i64, nanos: u32) -> Self {
        Timestamp(
            secs.saturating_mul(1_000_000_000)
                .saturating_add(i64::from(nanos)),
        )
    }

    pub fn nanos(self) -> i64 {
        self.0
    }

    /// Seconds since the epoch as a float, as Zeek and nDPI print them.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 with nanoseconds, e.g. `2024-01-02T03:04:05.123456789Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0))
            .ok()
            .and_then(|t| t.format(RFC3339_NANOS).ok())
        {
            Some(text) => f.write_str(&text),
            None => write!(f, "{}ns", self.0),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_with_nanoseconds() {
        let t = Timestamp::from_secs_nanos(1_700_000_000, 123_456_789);
        assert_eq!(t.to_string(), "2023-11-14T22:13:20.123456789Z");
    }

    #[test]
    fn keeps_all_nine_digits() {
        assert_eq!(
            Timestamp::from_secs_nanos(0, 120_000).to_string(),
            "1970-01-01T00:00:00.000120000Z"
        );
    }

    #[test]
    fn the_whole_i64_range_formats_as_dates() {
        assert_eq!(
            Timestamp(i64::MIN).to_string(),
            "1677-09-21T00:12:43.145224192Z"
        );
        assert_eq!(
            Timestamp(i64::MAX).to_string(),
            "2262-04-11T23:47:16.854775807Z"
        );
    }
}
