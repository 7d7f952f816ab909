//! One data record's values as the template laid them out, and the flow record made from them:
//! addresses, ports, protocol, counters, absolute times and the sampling rate that applies.

use super::exporter::DomainState;
use super::fields::Slot;
use super::wire::uint;
use ringfence_model::Timestamp;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const SLOTS: usize = Slot::SamplingProbability as usize + 1;
/// Seconds between the NTP epoch (1900) and the Unix epoch.
const NTP_UNIX_OFFSET: i64 = 2_208_988_800;
const NANOS_PER_MILLI: i64 = 1_000_000;
const NANOS_PER_SEC: i64 = 1_000_000_000;

/// The values of one record, by slot; reused from record to record (clearing is one store).
#[derive(Clone)]
pub struct Values {
    present: u64,
    values: [u64; SLOTS],
    src6: [u8; 16],
    dst6: [u8; 16],
}

impl Default for Values {
    fn default() -> Self {
        Values {
            present: 0,
            values: [0; SLOTS],
            src6: [0; 16],
            dst6: [0; 16],
        }
    }
}

impl Values {
    pub fn clear(&mut self) {
        self.present = 0;
    }

    /// Stores a field; a field whose length does not fit its meaning is ignored.
    #[inline]
    pub fn set(&mut self, slot: Slot, field: &[u8]) {
        let value = match slot {
            Slot::Skip => return,
            Slot::SrcV6 | Slot::DstV6 => {
                let Ok(octets) = <[u8; 16]>::try_from(field) else {
                    return;
                };
                if slot == Slot::SrcV6 {
                    self.src6 = octets;
                } else {
                    self.dst6 = octets;
                }
                0
            }
            Slot::SrcV4 | Slot::DstV4 if field.len() != 4 => return,
            Slot::SamplingProbability => match field.len() {
                8 => match uint(field) {
                    Some(bits) => f64::from_bits(bits).to_bits(),
                    None => return,
                },
                4 => match uint(field) {
                    Some(bits) => f64::from(f32::from_bits(bits as u32)).to_bits(),
                    None => return,
                },
                _ => return,
            },
            _ => match uint(field) {
                Some(value) => value,
                None => return,
            },
        };
        let index = slot as usize;
        if let Some(cell) = self.values.get_mut(index) {
            *cell = value;
            self.present |= 1 << index;
        }
    }

    #[inline]
    pub fn get(&self, slot: Slot) -> Option<u64> {
        let index = slot as usize;
        if self.present & (1 << index) == 0 {
            return None;
        }
        self.values.get(index).copied()
    }

    fn addr(&self, v4: Slot, v6: Slot) -> Option<IpAddr> {
        if let Some(v) = self.get(v4) {
            return Some(IpAddr::V4(Ipv4Addr::from(v as u32)));
        }
        self.get(v6).map(|_| {
            let octets = if v6 == Slot::SrcV6 {
                self.src6
            } else {
                self.dst6
            };
            IpAddr::V6(Ipv6Addr::from(octets))
        })
    }

    fn port(&self, main: Slot, alternative: Slot) -> u16 {
        let value = match (self.get(main), self.get(alternative)) {
            (Some(0), Some(alternative)) => alternative,
            (Some(main), _) => main,
            (None, alternative) => alternative.unwrap_or(0),
        };
        u16::try_from(value).unwrap_or(0)
    }

    fn first(&self, slots: &[Slot]) -> Option<u64> {
        slots.iter().find_map(|slot| self.get(*slot))
    }

    /// The sampling rate this record states itself (1 in N packets), if it states one.
    pub fn own_sampling(&self) -> Option<u32> {
        if let Some(rate) = self
            .first(&[Slot::SamplerRandomInterval, Slot::SamplingInterval])
            .filter(|rate| *rate > 0)
        {
            return Some(saturate(rate));
        }
        if let Some(interval) = self.get(Slot::PacketInterval).filter(|i| *i > 0) {
            // Systematic count-based sampling: `interval` packets taken, then `space` skipped.
            let space = self.get(Slot::PacketSpace).unwrap_or(0);
            let period = interval.saturating_add(space);
            return Some(saturate(period.saturating_add(interval / 2) / interval));
        }
        if let (Some(size), Some(population)) = (
            self.get(Slot::SamplingSize).filter(|s| *s > 0),
            self.get(Slot::SamplingPopulation),
        ) {
            return Some(saturate(population.saturating_add(size / 2) / size));
        }
        if let Some(bits) = self.get(Slot::SamplingProbability) {
            let probability = f64::from_bits(bits);
            if probability > 0.0 && probability <= 1.0 {
                return Some(saturate((1.0 / probability).round() as u64));
            }
        }
        None
    }

    /// The sampler this record names (samplerId or selectorId).
    pub fn sampler(&self) -> Option<u64> {
        self.first(&[Slot::SamplerId, Slot::SelectorId])
    }
}

fn saturate(rate: u64) -> u32 {
    u32::try_from(rate).unwrap_or(u32::MAX).max(1)
}

/// What the export packet's header says that every record needs.
#[derive(Clone, Copy, Debug)]
pub struct ExportHeader {
    pub version: u16,
    /// Observation domain (IPFIX) or source id (v9); 0 for v5.
    pub domain: u32,
    pub export_time: Timestamp,
    /// Exporter uptime in milliseconds when the packet left (v5 and v9).
    pub uptime_ms: Option<u32>,
    /// The v5 header's sampling interval.
    pub header_sampling: Option<u32>,
}

/// Where a record's times came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// Absolute times in the record, or uptime-relative times with a known base.
    Record,
    /// The record has no usable time (or uptime-relative times with no known system init time):
    /// both ends are the export time.
    ExportTime,
}

/// One flow record, as exported (counters before sampling is applied).
#[derive(Clone, Debug, PartialEq)]
pub struct FlowRecord {
    pub version: u16,
    pub exporter: IpAddr,
    pub domain: u32,
    pub template: u16,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub src_port: u16,
    pub dst_port: u16,
    pub protocol: Option<u8>,
    pub packets: u64,
    pub octets: u64,
    /// Biflow counters for the other direction (IPFIX RFC 5103 reverse elements, ASA NSEL
    /// responder counters); 0 when the exporter sends none.
    pub reverse_packets: u64,
    pub reverse_octets: u64,
    /// Packets are sampled 1 in `sampling` (1: every packet); multiply the counters by it.
    pub sampling: u32,
    pub start: Timestamp,
    pub end: Timestamp,
    pub timing: Timing,
    /// IPFIX flowEndReason (2: active timeout, so this record is one part of a longer flow).
    pub end_reason: Option<u8>,
    pub export_time: Timestamp,
}

impl FlowRecord {
    pub fn from_values(
        values: &Values,
        header: &ExportHeader,
        domain: Option<&DomainState>,
        exporter: IpAddr,
        template: u16,
    ) -> FlowRecord {
        let sampling = values
            .own_sampling()
            .or_else(|| domain.and_then(|d| d.sampling_for(values.sampler())))
            .or(header.header_sampling)
            .unwrap_or(1);
        let system_init = values
            .get(Slot::SystemInitMillis)
            .map(|ms| Timestamp(millis_to_nanos(ms)))
            .or_else(|| domain.and_then(|d| d.system_init));
        let (start, end, timing) = times(values, header, system_init);
        FlowRecord {
            version: header.version,
            exporter,
            domain: header.domain,
            template,
            src: values.addr(Slot::SrcV4, Slot::SrcV6),
            dst: values.addr(Slot::DstV4, Slot::DstV6),
            src_port: values.port(Slot::SrcPort, Slot::AltSrcPort),
            dst_port: values.port(Slot::DstPort, Slot::AltDstPort),
            protocol: values
                .get(Slot::Protocol)
                .and_then(|p| u8::try_from(p).ok()),
            packets: values
                .first(&[Slot::Packets, Slot::PacketsTotal, Slot::InitiatorPackets])
                .unwrap_or(0),
            octets: values
                .first(&[Slot::Octets, Slot::OctetsTotal, Slot::InitiatorOctets])
                .unwrap_or(0),
            reverse_packets: values
                .first(&[Slot::ResponderPackets, Slot::ReversePackets])
                .unwrap_or(0),
            reverse_octets: values
                .first(&[Slot::ResponderOctets, Slot::ReverseOctets])
                .unwrap_or(0),
            sampling,
            start,
            end,
            timing,
            end_reason: values
                .get(Slot::EndReason)
                .and_then(|r| u8::try_from(r).ok()),
            export_time: header.export_time,
        }
    }
}

fn millis_to_nanos(ms: u64) -> i64 {
    i64::try_from(ms)
        .unwrap_or(i64::MAX)
        .saturating_mul(NANOS_PER_MILLI)
}

fn ntp_to_nanos(ntp: u64) -> i64 {
    let secs = i64::try_from(ntp >> 32).unwrap_or(0) - NTP_UNIX_OFFSET;
    let fraction = ((ntp & 0xffff_ffff) * 1_000_000_000) >> 32;
    secs.saturating_mul(NANOS_PER_SEC)
        .saturating_add(i64::try_from(fraction).unwrap_or(0))
}

/// A time in exporter uptime milliseconds, made absolute. v5/v9 count from the header's uptime
/// (the difference read as a signed 32-bit number, so a counter that wrapped after 49.7 days and
/// a flow stamped a moment after the header both come out right); IPFIX from the system init time.
fn uptime_time(value: u64, header: &ExportHeader, system_init: Option<Timestamp>) -> Option<i64> {
    match (header.version, header.uptime_ms) {
        (10, _) => system_init.map(|init| init.0.saturating_add(millis_to_nanos(value))),
        (_, Some(uptime)) => {
            let ago = uptime.wrapping_sub(value as u32) as i32;
            Some(
                header
                    .export_time
                    .0
                    .saturating_sub(i64::from(ago) * NANOS_PER_MILLI),
            )
        }
        _ => None,
    }
}

fn times(
    values: &Values,
    header: &ExportHeader,
    system_init: Option<Timestamp>,
) -> (Timestamp, Timestamp, Timing) {
    let export = header.export_time.0;
    let absolute = |secs: Slot, millis: Slot, ntp: Slot| -> Option<i64> {
        values
            .get(millis)
            .map(millis_to_nanos)
            .or_else(|| values.get(ntp).map(ntp_to_nanos))
            .or_else(|| {
                values
                    .get(secs)
                    .map(|s| i64::try_from(s).unwrap_or(0).saturating_mul(NANOS_PER_SEC))
            })
    };
    let delta = |slot: Slot| {
        values
            .get(slot)
            .map(|us| export.saturating_sub(i64::try_from(us).unwrap_or(0).saturating_mul(1000)))
    };
    let uptime = |slot: Slot| {
        values
            .get(slot)
            .and_then(|v| uptime_time(v, header, system_init))
    };
    let mut start = absolute(Slot::StartSecs, Slot::StartMillis, Slot::StartNtp)
        .or_else(|| uptime(Slot::StartUptime))
        .or_else(|| delta(Slot::StartDeltaMicros));
    let mut end = absolute(Slot::EndSecs, Slot::EndMillis, Slot::EndNtp)
        .or_else(|| uptime(Slot::EndUptime))
        .or_else(|| delta(Slot::EndDeltaMicros));
    let duration = values
        .get(Slot::DurationMillis)
        .map(millis_to_nanos)
        .or_else(|| {
            values
                .get(Slot::DurationMicros)
                .map(|us| i64::try_from(us).unwrap_or(i64::MAX).saturating_mul(1000))
        });
    if let Some(duration) = duration {
        match (start, end) {
            (Some(s), None) => end = Some(s.saturating_add(duration)),
            (None, Some(e)) => start = Some(e.saturating_sub(duration)),
            _ => {}
        }
    }
    let observed = values
        .get(Slot::ObservationMillis)
        .map(millis_to_nanos)
        .or_else(|| {
            values
                .get(Slot::ObservationSecs)
                .map(|s| i64::try_from(s).unwrap_or(0).saturating_mul(NANOS_PER_SEC))
        });
    let (start, end) = match (start.or(observed), end.or(observed)) {
        (Some(s), Some(e)) => (s.min(e), s.max(e)),
        (Some(t), None) | (None, Some(t)) => (t, t),
        (None, None) => {
            return (header.export_time, header.export_time, Timing::ExportTime);
        }
    };
    (Timestamp(start), Timestamp(end), Timing::Record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(version: u16, uptime: Option<u32>) -> ExportHeader {
        ExportHeader {
            version,
            domain: 0,
            export_time: Timestamp::from_secs_nanos(1_000_000, 0),
            uptime_ms: uptime,
            header_sampling: None,
        }
    }

    #[test]
    fn uptime_differences_are_signed_and_wrap() {
        let h = header(9, Some(3381));
        // 0xffffffff is one millisecond before the uptime counter's zero: 3382 ms ago.
        assert_eq!(
            uptime_time(0xffff_ffff, &h, None),
            Some(1_000_000 * NANOS_PER_SEC - 3382 * NANOS_PER_MILLI)
        );
        // A flow stamped 5 ms after the header's uptime is 5 ms in the future, not 49 days ago.
        assert_eq!(
            uptime_time(3386, &h, None),
            Some(1_000_000 * NANOS_PER_SEC + 5 * NANOS_PER_MILLI)
        );
        // IPFIX counts from the system init time, and without one there is no answer.
        assert_eq!(uptime_time(5, &header(10, None), None), None);
        assert_eq!(
            uptime_time(5, &header(10, None), Some(Timestamp(7))),
            Some(7 + 5 * NANOS_PER_MILLI)
        );
    }

    #[test]
    fn ntp_timestamps() {
        // 2016-11-11T12:09:19.5Z
        let secs = 1_478_866_159i64 + NTP_UNIX_OFFSET;
        let ntp = ((secs as u64) << 32) | 0x8000_0000;
        assert_eq!(ntp_to_nanos(ntp), 1_478_866_159_500_000_000);
    }

    #[test]
    fn sampling_rates_from_each_kind_of_field() {
        let mut v = Values::default();
        v.set(Slot::PacketInterval, &[1]);
        v.set(Slot::PacketSpace, &[0, 99]);
        assert_eq!(v.own_sampling(), Some(100));
        v.clear();
        v.set(Slot::SamplingProbability, &0.001f64.to_bits().to_be_bytes());
        assert_eq!(v.own_sampling(), Some(1000));
        v.clear();
        v.set(Slot::SamplingSize, &[0, 1]);
        v.set(Slot::SamplingPopulation, &[0, 0, 0, 64]);
        assert_eq!(v.own_sampling(), Some(64));
        v.clear();
        v.set(Slot::SamplingInterval, &[0, 0, 0, 0]);
        assert_eq!(v.own_sampling(), None);
    }
}
