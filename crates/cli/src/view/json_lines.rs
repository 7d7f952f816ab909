//! JSON Lines: one object per connection. Field names are stable and documented in the README.

use ringfence_model::Connection;
use serde_json::{Value, json};
use std::io::{self, Write};

/// Writes one connection as a line. The evidence reference names the file, not just its index.
pub fn write(
    out: &mut impl Write,
    connection: &Connection,
    evidence_label: &str,
) -> io::Result<()> {
    let mut value = serde_json::to_value(connection).map_err(io::Error::other)?;
    if let Value::Object(fields) = &mut value {
        fields.insert(
            "evidence".into(),
            json!({
                "file": evidence_label,
                "record": connection.evidence.record,
                "offset": connection.evidence.offset,
            }),
        );
    }
    serde_json::to_writer(&mut *out, &value).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
