//! Storage rows: the exact column layout of the ClickHouse tables in `sql/001_tables.sql`.
//!
//! Money is integer tiyn. Signed columns (`qty`, `gross_tiyn`, `net_tiyn`) carry the sign of
//! the event (+ for a sale, − for a refund), so every total is a plain `sum` over
//! deduplicated rows. Timestamps are UTC seconds (`DateTime`), `day` is days since epoch.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use clickhouse::Row;
use serde::{Deserialize, Serialize};

use crate::event::TicketEvent;
use crate::reject::Rejection;
use crate::time::days_since_epoch;

/// Where a message came from in Kafka. `partition`/`offset` are the message's own position
/// (not the "next offset to read" that a consumer commits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// One row of `ticket_events`.
#[derive(Debug, Clone, PartialEq, Eq, Row, Serialize, Deserialize)]
pub struct TicketRow {
    pub event_id: String,
    pub event_type: i8,
    pub cinema_bin: String,
    pub hall: String,
    pub screening_id: String,
    pub film_id: String,
    pub day: u16,
    pub show_start: u32,
    pub occurred_at: u32,
    pub price_tiyn: i64,
    pub vat_rate_x10000: u32,
    pub qty: i8,
    pub gross_tiyn: i64,
    pub net_tiyn: i64,
    pub seat_row: String,
    pub seat_number: String,
    pub channel: i8,
    pub ticket_type: i8,
    pub refund_of: String,
    pub kafka_topic: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub ingested_at: u32,
}

fn secs(t: DateTime<Utc>) -> u32 {
    u32::try_from(t.timestamp()).unwrap_or(0)
}

impl TicketRow {
    pub fn from_event(e: &TicketEvent, origin: &Origin, ingested_at: DateTime<Utc>) -> Self {
        Self::from_owned_event(e.clone(), origin, ingested_at)
    }

    /// As [`Self::from_event`], moving the event's strings instead of copying them (ingest's
    /// per-event path).
    pub fn from_owned_event(e: TicketEvent, origin: &Origin, ingested_at: DateTime<Utc>) -> Self {
        let qty = e.admissions_delta();
        let net = e.net_price();
        let day = days_since_epoch(e.day());
        let (seat_row, seat_number) = e.seat.map(|s| (s.row, s.number)).unwrap_or_default();
        Self {
            event_id: e.event_id.to_string(),
            event_type: e.event_type.to_i8(),
            cinema_bin: e.cinema_bin.into(),
            hall: e.hall,
            screening_id: e.screening_id,
            film_id: e.film_id.into(),
            day,
            show_start: secs(e.show_start),
            occurred_at: secs(e.occurred_at),
            price_tiyn: e.price.tiyn(),
            vat_rate_x10000: e.vat_rate.units(),
            qty: qty as i8,
            gross_tiyn: qty * e.price.tiyn(),
            net_tiyn: qty * net.tiyn(),
            seat_row,
            seat_number,
            channel: e.channel.to_i8(),
            ticket_type: e.ticket_type.to_i8(),
            refund_of: e.refund_of.map(|r| r.to_string()).unwrap_or_default(),
            kafka_topic: origin.topic.clone(),
            kafka_partition: origin.partition,
            kafka_offset: origin.offset,
            ingested_at: secs(ingested_at),
        }
    }

    /// Approximate encoded size, for batch byte limits.
    pub fn approx_bytes(&self) -> usize {
        120 + self.event_id.len()
            + self.cinema_bin.len()
            + self.hall.len()
            + self.screening_id.len()
            + self.film_id.len()
            + self.seat_row.len()
            + self.seat_number.len()
            + self.refund_of.len()
            + self.kafka_topic.len()
    }
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
    pub fn new(r: &Rejection, origin: &Origin, key: Option<&[u8]>, payload: &[u8], received_at: DateTime<Utc>) -> Self {
        let kept = &payload[..payload.len().min(MAX_STORED_PAYLOAD)];
        let (payload_encoding, stored) = match std::str::from_utf8(kept) {
            Ok(s) => ("utf8", s.to_owned()),
            // A cut inside a multi-byte character is still text: keep the valid prefix.
            Err(e) if e.error_len().is_none() && payload.len() > MAX_STORED_PAYLOAD => {
                ("utf8", String::from_utf8_lossy(&kept[..e.valid_up_to()]).into_owned())
            }
            Err(_) => ("base64", base64::engine::general_purpose::STANDARD.encode(kept)),
        };
        Self {
            kafka_topic: origin.topic.clone(),
            kafka_partition: origin.partition,
            kafka_offset: origin.offset,
            kafka_key: key.map(|k| String::from_utf8_lossy(k).into_owned()).unwrap_or_default(),
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
        64 + self.kafka_topic.len() + self.kafka_key.len() + self.reason.len() + self.field.len() + self.message.len() + self.payload.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reject::RejectReason;

    fn origin() -> Origin {
        Origin { topic: "t".into(), partition: 0, offset: 7 }
    }

    #[test]
    fn binary_payload_is_kept_exactly() {
        let r = Rejection::new(RejectReason::Malformed, None, "x");
        let row = RejectedRow::new(&r, &origin(), None, &[0xff, 0x00, 0x41], Utc::now());
        assert_eq!(row.payload_encoding, "base64");
        let back = base64::engine::general_purpose::STANDARD.decode(row.payload).unwrap();
        assert_eq!(back, vec![0xff, 0x00, 0x41]);
    }

    #[test]
    fn large_payload_is_truncated_and_marked() {
        let r = Rejection::new(RejectReason::TooLarge, None, "x");
        let big = vec![b'a'; MAX_STORED_PAYLOAD + 10];
        let row = RejectedRow::new(&r, &origin(), Some(b"k"), &big, Utc::now());
        assert_eq!((row.payload.len(), row.payload_bytes, row.payload_truncated), (MAX_STORED_PAYLOAD, big.len() as u32, 1));
    }
}
