//! Evidence readers. Each module turns the bytes of one evidence format into observations
//! (`ringfence_model::Connection`, `Resolution`, …), streaming, without trusting a single length
//! field it reads.

pub mod capture;
mod endpoint;
pub mod evidence;
pub mod input;
pub mod inventory;
pub mod logs;
pub mod netflow;
mod raw_digest;
pub mod sysmon;
