//! Report queries. Plain async functions over a ClickHouse client: no HTTP, no CLI types.
//! Every ticket figure comes from the daily aggregates, which are recomputed from the
//! deduplicated raw rows (`schemas::rollup`), so a report equals the sum of the events it
//! covers, to the tiyn. Registry data comes from a [`registry::Registry`] snapshot.

mod box_office;
pub mod cache;
pub mod chart;
pub mod cinema_index;
pub mod completeness;
pub mod corrections;
mod error;
pub mod film_index;
pub mod film_run;
pub mod flags;
pub mod kpi_trend;
pub mod occupancy;
mod quality;
pub mod regions;
pub mod registry;
pub mod roi;
pub mod scorecard;
pub mod screenings;
pub mod status;
pub mod uploads;

pub use box_office::{
    box_office, films_summary, BoxOfficeQuery, BoxOfficeReport, BoxOfficeRow, FilmTotals, Totals,
    MAX_RANGE_DAYS,
};
pub use error::ReportError;
pub use quality::{reconciliation, rejected_summary, Reconciliation, RejectedSummary};
