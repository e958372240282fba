//! Registry reads for the ministry's registry screens and their JSON twins: each film and
//! cinema as registered now (the latest version of every record), a cinema's versions, and
//! the official FX rates as loaded.
//!
//! Semantics: a record "now" is the version with the latest `updated_at` (the tables are
//! `ReplacingMergeTree(updated_at)`, read with `FINAL`); history is `registry_history`, written
//! before the record itself by every write of this API (see `registry::remember`), so what is
//! in force always has a version naming who wrote it. Registries written by `ekino registry
//! load` before history existed have records without versions: the screens say "no history".
//! FX is append-only: every load is listed, the latest load of a (date, currency) is in force.

use std::collections::HashMap;

use rust_decimal::Decimal;
use schemas::history::HistoryRow;
use schemas::registry::{CinemaRow, FilmRow, FundingRow};
use serde::{Deserialize, Serialize};

use super::registry::{AgreementRow, HistoryEntry};
use super::{parse_bin, require, require_cinema_scope, unavailable, ApiError};
use crate::auth::{Principal, Role};
use crate::state::AppState;

fn iso(days: u16) -> String {
    schemas::time::date_from_days(days).to_string()
}

/// A share kept in 1/10,000 units as the decimal the API takes back (`0.5000`).
fn share(x10000: u32) -> String {
    Decimal::new(i64::from(x10000), 4).to_string()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentRecord {
    pub payment_id: String,
    #[schema(format = Date)]
    pub paid_on: String,
    #[schema(value_type = String)]
    pub amount: schemas::Kzt,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FilmRecord {
    pub film_id: String,
    pub title_kk: String,
    pub title_ru: String,
    pub title_en: String,
    #[schema(format = Date)]
    pub release_date: String,
    pub producer_bin: String,
    pub distributor_bin: String,
    pub national: bool,
    #[schema(value_type = String)]
    pub budget: schemas::Kzt,
    pub public_roi: bool,
    /// The agreement in force (exhibitor share of net box office, distributor fee), absent
    /// when none is registered: ROI then uses 0.5 and 0 and says so.
    pub exhibitor_share: Option<String>,
    pub distributor_fee: Option<String>,
    /// The sum of `payments`.
    #[schema(value_type = String)]
    pub state_funding: schemas::Kzt,
    /// Oldest first.
    pub payments: Vec<PaymentRecord>,
    /// When this version was written (UTC+5).
    pub updated_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FilmRecords {
    /// By film id.
    pub films: Vec<FilmRecord>,
}

/// Films as registered now, all or one, with their agreements and funding payments.
async fn film_records(s: &AppState, only: Option<&str>) -> Result<Vec<FilmRecord>, ApiError> {
    let filter = if only.is_some() {
        " WHERE film_id = ?"
    } else {
        ""
    };
    let bind = |q: clickhouse::query::Query| match only {
        Some(id) => q.bind(id),
        None => q,
    };
    let films: Vec<FilmRow> = bind(s.app.query(&format!(
        "SELECT ?fields FROM films FINAL{filter} ORDER BY film_id"
    )))
    .fetch_all()
    .await
    .map_err(unavailable)?;
    let payments: Vec<FundingRow> = bind(s.app.query(&format!(
        "SELECT ?fields FROM film_funding FINAL{filter} ORDER BY film_id, paid_on, payment_id"
    )))
    .fetch_all()
    .await
    .map_err(unavailable)?;
    let agreements: Vec<AgreementRow> = bind(s.app.query(&format!(
        "SELECT ?fields FROM film_agreements FINAL{filter}"
    )))
    .fetch_all()
    .await
    .map_err(unavailable)?;
    let agreements: HashMap<String, AgreementRow> = agreements
        .into_iter()
        .map(|a| (a.film_id.clone(), a))
        .collect();
    let mut by_film: HashMap<String, Vec<FundingRow>> = HashMap::new();
    for p in payments {
        by_film.entry(p.film_id.clone()).or_default().push(p);
    }
    Ok(films
        .into_iter()
        .map(|f| {
            let paid = by_film.remove(&f.film_id).unwrap_or_default();
            let agreement = agreements.get(&f.film_id);
            FilmRecord {
                state_funding: schemas::Kzt::from_tiyn(paid.iter().map(|p| p.amount_tiyn).sum()),
                payments: paid
                    .into_iter()
                    .map(|p| PaymentRecord {
                        payment_id: p.payment_id,
                        paid_on: iso(p.paid_on),
                        amount: schemas::Kzt::from_tiyn(p.amount_tiyn),
                    })
                    .collect(),
                exhibitor_share: agreement.map(|a| share(a.exhibitor_share_x10000)),
                distributor_fee: agreement.map(|a| share(a.distributor_fee_x10000)),
                release_date: iso(f.release_date),
                national: f.national != 0,
                budget: schemas::Kzt::from_tiyn(f.budget_tiyn),
                public_roi: f.public_roi != 0,
                updated_at: crate::keys::when(f.updated_at),
                film_id: f.film_id,
                title_kk: f.title_kk,
                title_ru: f.title_ru,
                title_en: f.title_en,
                producer_bin: f.producer_bin,
                distributor_bin: f.distributor_bin,
            }
        })
        .collect())
}

/// `GET /v1/films`: every registered film (the ministry).
pub async fn films(s: &AppState, p: &Principal) -> Result<FilmRecords, ApiError> {
    require(p, &[Role::Ministry])?;
    Ok(FilmRecords {
        films: film_records(s, None).await?,
    })
}

/// `GET /v1/films/{film_id}`: one film as registered (the ministry, and its producer or
/// distributor).
pub async fn film(s: &AppState, p: &Principal, film_id: String) -> Result<FilmRecord, ApiError> {
    schemas::FilmId::parse(&film_id).map_err(|e| ApiError::bad("film_id", e.to_string()))?;
    super::box_office::film_visible(s, p, &film_id).await?;
    film_records(s, Some(&film_id))
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CinemaRecord {
    pub bin: String,
    pub name: String,
    /// Empty: `name` is used in Kazakh.
    pub name_kk: String,
    /// Empty: `name` is used in Russian.
    pub name_ru: String,
    /// ISO 3166-2:KZ code.
    pub region: String,
    pub city: String,
    pub halls: u16,
    pub seats: u32,
    pub vat_payer: bool,
    /// Its ticketing system's vendor; empty: not known.
    pub vendor: String,
    pub updated_at: String,
}

impl From<CinemaRow> for CinemaRecord {
    fn from(c: CinemaRow) -> Self {
        Self {
            updated_at: crate::keys::when(c.updated_at),
            bin: c.bin,
            name: c.name,
            name_kk: c.name_kk,
            name_ru: c.name_ru,
            region: c.region,
            city: c.city,
            halls: c.halls,
            seats: c.seats,
            vat_payer: c.vat_payer != 0,
            vendor: c.vendor,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CinemaRecords {
    /// By BIN.
    pub cinemas: Vec<CinemaRecord>,
}

/// `GET /v1/cinemas`: every registered cinema (the ministry).
pub async fn cinemas(s: &AppState, p: &Principal) -> Result<CinemaRecords, ApiError> {
    require(p, &[Role::Ministry])?;
    let rows: Vec<CinemaRow> = s
        .app
        .query("SELECT ?fields FROM cinemas FINAL ORDER BY bin")
        .fetch_all()
        .await
        .map_err(unavailable)?;
    Ok(CinemaRecords {
        cinemas: rows.into_iter().map(CinemaRecord::from).collect(),
    })
}

/// `GET /v1/cinemas/{bin}`: one cinema as registered (the ministry, and the cinema itself).
pub async fn cinema(s: &AppState, p: &Principal, bin: String) -> Result<CinemaRecord, ApiError> {
    require(p, &[Role::Ministry, Role::Cinema])?;
    parse_bin(&bin)?;
    require_cinema_scope(p, &bin)?;
    let rows: Vec<CinemaRow> = s
        .app
        .query("SELECT ?fields FROM cinemas FINAL WHERE bin = ?")
        .bind(&bin)
        .fetch_all()
        .await
        .map_err(unavailable)?;
    rows.into_iter()
        .next()
        .map(CinemaRecord::from)
        .ok_or(ApiError::NotFound)
}

/// History rows as the API shows them (times in UTC+5, records as JSON).
pub(crate) fn entries(rows: Vec<HistoryRow>) -> Vec<HistoryEntry> {
    rows.into_iter()
        .map(|r| HistoryEntry {
            entity: r.entity,
            entity_id: r.entity_id,
            at: crate::keys::when(r.at),
            by: r.by,
            record: serde_json::from_str(&r.record).unwrap_or(serde_json::Value::Null),
        })
        .collect()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CinemaHistory {
    pub bin: String,
    /// Oldest first: each version of the cinema's record and of its halls (entity `hall`, id
    /// `{bin}/{hall}`) as written, by whom and when.
    pub versions: Vec<HistoryEntry>,
}

/// `GET /v1/cinemas/{bin}/history` (the ministry, and the cinema itself).
pub async fn cinema_history(
    s: &AppState,
    p: &Principal,
    bin: String,
) -> Result<CinemaHistory, ApiError> {
    require(p, &[Role::Ministry, Role::Cinema])?;
    parse_bin(&bin)?;
    require_cinema_scope(p, &bin)?;
    let rows: Vec<HistoryRow> = s
        .app
        .query("SELECT ?fields FROM registry_history WHERE (entity = 'cinema' AND entity_id = ?) OR (entity = 'hall' AND entity_id LIKE ?) ORDER BY at, seq LIMIT 10000")
        .bind(&bin)
        .bind(format!("{bin}/%"))
        .fetch_all()
        .await
        .map_err(unavailable)?;
    Ok(CinemaHistory {
        bin,
        versions: entries(rows),
    })
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FxQuery {
    /// First rate date (inclusive).
    #[param(format = Date)]
    pub from: String,
    /// Last rate date (inclusive).
    #[param(format = Date)]
    pub to: String,
    /// Only this currency (ISO 4217, three capital letters).
    #[serde(default)]
    #[param(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FxEntry {
    #[schema(format = Date)]
    pub date: String,
    pub currency: String,
    /// KZT per unit, as published.
    pub kzt: String,
    /// When this rate was loaded (UTC+5), and by whom.
    pub loaded_at: String,
    pub by: String,
    /// The latest load of this (date, currency): the rate claims are computed with.
    pub in_force: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FxReply {
    /// Every load in the range: by date (newest first), currency, then load (newest first).
    pub rates: Vec<FxEntry>,
    /// Rows are cut at 10,000: choose fewer days or one currency.
    pub truncated: bool,
}

/// At most this many FX rows in one reply (31 days × 30 currencies × 10 loads is 9,300).
const FX_ROWS: usize = 10_000;

/// `GET /v1/fx`: the official rates loaded for a range of dates, every load with who made it.
pub async fn fx(s: &AppState, p: &Principal, q: FxQuery) -> Result<FxReply, ApiError> {
    require(p, &[Role::Ministry])?;
    let (from, to) = crate::params::range(&q.from, &q.to, s.settings.max_range_days)?;
    let currency = match q.currency {
        Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => Some(c),
        Some(_) => {
            return Err(ApiError::bad(
                "currency",
                "must be an ISO 4217 code, three capital letters (USD)",
            ))
        }
        None => None,
    };
    let filter = if currency.is_some() {
        " AND currency = ?"
    } else {
        ""
    };
    let mut query = s
        .app
        .query(&format!("SELECT ?fields FROM fx_official WHERE date >= toDate(?) AND date <= toDate(?){filter} ORDER BY date DESC, currency, loaded_at DESC LIMIT ?"))
        .bind(from.to_string())
        .bind(to.to_string());
    if let Some(c) = &currency {
        query = query.bind(c);
    }
    let mut rows: Vec<crate::fx::FxRow> = query
        .bind(FX_ROWS as u64 + 1)
        .fetch_all()
        .await
        .map_err(unavailable)?;
    let truncated = rows.len() > FX_ROWS;
    rows.truncate(FX_ROWS);
    let mut seen = std::collections::HashSet::new();
    let rates = rows
        .into_iter()
        .map(|r| FxEntry {
            // Newest load first within a (date, currency): the first one seen is in force.
            in_force: seen.insert((r.date, r.currency.clone())),
            date: iso(r.date),
            loaded_at: crate::keys::when(r.loaded_at),
            currency: r.currency,
            kzt: r.kzt,
            by: r.by,
        })
        .collect();
    Ok(FxReply { rates, truncated })
}
