//! ROI of films, with the domain's words and formulas (domain.md, "ROI words"):
//! - gross box office: sales minus refunds, VAT included; net: without VAT at each ticket's rate;
//! - rentals = net × (1 − exhibitor share), exhibitor share 50 % when no agreement is recorded;
//! - producer share = rentals × (1 − distributor fee), fee 0 when none is recorded;
//! - recoupment = gross ÷ budget; paid back = producer share ≥ budget;
//! - the programme KPI is the share of released funded films that paid back.
//!
//! Money is integer tiyn; each derived amount is rounded half away from zero to the tiyn once.

use std::collections::HashMap;

use chrono::Datelike;
use clickhouse::{Client, Row};
use rust_decimal::Decimal;
use schemas::Kzt;
use serde::{Deserialize, Serialize};

use super::error::ReportError;
use super::registry::Registry;

/// Default shares when a film has no recorded agreement, in 1/10,000.
pub const DEFAULT_EXHIBITOR_SHARE: u32 = 5_000;
pub const DEFAULT_DISTRIBUTOR_FEE: u32 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoiInputs {
    pub budget_tiyn: i64,
    pub state_funding_tiyn: i64,
    pub gross_tiyn: i64,
    pub net_tiyn: i64,
    pub exhibitor_share_x10000: Option<u32>,
    pub distributor_fee_x10000: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Shares {
    pub exhibitor_share: String,
    pub distributor_fee: String,
    /// `agreement` when recorded for the film, `default` (50 % and 0) otherwise.
    pub source: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RoiFigures {
    pub budget: Kzt,
    pub state_funding: Kzt,
    pub gross: Kzt,
    pub net: Kzt,
    pub rentals: Kzt,
    pub producer_share: Kzt,
    /// gross ÷ budget, 4 decimals; `None` without a budget.
    pub recoupment: Option<String>,
    pub producer_share_to_state_funding: Option<String>,
    pub paid_back: bool,
    pub shares: Shares,
}

fn units(x: u32) -> Decimal {
    Decimal::new(i64::from(x), 4)
}

fn tiyn(d: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    d.round_dp_with_strategy(0, schemas::money::ROUNDING)
        .to_i64()
        .unwrap_or(i64::MAX)
}

fn ratio(a: i64, b: i64) -> Option<String> {
    schemas::money::ratio(a, b, 4).map(|d| d.normalize().to_string())
}

/// The ROI arithmetic, pure.
pub fn figures(i: RoiInputs) -> RoiFigures {
    let recorded = i.exhibitor_share_x10000.is_some() || i.distributor_fee_x10000.is_some();
    let ex = i.exhibitor_share_x10000.unwrap_or(DEFAULT_EXHIBITOR_SHARE);
    let fee = i.distributor_fee_x10000.unwrap_or(DEFAULT_DISTRIBUTOR_FEE);
    let rentals = tiyn(Decimal::from(i.net_tiyn) * (Decimal::ONE - units(ex)));
    let producer_share = tiyn(Decimal::from(rentals) * (Decimal::ONE - units(fee)));
    RoiFigures {
        budget: Kzt::from_tiyn(i.budget_tiyn),
        state_funding: Kzt::from_tiyn(i.state_funding_tiyn),
        gross: Kzt::from_tiyn(i.gross_tiyn),
        net: Kzt::from_tiyn(i.net_tiyn),
        rentals: Kzt::from_tiyn(rentals),
        producer_share: Kzt::from_tiyn(producer_share),
        recoupment: ratio(i.gross_tiyn, i.budget_tiyn),
        producer_share_to_state_funding: ratio(producer_share, i.state_funding_tiyn),
        paid_back: i.budget_tiyn > 0 && producer_share >= i.budget_tiyn,
        shares: Shares {
            exhibitor_share: units(ex).normalize().to_string(),
            distributor_fee: units(fee).normalize().to_string(),
            source: if recorded { "agreement" } else { "default" },
        },
    }
}

#[derive(Debug, Row, Deserialize)]
struct BoxRow {
    film_id: String,
    gross_tiyn: i64,
    net_tiyn: i64,
    first_day: u16,
    last_day: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parties {
    pub producer_bin: String,
    pub distributor_bin: String,
}

/// The producer and distributor of a registered film; `None` when it is not registered.
pub fn parties(registry: &Registry, film_id: &str) -> Option<Parties> {
    registry.films.get(film_id).map(|f| Parties {
        producer_bin: f.producer_bin.clone(),
        distributor_bin: f.distributor_bin.clone(),
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FilmRoi {
    pub film_id: String,
    pub producer_bin: String,
    pub distributor_bin: String,
    #[serde(flatten)]
    pub figures: RoiFigures,
    /// Rebates marked paid on claims filed for this film (KZT programmes).
    pub rebate_paid: Kzt,
    pub funding_year: Option<i32>,
    pub first_screening_day: Option<String>,
    pub last_screening_day: Option<String>,
    pub released: bool,
}

/// ROI of every registered film (or one): the registry snapshot joined in Rust with the box
/// office per film (film-day aggregates) and the rebates paid.
pub async fn films(
    client: &Client,
    app: &Client,
    registry: &Registry,
    only: Option<&str>,
) -> Result<Vec<FilmRoi>, ReportError> {
    if only.is_some_and(|f| !registry.films.contains_key(f)) {
        return Ok(Vec::new());
    }
    let boxes = async {
        let rows: Vec<BoxRow> = match only {
            Some(f) => {
                client
                    .query(&format!("{BOX_SQL} WHERE film_id = ? GROUP BY film_id"))
                    .bind(f)
                    .fetch_all()
                    .await?
            }
            None => {
                client
                    .query(&format!("{BOX_SQL} GROUP BY film_id"))
                    .fetch_all()
                    .await?
            }
        };
        Ok::<_, ReportError>(rows)
    };
    let paid = async {
        crate::claims::paid_by_film(app)
            .await
            .map_err(ReportError::from)
    };
    // Two independent reads, sent together.
    let (boxes, paid) = tokio::try_join!(boxes, paid)?;
    let boxes: HashMap<_, _> = boxes.into_iter().map(|b| (b.film_id.clone(), b)).collect();
    let day = |d: u16| schemas::time::date_from_days(d).to_string();
    Ok(registry
        .films
        .iter()
        .filter(|(id, _)| only.is_none_or(|o| o == id.as_str()))
        .map(|(id, f)| {
            let fu = registry.funding.get(id);
            let bx = boxes.get(id);
            let ag = registry.agreements.get(id);
            let rebate_paid = paid.get(id).map_or(Kzt::ZERO, |d| {
                Kzt::from_tiyn(tiyn(*d * Decimal::ONE_HUNDRED))
            });
            let figures = figures(RoiInputs {
                budget_tiyn: f.budget_tiyn,
                state_funding_tiyn: fu.map_or(0, |x| x.amount_tiyn),
                gross_tiyn: bx.map_or(0, |b| b.gross_tiyn),
                net_tiyn: bx.map_or(0, |b| b.net_tiyn),
                exhibitor_share_x10000: ag.map(|a| a.exhibitor_share_x10000),
                distributor_fee_x10000: ag.map(|a| a.distributor_fee_x10000),
            });
            FilmRoi {
                film_id: id.clone(),
                producer_bin: f.producer_bin.clone(),
                distributor_bin: f.distributor_bin.clone(),
                figures,
                rebate_paid,
                funding_year: fu.map(|x| schemas::time::date_from_days(x.first_paid).year()),
                first_screening_day: bx.map(|b| day(b.first_day)),
                last_screening_day: bx.map(|b| day(b.last_day)),
                released: bx.is_some(),
            }
        })
        .collect())
}

const BOX_SQL: &str = "SELECT film_id, toInt64(sum(gross_sum)) AS gross_tiyn, toInt64(sum(net_sum)) AS net_tiyn, min(day) AS first_day, max(day) AS last_day \
     FROM sales_by_film_day FINAL";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoiSummary {
    pub funding_year: Option<i32>,
    pub films_funded: u64,
    pub films_released: u64,
    pub films_paid_back: u64,
    /// The programme KPI: paid back ÷ released, 4 decimals.
    pub payback_share: Option<String>,
    pub state_funding: Kzt,
    pub budget: Kzt,
    pub gross: Kzt,
    pub recoupment: Option<String>,
}

/// The KPI over state-funded films, optionally those first funded in `year`.
pub fn summary(all: &[FilmRoi], year: Option<i32>) -> RoiSummary {
    let funded: Vec<&FilmRoi> = all
        .iter()
        .filter(|f| {
            f.figures.state_funding.tiyn() > 0 && year.is_none_or(|y| f.funding_year == Some(y))
        })
        .collect();
    let released: Vec<&&FilmRoi> = funded.iter().filter(|f| f.released).collect();
    let paid_back = released.iter().filter(|f| f.figures.paid_back).count() as i64;
    let sum = |g: fn(&FilmRoi) -> i64| funded.iter().map(|f| g(f)).sum::<i64>();
    let (state, budget, gross) = (
        sum(|f| f.figures.state_funding.tiyn()),
        sum(|f| f.figures.budget.tiyn()),
        sum(|f| f.figures.gross.tiyn()),
    );
    RoiSummary {
        funding_year: year,
        films_funded: funded.len() as u64,
        films_released: released.len() as u64,
        films_paid_back: paid_back as u64,
        payback_share: ratio(paid_back, released.len() as i64),
        state_funding: Kzt::from_tiyn(state),
        budget: Kzt::from_tiyn(budget),
        gross: Kzt::from_tiyn(gross),
        recoupment: ratio(gross, budget),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_film_with_defaults() {
        // Net 100,000,000.00 KZT; exhibitor 50 % -> rentals 50,000,000.00; fee 0 -> producer
        // share 50,000,000.00; budget 40,000,000.00 -> paid back; gross 116,000,000.00 ->
        // recoupment 2.9; state funding 30,000,000.00 -> 1.6667.
        let f = figures(RoiInputs {
            budget_tiyn: 4_000_000_000,
            state_funding_tiyn: 3_000_000_000,
            gross_tiyn: 11_600_000_000,
            net_tiyn: 10_000_000_000,
            exhibitor_share_x10000: None,
            distributor_fee_x10000: None,
        });
        assert_eq!(f.rentals, Kzt::from_tiyn(5_000_000_000));
        assert_eq!(f.producer_share, Kzt::from_tiyn(5_000_000_000));
        assert_eq!(f.recoupment.as_deref(), Some("2.9"));
        assert_eq!(f.producer_share_to_state_funding.as_deref(), Some("1.6667"));
        assert!(f.paid_back);
        assert_eq!(f.shares.source, "default");
        assert_eq!(
            (
                f.shares.exhibitor_share.as_str(),
                f.shares.distributor_fee.as_str()
            ),
            ("0.5", "0")
        );
    }

    #[test]
    fn hand_checked_film_with_agreement() {
        // Net 1,000.01 KZT; exhibitor 55 % -> rentals 450.0045 -> 450.00 (100,001 x 0.45 =
        // 45,000.45 tiyn -> 45,000); fee 12.5 % -> 39,375 tiyn; budget 400 KZT -> not paid back.
        let f = figures(RoiInputs {
            budget_tiyn: 40_000,
            state_funding_tiyn: 0,
            gross_tiyn: 116_001,
            net_tiyn: 100_001,
            exhibitor_share_x10000: Some(5_500),
            distributor_fee_x10000: Some(1_250),
        });
        assert_eq!(f.rentals, Kzt::from_tiyn(45_000));
        assert_eq!(f.producer_share, Kzt::from_tiyn(39_375));
        assert!(!f.paid_back);
        assert_eq!(f.producer_share_to_state_funding, None);
        assert_eq!(f.shares.source, "agreement");
    }

    #[test]
    fn kpi_counts_released_funded_films_only() {
        let film =
            |id: &str, state: i64, budget: i64, net: i64, released: bool, year: i32| FilmRoi {
                film_id: id.into(),
                producer_bin: String::new(),
                distributor_bin: String::new(),
                figures: figures(RoiInputs {
                    budget_tiyn: budget,
                    state_funding_tiyn: state,
                    gross_tiyn: net,
                    net_tiyn: net,
                    exhibitor_share_x10000: None,
                    distributor_fee_x10000: None,
                }),
                rebate_paid: Kzt::ZERO,
                funding_year: (state > 0).then_some(year),
                first_screening_day: None,
                last_screening_day: None,
                released,
            };
        let all = vec![
            film("A", 100, 1_000, 2_000, true, 2024), // producer share 1,000 >= 1,000: paid back
            film("B", 100, 1_000, 1_000, true, 2024), // 500 < 1,000
            film("C", 100, 1_000, 0, false, 2024),    // not released
            film("D", 0, 1_000, 9_000, true, 2024),   // not state-funded
            film("E", 100, 1_000, 5_000, true, 2025), // another year
        ];
        let s = summary(&all, Some(2024));
        assert_eq!(
            (s.films_funded, s.films_released, s.films_paid_back),
            (3, 2, 1)
        );
        assert_eq!(s.payback_share.as_deref(), Some("0.5"));
        assert_eq!(s.gross, Kzt::from_tiyn(3_000));
        assert_eq!(s.recoupment.as_deref(), Some("1"));
        assert_eq!(summary(&all, None).films_funded, 4);
    }
}
