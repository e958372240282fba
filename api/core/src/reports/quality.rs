//! Reporting quality: what was rejected and why, and what was kept but flagged.

use std::collections::BTreeMap;

use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use super::error::ReportError;

#[derive(Debug, Row, Deserialize)]
struct CountRow {
    key: String,
    n: u64,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RejectedSummary {
    pub total: u64,
    pub by_reason: BTreeMap<String, u64>,
}

pub async fn rejected_summary(client: &Client) -> Result<RejectedSummary, ReportError> {
    let rows: Vec<CountRow> = client
        .query(schemas::ddl::REJECTED_BY_REASON)
        .fetch_all()
        .await?;
    let by_reason: BTreeMap<String, u64> = rows.into_iter().map(|r| (r.key, r.n)).collect();
    Ok(RejectedSummary {
        total: by_reason.values().sum(),
        by_reason,
    })
}

/// Events kept but flagged for reconciliation, by flag, and the refunds waiting for their
/// sale (the newest 1,000).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Reconciliation {
    pub flags: BTreeMap<String, u64>,
    pub pending_refunds: Vec<PendingRefund>,
}

#[derive(Debug, Row, Deserialize)]
struct PendingRow {
    cinema_bin: String,
    event_id: String,
    refund_of: String,
    film_id: String,
    day: String,
    price_tiyn: i64,
    arrived_at: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PendingRefund {
    pub cinema_bin: String,
    pub event_id: String,
    pub refund_of: String,
    pub film_id: String,
    pub day: String,
    pub amount: schemas::Kzt,
    pub arrived_at: String,
}

pub async fn reconciliation(client: &Client, app: &str) -> Result<Reconciliation, ReportError> {
    let rows: Vec<CountRow> = client
        .query(&schemas::ddl::reconciliation(app))
        .fetch_all()
        .await?;
    let pending: Vec<PendingRow> = client
        .query(schemas::ddl::PENDING_REFUNDS)
        .bind(1000u64)
        .fetch_all()
        .await?;
    let kz = schemas::time::kz_offset();
    Ok(Reconciliation {
        flags: rows.into_iter().map(|r| (r.key, r.n)).collect(),
        pending_refunds: pending
            .into_iter()
            .map(|p| PendingRefund {
                cinema_bin: p.cinema_bin,
                event_id: p.event_id,
                refund_of: p.refund_of,
                film_id: p.film_id,
                day: p.day,
                amount: schemas::Kzt::from_tiyn(p.price_tiyn),
                arrived_at: chrono::DateTime::from_timestamp(i64::from(p.arrived_at), 0)
                    .unwrap_or_default()
                    .with_timezone(&kz)
                    .to_rfc3339(),
            })
            .collect(),
    })
}
