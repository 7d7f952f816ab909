use serde::Serialize;

/// The program on the local host that made a connection or a DNS query, as endpoint evidence
/// (Sysmon, osquery `process_open_sockets`) names it. Packet and flow evidence never know it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LocalProcess {
    /// The host as the evidence names it (Sysmon `Computer`, osquery `hostIdentifier`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Full path of the executable image, e.g. `C:\Program Files\Kaspersky Lab\…\avp.exe`.
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The account the process ran as (`DOMAIN\user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}
