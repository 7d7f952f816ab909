//! Sysmon event 22's `QueryResults`: the answer records of one DNS query as one string, each
//! record followed by `;`. Addresses are written bare (`1.2.3.4;`, IPv6 `2001:db8::1;`, IPv4
//! mapped `::ffff:1.2.3.4;`); other records as `type:  N data;` where N is the record type (5 is
//! CNAME). A failed query is `-` (its `QueryStatus` says why).
//!
//! Sysmon lists the CNAMEs in the order the resolver followed them, without owner names, so the
//! chain is taken as written. Parsed by hand: it is a handful of `;`-separated items.

use crate::capture::normalise_name;
use crate::logs::address::parse_address;
use std::net::IpAddr;

/// Items read per answer (as many as the capture engine reads answer records).
const MAX_ITEMS: usize = 256;
/// CNAMEs kept per answer.
const MAX_CNAMES: usize = 16;
const CNAME_TYPE: u16 = 5;

/// The CNAME chain and addresses one `QueryResults` string gives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct QueryAnswer {
    pub(crate) cname_chain: Vec<String>,
    pub(crate) addresses: Vec<IpAddr>,
    /// Items that were neither an address nor a typed record (counted, not kept).
    pub(crate) unreadable: usize,
}

pub(crate) fn parse(results: &str) -> QueryAnswer {
    let mut answer = QueryAnswer::default();
    for item in results.split(';').take(MAX_ITEMS) {
        let item = item.trim();
        if item.is_empty() || item == "-" {
            continue;
        }
        if let Some(typed) = item.strip_prefix("type:") {
            let typed = typed.trim_start();
            let (kind, data) = typed.split_once(' ').unwrap_or((typed, ""));
            if kind.parse::<u16>() == Ok(CNAME_TYPE) {
                let name = normalise_name(data);
                if !name.is_empty()
                    && answer.cname_chain.len() < MAX_CNAMES
                    && !answer.cname_chain.contains(&name)
                {
                    answer.cname_chain.push(name);
                }
            }
            continue;
        }
        match parse_address(item.as_bytes()) {
            Some(address) => {
                let address = address.to_canonical();
                if !answer.addresses.contains(&address) {
                    answer.addresses.push(address);
                }
            }
            None => answer.unreadable += 1,
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnames_and_addresses_as_sysmon_writes_them() {
        let answer = parse(
            "type:  5 wd-prod-cp.trafficmanager.net;type:  5 \
             wd-prod-cp-us-west-1-fe.westus.cloudapp.azure.com;::ffff:104.40.17.153;",
        );
        assert_eq!(
            answer.cname_chain,
            [
                "wd-prod-cp.trafficmanager.net",
                "wd-prod-cp-us-west-1-fe.westus.cloudapp.azure.com"
            ]
        );
        assert_eq!(
            answer.addresses,
            ["104.40.17.153".parse::<IpAddr>().unwrap()]
        );
        let v6 = parse("2001:db8::1;140.82.113.3;type:  33 x;");
        assert_eq!(v6.addresses.len(), 2);
        assert!(v6.cname_chain.is_empty());
        assert_eq!(parse("-"), QueryAnswer::default());
    }

    #[test]
    fn hostile_strings_are_bounded_and_do_not_panic() {
        for text in [
            "type:",
            "type:  5",
            "type: 99999999999 x;",
            ";;;;",
            "::ffff:;1.2.3;type:  5 .;",
            "\u{0}\u{ffff};",
        ] {
            let _ = parse(text);
        }
        let long = "type:  5 a.example;".repeat(10_000) + &"1.2.3.4;".repeat(10_000);
        let answer = parse(&long);
        assert!(answer.cname_chain.len() <= MAX_CNAMES);
        assert!(answer.addresses.len() <= MAX_ITEMS);
        let garbage = parse("not an address;");
        assert_eq!(garbage.unreadable, 1);
    }
}
