//! C2SP tlog-tiles resource paths: `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`.

/// Hashes per full tile (tile height 8).
pub const TILE_WIDTH: u64 = 256;
/// Tile height in Merkle levels.
pub const TILE_HEIGHT: u32 = 8;
/// Bytes in a full hash tile.
pub const FULL_TILE_BYTES: usize = 256 * 32;

/// `<N>` encoded as zero-padded 3-digit elements, all but the last prefixed with `x`
/// (1234067 -> `x001/x234/067`).
pub fn index_path(n: u64) -> String {
    let mut parts = vec![format!("{:03}", n % 1000)];
    let mut rest = n / 1000;
    while rest > 0 {
        parts.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

fn width_suffix(width: u64) -> String {
    if width >= TILE_WIDTH {
        String::new()
    } else {
        format!(".p/{width}")
    }
}

/// Path of hash tile `n` at `level` holding `width` hashes (256 = full).
pub fn hash_tile_path(level: u32, n: u64, width: u64) -> String {
    format!("tile/{level}/{}{}", index_path(n), width_suffix(width))
}

/// Path of entry bundle `n` holding `width` entries (256 = full).
pub fn entries_path(n: u64, width: u64) -> String {
    format!("tile/entries/{}{}", index_path(n), width_suffix(width))
}

/// Width of tile `n` at `level` in a tree of `size` leaves (0 if the tile does not exist).
pub fn tile_width(level: u32, n: u64, size: u64) -> u64 {
    let hashes_at_level = size.checked_shr(TILE_HEIGHT * level).unwrap_or(0);
    let start = n.saturating_mul(TILE_WIDTH);
    hashes_at_level.saturating_sub(start).min(TILE_WIDTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec_examples() {
        assert_eq!(index_path(1234067), "x001/x234/067");
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(1000), "x001/000");
        assert_eq!(hash_tile_path(0, 1, 44), "tile/0/001.p/44");
        assert_eq!(hash_tile_path(1, 0, 256), "tile/1/000");
        assert_eq!(entries_path(1, 44), "tile/entries/001.p/44");
    }

    #[test]
    fn widths_for_70000_leaves_match_the_spec() {
        // 273 full level-0 tiles, one of width 112, one full level-1 tile, one of width 17,
        // and a level-2 tile of width 1.
        assert_eq!(tile_width(0, 272, 70_000), 256);
        assert_eq!(tile_width(0, 273, 70_000), 112);
        assert_eq!(tile_width(0, 274, 70_000), 0);
        assert_eq!(tile_width(1, 0, 70_000), 256);
        assert_eq!(tile_width(1, 1, 70_000), 17);
        assert_eq!(tile_width(2, 0, 70_000), 1);
        assert_eq!(tile_width(3, 0, 70_000), 0);
        assert_eq!(tile_width(9, 0, u64::MAX), 0);
    }
}
