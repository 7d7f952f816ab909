//! Arbitrary frames on every supported link type through the decoder (link layers, IP, fragment
//! reassembly across frames, tunnels, transport headers). The first two bytes choose the link
//! type and the frame's time step, so reassembly state carries over between frames of one input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringfence_model::Timestamp;
use ringfence_sources::capture::{Decoded, Decoder, Frame, LinkType};

const LINK_TYPES: [u32; 17] = [
    0, 1, 9, 12, 14, 50, 51, 101, 104, 108, 113, 192, 204, 228, 229, 276, 147,
];

fuzz_target!(|data: &[u8]| {
    let mut decoder = Decoder::new();
    // Frames are separated by 0xfe bytes so that one input can hold several fragments.
    for (index, chunk) in data.split(|b| *b == 0xfe).enumerate() {
        let Some((&selector, bytes)) = chunk.split_first() else {
            continue;
        };
        let link = LINK_TYPES[usize::from(selector) % LINK_TYPES.len()];
        let frame = Frame {
            link_type: LinkType(link),
            time: Timestamp::from_secs_nanos(i64::from(selector >> 4) * index as i64, 0),
            data: bytes,
            wire_len: bytes.len() as u32,
            record: index as u64 + 1,
            offset: 0,
        };
        if let Decoded::Packet(p) = decoder.decode(&frame) {
            assert!(p.payload.len() <= bytes.len());
        }
    }
});
