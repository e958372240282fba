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
//! A recompute names the exact (day, film, cinema) groups a batch touched. They are staged in
//! a session's temporary table ([`SCOPE_TABLE`]) and the recompute joins it, so no statement
//! ekino sends grows with the batch (a batch of 50,000 distinct films once inlined them all
//! and passed ClickHouse's 256 KiB `max_query_size`). Recomputing a group that did not change
//! writes the same figures again, which is harmless.
//!
//! # Film days
//! A film-day group is summed from its cinema-day groups (`sales_by_cinema_day FINAL`), never
//! re-read from the raw rows: a (day, film) holds every cinema's rows, so re-reading them for
//! each batch that touched a few cinemas cost the whole day's rows of its films every time
//! (measured: 1.2 M raw rows read per recompute at 10 M events). The sums are the distinct
//! counts the raw rows would give, because a hall and a show belong to one cinema: a cinema
//! counts when it showed the film with a live sale (`n_halls > 0`), screens are the sum of
//! the cinemas' halls, shows the sum of their shows.
//!
//! The film-day statement runs after the cinema-day statement is acknowledged and takes its
//! version only then. So of two recomputes of one film day (two ingest members whose cinemas
//! both showed the film), the one with the higher version started reading after the other had
//! stored its cinema days, and saw them: the newest film-day row is always the sum of the
//! newest cinema-day rows.
//!
//! # Reconciliation counts
//! A cinema-day group also counts its live sales with VAT and without (`n_vat_sales`,
//! `n_untaxed_sales`). They are facts of the rows, not verdicts: whether they differ from the
//! registry (a VAT payer selling without VAT, or the reverse) is read against the cinema's
//! registered `vat_payer` when a report asks, so correcting the registry corrects every flag
//! at once, and ingest never reads the registry.
//!
//! # Arrivals
//! A cinema-day group also keeps the last arrival of any of its rows (`last_arrived_at`, voided
//! ones included: a row voided later was still received), which is when ekino last heard from
//! the cinema about that film and day: the scorecards' "last event received" and days silent.
//!
//! # Voids
//! A voided event's row is re-inserted with `voided_by` set; every figure counts only rows
//! with `voided_by = ''`. The conditions sit inside the aggregates, not in `WHERE`, so a group
//! whose every event was voided still gets a (zero) row that replaces its old figures.

use std::collections::BTreeSet;

use chrono::NaiveDate;

/// The session-scoped temporary table holding the groups of one recompute.
pub const SCOPE_TABLE: &str = "rollup_scope";

/// Creates the scope table in the current session (Memory engine; gone with the session).
pub const CREATE_SCOPE: &str = "CREATE TEMPORARY TABLE IF NOT EXISTS rollup_scope (day Date, film_id String, cinema_bin String)";

/// Empties it before a recompute stages its groups.
pub const CLEAR_SCOPE: &str = "TRUNCATE TABLE rollup_scope";

/// The groups a batch touched: (day, film, cinema), exact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub groups: BTreeSet<(NaiveDate, String, String)>,
}

impl Scope {
    pub fn add(&mut self, day: NaiveDate, film: &str, cinema: &str) {
        // The writer skips consecutive rows of one group before calling this (`Pending::absorb`).
        self.groups
            .insert((day, film.to_owned(), cinema.to_owned()));
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    pub fn extend(&mut self, other: Scope) {
        self.groups.extend(other.groups);
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

/// The aggregate columns of `sales_by_cinema_day`, counting live (not voided) rows only.
const CINEMA_DAY_SELECT: &str = "SELECT cinema_bin, day, film_id, toUInt64(countIf(voided_by = '')), \
    toUInt64(countIf(event_type = 'sale' AND voided_by = '')), toUInt64(countIf(event_type = 'refund' AND voided_by = '')), \
    toInt64(sumIf(qty, voided_by = '')), toInt64(sumIf(gross_tiyn, voided_by = '')), toInt64(sumIf(net_tiyn, voided_by = '')), \
    toUInt64(uniqExactIf(hall, qty > 0 AND voided_by = '')), toUInt64(uniqExactIf(screening_id, qty > 0 AND voided_by = '')), \
    maxIf(occurred_at, voided_by = ''), \
    toUInt64(countIf(event_type = 'sale' AND voided_by = '' AND vat_rate_x10000 > 0)), toUInt64(countIf(event_type = 'sale' AND voided_by = '' AND vat_rate_x10000 = 0)), \
    max(arrived_at)";

const CINEMA_DAY_INSERT: &str = "INSERT INTO sales_by_cinema_day \
    (cinema_bin, day, film_id, n_events, n_sales, n_refunds, qty_sum, gross_sum, net_sum, n_halls, n_screenings, last_occurred_at, n_vat_sales, n_untaxed_sales, last_arrived_at, version) ";

/// The film-day columns of `sales_by_film_day`, summed over the film's cinema-day groups (see
/// "Film days" in the module docs): a cinema counts when it showed the film with a live sale
/// (`n_halls > 0`), and halls and shows are each cinema's own, so their sums are the national
/// distinct counts.
const FILM_DAY_SELECT: &str = "SELECT film_id, day, toUInt64(sum(n_events)), \
    toUInt64(sum(n_sales)), toUInt64(sum(n_refunds)), \
    toInt64(sum(qty_sum)), toInt64(sum(gross_sum)), toInt64(sum(net_sum)), \
    toUInt64(countIf(n_halls > 0)), toUInt64(sum(n_halls)), toUInt64(sum(n_screenings))";

const FILM_DAY_INSERT: &str = "INSERT INTO sales_by_film_day \
    (film_id, day, n_events, n_sales, n_refunds, qty_sum, gross_sum, net_sum, n_cinemas, n_screens, n_screenings, version) ";

/// Recomputes the cinema-day groups staged in [`SCOPE_TABLE`]. Constant size. The `day` and
/// `film_id` filters let the primary key skip everything outside the batch's days and films;
/// the tuple filter keeps exactly the staged groups.
/// No aliases in these statements: 18.16 would resolve a same-named alias inside the aggregates.
pub fn cinema_day_from_scope(version: u64) -> String {
    format!(
        "{CINEMA_DAY_INSERT}{CINEMA_DAY_SELECT}, toUInt64({version}) FROM ticket_events FINAL \
         WHERE day IN (SELECT day FROM rollup_scope) AND film_id IN (SELECT film_id FROM rollup_scope) \
         AND (day, film_id, cinema_bin) IN (SELECT day, film_id, cinema_bin FROM rollup_scope) \
         GROUP BY cinema_bin, day, film_id"
    )
}

/// Recomputes the film-day groups of the staged (day, film) pairs from every cinema's
/// cinema-day group: run after [`cinema_day_from_scope`] is acknowledged, with a version
/// taken after that (see "Film days").
pub fn film_day_from_scope(version: u64) -> String {
    format!(
        "{FILM_DAY_INSERT}{FILM_DAY_SELECT}, toUInt64({version}) FROM sales_by_cinema_day FINAL \
         WHERE day IN (SELECT day FROM rollup_scope) \
         AND (day, film_id) IN (SELECT day, film_id FROM rollup_scope) \
         GROUP BY film_id, day"
    )
}

fn day_filter(days: &BTreeSet<NaiveDate>) -> String {
    let days: Vec<String> = days.iter().map(|d| d.to_string()).collect();
    format!("day IN {}", literal_list(days.iter().map(String::as_str)))
}

/// Rebuilds the cinema-day groups of whole days (`ekino rollup`; a handful of days at a time).
pub fn cinema_days(days: &BTreeSet<NaiveDate>, version: u64) -> String {
    format!(
        "{CINEMA_DAY_INSERT}{CINEMA_DAY_SELECT}, toUInt64({version}) FROM ticket_events FINAL WHERE {} GROUP BY cinema_bin, day, film_id",
        day_filter(days)
    )
}

/// Rebuilds the film-day groups of whole days from their cinema-day groups: after
/// [`cinema_days`] of the same days, with a later version.
pub fn film_days(days: &BTreeSet<NaiveDate>, version: u64) -> String {
    format!(
        "{FILM_DAY_INSERT}{FILM_DAY_SELECT}, toUInt64({version}) FROM sales_by_cinema_day FINAL WHERE {} GROUP BY film_id, day",
        day_filter(days)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_statements_do_not_grow_with_the_scope() {
        // The statements never see the scope: a batch of any size sends the same text.
        let (cinema, film) = (cinema_day_from_scope(42), film_day_from_scope(43));
        assert!(cinema.len() < 4096 && film.len() < 4096);
        assert!(cinema.contains("FROM rollup_scope") && film.contains("toUInt64(43)"));
        assert!(
            !film.contains("cinema_bin IN"),
            "film days cover every cinema"
        );
        assert!(
            film.contains("FROM sales_by_cinema_day FINAL"),
            "film days are summed from the cinema days, not the raw rows"
        );
    }

    #[test]
    fn whole_days_are_quoted_and_have_no_film_or_cinema_filter() {
        let days: BTreeSet<_> = [NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()].into();
        let (cinema, film) = (cinema_days(&days, 1), film_days(&days, 2));
        assert!(cinema.contains("day IN ('2026-11-01')"), "{cinema}");
        assert!(!cinema.contains("film_id IN") && !cinema.contains("cinema_bin IN"));
        assert!(!film.contains("film_id IN"));
    }

    #[test]
    fn scope_keeps_exact_groups() {
        let mut s = Scope::default();
        let d = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        s.add(d, "F1", "C1");
        s.add(d, "F2", "C2");
        s.add(d, "F1", "C1");
        // Not the cross product (F1, C2), (F2, C1).
        assert_eq!(s.groups.len(), 2);
    }
}
