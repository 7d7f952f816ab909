//! The office whose traffic the samples show: workstations in 10.20.0.0/24 (a few dual-stack in the
//! documentation prefix 2001:db8:20::/64), servers in 10.20.1.0/24, the resolver at 10.20.1.53
//! and a forward proxy at 10.20.1.8:3128. The capture point is the office's uplink, so every
//! external packet has the default gateway's MAC on the office side.

use crate::endpoints::Product;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(crate) const GATEWAY_MAC: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x01, 0x01];
pub(crate) const RESOLVER_V4: Ipv4Addr = Ipv4Addr::new(10, 20, 1, 53);
pub(crate) const RESOLVER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x20, 1, 0, 0, 0, 0x53);
pub(crate) const RESOLVER_MAC: [u8; 6] = [0x02, 0x20, 0x01, 0x00, 0x00, 0x53];
pub(crate) const PROXY_V4: Ipv4Addr = Ipv4Addr::new(10, 20, 1, 8);
pub(crate) const PROXY_PORT: u16 = 3128;
pub(crate) const PROXY_MAC: [u8; 6] = [0x02, 0x20, 0x01, 0x00, 0x00, 0x08];

#[derive(Clone, Debug)]
pub(crate) struct Host {
    pub mac: [u8; 6],
    pub v4: Ipv4Addr,
    pub v6: Option<Ipv6Addr>,
    /// Initial TTL of its stack: 128 for Windows, 64 for Linux.
    pub ttl: u8,
    pub products: Vec<Product>,
}

impl Host {
    pub(crate) fn resolver(&self, v6: bool) -> IpAddr {
        if v6 {
            IpAddr::V6(RESOLVER_V6)
        } else {
            IpAddr::V4(RESOLVER_V4)
        }
    }
}

/// 40 Windows workstations with a mix of products (the estate of two merged firms) and four Linux
/// and Windows servers.
pub(crate) fn office() -> Vec<Host> {
    let mut hosts = Vec::new();
    for i in 0u8..40 {
        let n = 21 + i;
        let mut products = vec![Product::Defender, Product::Browsing];
        products.push(match i % 4 {
            0 | 3 => Product::Kaspersky,
            1 => Product::Eset,
            _ => Product::Sophos,
        });
        if i % 3 == 0 {
            products.push(Product::CrowdStrike);
        }
        hosts.push(Host {
            mac: [0x02, 0x20, 0x00, 0x00, 0x00, n],
            v4: Ipv4Addr::new(10, 20, 0, n),
            v6: (i % 8 == 0).then(|| Ipv6Addr::new(0x2001, 0xdb8, 0x20, 0, 0, 0, 0, u16::from(n))),
            ttl: 128,
            products,
        });
    }
    let servers: [(u8, u8, &[Product]); 4] = [
        (10, 128, &[Product::Defender, Product::Kaspersky]),
        (11, 64, &[Product::Kaspersky, Product::CrowdStrike]),
        (12, 64, &[Product::Eset, Product::CrowdStrike]),
        (20, 128, &[Product::Defender, Product::Sophos]),
    ];
    for (n, ttl, products) in servers {
        hosts.push(Host {
            mac: [0x02, 0x20, 0x01, 0x00, 0x00, n],
            v4: Ipv4Addr::new(10, 20, 1, n),
            v6: None,
            ttl,
            products: products.to_vec(),
        });
    }
    hosts
}
