//! Big-endian reads that never panic: every accessor returns `None` past the end of the slice.

pub fn u8_at(data: &[u8], at: usize) -> Option<u8> {
    data.get(at).copied()
}

pub fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let bytes: [u8; 2] = data.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_be_bytes(bytes))
}

pub fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

/// An unsigned integer of 1 to 8 bytes (IPFIX "reduced-size encoding" sends counters in fewer
/// bytes than their type has); `None` for an empty or longer field.
pub fn uint(field: &[u8]) -> Option<u64> {
    if field.is_empty() || field.len() > 8 {
        return None;
    }
    Some(field.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_end() {
        let data = [0x00, 0x0a, 0x01, 0x02, 0x03];
        assert_eq!(u16_at(&data, 0), Some(10));
        assert_eq!(u32_at(&data, 1), Some(0x0a01_0203));
        assert_eq!(u32_at(&data, 2), None);
        assert_eq!(u16_at(&data, usize::MAX), None);
        assert_eq!(u8_at(&data, 5), None);
    }

    #[test]
    fn reduced_size_integers() {
        assert_eq!(uint(&[0x01, 0x00]), Some(256));
        assert_eq!(uint(&[0xff; 8]), Some(u64::MAX));
        assert_eq!(uint(&[]), None);
        assert_eq!(uint(&[0; 9]), None);
    }
}
