//! What the chart says of seats, from declared sessions (issue 25, item 7; KOBIS publishes
//! the same): per film, its share of the period's shows and of the seats put on sale, and
//! its occupancy.
//!
//! # Words
//! - Only cinemas that declare their sessions count (`declared_sessions`): a session is its
//!   declaration in force — the latest by `declared_at`, then by arrival, as the signal rules
//!   read it — on its box-office day, if `scheduled` (a cancelled session has no seats).
//! - *Share of shows* and *share of seats*: the film's declared sessions and seats over all
//!   declared ones in the period (and the chart's cinemas: a region's, or all).
//! - *Occupancy*: the admissions the film counted at a cinema on a day it had declared
//!   sessions there, over the seats of those sessions (cinema-day by cinema-day, so a cinema
//!   that declares nothing weighs nothing). Ratios have 4 decimals; `None` where the film has
//!   no declared session.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use clickhouse::{Client, Row};
use serde::Deserialize;

use super::error::ReportError;

/// Per cinema, film and day: the declared sessions in force, not cancelled, and their seats.
/// Binds: from − 1, to + 1 (a re-declaration may move a session by a day), from, to.
pub const DECLARED_SQL: &str = "\
SELECT cinema_bin, film_id, toUInt16(d) AS day, toUInt64(count()) AS shows, toUInt64(sum(seats)) AS seats \
FROM (SELECT cinema_bin, screening_id, \
        argMax(film_id, toUInt64(declared_at) * 4294967296 + toUInt64(arrived_at)) AS film_id, \
        argMax(day, toUInt64(declared_at) * 4294967296 + toUInt64(arrived_at)) AS d, \
        argMax(seats_on_sale, toUInt64(declared_at) * 4294967296 + toUInt64(arrived_at)) AS seats, \
        argMax(toString(status), toUInt64(declared_at) * 4294967296 + toUInt64(arrived_at)) AS st \
      FROM declared_sessions FINAL WHERE day >= toDate(?) AND day <= toDate(?) \
      GROUP BY cinema_bin, screening_id) \
WHERE d >= toDate(?) AND d <= toDate(?) AND st = 'scheduled' \
GROUP BY cinema_bin, film_id, d";

/// Admissions per cinema, film and day in the period. Binds: from, to. (The day is renamed
/// inside: on 18.16 an alias `day` of `toUInt16(day)` would replace the column in `WHERE`.)
pub const ADMISSIONS_SQL: &str = "\
SELECT cinema_bin, film_id, toUInt16(d) AS day, toInt64(sum(q)) AS admissions \
FROM (SELECT cinema_bin, film_id, day AS d, qty_sum AS q FROM sales_by_cinema_day FINAL \
      WHERE day >= toDate(?) AND day <= toDate(?)) \
GROUP BY cinema_bin, film_id, d";

#[derive(Debug, Clone, PartialEq, Eq, Row, Deserialize)]
pub struct DeclaredRow {
    pub cinema_bin: String,
    pub film_id: String,
    pub day: u16,
    pub shows: u64,
    pub seats: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Row, Deserialize)]
pub struct AdmissionsRow {
    pub cinema_bin: String,
    pub film_id: String,
    pub day: u16,
    pub admissions: i64,
}

/// One film's seat figures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilmSeats {
    pub shows: u64,
    pub seats: u64,
    /// Admissions counted on the cinema-days the film had declared sessions.
    pub admissions: i64,
}

/// The period's seat figures: per film, and the totals the shares are of.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Seats {
    pub films: HashMap<String, FilmSeats>,
    pub shows: u64,
    pub seats: u64,
    /// Cinemas with a declared session in the period.
    pub cinemas: u64,
}

fn ratio(a: i64, b: i64) -> Option<String> {
    schemas::money::ratio(a, b, 4).map(|d| d.normalize().to_string())
}

impl Seats {
    /// Share of shows, share of seats and occupancy of `film` (see the module docs).
    pub fn of(&self, film: &str) -> (Option<String>, Option<String>, Option<String>) {
        let Some(f) = self.films.get(film).filter(|f| f.shows > 0) else {
            return (None, None, None);
        };
        let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        (
            ratio(i(f.shows), i(self.shows)),
            ratio(i(f.seats), i(self.seats)),
            ratio(f.admissions, i(f.seats)),
        )
    }
}

/// The figures from the rows, over the cinemas `keep` accepts (a region's, or all).
pub fn seats(
    declared: &[DeclaredRow],
    admissions: &[AdmissionsRow],
    keep: impl Fn(&str) -> bool,
) -> Seats {
    let counted: HashMap<(&str, &str, u16), i64> = admissions
        .iter()
        .map(|r| {
            (
                (r.cinema_bin.as_str(), r.film_id.as_str(), r.day),
                r.admissions,
            )
        })
        .collect();
    let mut out = Seats::default();
    let mut cinemas = HashSet::new();
    for r in declared.iter().filter(|r| keep(&r.cinema_bin)) {
        cinemas.insert(r.cinema_bin.as_str());
        out.shows += r.shows;
        out.seats += r.seats;
        let f = out.films.entry(r.film_id.clone()).or_default();
        f.shows += r.shows;
        f.seats += r.seats;
        f.admissions += counted
            .get(&(r.cinema_bin.as_str(), r.film_id.as_str(), r.day))
            .copied()
            .unwrap_or(0);
    }
    out.cinemas = cinemas.len() as u64;
    out
}

/// The rows the seats columns of one period are computed from, for every cinema: the charts
/// of a period (nationally, per region, per origin) share them ([`SeatsCache`]).
#[derive(Debug, Clone, Default)]
pub struct SeatRows {
    pub declared: Vec<DeclaredRow>,
    pub admissions: Vec<AdmissionsRow>,
}

impl SeatRows {
    /// The figures over the cinemas `keep` accepts.
    pub fn seats(&self, keep: impl Fn(&str) -> bool) -> Seats {
        seats(&self.declared, &self.admissions, keep)
    }
}

/// A period's seat rows, kept as long as a chart (`api.chart_cache_ms`), by (from, to).
pub type SeatsCache = super::cache::TtlCache<(NaiveDate, NaiveDate), SeatRows>;

/// Reads the rows of `from..=to` (the admissions only when some session was declared).
pub async fn read(
    client: &Client,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<SeatRows, ReportError> {
    let wide = (
        from.pred_opt().unwrap_or(from).to_string(),
        to.succ_opt().unwrap_or(to).to_string(),
    );
    let (f, t) = (from.to_string(), to.to_string());
    let declared: Vec<DeclaredRow> = client
        .query(DECLARED_SQL)
        .bind(wide.0.as_str())
        .bind(wide.1.as_str())
        .bind(f.as_str())
        .bind(t.as_str())
        .fetch_all()
        .await?;
    if declared.is_empty() {
        return Ok(SeatRows::default());
    }
    let admissions: Vec<AdmissionsRow> = client
        .query(ADMISSIONS_SQL)
        .bind(f.as_str())
        .bind(t.as_str())
        .fetch_all()
        .await?;
    Ok(SeatRows {
        declared,
        admissions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(cinema: &str, film: &str, day: u16, shows: u64, seats: u64) -> DeclaredRow {
        DeclaredRow {
            cinema_bin: cinema.into(),
            film_id: film.into(),
            day,
            shows,
            seats,
        }
    }

    fn a(cinema: &str, film: &str, day: u16, admissions: i64) -> AdmissionsRow {
        AdmissionsRow {
            cinema_bin: cinema.into(),
            film_id: film.into(),
            day,
            admissions,
        }
    }

    #[test]
    fn shares_are_of_declared_shows_and_seats_and_occupancy_counts_only_declared_cinema_days() {
        // C1 declares 3 shows of F (300 seats) and 1 of G (100 seats) on day 10; C2 declares
        // 1 show of F (200 seats) on day 10. F sold 150 at C1 and 50 at C2 on day 10, and
        // 999 at C3, which declares nothing, and 70 at C1 on day 11, undeclared there.
        let declared = [
            d("C1", "F", 10, 3, 300),
            d("C1", "G", 10, 1, 100),
            d("C2", "F", 10, 1, 200),
        ];
        let counted = [
            a("C1", "F", 10, 150),
            a("C2", "F", 10, 50),
            a("C3", "F", 10, 999),
            a("C1", "F", 11, 70),
            a("C1", "G", 10, 25),
        ];
        let s = seats(&declared, &counted, |_| true);
        assert_eq!((s.shows, s.seats, s.cinemas), (5, 600, 2));
        // F: 4 of 5 shows, 500 of 600 seats, 200 admitted of 500 seats.
        assert_eq!(
            s.of("F"),
            (
                Some("0.8".into()),
                Some("0.8333".into()),
                Some("0.4".into())
            )
        );
        assert_eq!(
            s.of("G"),
            (
                Some("0.2".into()),
                Some("0.1667".into()),
                Some("0.25".into())
            )
        );
        assert_eq!(s.of("H"), (None, None, None));
        // A region of C2 only: F is all of it.
        let r = seats(&declared, &counted, |c| c == "C2");
        assert_eq!(
            r.of("F"),
            (Some("1".into()), Some("1".into()), Some("0.25".into()))
        );
    }
}
