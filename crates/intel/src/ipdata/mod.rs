//! IP data sources: installation, MMDB and CSV readers, and destinations with every answer.
