//! One session: the DNS lookups a client makes and the connection that follows, turned into frames
//! lazily (a few at a time) with realistic timing, sequence numbers, acknowledgements and the odd
//! reordered or retransmitted segment.

use crate::body::Body;
use crate::endpoints::Product;
use crate::pcap::RECORD_HEADER_LEN;
use crate::quic;
use crate::rng::Rng;
use crate::wire::{self, Peer, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, Transport};
use std::collections::VecDeque;

/// How a ClientHello reaches the wire: whole, split in two segments, split with the second segment
/// seen first at the tap, or split with the first segment retransmitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Whole,
    Split(usize),
    SplitReordered(usize),
    SplitRetransmitted(usize),
}

pub(crate) enum Step {
    /// A lookup from the client to the resolver and its answer after `latency_us`.
    Dns {
        query: Vec<u8>,
        response: Vec<u8>,
        latency_us: u64,
    },
    /// The three-way handshake.
    Connect,
    /// One side's turn, `think_us` after the previous packet; the body goes out in flights.
    Send {
        from_client: bool,
        body: Body,
        think_us: u64,
        shape: Shape,
        started: bool,
    },
    /// FIN teardown started by either side, or an abortive RST from the client.
    Close {
        rst: bool,
        client_first: bool,
        think_us: u64,
    },
    /// One UDP datagram on the session's path (QUIC).
    Datagram {
        from_client: bool,
        payload: Vec<u8>,
        think_us: u64,
    },
    /// `left` bytes of QUIC 1-RTT packets from one side, acknowledged by the other; the connection
    /// IDs are what each direction's short header carries.
    QuicStream {
        from_client: bool,
        left: u64,
        think_us: u64,
        started: bool,
        to_server: Vec<u8>,
        to_client: Vec<u8>,
    },
}

/// QUIC 1-RTT payload per datagram (within a 1350-byte datagram, as large servers send).
const QUIC_CHUNK: u64 = 1300;

/// A TCP sender's state.
struct Side {
    next_seq: u32,
    ip_id: u16,
    ts_base: u32,
    last_tsval: u32,
}

/// What a receiver has seen of one flight, to compute its cumulative acknowledgements.
struct Receiver {
    next: u32,
    out_of_order: Vec<(u32, u32)>,
}

impl Receiver {
    /// Records a segment; true when it advanced the in-order point.
    fn on_segment(&mut self, seq: u32, len: u32) -> bool {
        if seq == self.next {
            self.next = self.next.wrapping_add(len);
            while let Some(i) = self.out_of_order.iter().position(|&(s, _)| s == self.next) {
                let (_, end) = self.out_of_order.swap_remove(i);
                self.next = end;
            }
            true
        } else {
            // Ahead of the in-order point (a gap) or behind it (a duplicate).
            if (seq.wrapping_sub(self.next) as i32) > 0 {
                self.out_of_order.push((seq, seq.wrapping_add(len)));
            }
            false
        }
    }
}

/// Per-frame overhead bound: pcap record, Ethernet, IPv6, TCP with timestamps.
const FRAME_OVERHEAD: u64 = RECORD_HEADER_LEN + 14 + 40 + 32;
const CLIENT_FLIGHT: usize = 10;
const SERVER_FLIGHT: usize = 16;

pub(crate) struct Session {
    pub product: Product,
    rng: Rng,
    now: u64,
    pending: VecDeque<(u64, Vec<u8>)>,
    steps: VecDeque<Step>,
    client: Peer,
    server: Peer,
    dns_client: Peer,
    resolver: Peer,
    c: Side,
    s: Side,
    rtt_us: u64,
    bytes_per_sec: u64,
    flight: Vec<u8>,
}

impl Session {
    /// A session starting at `start_us`, between `client` and `server`, with lookups from
    /// `dns_client` (its port is replaced per lookup) to `resolver`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        product: Product,
        mut rng: Rng,
        start_us: u64,
        client: Peer,
        server: Peer,
        dns_client: Peer,
        resolver: Peer,
        rtt_us: u64,
        bytes_per_sec: u64,
    ) -> Self {
        let side = |rng: &mut Rng| Side {
            next_seq: rng.next_u32(),
            ip_id: rng.next_u16(),
            ts_base: rng.next_u32(),
            last_tsval: 0,
        };
        let c = side(&mut rng);
        let s = side(&mut rng);
        Session {
            product,
            rng,
            now: start_us,
            pending: VecDeque::new(),
            steps: VecDeque::new(),
            client,
            server,
            dns_client,
            resolver,
            c,
            s,
            rtt_us: rtt_us.max(200),
            bytes_per_sec: bytes_per_sec.max(10_000),
            flight: Vec::with_capacity(SERVER_FLIGHT * 1500),
        }
    }

    pub(crate) fn push(&mut self, step: Step) {
        self.steps.push_back(step);
    }

    pub(crate) fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// An upper bound of the bytes this session adds to the capture (records included).
    pub(crate) fn estimate(&self) -> u64 {
        let mss = wire::tcp_mss(self.client.ip) as u64;
        let udp = RECORD_HEADER_LEN + 14 + 40 + 8;
        self.steps
            .iter()
            .map(|step| match step {
                Step::Dns {
                    query, response, ..
                } => 2 * udp + (query.len() + response.len()) as u64,
                Step::Connect => 3 * FRAME_OVERHEAD + 8,
                Step::Send { body, .. } => {
                    let len = body.len();
                    let segs = len / mss + 2;
                    let flights = segs / CLIENT_FLIGHT as u64 + 1;
                    // Data, at most one ACK per segment, and per flight one duplicate segment
                    // and its ACK.
                    len + segs * FRAME_OVERHEAD * 2 + flights * (mss + 2 * FRAME_OVERHEAD)
                }
                Step::Close { .. } => 3 * FRAME_OVERHEAD,
                Step::Datagram { payload, .. } => udp + payload.len() as u64,
                Step::QuicStream {
                    left,
                    to_server,
                    to_client,
                    ..
                } => {
                    let n = left / QUIC_CHUNK + 1;
                    let cid = (to_server.len() + to_client.len()) as u64 + 1;
                    left + n * (udp + cid + 20) + (n / 2 + 2) * (udp + cid + 40)
                }
            })
            .sum()
    }

    /// The next frame in time order, or `None` when the session is over.
    pub(crate) fn next_frame(&mut self) -> Option<(u64, Vec<u8>)> {
        loop {
            if let Some(frame) = self.pending.pop_front() {
                return Some(frame);
            }
            let mut step = self.steps.pop_front()?;
            if !self.run(&mut step) {
                self.steps.push_front(step);
            }
        }
    }

    /// Runs a step (or the next flight of it); true when it is finished.
    fn run(&mut self, step: &mut Step) -> bool {
        match step {
            Step::Dns {
                query,
                response,
                latency_us,
            } => {
                let mut from = self.dns_client;
                from.port = self.rng.range(49_152, 65_535) as u16;
                let to = self.resolver;
                let t = self.now + self.rng.range(50, 400);
                self.emit_udp(t, &from, &to, query);
                let t = self.now + *latency_us;
                self.emit_udp(t, &to, &from, response);
                true
            }
            Step::Connect => {
                let (cs, ss) = (self.c.next_seq, self.s.next_seq);
                let t = self.now + self.rng.range(100, 600);
                self.emit_tcp(t, true, TCP_SYN, cs, 0, &[]);
                let t = self.now + self.rtt_us;
                self.emit_tcp(t, false, TCP_SYN | TCP_ACK, ss, cs.wrapping_add(1), &[]);
                self.c.next_seq = cs.wrapping_add(1);
                self.s.next_seq = ss.wrapping_add(1);
                let t = self.now + self.rng.range(30, 120);
                self.emit_tcp(t, true, TCP_ACK, self.c.next_seq, self.s.next_seq, &[]);
                true
            }
            Step::Send {
                from_client,
                body,
                think_us,
                shape,
                started,
            } => {
                if !*started {
                    *started = true;
                    self.now += *think_us;
                } else {
                    // Later flights wait for the acknowledgements of the earlier ones.
                    self.now += if *from_client {
                        self.rtt_us
                    } else {
                        self.rng.range(0, 200)
                    };
                }
                let shape = std::mem::replace(shape, Shape::Whole);
                self.send_flight(*from_client, body, shape);
                body.is_empty()
            }
            Step::Close {
                rst,
                client_first,
                think_us,
            } => {
                let t = self.now + *think_us;
                let (cs, ss) = (self.c.next_seq, self.s.next_seq);
                if *rst {
                    self.emit_tcp(t, true, TCP_RST | TCP_ACK, cs, ss, &[]);
                    return true;
                }
                let first = *client_first;
                self.emit_tcp(
                    t,
                    first,
                    TCP_FIN | TCP_ACK,
                    if first { cs } else { ss },
                    if first { ss } else { cs },
                    &[],
                );
                let t = self.now
                    + if first {
                        self.rtt_us
                    } else {
                        self.rng.range(40, 300)
                    };
                let (a, b) = if first {
                    (ss, cs.wrapping_add(1))
                } else {
                    (cs, ss.wrapping_add(1))
                };
                self.emit_tcp(t, !first, TCP_FIN | TCP_ACK, a, b, &[]);
                let t = self.now
                    + if first {
                        self.rng.range(30, 120)
                    } else {
                        self.rtt_us
                    };
                let (a, b) = if first {
                    (cs.wrapping_add(1), ss.wrapping_add(1))
                } else {
                    (ss.wrapping_add(1), cs.wrapping_add(1))
                };
                self.emit_tcp(t, first, TCP_ACK, a, b, &[]);
                self.c.next_seq = cs.wrapping_add(1);
                self.s.next_seq = ss.wrapping_add(1);
                true
            }
            Step::Datagram {
                from_client,
                payload,
                think_us,
            } => {
                let t = self.now + *think_us;
                let (from, to) = if *from_client {
                    (self.client, self.server)
                } else {
                    (self.server, self.client)
                };
                self.emit_udp(t, &from, &to, payload);
                true
            }
            Step::QuicStream {
                from_client,
                left,
                think_us,
                started,
                to_server,
                to_client,
            } => {
                if !*started {
                    *started = true;
                    self.now += *think_us;
                } else {
                    self.now += if *from_client {
                        self.rtt_us
                    } else {
                        self.rng.range(0, 300)
                    };
                }
                let (from, to) = if *from_client {
                    (self.client, self.server)
                } else {
                    (self.server, self.client)
                };
                let (data_cid, ack_cid) = if *from_client {
                    (&*to_server, &*to_client)
                } else {
                    (&*to_client, &*to_server)
                };
                let (data_cid, ack_cid) = (data_cid.clone(), ack_cid.clone());
                let mut t = self.now;
                let mut acks = Vec::new();
                for i in 0..SERVER_FLIGHT {
                    if *left == 0 {
                        break;
                    }
                    let n = (*left).min(QUIC_CHUNK);
                    *left -= n;
                    t += if *from_client {
                        self.rng.range(5, 40)
                    } else {
                        (n * 1_000_000 / self.bytes_per_sec).max(1)
                    };
                    let p = quic::short_packet(&data_cid, n as usize, &mut self.rng);
                    self.emit_udp(t, &from, &to, &p);
                    if i % 2 == 1 || *left == 0 {
                        let len = self.rng.range(20, 40) as usize;
                        let ack = quic::short_packet(&ack_cid, len, &mut self.rng);
                        if *from_client {
                            acks.push(ack);
                        } else {
                            t += self.rng.range(10, 80);
                            self.emit_udp(t, &to, &from, &ack);
                        }
                    }
                }
                let mut t_ack = self.now + self.rtt_us;
                for ack in acks {
                    self.emit_udp(t_ack, &to, &from, &ack);
                    t_ack += self.rng.range(5, 30);
                }
                *left == 0
            }
        }
    }

    fn send_flight(&mut self, from_client: bool, body: &mut Body, shape: Shape) {
        let mss = wire::tcp_mss(self.client.ip);
        let max = if from_client {
            CLIENT_FLIGHT
        } else {
            SERVER_FLIGHT
        };
        let mut flight = std::mem::take(&mut self.flight);
        flight.clear();
        let start_seq = if from_client {
            self.c.next_seq
        } else {
            self.s.next_seq
        };
        let mut segs: Vec<(u32, usize, usize)> = Vec::with_capacity(max);
        let first_len = match shape {
            Shape::Whole => mss,
            Shape::Split(n) | Shape::SplitReordered(n) | Shape::SplitRetransmitted(n) => {
                n.clamp(1, mss)
            }
        };
        for i in 0..max {
            let at = flight.len();
            let n = body.take(
                if i == 0 { first_len } else { mss },
                &mut self.rng,
                &mut flight,
            );
            if n == 0 {
                break;
            }
            segs.push((start_seq.wrapping_add(at as u32), at, n));
        }
        let end_seq = start_seq.wrapping_add(flight.len() as u32);
        if from_client {
            self.c.next_seq = end_seq;
        } else {
            self.s.next_seq = end_seq;
        }
        // The order in which the tap sees the segments; an index twice is a retransmission.
        let mut order: Vec<usize> = (0..segs.len()).collect();
        match shape {
            Shape::SplitReordered(_) if segs.len() >= 2 => order.swap(0, 1),
            Shape::SplitRetransmitted(_) if !segs.is_empty() => order.push(0),
            _ => {}
        }
        if !from_client && segs.len() >= 3 {
            if self.rng.chance(1, 250) {
                let i = self.rng.below(segs.len() as u64 - 1) as usize;
                order.swap(i, i + 1);
            }
            if self.rng.chance(1, 300) {
                order.push(self.rng.below(segs.len() as u64) as usize);
            }
        }
        let last_index = segs.len().saturating_sub(1);
        let body_done = body.is_empty();
        let mut rx = Receiver {
            next: start_seq,
            out_of_order: Vec::new(),
        };
        let mut unacked = 0u32;
        let mut peer_acks: Vec<u32> = Vec::new();
        let mut t = self.now;
        for (k, &idx) in order.iter().enumerate() {
            let Some(&(seq, at, len)) = segs.get(idx) else {
                continue;
            };
            let retransmission = k >= segs.len();
            t += if retransmission {
                if from_client {
                    (self.rtt_us * 3).max(200_000)
                } else {
                    self.rtt_us / 2
                }
            } else if from_client {
                self.rng.range(5, 40)
            } else {
                (len as u64 * 1_000_000 / self.bytes_per_sec).max(1)
            };
            let mut flags = TCP_ACK;
            if idx == last_index && body_done {
                flags |= TCP_PSH;
            }
            let ack = if from_client {
                self.s.next_seq
            } else {
                self.c.next_seq
            };
            let payload = flight.get(at..at + len).unwrap_or_default();
            self.emit_tcp(t, from_client, flags, seq, ack, payload);
            let in_order = rx.on_segment(seq, len as u32);
            if in_order {
                unacked += 1;
            }
            let ack_now = !in_order || unacked >= 2;
            if ack_now {
                unacked = 0;
                if from_client {
                    peer_acks.push(rx.next);
                } else {
                    let t_ack = t + self.rng.range(10, 60);
                    self.emit_tcp(t_ack, true, TCP_ACK, self.c.next_seq, rx.next, &[]);
                    t = t.max(t_ack);
                }
            }
        }
        if unacked > 0 {
            if from_client {
                peer_acks.push(rx.next);
            } else {
                let t_ack = t + self.rng.range(40, 200);
                self.emit_tcp(t_ack, true, TCP_ACK, self.c.next_seq, rx.next, &[]);
            }
        }
        if from_client {
            let mut t_ack = self.now + self.rtt_us;
            for ack in peer_acks {
                self.emit_tcp(t_ack, false, TCP_ACK, self.s.next_seq, ack, &[]);
                t_ack += self.rng.range(5, 30);
            }
        }
        self.flight = flight;
    }

    /// Queues a frame; times never go backwards within a session.
    fn queue(&mut self, ts: u64, frame: Vec<u8>) {
        let ts = ts.max(self.now);
        self.now = ts;
        self.pending.push_back((ts, frame));
    }

    fn emit_udp(&mut self, ts: u64, from: &Peer, to: &Peer, payload: &[u8]) {
        let id = self.rng.next_u16();
        let mut frame = Vec::with_capacity(payload.len() + 62);
        wire::build_frame(&mut frame, from, to, id, Transport::Udp, payload);
        self.queue(ts, frame);
    }

    fn emit_tcp(
        &mut self,
        ts: u64,
        from_client: bool,
        flags: u8,
        seq: u32,
        ack: u32,
        payload: &[u8],
    ) {
        let ts = ts.max(self.now);
        let (me, peer) = if from_client {
            (&mut self.c, &self.s)
        } else {
            (&mut self.s, &self.c)
        };
        let tsval = me.ts_base.wrapping_add((ts / 1000) as u32);
        let tsecr = if flags == TCP_SYN { 0 } else { peer.last_tsval };
        me.last_tsval = tsval;
        let id = me.ip_id;
        me.ip_id = me.ip_id.wrapping_add(1);
        let mut opts = [0u8; 20];
        let opts: &[u8] = if flags & TCP_SYN != 0 {
            let mss = (wire::tcp_mss(self.client.ip) + 12) as u16;
            opts[0..4].copy_from_slice(&[2, 4, (mss >> 8) as u8, mss as u8]);
            opts[4..6].copy_from_slice(&[4, 2]);
            opts[6..8].copy_from_slice(&[8, 10]);
            opts[8..12].copy_from_slice(&tsval.to_be_bytes());
            opts[12..16].copy_from_slice(&tsecr.to_be_bytes());
            opts[16..20].copy_from_slice(&[1, 3, 3, 8]);
            &opts
        } else {
            opts[0..4].copy_from_slice(&[1, 1, 8, 10]);
            opts[4..8].copy_from_slice(&tsval.to_be_bytes());
            opts[8..12].copy_from_slice(&tsecr.to_be_bytes());
            &opts[..12]
        };
        let (from, to) = if from_client {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        let window = if flags & TCP_SYN != 0 {
            64_240
        } else if from_client {
            1026
        } else {
            501
        };
        let mut frame = Vec::with_capacity(payload.len() + 86);
        wire::build_frame(
            &mut frame,
            &from,
            &to,
            id,
            Transport::Tcp {
                seq,
                ack,
                flags,
                window,
                options: opts,
            },
            payload,
        );
        self.queue(ts, frame);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_handles_gaps_and_duplicates() {
        let mut rx = Receiver {
            next: 100,
            out_of_order: Vec::new(),
        };
        assert!(!rx.on_segment(110, 10)); // gap
        assert_eq!(rx.next, 100);
        assert!(rx.on_segment(100, 10)); // fills it, absorbs the buffered segment
        assert_eq!(rx.next, 120);
        assert!(!rx.on_segment(100, 10)); // duplicate
        assert_eq!(rx.next, 120);
    }
}
