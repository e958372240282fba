//! The partner topic (`kafka.partner_topic`) → `partner_sales`: online sellers' own records
//! (contract `ekino.partner/1`, `schemas::partner`), a side topic (`side`) consumed in the
//! group `<group_id>.partners`. A message whose key is not its `partner_id` is
//! `foreign_partner`. Whether the partner is registered is not ingest's to know (it never
//! reads the registry): the signals read only registered partners' records.

use chrono::{DateTime, Utc};
use schemas::partner::{self, PartnerSaleRow};
use schemas::reject::{RejectReason, Rejection};
use schemas::storage::Origin;

use crate::side::{self, Contract, Judged};

/// The partner topic's contract.
pub struct PartnerSales;

impl Contract for PartnerSales {
    type Row = PartnerSaleRow;
    const NAME: &'static str = "partner sales";
    const TABLE: &'static str = "partner_sales";

    fn judge(
        origin: &Origin,
        key: Option<&[u8]>,
        payload: &[u8],
        arrived: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Judged<PartnerSaleRow> {
        let verdict = partner::decode(payload).and_then(|p| {
            if key.is_some_and(|k| k != p.partner_id.as_bytes()) {
                Err(Rejection::field(
                    RejectReason::ForeignPartner,
                    "partner_id",
                    "is not the message key's partner",
                ))
            } else {
                Ok(PartnerSaleRow::new(&p, origin, arrived, now))
            }
        });
        side::judged(origin, key, payload, now, verdict)
    }

    fn kept(row: &PartnerSaleRow) -> (Origin, String, String) {
        let payload = serde_json::json!({
            "partner_id": row.partner_id, "order_id": row.order_id,
            "cinema_bin": row.cinema_bin, "screening_id": row.screening_id,
        })
        .to_string();
        (
            side::origin(&row.kafka_topic, row.kafka_partition, row.kafka_offset),
            row.partner_id.clone(),
            payload,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"{"schema":"ekino.partner/1","partner_id":"TICKETON","order_id":"A-1","type":"sale","cinema_bin":"000000000010","screening_id":"S-1","show_start":"2026-11-20T19:00:00+05:00","tickets":2,"gross":"5000.00","currency":"KZT","occurred_at":"2026-11-19T10:00:00+05:00"}"#;

    fn origin() -> Origin {
        Origin {
            topic: "ekino.partner_sales".into(),
            partition: 0,
            offset: 3,
        }
    }

    #[test]
    fn a_record_keyed_by_its_partner_is_stored_and_another_key_is_foreign() {
        let now = Utc::now();
        assert!(matches!(
            PartnerSales::judge(&origin(), Some(b"TICKETON"), VALID.as_bytes(), now, now),
            Judged::Stored(r) if r.tickets == 2 && r.gross_tiyn == 500_000
        ));
        let Judged::Refused(r) =
            PartnerSales::judge(&origin(), Some(b"KASSA"), VALID.as_bytes(), now, now)
        else {
            panic!("another partner's key was accepted")
        };
        assert_eq!(
            (r.reason.as_str(), r.field.as_str()),
            ("foreign_partner", "partner_id")
        );
    }
}
