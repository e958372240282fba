//! A registered film's public run: its box office day by day over all cinemas, its weekends,
//! and, when the ministry publishes them (`public_roi`), its ROI words.
//!
//! # Words
//! - Weekends are Friday to Sunday. The opening weekend is the first one on or after the
//!   release date; the second follows it. A weekend's figures are the sums of its days
//!   (screens: its most on one day). Days before the release (previews) count in the
//!   cumulative figures, not in any weekend.
//! - Days in release count from the release date (day 1).
//! - The public ROI words are the ministry's (`reports::roi`): budget, state funding, gross,
//!   recoupment (gross ÷ budget) and paid back (producer share ≥ budget).
//!
//! A film not in the registry has no public run (its id is a cinema's text).

use chrono::{Datelike, Days, NaiveDate, Weekday};
use clickhouse::{Client, Row};
use schemas::Kzt;
use serde::{Deserialize, Serialize};

use super::error::ReportError;
use super::registry::{Registry, Title};
use super::status::{DayStatus, Statuses};

/// At most this many days of one film (ten years): the rest is cut, and the run says so.
pub const MAX_RUN_DAYS: usize = 3660;

/// Binds: film id, then the limit.
pub const RUN_SQL: &str = "\
SELECT day, toInt64(gross_sum) AS g, toInt64(qty_sum) AS q, n_screens AS sc, n_screenings AS sh \
FROM sales_by_film_day FINAL WHERE film_id = ? AND (gross_sum != 0 OR qty_sum != 0) ORDER BY day LIMIT ?";

#[derive(Debug, Row, Deserialize)]
struct DayRow {
    day: u16,
    g: i64,
    q: i64,
    sc: u64,
    sh: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunDay {
    #[schema(format = Date)]
    pub day: String,
    pub gross: Kzt,
    pub admissions: i64,
    pub screens: u64,
    pub screenings: u64,
    pub status: DayStatus,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Weekend {
    /// 1 for the opening weekend.
    pub number: u32,
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    pub gross: Kzt,
    pub admissions: i64,
    pub screens: u64,
}

/// What the ministry publishes of a state-funded film's return.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicRoi {
    pub budget: Kzt,
    pub state_funding: Kzt,
    pub gross: Kzt,
    /// Gross ÷ budget, 4 decimals.
    pub recoupment: Option<String>,
    /// Producer share ≥ budget.
    pub paid_back: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FilmRun {
    pub film_id: String,
    pub title: Title,
    #[schema(format = Date)]
    pub release_date: String,
    pub national: bool,
    pub distributor_bin: String,
    pub distributor: Option<Title>,
    pub cumulative_gross: Kzt,
    pub cumulative_admissions: i64,
    /// Days from the release date to the last reported day (day 1 is the release).
    pub days_in_release: Option<i64>,
    pub opening_weekend: Option<Weekend>,
    pub second_weekend: Option<Weekend>,
    pub weekends: Vec<Weekend>,
    pub days: Vec<RunDay>,
    /// More than [`MAX_RUN_DAYS`] days were reported; `days` holds the first ones.
    pub truncated: bool,
    /// Only when the ministry publishes this film's ROI.
    pub public_roi: Option<PublicRoi>,
}

/// The first Friday on or after `d`.
pub fn first_friday(d: NaiveDate) -> NaiveDate {
    let ahead = (7 + Weekday::Fri.num_days_from_monday() - d.weekday().num_days_from_monday()) % 7;
    d + Days::new(u64::from(ahead))
}

/// The Fri–Sun weekends from the release on, each with the days of `days` in it.
pub fn weekends(release: NaiveDate, days: &[RunDay]) -> Vec<Weekend> {
    let mut out: Vec<Weekend> = Vec::new();
    let first = first_friday(release);
    for d in days {
        let Ok(day) = NaiveDate::parse_from_str(&d.day, "%Y-%m-%d") else {
            continue;
        };
        if day < first || day.weekday().num_days_from_monday() < Weekday::Fri.num_days_from_monday()
        {
            continue;
        }
        let friday = day
            - Days::new(u64::from(
                day.weekday().num_days_from_monday() - Weekday::Fri.num_days_from_monday(),
            ));
        let number = u32::try_from((friday - first).num_days() / 7 + 1).unwrap_or(u32::MAX);
        match out.last_mut() {
            Some(w) if w.number == number => {
                w.gross = Kzt::from_tiyn(w.gross.tiyn() + d.gross.tiyn());
                w.admissions += d.admissions;
                w.screens = w.screens.max(d.screens);
            }
            _ => out.push(Weekend {
                number,
                from: friday.to_string(),
                to: (friday + Days::new(2)).to_string(),
                gross: d.gross,
                admissions: d.admissions,
                screens: d.screens,
            }),
        }
    }
    out
}

pub async fn film_run(
    client: &Client,
    app: &Client,
    registry: &Registry,
    film_id: &str,
    now: chrono::DateTime<chrono::Utc>,
    reporting: &schemas::clock::ReportingSettings,
) -> Result<Option<FilmRun>, ReportError> {
    let Some(film) = registry.films.get(film_id) else {
        return Ok(None);
    };
    let rows: Vec<DayRow> = client
        .query(RUN_SQL)
        .bind(film_id)
        .bind(MAX_RUN_DAYS as u64 + 1)
        .fetch_all()
        .await?;
    let truncated = rows.len() > MAX_RUN_DAYS;
    let rows = &rows[..rows.len().min(MAX_RUN_DAYS)];
    let statuses = match (rows.first(), rows.last()) {
        (Some(a), Some(b)) => Some(
            Statuses::load(
                client,
                schemas::time::date_from_days(a.day),
                schemas::time::date_from_days(b.day),
                now,
                reporting,
            )
            .await?,
        ),
        _ => None,
    };
    let days: Vec<RunDay> = rows
        .iter()
        .map(|r| RunDay {
            day: schemas::time::date_from_days(r.day).to_string(),
            gross: Kzt::from_tiyn(r.g),
            admissions: r.q,
            screens: r.sc,
            screenings: r.sh,
            status: statuses
                .as_ref()
                .map_or(DayStatus::Provisional, |s| s.film_day(r.day, film_id)),
        })
        .collect();
    let public_roi = if film.public_roi {
        super::roi::films(client, app, registry, Some(film_id))
            .await?
            .into_iter()
            .next()
            .map(|r| PublicRoi {
                budget: r.figures.budget,
                state_funding: r.figures.state_funding,
                gross: r.figures.gross,
                recoupment: r.figures.recoupment,
                paid_back: r.figures.paid_back,
            })
    } else {
        None
    };
    Ok(Some(assemble(
        film_id, film, registry, days, truncated, public_roi,
    )))
}

fn assemble(
    film_id: &str,
    film: &super::registry::Film,
    registry: &Registry,
    days: Vec<RunDay>,
    truncated: bool,
    public_roi: Option<PublicRoi>,
) -> FilmRun {
    let release = film.release_date();
    let weekends = weekends(release, &days);
    let last = days
        .last()
        .and_then(|d| NaiveDate::parse_from_str(&d.day, "%Y-%m-%d").ok());
    FilmRun {
        film_id: film_id.to_owned(),
        title: film.title.clone(),
        release_date: release.to_string(),
        national: film.national,
        distributor_bin: film.distributor_bin.clone(),
        distributor: registry.distributors.get(&film.distributor_bin).cloned(),
        cumulative_gross: Kzt::from_tiyn(days.iter().map(|d| d.gross.tiyn()).sum()),
        cumulative_admissions: days.iter().map(|d| d.admissions).sum(),
        days_in_release: last
            .map(|l| (l - release).num_days() + 1)
            .filter(|n| *n >= 1),
        opening_weekend: weekends.iter().find(|w| w.number == 1).cloned(),
        second_weekend: weekends.iter().find(|w| w.number == 2).cloned(),
        weekends,
        days,
        truncated,
        public_roi,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn day(s: &str, gross_tiyn: i64, admissions: i64, screens: u64) -> RunDay {
        RunDay {
            day: s.into(),
            gross: Kzt::from_tiyn(gross_tiyn),
            admissions,
            screens,
            screenings: 1,
            status: DayStatus::Final,
        }
    }

    #[test]
    fn the_first_friday_on_or_after_a_date() {
        // 2026-11-20 is a Friday.
        for (date, friday) in [
            ("2026-11-20", "2026-11-20"),
            ("2026-11-19", "2026-11-20"),
            ("2026-11-21", "2026-11-27"),
            ("2026-11-16", "2026-11-20"),
            ("2026-11-22", "2026-11-27"),
        ] {
            assert_eq!(first_friday(d(date)), d(friday), "{date}");
        }
    }

    #[test]
    fn weekends_start_at_the_first_friday_after_release_and_previews_are_in_none() {
        // Released Thursday 2026-11-19; a preview on Sunday 2026-11-15.
        let days = [
            day("2026-11-15", 500, 1, 1),
            day("2026-11-19", 1_000, 1, 2),
            day("2026-11-20", 2_000, 2, 3),
            day("2026-11-21", 3_000, 3, 5),
            day("2026-11-22", 4_000, 4, 4),
            day("2026-11-24", 100, 1, 1),
            // No Friday in the second weekend: it starts with Saturday.
            day("2026-11-28", 700, 7, 2),
            day("2026-11-29", 300, 3, 1),
            day("2026-12-04", 50, 1, 1),
        ];
        let w = weekends(d("2026-11-19"), &days);
        let got: Vec<(u32, &str, &str, i64, i64, u64)> = w
            .iter()
            .map(|w| {
                (
                    w.number,
                    w.from.as_str(),
                    w.to.as_str(),
                    w.gross.tiyn(),
                    w.admissions,
                    w.screens,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (1, "2026-11-20", "2026-11-22", 9_000, 9, 5),
                (2, "2026-11-27", "2026-11-29", 1_000, 10, 2),
                (3, "2026-12-04", "2026-12-06", 50, 1, 1)
            ]
        );
        // Released on a Saturday: its first weekend is the next Friday's.
        let w = weekends(d("2026-11-21"), &days);
        assert_eq!(w[0].from, "2026-11-27");
    }
}
