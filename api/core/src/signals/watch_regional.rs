//! The watcher's regional round (`api.signals.regional_interval_ms`, 30 s by default): the
//! outliers against the cinema's region (`regional`) of every day whose window changed.
//!
//! A window ends on a day D and reaches `regional_window_days` back, so a change to day X
//! (its daily aggregates recomputed, a session declared) changes the windows ending on
//! X ..= X + days − 1; those up to today (the state's clock, box-office day) are judged again,
//! national at once: every cinema of every region on each such day. A day with nothing
//! changed keeps what was stored. Like the per-session round, its progress is stored
//! (`signal_progress`, watcher `regional`) and re-read with the overlap, and the findings are
//! a function of what is stored: two processes write the same rows.
//!
//! Each statement is bounded: windows are judged at most [`ENDS_PER_READ`] days at a time, from
//! two reads of `days + ENDS_PER_READ` days of daily aggregates and declared sessions.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Days, NaiveDate};
use clickhouse::Row;
use serde::Deserialize;

use super::regional::{self, CinemaWindow, Sums};
use super::report::SignalRow;
use super::rules::Kind;
use super::store::{progress, row_of, store_progress};
use crate::reports::occupancy::{DeclaredRow, DECLARED_SQL};
use crate::reports::ReportError;
use crate::state::AppState;

/// The progress row of this round.
pub const WATCHER: &str = "regional";

/// Window ends judged per read.
const ENDS_PER_READ: usize = 31;

/// Each cinema's counted sales, refunds, admissions and gross per day. Binds: from, to. (The
/// day is renamed inside: on 18.16 an alias `day` of `toUInt16(day)` would replace the column
/// in `WHERE`.)
pub const DAILY_SQL: &str = "\
SELECT cinema_bin, toUInt16(d) AS day, toUInt64(sum(s)) AS sales, toUInt64(sum(r)) AS refunds, \
       toInt64(sum(q)) AS admissions, toInt64(sum(g)) AS gross_tiyn \
FROM (SELECT cinema_bin, day AS d, n_sales AS s, n_refunds AS r, qty_sum AS q, gross_sum AS g \
      FROM sales_by_cinema_day FINAL WHERE day >= toDate(?) AND day <= toDate(?)) \
GROUP BY cinema_bin, d";

#[derive(Debug, Row, Deserialize)]
struct DailyIn {
    cinema_bin: String,
    day: u16,
    sales: u64,
    refunds: u64,
    admissions: i64,
    gross_tiyn: i64,
}

/// One regional round: judges every window that changed since `since` (µs; `None`: the
/// stored progress) less the overlap; returns the version the next round starts from.
pub async fn round(s: &AppState, since: Option<u64>) -> Result<u64, ReportError> {
    let started = ingest::rollup::version_now();
    let clock = std::time::Instant::now();
    let since = match since {
        Some(v) => v,
        None => progress(s, WATCHER).await?,
    };
    let from = since.saturating_sub(s.settings.signals.overlap_ms.saturating_mul(1000));
    let secs = from / 1_000_000;
    let mut changed: Vec<u16> =
        s.ch.query(&format!(
            "SELECT DISTINCT toUInt16(day) FROM sales_by_cinema_day WHERE version >= {from}"
        ))
        .fetch_all()
        .await?;
    let declared: Vec<u16> = s
        .ch
        .query(&format!(
            "SELECT DISTINCT toUInt16(day) FROM declared_sessions WHERE ingested_at >= toDateTime({secs})"
        ))
        .fetch_all()
        .await?;
    changed.extend(declared);
    let today = schemas::time::box_office_day(s.clock.now());
    let window = s.settings.signals.regional_window_days.max(1);
    let ends = window_ends(&changed, window, today);
    let mut stored = 0usize;
    let ends: Vec<NaiveDate> = ends.into_iter().collect();
    for chunk in ends.chunks(ENDS_PER_READ) {
        stored += judge(s, chunk, window).await?;
    }
    store_progress(s, WATCHER, started).await?;
    tracing::debug!(
        days = ends.len(),
        stored,
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "signal watcher: regional round done"
    );
    Ok(started)
}

/// The days whose window holds a changed day: each changed day, and the days after it within
/// a window, up to `today` (a changed day after today is judged itself).
pub fn window_ends(changed: &[u16], window: u32, today: NaiveDate) -> BTreeSet<NaiveDate> {
    let mut out = BTreeSet::new();
    for d in changed {
        let x = schemas::time::date_from_days(*d);
        out.insert(x);
        let mut next = x;
        for _ in 1..window {
            next = next + Days::new(1);
            if next > today {
                break;
            }
            out.insert(next);
        }
    }
    out
}

/// Judges the windows ending on `ends` (sorted) and stores what changed; returns rows stored.
async fn judge(s: &AppState, ends: &[NaiveDate], window: u32) -> Result<usize, ReportError> {
    let (Some(first), Some(last)) = (ends.first(), ends.last()) else {
        return Ok(0);
    };
    let start = *first - Days::new(u64::from(window - 1));
    let (from, to) = (start.to_string(), last.to_string());
    let daily: Vec<DailyIn> =
        s.ch.query(DAILY_SQL)
            .bind(&from)
            .bind(&to)
            .fetch_all()
            .await?;
    let declared: Vec<DeclaredRow> =
        s.ch.query(DECLARED_SQL)
            .bind((start - Days::new(1)).to_string())
            .bind((*last + Days::new(1)).to_string())
            .bind(&from)
            .bind(&to)
            .fetch_all()
            .await?;
    let registry = s.registry().await?;
    let app = &s.app_db;
    let days_list: Vec<String> = ends.iter().map(|d| format!("toDate('{d}')")).collect();
    let kinds: Vec<String> = Kind::REGIONAL
        .iter()
        .map(|k| format!("'{}'", k.code()))
        .collect();
    let existing: Vec<SignalRow> =
        s.ch.query(&format!(
            "SELECT ?fields FROM {app}.signals FINAL WHERE day IN ({}) AND kind IN ({})",
            days_list.join(", "),
            kinds.join(", ")
        ))
        .fetch_all()
        .await?;

    // Per cinema, per day: its sums (seats only where it declared).
    let mut by_cinema: BTreeMap<String, BTreeMap<u16, Sums>> = BTreeMap::new();
    for r in daily {
        let e = by_cinema
            .entry(r.cinema_bin)
            .or_default()
            .entry(r.day)
            .or_default();
        e.sales += r.sales;
        e.refunds += r.refunds;
        e.admissions += r.admissions;
        e.gross_tiyn += r.gross_tiyn;
    }
    for r in declared {
        if let Some(e) = by_cinema
            .get_mut(&r.cinema_bin)
            .and_then(|days| days.get_mut(&r.day))
        {
            e.declared_seats += r.seats;
        }
    }
    for days in by_cinema.values_mut() {
        for e in days.values_mut() {
            if e.declared_seats > 0 {
                e.declared_admissions = e.admissions;
            }
        }
    }

    let thresholds = s.settings.signals.regional();
    let mut before: HashMap<(String, u16, String), SignalRow> = existing
        .into_iter()
        .map(|r| ((r.cinema_bin.clone(), r.day, r.kind.clone()), r))
        .collect();
    let (now, version) = (s.now_secs(), ingest::rollup::version_now());
    let mut write = Vec::new();
    for end in ends {
        let (lo, hi) = (
            schemas::time::days_since_epoch(*end - Days::new(u64::from(window - 1))),
            schemas::time::days_since_epoch(*end),
        );
        let cinemas: Vec<CinemaWindow> = by_cinema
            .iter()
            .map(|(bin, days)| {
                let mut w = Sums::default();
                for d in days.range(lo..=hi).map(|(_, d)| d) {
                    w.add(d);
                }
                CinemaWindow {
                    cinema_bin: bin.clone(),
                    region: registry
                        .cinema_regions
                        .get(bin)
                        .copied()
                        .flatten()
                        .map(|r| r.code().to_owned()),
                    window: w,
                    day: days.get(&hi).copied().unwrap_or_default(),
                }
            })
            .collect();
        let window_from = schemas::time::date_from_days(lo).to_string();
        for (bin, f) in regional::evaluate(&cinemas, &window_from, &end.to_string(), &thresholds) {
            let key = (bin.clone(), hi, f.kind.code().to_owned());
            if let Some(row) = row_of(&bin, hi, &f, before.remove(&key), now, version) {
                write.push(row);
            }
        }
    }
    // `before` holds the judged days' stored rows only.
    super::store::write(s, write, before.into_values(), version).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_changed_day_reopens_the_windows_that_hold_it_up_to_today() {
        let x = schemas::time::days_since_epoch(day("2026-12-01"));
        // A 3-day window: 1 Dec is in the windows ending 1, 2 and 3 Dec.
        let ends = window_ends(&[x], 3, day("2026-12-07"));
        assert_eq!(
            ends.into_iter().collect::<Vec<_>>(),
            vec![day("2026-12-01"), day("2026-12-02"), day("2026-12-03")]
        );
        // Today is 2 Dec: the window ending 3 Dec is not yet.
        let ends = window_ends(&[x], 3, day("2026-12-02"));
        assert_eq!(ends.len(), 2);
        // A presale for a day after today is judged on its own day.
        let ends = window_ends(&[x], 3, day("2026-11-20"));
        assert_eq!(
            ends.into_iter().collect::<Vec<_>>(),
            vec![day("2026-12-01")]
        );
    }
}
