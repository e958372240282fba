//! Storage rows: the exact column layout of the ClickHouse tables in `sql/001_tables.sql`.
//!
//! Money is integer tiyn. Signed columns (`qty`, `gross_tiyn`, `net_tiyn`) carry the sign of
//! the event (+ for a sale, − for a refund), so every total is a plain `sum` over
//! deduplicated rows. Timestamps are UTC seconds (`DateTime`), `day` is days since epoch.

use chrono::{DateTime, Utc};
use clickhouse::Row;
use serde::{Deserialize, Serialize};

use crate::event::TicketEvent;
use crate::time::{days_since_epoch, secs};

mod ledger;
mod rejected;
pub use ledger::{CorrectionRow, UploadRejectRow, VoidRow};
pub use rejected::{Origin, RejectedRow, MAX_STORED_PAYLOAD};

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
    /// The row's version (`ReplacingMergeTree(ingested_at)`): the arrival for a live row; for
    /// a voided row, later than the row it replaces.
    pub ingested_at: u32,
    /// When ingest first stored the event; reused on replay, so a verdict never changes.
    pub arrived_at: u32,
    /// The void that took this event out of every total; empty while it counts.
    pub voided_by: String,
    /// [`crate::event::fingerprint`] of the event as sent.
    pub fingerprint: u64,
    /// 1 for history loaded by `ekino backfill`.
    pub backfill: u8,
}

impl TicketRow {
    pub fn from_event(e: &TicketEvent, origin: &Origin, ingested_at: DateTime<Utc>) -> Self {
        Self::from_owned_event(e.clone(), origin, ingested_at)
    }

    /// As [`Self::from_event`], moving the event's strings instead of copying them (ingest's
    /// per-event path).
    pub fn from_owned_event(e: TicketEvent, origin: &Origin, ingested_at: DateTime<Utc>) -> Self {
        let fingerprint = crate::event::fingerprint::of_ticket(&e);
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
            arrived_at: secs(ingested_at),
            voided_by: String::new(),
            fingerprint,
            backfill: 0,
        }
    }

    /// A refund counts against its sale: it takes the sale's day and VAT rate (the film,
    /// hall and screening were checked equal), so its net is the sale's rate applied to the
    /// amount returned.
    pub fn take_sale_terms(&mut self, day: u16, vat_rate_x10000: u32) {
        self.day = day;
        self.vat_rate_x10000 = vat_rate_x10000;
        let net = crate::money::VatRate::from_units(vat_rate_x10000)
            .net_of(crate::money::Kzt::from_tiyn(self.price_tiyn));
        self.net_tiyn = i64::from(self.qty) * net.tiyn();
    }

    /// The same row taken out of every total by `void_id`, as a newer version.
    pub fn voided(&self, void_id: &str, void_arrived_at: u32) -> Self {
        let mut r = self.clone();
        r.voided_by = void_id.to_owned();
        // Strictly newer than any copy of the live row, even a replayed one.
        r.ingested_at = void_arrived_at.max(self.arrived_at.saturating_add(1));
        r
    }

    /// The fingerprint of the event this row records, from its columns (for rows stored
    /// before fingerprints were; a refund bound to its sale must be given its own VAT rate).
    pub fn event_fingerprint(&self) -> u64 {
        use crate::event::{Channel, EventType, TicketType};
        let name = |s: Option<&'static str>| s.unwrap_or("");
        crate::event::fingerprint::of_parts(&crate::event::fingerprint::TicketParts {
            event_type: name(EventType::from_i8(self.event_type).map(EventType::as_str)),
            cinema_bin: &self.cinema_bin,
            hall: &self.hall,
            screening_id: &self.screening_id,
            film_id: &self.film_id,
            show_start: i64::from(self.show_start),
            price_tiyn: self.price_tiyn,
            vat_units: self.vat_rate_x10000,
            // A seat's parts are never empty, so ("", "") is general admission.
            seat: (!self.seat_row.is_empty())
                .then_some((self.seat_row.as_str(), self.seat_number.as_str())),
            channel: name(Channel::from_i8(self.channel).map(Channel::as_str)),
            ticket_type: name(TicketType::from_i8(self.ticket_type).map(TicketType::as_str)),
            refund_of: uuid::Uuid::parse_str(&self.refund_of)
                .ok()
                .map(|u| u.as_u128()),
        })
    }

    /// Approximate encoded size, for batch byte limits.
    pub fn approx_bytes(&self) -> usize {
        140 + self.event_id.len()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reject::RejectReason;
    use crate::reject::Rejection;
    use base64::Engine as _;

    fn origin() -> Origin {
        Origin {
            topic: "t".into(),
            partition: 0,
            offset: 7,
        }
    }

    #[test]
    fn binary_payload_is_kept_exactly() {
        let r = Rejection::new(RejectReason::Malformed, None, "x");
        let row = RejectedRow::new(&r, &origin(), None, &[0xff, 0x00, 0x41], Utc::now());
        assert_eq!(row.payload_encoding, "base64");
        let back = base64::engine::general_purpose::STANDARD
            .decode(row.payload)
            .unwrap();
        assert_eq!(back, vec![0xff, 0x00, 0x41]);
    }

    #[test]
    fn large_payload_is_truncated_and_marked() {
        let r = Rejection::new(RejectReason::TooLarge, None, "x");
        let big = vec![b'a'; MAX_STORED_PAYLOAD + 10];
        let row = RejectedRow::new(&r, &origin(), Some(b"k"), &big, Utc::now());
        assert_eq!(
            (row.payload.len(), row.payload_bytes, row.payload_truncated),
            (MAX_STORED_PAYLOAD, big.len() as u32, 1)
        );
    }
}
