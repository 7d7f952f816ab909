use crate::{EvidenceRef, Timestamp};
use serde::Serialize;
use std::net::IpAddr;

/// A DNS answer: the name that was asked, the addresses it resolved to and the CNAME chain between.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resolution {
    pub time: Timestamp,
    /// The name in the question.
    pub query: String,
    /// Names passed through, in order, from the question to the address records.
    pub cname_chain: Vec<String>,
    pub addresses: Vec<IpAddr>,
    /// The smallest TTL on the path, in seconds.
    pub ttl: u32,
    pub evidence: EvidenceRef,
}
