//! Where a message came from in Kafka, and a message refused with its reason: kept whole (up
//! to [`MAX_STORED_PAYLOAD`]) in `rejected_events`, never dropped.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use clickhouse::Row;
use serde::{Deserialize, Serialize};

use crate::reject::Rejection;
use crate::time::secs;

/// Where a message came from in Kafka. `partition`/`offset` are the message's own position
/// (not the "next offset to read" that a consumer commits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// How much of a refused message the rejected store keeps.
pub const MAX_STORED_PAYLOAD: usize = 64 * 1024;

/// One row of `rejected_events`: a refused message, kept with its reason and position.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct RejectedRow {
    pub kafka_topic: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub kafka_key: String,
    pub received_at: u32,
    pub reason: String,
    pub field: String,
    pub message: String,
    /// `utf8` or `base64` (bytes that were not UTF-8 are kept exactly, encoded).
    pub payload_encoding: String,
    pub payload: String,
    pub payload_bytes: u32,
    pub payload_truncated: u8,
}

impl RejectedRow {
    pub fn new(
        r: &Rejection,
        origin: &Origin,
        key: Option<&[u8]>,
        payload: &[u8],
        received_at: DateTime<Utc>,
    ) -> Self {
        let kept = &payload[..payload.len().min(MAX_STORED_PAYLOAD)];
        let (payload_encoding, stored) = match std::str::from_utf8(kept) {
            Ok(s) => ("utf8", s.to_owned()),
            // A cut inside a multi-byte character is still text: keep the valid prefix.
            Err(e) if e.error_len().is_none() && payload.len() > MAX_STORED_PAYLOAD => (
                "utf8",
                String::from_utf8_lossy(&kept[..e.valid_up_to()]).into_owned(),
            ),
            Err(_) => (
                "base64",
                base64::engine::general_purpose::STANDARD.encode(kept),
            ),
        };
        Self {
            kafka_topic: origin.topic.clone(),
            kafka_partition: origin.partition,
            kafka_offset: origin.offset,
            kafka_key: key
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .unwrap_or_default(),
            received_at: secs(received_at),
            reason: r.reason.code().to_owned(),
            field: r.field.clone().unwrap_or_default(),
            message: r.message.clone(),
            payload_encoding: payload_encoding.to_owned(),
            payload: stored,
            payload_bytes: u32::try_from(payload.len()).unwrap_or(u32::MAX),
            payload_truncated: u8::from(payload.len() > MAX_STORED_PAYLOAD),
        }
    }

    pub fn approx_bytes(&self) -> usize {
        64 + self.kafka_topic.len()
            + self.kafka_key.len()
            + self.reason.len()
            + self.field.len()
            + self.message.len()
            + self.payload.len()
    }
}
