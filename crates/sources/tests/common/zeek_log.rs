//! A reader for Zeek's TSV logs (`#fields` header), enough for the oracle tests.

use std::collections::HashMap;

pub struct ZeekLog {
    pub rows: Vec<HashMap<String, String>>,
}

impl ZeekLog {
    pub fn read(path: &std::path::Path) -> ZeekLog {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut fields: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        for line in text.lines() {
            if let Some(header) = line.strip_prefix("#fields\t") {
                fields = header.split('\t').map(String::from).collect();
            } else if fields.is_empty() && !line.starts_with('#') {
                // The `.cut` baselines have a bare header row instead of `#fields`.
                fields = line.split('\t').map(String::from).collect();
            } else if !line.starts_with('#') && !line.is_empty() && !fields.is_empty() {
                let row = fields
                    .iter()
                    .cloned()
                    .zip(line.split('\t').map(String::from))
                    .collect();
                rows.push(row);
            }
        }
        ZeekLog { rows }
    }
}
