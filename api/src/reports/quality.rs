//! Reporting quality: what was rejected and why, and what was kept but flagged.

use std::collections::BTreeMap;

use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use super::ReportError;

#[derive(Debug, Row, Deserialize)]
struct CountRow {
    key: String,
    n: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RejectedSummary {
    pub total: u64,
    pub by_reason: BTreeMap<String, u64>,
}

pub async fn rejected_summary(client: &Client) -> Result<RejectedSummary, ReportError> {
    let rows: Vec<CountRow> = client.query(schemas::ddl::REJECTED_BY_REASON).fetch_all().await?;
    let by_reason: BTreeMap<String, u64> = rows.into_iter().map(|r| (r.key, r.n)).collect();
    Ok(RejectedSummary { total: by_reason.values().sum(), by_reason })
}

/// Events kept in the totals but flagged for reconciliation, by flag.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reconciliation {
    pub flags: BTreeMap<String, u64>,
}

pub async fn reconciliation(client: &Client) -> Result<Reconciliation, ReportError> {
    let rows: Vec<CountRow> = client.query(schemas::ddl::RECONCILIATION).fetch_all().await?;
    Ok(Reconciliation { flags: rows.into_iter().map(|r| (r.key, r.n)).collect() })
}
