//! The rows of `cases` and `case_steps`, and their reads. A case row is written once, when it
//! is opened; each step is a row of its own (`seq` orders them: microseconds when written).

use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use crate::reports::ReportError;

#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct CaseRow {
    pub case_id: String,
    pub cinema_bin: String,
    pub opened_at: u32,
    pub opened_by: String,
    /// JSON array of [`super::rules::CaseSignal`].
    pub signals: String,
    pub unreported_gross_tiyn: i64,
    pub withheld_rentals_tiyn: i64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct StepRow {
    pub case_id: String,
    pub cinema_bin: String,
    pub seq: u64,
    pub at: u32,
    /// The key's label (or `key:<id>`): who took the step.
    pub author: String,
    pub role: String,
    pub step: String,
    /// A notice's language (`kk` or `ru`); empty for other steps.
    pub lang: String,
    pub text: String,
    /// A decision's code (a ladder step or `none`); empty for other steps.
    pub decision: String,
    /// A fine's amount, when the decision names one; 0 otherwise.
    pub amount_tiyn: i64,
}

fn timeout(ms: u64) -> std::time::Duration {
    std::time::Duration::from_millis(ms.max(1_000))
}

pub async fn insert_case(ch: &Client, row: &CaseRow, timeout_ms: u64) -> Result<(), ReportError> {
    ingest::clickhouse_store::insert_rows(
        ch,
        "cases",
        std::slice::from_ref(row),
        timeout(timeout_ms),
    )
    .await?;
    Ok(())
}

pub async fn insert_step(ch: &Client, row: &StepRow, timeout_ms: u64) -> Result<(), ReportError> {
    ingest::clickhouse_store::insert_rows(
        ch,
        "case_steps",
        std::slice::from_ref(row),
        timeout(timeout_ms),
    )
    .await?;
    Ok(())
}

/// One case, if it exists.
pub async fn case(ch: &Client, app_db: &str, id: &str) -> Result<Option<CaseRow>, ReportError> {
    let sql = format!("SELECT ?fields FROM {app_db}.cases FINAL WHERE case_id = ? LIMIT 1");
    Ok(ch.query(&sql).bind(id).fetch_optional::<CaseRow>().await?)
}

/// The cases opened on `cinema` (every cinema's when `None`), newest first.
pub async fn cases(
    ch: &Client,
    app_db: &str,
    cinema: Option<&str>,
) -> Result<Vec<CaseRow>, ReportError> {
    let mut sql = format!("SELECT ?fields FROM {app_db}.cases FINAL");
    if cinema.is_some() {
        sql.push_str(" WHERE cinema_bin = ?");
    }
    sql.push_str(" ORDER BY opened_at DESC, case_id");
    let mut q = ch.query(&sql);
    if let Some(c) = cinema {
        q = q.bind(c);
    }
    Ok(q.fetch_all::<CaseRow>().await?)
}

/// The steps of the cases of `cinema` (every cinema's when `None`), or of one case, in order.
pub async fn steps(
    ch: &Client,
    app_db: &str,
    cinema: Option<&str>,
    case_id: Option<&str>,
) -> Result<Vec<StepRow>, ReportError> {
    let mut sql = format!("SELECT ?fields FROM {app_db}.case_steps FINAL WHERE 1");
    if cinema.is_some() {
        sql.push_str(" AND cinema_bin = ?");
    }
    if case_id.is_some() {
        sql.push_str(" AND case_id = ?");
    }
    sql.push_str(" ORDER BY case_id, seq");
    let mut q = ch.query(&sql);
    if let Some(c) = cinema {
        q = q.bind(c);
    }
    if let Some(c) = case_id {
        q = q.bind(c);
    }
    Ok(q.fetch_all::<StepRow>().await?)
}
