//! The official FX table: what the ministry loads (`ekino fx load FILE`, `PUT /v1/fx`), kept
//! append-only in `fx_official` with who loaded it and when; the latest load of a (date,
//! currency) is in force, and a line converts at the latest official rate on or before its
//! date. Claims are computed and decided with it; a claim's own `fx` list is the applicant's
//! assertion, shown beside the official result, never used for the payout. While no official
//! rate is loaded, the shipped indicative table is used and the result says so.

use clickhouse::{Client, Row};
use rebate_engine::FxTable;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[derive(Debug, Clone, Row, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FxRow {
    /// Days since the epoch (ClickHouse `Date`).
    pub date: u16,
    pub currency: String,
    /// KZT per unit, a decimal string as published.
    pub kzt: String,
    pub loaded_at: u32,
    pub by: String,
}

/// Rows to store from `date,currency,kzt` text (every line checked first: all or nothing).
pub fn rows_from_csv(
    text: &str,
    by: &str,
    at: u32,
) -> Result<Vec<FxRow>, rebate_engine::error::InputError> {
    Ok(FxTable::parse_rows(text)?
        .into_iter()
        .map(|(currency, date, kzt)| FxRow {
            date: schemas::time::days_since_epoch(date),
            currency: currency.to_string(),
            kzt: kzt.to_string(),
            loaded_at: at,
            by: by.to_owned(),
        })
        .collect())
}

#[derive(Debug, Row, Deserialize)]
struct InForce {
    date: u16,
    currency: String,
    kzt: String,
}

/// Where a result's rates came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Official,
    /// No official rate loaded yet: the shipped table, for the test period.
    Indicative,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Official => "official",
            Source::Indicative => "indicative",
        }
    }
}

/// The rates in force now: the official table, or the indicative one while none is loaded.
pub async fn in_force(
    client: &Client,
    indicative: &FxTable,
) -> Result<(FxTable, Source), ApiError> {
    let rows: Vec<InForce> = client
        .query("SELECT date, currency, argMax(kzt, loaded_at) AS kzt FROM fx_official GROUP BY date, currency")
        .fetch_all()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    if rows.is_empty() {
        return Ok((indicative.clone(), Source::Indicative));
    }
    let mut t = FxTable::default();
    for r in rows {
        let currency = rebate_engine::money::Currency::parse(&r.currency)
            .map_err(|e| ApiError::Internal(format!("stored fx currency {:?}: {e}", r.currency)))?;
        let kzt = r
            .kzt
            .parse()
            .map_err(|e| ApiError::Internal(format!("stored fx rate {:?}: {e}", r.kzt)))?;
        t.insert(currency, schemas::time::date_from_days(r.date), kzt)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    Ok((t, Source::Official))
}

/// The table estimates use: the official rates where loaded, the indicative table for every
/// currency and date they do not cover (an estimate is a forecast, so it never fails for want
/// of an official rate). Re-read at most every `ttl` (the registry's cache time), so a public
/// estimate costs no query.
pub struct EstimateFx {
    ttl: std::time::Duration,
    cell: std::sync::Mutex<Option<(std::time::Instant, std::sync::Arc<FxTable>, Source)>>,
}

impl EstimateFx {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            ttl,
            cell: std::sync::Mutex::new(None),
        }
    }

    pub async fn get(
        &self,
        client: &Client,
        indicative: &FxTable,
    ) -> Result<(std::sync::Arc<FxTable>, Source), ApiError> {
        Ok(self.table(client, indicative).await)
    }

    async fn table(
        &self,
        client: &Client,
        indicative: &FxTable,
    ) -> (std::sync::Arc<FxTable>, Source) {
        if let Some((at, t, src)) = self.cell.lock().expect("fx cache").as_ref() {
            if at.elapsed() < self.ttl {
                return (t.clone(), *src);
            }
        }
        // ClickHouse away: the indicative table, labelled so; an estimate never fails for it.
        let (official, source) = match in_force(client, indicative).await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "official fx unreadable; estimates use the indicative table");
                (indicative.clone(), Source::Indicative)
            }
        };
        let table = std::sync::Arc::new(match source {
            Source::Official => indicative.overlaid(&official),
            Source::Indicative => official,
        });
        *self.cell.lock().expect("fx cache") =
            Some((std::time::Instant::now(), table.clone(), source));
        (table, source)
    }
}
