//! NetFlow v5/v9 and IPFIX exports → connections.

mod capture_writer;
mod decoder;
mod detect;
mod exporter;
mod fields;
mod pairing;
mod read;
mod record;
mod template;
mod wire;

pub use capture_writer::{ExportCaptureWriter, WRITER_APPLICATION};
pub use decoder::{
    DecodeSink, DecodeStats, DecoderOptions, ExportDecoder, UNKNOWN_EXPORTER, V5_MAX_RECORDS,
};
pub use detect::{MAX_DATAGRAM, datagram_len, plausible_export};
pub use exporter::DomainState;
pub use pairing::PairStats;
pub use read::{InputForm, NetflowStats, ReadOutcome, looks_like, read};
pub use record::{FlowRecord, Timing};
