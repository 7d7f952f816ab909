//! `Decoder::decode` alone (link layer → IP → transport header) on a mix of frames as an office
//! capture has them: a TCP data segment, a TLS ClientHello, a DNS answer, a VLAN-tagged UDP
//! datagram and an IPv6 TCP segment. Reported per frame and per captured byte.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use etherparse::{PacketBuilder, VlanId};
use ringfence_model::Timestamp;
use ringfence_sources::capture::{Decoded, Decoder, Frame, LinkType};
use std::hint::black_box;

const CLIENT: [u8; 4] = [10, 20, 30, 40];
const SERVER: [u8; 4] = [93, 184, 216, 34];
const RESOLVER: [u8; 4] = [10, 20, 0, 53];
const CLIENT_V6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];
const SERVER_V6: [u8; 16] = [
    0x26, 0x06, 0x28, 0, 0x02, 0x20, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x34,
];

fn mac(last: u8) -> [u8; 6] {
    [0x02, 0, 0, 0, 0, last]
}

/// A TLS 1.3-style ClientHello record for `host` (random, 16 suites, SNI, ALPN, key share).
fn client_hello(host: &str) -> Vec<u8> {
    let mut extensions = Vec::new();
    let name = host.as_bytes();
    let name_len = u16::try_from(name.len()).expect("short host");
    extensions.extend_from_slice(&[0x00, 0x00]);
    extensions.extend_from_slice(&(name_len + 5).to_be_bytes());
    extensions.extend_from_slice(&(name_len + 3).to_be_bytes());
    extensions.push(0);
    extensions.extend_from_slice(&name_len.to_be_bytes());
    extensions.extend_from_slice(name);
    extensions.extend_from_slice(&[0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 2, b'h', b'2']);
    extensions.extend_from_slice(&[8, b'h', b't', b't', b'p', b'/', b'1', b'.', b'1']);
    extensions.extend_from_slice(&[0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]);
    extensions.extend_from_slice(&[0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20]);
    extensions.extend_from_slice(&[0x5a; 32]);
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0xa5; 32]);
    body.push(32);
    body.extend_from_slice(&[0x3c; 32]);
    body.extend_from_slice(&32u16.to_be_bytes());
    for suite in 0x1301u16..0x1311 {
        body.extend_from_slice(&suite.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(
        &u16::try_from(extensions.len())
            .expect("short")
            .to_be_bytes(),
    );
    body.extend_from_slice(&extensions);
    let mut handshake = vec![1];
    handshake.extend_from_slice(&u32::try_from(body.len()).expect("short").to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&u16::try_from(handshake.len()).expect("short").to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

/// A DNS response with one question and two A records.
fn dns_answer() -> Vec<u8> {
    let mut message = vec![0x1a, 0x2b, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
    for label in ["telemetry", "vendor", "example"] {
        message.push(u8::try_from(label.len()).expect("short label"));
        message.extend_from_slice(label.as_bytes());
    }
    message.extend_from_slice(&[0, 0, 1, 0, 1]);
    for address in [[93, 184, 216, 34], [93, 184, 216, 35]] {
        message.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
        message.extend_from_slice(&address);
    }
    message
}

fn frames() -> Vec<Vec<u8>> {
    let mut frames = Vec::new();

    let mut tcp_data = Vec::new();
    PacketBuilder::ethernet2(mac(1), mac(2))
        .ipv4(SERVER, CLIENT, 57)
        .tcp(443, 51514, 0x1000_0000, 501)
        .ack(0x2000_0000)
        .write(&mut tcp_data, &[0x17; 1380])
        .expect("TCP data segment");
    frames.push(tcp_data);

    let mut hello = Vec::new();
    PacketBuilder::ethernet2(mac(2), mac(1))
        .ipv4(CLIENT, SERVER, 64)
        .tcp(51514, 443, 0x2000_0000, 502)
        .psh()
        .ack(0x1000_0001)
        .write(&mut hello, &client_hello("telemetry.vendor.example"))
        .expect("TLS ClientHello");
    frames.push(hello);

    let mut dns = Vec::new();
    PacketBuilder::ethernet2(mac(3), mac(2))
        .ipv4(RESOLVER, CLIENT, 64)
        .udp(53, 50123)
        .write(&mut dns, &dns_answer())
        .expect("DNS answer");
    frames.push(dns);

    let mut vlan = Vec::new();
    PacketBuilder::ethernet2(mac(2), mac(4))
        .single_vlan(VlanId::try_new(120).expect("VLAN id"))
        .ipv4(CLIENT, SERVER, 64)
        .udp(50124, 443)
        .write(&mut vlan, &[0xc3; 1200])
        .expect("VLAN-tagged UDP");
    frames.push(vlan);

    let mut ipv6 = Vec::new();
    PacketBuilder::ethernet2(mac(2), mac(5))
        .ipv6(CLIENT_V6, SERVER_V6, 64)
        .tcp(51600, 443, 7, 502)
        .ack(9)
        .write(&mut ipv6, &[0x17; 600])
        .expect("IPv6 TCP segment");
    frames.push(ipv6);
    frames
}

fn frame(index: usize, data: &[u8]) -> Frame<'_> {
    Frame {
        link_type: LinkType::ETHERNET,
        time: Timestamp::from_secs_nanos(1_700_000_000, 0),
        data,
        wire_len: u32::try_from(data.len()).expect("small frame"),
        record: index as u64 + 1,
        offset: 0,
    }
}

fn decode(c: &mut Criterion) {
    let frames = frames();
    // Every frame of the mix must decode to a packet, or the figures would measure an early exit.
    let mut decoder = Decoder::new();
    for (index, data) in frames.iter().enumerate() {
        let decoded = decoder.decode(&frame(index, data));
        assert!(
            matches!(decoded, Decoded::Packet(_)),
            "frame {index}: {decoded:?}"
        );
    }
    let bytes: usize = frames.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("decode");
    for (name, throughput) in [
        ("frames", Throughput::Elements(frames.len() as u64)),
        ("bytes", Throughput::Bytes(bytes as u64)),
    ] {
        group.throughput(throughput);
        group.bench_function(format!("office_mix/{name}"), |b| {
            let mut decoder = Decoder::new();
            b.iter(|| {
                for (index, data) in frames.iter().enumerate() {
                    if let Decoded::Packet(p) = decoder.decode(black_box(&frame(index, data))) {
                        black_box(p.payload);
                    }
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
