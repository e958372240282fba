//! The verdict rules on sequences of messages, with expected totals worked out by hand.

use chrono::{DateTime, Utc};
use schemas::clock::ReportingSettings;
use schemas::storage::Origin;
use serde_json::{json, Value};

use super::{judge, Book, Message, Policy};
use crate::batch::Batch;

const CINEMA: &str = "000000000010";
const OTHER: &str = "000000000020";

fn policy() -> Policy {
    Policy {
        max_event_age_days: Some(400),
        correction_window_days: Some(14),
        reporting: ReportingSettings::default(),
        backfill: false,
    }
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// Arrival during the screening day (not late).
const DAY_OF: &str = "2026-11-20T21:00:00+05:00";

fn id(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn sale(n: u32, price: &str) -> Value {
    json!({
        "schema": "ekino.ticket/1", "event_id": id(n), "type": "sale", "cinema_bin": CINEMA,
        "hall": "1", "screening_id": "S1", "film_id": "F1",
        "show_start": "2026-11-20T19:00:00+05:00", "occurred_at": "2026-11-20T18:00:00+05:00",
        "price": price, "currency": "KZT", "vat_rate": "0.16", "seat": null,
        "channel": "box_office", "ticket_type": "full"
    })
}

fn refund(n: u32, of: u32, price: &str) -> Value {
    let mut v = sale(n, price);
    v["type"] = json!("refund");
    v["refund_of"] = json!(id(of));
    // A refund's own VAT field is checked but the sale's rate is what counts.
    v["vat_rate"] = json!("0");
    v
}

fn void(n: u32, of: u32) -> Value {
    json!({"schema": "ekino.ticket/1", "event_id": id(n), "type": "void", "cinema_bin": CINEMA,
           "occurred_at": "2026-11-20T20:00:00+05:00", "voids": id(of), "reason": "keyed twice"})
}

/// Feeds messages (key = the cinema unless given) at `at`, offsets 0.. in order.
struct Run {
    book: Book,
    policy: Policy,
    next: i64,
    out: Batch,
}

impl Run {
    fn new() -> Self {
        Self {
            book: Book::default(),
            policy: policy(),
            next: 0,
            out: Batch::default(),
        }
    }

    fn send_at(&mut self, v: &Value, key: &str, at: &str) -> i64 {
        let payload = serde_json::to_vec(v).unwrap();
        let offset = self.next;
        self.next += 1;
        self.replay_at(offset, &payload, key, at);
        offset
    }

    fn replay_at(&mut self, offset: i64, payload: &[u8], key: &str, at: &str) {
        let m = Message {
            origin: Origin {
                topic: "t".into(),
                partition: 0,
                offset,
            },
            key: Some(key.as_bytes()),
            payload: Some(payload),
        };
        judge(&mut self.book, &self.policy, &m, t(at), &mut self.out);
    }

    fn send(&mut self, v: &Value) -> i64 {
        self.send_at(v, CINEMA, DAY_OF)
    }

    /// (admissions, gross, net) over live ticket rows, the last version of each key winning.
    fn totals(&self) -> (i64, i64, i64) {
        // Keyed as ticket_events is: (day, film, cinema, event id).
        let mut rows: std::collections::BTreeMap<
            (u16, String, String, String),
            &schemas::storage::TicketRow,
        > = Default::default();
        let voided: std::collections::HashSet<&str> = self
            .out
            .void_targets
            .iter()
            .map(|v| v.event_id.as_str())
            .collect();
        for r in &self.out.tickets {
            rows.insert(
                (
                    r.day,
                    r.film_id.clone(),
                    r.cinema_bin.clone(),
                    r.event_id.clone(),
                ),
                r,
            );
        }
        rows.values()
            .filter(|r| !voided.contains(r.event_id.as_str()))
            .fold((0, 0, 0), |a, r| {
                (a.0 + i64::from(r.qty), a.1 + r.gross_tiyn, a.2 + r.net_tiyn)
            })
    }

    fn reasons(&self) -> Vec<String> {
        self.out.rejects.iter().map(|r| r.reason.clone()).collect()
    }
}

#[test]
fn a_resend_counts_once_and_a_changed_one_is_a_conflict() {
    let mut r = Run::new();
    r.send(&sale(1, "2000"));
    // Same content, other spelling of the price and a later occurred_at: a re-send.
    let mut again = sale(1, "2000.00");
    again["occurred_at"] = json!("2026-11-20T18:05:00+05:00");
    r.send(&again);
    assert_eq!(r.out.duplicates, 1);
    // Same id, another film or another day: never counted.
    let mut other_film = sale(1, "2000");
    other_film["film_id"] = json!("F2");
    let mut other_day = sale(1, "2000");
    other_day["show_start"] = json!("2026-11-25T19:00:00+05:00");
    r.send(&other_film);
    r.send(&other_day);
    assert_eq!(
        r.reasons(),
        ["conflicting_duplicate", "conflicting_duplicate"]
    );
    assert!(
        r.out.rejects[0].message.contains("offset 0"),
        "{}",
        r.out.rejects[0].message
    );
    // 2000.00 at 16 %: net 1724.14.
    assert_eq!(r.totals(), (1, 200_000, 172_414));
}

#[test]
fn one_id_at_two_cinemas_is_two_events() {
    let mut r = Run::new();
    r.send(&sale(1, "2000"));
    let mut theirs = sale(1, "1500");
    theirs["cinema_bin"] = json!(OTHER);
    r.send_at(&theirs, OTHER, DAY_OF);
    assert!(r.out.rejects.is_empty());
    assert_eq!(r.totals().0, 2);
}

#[test]
fn the_key_must_be_the_cinema() {
    let mut r = Run::new();
    r.send_at(&sale(1, "2000"), OTHER, DAY_OF);
    assert_eq!(r.reasons(), ["foreign_cinema"]);
    assert_eq!(r.out.rejects[0].field, "cinema_bin");
    assert_eq!(r.totals(), (0, 0, 0));
}

#[test]
fn refunds_bind_to_their_sale() {
    let mut r = Run::new();
    r.send(&sale(1, "2000"));
    r.send(&sale(2, "3000"));
    r.send(&refund(10, 1, "500")); // partial: counts at the sale's 16 %
    r.send(&refund(11, 1, "500")); // second refund of one sale
    r.send(&refund(12, 2, "3000.01")); // above the price
    let mut wrong_screening = refund(13, 2, "100");
    wrong_screening["screening_id"] = json!("S2");
    r.send(&wrong_screening);
    r.send(&refund(14, 10, "100")); // refund of a refund
    assert_eq!(
        r.reasons(),
        [
            "refund_exceeds_sale",
            "refund_exceeds_sale",
            "refund_link",
            "refund_link"
        ]
    );
    // Sales 2000 + 3000, refund 500: net 1724.14 + 2586.21 - 431.03 (500 / 1.16 = 431.034).
    assert_eq!(r.totals(), (1, 450_000, 172_414 + 258_621 - 43_103));
}

#[test]
fn a_refund_waits_for_its_sale_and_the_first_counts() {
    let mut r = Run::new();
    r.send(&refund(10, 1, "2000"));
    r.send(&refund(11, 1, "2000"));
    assert_eq!(r.out.pending.len(), 2);
    assert_eq!(r.totals(), (0, 0, 0), "a waiting refund counts nowhere");
    r.send(&sale(1, "2000"));
    assert_eq!(r.totals(), (0, 0, 0), "sale and its first refund");
    assert_eq!(r.reasons(), ["refund_exceeds_sale"]);
    assert_eq!(
        r.out.rejects[0].kafka_offset, 1,
        "the second refund's verdict is at its own position"
    );
}

#[test]
fn voids_take_events_out_within_the_window() {
    let mut r = Run::new();
    r.send(&sale(1, "2000"));
    r.send(&sale(2, "2000"));
    r.send(&refund(10, 2, "2000"));
    r.send(&void(20, 2)); // sale with a counted refund
    r.send(&void(21, 10)); // the refund: its sale reopens
    r.send(&void(22, 21)); // a void
    r.send(&void(23, 99)); // unknown
    r.send(&void(24, 1)); // a sale
    r.send(&void(25, 1)); // already voided
    assert_eq!(
        r.reasons(),
        [
            "void_refunded_sale",
            "void_of_void",
            "void_target_unknown",
            "void_target_unknown"
        ]
    );
    assert_eq!(
        r.totals(),
        (1, 200_000, 172_414),
        "only sale 2 counts, its refund voided"
    );
    // Now sale 2 may be voided, but 15 days after its day the window has closed.
    r.send_at(&void(26, 2), CINEMA, "2026-12-05T12:00:00+05:00");
    assert_eq!(r.reasons().last().unwrap(), "correction_window_closed");
    r.send_at(&void(27, 2), CINEMA, "2026-12-04T12:00:00+05:00");
    assert_eq!(r.totals(), (0, 0, 0));
}

#[test]
fn a_void_of_another_cinemas_event_is_refused() {
    let mut r = Run::new();
    let mut theirs = sale(1, "2000");
    theirs["cinema_bin"] = json!(OTHER);
    r.send_at(&theirs, OTHER, DAY_OF);
    r.send(&void(2, 1));
    assert_eq!(r.reasons(), ["void_target_foreign"]);
}

#[test]
fn a_void_of_a_waiting_refund_drops_it() {
    let mut r = Run::new();
    r.send(&refund(10, 1, "2000"));
    r.send(&void(20, 10));
    r.send(&sale(1, "2000"));
    assert!(r.out.rejects.is_empty());
    assert!(r.out.void_targets.is_empty(), "nothing counted to take out");
    assert_eq!(r.totals(), (1, 200_000, 172_414));
}

#[test]
fn late_changes_are_corrections() {
    let mut r = Run::new();
    r.send(&sale(1, "2000")); // during the day
                              // The day (20 Nov) closes at 07:00 on 21 Nov.
    r.send_at(&sale(2, "1000"), CINEMA, "2026-11-21T06:59:59+05:00");
    assert!(r.out.corrections.is_empty());
    r.send_at(&refund(10, 1, "2000"), CINEMA, "2026-11-21T07:00:01+05:00");
    r.send_at(&void(20, 2), CINEMA, "2026-11-22T10:00:00+05:00");
    let c: Vec<(String, i64, i64)> = r
        .out
        .corrections
        .iter()
        .map(|c| (c.kind.clone(), c.d_admissions, c.d_gross_tiyn))
        .collect();
    assert_eq!(
        c,
        [
            ("refund".into(), -1, -200_000),
            ("void".into(), -1, -100_000)
        ]
    );
}

#[test]
fn a_replayed_message_gets_its_first_verdict() {
    let mut r = Run::new();
    let s = serde_json::to_vec(&sale(1, "2000")).unwrap();
    r.replay_at(0, &s, CINEMA, DAY_OF);
    r.next = 1;
    let first = r.out.tickets[0].clone();
    // Replayed a day later (after the close): same row, same arrival, no correction.
    r.replay_at(0, &s, CINEMA, "2026-11-22T10:00:00+05:00");
    assert_eq!(r.out.tickets.len(), 2);
    assert_eq!(r.out.tickets[1], first);
    assert!(r.out.corrections.is_empty());
    assert_eq!(r.out.duplicates, 0);
}

#[test]
fn time_and_vat_rules_are_decode_rules() {
    let mut r = Run::new();
    let mut far = sale(1, "2000");
    far["show_start"] = json!("2027-12-20T19:00:00+05:00");
    let mut vat = sale(2, "2000");
    vat["vat_rate"] = json!("0.12");
    let mut old = sale(3, "2000");
    old["occurred_at"] = json!("2025-09-01T10:00:00+05:00");
    old["show_start"] = json!("2025-09-01T19:00:00+05:00");
    old["vat_rate"] = json!("0.12");
    for v in [&far, &vat, &old] {
        r.send(v);
    }
    assert_eq!(
        r.reasons(),
        [
            "implausible_show_start",
            "invalid_vat_rate",
            "stale_timestamp"
        ]
    );
    // A backfill has no age limit.
    let mut history = Run::new();
    history.policy.max_event_age_days = None;
    history.policy.backfill = true;
    history.send(&old);
    assert!(history.out.rejects.is_empty());
    assert_eq!(history.out.tickets[0].backfill, 1);
}

/// A sale of 2025-12-28 at the 12 % then in force, for a show on 2026-01-03 (16 % from
/// 2026-01-01), and its refund of 2026-01-02 at `rate`.
fn across_the_vat_change(n: u32, rate: &str) -> (Value, Value) {
    let mut s = sale(n, "1120.00");
    s["show_start"] = json!("2026-01-03T19:00:00+05:00");
    s["occurred_at"] = json!("2025-12-28T12:00:00+05:00");
    s["vat_rate"] = json!("0.12");
    let mut r = refund(n + 1, n, "1120.00");
    r["show_start"] = json!("2026-01-03T19:00:00+05:00");
    r["occurred_at"] = json!("2026-01-02T10:00:00+05:00");
    r["vat_rate"] = json!(rate);
    (s, r)
}

#[test]
fn a_refund_across_the_vat_change_is_judged_by_its_sale() {
    let (sold, refunded) = ("2025-12-28T12:00:05+05:00", "2026-01-02T10:00:05+05:00");
    // Its sale's 12 %, or the 16 % in force on its own dates: counts, at the sale's 12 %.
    for rate in ["0.12", "0.16"] {
        let mut r = Run::new();
        let (s, f) = across_the_vat_change(1, rate);
        r.send_at(&s, CINEMA, sold);
        // 1,120.00 at 12 %: net 1,000.00.
        assert_eq!(r.totals(), (1, 112_000, 100_000));
        r.send_at(&f, CINEMA, refunded);
        assert!(r.out.rejects.is_empty(), "{rate}: {:?}", r.reasons());
        assert_eq!(r.totals(), (0, 0, 0), "{rate}");
        let row = r.out.tickets.last().unwrap();
        assert_eq!((row.qty, row.vat_rate_x10000), (-1, 1_200), "{rate}");
    }
    // The refund first, waiting for its sale: the same verdict when the sale comes.
    let mut r = Run::new();
    let (s, f) = across_the_vat_change(1, "0.12");
    r.send_at(&f, CINEMA, refunded);
    r.send_at(&s, CINEMA, refunded);
    assert!(r.out.rejects.is_empty(), "{:?}", r.reasons());
    assert_eq!(r.totals(), (0, 0, 0));
    // A rate that is neither its sale's nor in force on its dates: refused, the sale counts.
    let mut r = Run::new();
    let (s, f) = across_the_vat_change(1, "0.05");
    r.send_at(&s, CINEMA, sold);
    r.send_at(&f, CINEMA, refunded);
    assert_eq!(r.reasons(), ["invalid_vat_rate"]);
    assert_eq!(r.out.rejects[0].field, "vat_rate");
    assert_eq!(r.totals(), (1, 112_000, 100_000));
}

#[test]
fn a_replay_keeps_its_verdict_whenever_it_comes_back() {
    // Accepted 399 days 23 hours after it happened, an hour inside the 400-day limit.
    let mut r = Run::new();
    let accepted = "2027-12-25T17:00:00+05:00"; // 2026-11-20T18:00 + 399 d 23 h
    let offset = r.send_at(&sale(1, "2000"), CINEMA, accepted);
    assert!(r.out.rejects.is_empty(), "{:?}", r.reasons());
    assert_eq!(r.totals().0, 1);
    // The same message read again two hours later (a crash before the commit): by then the
    // event is past the limit, and its verdict is still the first one.
    let payload = serde_json::to_vec(&sale(1, "2000")).unwrap();
    r.replay_at(offset, &payload, CINEMA, "2027-12-25T19:00:00+05:00");
    assert!(r.out.rejects.is_empty(), "{:?}", r.reasons());
    assert_eq!(
        r.out.tickets.len(),
        2,
        "the replay is written again, as the first"
    );
    assert_eq!(r.totals().0, 1);
    // A new event as old is refused: the limit itself still holds, to the second.
    r.send_at(&sale(2, "2000"), CINEMA, "2027-12-25T19:00:00+05:00");
    assert_eq!(r.reasons(), ["stale_timestamp"]);
    let mut edge = Run::new();
    edge.send_at(&sale(3, "2000"), CINEMA, "2027-12-25T18:00:00+05:00"); // 400 d exactly
    edge.send_at(&sale(4, "2000"), CINEMA, "2027-12-25T18:00:01+05:00"); // and a second
    assert_eq!(edge.reasons(), ["stale_timestamp"]);
    assert_eq!(edge.totals().0, 1);
}
