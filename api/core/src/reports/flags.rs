//! A cinema's reconciliation flags per screening day: events kept and counted (or, for a
//! refund waiting for its sale, kept and not yet counted) that somebody must still check.
//!
//! - `unknown_film`: events of a film not in the registry; counted in the cinema's figures
//!   but in no film's ROI until the film is registered.
//! - `vat_differs_from_registry`: sales whose VAT disagrees with the cinema's registered VAT
//!   status (a payer selling without VAT, a non-payer charging it).
//! - `refund_pending`: refunds whose sale has not arrived; counted nowhere until it does.
//!
//! The counts are kept by ingest as it writes: the first two in the daily aggregates
//! (`n_events`, `n_vat_sales`, `n_untaxed_sales`, see `schemas::rollup`), the last as the
//! rows of `pending_refunds`. Only the verdict is read here, against the registry snapshot,
//! so registering a film or correcting a cinema's VAT status clears its flags at once and
//! no raw event is scanned.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use super::error::ReportError;
use super::registry::Registry;

/// The flags, in the order a cinema's page lists them.
pub const FLAGS: [&str; 3] = [
    "unknown_film",
    "vat_differs_from_registry",
    "refund_pending",
];

#[derive(Debug, Row, Deserialize)]
struct DayFilmRow {
    day: u16,
    film_id: String,
    n_events: u64,
    n_vat_sales: u64,
    n_untaxed_sales: u64,
}

#[derive(Debug, Row, Deserialize)]
struct PendingRow {
    day: u16,
    film_id: String,
    n: u64,
}

/// One flag of one screening day and film.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Flag {
    pub day: String,
    /// `unknown_film`, `vat_differs_from_registry` or `refund_pending`.
    pub flag: String,
    pub film_id: String,
    /// The events it concerns (sales for the VAT flag, refunds for a pending one).
    pub events: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlagsReport {
    pub cinema_bin: String,
    pub from: String,
    pub to: String,
    /// Per flag, over the range.
    pub totals: BTreeMap<String, u64>,
    /// By day, then flag (in [`FLAGS`] order), then film.
    pub rows: Vec<Flag>,
}

fn date(day: u16) -> String {
    schemas::time::date_from_days(day).to_string()
}

/// `bin`'s flags on screening days `from..=to`.
pub async fn cinema_flags(
    client: &Client,
    registry: &Registry,
    bin: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<FlagsReport, ReportError> {
    let (f, t) = (from.to_string(), to.to_string());
    let groups: Vec<DayFilmRow> = client
        .query(
            "SELECT day, film_id, n_events, n_vat_sales, n_untaxed_sales FROM sales_by_cinema_day FINAL \
             WHERE cinema_bin = ? AND day >= toDate(?) AND day <= toDate(?) ORDER BY day, film_id",
        )
        .bind(bin)
        .bind(&f)
        .bind(&t)
        .fetch_all()
        .await?;
    let pending: Vec<PendingRow> = client
        .query(&format!(
            "SELECT day, film_id, toUInt64(count()) AS n FROM pending_refunds FINAL \
             WHERE cinema_bin = ? AND day >= toDate(?) AND day <= toDate(?) AND {} GROUP BY day, film_id",
            schemas::ddl::PENDING_OPEN
        ))
        .bind(bin)
        .bind(&f)
        .bind(&t)
        .fetch_all()
        .await?;
    // (day, flag's place in FLAGS, film) → events: sorted as the page lists them.
    let mut found: BTreeMap<(u16, usize, String), u64> = BTreeMap::new();
    for g in groups {
        if g.n_events > 0 && !registry.films.contains_key(&g.film_id) {
            found.insert((g.day, 0, g.film_id.clone()), g.n_events);
        }
        let vat = super::scorecard::vat_mismatches(registry, bin, g.n_vat_sales, g.n_untaxed_sales);
        if vat > 0 {
            found.insert((g.day, 1, g.film_id), vat);
        }
    }
    for p in pending.into_iter().filter(|p| p.n > 0) {
        found.insert((p.day, 2, p.film_id), p.n);
    }
    let mut totals: BTreeMap<String, u64> = FLAGS.iter().map(|f| ((*f).to_owned(), 0)).collect();
    let rows = found
        .into_iter()
        .map(|((day, i, film_id), events)| {
            *totals.entry(FLAGS[i].to_owned()).or_default() += events;
            Flag {
                day: date(day),
                flag: FLAGS[i].to_owned(),
                film_id,
                events,
            }
        })
        .collect();
    Ok(FlagsReport {
        cinema_bin: bin.to_owned(),
        from: f,
        to: t,
        totals,
        rows,
    })
}
