//! One Sysmon event's fields → an observation: event 3 a [`Connection`] with its process,
//! event 22 a [`Resolution`], event 1 an [`Installation`] of the running process.
//!
//! # Orienting event 3
//! With `Initiated` true the local process opened the connection and `Source` is its end. With
//! `Initiated` false Sysmon versions disagree on which end is which: in the 2019 sample of the
//! shared data, an accepted TCP connection has the local listener as `Source`
//! (`127.0.0.2:3389 → 127.0.0.1:49186`), in the 2020 ones the remote initiator
//! (`192.168.56.1:52543 → 192.168.56.101:3389`; the OTRF workstation's own `Initiated` true
//! record of the same 5-tuple confirms it). For UDP, `Source` is the local end that received.
//! So an inbound connection's responder is taken to be the end with the lower port (the
//! listening service; equal ports: `Source`), which fits every inbound record in the data.
//!
//! Names label the responder, so only outbound connections get them: `DestinationHostname`
//! (Sysmon's own lookup of the destination, not what the program asked for) and the DNS name the
//! process asked for (see `dns_join`).

use super::fields::{EventData, EventHeader, owned, present};
use super::query_results;
use crate::capture::normalise_name;
use crate::endpoint::endpoint_connection;
use crate::logs::address::parse_address;
use crate::logs::time::iso8601;
use ringfence_model::{
    Connection, EvidenceRef, FlowKey, HostIdentity, InstallSource, Installation, LearnedName,
    LocalProcess, NameSource, Timestamp, Transport,
};
use std::net::IpAddr;

pub(crate) const PROCESS_CREATE: u64 = 1;
pub(crate) const NETWORK_CONNECT: u64 = 3;
pub(crate) const DNS_QUERY: u64 = 22;

/// An event 3 read: the connection, and what its DNS join needs.
pub(crate) struct NetworkEvent {
    pub(crate) connection: Connection,
    /// The remote address the process connected to (outbound connections only).
    pub(crate) remote: Option<IpAddr>,
}

/// An event 3 of another transport than TCP or UDP.
pub(crate) struct OtherTransport;

/// Sysmon's `UtcTime` (`YYYY-MM-DD HH:MM:SS.mmm`, UTC).
pub(crate) fn utc_time(data: &EventData<'_>) -> Option<Timestamp> {
    present(&data.utc_time).and_then(|text| iso8601(text.as_bytes()))
}

/// `host\0ProcessGuid`, or `host\0pid` when the form has no GUID; `None` when it has neither.
pub(crate) fn process_label(header: &EventHeader<'_>, data: &EventData<'_>) -> Option<String> {
    let host = header.computer.as_deref().unwrap_or_default();
    let process = present(&data.process_guid)
        .map(str::to_ascii_lowercase)
        .or_else(|| data.process_id.unsigned().map(|pid| format!("pid:{pid}")))?;
    Some(format!("{host}\u{0}{process}"))
}

fn local_process(header: &EventHeader<'_>, data: &EventData<'_>) -> Option<LocalProcess> {
    Some(LocalProcess {
        host: header.computer.as_deref().map(str::to_owned),
        image: present(&data.image)?.to_owned(),
        pid: data
            .process_id
            .unsigned()
            .and_then(|pid| u32::try_from(pid).ok()),
        user: owned(&data.user),
    })
}

fn endpoint(
    address: &super::fields::Scalar<'_>,
    port: &super::fields::Scalar<'_>,
    which: &str,
) -> Result<(IpAddr, u16), String> {
    let text = present(address).ok_or_else(|| format!("no {which}Ip"))?;
    // An IPv6 address may carry a zone (`fe80::1%12`).
    let bare = text.split('%').next().unwrap_or(text);
    let address = parse_address(bare.as_bytes())
        .ok_or_else(|| format!("{which}Ip {text:?} is not an address"))?
        .to_canonical();
    let port = port
        .unsigned()
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| format!("{which}Port is missing or not a port number"))?;
    Ok((address, port))
}

/// Event 3 → a connection (`Err` a reason the record is unreadable).
pub(crate) fn network_connect(
    header: &EventHeader<'_>,
    data: &EventData<'_>,
    evidence: EvidenceRef,
) -> Result<Result<NetworkEvent, OtherTransport>, String> {
    let transport = match present(&data.protocol)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("tcp") => Transport::Tcp,
        Some("udp") => Transport::Udp,
        Some(_) => return Ok(Err(OtherTransport)),
        None => return Err("no Protocol".to_owned()),
    };
    let time = utc_time(data).ok_or("no valid UtcTime")?;
    let source = endpoint(&data.source_ip, &data.source_port, "Source")?;
    let destination = endpoint(&data.destination_ip, &data.destination_port, "Destination")?;
    let initiated = data
        .initiated
        .boolean()
        .ok_or("Initiated is neither true nor false")?;
    // Inbound: the responder is the end with the lower port (see the module comment).
    let (orig, resp) = if initiated || destination.1 < source.1 {
        (source, destination)
    } else {
        (destination, source)
    };
    let key = FlowKey {
        transport,
        orig_addr: orig.0,
        orig_port: orig.1,
        resp_addr: resp.0,
        resp_port: resp.1,
    };
    let mut names = Vec::new();
    if initiated
        && let Some(host) = present(&data.destination_hostname)
        && parse_address(host.as_bytes()).is_none()
    {
        let name = normalise_name(host);
        if !name.is_empty() {
            names.push(LearnedName {
                name,
                source: NameSource::SysmonDestinationHostname,
                cname_chain: Vec::new(),
            });
        }
    }
    let connection = endpoint_connection(key, time, names, local_process(header, data), evidence);
    Ok(Ok(NetworkEvent {
        connection,
        remote: initiated.then_some(destination.0),
    }))
}

/// An event 22 read: the query, its answer and when.
pub(crate) struct DnsEvent {
    pub(crate) time: Timestamp,
    pub(crate) query: String,
    pub(crate) answer: query_results::QueryAnswer,
}

/// Event 22 → the query and its answer (`Err` a reason the record is unreadable).
pub(crate) fn dns_query(data: &EventData<'_>) -> Result<DnsEvent, String> {
    let time = utc_time(data).ok_or("no valid UtcTime")?;
    let query = present(&data.query_name)
        .map(normalise_name)
        .filter(|name| !name.is_empty())
        .ok_or("no QueryName")?;
    let answer = present(&data.query_results)
        .map(query_results::parse)
        .unwrap_or_default();
    Ok(DnsEvent {
        time,
        query,
        answer,
    })
}

/// Event 1 → the process seen running (`Err` a reason the record is unreadable).
pub(crate) fn process_create(
    header: &EventHeader<'_>,
    data: &EventData<'_>,
    evidence: EvidenceRef,
) -> Result<Installation, String> {
    let image = present(&data.image).ok_or("no Image")?;
    Ok(Installation {
        host: HostIdentity {
            name: header.computer.as_deref().map(str::to_owned),
            address: None,
        },
        source: InstallSource::RunningProcess,
        name: image.to_owned(),
        version: owned(&data.file_version),
        publisher: owned(&data.company),
        product: owned(&data.product),
        location: Some(image.to_owned()),
        hashes: owned(&data.hashes),
        time: utc_time(data),
        present: true,
        evidence,
    })
}
