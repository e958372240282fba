use serde::Serialize;

use super::{require, ApiError};
use crate::auth::{Principal, Role};
use crate::params::{self, ChartParams, DateQuery, FilmDailyQuery, FilmsQuery};
use crate::reports::chart::{ChartQuery, DailyChart, Origin, Period};
use crate::reports::{self, BoxOfficeQuery, FilmTotals};
use crate::state::AppState;

pub async fn daily_chart(s: &AppState, q: DateQuery) -> Result<DailyChart, ApiError> {
    // Parameters first: a bad request is a 400 whatever the state of the store.
    let date = params::date("date", &q.date)?;
    chart(s, ChartQuery::day(date)).await
}

/// A `region` parameter: a code or a region's name; an empty one is refused like any other
/// that is not a region (a page's form leaves an unchosen region out of its query).
fn region_param(r: Option<&str>) -> Result<Option<schemas::region::Region>, ApiError> {
    r.map(|r| schemas::region::Region::parse(r).map_err(|e| ApiError::bad("region", e.to_string())))
        .transpose()
}

/// `GET /v1/box-office/chart`: the parameters, strictly.
pub fn chart_query(q: &ChartParams) -> Result<ChartQuery, ApiError> {
    let date = params::date("date", &q.date)?;
    let period = match q.period.as_deref() {
        None => Period::Day,
        Some(p) => Period::parse(p).ok_or_else(|| {
            ApiError::bad(
                "period",
                format!("must be day, weekend, week, month or year, got {p:?}"),
            )
        })?,
    };
    let region = region_param(q.region.as_deref())?;
    let origin = match q.origin.as_deref() {
        None => None,
        Some(o) => Some(Origin::parse(o).ok_or_else(|| {
            ApiError::bad("origin", format!("must be national or foreign, got {o:?}"))
        })?),
    };
    Ok(ChartQuery {
        date,
        period,
        region,
        origin,
    })
}

/// The chart for a query, from the one-second cache (the JSON route and the page share it).
pub async fn chart(s: &AppState, q: ChartQuery) -> Result<DailyChart, ApiError> {
    if let Some(chart) = s.chart_cache.get(&q) {
        return Ok((*chart).clone());
    }
    let (from, to) = q.period.bounds(q.date);
    let statuses = s.statuses(from, to).await?;
    let reporting = match s.reporting_cache.get(&(from, to)) {
        Some(r) => r,
        None => {
            let r = std::sync::Arc::new(reports::chart::reporting_cinemas(&s.ch, from, to).await?);
            s.reporting_cache.put((from, to), r.clone());
            r
        }
    };
    let as_of = match s.as_of_cache.get(&()) {
        Some(a) => *a,
        None => {
            let a = reports::chart::data_as_of(&s.ch).await?;
            s.as_of_cache.put((), std::sync::Arc::new(a));
            a
        }
    };
    // The seats of a period are the same rows for every region and origin asked of it.
    let seat_rows = match s.seats_cache.get(&(from, to)) {
        Some(r) => r,
        None => {
            let r = std::sync::Arc::new(reports::occupancy::read(&s.ch, from, to).await?);
            s.seats_cache.put((from, to), r.clone());
            r
        }
    };
    let chart = reports::chart::chart(
        &s.ch,
        &*s.registry().await?,
        &q,
        &statuses,
        &reporting,
        as_of,
        &seat_rows,
    )
    .await?;
    s.chart_cache.put(q, std::sync::Arc::new(chart.clone()));
    Ok(chart)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FilmsReply {
    pub from: String,
    pub to: String,
    pub region: Option<String>,
    pub page: u64,
    pub page_size: u64,
    /// Films in the whole list (every page).
    pub total: usize,
    pub rows: Vec<FilmTotals>,
}

/// Per-film totals over a range: the ministry and the commission see every film, a producer
/// key only the films its BIN produces or distributes (a foreign applicant's key, none).
pub async fn films(s: &AppState, p: &Principal, q: FilmsQuery) -> Result<FilmsReply, ApiError> {
    require(p, &[Role::Ministry, Role::Commission, Role::Producer])?;
    let (from, to) = params::range(&q.from, &q.to, s.settings.max_range_days)?;
    let statuses = s.statuses(from, to).await?;
    let page = params::Page::parse(q.page, q.page_size, s.settings.max_page_rows)?;
    let mut rows =
        reports::films_summary(&s.ch, &s.app_db, from, to, q.region.as_deref(), &statuses).await?;
    if p.role == Role::Producer {
        let registry = s.registry().await?;
        rows.retain(|r| {
            registry
                .films
                .get(&r.film_id)
                .is_some_and(|f| p.owns_bin(&f.producer_bin) || p.owns_bin(&f.distributor_bin))
        });
    }
    let total = rows.len();
    Ok(FilmsReply {
        from: q.from,
        to: q.to,
        region: q.region,
        page: page.page,
        page_size: page.page_size,
        total,
        rows: page.of(rows),
    })
}

/// Films a producer key may see: those it produces or distributes.
/// `GET /v1/box-office/regions`: box office by region over a range (the ministry, the
/// commission); see [`reports::regions`].
pub async fn regions(
    s: &AppState,
    p: &Principal,
    q: params::RangeQuery,
) -> Result<reports::regions::RegionsReport, ApiError> {
    require(p, &[Role::Ministry, Role::Commission])?;
    let (from, to) = params::range(&q.from, &q.to, s.settings.max_range_days)?;
    Ok(reports::regions::by_region(&s.ch, &*s.registry().await?, from, to).await?)
}

pub async fn film_visible(s: &AppState, p: &Principal, film_id: &str) -> Result<(), ApiError> {
    match p.role {
        Role::Ministry => Ok(()),
        Role::Producer => match reports::roi::parties(&*s.registry().await?, film_id) {
            Some(f) if p.owns_bin(&f.producer_bin) || p.owns_bin(&f.distributor_bin) => Ok(()),
            _ => Err(ApiError::NotFound),
        },
        _ => Err(ApiError::NotFound),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FilmDailyRow {
    pub day: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cinema_bin: Option<String>,
    pub admissions: i64,
    pub gross: schemas::Kzt,
    pub net: schemas::Kzt,
    pub screenings: u64,
    /// A cinema's row: its group's status; a day's row: the worst of its cinemas'.
    pub status: reports::status::DayStatus,
}

/// A film's figures at one cinema over a range: the sums of its days there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CinemaTotals {
    pub cinema_bin: String,
    pub admissions: i64,
    pub gross: schemas::Kzt,
    pub net: schemas::Kzt,
    pub screenings: u64,
    /// Days with sales or refunds at this cinema.
    pub days: u64,
}

/// The per-cinema rows of a film's run (`by=cinema`) summed over their days, biggest gross
/// first (then by BIN): what the producer's film screen lists under its days.
pub fn per_cinema(rows: &[FilmDailyRow]) -> Vec<CinemaTotals> {
    let mut per: std::collections::BTreeMap<&str, (i64, i64, i64, u64, u64)> =
        std::collections::BTreeMap::new();
    for r in rows {
        let e = per
            .entry(r.cinema_bin.as_deref().unwrap_or_default())
            .or_default();
        e.0 += r.admissions;
        e.1 += r.gross.tiyn();
        e.2 += r.net.tiyn();
        e.3 += r.screenings;
        e.4 += 1;
    }
    let mut out: Vec<CinemaTotals> = per
        .into_iter()
        .map(
            |(bin, (admissions, gross, net, screenings, days))| CinemaTotals {
                cinema_bin: bin.to_owned(),
                admissions,
                gross: schemas::Kzt::from_tiyn(gross),
                net: schemas::Kzt::from_tiyn(net),
                screenings,
                days,
            },
        )
        .collect();
    out.sort_by(|a, b| {
        b.gross
            .cmp(&a.gross)
            .then_with(|| a.cinema_bin.cmp(&b.cinema_bin))
    });
    out
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FilmDailyReply {
    pub film_id: String,
    pub from: String,
    pub to: String,
    pub rows: Vec<FilmDailyRow>,
    pub totals: reports::Totals,
}

pub async fn film_daily(
    s: &AppState,
    p: &Principal,
    film_id: String,
    q: FilmDailyQuery,
) -> Result<FilmDailyReply, ApiError> {
    require(p, &[Role::Ministry, Role::Producer])?;
    let film =
        schemas::FilmId::parse(&film_id).map_err(|e| ApiError::bad("film_id", e.to_string()))?;
    film_visible(s, p, film.as_str()).await?;
    let by_cinema = match q.by.as_deref() {
        None | Some("day") => false,
        Some("cinema") => true,
        Some(other) => {
            return Err(ApiError::bad(
                "by",
                format!("must be day or cinema, got {other:?}"),
            ))
        }
    };
    let (from, to) = params::range(&q.from, &q.to, s.settings.max_range_days)?;
    let report = reports::box_office(
        &s.ch,
        &BoxOfficeQuery::new(from, to, Some(film), None)?,
        s.clock.now(),
        &s.reporting,
    )
    .await?;
    let rows = if by_cinema {
        report
            .rows
            .into_iter()
            .map(|r| FilmDailyRow {
                day: r.day,
                cinema_bin: Some(r.cinema_bin),
                admissions: r.admissions,
                gross: r.gross,
                net: r.net,
                screenings: r.screenings,
                status: r.status,
            })
            .collect()
    } else {
        let mut by_day: std::collections::BTreeMap<String, FilmDailyRow> =
            std::collections::BTreeMap::new();
        for r in report.rows {
            let e = by_day.entry(r.day.clone()).or_insert(FilmDailyRow {
                day: r.day,
                cinema_bin: None,
                admissions: 0,
                gross: schemas::Kzt::ZERO,
                net: schemas::Kzt::ZERO,
                screenings: 0,
                status: r.status,
            });
            e.status = e.status.max(r.status);
            e.admissions += r.admissions;
            e.gross = schemas::Kzt::from_tiyn(e.gross.tiyn() + r.gross.tiyn());
            e.net = schemas::Kzt::from_tiyn(e.net.tiyn() + r.net.tiyn());
            e.screenings += r.screenings;
        }
        by_day.into_values().collect()
    };
    Ok(FilmDailyReply {
        film_id,
        from: q.from,
        to: q.to,
        rows,
        totals: report.totals,
    })
}

/// `GET /v1/cinema-index`: the registered cinemas of a region, or of every region.
pub async fn cinema_index(
    s: &AppState,
    q: params::CinemaIndexQuery,
) -> Result<reports::cinema_index::CinemaIndex, ApiError> {
    let region = region_param(q.region.as_deref())?;
    Ok(reports::cinema_index::list(&*s.registry().await?, region))
}

/// `GET /v1/film-index`: the registered films whose title or id holds `q`.
pub async fn film_index(
    s: &AppState,
    q: params::FilmIndexQuery,
) -> Result<reports::film_index::FilmIndex, ApiError> {
    let query = q.q.unwrap_or_default();
    let max = reports::film_index::MAX_QUERY_CHARS;
    if query.chars().count() > max {
        return Err(ApiError::bad("q", format!("at most {max} characters")));
    }
    Ok(reports::film_index::search(&*s.registry().await?, &query))
}

/// `GET /v1/films/{film_id}/run`: a registered film's public run (404 for any other id).
pub async fn film_run(s: &AppState, film_id: &str) -> Result<reports::film_run::FilmRun, ApiError> {
    let film =
        schemas::FilmId::parse(film_id).map_err(|e| ApiError::bad("film_id", e.to_string()))?;
    let registry = s.registry().await?;
    reports::film_run::film_run(
        &s.ch,
        &s.app,
        &registry,
        film.as_str(),
        s.clock.now(),
        &s.reporting,
    )
    .await?
    .ok_or(ApiError::NotFound)
}

#[cfg(test)]
mod per_cinema_tests {
    use super::*;
    use crate::reports::status::DayStatus;

    fn row(day: &str, bin: &str, admissions: i64, gross: i64, screenings: u64) -> FilmDailyRow {
        FilmDailyRow {
            day: day.into(),
            cinema_bin: Some(bin.into()),
            admissions,
            gross: schemas::Kzt::from_tiyn(gross),
            net: schemas::Kzt::from_tiyn(gross * 100 / 116),
            screenings,
            status: DayStatus::Final,
        }
    }

    /// Worked by hand: cinema B has 2 days (3 + 1 admissions, 300 + 100 ₸ = 40,000 tiyn),
    /// cinema A one day of 500 ₸ and cinema C one of 400 ₸, tied with B on gross and after it
    /// by BIN.
    #[test]
    fn a_cinemas_days_are_summed_and_the_biggest_gross_comes_first() {
        let rows = [
            row("2026-11-20", "B", 3, 30_000, 2),
            row("2026-11-20", "A", 5, 50_000, 1),
            row("2026-11-21", "C", 4, 40_000, 1),
            row("2026-11-21", "B", 1, 10_000, 1),
        ];
        let got: Vec<(String, i64, i64, u64, u64)> = per_cinema(&rows)
            .into_iter()
            .map(|c| {
                (
                    c.cinema_bin,
                    c.admissions,
                    c.gross.tiyn(),
                    c.screenings,
                    c.days,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("A".into(), 5, 50_000, 1, 1),
                ("B".into(), 4, 40_000, 3, 2),
                ("C".into(), 4, 40_000, 1, 1),
            ]
        );
    }
}
