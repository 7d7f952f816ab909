//! How connections are shown: a terminal table, JSON Lines or CSV.

mod csv_rows;
mod json_lines;
mod table;
mod text;

use ringfence_model::Connection;
use std::io::{self, BufWriter, Stdout, Write};

pub enum OutputFormat {
    /// The biggest `limit` connections (0 = all), as a table for people.
    Table {
        limit: usize,
    },
    JsonLines,
    Csv,
}

/// Takes connections as the engine writes them out and renders them in the chosen format.
/// JSON and CSV stream; the table keeps only the biggest rows it will show.
pub struct ConnectionView {
    format: OutputFormat,
    /// Evidence labels (paths) by evidence index.
    labels: Vec<String>,
    out: BufWriter<Stdout>,
    csv: Option<csv::Writer<BufWriter<Stdout>>>,
    table_rows: Vec<Connection>,
    connections_seen: u64,
    /// The first write error; later rows are dropped (e.g. the reader of a pipe went away).
    error: Option<io::Error>,
}

impl ConnectionView {
    pub fn new(format: OutputFormat) -> Self {
        let (csv, error) = match format {
            OutputFormat::Csv => match csv_rows::writer(BufWriter::new(io::stdout())) {
                Ok(writer) => (Some(writer), None),
                Err(error) => (None, Some(error)),
            },
            _ => (None, None),
        };
        ConnectionView {
            format,
            labels: Vec::new(),
            out: BufWriter::with_capacity(1 << 16, io::stdout()),
            csv,
            table_rows: Vec::new(),
            connections_seen: 0,
            error,
        }
    }

    /// The label of the next evidence the engine reads (its index is the count so far).
    pub fn add_evidence_label(&mut self, label: &str) {
        self.labels.push(label.to_string());
    }

    fn label(&self, index: u32) -> &str {
        self.labels
            .get(index as usize)
            .map(String::as_str)
            .unwrap_or("?")
    }

    pub fn push(&mut self, connection: Connection) {
        self.connections_seen += 1;
        if self.error.is_some() {
            return;
        }
        let result = match &self.format {
            OutputFormat::JsonLines => {
                let label = self.label(connection.evidence.evidence).to_string();
                json_lines::write(&mut self.out, &connection, &label)
            }
            OutputFormat::Csv => {
                let label = self.label(connection.evidence.evidence).to_string();
                match self.csv.as_mut() {
                    Some(writer) => csv_rows::write(writer, &connection, &label),
                    None => Ok(()),
                }
            }
            OutputFormat::Table { limit } => {
                let limit = *limit;
                table::keep_biggest(&mut self.table_rows, connection, limit);
                Ok(())
            }
        };
        if let Err(error) = result {
            self.error = Some(error);
        }
    }

    pub fn finish(mut self) -> io::Result<()> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        if let OutputFormat::Table { limit } = self.format {
            table::write(
                &mut self.out,
                std::mem::take(&mut self.table_rows),
                limit,
                self.connections_seen,
            )?;
        }
        if let Some(mut writer) = self.csv.take() {
            writer.flush()?;
        }
        self.out.flush()
    }
}
