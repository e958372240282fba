//! Report queries. Plain async functions over a ClickHouse client: no HTTP, no CLI types.
//! Every figure comes from the deduplicated raw rows (`FINAL`), so a report equals the sum
//! of the events it covers, to the tiyn.

mod box_office;
pub mod chart;
mod quality;
pub mod roi;
pub mod scorecard;

pub use box_office::{box_office, films_summary, BoxOfficeQuery, BoxOfficeReport, BoxOfficeRow, FilmTotals, Totals, MAX_RANGE_DAYS};
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
