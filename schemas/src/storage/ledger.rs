//! Rows of the integrity tables: voids and corrections to closed days (a refund waiting for
//! its sale is kept as a [`super::TicketRow`] in `pending_refunds`). Column layout = `sql/002_integrity.sql`.

use clickhouse::Row;
use serde::{Deserialize, Serialize};

/// One row of `event_voids`: an accepted void, with the group of the event it took out.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct VoidRow {
    pub cinema_bin: String,
    pub event_id: String,
    pub voids: String,
    pub reason: String,
    pub occurred_at: u32,
    pub arrived_at: u32,
    /// The voided event's box-office day and film (its aggregate group).
    pub target_day: u16,
    pub target_film: String,
    pub fingerprint: u64,
    pub kafka_topic: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub backfill: u8,
}

/// One row of `corrections`: an accepted event that arrived after its group's day had
/// closed, with the change it made. A corrected group lists these.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct CorrectionRow {
    pub day: u16,
    pub cinema_bin: String,
    pub film_id: String,
    pub event_id: String,
    /// `sale`, `refund`, or `void`.
    pub kind: String,
    pub d_admissions: i64,
    pub d_gross_tiyn: i64,
    pub d_net_tiyn: i64,
    pub arrived_at: u32,
    pub kafka_topic: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
}
