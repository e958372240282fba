//! The hard cases a real till sends now and then, so that the pipeline, kill, outage and chaos
//! tests replay them too: a sale keyed by mistake and voided (inside the correction window, or
//! too late), a refund sent before its sale, a re-send of an id with other content, and a
//! refund on another day than its sale.
//!
//! Each case's effect on the totals is counted here by the contract's rules (README, "The
//! ticket event contract" and "Integrity"), never by ingest's functions:
//! - a void is taken when it arrives at most `correction_window_days` box-office days after
//!   its sale's box-office day; the sale then counts nothing (its row stays, voided). The
//!   mistaken sales are for shows three days inside or outside that edge, so the minutes
//!   between sending and judging cannot move a verdict;
//! - a refund waiting for its sale counts once the sale comes;
//! - a second event under an accepted id with other content is `conflicting_duplicate`;
//! - a refund counts at its sale's box-office day whenever it happens.
//!
//! Each is keyed by the cinema of the event it copies, so it is in that cinema's partition;
//! a case's second message (`later`) is produced only once the broker has acknowledged its
//! first (see `simulate::run`), so a delivery retried during a broker restart cannot swap them.

use chrono::{DateTime, Datelike, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use schemas::{Channel, EventType, Kzt, RejectReason, TicketEvent, VoidEvent};

use super::ledger::Ledger;
use super::traffic::new_event_id;

/// A case's messages: sent with its event (`now`), or once those are acknowledged (`later`).
pub struct Sends {
    pub now: Vec<String>,
    pub later: Vec<String>,
}

/// The box-office day of an instant: its date in UTC+5.
fn box_office_day(t: DateTime<Utc>) -> chrono::NaiveDate {
    (t + Duration::hours(5)).date_naive()
}

/// Makes the `n`-th hard case from the valid sale `e`, counting it in `ledger`; `None` when
/// `e` does not suit it (a free ticket, or a void too near the window's edge).
pub fn case(
    n: usize,
    e: &TicketEvent,
    rng: &mut ChaCha8Rng,
    now: DateTime<Utc>,
    window_days: u32,
    ledger: &mut Ledger,
) -> Option<Sends> {
    if e.event_type != EventType::Sale || e.price.tiyn() == 0 {
        return None;
    }
    let copy = |rng: &mut ChaCha8Rng| TicketEvent {
        event_id: new_event_id(rng),
        ..e.clone()
    };
    match n % 4 {
        0 => {
            // A sale keyed by mistake, then voided: every other one for a show inside the
            // correction window, the others for one too old to correct (days from "now").
            let window = i64::from(window_days);
            let back = if (n / 4) % 2 == 0 {
                (window - 3).max(0)
            } else {
                window + 3
            };
            let shift = (box_office_day(now) - Duration::days(back)) - box_office_day(e.show_start);
            let show_start = e.show_start + shift;
            let sold = show_start - Duration::hours(1);
            if sold > now || box_office_day(sold).year() != box_office_day(e.occurred_at).year() {
                return None;
            }
            let mistaken = TicketEvent {
                show_start,
                occurred_at: sold,
                ..copy(rng)
            };
            let void = VoidEvent {
                event_id: new_event_id(rng),
                cinema_bin: e.cinema_bin.clone(),
                occurred_at: now.min(sold + Duration::minutes(3)),
                voids: mistaken.event_id,
                reason: "keyed twice".into(),
            };
            if back <= window {
                ledger.count_voided(&mistaken);
                ledger.count_void();
            } else {
                ledger.count_valid(&mistaken);
                ledger.count_invalid(RejectReason::CorrectionWindowClosed);
            }
            Some(Sends {
                now: vec![mistaken.to_json()],
                later: vec![void.to_json()],
            })
        }
        1 => {
            // The till's refund reaches ekino before the sale it refunds.
            let sale = copy(rng);
            let refund = TicketEvent {
                event_id: new_event_id(rng),
                event_type: EventType::Refund,
                occurred_at: (sale.occurred_at + Duration::minutes(1)).min(now),
                refund_of: Some(sale.event_id),
                ..sale.clone()
            };
            ledger.count_valid(&sale);
            ledger.count_valid(&refund);
            Some(Sends {
                now: vec![refund.to_json()],
                later: vec![sale.to_json()],
            })
        }
        2 => {
            // The same id again with another price: the first one stands.
            let other = TicketEvent {
                price: Kzt::from_tiyn(e.price.tiyn() + 10_000),
                ..e.clone()
            };
            ledger.count_invalid(RejectReason::ConflictingDuplicate);
            Some(Sends {
                now: Vec::new(),
                later: vec![other.to_json()],
            })
        }
        _ => {
            // Bought online two days ahead, refunded the day before the show.
            let sold = e.show_start - Duration::days(2);
            let refunded =
                e.show_start - Duration::days(1) + Duration::minutes(rng.gen_range(0..600));
            // The VAT rate in force on the sale's date is the copied one only within its year.
            if box_office_day(sold).year() != box_office_day(e.occurred_at).year() || refunded > now
            {
                return None;
            }
            let sale = TicketEvent {
                occurred_at: sold,
                channel: Channel::Online,
                ..copy(rng)
            };
            let refund = TicketEvent {
                event_id: new_event_id(rng),
                event_type: EventType::Refund,
                occurred_at: refunded,
                refund_of: Some(sale.event_id),
                ..sale.clone()
            };
            ledger.count_valid(&sale);
            ledger.count_valid(&refund);
            Some(Sends {
                now: vec![sale.to_json()],
                later: vec![refund.to_json()],
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// A 2,000 ₸ sale at 16 % for a show on 2026-11-14 at 19:00, sold at 18:00 (UTC+5).
    fn sale() -> TicketEvent {
        let json = r#"{"schema": "ekino.ticket/1", "event_id": "1b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b", "type": "sale", "cinema_bin": "000000000010", "hall": "1", "screening_id": "S", "film_id": "F", "show_start": "2026-11-14T19:00:00+05:00", "occurred_at": "2026-11-14T18:00:00+05:00", "price": "2000", "currency": "KZT", "vat_rate": "0.16", "seat": null, "channel": "box_office", "ticket_type": "full"}"#;
        schemas::event::decode(json.as_bytes(), now()).unwrap()
    }

    /// Noon of 2026-12-01 in UTC+5: the 14-day window reaches back to 2026-11-17.
    fn now() -> DateTime<Utc> {
        "2026-12-01T12:00:00+05:00".parse().unwrap()
    }

    fn run(n: usize) -> (Ledger, Sends) {
        let mut ledger = Ledger::default();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let sends = case(n, &sale(), &mut rng, now(), 14, &mut ledger).unwrap();
        (ledger, sends)
    }

    fn json(s: &str) -> serde_json::Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn each_case_counts_by_the_contracts_rules() {
        // A mistaken sale for a show 11 days back, voided: a row that counts nothing.
        let (l, s) = run(0);
        assert_eq!(
            (l.valid_events, l.voided, l.voids, l.admissions),
            (1, 1, 1, 0)
        );
        let (m, v) = (json(&s.now[0]), json(&s.later[0]));
        assert_eq!(m["show_start"], "2026-11-20T19:00:00+05:00");
        assert_eq!(v["voids"], m["event_id"]);
        assert_eq!(
            l.by_day["2026-11-20"],
            super::super::ledger::DayTotals::default()
        );
        // The next one for a show 17 days back: the sale counts, its void is too late.
        let (l, s) = run(4);
        assert_eq!(json(&s.now[0])["show_start"], "2026-11-14T19:00:00+05:00");
        assert_eq!((l.admissions, l.gross_tiyn, l.voids), (1, 200_000, 0));
        assert_eq!(l.invalid_by_reason["correction_window_closed"], 1);
        // A refund sent before its sale: both count.
        let (l, s) = run(1);
        assert_eq!(json(&s.now[0])["type"], "refund");
        assert_eq!(json(&s.later[0])["event_id"], json(&s.now[0])["refund_of"]);
        assert_eq!(
            (l.sales, l.refunds, l.admissions, l.gross_tiyn),
            (1, 1, 0, 0)
        );
        // The same id with another price: refused, nothing counted.
        let (l, s) = run(2);
        assert!(s.now.is_empty());
        assert_eq!(
            json(&s.later[0])["event_id"],
            "1b8f6d2e-3c1a-4f5e-9a7b-1c2d3e4f5a6b"
        );
        assert_eq!(json(&s.later[0])["price"], "2100.00");
        assert_eq!(
            (l.valid_events, l.invalid_by_reason["conflicting_duplicate"]),
            (0, 1)
        );
        // Bought online two days ahead, refunded the day before: both on the show's day.
        let (l, s) = run(3);
        assert_eq!(json(&s.now[0])["occurred_at"], "2026-11-12T19:00:00+05:00");
        assert!(json(&s.later[0])["occurred_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-13T"));
        assert_eq!(l.by_day["2026-11-14"].admissions, 0);
        assert_eq!((l.sales, l.refunds), (1, 1));
    }
}
