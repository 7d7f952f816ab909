//! Intel: what is known about the other end of a connection.
//!
//! - `ipdata`: IP data sources (MMDB country and ASN databases, ASN CSV tables), their set-up, and
//!   destinations that keep every source's answer;
//! - `catalog`: organisations and products with their sources, and attribution of connections to
//!   products.

pub mod catalog;
pub mod ipdata;
