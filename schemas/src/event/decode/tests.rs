use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::decode;
use crate::reject::RejectReason as R;
use crate::{EventType, Kzt};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T15:00:00+05:00")
        .unwrap()
        .to_utc()
}

fn valid() -> Value {
    json!({
        "schema": "ekino.ticket/1",
        "event_id": "0b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b",
        "type": "sale",
        "cinema_bin": "000000000010",
        "hall": "Зал 1",
        "screening_id": "S-2026-11-22-1",
        "film_id": "KZ-0123-2026",
        "show_start": "2026-11-22T19:30:00+05:00",
        "occurred_at": "2026-11-22T14:55:00+05:00",
        "price": "2500.00",
        "currency": "KZT",
        "vat_rate": "0.16",
        "seat": {"row": "5", "number": "12"},
        "channel": "online",
        "ticket_type": "full"
    })
}

fn with(path: &str, v: Option<Value>) -> Vec<u8> {
    let mut e = valid();
    let obj = e.as_object_mut().unwrap();
    match v {
        Some(v) => {
            obj.insert(path.to_owned(), v);
        }
        None => {
            obj.remove(path);
        }
    }
    serde_json::to_vec(&e).unwrap()
}

#[test]
fn valid_event_decodes() {
    let e = decode(&serde_json::to_vec(&valid()).unwrap(), now()).unwrap();
    assert_eq!(e.event_type, EventType::Sale);
    assert_eq!(e.price, Kzt::from_tiyn(250_000));
    assert_eq!(e.net_price(), Kzt::from_tiyn(215_517));
    assert_eq!(e.day().to_string(), "2026-11-22");
    assert_eq!(e.seat.as_ref().unwrap().number, "12");
}

#[test]
fn round_trips_through_json() {
    let e = decode(&serde_json::to_vec(&valid()).unwrap(), now()).unwrap();
    assert_eq!(decode(e.to_json().as_bytes(), now()).unwrap(), e);
}

#[test]
fn general_admission_and_null_refund_of() {
    let mut v = valid();
    v["seat"] = Value::Null;
    v["refund_of"] = Value::Null;
    let e = decode(&serde_json::to_vec(&v).unwrap(), now()).unwrap();
    assert!(e.seat.is_none());
    assert!(e.refund_of.is_none());
}

#[test]
fn refund_decodes() {
    let mut v = valid();
    v["type"] = json!("refund");
    v["refund_of"] = json!("7c9e6679-7425-40de-944b-e07fc1f90ae7");
    let e = decode(&serde_json::to_vec(&v).unwrap(), now()).unwrap();
    assert_eq!(e.admissions_delta(), -1);
}

/// A refund's rate is its sale's business (ingest's judge holds both): 12 %, in force in 2025
/// and not in November 2026, passes decode on a refund and not on a sale.
#[test]
fn a_refunds_rate_is_left_to_its_sale() {
    let mut v = valid();
    v["vat_rate"] = json!("0.12");
    let sale = decode(&serde_json::to_vec(&v).unwrap(), now()).unwrap_err();
    assert_eq!(
        (sale.reason, sale.field.as_deref()),
        (R::InvalidVatRate, Some("vat_rate"))
    );
    v["type"] = json!("refund");
    v["refund_of"] = json!("7c9e6679-7425-40de-944b-e07fc1f90ae7");
    assert!(decode(&serde_json::to_vec(&v).unwrap(), now()).is_ok());
    // Still a rate: a share below 1.
    v["vat_rate"] = json!("1.5");
    let bad = decode(&serde_json::to_vec(&v).unwrap(), now()).unwrap_err();
    assert_eq!(bad.reason, R::InvalidVatRate);
}

/// The age and show-distance limits are exact durations (400 × 24 h, 366 × 24 h): the edge
/// passes, a second past it does not.
#[test]
fn the_day_limits_are_exact_durations() {
    let at = |d: DateTime<Utc>| {
        d.with_timezone(&crate::time::kz_offset())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    };
    let n = now();
    let second = chrono::Duration::seconds(1);
    let aged = |age: chrono::Duration| {
        let sold = n - age;
        let mut v = valid();
        v["occurred_at"] = json!(at(sold));
        v["show_start"] = json!(at(sold + chrono::Duration::hours(1)));
        v["vat_rate"] = json!("0.12"); // the rate of 2025
        decode(&serde_json::to_vec(&v).unwrap(), n)
    };
    let limit = chrono::Duration::days(400);
    assert!(aged(limit).is_ok());
    let stale = aged(limit + second).unwrap_err();
    assert_eq!(stale.reason, R::StaleTimestamp);
    assert!(
        stale.message.contains("400 days 1 s old"),
        "{}",
        stale.message
    );
    assert_eq!(
        aged(limit + chrono::Duration::hours(23))
            .unwrap_err()
            .reason,
        R::StaleTimestamp,
        "a day less a second past the limit, which whole days let through"
    );
    let shown = |distance: chrono::Duration| {
        let mut v = valid();
        let sold = n - chrono::Duration::hours(1);
        v["occurred_at"] = json!(at(sold));
        v["show_start"] = json!(at(sold + distance));
        decode(&serde_json::to_vec(&v).unwrap(), n)
    };
    let limit = chrono::Duration::days(366);
    assert!(shown(limit).is_ok());
    assert_eq!(
        shown(limit + second).unwrap_err().reason,
        R::ImplausibleShowStart
    );
}

/// (field, new value or None to remove, expected reason, expected field in the rejection)
type Case = (&'static str, Option<Value>, R, Option<&'static str>);

/// One field of a valid event changed at a time, and what the decode must say of it.
fn rejection_cases() -> Vec<Case> {
    vec![
        (
            "schema",
            Some(json!("ekino.ticket/2")),
            R::UnsupportedSchema,
            Some("schema"),
        ),
        ("schema", None, R::MissingField, Some("schema")),
        (
            "event_id",
            Some(json!("123")),
            R::InvalidEventId,
            Some("event_id"),
        ),
        (
            "type",
            Some(json!("exchange")),
            R::InvalidType,
            Some("type"),
        ),
        (
            "cinema_bin",
            Some(json!("000000000011")),
            R::InvalidBin,
            Some("cinema_bin"),
        ),
        (
            "cinema_bin",
            Some(json!("12345")),
            R::InvalidBin,
            Some("cinema_bin"),
        ),
        ("hall", Some(json!("")), R::InvalidText, Some("hall")),
        (
            "hall",
            Some(json!("x".repeat(33))),
            R::InvalidText,
            Some("hall"),
        ),
        (
            "screening_id",
            Some(json!("s".repeat(65))),
            R::InvalidText,
            Some("screening_id"),
        ),
        (
            "film_id",
            Some(json!("f".repeat(33))),
            R::InvalidText,
            Some("film_id"),
        ),
        (
            "show_start",
            Some(json!("2026-11-22 19:30")),
            R::InvalidTimestamp,
            Some("show_start"),
        ),
        (
            "occurred_at",
            Some(json!("2026-11-22T19:30:00")),
            R::InvalidTimestamp,
            Some("occurred_at"),
        ),
        (
            "occurred_at",
            Some(json!("2026-11-22T15:05:01+05:00")),
            R::FutureTimestamp,
            Some("occurred_at"),
        ),
        ("price", Some(json!("-1")), R::InvalidPrice, Some("price")),
        (
            "price",
            Some(json!("1000000.01")),
            R::InvalidPrice,
            Some("price"),
        ),
        (
            "price",
            Some(json!("25.001")),
            R::InvalidPrice,
            Some("price"),
        ),
        ("price", Some(json!(2500)), R::Malformed, Some("price")),
        (
            "currency",
            Some(json!("USD")),
            R::UnsupportedCurrency,
            Some("currency"),
        ),
        (
            "vat_rate",
            Some(json!("1.0")),
            R::InvalidVatRate,
            Some("vat_rate"),
        ),
        (
            "vat_rate",
            Some(json!("16%")),
            R::InvalidVatRate,
            Some("vat_rate"),
        ),
        // A decimal below 1 but no rate in force in November 2026 (0 and 0.16 are).
        (
            "vat_rate",
            Some(json!("0.12")),
            R::InvalidVatRate,
            Some("vat_rate"),
        ),
        (
            "vat_rate",
            Some(json!("0.15")),
            R::InvalidVatRate,
            Some("vat_rate"),
        ),
        (
            "show_start",
            Some(json!("2027-11-24T19:30:00+05:00")),
            R::ImplausibleShowStart,
            Some("show_start"),
        ),
        (
            "show_start",
            Some(json!("2025-11-19T19:30:00+05:00")),
            R::ImplausibleShowStart,
            Some("show_start"),
        ),
        (
            "occurred_at",
            Some(json!("2025-10-17T14:55:00+05:00")),
            R::StaleTimestamp,
            Some("occurred_at"),
        ),
        (
            "voids",
            Some(json!("7c9e6679-7425-40de-944b-e07fc1f90ae7")),
            R::UnknownField,
            Some("voids"),
        ),
        ("seat", None, R::MissingField, Some("seat")),
        (
            "seat",
            Some(json!({"row": "", "number": "1"})),
            R::InvalidSeat,
            Some("seat.row"),
        ),
        (
            "seat",
            Some(json!({"row": "1", "number": "1", "zone": "vip"})),
            R::UnknownField,
            Some("seat.zone"),
        ),
        (
            "channel",
            Some(json!("telegram")),
            R::InvalidChannel,
            Some("channel"),
        ),
        (
            "ticket_type",
            Some(json!("vip")),
            R::InvalidTicketType,
            Some("ticket_type"),
        ),
        (
            "refund_of",
            Some(json!("7c9e6679-7425-40de-944b-e07fc1f90ae7")),
            R::RefundLink,
            Some("refund_of"),
        ),
        ("prise", Some(json!("2500")), R::UnknownField, Some("prise")),
    ]
}

#[test]
fn rejection_table() {
    for (field, value, reason, named) in rejection_cases() {
        let bytes = with(field, value.clone());
        let r = decode(&bytes, now()).expect_err(&format!("{field}={value:?} must be refused"));
        assert_eq!(r.reason, reason, "{field}={value:?}: {r}");
        assert_eq!(r.field.as_deref(), named, "{field}={value:?}: {r}");
        if let Some(n) = named {
            assert!(
                r.message.starts_with(n),
                "message names the field: {}",
                r.message
            );
        }
    }
}

#[test]
fn refund_without_link_is_refused() {
    let mut v = valid();
    v["type"] = json!("refund");
    let r = decode(&serde_json::to_vec(&v).unwrap(), now()).unwrap_err();
    assert_eq!(
        (r.reason, r.field.as_deref()),
        (R::RefundLink, Some("refund_of"))
    );
}

/// Messages refused whole, before any field is read.
fn whole_message_cases() -> Vec<(Vec<u8>, R)> {
    vec![
        (b"not json".to_vec(), R::Malformed),
        (b"[1,2]".to_vec(), R::Malformed),
        (vec![0xff, 0xfe], R::Malformed),
        (vec![b' '; super::MAX_EVENT_BYTES + 1], R::TooLarge),
    ]
}

#[test]
fn whole_message_faults() {
    for (bytes, reason) in whole_message_cases() {
        let r = decode(&bytes, now()).unwrap_err();
        assert_eq!(r.reason, reason);
        assert_eq!(r.field, None);
    }
}

#[test]
fn every_decode_reason_is_reachable_from_the_table() {
    // Guards the tables above: a new reason a single message can earn must come with a case.
    // The reasons are the ones the decode gives for the tables' cases, not a list kept beside
    // them. (Reasons that need state, such as duplicates, are the judge's: its tests cover
    // them.)
    let mut reached: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for (field, value, _, _) in rejection_cases() {
        if let Err(r) = decode(&with(field, value), now()) {
            reached.insert(r.reason.code());
        }
    }
    for (bytes, _) in whole_message_cases() {
        if let Err(r) = decode(&bytes, now()) {
            reached.insert(r.reason.code());
        }
    }
    let mut refund = valid();
    refund["type"] = json!("refund");
    if let Err(r) = decode(&serde_json::to_vec(&refund).unwrap(), now()) {
        reached.insert(r.reason.code());
    }
    let missing: Vec<&str> = R::ALL
        .iter()
        .filter(|r| r.is_decode())
        .map(|r| r.code())
        .filter(|c| !reached.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "decode reasons without a case: {missing:?}"
    );
}

#[test]
fn a_ticket_sold_in_december_2025_for_january_may_carry_either_rate() {
    let mut v = valid();
    v["occurred_at"] = json!("2025-12-30T12:00:00+05:00");
    v["show_start"] = json!("2026-01-02T19:00:00+05:00");
    for (rate, ok) in [("0.12", true), ("0.16", true), ("0", true), ("0.2", false)] {
        v["vat_rate"] = json!(rate);
        assert_eq!(
            decode(&serde_json::to_vec(&v).unwrap(), now()).is_ok(),
            ok,
            "{rate}"
        );
    }
}

fn void_json() -> Value {
    json!({"schema": "ekino.ticket/1", "event_id": "1b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b", "type": "void",
           "cinema_bin": "000000000010", "occurred_at": "2026-11-22T14:55:00+05:00",
           "voids": "0b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b", "reason": "sold twice by mistake"})
}

#[test]
fn a_void_carries_exactly_its_fields() {
    use crate::event::{decode_event, Checks, Event};
    let checks = Checks::live(now());
    let ok = decode_event(&serde_json::to_vec(&void_json()).unwrap(), &checks).unwrap();
    let Event::Void(v) = &ok else {
        panic!("a void")
    };
    assert_eq!(v.voids.to_string(), "0b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b");
    assert_eq!(
        decode_event(ok.to_json().as_bytes(), &checks).unwrap(),
        ok,
        "round trip"
    );
    // (field, value or removed, reason, field named)
    let cases: [(&str, Option<Value>, R, &str); 7] = [
        ("voids", None, R::MissingField, "voids"),
        ("voids", Some(json!("nope")), R::InvalidEventId, "voids"),
        (
            "voids",
            Some(json!("1b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b")),
            R::VoidOfVoid,
            "voids",
        ),
        ("reason", None, R::MissingField, "reason"),
        ("reason", Some(json!("")), R::InvalidText, "reason"),
        (
            "reason",
            Some(json!("я".repeat(201))),
            R::InvalidText,
            "reason",
        ),
        ("price", Some(json!("100")), R::UnknownField, "price"),
    ];
    for (field, value, reason, named) in cases {
        let mut v = void_json();
        match value {
            Some(x) => v[field] = x,
            None => {
                v.as_object_mut().unwrap().remove(field);
            }
        }
        let r = decode_event(&serde_json::to_vec(&v).unwrap(), &checks).unwrap_err();
        assert_eq!(
            (r.reason, r.field.as_deref()),
            (reason, Some(named)),
            "{field}: {r}"
        );
    }
    // 200 characters of Cyrillic is fine (the limit counts characters, not bytes).
    let mut v = void_json();
    v["reason"] = json!("я".repeat(200));
    assert!(decode_event(&serde_json::to_vec(&v).unwrap(), &checks).is_ok());
    // The ticket-only entry point refuses a void.
    assert_eq!(
        decode(&serde_json::to_vec(&void_json()).unwrap(), now())
            .unwrap_err()
            .reason,
        R::InvalidType
    );
}

#[test]
fn published_json_schema_lists_exactly_the_wire_fields() {
    let root: Value =
        serde_json::from_str(include_str!("../../../ticket-event.schema.json")).unwrap();
    let schema = &root["$defs"]["ticket"];
    let mut published: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    published.sort_unstable();
    let mut wire: Vec<String> = valid().as_object().unwrap().keys().cloned().collect();
    wire.push("refund_of".into());
    wire.sort();
    assert_eq!(published, wire);
    // And every field the schema calls required is one decode refuses to miss.
    for field in schema["required"].as_array().unwrap() {
        let f = field.as_str().unwrap();
        let r = decode(&with(f, None), now()).expect_err(f);
        assert_eq!((r.reason, r.field.as_deref()), (R::MissingField, Some(f)));
    }
    // The void: exactly its fields, each required.
    let void = &root["$defs"]["void"];
    let mut published: Vec<&str> = void["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    published.sort_unstable();
    let mut wire: Vec<String> = void_json().as_object().unwrap().keys().cloned().collect();
    wire.sort();
    assert_eq!(published, wire);
    for field in void["required"].as_array().unwrap() {
        let f = field.as_str().unwrap();
        let mut v = void_json();
        v.as_object_mut().unwrap().remove(f);
        let r = crate::event::decode_event(
            &serde_json::to_vec(&v).unwrap(),
            &crate::event::Checks::live(now()),
        )
        .expect_err(f);
        // Without `type` a message is read as a ticket, which misses other fields first.
        if f != "type" {
            assert_eq!((r.reason, r.field.as_deref()), (R::MissingField, Some(f)));
        }
    }
}

mod fast_path {
    //! The fast scanner either declines or agrees with serde_json, on valid events and on
    //! every kind of damage done to them.
    use proptest::prelude::*;

    use super::valid;
    use crate::event::fast::scan;
    use crate::event::wire::TicketEventWire;

    fn same_as_serde(bytes: &[u8]) -> Result<(), TestCaseError> {
        if let Some(fast) = scan(bytes) {
            let slow = serde_json::from_slice::<TicketEventWire<'_>>(bytes);
            prop_assert!(
                slow.is_ok(),
                "scanner accepted what serde refuses: {:?}",
                String::from_utf8_lossy(bytes)
            );
            prop_assert_eq!(
                serde_json::to_string(&fast).unwrap(),
                serde_json::to_string(&slow.unwrap()).unwrap()
            );
        }
        Ok(())
    }

    #[test]
    fn a_valid_event_takes_the_fast_path() {
        let bytes = serde_json::to_vec(&valid()).unwrap();
        assert!(scan(&bytes).is_some());
        // Pretty-printed JSON (newlines) is left to serde.
        assert!(scan(serde_json::to_string_pretty(&valid()).unwrap().as_bytes()).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn damaged_events_are_declined_or_read_alike(
            edits in prop::collection::vec((0usize..400, prop::sample::select(vec![
                "", "\"", "\\", ",", ":", "{", "}", "[", "null", " ", "\n", "1", "\u{1}", "é", "\"x\":\"y\"", "\"hall\":\"2\"",
            ]), 0usize..3), 1..4),
            pretty in any::<bool>(),
        ) {
            let text = if pretty { serde_json::to_string_pretty(&valid()).unwrap() } else { serde_json::to_string(&valid()).unwrap() };
            let mut bytes = text.into_bytes();
            for (at, piece, cut) in edits {
                let at = at.min(bytes.len());
                let end = (at + cut).min(bytes.len());
                bytes.splice(at..end, piece.bytes());
            }
            same_as_serde(&bytes)?;
        }
    }
}
