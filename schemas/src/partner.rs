//! Online ticket sellers' own records (contract `ekino.partner/1`): a second source for the
//! tickets a cinema reports through channel `partner`. A registered seller (a *partner*,
//! `registry::Partner`) sends each order it sold or refunded, on the topic
//! `kafka.partner_topic` keyed by its partner id, or through `POST /v1/partner/sales`.
//!
//! # Semantics
//! An order is (partner, `order_id`, `type`): a sale and its refund are two records. One
//! order counts once: a re-send is the same row (`partner_sales` keeps the first judgement).
//! A record's tickets count at its screening's box-office day (the local date of
//! `show_start`), signed like ticket rows: + for a sale, − for a refund. Decoding is
//! stateless, so a replay gives the same verdict.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::contract::{object, required, string, text, timestamp};

use crate::ids::Bin;
use crate::money::Kzt;
use crate::reject::{RejectReason as R, Rejection};

/// The contract of a partner's record.
pub const PARTNER_SCHEMA_ID: &str = "ekino.partner/1";

/// The longest a record may be, in bytes.
pub const MAX_RECORD_BYTES: usize = 4 * 1024;

/// Most tickets one order may hold.
pub const MAX_TICKETS: u32 = 1_000;

/// The fields of `ekino.partner/1`, all required.
pub const FIELDS: [&str; 11] = [
    "schema",
    "partner_id",
    "order_id",
    "type",
    "cinema_bin",
    "screening_id",
    "show_start",
    "tickets",
    "gross",
    "currency",
    "occurred_at",
];

/// A partner's id as the ministry registers it: 1–32 letters, digits, `-` or `_`.
pub fn partner_id(s: &str) -> Result<&str, String> {
    let ok = (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(s)
    } else {
        Err(format!(
            "must be 1 to 32 letters, digits, '-' or '_', got {s:?}"
        ))
    }
}

/// A valid record of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerRecord {
    pub partner_id: String,
    pub order_id: String,
    pub refund: bool,
    pub cinema_bin: Bin,
    pub screening_id: String,
    pub show_start: DateTime<Utc>,
    pub tickets: u32,
    /// What the buyer paid (a refund: what was returned), VAT included.
    pub gross: Kzt,
    pub occurred_at: DateTime<Utc>,
}

impl PartnerRecord {
    /// The box-office day of the screening.
    pub fn day(&self) -> NaiveDate {
        crate::time::box_office_day(self.show_start)
    }

    pub fn to_json(&self) -> Value {
        let t = crate::event::wire::rfc3339_kz;
        serde_json::json!({
            "schema": PARTNER_SCHEMA_ID, "partner_id": self.partner_id, "order_id": self.order_id,
            "type": if self.refund { "refund" } else { "sale" },
            "cinema_bin": self.cinema_bin.as_str(), "screening_id": self.screening_id,
            "show_start": t(self.show_start), "tickets": self.tickets,
            "gross": self.gross.to_string(), "currency": "KZT", "occurred_at": t(self.occurred_at),
        })
    }
}

/// Decodes one record; a refusal names the field and the reason.
pub fn decode(bytes: &[u8]) -> Result<PartnerRecord, Rejection> {
    let map = object(bytes, MAX_RECORD_BYTES, PARTNER_SCHEMA_ID, &FIELDS)?;
    let partner = partner_id(string(&map, "partner_id")?)
        .map_err(|e| Rejection::field(R::InvalidText, "partner_id", e))?
        .to_owned();
    let order_id = text(&map, "order_id", 64)?;
    let refund = match string(&map, "type")? {
        "sale" => false,
        "refund" => true,
        _ => {
            return Err(Rejection::field(
                R::InvalidType,
                "type",
                "must be sale or refund",
            ))
        }
    };
    let cinema_bin = Bin::parse(string(&map, "cinema_bin")?)
        .map_err(|e| Rejection::field(R::InvalidBin, "cinema_bin", e))?;
    let screening_id = text(&map, "screening_id", 64)?;
    let show_start = timestamp(&map, "show_start")?;
    let tickets = match required(&map, "tickets")?.as_u64() {
        Some(n) if (1..=u64::from(MAX_TICKETS)).contains(&n) => {
            u32::try_from(n).unwrap_or(MAX_TICKETS)
        }
        _ => {
            return Err(Rejection::field(
                R::InvalidTickets,
                "tickets",
                format!("must be a whole number from 1 to {MAX_TICKETS}"),
            ))
        }
    };
    let gross = Kzt::parse(string(&map, "gross")?)
        .map_err(|e| Rejection::field(R::InvalidPrice, "gross", e))?;
    let per_ticket_max = crate::event::MAX_PRICE.tiyn() * i64::from(tickets);
    if gross.tiyn() > per_ticket_max {
        return Err(Rejection::field(
            R::InvalidPrice,
            "gross",
            format!("is more than {} a ticket", crate::event::MAX_PRICE),
        ));
    }
    if string(&map, "currency")? != "KZT" {
        return Err(Rejection::field(
            R::UnsupportedCurrency,
            "currency",
            "must be KZT",
        ));
    }
    let occurred_at = timestamp(&map, "occurred_at")?;
    Ok(PartnerRecord {
        partner_id: partner,
        order_id,
        refund,
        cinema_bin,
        screening_id,
        show_start,
        tickets,
        gross,
        occurred_at,
    })
}

/// One row of `partner_sales`.
#[cfg(feature = "storage")]
#[derive(Debug, Clone, PartialEq, Eq, clickhouse::Row, serde::Serialize, serde::Deserialize)]
pub struct PartnerSaleRow {
    pub partner_id: String,
    pub order_id: String,
    /// 1 sale, 2 refund.
    pub record_type: i8,
    pub cinema_bin: String,
    pub day: u16,
    pub screening_id: String,
    pub show_start: u32,
    /// Signed: + for a sale, − for a refund.
    pub tickets: i32,
    pub gross_tiyn: i64,
    pub occurred_at: u32,
    pub arrived_at: u32,
    pub kafka_topic: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub ingested_at: u32,
    /// `u32::MAX - ingested_at`: the first judgement's row is the one kept.
    pub first_judged: u32,
}

#[cfg(feature = "storage")]
impl PartnerSaleRow {
    pub fn new(
        r: &PartnerRecord,
        origin: &crate::storage::Origin,
        arrived_at: DateTime<Utc>,
        ingested_at: DateTime<Utc>,
    ) -> Self {
        use crate::time::secs;
        let sign = if r.refund { -1 } else { 1 };
        Self {
            partner_id: r.partner_id.clone(),
            order_id: r.order_id.clone(),
            record_type: if r.refund { 2 } else { 1 },
            cinema_bin: r.cinema_bin.to_string(),
            day: crate::time::days_since_epoch(r.day()),
            screening_id: r.screening_id.clone(),
            show_start: secs(r.show_start),
            tickets: sign * i32::try_from(r.tickets).unwrap_or(i32::MAX),
            gross_tiyn: i64::from(sign) * r.gross.tiyn(),
            occurred_at: secs(r.occurred_at),
            arrived_at: secs(arrived_at),
            kafka_topic: origin.topic.clone(),
            kafka_partition: origin.partition,
            kafka_offset: origin.offset,
            ingested_at: secs(ingested_at),
            first_judged: u32::MAX - secs(ingested_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> Value {
        json!({
            "schema": "ekino.partner/1", "partner_id": "TICKETON", "order_id": "A-1",
            "type": "sale", "cinema_bin": "000000000010", "screening_id": "S-1",
            "show_start": "2026-11-20T19:00:00+05:00", "tickets": 3, "gross": "7500.00",
            "currency": "KZT", "occurred_at": "2026-11-19T10:00:00+05:00"
        })
    }

    fn with(field: &str, value: Value) -> Value {
        let mut v = valid();
        v[field] = value;
        v
    }

    #[test]
    fn a_record_decodes_signed_at_its_screening_day() {
        let r = decode(valid().to_string().as_bytes()).unwrap();
        assert_eq!((r.tickets, r.gross.tiyn(), r.refund), (3, 750_000, false));
        assert_eq!(decode(r.to_json().to_string().as_bytes()).unwrap(), r);
        let refund = decode(with("type", json!("refund")).to_string().as_bytes()).unwrap();
        let origin = crate::storage::Origin {
            topic: "t".into(),
            partition: 0,
            offset: 1,
        };
        let row = PartnerSaleRow::new(&refund, &origin, Utc::now(), Utc::now());
        assert_eq!(
            (row.tickets, row.gross_tiyn, row.record_type),
            (-3, -750_000, 2)
        );
        assert_eq!(schemas_day(row.day), "2026-11-20");
    }

    fn schemas_day(d: u16) -> String {
        crate::time::date_from_days(d).to_string()
    }

    #[test]
    fn every_refusal_names_its_field_and_reason() {
        let cases: Vec<(Value, &str, Option<&str>)> = vec![
            (with("extra", json!(1)), "unknown_field", Some("extra")),
            (
                with("schema", json!("ekino.session/1")),
                "unsupported_schema",
                Some("schema"),
            ),
            (
                with("partner_id", json!("has space")),
                "invalid_text",
                Some("partner_id"),
            ),
            (
                with("order_id", json!("")),
                "invalid_text",
                Some("order_id"),
            ),
            (with("type", json!("void")), "invalid_type", Some("type")),
            (
                with("cinema_bin", json!("123")),
                "invalid_bin",
                Some("cinema_bin"),
            ),
            (
                with("show_start", json!("tomorrow")),
                "invalid_timestamp",
                Some("show_start"),
            ),
            (
                with("tickets", json!(0)),
                "invalid_tickets",
                Some("tickets"),
            ),
            (
                with("tickets", json!(1001)),
                "invalid_tickets",
                Some("tickets"),
            ),
            (with("gross", json!("-1")), "invalid_price", Some("gross")),
            (
                with("gross", json!("3000000.01")),
                "invalid_price",
                Some("gross"),
            ),
            (
                with("currency", json!("USD")),
                "unsupported_currency",
                Some("currency"),
            ),
            (
                with("occurred_at", Value::Null),
                "missing_field",
                Some("occurred_at"),
            ),
        ];
        for (v, code, field) in cases {
            let r = decode(v.to_string().as_bytes()).unwrap_err();
            assert_eq!((r.reason.code(), r.field.as_deref()), (code, field), "{v}");
        }
    }

    #[test]
    fn the_json_schema_requires_exactly_the_contract_fields() {
        let schema: Value =
            serde_json::from_str(include_str!("../partner-record.schema.json")).unwrap();
        let mut required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        required.sort_unstable();
        let mut fields = FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(required, fields);
        assert_eq!(
            schema["properties"]["schema"]["const"],
            json!(PARTNER_SCHEMA_ID)
        );
    }
}
