//! Zeek's connection uids as keys of the table of names waiting for their conn record. A uid is
//! `C` and about 17 base62 characters; kept inline, a lookup compares it inside the table's own
//! memory instead of following a pointer to a heap string (one cache miss less per record of a
//! table that holds a whole ssl.log).

/// The longest uid kept inline.
const INLINE: usize = 23;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Uid {
    Inline { length: u8, bytes: [u8; INLINE] },
    Long(Box<str>),
}

impl Uid {
    pub(crate) fn new(uid: &str) -> Uid {
        let mut bytes = [0u8; INLINE];
        match (bytes.get_mut(..uid.len()), u8::try_from(uid.len())) {
            (Some(inline), Ok(length)) => {
                inline.copy_from_slice(uid.as_bytes());
                Uid::Inline { length, bytes }
            }
            _ => Uid::Long(uid.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_uids_compare_by_their_text() {
        assert_eq!(Uid::new("CHhAvVGS1DHFjwGM9"), Uid::new("CHhAvVGS1DHFjwGM9"));
        assert_ne!(Uid::new("C1"), Uid::new("C1\0"));
        let long = "C".repeat(40);
        assert_eq!(Uid::new(&long), Uid::new(&long));
        assert!(matches!(Uid::new(&long), Uid::Long(_)));
        assert!(matches!(Uid::new(""), Uid::Inline { length: 0, .. }));
    }
}
