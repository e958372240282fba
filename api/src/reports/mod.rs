//! Report queries. Plain async functions over a ClickHouse client: no HTTP, no CLI types.
//! Every figure comes from the deduplicated raw rows (`FINAL`), so a report equals the sum
//! of the events it covers, to the tiyn.

mod box_office;
mod quality;

pub use box_office::{box_office, BoxOfficeQuery, BoxOfficeReport, BoxOfficeRow, Totals};
pub use quality::{reconciliation, rejected_summary, Reconciliation, RejectedSummary};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("query failed: {0}")]
    Query(#[from] clickhouse::error::Error),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("sum overflowed")]
    Overflow,
}
