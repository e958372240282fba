//! One day of ticket sales and refunds at every simulated cinema.
//!
//! Screenings run 10:00–01:00 local time in every hall; each picks a film weighted by its
//! appeal and an opening-week decay; attendance follows weekday and hour-of-day peaks. Prices
//! are integer tenge (city base × format × time of day × fare), never floats. The demand
//! model uses floats for counts of people only.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use schemas::declared::{Declaration, SessionStatus};
use schemas::{Channel, EventId, EventType, Kzt, Seat, TicketEvent, TicketType, VatRate};

use super::model::{Market, SimCinema, SimFilm};

/// Share of paid tickets refunded before the show.
const REFUND_RATE: f64 = 0.025;

fn weekday_factor(d: NaiveDate) -> f64 {
    match d.weekday() {
        Weekday::Mon | Weekday::Tue | Weekday::Wed => 0.75,
        Weekday::Thu => 0.85,
        Weekday::Fri => 1.2,
        Weekday::Sat => 1.6,
        Weekday::Sun => 1.4,
    }
}

fn hour_factor(minutes_from_midnight: i64) -> f64 {
    match minutes_from_midnight / 60 {
        0..=12 => 0.45,
        13..=16 => 0.8,
        17..=21 => 1.7,
        _ => 0.9,
    }
}

/// Opening-week decay: a film loses about 30 % of its audience each week after release.
fn decay(release: NaiveDate, day: NaiveDate) -> f64 {
    0.7f64.powi(((day - release).num_days() / 7) as i32)
}

fn pick_film<'a>(rng: &mut ChaCha8Rng, films: &[(&'a SimFilm, f64)]) -> Option<&'a SimFilm> {
    let total: f64 = films.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0.0..total);
    for (f, w) in films {
        if x < *w {
            return Some(f);
        }
        x -= w;
    }
    films.last().map(|(f, _)| *f)
}

fn vat_for(cinema: &SimCinema, sold_on: NaiveDate) -> VatRate {
    if !cinema.record.vat_payer {
        VatRate::from_units(0)
    } else if sold_on < NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") {
        VatRate::from_units(1200)
    } else {
        VatRate::from_units(1600)
    }
}

fn fare(rng: &mut ChaCha8Rng) -> (TicketType, i64) {
    match rng.gen_range(0..100) {
        0..=69 => (TicketType::Full, 100),
        70..=79 => (TicketType::Child, 70),
        80..=87 => (TicketType::Student, 80),
        88..=91 => (TicketType::Senior, 70),
        92..=97 => (TicketType::Discount, 85),
        _ => (TicketType::Invitation, 0),
    }
}

fn channel(rng: &mut ChaCha8Rng) -> (Channel, i64) {
    // (channel, how many minutes before the show a sale may happen)
    match rng.gen_range(0..100) {
        0..=34 => (Channel::Online, 4320),
        35..=84 => (Channel::BoxOffice, 90),
        85..=94 => (Channel::Kiosk, 120),
        _ => (Channel::Partner, 2880),
    }
}

/// Rounds a tenge amount to the nearest 50, as price boards do.
fn round50(kzt: i64) -> i64 {
    ((kzt + 25) / 50) * 50
}

pub fn new_event_id(rng: &mut ChaCha8Rng) -> EventId {
    EventId::from_uuid(uuid::Builder::from_random_bytes(rng.gen()).into_uuid())
}

/// How long a simulated session holds its hall: shorter than the shortest gap between two
/// starts in one hall (125 minutes), so the declared schedule never overlaps.
pub const SESSION_MINUTES: i64 = 120;

/// All events of `day`, ordered by `occurred_at`. Sale times never pass `now`.
pub fn day_events(
    rng: &mut ChaCha8Rng,
    market: &Market,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Vec<TicketEvent> {
    day_traffic(rng, market, day, now).0
}

/// [`day_events`] and the day's sessions as their cinemas would declare them (every hall's
/// schedule, scheduled, all seats on sale; `declared_at` is `now`, for the sender to set).
/// The random draws are the same as [`day_events`]'s: declaring changes no ticket.
pub fn day_traffic(
    rng: &mut ChaCha8Rng,
    market: &Market,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> (Vec<TicketEvent>, Vec<Declaration>) {
    let mut sessions = Vec::new();
    let offset = schemas::time::kz_offset();
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_local_timezone(offset)
        .single()
        .expect("fixed offset")
        .to_utc();
    let showing: Vec<(&SimFilm, f64)> = market
        .films
        .iter()
        .filter(|f| f.record.release_date <= day)
        .map(|f| (f, f64::from(f.appeal) * decay(f.record.release_date, day)))
        .collect();
    let mut out = Vec::new();
    if showing.is_empty() {
        return (out, sessions);
    }
    let day_factor = weekday_factor(day);
    for cinema in &market.cinemas {
        for (h, hall) in cinema.halls.iter().enumerate() {
            let mut minute = 600 + rng.gen_range(0..30);
            let mut n = 0;
            while minute <= 24 * 60 + 30 {
                n += 1;
                let Some(film) = pick_film(rng, &showing) else {
                    break;
                };
                let show_start = midnight + Duration::minutes(minute);
                let appeal = f64::from(film.appeal) * decay(film.record.release_date, day) / 50.0;
                let occupancy =
                    (0.16 * day_factor * hour_factor(minute) * appeal * rng.gen_range(0.5..1.5))
                        .min(1.0);
                let sold = (f64::from(hall.seats) * occupancy).round() as u32;
                let screening_id = format!("{}-{}-{n}", day.format("%Y%m%d"), h + 1);
                sessions.push(Declaration {
                    cinema_bin: cinema.record.bin.clone(),
                    hall: hall.name.clone(),
                    screening_id: screening_id.clone(),
                    film_id: film.record.film_id.clone(),
                    show_start,
                    ends_at: show_start + Duration::minutes(SESSION_MINUTES),
                    seats_on_sale: hall.seats,
                    status: SessionStatus::Scheduled,
                    declared_at: now,
                });
                let time_pct = if minute < 12 * 60 { 70 } else { 100 };
                let per_row = (hall.seats / hall.rows).max(1);
                let first_seat = rng.gen_range(0..hall.seats.max(1));
                for i in 0..sold {
                    let (ticket_type, fare_pct) = fare(rng);
                    let (channel, lead) = channel(rng);
                    let price_kzt = round50(
                        cinema.base_price_kzt * hall.format.price_pct() / 100 * time_pct / 100
                            * fare_pct
                            / 100,
                    );
                    let sold_at =
                        (show_start - Duration::minutes(rng.gen_range(0..lead.max(1)))).min(now);
                    let seat_index = (first_seat + i) % hall.seats.max(1);
                    let seat = (hall.seats >= 80).then(|| Seat {
                        row: (seat_index / per_row + 1).to_string(),
                        number: (seat_index % per_row + 1).to_string(),
                    });
                    let sale = TicketEvent {
                        event_id: new_event_id(rng),
                        event_type: EventType::Sale,
                        cinema_bin: cinema.record.bin.clone(),
                        hall: hall.name.clone(),
                        screening_id: screening_id.clone(),
                        film_id: film.record.film_id.clone(),
                        show_start,
                        occurred_at: sold_at,
                        price: Kzt::from_tiyn(price_kzt * 100),
                        vat_rate: vat_for(cinema, sold_at.with_timezone(&offset).date_naive()),
                        seat,
                        channel,
                        ticket_type,
                        refund_of: None,
                    };
                    if price_kzt > 0 && rng.gen_bool(REFUND_RATE) {
                        let window = (show_start - sale.occurred_at).num_seconds().max(1);
                        let refunded_at = (sale.occurred_at
                            + Duration::seconds(rng.gen_range(0..window)))
                        .min(now);
                        let refund = TicketEvent {
                            event_id: new_event_id(rng),
                            event_type: EventType::Refund,
                            occurred_at: refunded_at,
                            refund_of: Some(sale.event_id),
                            ..sale.clone()
                        };
                        out.push(sale);
                        out.push(refund);
                    } else {
                        out.push(sale);
                    }
                }
                minute += rng.gen_range(125..170);
            }
        }
    }
    // Stable sort keeps a refund after its sale when both happen in the same second.
    out.sort_by_key(|e| e.occurred_at);
    (out, sessions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_saturday_looks_like_kazakhstan() {
        let start = NaiveDate::from_ymd_opt(2026, 11, 14).unwrap(); // a Saturday
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let market = Market::generate(&mut rng, start, 1);
        let now = DateTime::parse_from_rfc3339("2026-11-22T00:00:00Z")
            .unwrap()
            .to_utc();
        let events = day_events(&mut rng, &market, start, now);
        let sales = events
            .iter()
            .filter(|e| e.event_type == EventType::Sale)
            .count();
        let refunds = events.len() - sales;
        assert!((30_000..=250_000).contains(&sales), "sales {sales}");
        let refund_share = refunds as f64 / sales as f64;
        assert!(
            (0.015..=0.035).contains(&refund_share),
            "refunds {refund_share}"
        );
        let paid: Vec<_> = events.iter().filter(|e| e.price.tiyn() > 0).collect();
        let avg = paid.iter().map(|e| e.price.tiyn()).sum::<i64>() / paid.len() as i64 / 100;
        assert!((1_200..=3_500).contains(&avg), "average ticket {avg} KZT");
        assert!(events
            .iter()
            .all(|e| e.day() == start || e.day() == start.succ_opt().unwrap()));
        // Every refund follows its sale in the stream.
        let mut seen = std::collections::HashSet::new();
        for e in &events {
            if let Some(r) = e.refund_of {
                assert!(seen.contains(&r));
            }
            seen.insert(e.event_id);
        }
    }

    #[test]
    fn same_seed_same_day() {
        let start = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-22T00:00:00Z")
            .unwrap()
            .to_utc();
        let run = || {
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            let m = Market::generate(&mut rng, start, 1);
            day_events(&mut rng, &m, start, now)
                .into_iter()
                .map(|e| e.to_json())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
