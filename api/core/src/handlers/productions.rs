//! The film commission's saved estimates, per production it advises (`commission_estimates`):
//! `GET /v1/commission/estimates`, `POST /v1/commission/estimates`,
//! `POST /v1/commission/estimates/{id}/delete`; the commission only.
//!
//! What is saved is the estimator's own query (`/{lang}/rebates/estimate?…`, the same form the
//! briefing reads), checked by the engine's parser before it is stored and kept in its
//! normal spelling with its `as_of` date, so the estimate and the briefing open again exactly
//! as saved; the figures are computed when opened (rules and rates are data, not copies).
//! Deleting writes a new version marked deleted: the table keeps everything ever saved.

use chrono::Utc;
use clickhouse::Row;
use serde::{Deserialize, Serialize};

use super::{require, unavailable, ApiError};
use crate::auth::{Principal, Role};
use crate::estimate::EstimateForm;
use crate::state::AppState;

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
struct EstimateRow {
    estimate_id: String,
    production: String,
    query: String,
    note: String,
    saved_by: String,
    saved_at: u32,
    deleted: u8,
    version: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SavedEstimate {
    pub estimate_id: String,
    /// The production the commission is advising.
    pub production: String,
    /// The estimator's query: `/{lang}/rebates/estimate?{query}` and `/{lang}/rebates/brief?{query}`
    /// open it.
    pub query: String,
    pub note: String,
    pub saved_by: String,
    /// UTC+5.
    pub saved_at: String,
    /// From the query: the title, the total budget with its currency, the programmes compared.
    pub title: String,
    pub total: String,
    pub currency: String,
    pub compare: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SavedEstimates {
    /// Newest first, at most 1,000.
    pub estimates: Vec<SavedEstimate>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEstimate {
    /// 1 to 200 characters, not only spaces.
    #[schema(min_length = 1, max_length = 200)]
    pub production: String,
    /// The estimator's query string (as in its URL, without `?`); one it would refuse is a 422.
    #[schema(min_length = 1, max_length = 8000)]
    pub query: String,
    /// Up to 1,000 characters, one line.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub note: String,
}

fn view(r: EstimateRow) -> SavedEstimate {
    // The stored query was checked when saved; read it as the estimator does.
    let form = EstimateForm::from_query(&r.query, chrono::NaiveDate::default());
    SavedEstimate {
        saved_at: crate::keys::when(r.saved_at),
        title: form.title,
        total: form.total,
        currency: form.currency,
        compare: form.compare,
        estimate_id: r.estimate_id,
        production: r.production,
        query: r.query,
        note: r.note,
        saved_by: r.saved_by,
    }
}

async fn rows(s: &AppState) -> Result<Vec<EstimateRow>, ApiError> {
    s.app.query("SELECT ?fields FROM commission_estimates FINAL WHERE deleted = 0 ORDER BY saved_at DESC, estimate_id LIMIT 1000").fetch_all().await.map_err(unavailable)
}

/// `GET /v1/commission/estimates`.
pub async fn list(s: &AppState, p: &Principal) -> Result<SavedEstimates, ApiError> {
    require(p, &[Role::Commission])?;
    Ok(SavedEstimates {
        estimates: rows(s).await?.into_iter().map(view).collect(),
    })
}

/// The query in its normal spelling, or the field and reason the estimator would refuse.
pub fn checked_query(query: &str, today: chrono::NaiveDate) -> Result<String, ApiError> {
    let query = query.trim_start_matches('?');
    if query.len() > 8000 {
        return Err(ApiError::bad("query", "must be at most 8,000 characters"));
    }
    // Without a total the estimator shows its example: that is not a production's estimate.
    if !crate::params::pairs(query)
        .iter()
        .any(|(k, _)| k == "total")
    {
        return Err(ApiError::bad(
            "query",
            "must be the estimator's query, with the production's total budget",
        ));
    }
    let form = EstimateForm::from_query(query, today);
    form.input()?;
    Ok(form.query())
}

/// A query the estimator would refuse is well-formed JSON the rules cannot compute: a 422
/// naming `query` and the estimator's own field and reason (pages call [`checked_query`] first
/// and say that refusal in their language).
fn not_an_estimate(e: ApiError) -> ApiError {
    let said = |field: &str, reason: &str| ApiError::Unprocessable {
        field: "query".into(),
        reason: format!("is not an estimate the estimator can compute: {field} {reason}"),
    };
    match e {
        ApiError::BadRequest { field, reason } | ApiError::Unprocessable { field, reason }
            if field == "query" =>
        {
            ApiError::Unprocessable { field, reason }
        }
        ApiError::BadRequest { field, reason } | ApiError::Unprocessable { field, reason } => {
            said(&field, &reason)
        }
        ApiError::Invalid { field, reason } => said(&field, &reason.to_string()),
        other => other,
    }
}

fn version() -> u64 {
    u64::try_from(Utc::now().timestamp_nanos_opt().unwrap_or(0)).unwrap_or(0)
}

/// `POST /v1/commission/estimates`.
pub async fn save(
    s: &AppState,
    p: &Principal,
    new: NewEstimate,
) -> Result<SavedEstimate, ApiError> {
    require(p, &[Role::Commission])?;
    crate::params::text("production", &new.production)?;
    if new.production.chars().count() > 200 {
        return Err(ApiError::bad(
            "production",
            "must be at most 200 characters",
        ));
    }
    if new.note.chars().count() > 1000 || new.note.chars().any(char::is_control) {
        return Err(ApiError::bad(
            "note",
            "must be at most 1,000 characters, without control characters",
        ));
    }
    let query = checked_query(&new.query, s.today()).map_err(not_an_estimate)?;
    let id = format!("ES-{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let row = EstimateRow {
        estimate_id: id,
        production: new.production.trim().to_owned(),
        query,
        note: new.note.trim().to_owned(),
        saved_by: p.author(),
        saved_at: s.now_secs(),
        deleted: 0,
        version: version(),
    };
    ingest::clickhouse_store::insert_rows(
        &s.app,
        "commission_estimates",
        std::slice::from_ref(&row),
        std::time::Duration::from_secs(10),
    )
    .await
    .map_err(unavailable)?;
    Ok(view(row))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    pub deleted: String,
}

/// `POST /v1/commission/estimates/{id}/delete`.
pub async fn delete(s: &AppState, p: &Principal, id: String) -> Result<Deleted, ApiError> {
    require(p, &[Role::Commission])?;
    let found: Vec<EstimateRow> = s
        .app
        .query(
            "SELECT ?fields FROM commission_estimates FINAL WHERE estimate_id = ? AND deleted = 0",
        )
        .bind(&id)
        .fetch_all()
        .await
        .map_err(unavailable)?;
    let Some(mut row) = found.into_iter().next() else {
        return Err(ApiError::NotFound);
    };
    row.deleted = 1;
    row.version = version();
    row.saved_by = p.author();
    row.saved_at = s.now_secs();
    ingest::clickhouse_store::insert_rows(
        &s.app,
        "commission_estimates",
        &[row],
        std::time::Duration::from_secs(10),
    )
    .await
    .map_err(unavailable)?;
    Ok(Deleted { deleted: id })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    #[test]
    fn a_query_is_kept_in_the_estimators_spelling_with_its_date() {
        let q = "?total=1000000&currency=usd&kind=feature&title=Dune+Sea&applicant_country=gb&local.crew=300000&compare=kz&compare=kz";
        let got = checked_query(q, day()).unwrap();
        // Upper-cased codes, the date fixed, the repeated programme once, the estimator's order.
        assert_eq!(got, "title=Dune+Sea&kind=feature&currency=USD&total=1000000&applicant_country=GB&as_of=2026-11-24&local.crew=300000&compare=kz");
    }

    #[test]
    fn the_example_and_a_refused_form_are_not_saved() {
        assert!(
            matches!(checked_query("title=x&currency=USD", day()), Err(ApiError::BadRequest { field, .. }) if field == "query")
        );
        // No spend line: the estimator's own refusal, naming its field.
        assert!(
            matches!(checked_query("total=1000&currency=USD&kind=feature", day()), Err(ApiError::Invalid { field, .. }) if field == "budget")
        );
        assert!(checked_query(&format!("total=1&x={}", "a".repeat(8000)), day()).is_err());
    }
}
