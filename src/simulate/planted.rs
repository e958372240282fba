//! `ekino simulate --plant-signals`: a dishonest cinema for the demo, so the ministry's
//! signals screen shows each kind the rules find from declared sessions (README, "Signals"):
//! on the day after the simulated days' clock "now", at the market's first cinema with two
//! halls, every session declared before it starts (the cinema's ticketing system sends them
//! first), and
//! - `PLANT-OVER`: hall 1 at 19:00 with three tickets more than its seats (over_capacity);
//! - `PLANT-TWICE`: hall 2 at 19:00, ten seated tickets and one seat sold again
//!   (seat_sold_twice);
//! - `PLANT-OVERLAP`: hall 2 at 20:30, while PLANT-TWICE runs to 21:00 (overlapping_sessions);
//! - `PLANT-NIGHT`: hall 1 at 02:00 with 90 % of its seats sold (late_night_full);
//! - `PLANT-CANCELLED`: hall 2 at 23:00, declared, then cancelled, with four tickets
//!   (cancelled_session_sold).
//!
//! The tickets are ordinary valid sales of a day no ledger total covers; the other cinemas of
//! the market declare nothing, so they are held to nothing.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand_chacha::ChaCha8Rng;
use schemas::declared::{Declaration, SessionStatus};
use schemas::{Channel, EventType, Kzt, Seat, TicketEvent, TicketType, VatRate};

use super::model::{Market, SimCinema};

/// What to send: declarations (sessions topic) and ticket events (ticket topic), each keyed
/// by the cinema's BIN.
pub struct Planted {
    pub bin: String,
    pub declarations: Vec<Declaration>,
    pub tickets: Vec<TicketEvent>,
}

fn at(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    schemas::time::kz_offset()
        .from_local_datetime(&day.and_hms_opt(h, m, 0).expect("time"))
        .single()
        .expect("fixed offset")
        .to_utc()
}

/// The planted sessions at the first cinema with two halls; `None` when there is none.
pub fn plant(rng: &mut ChaCha8Rng, market: &Market, now: DateTime<Utc>) -> Option<Planted> {
    let cinema: &SimCinema = market.cinemas.iter().find(|c| c.halls.len() >= 2)?;
    let film = market.films.first()?.record.film_id.clone();
    let day = schemas::time::box_office_day(now) + chrono::Days::new(1);
    let (one, two) = (&cinema.halls[0], &cinema.halls[1]);
    let declared_at = now;
    let mut p = Planted {
        bin: cinema.record.bin.to_string(),
        declarations: Vec::new(),
        tickets: Vec::new(),
    };
    let mut declare = |hall: &str, id: &str, start: DateTime<Utc>, minutes: i64, status, seats| {
        p.declarations.push(Declaration {
            cinema_bin: cinema.record.bin.clone(),
            hall: hall.to_owned(),
            screening_id: id.to_owned(),
            film_id: film.clone(),
            show_start: start,
            ends_at: start + Duration::minutes(minutes),
            seats_on_sale: seats,
            status,
            declared_at,
        });
    };
    use SessionStatus::{Cancelled, Scheduled};
    declare(
        &one.name,
        "PLANT-OVER",
        at(day, 19, 0),
        120,
        Scheduled,
        one.seats,
    );
    declare(
        &two.name,
        "PLANT-TWICE",
        at(day, 19, 0),
        120,
        Scheduled,
        two.seats,
    );
    declare(
        &two.name,
        "PLANT-OVERLAP",
        at(day, 20, 30),
        120,
        Scheduled,
        two.seats,
    );
    declare(
        &one.name,
        "PLANT-NIGHT",
        at(day, 2, 0),
        90,
        Scheduled,
        one.seats,
    );
    declare(
        &two.name,
        "PLANT-CANCELLED",
        at(day, 23, 0),
        50,
        Scheduled,
        two.seats,
    );
    p.declarations.push(Declaration {
        status: Cancelled,
        declared_at: declared_at + Duration::seconds(1),
        ..p.declarations.last().expect("declared").clone()
    });
    let price = Kzt::from_tiyn(cinema.base_price_kzt * 100);
    let vat = if cinema.record.vat_payer {
        VatRate::from_units(1600)
    } else {
        VatRate::from_units(0)
    };
    let mut sell =
        |hall: &str, id: &str, start: DateTime<Utc>, n: u32, seat: &dyn Fn(u32) -> Option<Seat>| {
            for i in 0..n {
                p.tickets.push(TicketEvent {
                    event_id: super::traffic::new_event_id(rng),
                    event_type: EventType::Sale,
                    cinema_bin: cinema.record.bin.clone(),
                    hall: hall.to_owned(),
                    screening_id: id.to_owned(),
                    film_id: film.clone(),
                    show_start: start,
                    occurred_at: now - Duration::minutes(10),
                    price,
                    vat_rate: vat,
                    seat: seat(i),
                    channel: Channel::BoxOffice,
                    ticket_type: TicketType::Full,
                    refund_of: None,
                });
            }
        };
    let none = |_| None;
    let seated = |i: u32| {
        Some(Seat {
            row: "1".into(),
            number: if i == 10 {
                "5".into()
            } else {
                (i + 1).to_string()
            },
        })
    };
    sell(
        &one.name,
        "PLANT-OVER",
        at(day, 19, 0),
        one.seats + 3,
        &none,
    );
    sell(&two.name, "PLANT-TWICE", at(day, 19, 0), 11, &seated);
    sell(
        &one.name,
        "PLANT-NIGHT",
        at(day, 2, 0),
        (one.seats * 9).div_ceil(10),
        &none,
    );
    sell(&two.name, "PLANT-CANCELLED", at(day, 23, 0), 4, &none);
    Some(p)
}
