//! The public box-office chart, as Korea's KOBIS publishes it: rank, rank change, new
//! entries, gross, share, change against the previous period, admissions, screens, shows and
//! cumulative figures, per film, with each film's release date, days in release and
//! distributor.
//!
//! # Periods
//! - `day`: one box-office day (UTC+5); the previous period is the day before.
//! - `weekend`: Friday to Sunday of the Monday–Sunday week holding `date`.
//! - `week`: Monday to Sunday holding `date`.
//! - `month`: the calendar month holding `date`.
//! - `year`: the year to date: 1 January to `date`.
//!
//! A weekend or week is compared with the same period a week earlier, a month with the month
//! before, a year to date with the same days of the year before (to 28 February when `date`
//! is 29 February). Screens of a longer period are the film's most screens on any one of its
//! days; shows and money are sums. A longer period also carries its figures day by day
//! (`trend`), for the trend chart.
//!
//! # What is public
//! Only registered films are ranked: the sales of film ids not in the registry are one
//! `unregistered` line (a cinema cannot write text onto the national chart). Shares are of
//! the period's whole gross, the unregistered line included. A `region` chart covers the
//! cinemas registered in that region and is answered only for a region with at least
//! [`MIN_REPORTING_CINEMAS`] cinemas reporting in the period (one cinema's sales stay its
//! own); `regions` lists the regions that qualify. The `origin` filter (national or foreign)
//! leaves the unregistered line out, since its origin is unknown.
//!
//! # Words
//! Days in release count from the registered release date (the release day is day 1); a
//! showing before it (a preview) has none. Cumulative figures run from a film's first
//! reported day to the period's end. "Data as of" is the newest recompute of the
//! aggregates the chart read (their `version`, the writer's clock).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, NaiveDate};
use clickhouse::{Client, Row};
use schemas::region::Region;
use schemas::Kzt;
use serde::{Deserialize, Serialize};

use super::error::ReportError;
use super::registry::{Registry, Title};
use super::status::{DayStatus, Statuses};

/// A region chart needs this many cinemas reporting in the period.
pub const MIN_REPORTING_CINEMAS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Weekend,
    Week,
    Month,
    /// The year to date.
    Year,
}

impl Period {
    pub const ALL: [Period; 5] = [
        Period::Day,
        Period::Weekend,
        Period::Week,
        Period::Month,
        Period::Year,
    ];

    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "day" => Some(Period::Day),
            "weekend" => Some(Period::Weekend),
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            "year" => Some(Period::Year),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Weekend => "weekend",
            Period::Week => "week",
            Period::Month => "month",
            Period::Year => "year",
        }
    }

    /// The period holding `date`: (first day, last day).
    pub fn bounds(self, date: NaiveDate) -> (NaiveDate, NaiveDate) {
        let monday = date - Days::new(u64::from(date.weekday().num_days_from_monday()));
        match self {
            Period::Day => (date, date),
            Period::Weekend => (monday + Days::new(4), monday + Days::new(6)),
            Period::Week => (monday, monday + Days::new(6)),
            Period::Month => (first_of_month(date), last_of_month(date)),
            Period::Year => (first_of_year(date), date),
        }
    }

    /// The period compared with: the day before, the same days a week earlier, the month
    /// before, or the same days of the year before.
    pub fn previous(self, date: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            Period::Month => {
                let before = first_of_month(date) - Days::new(1);
                (first_of_month(before), before)
            }
            Period::Year => {
                let year = date.year() - 1;
                let same = NaiveDate::from_ymd_opt(year, date.month(), date.day())
                    .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), 28))
                    .unwrap_or(date);
                (first_of_year(same), same)
            }
            _ => {
                let back = Days::new(if self == Period::Day { 1 } else { 7 });
                let (from, to) = self.bounds(date);
                (from - back, to - back)
            }
        }
    }
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn last_of_month(d: NaiveDate) -> NaiveDate {
    let next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    next.map_or(d, |n| n - Days::new(1))
}

fn first_of_year(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    National,
    Foreign,
}

impl Origin {
    pub fn parse(s: &str) -> Option<Origin> {
        match s {
            "national" => Some(Origin::National),
            "foreign" => Some(Origin::Foreign),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Origin::National => "national",
            Origin::Foreign => "foreign",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChartQuery {
    pub date: NaiveDate,
    pub period: Period,
    pub region: Option<Region>,
    pub origin: Option<Origin>,
}

impl ChartQuery {
    pub fn day(date: NaiveDate) -> Self {
        Self {
            date,
            period: Period::Day,
            region: None,
            origin: None,
        }
    }
}

/// Per film over all cinemas (the national chart). Aliases never repeat a column name: 18.16
/// resolves a column reference to a same-named alias, which would nest aggregates.
/// Binds: from, to (4 times), previous from, to, then the period's end.
pub const NATIONAL_SQL: &str = "\
SELECT film_id, \
  toInt64(sumIf(gross_sum, day >= toDate(?) AND day <= toDate(?))) AS p_gross, \
  toInt64(sumIf(qty_sum, day >= toDate(?) AND day <= toDate(?))) AS p_admissions, \
  toUInt64(maxIf(n_screens, day >= toDate(?) AND day <= toDate(?))) AS p_screens, \
  toUInt64(sumIf(n_screenings, day >= toDate(?) AND day <= toDate(?))) AS p_screenings, \
  toInt64(sumIf(gross_sum, day >= toDate(?) AND day <= toDate(?))) AS prev_gross, \
  toInt64(sum(gross_sum)) AS cum_gross, \
  toInt64(sum(qty_sum)) AS cum_admissions, \
  min(day) AS first_day \
FROM sales_by_film_day FINAL WHERE day <= toDate(?) \
GROUP BY film_id";

/// The same per film over some cinemas (a region's), from the cinema-day aggregate: first
/// per film and day (a day's screens are the sum of its cinemas' halls), then per film.
/// `{cinemas}` is a list of quoted BINs (digits only, checked before formatting).
pub const REGION_SQL: &str = "\
SELECT film_id, \
  toInt64(sumIf(g, day >= toDate(?) AND day <= toDate(?))) AS p_gross, \
  toInt64(sumIf(q, day >= toDate(?) AND day <= toDate(?))) AS p_admissions, \
  toUInt64(maxIf(h, day >= toDate(?) AND day <= toDate(?))) AS p_screens, \
  toUInt64(sumIf(s, day >= toDate(?) AND day <= toDate(?))) AS p_screenings, \
  toInt64(sumIf(g, day >= toDate(?) AND day <= toDate(?))) AS prev_gross, \
  toInt64(sum(g)) AS cum_gross, \
  toInt64(sum(q)) AS cum_admissions, \
  min(day) AS first_day \
FROM (SELECT film_id, day, sum(gross_sum) AS g, sum(qty_sum) AS q, sum(n_halls) AS h, sum(n_screenings) AS s \
      FROM sales_by_cinema_day FINAL WHERE day <= toDate(?) AND cinema_bin IN ({cinemas}) GROUP BY film_id, day) \
GROUP BY film_id";

/// A longer period's figures per day and film (national), for the trend. Binds: from, to.
pub const TREND_SQL: &str = "\
SELECT day, film_id, toInt64(sum(gross_sum)) AS g, toInt64(sum(qty_sum)) AS q \
FROM sales_by_film_day FINAL WHERE day >= toDate(?) AND day <= toDate(?) GROUP BY day, film_id";

/// The same over some cinemas (a region's); `{cinemas}` as in [`REGION_SQL`].
pub const REGION_TREND_SQL: &str = "\
SELECT day, film_id, toInt64(sum(gross_sum)) AS g, toInt64(sum(qty_sum)) AS q \
FROM sales_by_cinema_day FINAL WHERE day >= toDate(?) AND day <= toDate(?) AND cinema_bin IN ({cinemas}) \
GROUP BY day, film_id";

#[derive(Debug, Row, Deserialize)]
struct TrendRow {
    day: u16,
    film_id: String,
    g: i64,
    q: i64,
}

/// One day of a longer period: what the chart's totals add up from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    #[schema(format = Date)]
    pub day: String,
    pub gross: Kzt,
    pub admissions: i64,
}

/// Cinemas with any sale or refund in a period. Binds: from, to.
pub const REPORTING_SQL: &str = "\
SELECT cinema_bin FROM sales_by_cinema_day FINAL \
WHERE day >= toDate(?) AND day <= toDate(?) AND n_events > 0 GROUP BY cinema_bin";

/// The newest recompute of any aggregate row (its writer's clock, µs): "data as of".
pub const AS_OF_SQL: &str = "SELECT max(version) AS v FROM sales_by_film_day";

#[derive(Debug, Row, Deserialize)]
struct ChartRow {
    film_id: String,
    p_gross: i64,
    p_admissions: i64,
    p_screens: u64,
    p_screenings: u64,
    prev_gross: i64,
    cum_gross: i64,
    cum_admissions: i64,
    first_day: u16,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChartEntry {
    pub rank: u32,
    /// The previous period's rank minus this one (positive: climbed); `None` for a film not
    /// ranked in the previous period.
    pub rank_change: Option<i64>,
    /// The film's first reported day falls in this period.
    pub is_new: bool,
    pub film_id: String,
    pub title: Option<Title>,
    #[schema(format = Date)]
    pub release_date: Option<String>,
    /// Counted from the release date (its day is day 1) to the period's last day; `None`
    /// before the release (previews).
    pub days_in_release: Option<i64>,
    pub national: Option<bool>,
    pub distributor_bin: Option<String>,
    /// The distributor's name in kk, ru and en, when registered.
    pub distributor: Option<Title>,
    pub gross: Kzt,
    /// Share of the period's gross, 4 decimals.
    pub share: String,
    /// Gross minus the previous period's.
    pub gross_change: Kzt,
    /// `gross_change` over the previous period's gross, 4 decimals; `None` when that was 0.
    pub gross_change_ratio: Option<String>,
    pub admissions: i64,
    /// The most screens (halls) on any one day of the period.
    pub screens: u64,
    pub screenings: u64,
    pub cumulative_gross: Kzt,
    pub cumulative_admissions: i64,
    /// The film's share of the period's declared shows and of their seats, and its occupancy
    /// (admissions over seats on sale), from the sessions cinemas declare
    /// (`reports::occupancy`), 4 decimals; `None` with no declared session of the film.
    pub shows_share: Option<String>,
    pub seats_share: Option<String>,
    pub occupancy: Option<String>,
    /// The worst status of the film's days (over all its cinemas) in the period.
    pub status: DayStatus,
}

/// Sales of film ids that are not registered, as one line.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Unregistered {
    pub films: u64,
    pub gross: Kzt,
    pub share: String,
    pub admissions: i64,
    pub screenings: u64,
}

/// A region a chart may be asked for.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionOffer {
    /// ISO 3166-2:KZ code.
    pub code: String,
    pub name: Title,
    pub reporting_cinemas: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DailyChart {
    /// The date asked for.
    pub date: String,
    pub period: Period,
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    pub region: Option<String>,
    pub origin: Option<Origin>,
    /// The worst day of the period: `provisional` until a day closes, `final` after,
    /// `corrected` if changed after.
    pub status: DayStatus,
    /// The newest recompute of the figures read (RFC 3339, UTC+5); `None` with no figures.
    pub data_as_of: Option<String>,
    pub total_gross: Kzt,
    pub total_admissions: i64,
    pub films: Vec<ChartEntry>,
    pub unregistered: Option<Unregistered>,
    /// Regions with at least 3 cinemas reporting in the period.
    pub regions: Vec<RegionOffer>,
    /// Cinemas (of the chart's) that declared sessions in the period: what the shares of
    /// shows and seats and the occupancy are read from.
    pub declaring_cinemas: u64,
    /// Every day of a period longer than a day with its gross and admissions (the chart's
    /// films, region and origin): they add up to `total_gross` and `total_admissions`. Empty
    /// for a day.
    pub trend: Vec<TrendPoint>,
}

/// Ranks by gross, then admissions, then film id, so a tie always ranks the same way.
fn ranked<'a>(rows: impl Iterator<Item = (&'a str, i64, i64)>) -> Vec<&'a str> {
    let mut v: Vec<(&str, i64, i64)> = rows.collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
    v.into_iter().map(|(f, _, _)| f).collect()
}

fn ratio_text(a: i64, b: i64) -> Option<String> {
    schemas::money::ratio(a, b, 4).map(|d| d.normalize().to_string())
}

/// The regions with at least [`MIN_REPORTING_CINEMAS`] of `reporting` among their cinemas.
pub fn regions_offered(registry: &Registry, reporting: &[String]) -> Vec<RegionOffer> {
    let mut count: BTreeMap<Region, u64> = BTreeMap::new();
    for bin in reporting {
        if let Some(Some(r)) = registry.cinema_regions.get(bin) {
            *count.entry(*r).or_default() += 1;
        }
    }
    count
        .into_iter()
        .filter(|(_, n)| *n >= MIN_REPORTING_CINEMAS as u64)
        .map(|(r, n)| RegionOffer {
            code: r.code().to_owned(),
            name: Title {
                kk: r.name("kk").into(),
                ru: r.name("ru").into(),
                en: r.name("en").into(),
            },
            reporting_cinemas: n,
        })
        .collect()
}

fn micros_to_kz(us: u64) -> Option<String> {
    let t = chrono::DateTime::from_timestamp_micros(i64::try_from(us).ok()?)?;
    Some(
        t.with_timezone(&schemas::time::kz_offset())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
    )
}

/// The cinemas with any event in `from..=to` ([`REPORTING_SQL`]).
pub async fn reporting_cinemas(
    client: &Client,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<String>, ReportError> {
    Ok(client
        .query(REPORTING_SQL)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all()
        .await?)
}

/// The newest recompute of the aggregates ([`AS_OF_SQL`]), µs since the epoch; 0 with none.
pub async fn data_as_of(client: &Client) -> Result<u64, ReportError> {
    Ok(client.query(AS_OF_SQL).fetch_one().await?)
}

/// The chart. `reporting` are the cinemas reporting in the period ([`reporting_cinemas`])
/// and `as_of` the newest recompute ([`data_as_of`]); the caller may keep both a while
/// (they decide which regions may be shown and date the figures, they are not figures).
/// `seat_rows` are the period's declared sessions and admissions
/// ([`occupancy::read`](super::occupancy::read)), which the caller may keep as long as a chart.
pub async fn chart(
    client: &Client,
    registry: &Registry,
    q: &ChartQuery,
    statuses: &Statuses,
    reporting: &[String],
    as_of: u64,
    seat_rows: &super::occupancy::SeatRows,
) -> Result<DailyChart, ReportError> {
    let (from, to) = q.period.bounds(q.date);
    let (prev_from, prev_to) = q.period.previous(q.date);
    let regions = regions_offered(registry, reporting);
    let in_region = |bin: &str| {
        q.region.is_none_or(|region| {
            registry.cinema_regions.get(bin).copied().flatten() == Some(region)
        })
    };
    let (sql, trend_sql) = match q.region {
        None => (NATIONAL_SQL.to_owned(), TREND_SQL.to_owned()),
        Some(region) => {
            if !regions.iter().any(|o| o.code == region.code()) {
                return Err(ReportError::Unprocessable {
                    field: "region",
                    reason: format!("fewer than {MIN_REPORTING_CINEMAS} cinemas of {region} reported in {from}..{to}; its figures stay private"),
                });
            }
            let bins: Vec<String> = registry
                .cinema_regions
                .iter()
                .filter(|(bin, r)| **r == Some(region) && bin.bytes().all(|b| b.is_ascii_digit()))
                .map(|(bin, _)| format!("'{bin}'"))
                .collect();
            let bins = bins.join(",");
            (
                REGION_SQL.replace("{cinemas}", &bins),
                REGION_TREND_SQL.replace("{cinemas}", &bins),
            )
        }
    };
    let (f, t, pf, pt) = (
        from.to_string(),
        to.to_string(),
        prev_from.to_string(),
        prev_to.to_string(),
    );
    let mut query = client.query(&sql);
    for _ in 0..4 {
        query = query.bind(f.as_str()).bind(t.as_str());
    }
    query = query.bind(pf.as_str()).bind(pt.as_str()).bind(t.as_str());
    let rows: Vec<ChartRow> = query.fetch_all().await?;
    let trend: Vec<TrendRow> = if q.period == Period::Day {
        Vec::new()
    } else {
        client
            .query(&trend_sql)
            .bind(f.as_str())
            .bind(t.as_str())
            .fetch_all()
            .await?
    };
    let seats = seat_rows.seats(in_region);
    let mut chart = assemble(registry, q, &rows, statuses, regions, as_of, &seats);
    chart.trend = trend_points(registry, q, &trend);
    Ok(chart)
}

/// The days of a longer period, each the sum of its films shown on the chart (the origin
/// filter; unregistered films count in the national and regional totals as in the chart).
fn trend_points(registry: &Registry, q: &ChartQuery, rows: &[TrendRow]) -> Vec<TrendPoint> {
    if q.period == Period::Day {
        return Vec::new();
    }
    let (from, to) = q.period.bounds(q.date);
    let mut by_day: BTreeMap<u16, (i64, i64)> = BTreeMap::new();
    for r in rows.iter().filter(|r| in_origin(registry, q, &r.film_id)) {
        let e = by_day.entry(r.day).or_default();
        e.0 += r.g;
        e.1 += r.q;
    }
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|d| {
            let (g, a) = by_day
                .get(&schemas::time::days_since_epoch(d))
                .copied()
                .unwrap_or_default();
            TrendPoint {
                day: d.to_string(),
                gross: Kzt::from_tiyn(g),
                admissions: a,
            }
        })
        .collect()
}

/// Whether the chart's origin filter keeps `film` (an unregistered film only without one).
fn in_origin(registry: &Registry, q: &ChartQuery, film: &str) -> bool {
    match (q.origin, registry.films.get(film)) {
        (None, _) => true,
        (Some(o), Some(f)) => f.national == (o == Origin::National),
        (Some(_), None) => false,
    }
}

/// The chart from the per-film rows: ranking, shares, changes and the unregistered line.
fn assemble(
    registry: &Registry,
    q: &ChartQuery,
    rows: &[ChartRow],
    statuses: &Statuses,
    regions: Vec<RegionOffer>,
    as_of: u64,
    seats: &super::occupancy::Seats,
) -> DailyChart {
    let (from, to) = q.period.bounds(q.date);
    let (first, last) = (
        schemas::time::days_since_epoch(from),
        schemas::time::days_since_epoch(to),
    );
    let shown: Vec<&ChartRow> = rows
        .iter()
        .filter(|r| in_origin(registry, q, &r.film_id))
        .collect();
    let active = |r: &&ChartRow| r.p_gross != 0 || r.p_admissions != 0;
    let (registered, unregistered): (Vec<&ChartRow>, Vec<&ChartRow>) = shown
        .iter()
        .copied()
        .filter(active)
        .partition(|r| registry.films.contains_key(&r.film_id));
    let total_gross: i64 = registered
        .iter()
        .chain(&unregistered)
        .map(|r| r.p_gross)
        .sum();
    let total_admissions: i64 = registered
        .iter()
        .chain(&unregistered)
        .map(|r| r.p_admissions)
        .sum();
    let previous = ranked(
        shown
            .iter()
            .filter(|r| r.prev_gross > 0 && registry.films.contains_key(&r.film_id))
            .map(|r| (r.film_id.as_str(), r.prev_gross, 0)),
    );
    let previous_rank: HashMap<&str, usize> = previous
        .iter()
        .enumerate()
        .map(|(i, f)| (*f, i + 1))
        .collect();
    let by_film: HashMap<&str, &ChartRow> = registered
        .iter()
        .map(|r| (r.film_id.as_str(), *r))
        .collect();
    let order = ranked(
        registered
            .iter()
            .map(|r| (r.film_id.as_str(), r.p_gross, r.p_admissions)),
    );
    let films = order
        .iter()
        .enumerate()
        .map(|(i, film)| {
            let r = by_film[film];
            let reg = &registry.films[*film];
            let rank = i as u32 + 1;
            let release = reg.release_date();
            let days = (to - release).num_days() + 1;
            let (shows_share, seats_share, occupancy) = seats.of(film);
            ChartEntry {
                shows_share,
                seats_share,
                occupancy,
                status: (first..=last)
                    .map(|d| statuses.film_day(d, film))
                    .max()
                    .unwrap_or(DayStatus::Provisional),
                rank,
                rank_change: previous_rank.get(film).map(|p| *p as i64 - i64::from(rank)),
                is_new: (first..=last).contains(&r.first_day),
                film_id: r.film_id.clone(),
                title: Some(reg.title.clone()),
                release_date: Some(release.to_string()),
                days_in_release: (days >= 1).then_some(days),
                national: Some(reg.national),
                distributor_bin: Some(reg.distributor_bin.clone()),
                distributor: registry.distributors.get(&reg.distributor_bin).cloned(),
                gross: Kzt::from_tiyn(r.p_gross),
                share: ratio_text(r.p_gross, total_gross).unwrap_or_else(|| "0".into()),
                gross_change: Kzt::from_tiyn(r.p_gross - r.prev_gross),
                gross_change_ratio: ratio_text(r.p_gross - r.prev_gross, r.prev_gross),
                admissions: r.p_admissions,
                screens: r.p_screens,
                screenings: r.p_screenings,
                cumulative_gross: Kzt::from_tiyn(r.cum_gross),
                cumulative_admissions: r.cum_admissions,
            }
        })
        .collect();
    let unregistered = (!unregistered.is_empty()).then(|| {
        let gross: i64 = unregistered.iter().map(|r| r.p_gross).sum();
        Unregistered {
            films: unregistered.len() as u64,
            gross: Kzt::from_tiyn(gross),
            share: ratio_text(gross, total_gross).unwrap_or_else(|| "0".into()),
            admissions: unregistered.iter().map(|r| r.p_admissions).sum(),
            screenings: unregistered.iter().map(|r| r.p_screenings).sum(),
        }
    });
    DailyChart {
        date: q.date.to_string(),
        period: q.period,
        from: from.to_string(),
        to: to.to_string(),
        region: q.region.map(|r| r.code().to_owned()),
        origin: q.origin,
        status: (first..=last)
            .map(|d| statuses.day(d))
            .max()
            .unwrap_or(DayStatus::Provisional),
        data_as_of: (as_of > 0).then_some(as_of).and_then(micros_to_kz),
        total_gross: Kzt::from_tiyn(total_gross),
        total_admissions,
        films,
        unregistered,
        regions,
        declaring_cinemas: seats.cinemas,
        trend: Vec::new(),
    }
}

/// The public chart per query, kept at most `api.chart_cache_ms` (≤ 1 s).
pub type ChartCache = super::cache::TtlCache<ChartQuery, DailyChart>;

/// The cinemas reporting in a period, kept [`REPORTING_TTL`]: a chart miss then costs one
/// statement, not three (measured: the daily chart's p99 went from 8 to 32 ms at 200
/// requests/s when each miss also asked for these and for "data as of").
pub type ReportingCache = super::cache::TtlCache<(NaiveDate, NaiveDate), Vec<String>>;

/// How long the regions a chart may offer can lag: a region qualifies a minute late at most.
pub const REPORTING_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// "Data as of", kept as long as a chart.
pub type AsOfCache = super::cache::TtlCache<(), u64>;

/// The chart's rows under the export columns `schemas::export::CHART` (for CSV and Arrow):
/// each film's titles in its three languages as `title_en`, `title_ru`, `title_kk`, its
/// distributor by English name (else BIN), then the unregistered films as one row.
pub fn export_rows(chart: &DailyChart) -> Vec<serde_json::Value> {
    use serde_json::json;
    let mut rows: Vec<serde_json::Value> = chart
        .films
        .iter()
        .map(|e| {
            let title = |pick: fn(&Title) -> &String| e.title.as_ref().map(|t| pick(t).clone());
            json!({
                "rank": e.rank,
                "rank_change": e.rank_change,
                "new": e.is_new,
                "film_id": e.film_id,
                "title_en": title(|t| &t.en),
                "title_ru": title(|t| &t.ru),
                "title_kk": title(|t| &t.kk),
                "release_date": e.release_date,
                "days_in_release": e.days_in_release,
                "distributor": e.distributor.as_ref().map(|d| d.en.clone()).or_else(|| e.distributor_bin.clone()),
                "gross": e.gross,
                "share": e.share,
                "gross_change": e.gross_change,
                "gross_change_ratio": e.gross_change_ratio,
                "admissions": e.admissions,
                "cumulative_gross": e.cumulative_gross,
                "cumulative_admissions": e.cumulative_admissions,
                "screens": e.screens,
                "screenings": e.screenings,
                "shows_share": e.shows_share,
                "seats_share": e.seats_share,
                "occupancy": e.occupancy,
                "status": e.status,
            })
        })
        .collect();
    if let Some(u) = &chart.unregistered {
        rows.push(json!({
            "film_id": "unregistered",
            "gross": u.gross,
            "share": u.share,
            "admissions": u.admissions,
            "screenings": u.screenings,
        }));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::registry::Film;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_are_the_day_weekend_week_month_and_year_to_date_holding_the_date() {
        // 2026-11-18 is a Wednesday.
        let table = [
            (
                Period::Day,
                "2026-11-18",
                ("2026-11-18", "2026-11-18"),
                ("2026-11-17", "2026-11-17"),
            ),
            (
                Period::Weekend,
                "2026-11-18",
                ("2026-11-20", "2026-11-22"),
                ("2026-11-13", "2026-11-15"),
            ),
            (
                Period::Weekend,
                "2026-11-22",
                ("2026-11-20", "2026-11-22"),
                ("2026-11-13", "2026-11-15"),
            ),
            (
                Period::Weekend,
                "2026-11-16",
                ("2026-11-20", "2026-11-22"),
                ("2026-11-13", "2026-11-15"),
            ),
            (
                Period::Week,
                "2026-11-22",
                ("2026-11-16", "2026-11-22"),
                ("2026-11-09", "2026-11-15"),
            ),
            (
                Period::Week,
                "2026-11-16",
                ("2026-11-16", "2026-11-22"),
                ("2026-11-09", "2026-11-15"),
            ),
            (
                Period::Week,
                "2027-01-01",
                ("2026-12-28", "2027-01-03"),
                ("2026-12-21", "2026-12-27"),
            ),
        ];
        let longer = [
            (
                Period::Month,
                "2026-11-18",
                ("2026-11-01", "2026-11-30"),
                ("2026-10-01", "2026-10-31"),
            ),
            (
                Period::Month,
                "2027-01-01",
                ("2027-01-01", "2027-01-31"),
                ("2026-12-01", "2026-12-31"),
            ),
            (
                Period::Month,
                "2028-02-10",
                ("2028-02-01", "2028-02-29"),
                ("2028-01-01", "2028-01-31"),
            ),
            (
                Period::Year,
                "2026-11-18",
                ("2026-01-01", "2026-11-18"),
                ("2025-01-01", "2025-11-18"),
            ),
            (
                Period::Year,
                "2028-02-29",
                ("2028-01-01", "2028-02-29"),
                ("2027-01-01", "2027-02-28"),
            ),
        ];
        for (p, date, (f, t), (pf, pt)) in table.into_iter().chain(longer) {
            assert_eq!(p.bounds(d(date)), (d(f), d(t)), "{p:?} {date}");
            assert_eq!(p.previous(d(date)), (d(pf), d(pt)), "{p:?} {date}");
        }
    }

    fn film(national: bool, release: &str, distributor: &str) -> Film {
        Film {
            budget_tiyn: 0,
            producer_bin: String::new(),
            distributor_bin: distributor.into(),
            title: Title {
                kk: "Қ".into(),
                ru: "Р".into(),
                en: "E".into(),
            },
            release_date: schemas::time::days_since_epoch(d(release)),
            national,
            public_roi: false,
        }
    }

    fn row(film: &str, gross: i64, admissions: i64, prev: i64, first: &str) -> ChartRow {
        ChartRow {
            film_id: film.into(),
            p_gross: gross,
            p_admissions: admissions,
            p_screens: 2,
            p_screenings: 3,
            prev_gross: prev,
            cum_gross: gross + prev,
            cum_admissions: admissions,
            first_day: schemas::time::days_since_epoch(d(first)),
        }
    }

    #[test]
    fn a_weeks_trend_is_every_day_summed_over_the_films_the_origin_keeps() {
        let mut reg = Registry::default();
        reg.films.insert("A".into(), film(true, "2026-11-01", "D1"));
        reg.films
            .insert("B".into(), film(false, "2026-11-01", "D1"));
        let t = |day: &str, film: &str, g: i64, q: i64| TrendRow {
            day: schemas::time::days_since_epoch(d(day)),
            film_id: film.into(),
            g,
            q,
        };
        // Monday 16 to Sunday 22 November 2026; nothing sold on the 18th.
        let rows = [
            t("2026-11-16", "A", 100, 1),
            t("2026-11-16", "B", 200, 2),
            t("2026-11-17", "X", 50, 1),
            t("2026-11-22", "B", 300, 3),
        ];
        let mut q = ChartQuery::day(d("2026-11-18"));
        q.period = Period::Week;
        let all = trend_points(&reg, &q, &rows);
        let days: Vec<&str> = all.iter().map(|p| p.day.as_str()).collect();
        assert_eq!(
            days,
            [
                "2026-11-16",
                "2026-11-17",
                "2026-11-18",
                "2026-11-19",
                "2026-11-20",
                "2026-11-21",
                "2026-11-22"
            ]
        );
        let gross: Vec<i64> = all.iter().map(|p| p.gross.tiyn()).collect();
        assert_eq!(
            gross,
            [300, 50, 0, 0, 0, 0, 300],
            "the unregistered X counts nationally"
        );
        q.origin = Some(Origin::Foreign);
        let foreign: Vec<i64> = trend_points(&reg, &q, &rows)
            .iter()
            .map(|p| p.admissions)
            .collect();
        assert_eq!(
            foreign,
            [2, 0, 0, 0, 0, 0, 3],
            "B only: X's origin is unknown"
        );
        q.period = Period::Day;
        assert!(trend_points(&reg, &q, &rows).is_empty());
    }

    #[test]
    fn unregistered_ids_are_one_line_and_changes_are_against_the_previous_period() {
        let mut reg = Registry::default();
        reg.films.insert("A".into(), film(true, "2026-11-01", "D1"));
        reg.films
            .insert("B".into(), film(false, "2026-11-20", "D2"));
        reg.distributors.insert(
            "D1".into(),
            Title {
                kk: "Д".into(),
                ru: "Д".into(),
                en: "Dist".into(),
            },
        );
        // A: 300.00 today, 400.00 yesterday; B: 500.00 today, none yesterday (new);
        // two unregistered ids with 100.00 and 100.00; total 1,000.00.
        let rows = [
            row("A", 30_000, 3, 40_000, "2026-11-01"),
            row("B", 50_000, 5, 0, "2026-11-20"),
            row("<script>", 10_000, 1, 0, "2026-11-20"),
            row("X2", 10_000, 1, 0, "2026-11-19"),
        ];
        let statuses =
            Statuses::from_groups(std::iter::empty(), chrono::Utc::now(), &Default::default());
        let c = assemble(
            &reg,
            &ChartQuery::day(d("2026-11-20")),
            &rows,
            &statuses,
            vec![],
            1_795_000_000_000_000,
            &Default::default(),
        );
        assert_eq!(c.total_gross.to_string(), "1000.00");
        let ids: Vec<&str> = c.films.iter().map(|f| f.film_id.as_str()).collect();
        assert_eq!(ids, ["B", "A"]);
        let (b, a) = (&c.films[0], &c.films[1]);
        assert_eq!(
            (b.share.as_str(), b.is_new, b.rank_change, b.days_in_release),
            ("0.5", true, None, Some(1))
        );
        assert_eq!(
            (
                b.gross_change.to_string().as_str(),
                b.gross_change_ratio.as_deref()
            ),
            ("500.00", None)
        );
        assert_eq!(
            (a.rank_change, a.days_in_release, a.is_new),
            (Some(-1), Some(20), false),
            "A was first yesterday, is second today"
        );
        assert_eq!(
            (
                a.gross_change.to_string().as_str(),
                a.gross_change_ratio.as_deref()
            ),
            ("-100.00", Some("-0.25"))
        );
        assert_eq!(a.distributor.as_ref().map(|t| t.en.as_str()), Some("Dist"));
        assert_eq!(b.distributor, None, "D2 has no registered name");
        let u = c.unregistered.as_ref().unwrap();
        assert_eq!(
            (u.films, u.gross.to_string().as_str(), u.share.as_str()),
            (2, "200.00", "0.2")
        );
        assert_eq!(c.data_as_of.as_deref(), Some("2026-11-18T16:06:40+05:00"));

        // National only: B and the unregistered line leave; A is alone at 100 %.
        let q = ChartQuery {
            origin: Some(Origin::National),
            ..ChartQuery::day(d("2026-11-20"))
        };
        let c = assemble(
            &reg,
            &q,
            &rows,
            &statuses,
            vec![],
            1_795_000_000_000_000,
            &Default::default(),
        );
        assert_eq!(
            (
                c.films.len(),
                c.films[0].share.as_str(),
                c.films[0].rank_change
            ),
            (1, "1", Some(0))
        );
        assert!(c.unregistered.is_none());
        // A preview before the release has no days in release.
        let c = assemble(
            &reg,
            &ChartQuery::day(d("2026-11-19")),
            &rows,
            &statuses,
            vec![],
            1_795_000_000_000_000,
            &Default::default(),
        );
        assert_eq!(
            c.films
                .iter()
                .find(|f| f.film_id == "B")
                .unwrap()
                .days_in_release,
            None
        );
    }

    #[test]
    fn a_region_is_offered_from_three_reporting_cinemas() {
        let mut reg = Registry::default();
        let almaty = Region::parse("KZ-75").unwrap();
        let abai = Region::parse("KZ-10").unwrap();
        for (bin, r) in [
            ("1", almaty),
            ("2", almaty),
            ("3", almaty),
            ("4", abai),
            ("5", abai),
            ("6", abai),
        ] {
            reg.cinema_regions.insert(bin.into(), Some(r));
        }
        reg.cinema_regions.insert("7".into(), None);
        let offered = regions_offered(
            &reg,
            &[
                "1".into(),
                "2".into(),
                "3".into(),
                "4".into(),
                "5".into(),
                "7".into(),
                "8".into(),
            ],
        );
        assert_eq!(
            offered
                .iter()
                .map(|o| (o.code.as_str(), o.reporting_cinemas))
                .collect::<Vec<_>>(),
            [("KZ-75", 3)]
        );
        assert_eq!(offered[0].name.kk, "Алматы");
    }
}
