//! Outliers against the cinema's region (issue 25): a cinema whose refund rate, average ticket
//! price or occupancy over a window of days (28 by default) lies far from its region's, where
//! the region has enough reporting cinemas to have a "usual". Pure: the watcher
//! (`watch::regional_round`) reads the daily aggregates and the declared sessions, this module
//! judges them, so every process finds the same outliers in the same data.
//!
//! # Words
//! - The *window* of a day D is the box-office days D − (days − 1) ..= D.
//! - A cinema's figures over the window are sums of its daily aggregates (what every total
//!   counts: sales, refunds, admissions = sales − refunds, gross net of refunds), and, for
//!   occupancy, the admissions of the days it declared sessions over the seats of the sessions
//!   in force and scheduled on those days (a cinema that declares nothing has no occupancy).
//! - A *reporting* cinema of the window has at least `min_sales` sales in it: fewer say little
//!   about a rate. The region's *median* is over its reporting cinemas (for occupancy, those
//!   with declared seats); the middle one, or the mean of the two middle ones, truncated.
//!   Nothing is judged in a region with fewer than `min_cinemas` of them.
//! - A cinema is judged on day D when it is reporting and sold on D, so a signal is tied to a
//!   day the cinema reported, and a cinema that keeps to its ways gets one a day.
//!
//! # Rules (thresholds are settings `api.signals.*`)
//! - `refund_rate_outlier`: refunds ÷ sales ≥ the median × `refund_rate_factor_percent` %, and at
//!   least `refund_rate_min_points` percentage points above it (buy-then-cancel hides a sale
//!   that took place, or inflates a film's run and takes it back).
//! - `average_price_outlier`: gross ÷ admissions below the median × `price_low_percent` %
//!   (tickets reported cheaper than sold). A high price hides nothing and is not a signal.
//! - `occupancy_outlier`: occupancy below the median × `occupancy_low_percent` % (the seats were
//!   declared, the people were not reported).
//!
//! Rates are integer basis points (1/10,000), prices integer tiyn, both truncated.
//!
//! # Gross at stake
//! Of day D only, so that a case adding up several days counts each day once: the refunds of D
//! beyond the region's rate, and D's admissions short of the region's occupancy, at the
//! cinema's average price of the window; D's admissions at the region's median price less the
//! cinema's. Truncated, never below zero: an estimate, never a figure that is paid.

use std::collections::BTreeMap;

use serde_json::json;

use super::rules::{Found, Kind};

/// The regional thresholds (settings `api.signals.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionalThresholds {
    pub window_days: u32,
    pub min_cinemas: u32,
    pub min_sales: u64,
    pub refund_rate_factor_percent: u32,
    pub refund_rate_min_points: u32,
    pub price_low_percent: u32,
    pub occupancy_low_percent: u32,
}

impl Default for RegionalThresholds {
    fn default() -> Self {
        Self {
            window_days: 28,
            min_cinemas: 10,
            min_sales: 100,
            refund_rate_factor_percent: 300,
            refund_rate_min_points: 5,
            price_low_percent: 50,
            occupancy_low_percent: 50,
        }
    }
}

/// Sums of one cinema's days (a day's, or a window's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    pub sales: u64,
    pub refunds: u64,
    /// Sales less refunds.
    pub admissions: i64,
    /// Net of refunds, tiyn.
    pub gross_tiyn: i64,
    /// Seats of the declared sessions in force and scheduled (0: none declared).
    pub declared_seats: u64,
    /// Admissions of the days with declared seats.
    pub declared_admissions: i64,
}

impl Sums {
    pub fn add(&mut self, o: &Sums) {
        self.sales += o.sales;
        self.refunds += o.refunds;
        self.admissions += o.admissions;
        self.gross_tiyn += o.gross_tiyn;
        self.declared_seats += o.declared_seats;
        self.declared_admissions += o.declared_admissions;
    }

    fn refund_bp(&self) -> Option<i64> {
        (self.sales > 0).then(|| ratio_bp(self.refunds as i64, self.sales as i64))
    }

    fn price(&self) -> Option<i64> {
        (self.admissions > 0).then(|| self.gross_tiyn / self.admissions)
    }

    fn occupancy_bp(&self) -> Option<i64> {
        (self.declared_seats > 0)
            .then(|| ratio_bp(self.declared_admissions, self.declared_seats as i64))
    }
}

/// One cinema as the rule sees it on day D.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CinemaWindow {
    pub cinema_bin: String,
    /// The registry's region code (`KZ-75`); cinemas without one are never compared.
    pub region: Option<String>,
    pub window: Sums,
    pub day: Sums,
}

/// `part ÷ whole` in basis points, truncated.
fn ratio_bp(part: i64, whole: i64) -> i64 {
    i64::try_from(i128::from(part) * 10_000 / i128::from(whole)).unwrap_or(i64::MAX)
}

/// The median of `v` (sorted here): the middle value, or the truncated mean of the two.
pub fn median(mut v: Vec<i64>) -> Option<i64> {
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2),
    }
}

fn mul_div(a: i64, b: i64, c: i64) -> i64 {
    if c == 0 {
        return 0;
    }
    i64::try_from(i128::from(a) * i128::from(b) / i128::from(c)).unwrap_or(i64::MAX)
}

/// The outliers of day `day` (ISO) among `cinemas`, the window `from..=day`, each as a finding
/// of one cinema (session, film and hall empty), ordered by cinema, then kind.
pub fn evaluate(
    cinemas: &[CinemaWindow],
    from: &str,
    day: &str,
    t: &RegionalThresholds,
) -> Vec<(String, Found)> {
    let mut regions: BTreeMap<&str, Vec<&CinemaWindow>> = BTreeMap::new();
    for c in cinemas {
        if let Some(r) = &c.region {
            if c.window.sales >= t.min_sales.max(1) {
                regions.entry(r.as_str()).or_default().push(c);
            }
        }
    }
    let min = usize::try_from(t.min_cinemas).unwrap_or(usize::MAX);
    let mut out = Vec::new();
    for (region, peers) in regions {
        if peers.len() < min {
            continue;
        }
        let refund_median = median(peers.iter().filter_map(|c| c.window.refund_bp()).collect());
        let price_median = median(peers.iter().filter_map(|c| c.window.price()).collect());
        let occupied: Vec<i64> = peers
            .iter()
            .filter_map(|c| c.window.occupancy_bp())
            .collect();
        let occupancy_peers = occupied.len();
        let occupancy_median = (occupancy_peers >= min).then(|| median(occupied)).flatten();
        for c in peers.iter().filter(|c| c.day.sales > 0) {
            let found = |kind, evidence, at_stake: i64| {
                (
                    c.cinema_bin.clone(),
                    Found {
                        kind,
                        screening_id: String::new(),
                        film_id: String::new(),
                        hall: String::new(),
                        evidence,
                        gross_at_stake_tiyn: at_stake.max(0),
                    },
                )
            };
            let price = c.window.price().unwrap_or(0);
            if let (Some(rate), Some(m)) = (c.window.refund_bp(), refund_median) {
                let threshold = (m * i64::from(t.refund_rate_factor_percent) / 100)
                    .max(m + i64::from(t.refund_rate_min_points) * 100);
                if rate >= threshold {
                    // D's refunds beyond the region's rate, at the cinema's average price.
                    let excess_bp = c.day.refunds as i64 * 10_000 - c.day.sales as i64 * m;
                    out.push(found(
                        Kind::RefundRateOutlier,
                        json!({"region": region, "from": from, "to": day, "cinemas": peers.len(),
                               "sales": c.window.sales, "refunds": c.window.refunds,
                               "rate_bp": rate, "region_median_bp": m, "threshold_bp": threshold}),
                        mul_div(excess_bp, price, 10_000),
                    ));
                }
            }
            if let (Some(p), Some(m)) = (c.window.price(), price_median) {
                let threshold = m * i64::from(t.price_low_percent) / 100;
                if p < threshold {
                    out.push(found(
                        Kind::AveragePriceOutlier,
                        json!({"region": region, "from": from, "to": day, "cinemas": peers.len(),
                               "admissions": c.window.admissions, "gross_tiyn": c.window.gross_tiyn,
                               "price_tiyn": p, "region_median_tiyn": m, "threshold_tiyn": threshold}),
                        (m - p) * c.day.admissions,
                    ));
                }
            }
            if let (Some(o), Some(m)) = (c.window.occupancy_bp(), occupancy_median) {
                let threshold = m * i64::from(t.occupancy_low_percent) / 100;
                if o < threshold {
                    // D's admissions short of the region's occupancy of D's declared seats.
                    let short =
                        mul_div(c.day.declared_seats as i64, m, 10_000) - c.day.declared_admissions;
                    out.push(found(
                        Kind::OccupancyOutlier,
                        json!({"region": region, "from": from, "to": day, "cinemas": occupancy_peers,
                               "admissions": c.window.declared_admissions, "seats": c.window.declared_seats,
                               "occupancy_bp": o, "region_median_bp": m, "threshold_bp": threshold}),
                        short.max(0) * price,
                    ));
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.0, a.1.kind).cmp(&(&b.0, b.1.kind)));
    out
}

#[cfg(test)]
#[path = "regional_tests.rs"]
mod tests;
