//! The Information Elements ringfence reads (IANA's IPFIX registry, whose numbers 1–127 are
//! NetFlow v9's field types) and what each one fills. Every other element is skipped by its length.

/// IANA's enterprise number for RFC 5103 reverse elements (the other direction of a biflow).
pub const REVERSE_PEN: u32 = 29305;

/// A field's meaning for ringfence. `Skip` is every element it does not use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Slot {
    Skip,
    SrcV4,
    DstV4,
    SrcV6,
    DstV6,
    SrcPort,
    DstPort,
    /// udpSourcePort / tcpSourcePort: used when the template has no sourceTransportPort value.
    AltSrcPort,
    AltDstPort,
    Protocol,
    Octets,
    Packets,
    OctetsTotal,
    PacketsTotal,
    /// Cisco ASA NSEL and IPFIX biflow counters: initiator → responder and back.
    InitiatorOctets,
    ResponderOctets,
    InitiatorPackets,
    ResponderPackets,
    ReverseOctets,
    ReversePackets,
    /// flowStartSysUpTime / FIRST_SWITCHED: milliseconds of exporter uptime.
    StartUptime,
    EndUptime,
    StartSecs,
    EndSecs,
    StartMillis,
    EndMillis,
    /// NTP timestamps (RFC 7011 dateTimeMicroseconds / dateTimeNanoseconds).
    StartNtp,
    EndNtp,
    /// Microseconds before the export time.
    StartDeltaMicros,
    EndDeltaMicros,
    DurationMillis,
    DurationMicros,
    ObservationSecs,
    ObservationMillis,
    SystemInitMillis,
    EndReason,
    SamplingInterval,
    SamplerRandomInterval,
    SamplerId,
    SelectorId,
    PacketInterval,
    PacketSpace,
    SamplingSize,
    SamplingPopulation,
    SamplingProbability,
}

/// What element `id` of enterprise `enterprise` (0 for IANA) fills.
pub fn slot_for(id: u16, enterprise: u32) -> Slot {
    if enterprise == REVERSE_PEN {
        return match id {
            1 | 85 => Slot::ReverseOctets,
            2 | 86 => Slot::ReversePackets,
            _ => Slot::Skip,
        };
    }
    if enterprise != 0 {
        return Slot::Skip;
    }
    match id {
        1 => Slot::Octets,
        2 => Slot::Packets,
        4 => Slot::Protocol,
        7 => Slot::SrcPort,
        8 => Slot::SrcV4,
        11 => Slot::DstPort,
        12 => Slot::DstV4,
        21 => Slot::EndUptime,
        22 => Slot::StartUptime,
        27 => Slot::SrcV6,
        28 => Slot::DstV6,
        34 => Slot::SamplingInterval,
        48 => Slot::SamplerId,
        50 => Slot::SamplerRandomInterval,
        85 => Slot::OctetsTotal,
        86 => Slot::PacketsTotal,
        136 => Slot::EndReason,
        150 => Slot::StartSecs,
        151 => Slot::EndSecs,
        152 => Slot::StartMillis,
        153 => Slot::EndMillis,
        154 | 156 => Slot::StartNtp,
        155 | 157 => Slot::EndNtp,
        158 => Slot::StartDeltaMicros,
        159 => Slot::EndDeltaMicros,
        160 => Slot::SystemInitMillis,
        161 => Slot::DurationMillis,
        162 => Slot::DurationMicros,
        180 | 182 => Slot::AltSrcPort,
        181 | 183 => Slot::AltDstPort,
        231 => Slot::InitiatorOctets,
        232 => Slot::ResponderOctets,
        298 => Slot::InitiatorPackets,
        299 => Slot::ResponderPackets,
        302 => Slot::SelectorId,
        305 => Slot::PacketInterval,
        306 => Slot::PacketSpace,
        309 => Slot::SamplingSize,
        310 => Slot::SamplingPopulation,
        311 => Slot::SamplingProbability,
        322 => Slot::ObservationSecs,
        323 => Slot::ObservationMillis,
        _ => Slot::Skip,
    }
}
