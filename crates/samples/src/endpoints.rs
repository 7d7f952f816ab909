//! Who talks to what: each product's documented endpoint names (see
//! `shared/data/vendors/av_endpoints_cited.tsv` and examples/README.md), the CNAME chains and
//! addresses the sample's resolver answers with, and the shape of each kind of exchange.
//!
//! The addresses are illustrative, chosen from each operator's announced ranges (Kaspersky's
//! 77.74.176.0/21 and 185.85.12.0/22, ESET's 91.228.164.0/22, Microsoft's 13.x/20.x/40.x, AWS
//! eu-central-1 and eu-west-1 for CrowdStrike and Sophos, the CDNs' own space for the rest); they
//! are not claimed to be what those names resolve to today.

use crate::tls::Stack;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The software a connection belongs to in the sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Product {
    Kaspersky,
    Eset,
    Sophos,
    Defender,
    CrowdStrike,
    /// People browsing the web, and the OS's connectivity checks.
    Browsing,
}

impl Product {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Product::Kaspersky => "Kaspersky Endpoint Security",
            Product::Eset => "ESET Endpoint Security",
            Product::Sophos => "Sophos Endpoint",
            Product::Defender => "Microsoft Defender Antivirus",
            Product::CrowdStrike => "CrowdStrike Falcon",
            Product::Browsing => "web browsing",
        }
    }
}

/// A name and what the resolver answers for it.
pub(crate) struct Endpoint {
    /// Alternatives the product picks from (e.g. s00..s19.upd.kaspersky.com).
    pub names: &'static [&'static str],
    /// CNAME chain from the name to the host that has the addresses.
    pub cnames: &'static [&'static str],
    pub v4: &'static [Ipv4Addr],
    pub v6: &'static [Ipv6Addr],
}

/// How a connection to an endpoint goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// TLS over TCP 443: one request, one response.
    Tls {
        stack: Stack,
        alpn: &'static [&'static str],
    },
    /// A long-lived TLS connection with small exchanges every few seconds to minutes.
    TlsHeartbeat {
        stack: Stack,
        alpn: &'static [&'static str],
    },
    /// Plain HTTP/1.1 GET on port 80.
    Http {
        path: &'static str,
        user_agent: &'static str,
        content_type: &'static str,
    },
    /// TLS tunnelled through the office proxy with HTTP CONNECT.
    ProxiedTls { stack: Stack },
    /// QUIC (HTTP/3) on UDP 443; `v2` selects QUIC version 2.
    Quic { v2: bool },
}

pub(crate) struct Recipe {
    pub product: Product,
    pub endpoint: Endpoint,
    pub kind: Kind,
    /// Bytes the client sends after the handshake (request, telemetry, sample upload).
    pub up: (u64, u64),
    /// Bytes the server returns (response, update download).
    pub down: (u64, u64),
    /// Relative frequency among the recipes of the same product.
    pub weight: u64,
}

const fn v4(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

const KB: u64 = 1024;
const MB: u64 = 1024 * 1024;
const H2: &[&str] = &["h2", "http/1.1"];
const H1: &[&str] = &["http/1.1"];

const UPD_NAMES: &[&str] = &[
    "s00.upd.kaspersky.com",
    "s01.upd.kaspersky.com",
    "s02.upd.kaspersky.com",
    "s05.upd.kaspersky.com",
    "s07.upd.kaspersky.com",
    "s12.upd.kaspersky.com",
    "s19.upd.kaspersky.com",
];

pub(crate) const RECIPES: &[Recipe] = &[
    // --- Kaspersky (support.kaspersky.com KESWin 11.6 "202507"; KESWin 11.4 "133787"; v2fly list) ---
    Recipe {
        product: Product::Kaspersky,
        endpoint: Endpoint {
            names: &[
                "dnl-01.geo.kaspersky.com",
                "dnl-02.geo.kaspersky.com",
                "dnl-05.geo.kaspersky.com",
            ],
            cnames: &[],
            v4: &[v4(77, 74, 181, 1), v4(77, 74, 176, 58)],
            v6: &[],
        },
        kind: Kind::Http {
            path: "/bases/av/kdb/i386/kdb-i386-0607g.xml.klz",
            user_agent: "KasperskyLab-Updater/12.0",
            content_type: "application/octet-stream",
        },
        up: (0, 0),
        down: (200 * KB, 8 * MB),
        weight: 3,
    },
    Recipe {
        product: Product::Kaspersky,
        endpoint: Endpoint {
            names: UPD_NAMES,
            cnames: &[],
            v4: &[
                v4(185, 85, 15, 26),
                v4(77, 74, 177, 238),
                v4(185, 85, 14, 220),
            ],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::Agent,
            alpn: H1,
        },
        up: (400, 1200),
        down: (500 * KB, 20 * MB),
        weight: 4,
    },
    Recipe {
        product: Product::Kaspersky,
        endpoint: Endpoint {
            names: &["activation-v2.kaspersky.com"],
            cnames: &[],
            v4: &[v4(185, 85, 14, 27)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::Agent,
            alpn: H1,
        },
        up: (900, 3 * KB),
        down: (2 * KB, 9 * KB),
        weight: 1,
    },
    Recipe {
        product: Product::Kaspersky,
        endpoint: Endpoint {
            names: &[
                "ksn-url-geo.kaspersky-labs.com",
                "ksn-file-geo.kaspersky-labs.com",
                "ksn-verdict-geo.kaspersky-labs.com",
            ],
            cnames: &[],
            v4: &[
                v4(77, 74, 178, 49),
                v4(77, 74, 179, 12),
                v4(185, 85, 13, 141),
            ],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::Agent,
            alpn: H1,
        },
        up: (KB, 24 * KB),
        down: (600, 12 * KB),
        weight: 6,
    },
    Recipe {
        product: Product::Kaspersky,
        endpoint: Endpoint {
            names: &["ksn-cinfo-geo.kaspersky-labs.com"],
            cnames: &["ksn-cinfo.geoksn.kaspersky.com"],
            v4: &[v4(77, 74, 178, 50)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::Agent,
            alpn: H1,
        },
        up: (2 * KB, 60 * KB),
        down: (400, 2 * KB),
        weight: 2,
    },
    Recipe {
        product: Product::Kaspersky,
        endpoint: Endpoint {
            names: &["crl.kaspersky.com"],
            cnames: &[],
            v4: &[v4(77, 74, 180, 14)],
            v6: &[],
        },
        kind: Kind::Http {
            path: "/kaspersky-lab-ca.crl",
            user_agent: "Microsoft-CryptoAPI/10.0",
            // Served as a generic type: the body is random bytes, not a DER CRL.
            content_type: "application/octet-stream",
        },
        up: (0, 0),
        down: (700, 40 * KB),
        weight: 1,
    },
    Recipe {
        product: Product::Kaspersky,
        endpoint: Endpoint {
            names: &["activation-v2.kaspersky.com"],
            cnames: &[],
            v4: &[v4(185, 85, 14, 27)],
            v6: &[],
        },
        kind: Kind::ProxiedTls {
            stack: Stack::Agent,
        },
        up: (900, 3 * KB),
        down: (2 * KB, 9 * KB),
        weight: 1,
    },
    // --- ESET (ESET KB332 via v2fly; DNSFilter domain list) ---
    Recipe {
        product: Product::Eset,
        endpoint: Endpoint {
            names: &[
                "um01.eset.com",
                "um03.eset.com",
                "um10.eset.com",
                "um21.eset.com",
            ],
            cnames: &[],
            v4: &[
                v4(91, 228, 167, 21),
                v4(91, 228, 166, 181),
                v4(91, 228, 165, 145),
            ],
            v6: &[],
        },
        kind: Kind::Http {
            path: "/eset_upd/ep11/dll/update.ver.signed",
            user_agent: "ESS Update (Windows; U; 64bit; BPC 11.0.2032.0)",
            content_type: "application/octet-stream",
        },
        up: (0, 0),
        down: (100 * KB, 12 * MB),
        weight: 4,
    },
    Recipe {
        product: Product::Eset,
        endpoint: Endpoint {
            names: &["i1.cwip.eset.com", "i4.cwip.eset.com", "ts.eset.com"],
            cnames: &[],
            v4: &[v4(91, 228, 166, 47), v4(91, 228, 167, 133)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::OpenSsl,
            alpn: H1,
        },
        up: (600, 40 * KB),
        down: (300, 4 * KB),
        weight: 5,
    },
    Recipe {
        product: Product::Eset,
        endpoint: Endpoint {
            names: &["expire.eset.com"],
            cnames: &[],
            v4: &[v4(91, 228, 166, 13)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::OpenSsl,
            alpn: H1,
        },
        up: (500, 2 * KB),
        down: (500, 3 * KB),
        weight: 1,
    },
    // --- Sophos (docs.sophos.com "Sophos Central domains and ports") ---
    Recipe {
        product: Product::Sophos,
        endpoint: Endpoint {
            names: &["central.sophos.com"],
            cnames: &["central-prod-eu-west-1.elb.sophos.com"],
            v4: &[v4(52, 31, 148, 107), v4(34, 246, 84, 16)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::OpenSsl,
            alpn: H2,
        },
        up: (800, 30 * KB),
        down: (KB, 20 * KB),
        weight: 4,
    },
    Recipe {
        product: Product::Sophos,
        endpoint: Endpoint {
            names: &["dci.sophosupd.com", "downloads.sophos.com"],
            cnames: &["d1z7c9ba8ej3hi.cloudfront.net"],
            v4: &[v4(18, 66, 102, 17), v4(13, 224, 249, 84)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::OpenSsl,
            alpn: H2,
        },
        up: (500, 1500),
        down: (300 * KB, 16 * MB),
        weight: 3,
    },
    Recipe {
        product: Product::Sophos,
        endpoint: Endpoint {
            names: &["4.sophosxl.net"],
            cnames: &[],
            v4: &[v4(52, 30, 72, 191)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::OpenSsl,
            alpn: H1,
        },
        up: (300, 3 * KB),
        down: (200, 2 * KB),
        weight: 4,
    },
    // --- Microsoft Defender (MicrosoftDocs/defender-docs, configure-network-connections) ---
    Recipe {
        product: Product::Defender,
        endpoint: Endpoint {
            names: &["wdcp.microsoft.com"],
            cnames: &[
                "wd-prod-cp.trafficmanager.net",
                "wd-prod-cp-eu-west-3-fe.westeurope.cloudapp.azure.com",
            ],
            v4: &[v4(20, 105, 224, 3), v4(40, 74, 28, 9)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::Schannel,
            alpn: H2,
        },
        up: (KB, 30 * KB),
        down: (500, 6 * KB),
        weight: 6,
    },
    Recipe {
        product: Product::Defender,
        endpoint: Endpoint {
            names: &["definitionupdates.microsoft.com"],
            cnames: &[
                "definitionupdates.microsoft.com.edgekey.net",
                "e16646.dscg.akamaiedge.net",
            ],
            v4: &[v4(23, 62, 226, 185), v4(23, 62, 226, 171)],
            v6: &[Ipv6Addr::new(
                0x2a02, 0x26f0, 0x9100, 0x0e96, 0, 0, 0, 0x4106,
            )],
        },
        kind: Kind::Tls {
            stack: Stack::Schannel,
            alpn: H2,
        },
        up: (600, 1500),
        down: (200 * KB, 24 * MB),
        weight: 3,
    },
    Recipe {
        product: Product::Defender,
        endpoint: Endpoint {
            names: &["ctldl.windowsupdate.com"],
            cnames: &[
                "ctldl.windowsupdate.com.delivery.microsoft.com",
                "wu-f-net.trafficmanager.net",
            ],
            v4: &[v4(13, 107, 4, 50)],
            v6: &[],
        },
        kind: Kind::Http {
            path: "/msdownload/update/v3/static/trustedr/en/authrootstl.cab",
            user_agent: "Microsoft-CryptoAPI/10.0",
            content_type: "application/vnd.ms-cab-compressed",
        },
        up: (0, 0),
        down: (20 * KB, 90 * KB),
        weight: 1,
    },
    Recipe {
        product: Product::Defender,
        endpoint: Endpoint {
            names: &["wseu1northprod.blob.core.windows.net"],
            cnames: &["blob.dbl09prdstr02a.store.core.windows.net"],
            v4: &[v4(20, 60, 204, 1)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::Schannel,
            alpn: H1,
        },
        up: (100 * KB, 4 * MB),
        down: (500, 2 * KB),
        weight: 1,
    },
    Recipe {
        product: Product::Defender,
        endpoint: Endpoint {
            names: &[
                "settings-win.data.microsoft.com",
                "vortex-win.data.microsoft.com",
            ],
            cnames: &["atm-settingsfe-prod-geo2.trafficmanager.net"],
            v4: &[v4(40, 127, 240, 158), v4(13, 69, 239, 72)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::Schannel,
            alpn: H2,
        },
        up: (KB, 20 * KB),
        down: (500, 8 * KB),
        weight: 3,
    },
    // --- CrowdStrike Falcon (third-party MDR prerequisites page) ---
    Recipe {
        product: Product::CrowdStrike,
        endpoint: Endpoint {
            names: &["ts01-gyr-maverick.cloudsink.net"],
            cnames: &[],
            v4: &[v4(52, 28, 22, 5), v4(54, 93, 12, 166)],
            v6: &[],
        },
        kind: Kind::TlsHeartbeat {
            stack: Stack::OpenSsl,
            alpn: &[],
        },
        up: (200, 6 * KB),
        down: (100, KB),
        weight: 3,
    },
    Recipe {
        product: Product::CrowdStrike,
        endpoint: Endpoint {
            names: &["lfodown01-gyr-maverick.cloudsink.net"],
            cnames: &[],
            v4: &[v4(54, 93, 96, 201)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::OpenSsl,
            alpn: &[],
        },
        up: (500, 1500),
        down: (500 * KB, 12 * MB),
        weight: 2,
    },
    Recipe {
        product: Product::CrowdStrike,
        endpoint: Endpoint {
            names: &["lfoup01-gyr-maverick.cloudsink.net"],
            cnames: &[],
            v4: &[v4(52, 58, 181, 40)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::OpenSsl,
            alpn: &[],
        },
        up: (50 * KB, 3 * MB),
        down: (300, KB),
        weight: 1,
    },
    // --- Ordinary browsing and OS connectivity checks ---
    Recipe {
        product: Product::Browsing,
        endpoint: Endpoint {
            names: &["www.google.com"],
            cnames: &[],
            v4: &[v4(142, 250, 185, 68)],
            v6: &[Ipv6Addr::new(
                0x2a00, 0x1450, 0x4001, 0x81c, 0, 0, 0, 0x2004,
            )],
        },
        kind: Kind::Tls {
            stack: Stack::Chrome,
            alpn: H2,
        },
        up: (KB, 6 * KB),
        down: (30 * KB, 900 * KB),
        weight: 3,
    },
    Recipe {
        product: Product::Browsing,
        endpoint: Endpoint {
            names: &["www.wikipedia.org", "en.wikipedia.org"],
            cnames: &["dyna.wikimedia.org"],
            v4: &[v4(185, 15, 59, 224)],
            v6: &[Ipv6Addr::new(0x2a02, 0xec80, 0x300, 0xed1a, 0, 0, 0, 1)],
        },
        kind: Kind::Tls {
            stack: Stack::Chrome,
            alpn: H2,
        },
        up: (KB, 4 * KB),
        down: (40 * KB, 2 * MB),
        weight: 2,
    },
    Recipe {
        product: Product::Browsing,
        endpoint: Endpoint {
            names: &["github.com"],
            cnames: &[],
            v4: &[v4(140, 82, 121, 4)],
            v6: &[],
        },
        kind: Kind::Tls {
            stack: Stack::Chrome,
            alpn: H2,
        },
        up: (KB, 8 * KB),
        down: (50 * KB, 3 * MB),
        weight: 2,
    },
    Recipe {
        product: Product::Browsing,
        endpoint: Endpoint {
            names: &["www.gov.uk"],
            cnames: &["www-gov-uk.map.fastly.net"],
            v4: &[v4(151, 101, 0, 144), v4(151, 101, 64, 144)],
            v6: &[Ipv6Addr::new(0x2a04, 0x4e42, 0, 0, 0, 0, 0, 0x144)],
        },
        kind: Kind::Tls {
            stack: Stack::Chrome,
            alpn: H2,
        },
        up: (KB, 4 * KB),
        down: (40 * KB, MB),
        weight: 2,
    },
    Recipe {
        product: Product::Browsing,
        endpoint: Endpoint {
            names: &["outlook.office365.com"],
            cnames: &["outlook.ms-acdc.office.com"],
            v4: &[v4(52, 97, 146, 178), v4(40, 99, 150, 18)],
            v6: &[Ipv6Addr::new(0x2603, 0x1026, 0xc0b, 0x10, 0, 0, 0, 2)],
        },
        kind: Kind::Tls {
            stack: Stack::Schannel,
            alpn: H2,
        },
        up: (2 * KB, 200 * KB),
        down: (20 * KB, 4 * MB),
        weight: 3,
    },
    Recipe {
        product: Product::Browsing,
        endpoint: Endpoint {
            names: &["www.google.com"],
            cnames: &[],
            v4: &[v4(142, 250, 185, 68)],
            v6: &[Ipv6Addr::new(
                0x2a00, 0x1450, 0x4001, 0x81c, 0, 0, 0, 0x2004,
            )],
        },
        kind: Kind::Quic { v2: false },
        up: (2 * KB, 8 * KB),
        down: (20 * KB, 600 * KB),
        weight: 3,
    },
    Recipe {
        product: Product::Browsing,
        endpoint: Endpoint {
            names: &["www.youtube.com"],
            cnames: &["youtube-ui.l.google.com"],
            v4: &[v4(142, 250, 186, 78), v4(172, 217, 16, 142)],
            v6: &[Ipv6Addr::new(
                0x2a00, 0x1450, 0x4001, 0x829, 0, 0, 0, 0x200e,
            )],
        },
        kind: Kind::Quic { v2: false },
        up: (4 * KB, 30 * KB),
        down: (500 * KB, 12 * MB),
        weight: 3,
    },
    Recipe {
        product: Product::Browsing,
        endpoint: Endpoint {
            names: &["www.cloudflare.com"],
            cnames: &[],
            v4: &[v4(104, 16, 124, 96), v4(104, 16, 123, 96)],
            v6: &[Ipv6Addr::new(0x2606, 0x4700, 0, 0, 0, 0, 0x6810, 0x7c60)],
        },
        kind: Kind::Quic { v2: true },
        up: (KB, 6 * KB),
        down: (30 * KB, 800 * KB),
        weight: 1,
    },
    Recipe {
        product: Product::Browsing,
        endpoint: Endpoint {
            names: &["www.msftconnecttest.com"],
            cnames: &[
                "ncsi-geo.trafficmanager.net",
                "www.msftncsi.com.edgesuite.net",
                "a1961.g2.akamai.net",
            ],
            v4: &[v4(23, 62, 226, 8)],
            v6: &[],
        },
        kind: Kind::Http {
            path: "/connecttest.txt",
            user_agent: "Microsoft NCSI",
            content_type: "text/plain",
        },
        up: (0, 0),
        down: (22, 22),
        weight: 1,
    },
    Recipe {
        product: Product::Browsing,
        endpoint: Endpoint {
            names: &["detectportal.firefox.com"],
            cnames: &[
                "detectportal.prod.mozaws.net",
                "prod.detectportal.prod.cloudops.mozgcp.net",
            ],
            v4: &[v4(34, 107, 221, 82)],
            v6: &[Ipv6Addr::new(0x2600, 0x1901, 0, 0x38d7, 0, 0, 0, 0)],
        },
        kind: Kind::Http {
            path: "/success.txt?ipv4",
            user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0",
            content_type: "text/plain",
        },
        up: (0, 0),
        down: (8, 8),
        weight: 1,
    },
];
