//! Invalid events on purpose: each corruption breaks one rule of the contract and names the
//! reason code the ingest must give it, so a test can check every reason end to end.

use chrono::{DateTime, Duration, Utc};
use schemas::RejectReason as R;
use serde_json::{json, Value};

/// The corruptions, in the order the simulator cycles through them.
pub const KINDS: &[R] = &[
    R::Malformed,
    R::TooLarge,
    R::UnknownField,
    R::MissingField,
    R::UnsupportedSchema,
    R::InvalidEventId,
    R::InvalidType,
    R::InvalidBin,
    R::InvalidText,
    R::InvalidTimestamp,
    R::FutureTimestamp,
    R::InvalidPrice,
    R::UnsupportedCurrency,
    R::InvalidVatRate,
    R::InvalidSeat,
    R::InvalidChannel,
    R::InvalidTicketType,
    R::RefundLink,
    R::ImplausibleShowStart,
    R::StaleTimestamp,
];

/// Breaks a valid event's JSON so that it is refused with `reason`.
pub fn corrupt(valid_json: &str, reason: R, now: DateTime<Utc>) -> Vec<u8> {
    let mut v: Value = serde_json::from_str(valid_json).expect("simulator json is valid");
    let o = v.as_object_mut().expect("event is an object");
    match reason {
        R::Malformed => return valid_json.as_bytes()[..valid_json.len() / 2].to_vec(),
        R::TooLarge => {
            o.insert(
                "hall".into(),
                json!("x".repeat(schemas::event::MAX_EVENT_BYTES)),
            );
        }
        R::UnknownField => {
            o.insert("prise".into(), json!("2500"));
        }
        R::MissingField => {
            o.remove("price");
        }
        R::UnsupportedSchema => {
            o.insert("schema".into(), json!("ekino.ticket/0"));
        }
        R::InvalidEventId => {
            o.insert("event_id".into(), json!("not-a-uuid"));
        }
        R::InvalidType => {
            o.insert("type".into(), json!("exchange"));
        }
        R::InvalidBin => {
            let bin = o["cinema_bin"].as_str().expect("bin").to_owned();
            let last = bin.as_bytes()[11] - b'0';
            o.insert(
                "cinema_bin".into(),
                json!(format!("{}{}", &bin[..11], (last + 1) % 10)),
            );
        }
        R::InvalidText => {
            o.insert("hall".into(), json!(""));
        }
        R::InvalidTimestamp => {
            o.insert("show_start".into(), json!("tomorrow evening"));
        }
        R::FutureTimestamp => {
            let t = schemas::event::wire::rfc3339_kz(now + Duration::days(2));
            o.insert("occurred_at".into(), json!(t));
        }
        R::InvalidPrice => {
            o.insert("price".into(), json!("-100"));
        }
        R::UnsupportedCurrency => {
            o.insert("currency".into(), json!("USD"));
        }
        R::InvalidVatRate => {
            o.insert("vat_rate".into(), json!("16"));
        }
        R::InvalidSeat => {
            o.insert("seat".into(), json!({"row": "", "number": "1"}));
        }
        R::InvalidChannel => {
            o.insert("channel".into(), json!("telegram"));
        }
        R::InvalidTicketType => {
            o.insert("ticket_type".into(), json!("vip"));
        }
        R::RefundLink => {
            o.insert("type".into(), json!("sale"));
            o.insert(
                "refund_of".into(),
                json!("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
            );
        }
        R::ImplausibleShowStart => {
            let t = schemas::event::wire::rfc3339_kz(now + Duration::days(400));
            o.insert("show_start".into(), json!(t));
        }
        R::StaleTimestamp => {
            let t = schemas::event::wire::rfc3339_kz(now - Duration::days(500));
            o.insert("occurred_at".into(), json!(t));
            o.insert("show_start".into(), json!(t));
        }
        other => unreachable!(
            "{other} is decided by ingest against its state, not by corrupting one message"
        ),
    }
    serde_json::to_vec(&v).expect("json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use rand::SeedableRng;

    #[test]
    fn every_corruption_gets_its_reason() {
        let now = Utc::now();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let day = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        let market = super::super::model::Market::generate(&mut rng, day, 1);
        let e = super::super::traffic::day_events(&mut rng, &market, day, now).remove(0);
        let json = e.to_json();
        for &kind in KINDS {
            let r = schemas::event::decode(&corrupt(&json, kind, now), now)
                .expect_err("must be refused");
            assert_eq!(r.reason, kind, "{}", r.message);
        }
        let covered: std::collections::HashSet<_> = KINDS.iter().collect();
        let decode_reasons = R::ALL.iter().filter(|r| r.is_decode()).count();
        assert_eq!(
            covered.len(),
            decode_reasons,
            "every reason a single message can earn has a corruption"
        );
    }
}
