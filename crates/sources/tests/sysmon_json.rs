//! Sysmon as JSON lines: the OTRF Security-Datasets exports (NXLog-style, mixed channels) with
//! Microsoft Defender's DNS queries and connections, and small fixtures for Winlogbeat's shape
//! and for the cases of the DNS join the data does not show.

mod common;

use common::sysmon::*;
use ringfence_model::{Connection, NameSource, Transport};
use ringfence_sources::evidence::{EvidenceFormat, RecordFormat, open_evidence};
use serde_json::json;

fn connection_to<'a>(connections: &'a [Connection], address: &str, port: u16) -> &'a Connection {
    connections
        .iter()
        .find(|c| c.key.resp_addr.to_string() == address && c.key.resp_port == port)
        .unwrap_or_else(|| panic!("no connection to {address}:{port}"))
}

#[test]
fn otrf_cmstp_powershell_connections_get_the_names_powershell_asked_for() {
    let (outcome, collected) = read_otrf(OTRF_CMSTP);
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    assert_eq!(outcome.records, 1166);
    assert_eq!(
        outcome.counts.other_channels, 391,
        "Security and System events"
    );
    assert_eq!(outcome.counts.other_events, 563);
    assert_eq!(outcome.connections, 2);
    assert_eq!(outcome.counts.installations, 5);
    assert_eq!(outcome.counts.resolutions, 6);
    assert_eq!(outcome.counts.unanswered_queries, 199);
    assert_eq!(outcome.counts.join.joined, 2);

    // github.com was answered 5 ms before the connection.
    let github = connection_to(&collected.connections, "140.82.113.3", 443);
    let process = github.process.as_ref().unwrap();
    assert_eq!(
        process.image,
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
    );
    assert_eq!(process.pid, Some(6708));
    assert_eq!(process.user.as_deref(), Some(r"WORKSTATION5\wardog"));
    assert_eq!(process.host.as_deref(), Some("WORKSTATION5"));
    assert_eq!(github.key.orig_addr.to_string(), "192.168.2.5");
    assert_eq!(github.key.orig_port, 52093);
    assert_eq!(github.key.transport, Transport::Tcp);
    assert_eq!(
        github.first_seen.to_string(),
        "2020-10-22T05:54:21.354000000Z"
    );
    assert_eq!(github.evidence.record, 493);
    assert_eq!(github.names.len(), 1);
    assert_eq!(github.names[0].name, "github.com");
    assert_eq!(github.names[0].source, NameSource::Dns);

    // raw.githubusercontent.com's answer was logged 5 ms *after* the connection to its address.
    let raw = connection_to(&collected.connections, "151.101.248.133", 443);
    assert_eq!(raw.first_seen.to_string(), "2020-10-22T05:54:21.520000000Z");
    assert_eq!(raw.names.len(), 1);
    assert_eq!(raw.names[0].name, "raw.githubusercontent.com");
    assert_eq!(raw.names[0].cname_chain, ["github.map.fastly.net"]);

    // Defender's own lookups, with their CNAME chains.
    let defender = collected
        .resolutions
        .iter()
        .find(|r| r.query == "fp-vp.azureedge.net")
        .expect("Defender's fp-vp.azureedge.net answer");
    assert_eq!(
        defender.cname_chain,
        ["fp-vp.ec.azureedge.net", "cs9.wpc.v0cdn.net"]
    );
    assert_eq!(
        defender.addresses,
        ["72.21.81.200".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(defender.ttl, 0);
    assert_eq!(defender.time.to_string(), "2020-10-22T05:54:24.247000000Z");
    assert_eq!(defender.evidence.record, 832);
    let cmstp = &collected.installations[0];
    assert_eq!(cmstp.name, r"C:\Windows\System32\cmstp.exe");
    assert_eq!(cmstp.publisher.as_deref(), Some("Microsoft Corporation"));
    assert_eq!(
        cmstp.product.as_deref(),
        Some("Microsoft(R) Connection Manager")
    );
    assert_eq!(
        cmstp.version.as_deref(),
        Some("7.2.18362.1 (WinBuild.160101.0800)")
    );
    assert!(
        cmstp
            .hashes
            .as_deref()
            .unwrap()
            .contains("SHA256=6391B1B331AF29C25DD8E187E08E733746E078108131E3FD44979E0DA1EA2CEB")
    );
}

#[test]
fn otrf_fodhelper_defender_connection_joins_an_answer_logged_later_in_the_file() {
    let (outcome, collected) = read_otrf(OTRF_FODHELPER);
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    assert_eq!(outcome.records, 4139);
    assert_eq!(outcome.connections, 12);
    assert_eq!(outcome.counts.resolutions, 2);
    assert_eq!(outcome.counts.installations, 18);
    assert_eq!(outcome.counts.other_channels, 1221);
    // MsMpEng.exe's connection (line 2310) and its wdcp.microsoft.com answer (line 2497, 57 ms
    // earlier by UtcTime).
    let defender = connection_to(&collected.connections, "104.40.17.153", 443);
    let process = defender.process.as_ref().unwrap();
    assert_eq!(
        process.image,
        r"C:\Program Files\Windows Defender\MsMpEng.exe"
    );
    assert_eq!(process.pid, Some(3200));
    assert_eq!(process.user.as_deref(), Some(r"NT AUTHORITY\SYSTEM"));
    assert_eq!(process.host.as_deref(), Some("WORKSTATION5.theshire.local"));
    assert_eq!(defender.evidence.record, 2310);
    assert_eq!(defender.names.len(), 1);
    assert_eq!(defender.names[0].name, "wdcp.microsoft.com");
    assert_eq!(
        defender.names[0].cname_chain,
        [
            "wd-prod-cp.trafficmanager.net",
            "wd-prod-cp-us-west-1-fe.westus.cloudapp.azure.com"
        ]
    );
    let answer = collected
        .resolutions
        .iter()
        .find(|r| r.query == "wdcp.microsoft.com")
        .unwrap();
    assert_eq!(
        answer.addresses,
        ["104.40.17.153".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(answer.evidence.record, 2497);

    // Both ends of the workstation's RPC connection to the domain controller: the DC's accept
    // (Initiated false) names the client as Source; both give the same 5-tuple.
    let ends: Vec<&Connection> = collected
        .connections
        .iter()
        .filter(|c| c.key.orig_port == 50063)
        .collect();
    assert_eq!(ends.len(), 2);
    assert_eq!(ends[0].key, ends[1].key);
    assert_eq!(ends[0].key.resp_port, 135);
    let hosts: Vec<_> = ends
        .iter()
        .map(|c| c.process.as_ref().unwrap().host.clone().unwrap())
        .collect();
    assert_eq!(
        hosts,
        ["WORKSTATION5.theshire.local", "MORDORDC.theshire.local"]
    );
    // The DC's DNS server answering over UDP (Initiated false, Source the local port 53).
    let dns = collected
        .connections
        .iter()
        .find(|c| {
            c.key.resp_port == 53 && c.key.transport == Transport::Udp && c.key.orig_port == 54799
        })
        .expect("dns.exe inbound");
    assert_eq!(dns.key.resp_addr.to_string(), "172.18.38.5");
    // IPv6 loopback and link-local addresses as Sysmon spells them.
    assert!(
        collected
            .connections
            .iter()
            .any(|c| c.key.resp_addr.to_string() == "::1" && c.key.resp_port == 389)
    );
}

#[test]
fn sniffing_finds_the_otrf_json_lines() {
    for zip in [OTRF_CMSTP, OTRF_FODHELPER] {
        let extracted = extract_otrf(zip);
        let opened = open_evidence(&extracted.path.to_string_lossy()).unwrap();
        assert_eq!(
            opened.format,
            EvidenceFormat::Records(RecordFormat::Sysmon),
            "{zip}"
        );
    }
}

fn nxlog(event_id: u32, fields: serde_json::Value) -> String {
    let mut line = json!({
        "EventID": event_id,
        "SourceName": "Microsoft-Windows-Sysmon",
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Hostname": "WS1",
    });
    for (key, value) in fields.as_object().unwrap() {
        line[key] = value.clone();
    }
    line.to_string()
}

fn query(guid: &str, pid: &str, time: &str, name: &str, results: &str) -> String {
    nxlog(
        22,
        json!({"UtcTime": time, "ProcessGuid": guid, "ProcessId": pid,
        "Image": "C:\\a.exe", "QueryName": name, "QueryStatus": "0", "QueryResults": results}),
    )
}

fn connect(guid: &str, pid: &str, time: &str, destination: &str, source_port: &str) -> String {
    nxlog(
        3,
        json!({"UtcTime": time, "ProcessGuid": guid, "ProcessId": pid,
        "Image": "C:\\a.exe", "User": "WS1\\u", "Protocol": "tcp", "Initiated": "true",
        "SourceIp": "10.0.0.5", "SourcePort": source_port, "DestinationIp": destination,
        "DestinationPort": "443", "DestinationHostname": "-"}),
    )
}

#[test]
fn the_join_uses_only_the_processs_own_answers_within_the_window() {
    let lines = [
        // Process A asks; process B connects to the same address: not named.
        query(
            "{a}",
            "1",
            "2024-01-01 00:00:00.000",
            "shared.example",
            "::ffff:192.0.2.1;",
        ),
        connect("{b}", "2", "2024-01-01 00:00:01.000", "192.0.2.1", "50001"),
        // A connects: named.
        connect("{a}", "1", "2024-01-01 00:00:01.500", "192.0.2.1", "50002"),
        // A connects to an address its query answers 1.5 s later: named (late answer).
        connect("{a}", "1", "2024-01-01 00:00:10.000", "192.0.2.2", "50003"),
        query(
            "{a}",
            "1",
            "2024-01-01 00:00:11.500",
            "late.example",
            "192.0.2.2;",
        ),
        // ... and 3 s later: not named.
        connect("{a}", "1", "2024-01-01 00:00:20.000", "192.0.2.3", "50004"),
        query(
            "{a}",
            "1",
            "2024-01-01 00:00:23.000",
            "too-late.example",
            "192.0.2.3;",
        ),
        // Two answers for one address: the latest before the connection wins.
        query(
            "{a}",
            "1",
            "2024-01-01 00:00:30.000",
            "old.example",
            "192.0.2.4;",
        ),
        query(
            "{a}",
            "1",
            "2024-01-01 00:00:31.000",
            "new.example",
            "type:  5 cdn.example;192.0.2.4;",
        ),
        connect("{a}", "1", "2024-01-01 00:00:32.000", "192.0.2.4", "50005"),
        // Same process id on another host: not the same process.
        connect("{a}", "1", "2024-01-01 00:00:32.500", "192.0.2.4", "50006").replace("WS1", "WS2"),
    ];
    let (outcome, collected) = read_bytes("join.json", (lines.join("\n") + "\n").into_bytes());
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    let names: Vec<(u16, Vec<String>)> = collected
        .connections
        .iter()
        .map(|c| {
            (
                c.key.orig_port,
                c.names.iter().map(|n| n.name.clone()).collect(),
            )
        })
        .collect();
    let expected: Vec<(u16, Vec<String>)> = vec![
        (50001, vec![]),
        (50002, vec!["shared.example".into()]),
        (50003, vec!["late.example".into()]),
        (50004, vec![]),
        (50005, vec!["new.example".into()]),
        (50006, vec![]),
    ];
    assert_eq!(names, expected);
    assert_eq!(
        collected.connections[4].names[0].cname_chain,
        ["cdn.example"]
    );
    assert_eq!(outcome.counts.join.joined, 3);
}

#[test]
fn a_full_answer_table_evicts_and_counts() {
    let mut lines: Vec<String> = (0..10)
        .map(|i| {
            query(
                "{a}",
                "1",
                "2024-01-01 00:00:00.000",
                &format!("n{i}.example"),
                &format!("192.0.2.{i};"),
            )
        })
        .collect();
    lines.push(connect(
        "{a}",
        "1",
        "2024-01-01 00:00:01.000",
        "192.0.2.0",
        "50000",
    ));
    lines.push(connect(
        "{a}",
        "1",
        "2024-01-01 00:00:01.000",
        "192.0.2.9",
        "50009",
    ));
    let stream = ringfence_sources::input::EvidenceStream::from_reader(
        "evict.json",
        Box::new(std::io::Cursor::new((lines.join("\n") + "\n").into_bytes())),
    )
    .unwrap();
    let mut collected = common::Collected::default();
    let options = ringfence_sources::sysmon::SysmonOptions {
        max_answer_keys: 4,
        max_pending: 1,
        ..Default::default()
    };
    let outcome = ringfence_sources::sysmon::read_with(stream, 0, &mut collected, options);
    assert_eq!(outcome.counts.join.evicted_answers, 6);
    assert_eq!(outcome.counts.join.released_early, 1);
    assert!(
        collected.connections[0].names.is_empty(),
        "192.0.2.0's answer was evicted"
    );
    assert_eq!(collected.connections[1].names[0].name, "n9.example");
}

#[test]
fn winlogbeat_events_are_read() {
    let line = json!({
        "@timestamp": "2024-01-01T00:00:01.000Z",
        "event": {"code": "3", "provider": "Microsoft-Windows-Sysmon"},
        "host": {"name": "ws1"},
        "winlog": {
            "channel": "Microsoft-Windows-Sysmon/Operational",
            "computer_name": "WS1.corp",
            "event_id": "3",
            "provider_name": "Microsoft-Windows-Sysmon",
            "event_data": {
                "UtcTime": "2024-01-01 00:00:01.000", "ProcessGuid": "{g}", "ProcessId": "77",
                "Image": "C:\\Program Files\\Vendor\\agent.exe", "User": "NT AUTHORITY\\SYSTEM",
                "Protocol": "udp", "Initiated": "true", "SourceIp": "10.0.0.5",
                "SourcePort": "5000", "DestinationIp": "2001:db8::1", "DestinationPort": "53",
                "DestinationHostname": "resolver.example."
            }
        }
    })
    .to_string();
    let icmp = line.replace("\"udp\"", "\"icmp\"");
    let security = json!({"winlog": {"channel": "Security", "event_id": 4624}}).to_string();
    let head = format!("{line}\n{icmp}\n{security}\n");
    assert!(ringfence_sources::sysmon::looks_like(head.as_bytes()));
    let (outcome, collected) = read_bytes("winlogbeat.json", head.into_bytes());
    assert_eq!(outcome.problems.count, 0, "{:?}", outcome.problems);
    assert_eq!(outcome.counts.other_transports, 1);
    assert_eq!(outcome.counts.other_channels, 1);
    let [connection] = collected.connections.as_slice() else {
        panic!("one connection")
    };
    assert_eq!(connection.key.transport, Transport::Udp);
    assert_eq!(connection.key.resp_addr.to_string(), "2001:db8::1");
    let process = connection.process.as_ref().unwrap();
    assert_eq!(process.host.as_deref(), Some("WS1.corp"));
    assert_eq!(process.pid, Some(77));
    assert_eq!(connection.names[0].name, "resolver.example");
    assert_eq!(
        connection.names[0].source,
        NameSource::SysmonDestinationHostname
    );
}

#[test]
fn other_json_is_not_taken_for_sysmon() {
    for head in [
        &br#"{"timestamp":"2016-01-01T00:00:00Z","event_type":"flow","src_ip":"1.2.3.4"}"#[..],
        b"#separator \\x09\n#fields\tts\n",
        b"{\"EventID\": 4}",
        b"[1,2,3]",
        b"",
    ] {
        assert!(!ringfence_sources::sysmon::looks_like(head), "{head:?}");
    }
}
