//! The daily aggregates (`sales_by_cinema_day`, `sales_by_film_day`) and the SQL that
//! recomputes them from the raw rows.
//!
//! # Why recompute, not add
//! Ticket rows arrive at least once (replays after a crash, re-sends by cinemas). Adding each
//! batch into a summing table would count a replayed row twice, and ClickHouse 18.16 has no
//! insert deduplication. So a group's aggregate is never incremented: it is recomputed from
//! `ticket_events FINAL` (deduplicated) and written as a new row version. The aggregates are
//! `ReplacingMergeTree(version)` read with `FINAL`, so the newest computation of each group is
//! the one every report sees.
//!
//! # Versions
//! `version` is the writer's clock in microseconds taken *before* the recompute's `SELECT`
//! starts. A `SELECT` sees every raw insert acknowledged before it started, so of two
//! recomputes of the same group the one with the higher version saw at least as many rows;
//! replaying an old batch recomputes with a newer clock and the same (deduplicated) rows.
//! Writers must share a clock to within the time between a raw insert and its recompute
//! (one host, or NTP); `ekino rollup` rebuilds any range from scratch if that is in doubt.
//!
//! # Scope
//! A recompute names days, films and cinemas; it recomputes every existing group in the cross
//! product. Recomputing a group that did not change writes the same figures again, which is
//! harmless, so the scope may be wider than the batch that triggered it.

use std::collections::BTreeSet;

use chrono::NaiveDate;

/// The groups a batch touched, as the sets whose cross product is recomputed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub days: BTreeSet<NaiveDate>,
    pub films: BTreeSet<String>,
    pub cinemas: BTreeSet<String>,
}

impl Scope {
    pub fn add(&mut self, day: NaiveDate, film: &str, cinema: &str) {
        self.days.insert(day);
        if !self.films.contains(film) {
            self.films.insert(film.to_owned());
        }
        if !self.cinemas.contains(cinema) {
            self.cinemas.insert(cinema.to_owned());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }
}

/// A quoted, escaped SQL string literal list: `('a', 'b')`.
fn literal_list<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from("(");
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        crate::ddl::push_literal(&mut out, v);
    }
    out.push(')');
    out
}

fn day_list(days: &BTreeSet<NaiveDate>) -> String {
    let days: Vec<String> = days.iter().map(|d| d.to_string()).collect();
    literal_list(days.iter().map(String::as_str))
}

/// Recomputes `sales_by_cinema_day` for the scope. `films`/`cinemas` of `None` mean all
/// (a rebuild of whole days).
pub fn cinema_day_sql(days: &BTreeSet<NaiveDate>, films: Option<&BTreeSet<String>>, cinemas: Option<&BTreeSet<String>>, version: u64) -> String {
    let mut filter = format!("day IN {}", day_list(days));
    if let Some(f) = films {
        filter.push_str(&format!(" AND film_id IN {}", literal_list(f.iter().map(String::as_str))));
    }
    if let Some(c) = cinemas {
        filter.push_str(&format!(" AND cinema_bin IN {}", literal_list(c.iter().map(String::as_str))));
    }
    // No aliases: 18.16 would resolve a same-named alias inside the aggregates.
    format!(
        "INSERT INTO sales_by_cinema_day \
         (cinema_bin, day, film_id, n_events, n_sales, n_refunds, qty_sum, gross_sum, net_sum, n_halls, n_screenings, last_occurred_at, version) \
         SELECT cinema_bin, day, film_id, toUInt64(count()), toUInt64(countIf(event_type = 'sale')), toUInt64(countIf(event_type = 'refund')), \
         toInt64(sum(qty)), toInt64(sum(gross_tiyn)), toInt64(sum(net_tiyn)), \
         toUInt64(uniqExactIf(hall, qty > 0)), toUInt64(uniqExactIf(screening_id, qty > 0)), max(occurred_at), toUInt64({version}) \
         FROM ticket_events FINAL WHERE {filter} GROUP BY cinema_bin, day, film_id"
    )
}

/// Recomputes `sales_by_film_day` for the days and films (every cinema).
pub fn film_day_sql(days: &BTreeSet<NaiveDate>, films: Option<&BTreeSet<String>>, version: u64) -> String {
    let mut filter = format!("day IN {}", day_list(days));
    if let Some(f) = films {
        filter.push_str(&format!(" AND film_id IN {}", literal_list(f.iter().map(String::as_str))));
    }
    format!(
        "INSERT INTO sales_by_film_day \
         (film_id, day, n_events, n_sales, n_refunds, qty_sum, gross_sum, net_sum, n_cinemas, n_screens, n_screenings, version) \
         SELECT film_id, day, toUInt64(count()), toUInt64(countIf(event_type = 'sale')), toUInt64(countIf(event_type = 'refund')), \
         toInt64(sum(qty)), toInt64(sum(gross_tiyn)), toInt64(sum(net_tiyn)), \
         toUInt64(uniqExactIf(cinema_bin, qty > 0)), toUInt64(uniqExactIf(cinema_bin, hall, qty > 0)), \
         toUInt64(uniqExactIf(cinema_bin, screening_id, qty > 0)), toUInt64({version}) \
         FROM ticket_events FINAL WHERE {filter} GROUP BY film_id, day"
    )
}

/// Both statements for a batch's scope, cinema-day first.
pub fn for_scope(scope: &Scope, version: u64) -> [String; 2] {
    [
        cinema_day_sql(&scope.days, Some(&scope.films), Some(&scope.cinemas), version),
        film_day_sql(&scope.days, Some(&scope.films), version),
    ]
}

/// Both statements rebuilding whole days.
pub fn for_days(days: &BTreeSet<NaiveDate>, version: u64) -> [String; 2] {
    [cinema_day_sql(days, None, None, version), film_day_sql(days, None, version)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_lists_are_quoted_and_escaped() {
        let mut s = Scope::default();
        let d = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        s.add(d, "KZ-2026-0001", "210140012345");
        s.add(d, "it's", "210140012345");
        let [cinema, film] = for_scope(&s, 42);
        assert!(cinema.contains("day IN ('2026-11-02')"), "{cinema}");
        assert!(cinema.contains("film_id IN ('KZ-2026-0001', 'it\\'s')"), "{cinema}");
        assert!(cinema.contains("cinema_bin IN ('210140012345')"), "{cinema}");
        assert!(film.contains("toUInt64(42)"));
        assert!(!film.contains("cinema_bin IN"), "film days cover every cinema");
    }

    #[test]
    fn whole_days_have_no_film_or_cinema_filter() {
        let days: BTreeSet<_> = [NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()].into();
        let [cinema, film] = for_days(&days, 1);
        assert!(!cinema.contains("film_id IN") && !cinema.contains("cinema_bin IN"));
        assert!(!film.contains("film_id IN"));
    }
}
