//! Box office by region over a range: the film commission's and the ministry's view of where
//! films earn. One statement sums the daily aggregates per cinema; each cinema's region comes
//! from the registry snapshot, so a cinema registered (or moved) later counts in its region at
//! once. A cinema not in the registry (or whose stored region no longer parses) counts under
//! `region: null`, so the regions always add up to the national total.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use clickhouse::{Client, Row};
use schemas::region::Region;
use schemas::Kzt;
use serde::{Deserialize, Serialize};

use super::error::ReportError;
use super::registry::{Registry, Title};

#[derive(Debug, Row, Deserialize)]
struct CinemaSums {
    cinema_bin: String,
    admissions: i64,
    gross: i64,
    net: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionRow {
    /// `KZ-75` …; null for cinemas without a registered region.
    pub region: Option<String>,
    /// The region's name in kk, ru and en (null with `region`).
    pub name: Option<Title>,
    /// Cinemas with at least one counted event in the range.
    pub cinemas: u64,
    pub admissions: i64,
    pub gross: Kzt,
    pub net: Kzt,
    /// This region's gross ÷ the national gross, 4 decimals; null when nothing was sold.
    pub share: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionsReport {
    pub from: String,
    pub to: String,
    /// By gross, largest first (then by code).
    pub rows: Vec<RegionRow>,
    pub admissions: i64,
    pub gross: Kzt,
    pub net: Kzt,
}

/// The box office of screening days `from..=to`, by region.
pub async fn by_region(
    client: &Client,
    registry: &Registry,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<RegionsReport, ReportError> {
    let sums: Vec<CinemaSums> = client
        .query(
            "SELECT cinema_bin, toInt64(sum(qty_sum)) AS admissions, toInt64(sum(gross_sum)) AS gross, toInt64(sum(net_sum)) AS net \
             FROM sales_by_cinema_day FINAL WHERE day >= toDate(?) AND day <= toDate(?) GROUP BY cinema_bin HAVING sum(n_events) > 0",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all()
        .await?;
    // Keyed by the region's code ("" for none): (cinemas, admissions, gross, net).
    let mut by: BTreeMap<&'static str, (u64, i64, i64, i64)> = BTreeMap::new();
    for c in &sums {
        let code = registry
            .cinema_regions
            .get(&c.cinema_bin)
            .copied()
            .flatten()
            .map_or("", Region::code);
        let e = by.entry(code).or_default();
        *e = (e.0 + 1, e.1 + c.admissions, e.2 + c.gross, e.3 + c.net);
    }
    let (admissions, gross, net) = by
        .values()
        .fold((0, 0, 0), |t, v| (t.0 + v.1, t.1 + v.2, t.2 + v.3));
    let mut rows: Vec<RegionRow> = by
        .into_iter()
        .map(|(code, (cinemas, a, g, n))| {
            let region = Region::parse(code).ok().filter(|_| !code.is_empty());
            RegionRow {
                region: region.map(|r| r.code().to_owned()),
                name: region.map(|r| Title {
                    kk: r.name("kk").to_owned(),
                    ru: r.name("ru").to_owned(),
                    en: r.name("en").to_owned(),
                }),
                cinemas,
                admissions: a,
                gross: Kzt::from_tiyn(g),
                net: Kzt::from_tiyn(n),
                share: schemas::money::ratio(g, gross, 4).map(|d| d.normalize().to_string()),
            }
        })
        .collect();
    rows.sort_by(|a, b| b.gross.cmp(&a.gross).then_with(|| a.region.cmp(&b.region)));
    Ok(RegionsReport {
        from: from.to_string(),
        to: to.to_string(),
        rows,
        admissions,
        gross: Kzt::from_tiyn(gross),
        net: Kzt::from_tiyn(net),
    })
}
