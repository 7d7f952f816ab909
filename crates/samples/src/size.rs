//! Sizes as people write them: `1048576`, `20MB`, `20MiB`, `1GiB`, `1.5G`.

/// Parses a byte count with an optional unit (B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB; the
/// decimal units are powers of 1000, the binary and single-letter ones powers of 1024) and an
/// optional fraction (`1.5GiB`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "kb" => 1_000,
        "m" | "mib" => 1 << 20,
        "mb" => 1_000_000,
        "g" | "gib" => 1 << 30,
        "gb" => 1_000_000_000,
        "t" | "tib" => 1 << 40,
        "tb" => 1_000_000_000_000,
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {text:?} (use B, KiB, MiB, GiB, KB, MB, GB)"
            ));
        }
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(format!("no number in size {text:?}"));
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| format!("bad number in size {text:?}"))?
    };
    let mut value = whole
        .checked_mul(multiplier)
        .ok_or_else(|| format!("size {text:?} is too large"))?;
    if !frac.is_empty() {
        let digits = frac.len().min(9);
        let f: u64 = frac
            .get(..digits)
            .unwrap_or("0")
            .parse()
            .map_err(|_| format!("bad fraction in size {text:?}"))?;
        let scale = 10u64.pow(digits as u32);
        let part = u128::from(f) * u128::from(multiplier) / u128::from(scale);
        value = value
            .checked_add(part as u64)
            .ok_or_else(|| format!("size {text:?} is too large"))?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_fractions() {
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("20MB"), Ok(20_000_000));
        assert_eq!(parse_size("20 mib"), Ok(20 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size(".5K"), Ok(512));
        assert!(parse_size("").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("99999999999999TiB").is_err());
        assert!(parse_size("1.2.3M").is_err());
    }
}
