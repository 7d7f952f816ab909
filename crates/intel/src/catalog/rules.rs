//! The shape rules for single catalog values: identifiers, country codes, dates, URLs and
//! endpoint name patterns. Each returns the reason a value is wrong.

/// ISO 3166-1 alpha-2 officially assigned codes (249), as the ISO 3166 Maintenance Agency lists
/// them.
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH \
BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR \
GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR \
KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV \
MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE \
RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL \
TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// The longest DNS name (RFC 1035: 255 octets on the wire, 253 as text).
pub(crate) const MAX_NAME_LEN: usize = 253;

/// Stable identifiers: lower-case ASCII letters, digits and single hyphens.
pub(crate) fn id(value: &str) -> Result<(), String> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "id {value:?} must be 1-64 lower-case letters, digits and single inner hyphens"
        ))
    }
}

pub(crate) fn country(value: &str) -> Result<(), String> {
    let well_formed = value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase());
    if well_formed && ISO_3166_ALPHA2.split(' ').any(|c| c == value) {
        Ok(())
    } else {
        Err(format!(
            "{value:?} is not an ISO 3166-1 alpha-2 country code (two upper-case letters, assigned)"
        ))
    }
}

/// An ISO 8601 calendar date `YYYY-MM-DD` that exists.
pub(crate) fn date(value: &str) -> Result<(), String> {
    let bad = || format!("checked date {value:?} is not a valid ISO 8601 date (YYYY-MM-DD)");
    let bytes = value.as_bytes();
    if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = value.get(range)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return Err(bad());
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if year < 1990 || day == 0 || day > days {
        return Err(bad());
    }
    Ok(())
}

/// A source URL: https, with a host, no whitespace or control characters.
pub(crate) fn https_url(value: &str) -> Result<(), String> {
    let host = value
        .strip_prefix("https://")
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    let clean = !value.chars().any(|c| c.is_whitespace() || c.is_control());
    match host {
        Some(host) if clean && host.contains('.') && !host.starts_with('.') => Ok(()),
        _ => Err(format!(
            "source URL {value:?} is not an https URL with a host"
        )),
    }
}

/// An endpoint pattern: an exact name (`ts.eset.com`) or a suffix starting with a dot
/// (`.kaspersky.com`), lower case, every label 1-63 of `a-z 0-9 - _`, not starting or ending
/// with a hyphen, at least two labels.
pub(crate) fn endpoint(value: &str) -> Result<(), String> {
    let name = value.strip_prefix('.').unwrap_or(value);
    let bad = |why: &str| Err(format!("endpoint pattern {value:?} {why}"));
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return bad("must be a name of 1-253 characters");
    }
    if !name.contains('.') {
        return bad("must have at least two labels");
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return bad("has an empty or over-long label");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return bad("may hold only lower-case letters, digits, '-' and '_'");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return bad("has a label starting or ending with '-'");
        }
    }
    Ok(())
}

/// A process image pattern: non-empty, no control characters, at most 260 characters.
pub(crate) fn image_pattern(value: &str) -> Result<(), String> {
    if value.is_empty() || value.chars().count() > 260 || value.chars().any(char::is_control) {
        Err(format!(
            "process image pattern {value:?} must be 1-260 characters without control characters"
        ))
    } else {
        Ok(())
    }
}

/// A program or package name, or a purl: non-empty, no control characters.
pub(crate) fn package_name(value: &str) -> Result<(), String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed != value || value.chars().any(char::is_control) {
        Err(format!(
            "package name {value:?} must be non-empty, without surrounding space or control characters"
        ))
    } else if value.starts_with("pkg:") && !value.get(4..).is_some_and(|r| r.contains('/')) {
        Err(format!("package URL {value:?} has no type/name"))
    } else {
        Ok(())
    }
}

/// An autonomous system number that can appear in routing: not 0, not AS_TRANS (23456), not
/// the last 32-bit value.
pub(crate) fn asn(value: u32) -> Result<(), String> {
    if value == 0 || value == 23_456 || value == u32::MAX {
        Err(format!("AS{value} is reserved and never announces routes"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_list_is_complete_and_strict() {
        assert_eq!(ISO_3166_ALPHA2.split(' ').count(), 249);
        assert!(country("RU").is_ok());
        assert!(country("CH").is_ok());
        assert!(country("ru").is_err());
        assert!(country("UK").is_err());
        assert!(country("RUS").is_err());
        assert!(country("XX").is_err());
    }

    #[test]
    fn dates_must_exist() {
        assert!(date("2026-11-23").is_ok());
        assert!(date("2024-02-29").is_ok());
        assert!(date("2026-02-29").is_err());
        assert!(date("2026-13-01").is_err());
        assert!(date("2026-1-01").is_err());
        assert!(date("2026-11-23T00:00").is_err());
        assert!(date("+026-11-23").is_err());
    }

    #[test]
    fn urls_must_be_https_with_a_host() {
        assert!(https_url("https://www.eset.com/int/about/").is_ok());
        assert!(https_url("http://www.eset.com/").is_err());
        assert!(https_url("https://").is_err());
        assert!(https_url("https://exa mple.com/").is_err());
        assert!(https_url("ftp://x.y/").is_err());
    }

    #[test]
    fn endpoint_patterns_are_names_or_dotted_suffixes() {
        assert!(endpoint("ts.eset.com").is_ok());
        assert!(endpoint(".kaspersky.com").is_ok());
        assert!(endpoint("_dmarc.example.com").is_ok());
        assert!(endpoint("kaspersky").is_err());
        assert!(endpoint(".com").is_err());
        assert!(endpoint("Upd.Kaspersky.com").is_err());
        assert!(endpoint("a..b.com").is_err());
        assert!(endpoint("*.kaspersky.com").is_err());
        assert!(endpoint("-a.b.com").is_err());
        assert!(endpoint(&format!("{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn ids_packages_images_and_asns() {
        assert!(id("kaspersky-lab-switzerland").is_ok());
        assert!(id("Kaspersky").is_err());
        assert!(id("a--b").is_err());
        assert!(package_name("pkg:deb/kaspersky/kesl").is_ok());
        assert!(package_name("pkg:kesl").is_err());
        assert!(package_name(" avp").is_err());
        assert!(image_pattern("*\\avp.exe").is_ok());
        assert!(image_pattern("a\u{0}b").is_err());
        assert!(asn(200_107).is_ok());
        assert!(asn(0).is_err());
        assert!(asn(23_456).is_err());
    }
}
