//! The events of one input, whatever its form, → observations sent to the sink, with the counts
//! and problems of the reading.

use super::SysmonOptions;
use super::dns_join::{DnsJoin, JoinStats, ProcessLabel, Waiting};
use super::event::{
    DNS_QUERY, NETWORK_CONNECT, PROCESS_CREATE, dns_query, network_connect, process_create,
    process_label, utc_time,
};
use super::fields::{EventData, EventHeader};
use crate::capture::ObservationSink;
use crate::input::Problems;
use ringfence_model::{Connection, EvidenceRef, LearnedName, NameSource, Resolution};
use std::rc::Rc;

/// Counts of what one input held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SysmonCounts {
    /// Events read (EVTX records, JSON lines holding an object).
    pub records: u64,
    pub connections: u64,
    pub resolutions: u64,
    /// Processes seen starting (event 1), sent as installations.
    pub installations: u64,
    /// Sysmon events of other ids (registry, image loads, …).
    pub other_events: u64,
    /// Events of other channels (Security, PowerShell, …) in a mixed export.
    pub other_channels: u64,
    /// Network events of other transports than TCP and UDP.
    pub other_transports: u64,
    /// DNS queries whose answer gave no address nor CNAME (failed queries), not sent.
    pub unanswered_queries: u64,
    pub join: JoinStats,
}

/// Whether ringfence reads an event: Sysmon's events 1, 3 and 22.
pub(crate) fn is_wanted(sysmon: bool, event_id: Option<u64>) -> bool {
    sysmon && matches!(event_id, Some(PROCESS_CREATE | NETWORK_CONNECT | DNS_QUERY))
}

/// Where an event is: its 1-based number in the input and its byte offset.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Position {
    pub(crate) record: u64,
    pub(crate) offset: u64,
}

pub(crate) struct Observer<'s> {
    evidence: u32,
    sink: &'s mut dyn ObservationSink,
    join: DnsJoin,
    ready: Vec<Connection>,
    pub(crate) counts: SysmonCounts,
}

impl<'s> Observer<'s> {
    pub(crate) fn new(
        evidence: u32,
        sink: &'s mut dyn ObservationSink,
        options: SysmonOptions,
    ) -> Observer<'s> {
        Observer {
            evidence,
            sink,
            join: DnsJoin::new(options.max_answer_keys, options.max_pending),
            ready: Vec::new(),
            counts: SysmonCounts::default(),
        }
    }

    /// Whether an event with this header needs its `EventData` read.
    pub(crate) fn wants(&mut self, header: &EventHeader<'_>) -> bool {
        self.count(header.is_sysmon(), header.event_id)
    }

    /// [`Observer::wants`] for an event known by whether Sysmon logged it and its id.
    pub(crate) fn count(&mut self, sysmon: bool, event_id: Option<u64>) -> bool {
        self.counts.records += 1;
        if !sysmon {
            self.counts.other_channels += 1;
        } else if !is_wanted(sysmon, event_id) {
            self.counts.other_events += 1;
        }
        is_wanted(sysmon, event_id)
    }

    /// An event [`Observer::wants`] accepted, with its data.
    pub(crate) fn event(
        &mut self,
        header: &EventHeader<'_>,
        data: &EventData<'_>,
        at: Position,
        problems: &mut Problems,
    ) {
        let evidence = EvidenceRef {
            evidence: self.evidence,
            record: at.record,
            offset: at.offset,
        };
        if let Some(time) = utc_time(data) {
            self.join.advance(time);
        }
        let outcome = match header.event_id {
            Some(NETWORK_CONNECT) => self.network(header, data, evidence),
            Some(DNS_QUERY) => self.dns(header, data, evidence),
            Some(PROCESS_CREATE) => process_create(header, data, evidence).map(|installation| {
                self.counts.installations += 1;
                self.sink.installation(installation);
            }),
            _ => Ok(()),
        };
        if let Err(reason) = outcome {
            let id = header.event_id.unwrap_or_default();
            problems.note(
                at.offset,
                format!("record {}: Sysmon event {id}: {reason}", at.record),
            );
        }
        self.join.release_due(&mut self.ready);
        self.send_ready();
    }

    fn network(
        &mut self,
        header: &EventHeader<'_>,
        data: &EventData<'_>,
        evidence: EvidenceRef,
    ) -> Result<(), String> {
        let Ok(event) = network_connect(header, data, evidence)? else {
            self.counts.other_transports += 1;
            return Ok(());
        };
        self.counts.connections += 1;
        let join = event
            .remote
            .zip(process_label(header, data))
            .map(|(remote, label)| (ProcessLabel::from(label), remote));
        self.join.wait(
            Waiting {
                connection: event.connection,
                join,
            },
            &mut self.ready,
        );
        Ok(())
    }

    fn dns(
        &mut self,
        header: &EventHeader<'_>,
        data: &EventData<'_>,
        evidence: EvidenceRef,
    ) -> Result<(), String> {
        let event = dns_query(data)?;
        if event.answer.addresses.is_empty() && event.answer.cname_chain.is_empty() {
            self.counts.unanswered_queries += 1;
            return Ok(());
        }
        if let Some(label) = process_label(header, data)
            && !event.answer.addresses.is_empty()
        {
            let name = LearnedName {
                name: event.query.clone(),
                source: NameSource::Dns,
                cname_chain: event.answer.cname_chain.clone(),
            };
            let label: ProcessLabel = Rc::from(label);
            self.join
                .remember(&label, event.time, name, &event.answer.addresses);
        }
        self.counts.resolutions += 1;
        self.sink.resolution(Resolution {
            time: event.time,
            query: event.query,
            cname_chain: event.answer.cname_chain,
            addresses: event.answer.addresses,
            ttl: 0,
            evidence,
        });
        Ok(())
    }

    fn send_ready(&mut self) {
        for connection in self.ready.drain(..) {
            self.sink.connection(connection);
        }
    }

    /// Sends the connections still waiting (end of input) and returns the counts.
    pub(crate) fn finish(mut self) -> SysmonCounts {
        self.join.release_all(&mut self.ready);
        self.send_ready();
        let mut counts = self.counts;
        counts.join = self.join.stats;
        counts
    }
}
