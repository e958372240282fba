//! The public daily chart, as Korea's KOBIS publishes it: rank, rank change, new entries,
//! gross, share, admissions, screens, screenings and cumulative figures, per film, for one
//! box-office day (UTC+5).

use chrono::NaiveDate;
use clickhouse::{Client, Row};
use schemas::Kzt;
use serde::{Deserialize, Serialize};

use super::registry::{Registry, Title};
use super::status::{DayStatus, Statuses};
use super::ReportError;

// Aliases never repeat a column name: 18.16 resolves a column reference to a same-named
// alias, which would nest one aggregate inside another.
pub const CHART_SQL: &str = "\
SELECT film_id, \
  toInt64(sumIf(gross_sum, day = toDate(?))) AS day_gross, \
  toInt64(sumIf(qty_sum, day = toDate(?))) AS day_admissions, \
  toUInt64(sumIf(n_screens, day = toDate(?))) AS day_screens, \
  toUInt64(sumIf(n_screenings, day = toDate(?))) AS day_screenings, \
  toInt64(sumIf(gross_sum, day = toDate(?) - 1)) AS prev_gross, \
  toInt64(sum(gross_sum)) AS cum_gross, \
  toInt64(sum(qty_sum)) AS cum_admissions, \
  min(day) AS first_day \
FROM sales_by_film_day FINAL WHERE day <= toDate(?) \
GROUP BY film_id";

#[derive(Debug, Row, Deserialize)]
struct ChartRow {
    film_id: String,
    day_gross: i64,
    day_admissions: i64,
    day_screens: u64,
    day_screenings: u64,
    prev_gross: i64,
    cum_gross: i64,
    cum_admissions: i64,
    first_day: u16,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChartEntry {
    pub rank: u32,
    /// Yesterday's rank minus today's (positive: climbed); `None` for a film not ranked yesterday.
    pub rank_change: Option<i64>,
    pub is_new: bool,
    pub film_id: String,
    pub title: Option<Title>,
    pub gross: Kzt,
    /// Share of the day's gross, 4 decimals.
    pub share: String,
    pub admissions: i64,
    pub screens: u64,
    pub screenings: u64,
    pub cumulative_gross: Kzt,
    pub cumulative_admissions: i64,
    /// The worst status of the film's cinemas that day.
    pub status: DayStatus,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DailyChart {
    pub date: String,
    /// `provisional` until the day closes, `final` after, `corrected` if changed after.
    pub status: DayStatus,
    pub total_gross: Kzt,
    pub total_admissions: i64,
    pub films: Vec<ChartEntry>,
}

/// Ranks by gross, then admissions, then film id, so a tie always ranks the same way.
fn ranked<'a>(rows: impl Iterator<Item = (&'a str, i64, i64)>) -> Vec<&'a str> {
    let mut v: Vec<(&str, i64, i64)> = rows.collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
    v.into_iter().map(|(f, _, _)| f).collect()
}

pub async fn daily_chart(client: &Client, registry: &Registry, date: NaiveDate, statuses: &Statuses) -> Result<DailyChart, ReportError> {
    let d = date.to_string();
    let mut q = client.query(CHART_SQL);
    for _ in 0..6 {
        q = q.bind(d.as_str());
    }
    let rows: Vec<ChartRow> = q.fetch_all().await?;
    let today: Vec<&ChartRow> = rows.iter().filter(|r| r.day_gross != 0 || r.day_admissions != 0).collect();
    let yesterday = ranked(rows.iter().filter(|r| r.prev_gross > 0).map(|r| (r.film_id.as_str(), r.prev_gross, 0)));
    let order = ranked(today.iter().map(|r| (r.film_id.as_str(), r.day_gross, r.day_admissions)));
    let total_gross: i64 = today.iter().map(|r| r.day_gross).sum();
    let total_admissions: i64 = today.iter().map(|r| r.day_admissions).sum();
    let day_number = schemas::time::days_since_epoch(date);
    // Indexes instead of a search per film: the chart is O(n log n) in its films (sorting).
    let by_film: std::collections::HashMap<&str, &ChartRow> = today.iter().map(|r| (r.film_id.as_str(), *r)).collect();
    let yesterday_rank: std::collections::HashMap<&str, usize> = yesterday.iter().enumerate().map(|(i, f)| (*f, i + 1)).collect();
    let films = order
        .iter()
        .enumerate()
        .map(|(i, film)| {
            let r = by_film[film];
            let rank = i as u32 + 1;
            let share = schemas::money::ratio(r.day_gross, total_gross, 4).map_or_else(|| "0".to_owned(), |d| d.to_string());
            ChartEntry {
                status: statuses.film_day(day_number, film),
                rank,
                rank_change: yesterday_rank.get(film).map(|p| *p as i64 - i64::from(rank)),
                is_new: r.first_day == day_number,
                film_id: r.film_id.clone(),
                title: registry.films.get(&r.film_id).map(|f| f.title.clone()),
                gross: Kzt::from_tiyn(r.day_gross),
                share,
                admissions: r.day_admissions,
                screens: r.day_screens,
                screenings: r.day_screenings,
                cumulative_gross: Kzt::from_tiyn(r.cum_gross),
                cumulative_admissions: r.cum_admissions,
            }
        })
        .collect();
    Ok(DailyChart { date: d, status: statuses.day(day_number), total_gross: Kzt::from_tiyn(total_gross), total_admissions, films })
}

/// The public daily chart per date, kept at most `api.chart_cache_ms` (≤ 1 s).
pub type ChartCache = super::cache::TtlCache<NaiveDate, DailyChart>;
