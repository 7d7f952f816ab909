//! The supplier catalog: organisations, ownership chains, products, and attribution.
