//! `ekino simulate --plant-signals`, every day: three cinemas of the planted cinema's region
//! (Almaty, 28 cinemas) that report their ordinary traffic dishonestly, so that the regional
//! outliers (`api_core::signals::regional`) have a case each over the window:
//! - the *cheap* one reports every ticket at 40 % of its price (average_price_outlier);
//! - the *refunding* one refunds one sale in five that was never refunded, half-way between
//!   the sale and the show (refund_rate_outlier: about 22 % against the region's 2.5 %);
//! - the *hiding* one reports one sale in three and only those sales' refunds, while it
//!   declares every session with all its seats (occupancy_outlier).
//!
//! What each picks is a function of the event's id, so the same seed makes the same traffic;
//! the events left are ordinary valid events, counted by the ledger as sent.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use schemas::{EventId, EventType, Kzt, TicketEvent};

use super::model::Market;

/// The three cinemas, by BIN.
#[derive(Debug, Clone, Default)]
pub struct Dishonest {
    pub cheap: String,
    pub refunding: String,
    pub hiding: String,
}

impl Dishonest {
    /// The three cinemas after the planted one (the first with two halls) in its region;
    /// `None` when the region has fewer than four.
    pub fn of(market: &Market) -> Option<Dishonest> {
        let planted = market.cinemas.iter().find(|c| c.halls.len() >= 2)?;
        let mut others = market
            .cinemas
            .iter()
            .filter(|c| {
                c.record.region == planted.record.region && c.record.bin != planted.record.bin
            })
            .map(|c| c.record.bin.to_string());
        Some(Dishonest {
            cheap: others.next()?,
            refunding: others.next()?,
            hiding: others.next()?,
        })
    }

    pub fn contains(&self, bin: &str) -> bool {
        [&self.cheap, &self.refunding, &self.hiding]
            .iter()
            .any(|b| b.as_str() == bin)
    }

    /// The day's events as the three report them, in order of time; others untouched.
    pub fn distort(&self, events: &mut Vec<TicketEvent>, now: DateTime<Utc>) {
        // One sale in three of the hiding cinema is reported; its other sales' refunds go too.
        let hidden: HashSet<EventId> = events
            .iter()
            .filter(|e| {
                e.cinema_bin.as_str() == self.hiding
                    && e.event_type == EventType::Sale
                    && pick(&e.event_id) % 3 != 0
            })
            .map(|e| e.event_id)
            .collect();
        events.retain(|e| {
            !(hidden.contains(&e.event_id) || e.refund_of.is_some_and(|s| hidden.contains(&s)))
        });
        let refunded: HashSet<EventId> = events.iter().filter_map(|e| e.refund_of).collect();
        let mut added = Vec::new();
        for e in events.iter_mut() {
            let bin = e.cinema_bin.as_str();
            if bin == self.cheap {
                // Sale and refund alike, so a refund still carries its sale's price.
                e.price = Kzt::from_tiyn(e.price.tiyn() * 2 / 5 / 100 * 100);
            } else if bin == self.refunding
                && e.event_type == EventType::Sale
                && e.price.tiyn() > 0
                && !refunded.contains(&e.event_id)
                && pick(&e.event_id) % 5 == 0
            {
                let halfway = e.occurred_at + (e.show_start - e.occurred_at) / 2;
                let bytes = e.event_id.uuid().as_u128() ^ 0x5eed_0000_0000_0000_0000_0000_0000_0001;
                added.push(TicketEvent {
                    event_id: EventId::from_uuid(uuid::Uuid::from_u128(bytes)),
                    event_type: EventType::Refund,
                    occurred_at: halfway.min(now).max(e.occurred_at),
                    refund_of: Some(e.event_id),
                    ..e.clone()
                });
            }
        }
        events.append(&mut added);
        // Stable: a refund stays after its sale when both happen in the same second.
        events.sort_by_key(|e| e.occurred_at);
    }
}

/// A number drawn from an event's id (its random bits).
fn pick(id: &EventId) -> u8 {
    id.uuid().as_bytes()[15]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn the_three_cinemas_report_a_day_as_stated_and_the_others_as_they_sold() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 14).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-22T00:00:00Z")
            .unwrap()
            .to_utc();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let market = Market::generate(&mut rng, day, 1);
        let d = Dishonest::of(&market).expect("Almaty has four cinemas");
        let honest = super::super::traffic::day_events(&mut rng, &market, day, now);
        let mut told = honest.clone();
        d.distort(&mut told, now);
        let of = |v: &[TicketEvent], bin: &str, t: EventType| -> Vec<TicketEvent> {
            v.iter()
                .filter(|e| e.cinema_bin.as_str() == bin && e.event_type == t)
                .cloned()
                .collect()
        };
        // Cheap: the same tickets at 40 % of their price (whole tenge).
        let (was, is) = (
            of(&honest, &d.cheap, EventType::Sale),
            of(&told, &d.cheap, EventType::Sale),
        );
        assert_eq!(was.len(), is.len());
        for (w, i) in was.iter().zip(&is) {
            assert_eq!(i.price.tiyn(), w.price.tiyn() * 2 / 5 / 100 * 100);
        }
        // Refunding: every sale still there, about one paid sale in five more refunded, each
        // refund after its sale and once.
        let sales = of(&told, &d.refunding, EventType::Sale);
        let refunds = of(&told, &d.refunding, EventType::Refund);
        assert_eq!(
            sales.len(),
            of(&honest, &d.refunding, EventType::Sale).len()
        );
        let share = refunds.len() as f64 / sales.len() as f64;
        assert!((0.15..=0.30).contains(&share), "refund share {share}");
        let ids: HashSet<EventId> = refunds.iter().filter_map(|r| r.refund_of).collect();
        assert_eq!(ids.len(), refunds.len(), "a sale refunded twice");
        // Hiding: about a third of its sales, and no refund of a sale left out.
        let hidden_sales = of(&told, &d.hiding, EventType::Sale);
        let all_sales = of(&honest, &d.hiding, EventType::Sale);
        let share = hidden_sales.len() as f64 / all_sales.len() as f64;
        assert!((0.25..=0.42).contains(&share), "reported share {share}");
        let kept: HashSet<EventId> = hidden_sales.iter().map(|e| e.event_id).collect();
        assert!(of(&told, &d.hiding, EventType::Refund)
            .iter()
            .all(|r| kept.contains(&r.refund_of.unwrap())));
        // Everyone else: untouched.
        let others = |v: &[TicketEvent]| -> Vec<TicketEvent> {
            v.iter()
                .filter(|e| !d.contains(e.cinema_bin.as_str()))
                .cloned()
                .collect()
        };
        assert_eq!(others(&honest), others(&told));
        // In order of time, each refund after its sale.
        let mut seen = HashSet::new();
        for e in &told {
            if let Some(s) = e.refund_of {
                assert!(seen.contains(&s));
            }
            seen.insert(e.event_id);
        }
    }
}
