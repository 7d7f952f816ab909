//! The time spellings of Zeek and Suricata logs: decimal seconds since the epoch (`1300475167.096535`,
//! Zeek's `time` and `interval`) and ISO 8601 (`2016-05-18T16:51:47.123456+0000` in EVE,
//! `2011-03-18T19:06:08.096535Z` in Zeek's JSON with ISO timestamps).
//!
//! Parsed by hand: the `time` crate wants one fixed format description per spelling of the offset
//! (`Z`, `+0000`, `+00:00`), and this runs once or twice per record of logs read at hundreds of MB/s.

use ringfence_model::Timestamp;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Decimal seconds (optionally negative, up to nine fractional digits kept) as nanoseconds.
pub(crate) fn decimal_seconds_nanos(text: &[u8]) -> Option<i64> {
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    // Short text: a plain scan beats setting up a SIMD search.
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (text.get(..dot)?, text.get(dot + 1..)?),
        None => (text, &b""[..]),
    };
    if whole.is_empty() || whole.len() > 12 || !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let secs = digits(whole)?;
    let mut nanos: i64 = 0;
    for position in 0..9 {
        let digit = fraction.get(position).map_or(0, |d| i64::from(d - b'0'));
        nanos = nanos * 10 + digit;
    }
    let total = secs.checked_mul(NANOS_PER_SEC)?.checked_add(nanos)?;
    Some(if negative { -total } else { total })
}

/// A JSON number of seconds as nanoseconds, rounded to the microsecond: Zeek writes six decimals,
/// and an `f64` of a current epoch time holds them exactly only after rounding.
pub(crate) fn float_seconds_nanos(secs: f64) -> Option<i64> {
    let micros = (secs * 1e6).round();
    if !micros.is_finite() || micros.abs() >= 9.0e15 {
        return None;
    }
    (micros as i64).checked_mul(1000)
}

/// An ISO 8601 / RFC 3339 date and time with an optional fraction and an offset of `Z`, `±HHMM`
/// or `±HH:MM` (none means UTC).
pub(crate) fn iso8601(text: &[u8]) -> Option<Timestamp> {
    let year = digits(text.get(0..4)?)?;
    let month = digits(text.get(5..7)?)?;
    let day = digits(text.get(8..10)?)?;
    let hour = digits(text.get(11..13)?)?;
    let minute = digits(text.get(14..16)?)?;
    let second = digits(text.get(17..19)?)?;
    let separators_ok = text.get(4) == Some(&b'-')
        && text.get(7) == Some(&b'-')
        && matches!(text.get(10), Some(b'T' | b't' | b' '))
        && text.get(13) == Some(&b':')
        && text.get(16) == Some(&b':');
    if !separators_ok
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = text.get(19..)?;
    let mut nanos: i64 = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let length = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if length == 0 {
            return None;
        }
        for position in 0..9 {
            let digit = match position < length {
                true => fraction.get(position).map_or(0, |d| i64::from(d - b'0')),
                false => 0,
            };
            nanos = nanos * 10 + digit;
        }
        rest = fraction.get(length..)?;
    }
    let offset_secs = match rest {
        b"" | b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, m1, m2] | [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits(&[*h1, *h2])?;
            let minutes = digits(&[*m1, *m2])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'+' { offset } else { -offset }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    let total = secs.checked_mul(NANOS_PER_SEC)?.checked_add(nanos)?;
    Some(Timestamp::from_nanos(total))
}

/// All ASCII digits, as a number (at most 18 digits, so it cannot overflow).
fn digits(text: &[u8]) -> Option<i64> {
    if text.is_empty() || text.len() > 18 {
        return None;
    }
    text.iter().try_fold(0i64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
    })
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_seconds_keep_every_digit() {
        assert_eq!(
            decimal_seconds_nanos(b"1300475167.096535"),
            Some(1_300_475_167_096_535_000)
        );
        assert_eq!(decimal_seconds_nanos(b"0.000435"), Some(435_000));
        assert_eq!(decimal_seconds_nanos(b"12"), Some(12_000_000_000));
        assert_eq!(decimal_seconds_nanos(b"-1.5"), Some(-1_500_000_000));
        assert_eq!(decimal_seconds_nanos(b"1.1234567891"), Some(1_123_456_789));
        for bad in [
            &b""[..],
            b".5",
            b"1.2.3",
            b"1e9",
            b"XXXXXXXXXX.XXXXXX",
            b"99999999999999999999",
            b"-",
        ] {
            assert_eq!(decimal_seconds_nanos(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn float_seconds_round_to_the_microsecond() {
        assert_eq!(
            float_seconds_nanos(1300475167.096535),
            Some(1_300_475_167_096_535_000)
        );
        assert_eq!(float_seconds_nanos(f64::NAN), None);
        assert_eq!(float_seconds_nanos(1e300), None);
    }

    #[test]
    fn iso8601_spellings_of_the_same_instant_agree() {
        let expected = decimal_seconds_nanos(b"1463590307.123456").map(Timestamp::from_nanos);
        for text in [
            "2016-05-18T16:51:47.123456+0000",
            "2016-05-18T16:51:47.123456Z",
            "2016-05-18T18:51:47.123456+02:00",
            "2016-05-18T11:51:47.123456-0500",
            "2016-05-18 16:51:47.123456",
        ] {
            assert_eq!(iso8601(text.as_bytes()), expected, "{text}");
        }
        assert_eq!(
            iso8601(b"1970-01-01T00:00:00Z"),
            Some(Timestamp::from_nanos(0))
        );
        assert_eq!(
            iso8601(b"2000-02-29T00:00:01Z"),
            Some(Timestamp::from_secs_nanos(951_782_401, 0))
        );
        for bad in [
            &b"2016-05-18"[..],
            b"2016-13-18T16:51:47Z",
            b"2016-05-18T16:51:47.Z",
            b"2016-05-18T16:51:47+99:00",
            b"2016-05-18T16:51:47 junk",
            b"\xff\xfe",
            b"9999-12-31T23:59:59Z",
        ] {
            assert_eq!(iso8601(bad), None, "{bad:?}");
        }
    }
}
