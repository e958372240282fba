//! The payback KPI over time: the programme KPI ([`roi::summary`]) as it stood at the end of
//! each month, so the ministry sees whether the share of released funded films that paid back
//! is rising.
//!
//! # As it stood
//! For each month, up to its last day (or the as-of date, in the month that holds it):
//! - a film is *funded* once the state's first payment to it is on or before that day;
//! - it is *released* once it has box office on or before that day;
//! - its gross and net are the sums of its film days up to that day, so whether it *paid back*
//!   is judged on the producer share it had earned by then, with today's agreement shares;
//! - the budget and the state funding are the registry's (a later payment counts from the
//!   first one's day: the KPI needs only whether the film is funded).
//!
//! A month not over on the as-of date is `partial`. Box office counts on its screening day, so
//! the last month's figures equal `/v1/roi/summary` unless tickets are already sold for shows
//! after the as-of date (they count from their show's day).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use super::error::ReportError;
use super::registry::Registry;
use super::roi::{self, FilmRoi, RoiInputs, RoiSummary};
use schemas::Kzt;

/// One month's KPI.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KpiMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// The day the figures stand at: the month's last day, or the as-of date.
    pub as_of: String,
    /// The month was not over on the as-of date.
    pub partial: bool,
    #[serde(flatten)]
    pub kpi: RoiSummary,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KpiTrend {
    /// Oldest first.
    pub months: Vec<KpiMonth>,
}

#[derive(Debug, Row, Deserialize)]
struct MonthRow {
    film_id: String,
    /// `YYYYMM`.
    ym: u32,
    gross_tiyn: i64,
    net_tiyn: i64,
}

const MONTHS_SQL: &str = "SELECT film_id, toUInt32(toYYYYMM(day)) AS ym, toInt64(sum(gross_sum)) AS gross_tiyn, toInt64(sum(net_sum)) AS net_tiyn \
     FROM sales_by_film_day FINAL WHERE day <= toDate(?) GROUP BY film_id, ym";

/// The first day of the month `back` months before `d`'s.
fn month_start(d: NaiveDate, back: u32) -> NaiveDate {
    let m0 = d.year() * 12 + d.month0() as i32 - back as i32;
    NaiveDate::from_ymd_opt(m0.div_euclid(12), m0.rem_euclid(12) as u32 + 1, 1).unwrap_or(d)
}

fn month_end(start: NaiveDate) -> NaiveDate {
    month_start(start, 0)
        .checked_add_months(chrono::Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(start)
}

/// The KPI at the end of each of the `months` months up to the one holding `to`.
pub async fn trend(
    client: &Client,
    registry: &Registry,
    to: NaiveDate,
    months: u32,
) -> Result<KpiTrend, ReportError> {
    let rows: Vec<MonthRow> = client
        .query(MONTHS_SQL)
        .bind(to.to_string())
        .fetch_all()
        .await?;
    Ok(trend_of(registry, &rows, to, months))
}

fn trend_of(registry: &Registry, rows: &[MonthRow], to: NaiveDate, months: u32) -> KpiTrend {
    let mut by_film: HashMap<&str, Vec<&MonthRow>> = HashMap::new();
    for r in rows {
        by_film.entry(r.film_id.as_str()).or_default().push(r);
    }
    let months = (0..months)
        .rev()
        .map(|back| {
            let start = month_start(to, back);
            let end = month_end(start).min(to);
            let ym = start.year() as u32 * 100 + start.month();
            let end_days = schemas::time::days_since_epoch(end);
            let films: Vec<FilmRoi> = registry
                .films
                .iter()
                .map(|(id, f)| {
                    let sold: Vec<&&MonthRow> = by_film
                        .get(id.as_str())
                        .into_iter()
                        .flatten()
                        .filter(|r| r.ym <= ym)
                        .collect();
                    let funding = registry
                        .funding
                        .get(id)
                        .filter(|x| x.first_paid <= end_days);
                    let ag = registry.agreements.get(id);
                    FilmRoi {
                        film_id: id.clone(),
                        producer_bin: f.producer_bin.clone(),
                        distributor_bin: f.distributor_bin.clone(),
                        figures: roi::figures(RoiInputs {
                            budget_tiyn: f.budget_tiyn,
                            state_funding_tiyn: funding.map_or(0, |x| x.amount_tiyn),
                            gross_tiyn: sold.iter().map(|r| r.gross_tiyn).sum(),
                            net_tiyn: sold.iter().map(|r| r.net_tiyn).sum(),
                            exhibitor_share_x10000: ag.map(|a| a.exhibitor_share_x10000),
                            distributor_fee_x10000: ag.map(|a| a.distributor_fee_x10000),
                        }),
                        rebate_paid: Kzt::ZERO,
                        funding_year: funding
                            .map(|x| schemas::time::date_from_days(x.first_paid).year()),
                        first_screening_day: None,
                        last_screening_day: None,
                        released: !sold.is_empty(),
                    }
                })
                .collect();
            KpiMonth {
                month: format!("{:04}-{:02}", start.year(), start.month()),
                as_of: end.to_string(),
                partial: end < month_end(start),
                kpi: roi::summary(&films, None),
            }
        })
        .collect();
    KpiTrend { months }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_back_across_years() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
        assert_eq!(month_start(d, 0).to_string(), "2026-02-01");
        assert_eq!(month_start(d, 2).to_string(), "2025-12-01");
        assert_eq!(month_start(d, 14).to_string(), "2024-12-01");
        assert_eq!(month_end(month_start(d, 0)).to_string(), "2026-02-28");
        assert_eq!(month_end(month_start(d, 24)).to_string(), "2024-02-29");
    }

    fn film(budget_tiyn: i64) -> super::super::registry::Film {
        super::super::registry::Film {
            budget_tiyn,
            producer_bin: String::new(),
            distributor_bin: String::new(),
            title: super::super::registry::Title {
                kk: String::new(),
                ru: String::new(),
                en: String::new(),
            },
            release_date: 0,
            national: true,
            public_roi: true,
        }
    }

    fn day(s: &str) -> u16 {
        schemas::time::days_since_epoch(s.parse().unwrap())
    }

    /// Worked by hand. Budgets 1,000 and 1,000 tiyn; default shares, so a film pays back when
    /// half its net reaches its budget (net ≥ 2,000).
    /// - A: funded 2026-01-10; net 1,200 in January, 1,000 in March → paid back from March.
    /// - B: funded 2026-03-05; net 5,000 in February (before funding) → counts from March,
    ///   already paid back.
    /// - C: funded 2025-12-01, never shown → funded, not released.
    ///
    /// | as of      | funded | released | paid back | share |
    /// | 2026-01-31 | A C    | A        | —         | 0     |
    /// | 2026-02-28 | A C    | A        | —         | 0     |
    /// | 2026-03-20 | A B C  | A B      | A B       | 1     |
    #[test]
    fn the_kpi_stands_as_it_did_at_each_months_end() {
        let mut reg = Registry::default();
        for id in ["A", "B", "C"] {
            reg.films.insert(id.into(), film(1_000));
        }
        for (id, paid) in [
            ("A", "2026-01-10"),
            ("B", "2026-03-05"),
            ("C", "2025-12-01"),
        ] {
            reg.funding.insert(
                id.into(),
                super::super::registry::Funding {
                    amount_tiyn: 500,
                    first_paid: day(paid),
                },
            );
        }
        let row = |f: &str, ym: u32, net: i64| MonthRow {
            film_id: f.into(),
            ym,
            gross_tiyn: net,
            net_tiyn: net,
        };
        let rows = [
            row("A", 202601, 1_200),
            row("A", 202603, 1_000),
            row("B", 202602, 5_000),
        ];
        let to = NaiveDate::from_ymd_opt(2026, 3, 20).unwrap();
        let t = trend_of(&reg, &rows, to, 3);
        // (month, as of, partial, funded, released, paid back, share)
        type Line<'a> = (&'a str, &'a str, bool, u64, u64, u64, Option<&'a str>);
        let got: Vec<Line> = t
            .months
            .iter()
            .map(|m| {
                (
                    m.month.as_str(),
                    m.as_of.as_str(),
                    m.partial,
                    m.kpi.films_funded,
                    m.kpi.films_released,
                    m.kpi.films_paid_back,
                    m.kpi.payback_share.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2026-01", "2026-01-31", false, 2, 1, 0, Some("0")),
                ("2026-02", "2026-02-28", false, 2, 1, 0, Some("0")),
                ("2026-03", "2026-03-20", true, 3, 2, 2, Some("1")),
            ]
        );
    }
}
