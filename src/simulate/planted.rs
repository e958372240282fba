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
//!   (cancelled_session_sold);
//! - `PLANT-UNDECLARED`: hall 1 at 22:00, five tickets, never declared (undeclared_session);
//! - `PLANT-PARTNER`: hall 1 at 16:00, declared, two tickets at the box office reported, while
//!   the simulated online seller [`PARTNER_ID`] records an order of six (partner_gap).
//!
//! The tickets are ordinary valid sales of a day no ledger total covers. Without `--declare`
//! the other cinemas of the market declare nothing, so they are held to nothing; with it
//! every cinema declares its whole schedule, and the planted cinema's ordinary traffic of
//! that day is left out (its schedule would overlap the planted one). An inspector's head
//! count (head_count_gap) is the ministry's to enter: the demo posts one for `PLANT-OVER`.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand_chacha::ChaCha8Rng;
use schemas::declared::{Declaration, SessionStatus};
use schemas::partner::PartnerRecord;
use schemas::registry::Partner;
use schemas::{Bin, Channel, EventType, Kzt, Seat, TicketEvent, TicketType, VatRate};

use super::model::{Market, SimCinema};

/// What to send: declarations (sessions topic) and ticket events (ticket topic), each keyed
/// by the cinema's BIN, and the online seller's records (partner topic, keyed by its id).
pub struct Planted {
    pub bin: String,
    pub declarations: Vec<Declaration>,
    pub tickets: Vec<TicketEvent>,
    pub partner_records: Vec<PartnerRecord>,
}

/// The simulated online ticket seller (`partners.csv`): a second source for the sessions it
/// sold, registered so that its records count.
pub const PARTNER_ID: &str = "BILET-ONLINE";

/// The simulated seller as the partner registry lists it.
pub fn partner() -> Partner {
    let bin = (0..10)
        .find_map(|n| Bin::from_prefix(&format!("1405400000{n}")))
        .expect("a BIN with a check digit among ten prefixes");
    Partner {
        partner_id: PARTNER_ID.to_owned(),
        name: "Bilet Online".to_owned(),
        bin,
    }
}

fn at(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    schemas::time::kz_offset()
        .from_local_datetime(&day.and_hms_opt(h, m, 0).expect("time"))
        .single()
        .expect("fixed offset")
        .to_utc()
}

/// The cinema the sessions are planted at and their day (the day after `now`'s).
pub fn planted_cinema(market: &Market, now: DateTime<Utc>) -> Option<(String, NaiveDate)> {
    let cinema = market.cinemas.iter().find(|c| c.halls.len() >= 2)?;
    Some((
        cinema.record.bin.to_string(),
        schemas::time::box_office_day(now) + chrono::Days::new(1),
    ))
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
        partner_records: Vec::new(),
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
    declare(
        &one.name,
        "PLANT-PARTNER",
        at(day, 16, 0),
        120,
        Scheduled,
        one.seats,
    );
    let cancelled = p
        .declarations
        .iter()
        .find(|d| d.screening_id == "PLANT-CANCELLED")
        .expect("declared")
        .clone();
    p.declarations.push(Declaration {
        status: Cancelled,
        declared_at: declared_at + Duration::seconds(1),
        ..cancelled
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
    sell(&one.name, "PLANT-UNDECLARED", at(day, 22, 0), 5, &none);
    sell(&one.name, "PLANT-PARTNER", at(day, 16, 0), 2, &none);
    p.partner_records.push(PartnerRecord {
        partner_id: PARTNER_ID.to_owned(),
        order_id: "PLANT-ORDER-1".to_owned(),
        refund: false,
        cinema_bin: cinema.record.bin.clone(),
        screening_id: "PLANT-PARTNER".to_owned(),
        show_start: at(day, 16, 0),
        tickets: 6,
        gross: Kzt::from_tiyn(price.tiyn() * 6),
        occurred_at: now - Duration::minutes(30),
    });
    Some(p)
}
