use serde::Serialize;

/// What kind of input a piece of evidence is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Pcap,
    Pcapng,
    /// Zeek logs (TSV with `#fields` headers, or JSON lines).
    ZeekLog,
    /// Suricata EVE JSON lines.
    SuricataEve,
    /// NetFlow v5/v9 or IPFIX export packets (payload files, or collected by `ringfence collect`).
    Netflow,
    /// Sysmon events (EVTX, or JSON lines as Winlogbeat, NXLog or the OTRF datasets write them).
    Sysmon,
    /// A software inventory (osquery results, CycloneDX, SPDX, registry exports, package lists).
    Inventory,
}

/// One input (file or stream) with its kind and SHA-256 digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The path as the user gave it (`-` for standard input).
    pub path: String,
    pub kind: Option<EvidenceKind>,
    /// Lower-case hex SHA-256 of the bytes as read (compressed bytes for a `.gz` file).
    pub sha256: String,
    pub bytes: u64,
}

/// Where an observation came from: which evidence (its position in the run's list of evidence,
/// whose entries carry the digest), the record number (1-based packet or line number) and the byte
/// offset of that record in the (decompressed) stream.
///
/// An index rather than the digest itself because a streamed input's digest is known only once its
/// last byte has been read, and observations leave the reader long before that.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EvidenceRef {
    pub evidence: u32,
    pub record: u64,
    pub offset: u64,
}

/// A part of the input that could not be read: the file, the byte offset and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReadProblem {
    pub path: String,
    pub offset: u64,
    pub reason: String,
}

impl std::fmt::Display for ReadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: at byte {}: {}", self.path, self.offset, self.reason)
    }
}
