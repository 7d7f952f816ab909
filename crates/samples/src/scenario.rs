//! What happens in the office and when: a boot sequence in which every recipe runs once (so even a
//! small sample has every product), then sessions drawn by weight on random hosts, spread over
//! office hours day after day until the size budget is used.

use crate::body::Body;
use crate::dns;
use crate::endpoints::{Kind, Product, RECIPES, Recipe};
use crate::http;
use crate::network::{self, GATEWAY_MAC, Host, PROXY_MAC, PROXY_PORT, PROXY_V4};
use crate::quic::{self, QUIC_V1, QUIC_V2};
use crate::rng::Rng;
use crate::session::{Session, Shape, Step};
use crate::tls::{self, Stack};
use crate::wire::Peer;
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr};

const SECOND: u64 = 1_000_000;
const DAY: u64 = 86_400 * SECOND;
/// Office hours in seconds since midnight UTC: sessions start between 08:00 and 18:30.
const OPEN: u64 = 8 * 3600;
const CLOSE: u64 = 18 * 3600 + 1800;
/// How many random draws to try before deciding nothing fits the remaining budget.
const FIT_TRIES: usize = 6;

pub(crate) struct Planner {
    rng: Rng,
    hosts: Vec<Host>,
    next_start: u64,
    boot: VecDeque<usize>,
    counter: u64,
}

/// One planned session and what it counts for.
pub(crate) struct Planned {
    pub session: Session,
    pub connections: u64,
    pub dns_queries: u64,
}

impl Planner {
    pub(crate) fn new(seed: u64, start_us: u64) -> Self {
        Planner {
            rng: Rng::new(seed),
            hosts: network::office(),
            next_start: start_us,
            boot: (0..RECIPES.len()).collect(),
            counter: 0,
        }
    }

    pub(crate) fn next_start(&self) -> u64 {
        self.next_start
    }

    /// Sessions starting no earlier than `not_before` whose estimated bytes fit `budget`; empty
    /// when nothing does.
    pub(crate) fn plan(&mut self, not_before: u64, budget: u64) -> Vec<Planned> {
        let start = self.next_start.max(not_before);
        for attempt in 0..FIT_TRIES {
            let (recipe_index, minimal) = match self.boot.front() {
                Some(&r) => (r, true),
                None => (self.draw_recipe(), attempt > 0),
            };
            let Some(recipe) = RECIPES.get(recipe_index) else {
                continue;
            };
            let host = self.draw_host(recipe.product);
            self.counter += 1;
            let rng = self.rng.fork(self.counter);
            let Some(host) = self.hosts.get(host) else {
                continue;
            };
            let planned = build(recipe, host, rng, start, minimal);
            let estimate: u64 = planned.iter().map(|p| p.session.estimate()).sum();
            if estimate <= budget {
                if !self.boot.is_empty() {
                    self.boot.pop_front();
                }
                self.advance(start);
                return planned;
            }
            if !self.boot.is_empty() {
                // The boot sequence cannot fit: skip to the random sessions.
                self.boot.clear();
            }
        }
        Vec::new()
    }

    fn advance(&mut self, from: u64) {
        let gap = self.rng.skewed(20_000, 45 * SECOND);
        let mut next = from + gap;
        let time_of_day = (next / SECOND) % 86_400;
        if time_of_day >= CLOSE {
            // Overnight: the next day's activity starts shortly after opening.
            let midnight = next - (next % DAY);
            next = midnight + DAY + OPEN * SECOND + self.rng.below(1800 * SECOND);
        } else if time_of_day < OPEN {
            next = next - (next % DAY) + OPEN * SECOND + self.rng.below(1800 * SECOND);
        }
        self.next_start = next;
    }

    fn draw_recipe(&mut self) -> usize {
        // Products by how often their traffic appears in an office: people browse the most.
        let product = match self.rng.below(100) {
            0..=29 => Product::Browsing,
            30..=49 => Product::Defender,
            50..=64 => Product::Kaspersky,
            65..=76 => Product::Eset,
            77..=88 => Product::Sophos,
            _ => Product::CrowdStrike,
        };
        let total: u64 = RECIPES
            .iter()
            .filter(|r| r.product == product)
            .map(|r| r.weight)
            .sum();
        let mut pick = self.rng.below(total.max(1));
        for (i, r) in RECIPES.iter().enumerate() {
            if r.product != product {
                continue;
            }
            if pick < r.weight {
                return i;
            }
            pick -= r.weight;
        }
        0
    }

    fn draw_host(&mut self, product: Product) -> usize {
        let candidates: Vec<usize> = self
            .hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| h.products.contains(&product))
            .map(|(i, _)| i)
            .collect();
        self.rng.pick(&candidates).copied().unwrap_or(0)
    }
}

/// What a session's client-side peer and server-side peer look like.
struct Ends {
    client: Peer,
    server: Peer,
    dns_client: Peer,
    resolver: Peer,
}

fn ends(host: &Host, server_ip: IpAddr, port: u16, rng: &mut Rng) -> Ends {
    let v6 = server_ip.is_ipv6();
    let client_ip = match (v6, host.v6) {
        (true, Some(a)) => IpAddr::V6(a),
        _ => IpAddr::V4(host.v4),
    };
    let client = Peer {
        mac: host.mac,
        ip: client_ip,
        port: rng.range(49_152, 65_535) as u16,
        ttl: host.ttl,
    };
    let server = Peer {
        mac: GATEWAY_MAC,
        ip: server_ip,
        port,
        ttl: 64 - rng.range(6, 18) as u8,
    };
    let resolver = Peer {
        mac: network::RESOLVER_MAC,
        ip: host.resolver(v6),
        port: 53,
        ttl: 64,
    };
    Ends {
        client,
        server,
        dns_client: client,
        resolver,
    }
}

/// The lookups for `name`: A always, AAAA too from a dual-stack host; answers carry the recipe's
/// chain and addresses.
fn lookups(session: &mut Session, host: &Host, name: &str, recipe: &Recipe) -> u64 {
    let addrs: Vec<IpAddr> = recipe
        .endpoint
        .v4
        .iter()
        .map(|&a| IpAddr::V4(a))
        .chain(recipe.endpoint.v6.iter().map(|&a| IpAddr::V6(a)))
        .collect();
    let types: &[u16] = if host.v6.is_some() {
        &[dns::TYPE_AAAA, dns::TYPE_A]
    } else {
        &[dns::TYPE_A]
    };
    for &qtype in types {
        let rng = session.rng();
        let id = rng.next_u16();
        let latency_us = if rng.chance(2, 3) {
            rng.range(150, 900)
        } else {
            rng.range(4_000, 60_000)
        };
        let ttl = rng.range(20, 3600) as u32;
        session.push(Step::Dns {
            query: dns::query(id, name, qtype),
            response: dns::response(id, name, qtype, recipe.endpoint.cnames, &addrs, ttl),
            latency_us,
        });
    }
    types.len() as u64
}

fn hello_shape(stack: Stack, hello_len: usize, rng: &mut Rng) -> Shape {
    if stack == Stack::Chrome || hello_len < 100 {
        return Shape::Whole; // already larger than one segment
    }
    let cut = rng.range(40, hello_len as u64 - 40) as usize;
    match rng.below(100) {
        0..=6 => Shape::Split(cut),
        7..=9 => Shape::SplitReordered(cut),
        10..=12 => Shape::SplitRetransmitted(cut),
        _ => Shape::Whole,
    }
}

fn size(range: (u64, u64), minimal: bool, rng: &mut Rng) -> u64 {
    if minimal {
        range.0
    } else {
        rng.skewed(range.0, range.1)
    }
}

/// The TLS exchange after the TCP handshake: hello, server flight, finished and request, response.
fn tls_exchange(session: &mut Session, hello: Vec<u8>, shape: Shape, up: u64, down: u64, rtt: u64) {
    let rng = session.rng();
    let server_flight = tls::server_first_flight(&hello, rng.range(2_400, 5_600) as usize, rng);
    let mut client_second = Body::bytes(tls::client_finished(rng));
    client_second.push_tls(up.max(200));
    let mut response = Body::default();
    response.push_tls(down);
    let think_server = rtt + rng.range(1_000, 50_000);
    session.push(Step::Send {
        from_client: true,
        body: Body::bytes(hello),
        think_us: 300,
        shape,
        started: false,
    });
    session.push(Step::Send {
        from_client: false,
        body: Body::bytes(server_flight),
        think_us: rtt + 800,
        shape: Shape::Whole,
        started: false,
    });
    session.push(Step::Send {
        from_client: true,
        body: client_second,
        think_us: 400,
        shape: Shape::Whole,
        started: false,
    });
    session.push(Step::Send {
        from_client: false,
        body: response,
        think_us: think_server,
        shape: Shape::Whole,
        started: false,
    });
}

fn close(session: &mut Session) {
    let rng = session.rng();
    let rst = rng.chance(1, 10);
    let client_first = rng.chance(7, 10);
    let think_us = rng.skewed(20_000, 15 * SECOND);
    session.push(Step::Close {
        rst,
        client_first,
        think_us,
    });
}

pub(crate) fn build(
    recipe: &Recipe,
    host: &Host,
    mut rng: Rng,
    start: u64,
    minimal: bool,
) -> Vec<Planned> {
    let name = rng
        .pick(recipe.endpoint.names)
        .copied()
        .unwrap_or("localhost");
    let use_v6 = host.v6.is_some() && !recipe.endpoint.v6.is_empty() && rng.chance(2, 3);
    let server_ip = if use_v6 {
        rng.pick(recipe.endpoint.v6).map(|&a| IpAddr::V6(a))
    } else {
        rng.pick(recipe.endpoint.v4).map(|&a| IpAddr::V4(a))
    }
    .unwrap_or(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
    let rtt = rng.range(6_000, 45_000);
    let rate = rng.range(2_000_000, 12_000_000);
    let up = size(recipe.up, minimal, &mut rng);
    let down = size(recipe.down, minimal, &mut rng);
    let port = match recipe.kind {
        Kind::Http { .. } => 80,
        _ => 443,
    };
    if let Kind::ProxiedTls { stack } = recipe.kind {
        return proxied(recipe, host, name, stack, rng, start, up, down, rtt, rate);
    }
    let e = ends(host, server_ip, port, &mut rng);
    let session_rng = rng.fork(1);
    let mut s = Session::new(
        recipe.product,
        session_rng,
        start,
        e.client,
        e.server,
        e.dns_client,
        e.resolver,
        rtt,
        rate,
    );
    let mut dns_queries = 0;
    match recipe.kind {
        Kind::Tls { stack, alpn } => {
            dns_queries = lookups(&mut s, host, name, recipe);
            s.push(Step::Connect);
            let hello = tls::client_hello_record(stack, name, alpn, s.rng());
            let shape = hello_shape(stack, hello.len(), s.rng());
            tls_exchange(&mut s, hello, shape, up, down, rtt);
            close(&mut s);
        }
        Kind::TlsHeartbeat { stack, alpn } => {
            dns_queries = lookups(&mut s, host, name, recipe);
            s.push(Step::Connect);
            let hello = tls::client_hello_record(stack, name, alpn, s.rng());
            let shape = hello_shape(stack, hello.len(), s.rng());
            tls_exchange(&mut s, hello, shape, up, down, rtt);
            let beats = if minimal { 2 } else { rng.range(4, 30) };
            for _ in 0..beats {
                let mut ping = Body::default();
                ping.push_tls(rng.skewed(recipe.up.0, recipe.up.1 / 4 + recipe.up.0));
                let mut pong = Body::default();
                pong.push_tls(rng.skewed(recipe.down.0, recipe.down.1));
                s.push(Step::Send {
                    from_client: true,
                    body: ping,
                    think_us: rng.range(5, 90) * SECOND,
                    shape: Shape::Whole,
                    started: false,
                });
                s.push(Step::Send {
                    from_client: false,
                    body: pong,
                    think_us: rtt + 2_000,
                    shape: Shape::Whole,
                    started: false,
                });
            }
            close(&mut s);
        }
        Kind::Http {
            path,
            user_agent,
            content_type,
        } => {
            dns_queries = lookups(&mut s, host, name, recipe);
            s.push(Step::Connect);
            s.push(Step::Send {
                from_client: true,
                body: Body::bytes(http::get(name, path, user_agent)),
                think_us: 300,
                shape: Shape::Whole,
                started: false,
            });
            let mut response = match http::known_body(path) {
                Some(b) => {
                    let mut r = Body::bytes(http::ok_headers(
                        content_type,
                        b.len() as u64,
                        rng.next_u32(),
                    ));
                    r.push_bytes(b.to_vec());
                    r
                }
                None => {
                    let mut r = Body::bytes(http::ok_headers(content_type, down, rng.next_u32()));
                    r.push_random(down);
                    r
                }
            };
            if response.is_empty() {
                response = Body::bytes(http::ok_headers(content_type, 0, 0));
            }
            s.push(Step::Send {
                from_client: false,
                body: response,
                think_us: rtt + rng.range(500, 20_000),
                shape: Shape::Whole,
                started: false,
            });
            close(&mut s);
        }
        Kind::ProxiedTls { .. } => {}
        Kind::Quic { v2 } => {
            dns_queries = lookups(&mut s, host, name, recipe);
            quic_session(&mut s, &mut rng, name, v2, up, down, rtt);
        }
    }
    vec![Planned {
        session: s,
        connections: 1,
        dns_queries,
    }]
}

/// A client tunnelling TLS through the proxy, and the proxy's own lookup and connection upstream
/// carrying the same TLS bytes.
#[allow(clippy::too_many_arguments)]
fn proxied(
    recipe: &Recipe,
    host: &Host,
    name: &str,
    stack: Stack,
    mut rng: Rng,
    start: u64,
    up: u64,
    down: u64,
    rtt: u64,
    rate: u64,
) -> Vec<Planned> {
    let client = Peer {
        mac: host.mac,
        ip: IpAddr::V4(host.v4),
        port: rng.range(49_152, 65_535) as u16,
        ttl: host.ttl,
    };
    let proxy_in = Peer {
        mac: PROXY_MAC,
        ip: IpAddr::V4(PROXY_V4),
        port: PROXY_PORT,
        ttl: 64,
    };
    let resolver = Peer {
        mac: network::RESOLVER_MAC,
        ip: host.resolver(false),
        port: 53,
        ttl: 64,
    };
    let mut inner = Session::new(
        recipe.product,
        rng.fork(2),
        start,
        client,
        proxy_in,
        client,
        resolver,
        600,
        50_000_000,
    );
    inner.push(Step::Connect);
    inner.push(Step::Send {
        from_client: true,
        body: Body::bytes(http::connect(name, 443)),
        think_us: 300,
        shape: Shape::Whole,
        started: false,
    });
    inner.push(Step::Send {
        from_client: false,
        body: Body::bytes(http::CONNECT_OK.to_vec()),
        think_us: rtt + 5_000,
        shape: Shape::Whole,
        started: false,
    });
    let hello = tls::client_hello_record(stack, name, &["http/1.1"], &mut rng);
    tls_exchange(
        &mut inner,
        hello.clone(),
        Shape::Whole,
        up,
        down,
        rtt + 1_000,
    );
    close(&mut inner);

    let server_ip = rng
        .pick(recipe.endpoint.v4)
        .map(|&a| IpAddr::V4(a))
        .unwrap_or(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
    let proxy_out = Peer {
        mac: PROXY_MAC,
        ip: IpAddr::V4(PROXY_V4),
        port: rng.range(32_768, 60_999) as u16,
        ttl: 64,
    };
    let server = Peer {
        mac: GATEWAY_MAC,
        ip: server_ip,
        port: 443,
        ttl: 64 - rng.range(6, 18) as u8,
    };
    let proxy_host = Host {
        mac: PROXY_MAC,
        v4: PROXY_V4,
        v6: None,
        ttl: 64,
        products: Vec::new(),
    };
    let mut outer = Session::new(
        recipe.product,
        rng.fork(3),
        start + 1_000,
        proxy_out,
        server,
        proxy_out,
        resolver,
        rtt,
        rate,
    );
    let dns_queries = lookups(&mut outer, &proxy_host, name, recipe);
    outer.push(Step::Connect);
    tls_exchange(&mut outer, hello, Shape::Whole, up, down, rtt);
    close(&mut outer);
    vec![
        Planned {
            session: inner,
            connections: 1,
            dns_queries: 0,
        },
        Planned {
            session: outer,
            connections: 1,
            dns_queries,
        },
    ]
}

fn quic_session(
    s: &mut Session,
    rng: &mut Rng,
    name: &str,
    v2: bool,
    up: u64,
    down: u64,
    rtt: u64,
) {
    let version = if v2 { QUIC_V2 } else { QUIC_V1 };
    let dcid: [u8; 8] = rng.bytes();
    let scid: [u8; 8] = rng.bytes();
    let stack = if rng.chance(7, 10) {
        Stack::Chrome
    } else {
        Stack::Agent
    };
    let split_small = rng.chance(1, 2);
    let initials = quic::client_initials(version, &dcid, &scid, stack, name, split_small, s.rng());
    for (i, p) in initials.into_iter().enumerate() {
        let think_us = if i == 0 {
            rng.range(200, 900)
        } else {
            rng.range(5, 60)
        };
        s.push(Step::Datagram {
            from_client: true,
            payload: p,
            think_us,
        });
    }
    let stream = |from_client: bool, left: u64, think_us: u64| Step::QuicStream {
        from_client,
        left,
        think_us,
        started: false,
        to_server: dcid.to_vec(),
        to_client: scid.to_vec(),
    };
    s.push(stream(false, rng.range(3_000, 6_500), rtt + 1_500));
    s.push(stream(true, up.max(300), 400));
    s.push(stream(false, down.max(300), rtt + rng.range(1_000, 40_000)));
    // CONNECTION_CLOSE after idle time, protected like every 1-RTT packet.
    s.push(Step::Datagram {
        from_client: true,
        payload: quic::short_packet(&dcid, 28, rng),
        think_us: rng.range(1, 20) * SECOND,
    });
}
