//! The ekino read side: report queries over ClickHouse (shared by the CLI and the HTTP API).

pub mod reports;
