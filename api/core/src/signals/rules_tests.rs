//! Each rule on a cinema day written out by hand; the expected figures are worked out in the
//! comments, not read from the code.

use super::*;

fn at(s: &str) -> u32 {
    u32::try_from(chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()).unwrap()
}

/// `n` sales of session `id` in hall `hall` starting at `start` at `price` tiyn, seats
/// A1, A2, … (or general admission when `seated` is false).
fn sales(id: &str, hall: &str, start: &str, n: usize, price: i64, seated: bool) -> Vec<Ticket> {
    (1..=n)
        .map(|i| Ticket {
            screening_id: id.into(),
            hall: hall.into(),
            film_id: "F-1".into(),
            show_start: at(start),
            qty: 1,
            gross_tiyn: price,
            seat: if seated {
                ("A".into(), i.to_string())
            } else {
                (String::new(), String::new())
            },
            partner: false,
        })
        .collect()
}

fn declared(
    id: &str,
    hall: &str,
    start: &str,
    end: &str,
    status: SessionStatus,
    arrived: &str,
) -> Declared {
    Declared {
        screening_id: id.into(),
        hall: hall.into(),
        film_id: "F-1".into(),
        show_start: at(start),
        ends_at: at(end),
        seats_on_sale: 100,
        status,
        declared_at: at(arrived),
        arrived_at: at(arrived),
    }
}

const DAY_BEFORE: &str = "2026-11-19T10:00:00+05:00";
use SessionStatus::{Cancelled, Scheduled};

fn kinds(found: &[Found]) -> Vec<(&'static str, &str)> {
    found
        .iter()
        .map(|f| (f.kind.code(), f.screening_id.as_str()))
        .collect()
}

fn halls() -> HashMap<String, u32> {
    [("1".to_owned(), 100), ("2".to_owned(), 50)].into()
}

#[test]
fn an_honest_busy_cinema_has_no_signal() {
    let mut tickets = sales("S1", "1", "2026-11-20T19:00:00+05:00", 100, 200_000, true);
    // A seat sold, refunded and sold again counts once.
    let mut resold = sales("S2", "2", "2026-11-20T21:30:00+05:00", 1, 150_000, true);
    let mut refund = resold[0].clone();
    refund.qty = -1;
    refund.gross_tiyn = -150_000;
    resold.push(refund);
    resold.extend(sales(
        "S2",
        "2",
        "2026-11-20T21:30:00+05:00",
        1,
        150_000,
        true,
    ));
    tickets.extend(resold);
    // A night show that is far from full.
    tickets.extend(sales(
        "S3",
        "1",
        "2026-11-20T01:00:00+05:00",
        20,
        100_000,
        true,
    ));
    let day = CinemaDay {
        tickets,
        declarations: vec![
            declared(
                "S1",
                "1",
                "2026-11-20T19:00:00+05:00",
                "2026-11-20T21:00:00+05:00",
                Scheduled,
                DAY_BEFORE,
            ),
            declared(
                "S2",
                "2",
                "2026-11-20T21:30:00+05:00",
                "2026-11-20T23:30:00+05:00",
                Scheduled,
                DAY_BEFORE,
            ),
            declared(
                "S3",
                "1",
                "2026-11-20T01:00:00+05:00",
                "2026-11-20T03:00:00+05:00",
                Scheduled,
                DAY_BEFORE,
            ),
            // Back to back in hall 1: ends exactly when the next starts.
            declared(
                "S4",
                "1",
                "2026-11-20T21:00:00+05:00",
                "2026-11-20T23:00:00+05:00",
                Scheduled,
                DAY_BEFORE,
            ),
        ],
        halls: halls(),
        declares_since: Some(at(DAY_BEFORE)),
        partner_sales: vec![],
        head_counts: vec![],
    };
    assert_eq!(kinds(&evaluate(&day, &Thresholds::default())), vec![]);
}

#[test]
fn admissions_above_the_halls_seats_are_over_capacity_with_the_excess_at_stake() {
    // Hall 2 has 50 seats; 53 admissions at 2,000 ₸: 3 too many, 3 × 200,000 tiyn at stake.
    let day = CinemaDay {
        tickets: sales("S1", "2", "2026-11-20T19:00:00+05:00", 53, 200_000, false),
        halls: halls(),
        ..CinemaDay::default()
    };
    let found = evaluate(&day, &Thresholds::default());
    assert_eq!(kinds(&found), vec![("over_capacity", "S1")]);
    assert_eq!(found[0].evidence, json!({"admissions": 53, "seats": 50}));
    assert_eq!(found[0].gross_at_stake_tiyn, 600_000);
    // A hall the registry does not know: no seat rule can apply.
    let unknown = CinemaDay {
        tickets: sales("S1", "9", "2026-11-20T19:00:00+05:00", 53, 200_000, false),
        halls: halls(),
        ..CinemaDay::default()
    };
    assert_eq!(kinds(&evaluate(&unknown, &Thresholds::default())), vec![]);
}

#[test]
fn one_seat_counted_twice_is_a_signal_and_one_extra_ticket_is_at_stake() {
    let mut tickets = sales("S1", "1", "2026-11-20T19:00:00+05:00", 10, 150_000, true);
    // Seat A7 sold again, never refunded.
    tickets.push(tickets[6].clone());
    let day = CinemaDay {
        tickets,
        halls: halls(),
        ..CinemaDay::default()
    };
    let found = evaluate(&day, &Thresholds::default());
    assert_eq!(kinds(&found), vec![("seat_sold_twice", "S1")]);
    assert_eq!(
        found[0].evidence,
        json!({"seats_counted_twice": 1, "seats": [{"row": "A", "number": "7", "count": 2}]})
    );
    assert_eq!(found[0].gross_at_stake_tiyn, 150_000);
}

#[test]
fn tickets_for_a_session_declared_only_after_its_start_are_undeclared() {
    let start = "2026-11-20T19:00:00+05:00";
    let day = CinemaDay {
        tickets: sales("S9", "1", start, 4, 100_000, false),
        declarations: vec![declared(
            "S9",
            "1",
            start,
            "2026-11-20T21:00:00+05:00",
            Scheduled,
            "2026-11-20T19:05:00+05:00",
        )],
        halls: halls(),
        declares_since: Some(at(DAY_BEFORE)),
        partner_sales: vec![],
        head_counts: vec![],
    };
    let found = evaluate(&day, &Thresholds::default());
    assert_eq!(kinds(&found), vec![("undeclared_session", "S9")]);
    assert_eq!(found[0].gross_at_stake_tiyn, 400_000);
    assert_eq!(
        found[0].evidence["declared_late_at"],
        json!(at("2026-11-20T19:05:00+05:00"))
    );
    // A cinema that never declares sessions is not held to them, nor one that began after.
    let silent = CinemaDay {
        declarations: vec![],
        declares_since: None,
        ..day.clone()
    };
    assert_eq!(kinds(&evaluate(&silent, &Thresholds::default())), vec![]);
    let later = CinemaDay {
        declarations: vec![],
        declares_since: Some(at(start) + 60),
        ..day
    };
    assert_eq!(kinds(&evaluate(&later, &Thresholds::default())), vec![]);
}

#[test]
fn tickets_for_a_cancelled_session_are_a_signal_of_their_own() {
    let start = "2026-11-20T19:00:00+05:00";
    let end = "2026-11-20T21:00:00+05:00";
    let mut cancelled = declared(
        "S5",
        "1",
        start,
        end,
        Cancelled,
        "2026-11-20T12:00:00+05:00",
    );
    cancelled.arrived_at = at("2026-11-20T12:00:01+05:00");
    let day = CinemaDay {
        tickets: sales("S5", "1", start, 3, 100_000, false),
        declarations: vec![
            declared("S5", "1", start, end, Scheduled, DAY_BEFORE),
            cancelled,
        ],
        halls: halls(),
        declares_since: Some(at(DAY_BEFORE)),
        partner_sales: vec![],
        head_counts: vec![],
    };
    let found = evaluate(&day, &Thresholds::default());
    assert_eq!(kinds(&found), vec![("cancelled_session_sold", "S5")]);
    assert_eq!(found[0].gross_at_stake_tiyn, 300_000);
}

#[test]
fn overlapping_declared_sessions_of_one_hall_are_flagged_on_the_later_one() {
    let day = CinemaDay {
        declarations: vec![
            declared(
                "S1",
                "1",
                "2026-11-20T19:00:00+05:00",
                "2026-11-20T21:00:00+05:00",
                Scheduled,
                DAY_BEFORE,
            ),
            declared(
                "S3",
                "1",
                "2026-11-20T20:30:00+05:00",
                "2026-11-20T22:30:00+05:00",
                Scheduled,
                DAY_BEFORE,
            ),
            // Same times in another hall: no overlap.
            declared(
                "S6",
                "2",
                "2026-11-20T20:30:00+05:00",
                "2026-11-20T22:30:00+05:00",
                Scheduled,
                DAY_BEFORE,
            ),
            // Cancelled: it will not run, so it overlaps nothing.
            declared(
                "S4",
                "1",
                "2026-11-20T19:30:00+05:00",
                "2026-11-20T21:30:00+05:00",
                Cancelled,
                DAY_BEFORE,
            ),
        ],
        halls: halls(),
        declares_since: Some(at(DAY_BEFORE)),
        ..CinemaDay::default()
    };
    let found = evaluate(&day, &Thresholds::default());
    assert_eq!(kinds(&found), vec![("overlapping_sessions", "S3")]);
    assert_eq!(found[0].evidence["other_screening_id"], json!("S1"));
    // Moving S3 to start when S1 ends (a later declaration replaces the earlier) clears it.
    let mut moved = declared(
        "S3",
        "1",
        "2026-11-20T21:00:00+05:00",
        "2026-11-20T23:00:00+05:00",
        Scheduled,
        DAY_BEFORE,
    );
    moved.declared_at += 60;
    let mut day = day;
    day.declarations.push(moved);
    assert_eq!(kinds(&evaluate(&day, &Thresholds::default())), vec![]);
}

#[test]
fn a_night_show_at_the_full_share_of_its_hall_is_late_night_full_and_one_seat_less_is_not() {
    // 02:30 local (21:30 UTC the day before); hall 1 has 100 seats, full is 90 %.
    let start = "2026-11-20T02:30:00+05:00";
    let full = CinemaDay {
        tickets: sales("N1", "1", start, 90, 100_000, true),
        halls: halls(),
        ..CinemaDay::default()
    };
    let found = evaluate(&full, &Thresholds::default());
    assert_eq!(kinds(&found), vec![("late_night_full", "N1")]);
    assert_eq!(found[0].evidence["starts"], json!("02:30"));
    assert_eq!(found[0].gross_at_stake_tiyn, 9_000_000);
    let almost = CinemaDay {
        tickets: sales("N1", "1", start, 89, 100_000, true),
        halls: halls(),
        ..CinemaDay::default()
    };
    assert_eq!(kinds(&evaluate(&almost, &Thresholds::default())), vec![]);
    // 07:00 is outside the window [00:00, 07:00).
    let morning = CinemaDay {
        tickets: sales("N2", "1", "2026-11-20T07:00:00+05:00", 100, 100_000, true),
        halls: halls(),
        ..CinemaDay::default()
    };
    assert_eq!(kinds(&evaluate(&morning, &Thresholds::default())), vec![]);
}

#[test]
fn a_partners_tickets_above_what_the_cinema_reported_through_partners_are_a_gap() {
    let start = "2026-11-20T19:00:00+05:00";
    // The cinema reports 10 tickets, 4 of them through partners; two partners sold 7 of
    // its tickets (an order of 5 and one of 3 with 1 refunded) at 2,000 ₸ each.
    let mut tickets = sales("S1", "1", start, 10, 200_000, false);
    for t in tickets.iter_mut().take(4) {
        t.partner = true;
    }
    let sale = |partner: &str, n: i64| PartnerSale {
        partner_id: partner.into(),
        screening_id: "S1".into(),
        tickets: n,
        gross_tiyn: n * 200_000,
    };
    let day = CinemaDay {
        tickets,
        halls: halls(),
        partner_sales: vec![sale("TICKETON", 5), sale("KASSA", 3), sale("KASSA", -1)],
        ..CinemaDay::default()
    };
    let found = evaluate(&day, &Thresholds::default());
    assert_eq!(kinds(&found), vec![("partner_gap", "S1")]);
    // 7 sold by partners, 4 reported: 3 unreported of 7 tickets worth 1,400,000 tiyn.
    assert_eq!(
        found[0].evidence,
        json!({"partner_tickets": 7, "partner_gross_tiyn": 1_400_000,
               "reported_partner_admissions": 4, "partners": ["KASSA", "TICKETON"]})
    );
    assert_eq!(found[0].gross_at_stake_tiyn, 600_000);
    // Reported in full: no gap. A session the cinema reported nothing for: all of it.
    let mut full = day.clone();
    full.partner_sales = vec![sale("TICKETON", 4)];
    assert_eq!(kinds(&evaluate(&full, &Thresholds::default())), vec![]);
    let mut silent = day;
    silent.partner_sales = vec![PartnerSale {
        screening_id: "S9".into(),
        ..sale("TICKETON", 2)
    }];
    let found = evaluate(&silent, &Thresholds::default());
    assert_eq!(kinds(&found), vec![("partner_gap", "S9")]);
    assert_eq!(found[0].gross_at_stake_tiyn, 400_000);
}

#[test]
fn more_people_counted_than_admissions_stored_is_a_head_count_gap() {
    let start = "2026-11-20T19:00:00+05:00";
    let count = |n: u32, at: u32| HeadCount {
        screening_id: "S1".into(),
        counted: n,
        counted_at: at,
    };
    // 40 admissions stored at 1,500 ₸; the inspector counted 38, then 52: the highest, 12
    // people more than stored, at the session's average price: 12 × 150,000 tiyn.
    let day = CinemaDay {
        tickets: sales("S1", "1", start, 40, 150_000, false),
        halls: halls(),
        head_counts: vec![count(38, 100), count(52, 200)],
        ..CinemaDay::default()
    };
    let found = evaluate(&day, &Thresholds::default());
    assert_eq!(kinds(&found), vec![("head_count_gap", "S1")]);
    assert_eq!(
        found[0].evidence,
        json!({"head_count": 52, "admissions": 40, "counted_at": 200})
    );
    assert_eq!(found[0].gross_at_stake_tiyn, 1_800_000);
    // A count at or below the admissions is no signal.
    let fewer = CinemaDay {
        head_counts: vec![count(40, 100)],
        ..day.clone()
    };
    assert_eq!(kinds(&evaluate(&fewer, &Thresholds::default())), vec![]);
}

#[test]
fn kinds_round_trip_their_codes() {
    for k in Kind::ALL {
        assert_eq!(Kind::parse(k.code()), Some(k));
    }
    assert_eq!(Kind::parse("nope"), None);
}
