//! What a report query can fail with; `ApiError` says what status each is.

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("query failed: {0}")]
    Query(#[from] clickhouse::error::Error),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// Well-formed, but the data do not allow the answer (a region with too few cinemas).
    #[error("{field}: {reason}")]
    Unprocessable { field: &'static str, reason: String },
    #[error("sum overflowed")]
    Overflow,
}
