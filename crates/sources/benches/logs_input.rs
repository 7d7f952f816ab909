//! Generated inputs for the log benchmarks: Zeek TSV and JSON logs and Suricata EVE JSON built
//! from templates with a fixed seed, about `TARGET_BYTES` each.

use ringfence_model::{Connection, Installation, Resolution};
use ringfence_sources::capture::ObservationSink;
use std::fmt::Write;
use std::hint::black_box;

pub const TARGET_BYTES: usize = 32 << 20;

#[derive(Default)]
pub struct Count {
    pub connections: u64,
    pub resolutions: u64,
}

impl ObservationSink for Count {
    fn connection(&mut self, connection: Connection) {
        black_box(&connection);
        self.connections += 1;
    }
    fn resolution(&mut self, resolution: Resolution) {
        black_box(&resolution);
        self.resolutions += 1;
    }
    fn installation(&mut self, installation: Installation) {
        black_box(&installation);
    }
}

/// xorshift64: the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const NAMES: [&str; 6] = [
    "dnl-05.geo.kaspersky.com",
    "wdcp.microsoft.com",
    "ts01-gyr-maverick.cloudsink.net",
    "central.sophos.com",
    "www.google.com",
    "um01.eset.com",
];

/// One connection's worth of fields, shared by the three formats.
struct Flow {
    ts_us: u64,
    uid: String,
    client: String,
    client_port: u64,
    server: String,
    server_port: u64,
    name: &'static str,
    orig_pkts: u64,
    resp_pkts: u64,
    orig_bytes: u64,
    resp_bytes: u64,
    duration_us: u64,
}

/// Distinct servers the office talks to (destinations repeat, as on a real network).
const SERVERS: u64 = 4096;

fn flows() -> impl Iterator<Item = Flow> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let servers: Vec<String> = (0..SERVERS)
        .map(|_| {
            format!(
                "{}.{}.{}.{}",
                20 + rng.below(180),
                rng.below(256),
                rng.below(256),
                1 + rng.below(254)
            )
        })
        .collect();
    let mut ts_us: u64 = 1_780_304_400_000_000;
    (0u64..).map(move |i| {
        ts_us += rng.below(50_000);
        let orig_pkts = 3 + rng.below(200);
        let resp_pkts = 2 + rng.below(400);
        let server = rng.below(SERVERS);
        Flow {
            ts_us,
            uid: format!("C{:017x}", rng.next() >> 4),
            client: format!("10.20.{}.{}", rng.below(4), 21 + rng.below(40)),
            client_port: 49152 + rng.below(16000),
            server: servers[server as usize].clone(),
            server_port: if i % 5 == 0 { 80 } else { 443 },
            name: NAMES[(server % NAMES.len() as u64) as usize],
            orig_pkts,
            resp_pkts,
            orig_bytes: orig_pkts * (40 + rng.below(400)),
            resp_bytes: resp_pkts * (40 + rng.below(1400)),
            duration_us: rng.below(120_000_000),
        }
    })
}

fn secs(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

fn iso(us: u64) -> String {
    let secs = us / 1_000_000 - 1_780_272_000; // seconds since 2026-06-01T00:00:00Z
    format!(
        "2026-06-01T{:02}:{:02}:{:02}.{:06}+0000",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60,
        us % 1_000_000
    )
}

const TSV_HEADER: &str =
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n";

/// conn.log, dns.log and ssl.log in Zeek's TSV format.
pub fn zeek_tsv() -> Vec<Vec<u8>> {
    let mut conn = format!(
        "{TSV_HEADER}#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n"
    );
    let mut dns = format!(
        "{TSV_HEADER}#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\n"
    );
    let mut ssl = format!(
        "{TSV_HEADER}#path\tssl\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tcurve\tserver_name\tresumed\tlast_alert\tnext_protocol\testablished\tssl_history\tcert_chain_fps\tclient_cert_chain_fps\tsni_matches_cert\n"
    );
    for (i, f) in flows().enumerate() {
        if conn.len() + dns.len() + ssl.len() >= TARGET_BYTES {
            break;
        }
        if i % 2 == 0 {
            let _ = writeln!(
                dns,
                "{}\tD{}\t{}\t{}\t10.20.1.53\t53\tudp\t{}\t0.000412\t{}\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t{}\t300.000000\tF",
                secs(f.ts_us.saturating_sub(20_000)),
                &f.uid[1..],
                f.client,
                f.client_port + 1,
                i % 65536,
                f.name,
                f.server
            );
        }
        if f.server_port == 443 && i % 3 != 0 {
            let _ = writeln!(
                ssl,
                "{}\t{}\t{}\t{}\t{}\t443\tTLSv13\tTLS_AES_128_GCM_SHA256\tx25519\t{}\tF\t-\th2\tT\tCsiI\t(empty)\t(empty)\t-",
                secs(f.ts_us + 900),
                f.uid,
                f.client,
                f.client_port,
                f.server,
                f.name
            );
        }
        let _ = writeln!(
            conn,
            "{}\t{}\t{}\t{}\t{}\t{}\ttcp\tssl\t{}\t{}\t{}\tSF\tT\tF\t0\tShADadFf\t{}\t{}\t{}\t{}\t-",
            secs(f.ts_us),
            f.uid,
            f.client,
            f.client_port,
            f.server,
            f.server_port,
            secs(f.duration_us),
            f.orig_bytes - 40 * f.orig_pkts,
            f.resp_bytes - 40 * f.resp_pkts,
            f.orig_pkts,
            f.orig_bytes,
            f.resp_pkts,
            f.resp_bytes
        );
    }
    vec![conn.into_bytes(), dns.into_bytes(), ssl.into_bytes()]
}

/// The same logs as Zeek writes them with `LogAscii::use_json`.
pub fn zeek_json() -> Vec<Vec<u8>> {
    let (mut conn, mut dns, mut ssl) = (String::new(), String::new(), String::new());
    for (i, f) in flows().enumerate() {
        if conn.len() + dns.len() + ssl.len() >= TARGET_BYTES {
            break;
        }
        if i % 2 == 0 {
            let _ = writeln!(
                dns,
                r#"{{"ts":{},"uid":"D{}","id.orig_h":"{}","id.orig_p":{},"id.resp_h":"10.20.1.53","id.resp_p":53,"proto":"udp","trans_id":{},"rtt":0.000412,"query":"{}","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["{}"],"TTLs":[300.0],"rejected":false}}"#,
                secs(f.ts_us.saturating_sub(20_000)),
                &f.uid[1..],
                f.client,
                f.client_port + 1,
                i % 65536,
                f.name,
                f.server
            );
        }
        if f.server_port == 443 && i % 3 != 0 {
            let _ = writeln!(
                ssl,
                r#"{{"ts":{},"uid":"{}","id.orig_h":"{}","id.orig_p":{},"id.resp_h":"{}","id.resp_p":443,"version":"TLSv13","cipher":"TLS_AES_128_GCM_SHA256","curve":"x25519","server_name":"{}","resumed":false,"next_protocol":"h2","established":true,"ssl_history":"CsiI","cert_chain_fps":[],"client_cert_chain_fps":[]}}"#,
                secs(f.ts_us + 900),
                f.uid,
                f.client,
                f.client_port,
                f.server,
                f.name
            );
        }
        let _ = writeln!(
            conn,
            r#"{{"ts":{},"uid":"{}","id.orig_h":"{}","id.orig_p":{},"id.resp_h":"{}","id.resp_p":{},"proto":"tcp","service":"ssl","duration":{},"orig_bytes":{},"resp_bytes":{},"conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShADadFf","orig_pkts":{},"orig_ip_bytes":{},"resp_pkts":{},"resp_ip_bytes":{}}}"#,
            secs(f.ts_us),
            f.uid,
            f.client,
            f.client_port,
            f.server,
            f.server_port,
            secs(f.duration_us),
            f.orig_bytes - 40 * f.orig_pkts,
            f.resp_bytes - 40 * f.resp_pkts,
            f.orig_pkts,
            f.orig_bytes,
            f.resp_pkts,
            f.resp_bytes
        );
    }
    vec![conn.into_bytes(), dns.into_bytes(), ssl.into_bytes()]
}

/// EVE as Suricata 7 writes it: dns query and answer, tls or http, then the flow event.
pub fn eve_json() -> Vec<u8> {
    let mut out = String::new();
    for (i, f) in flows().enumerate() {
        if out.len() >= TARGET_BYTES {
            break;
        }
        let flow_id = i as u64 * 7919 + 1;
        let head = |ts_us: u64, kind: &str, port: u64, server: &str, proto: &str| {
            format!(
                r#"{{"timestamp":"{}","flow_id":{},"in_iface":"eth0","event_type":"{kind}","src_ip":"{}","src_port":{},"dest_ip":"{server}","dest_port":{port},"proto":"{proto}","pkt_src":"wire/pcap","community_id":"1:W0spZ3h93lBGrt5U0Y1D/+esYms=""#,
                iso(ts_us),
                flow_id,
                f.client,
                f.client_port
            )
        };
        if i % 2 == 0 {
            let query = head(f.ts_us - 20_000, "dns", 53, "10.20.1.53", "UDP");
            let _ = writeln!(
                out,
                r#"{query},"dns":{{"version":2,"type":"query","id":{},"rrname":"{}","rrtype":"A","tx_id":0,"opcode":0}}}}"#,
                i % 65536,
                f.name
            );
            let answer = head(f.ts_us - 19_000, "dns", 53, "10.20.1.53", "UDP");
            let _ = writeln!(
                out,
                r#"{answer},"dns":{{"version":2,"type":"answer","id":{},"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rrname":"{}","rrtype":"A","rcode":"NOERROR","answers":[{{"rrname":"{}","rrtype":"A","ttl":300,"rdata":"{}"}}],"grouped":{{"A":["{}"]}}}}}}"#,
                i % 65536,
                f.name,
                f.name,
                f.server,
                f.server
            );
        }
        let app = head(f.ts_us + 900, "tls", f.server_port, &f.server, "TCP");
        if f.server_port == 443 {
            let _ = writeln!(
                out,
                r#"{app},"tls":{{"sni":"{}","version":"TLS 1.3"}}}}"#,
                f.name
            );
        } else {
            let app = app.replace("\"tls\"", "\"http\"");
            let _ = writeln!(
                out,
                r#"{app},"tx_id":0,"http":{{"hostname":"{}","url":"/bases/av/kdb/i386/kdb-i386-0607g.xml.klz","http_user_agent":"KasperskyLab-Updater/12.0","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":{}}}}}"#,
                f.name, f.resp_bytes
            );
        }
        let flow = head(
            f.ts_us + f.duration_us,
            "flow",
            f.server_port,
            &f.server,
            "TCP",
        );
        let _ = writeln!(
            out,
            r#"{flow},"app_proto":"tls","flow":{{"pkts_toserver":{},"pkts_toclient":{},"bytes_toserver":{},"bytes_toclient":{},"start":"{}","end":"{}","age":{},"state":"closed","reason":"timeout","alerted":false}},"tcp":{{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed","ts_max_regions":1,"tc_max_regions":1}}}}"#,
            f.orig_pkts,
            f.resp_pkts,
            f.orig_bytes,
            f.resp_bytes,
            iso(f.ts_us),
            iso(f.ts_us + f.duration_us),
            f.duration_us / 1_000_000
        );
    }
    out.into_bytes()
}
