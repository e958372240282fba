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

/// One row of `upload_rejects`: a line of `POST /v1/tickets` the API refused and never sent
/// to Kafka, kept with its reason like a row of `rejected_events`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct UploadRejectRow {
    pub cinema_bin: String,
    pub upload_id: String,
    pub line: u32,
    pub received_at: u32,
    pub key_id: String,
    pub reason: String,
    pub field: String,
    pub message: String,
    pub payload_encoding: String,
    pub payload: String,
    pub payload_bytes: u32,
    pub payload_truncated: u8,
}

impl UploadRejectRow {
    /// The line as the rejected store would keep it (same payload encoding and limits).
    pub fn new(
        r: &crate::reject::Rejection,
        cinema_bin: &str,
        upload_id: &str,
        line: u32,
        key_id: &str,
        payload: &[u8],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let origin = super::rejected::Origin {
            topic: String::new(),
            partition: -1,
            offset: i64::from(line),
        };
        let kept = super::rejected::RejectedRow::new(r, &origin, None, payload, at);
        Self {
            cinema_bin: cinema_bin.to_owned(),
            upload_id: upload_id.to_owned(),
            line,
            received_at: kept.received_at,
            key_id: key_id.to_owned(),
            reason: kept.reason,
            field: kept.field,
            message: kept.message,
            payload_encoding: kept.payload_encoding,
            payload: kept.payload,
            payload_bytes: kept.payload_bytes,
            payload_truncated: kept.payload_truncated,
        }
    }
}
