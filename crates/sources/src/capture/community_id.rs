//! Community ID v1 flow hashing (https://github.com/corelight/community-id-spec), so ringfence's
//! connections can be matched with Zeek's and Suricata's records of the same flow.
//!
//! Written by hand: it is twenty lines over SHA-1 and no maintained crate offers just this.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ringfence_model::FlowKey;
use sha1::{Digest, Sha1};
use std::net::IpAddr;

/// The Community ID of a TCP or UDP flow with the default seed 0, e.g. `1:LQU9qZlK+B5F3KDmev6m5PMibrg=`.
pub fn community_id(key: &FlowKey) -> String {
    community_id_with_seed(key, 0)
}

pub fn community_id_with_seed(key: &FlowKey, seed: u16) -> String {
    // The hash is direction-free: the endpoint that sorts first (address, then port) goes first.
    let forward = (key.orig_addr, key.orig_port) <= (key.resp_addr, key.resp_port);
    let (first, second) = if forward {
        (
            (key.orig_addr, key.orig_port),
            (key.resp_addr, key.resp_port),
        )
    } else {
        (
            (key.resp_addr, key.resp_port),
            (key.orig_addr, key.orig_port),
        )
    };
    let mut hasher = Sha1::new();
    hasher.update(seed.to_be_bytes());
    update_with_addr(&mut hasher, first.0);
    update_with_addr(&mut hasher, second.0);
    hasher.update([key.transport.ip_protocol(), 0]);
    hasher.update(first.1.to_be_bytes());
    hasher.update(second.1.to_be_bytes());
    // Base64 of a 20-byte digest is 28 bytes; encoded on the stack, then copied once.
    let mut encoded = [0u8; 28];
    let length = STANDARD
        .encode_slice(hasher.finalize(), &mut encoded)
        .unwrap_or(0);
    let mut id = String::with_capacity(30);
    id.push_str("1:");
    id.push_str(std::str::from_utf8(encoded.get(..length).unwrap_or_default()).unwrap_or_default());
    id
}

fn update_with_addr(hasher: &mut Sha1, addr: IpAddr) {
    match addr {
        IpAddr::V4(v4) => hasher.update(v4.octets()),
        IpAddr::V6(v6) => hasher.update(v6.octets()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringfence_model::Transport;

    fn key(transport: Transport, a: &str, ap: u16, b: &str, bp: u16) -> FlowKey {
        FlowKey {
            transport,
            orig_addr: a.parse().unwrap(),
            orig_port: ap,
            resp_addr: b.parse().unwrap(),
            resp_port: bp,
        }
    }

    // Values from the table in the spec's baseline/README.md (default settings).
    #[test]
    fn matches_spec_table() {
        let tcp = key(Transport::Tcp, "1.2.3.4", 1122, "5.6.7.8", 3344);
        assert_eq!(community_id(&tcp), "1:wCb3OG7yAFWelaUydu0D+125CLM=");
        assert_eq!(
            community_id(&tcp.reversed()),
            "1:wCb3OG7yAFWelaUydu0D+125CLM="
        );
        let udp = key(Transport::Udp, "1.2.3.4", 1122, "5.6.7.8", 3344);
        assert_eq!(community_id(&udp), "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
        assert_eq!(
            community_id(&udp.reversed()),
            "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="
        );
    }
}
