//! Daily box office per film, cinema and screening day.

use chrono::NaiveDate;
use clickhouse::{Client, Row};
use schemas::{Bin, FilmId, Kzt};
use serde::{Deserialize, Serialize};

use super::error::ReportError;
use super::status::{DayStatus, StatusCounts, Statuses};

/// The widest range one report may cover.
pub const MAX_RANGE_DAYS: i64 = 366;

#[derive(Debug, Clone)]
pub struct BoxOfficeQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub film: Option<FilmId>,
    pub cinema: Option<Bin>,
}

impl BoxOfficeQuery {
    pub fn new(
        from: NaiveDate,
        to: NaiveDate,
        film: Option<FilmId>,
        cinema: Option<Bin>,
    ) -> Result<Self, ReportError> {
        if to < from {
            return Err(ReportError::Invalid {
                field: "to",
                reason: format!("{to} is before from {from}"),
            });
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(ReportError::Invalid {
                field: "to",
                reason: format!("a range may cover at most {MAX_RANGE_DAYS} days"),
            });
        }
        Ok(Self {
            from,
            to,
            film,
            cinema,
        })
    }
}

#[derive(Debug, Row, Deserialize)]
struct DailyRow {
    film_id: String,
    cinema_bin: String,
    day: u16,
    admissions: i64,
    gross_tiyn: i64,
    net_tiyn: i64,
    screenings: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BoxOfficeRow {
    pub film_id: String,
    pub cinema_bin: String,
    pub day: String,
    pub admissions: i64,
    pub gross: Kzt,
    pub net: Kzt,
    pub screenings: u64,
    /// `provisional` until the day closes, then `final`; `corrected` once changed after.
    pub status: DayStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub admissions: i64,
    pub gross: Kzt,
    pub net: Kzt,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BoxOfficeReport {
    pub from: String,
    pub to: String,
    pub rows: Vec<BoxOfficeRow>,
    pub totals: Totals,
    /// Rows per status.
    pub status_counts: StatusCounts,
}

pub async fn box_office(
    client: &Client,
    q: &BoxOfficeQuery,
    now: chrono::DateTime<chrono::Utc>,
    reporting: &schemas::clock::ReportingSettings,
) -> Result<BoxOfficeReport, ReportError> {
    let statuses = Statuses::load(client, q.from, q.to, now, reporting).await?;
    let sql = schemas::ddl::box_office_daily(q.film.is_some(), q.cinema.is_some());
    let mut query = client
        .query(&sql)
        .bind(q.from.to_string())
        .bind(q.to.to_string());
    if let Some(f) = &q.film {
        query = query.bind(f.as_str());
    }
    if let Some(c) = &q.cinema {
        query = query.bind(c.as_str());
    }
    let raw: Vec<DailyRow> = query.fetch_all().await?;
    let mut totals = Totals::default();
    let mut status_counts = StatusCounts::default();
    let mut rows = Vec::with_capacity(raw.len());
    for r in raw {
        let (gross, net) = (Kzt::from_tiyn(r.gross_tiyn), Kzt::from_tiyn(r.net_tiyn));
        totals.admissions = totals
            .admissions
            .checked_add(r.admissions)
            .ok_or(ReportError::Overflow)?;
        totals.gross = totals
            .gross
            .checked_add(gross)
            .ok_or(ReportError::Overflow)?;
        totals.net = totals.net.checked_add(net).ok_or(ReportError::Overflow)?;
        let status = statuses.group(r.day, &r.film_id, &r.cinema_bin);
        status_counts.add(status);
        rows.push(BoxOfficeRow {
            status,
            film_id: r.film_id,
            cinema_bin: r.cinema_bin,
            day: schemas::time::date_from_days(r.day).to_string(),
            admissions: r.admissions,
            gross,
            net,
            screenings: r.screenings,
        });
    }
    Ok(BoxOfficeReport {
        from: q.from.to_string(),
        to: q.to.to_string(),
        rows,
        totals,
        status_counts,
    })
}

#[derive(Debug, Row, Deserialize)]
struct FilmTotalsRow {
    film_id: String,
    admissions: i64,
    gross_tiyn: i64,
    net_tiyn: i64,
    screenings: u64,
    cinemas: u64,
    days: Vec<u16>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FilmTotals {
    pub film_id: String,
    pub admissions: i64,
    pub gross: Kzt,
    pub net: Kzt,
    pub screenings: u64,
    pub cinemas: u64,
    /// The film's days in the range, per status.
    pub days: StatusCounts,
}

/// Per-film totals over a range, optionally for the cinemas of one region.
pub async fn films_summary(
    client: &Client,
    app: &str,
    from: NaiveDate,
    to: NaiveDate,
    region: Option<&str>,
    statuses: &Statuses,
) -> Result<Vec<FilmTotals>, ReportError> {
    let sql = format!(
        "SELECT film_id, toInt64(sum(qty_sum)) AS admissions, toInt64(sum(gross_sum)) AS gross_tiyn, toInt64(sum(net_sum)) AS net_tiyn, \
         toUInt64(sum(n_screenings)) AS screenings, toUInt64(uniqExactIf(cinema_bin, n_halls > 0)) AS cinemas, groupUniqArray(day) AS days \
         FROM sales_by_cinema_day FINAL WHERE day >= toDate(?) AND day <= toDate(?){} GROUP BY film_id ORDER BY gross_tiyn DESC, film_id",
        if region.is_some() { format!(" AND cinema_bin IN (SELECT bin FROM {app}.cinemas FINAL WHERE region = ?)") } else { String::new() }
    );
    let mut q = client
        .query(&sql)
        .bind(from.to_string())
        .bind(to.to_string());
    if let Some(r) = region {
        q = q.bind(r);
    }
    let rows: Vec<FilmTotalsRow> = q.fetch_all().await?;
    Ok(rows
        .into_iter()
        .map(|r| FilmTotals {
            days: r.days.iter().fold(StatusCounts::default(), |mut c, d| {
                c.add(statuses.film_day(*d, &r.film_id));
                c
            }),
            film_id: r.film_id,
            admissions: r.admissions,
            gross: Kzt::from_tiyn(r.gross_tiyn),
            net: Kzt::from_tiyn(r.net_tiyn),
            screenings: r.screenings,
            cinemas: r.cinemas,
        })
        .collect())
}
