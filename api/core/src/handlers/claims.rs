//! Rebate claims: a producer files, the ministry decides, everyone sees the history.

use std::time::Duration;

use rebate_engine::{Claim, Context};
use serde::{Deserialize, Serialize};

use super::{require, ApiError};
use crate::auth::{Principal, Role};
use crate::claims::{self, ClaimEvent, Decision, Status};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitClaim {
    /// The film the rebate is for, when it has a Kazakh certificate (links it to ROI).
    #[serde(default)]
    #[schema(value_type = Option<schemas::FilmId>)]
    pub film_id: Option<String>,
    /// Parsed by the engine (its errors name the JSON path under `claim.`).
    #[schema(value_type = rebate_engine::claim::ClaimInput)]
    pub claim: serde_json::Value,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub decision: Decision,
    #[serde(default)]
    pub reason: Option<String>,
    /// The ministry's override of the claim's as-of date (its filing date), with an approval:
    /// the rules, MCI and rates of that date apply.
    #[serde(default)]
    #[schema(format = Date)]
    pub as_of: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Step {
    pub seq: u32,
    pub at: String,
    pub status: String,
    pub role: String,
    /// The key that took the step; empty when the ministry took it and the reader is not the
    /// ministry (a producer sees who, not which key).
    pub key_id: String,
    /// Who took the step: the key's label, or its role when the key is no longer held.
    pub by: String,
    pub reason: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClaimView {
    pub claim_id: String,
    pub status: String,
    pub film_id: Option<String>,
    pub programme: String,
    pub submitted_by: String,
    pub rebate: String,
    pub currency: String,
    /// The computed result with its line-by-line explanation.
    pub result: serde_json::Value,
    /// The claim as filed (its lines in their own currencies, its own FX rates if any).
    pub claim: serde_json::Value,
    pub history: Vec<Step>,
}

fn view(events: &[ClaimEvent]) -> Result<ClaimView, ApiError> {
    let first = events.first().ok_or(ApiError::NotFound)?;
    let last = events.last().expect("non-empty");
    Ok(ClaimView {
        claim_id: first.claim_id.clone(),
        status: last.kind.clone(),
        film_id: (!first.film_id.is_empty()).then(|| first.film_id.clone()),
        programme: first.programme.clone(),
        submitted_by: first.bin.clone(),
        // The latest computation: an approval recomputes at the rates in force then.
        rebate: last.rebate.clone(),
        currency: first.currency.clone(),
        result: serde_json::from_str(&last.result).unwrap_or(serde_json::Value::Null),
        claim: serde_json::from_str(&first.claim).unwrap_or(serde_json::Value::Null),
        history: events
            .iter()
            .map(|e| Step {
                seq: e.seq,
                at: chrono::DateTime::from_timestamp(i64::from(e.at), 0)
                    .map(|t| t.with_timezone(&schemas::time::kz_offset()).to_rfc3339())
                    .unwrap_or_default(),
                status: e.kind.clone(),
                role: e.role.clone(),
                key_id: e.key_id.clone(),
                by: String::new(),
                reason: e.reason.clone(),
            })
            .collect(),
    })
}

async fn append(s: &AppState, e: &ClaimEvent) -> Result<(), ApiError> {
    ingest::clickhouse_store::insert_rows(
        &s.app,
        "claim_events",
        std::slice::from_ref(e),
        Duration::from_secs(10),
    )
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))
}

/// A claim computed with the rates in force (official, else indicative: see `fx`), never its
/// own; its own rates, when it has any, give the applicant's asserted rebate, shown with the
/// difference. Returns the result and its stored JSON.
async fn official_result(
    s: &AppState,
    programme: &rebate_engine::Programme,
    claim: &Claim,
) -> Result<(rebate_engine::RebateResult, String), ApiError> {
    let (fx, source) = crate::fx::in_force(&s.app, &s.fx).await?;
    // The computation (lines × rules, up to a 1 MiB claim) runs on the bounded CPU pool.
    let (programme, claim, index) = (programme.clone(), claim.clone(), s.index.clone());
    s.guards
        .cpu
        .run(move || {
            let official_claim = Claim { fx: rebate_engine::FxTable::default(), ..claim.clone() };
            let result = rebate_engine::compute(&programme, &official_claim, &Context { fx: &fx, index: &index })?;
            let mut json = serde_json::to_value(&result).map_err(|e| ApiError::Internal(e.to_string()))?;
            json["fx_source"] = serde_json::json!(source.as_str());
            json["fx_used"] = fx_used(&programme, &claim, &fx);
            if !claim.fx.is_empty() {
                let asserted = rebate_engine::compute(&programme, &claim, &Context { fx: &fx, index: &index })?;
                json["applicant_fx"] = serde_json::json!({
                    "rebate": asserted.rebate.to_string(),
                    "difference": (result.rebate - asserted.rebate).to_string(),
                    "note": "the claim's own rates, kept as the applicant's assertion; the payout uses the rates in force",
                });
            }
            let text = serde_json::to_string(&json).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok((result, text))
        })
        .await?
}

/// The rates a claim was converted at, one per currency and payment date of its lines (and the
/// programme's own currency when it is not the tenge): KZT per unit in force (`official`, what
/// the payout uses) and the applicant's own when its claim gave one (`claimed`), so that a
/// decision can be checked against both without the tables of that day.
fn fx_used(
    programme: &rebate_engine::Programme,
    claim: &Claim,
    fx: &rebate_engine::FxTable,
) -> serde_json::Value {
    let mut seen = std::collections::BTreeSet::new();
    let pairs = claim
        .lines
        .iter()
        .filter(|l| l.currency != programme.currency)
        .flat_map(|l| {
            [
                (l.currency.clone(), l.paid_on),
                (programme.currency.clone(), l.paid_on),
            ]
        })
        .filter(|(c, d)| c.as_str() != "KZT" && seen.insert((c.to_string(), *d)));
    let rates: Vec<serde_json::Value> = pairs
        .map(|(c, d)| {
            serde_json::json!({
                "currency": c.as_str(),
                "date": d.to_string(),
                "official": fx.kzt_per_unit(&c, d).ok().map(|r| r.to_string()),
                "claimed": claim.fx.kzt_per_unit(&c, d).ok().map(|r| r.to_string()),
            })
        })
        .collect();
    serde_json::Value::Array(rates)
}

async fn load(s: &AppState, id: &str) -> Result<Vec<ClaimEvent>, ApiError> {
    claims::events(&s.app, id)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))
}

/// What `POST /v1/claims/preview` answers: the claim computed as filing would compute it
/// (filed today, by the registered party, at the rates in force), nothing stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClaimPreview {
    pub film_id: Option<String>,
    pub programme: String,
    pub rebate: String,
    pub currency: String,
    /// The computed result with its line-by-line explanation, as a filed claim stores it.
    pub result: serde_json::Value,
}

/// A claim ready to store: its first step, computed.
struct Prepared {
    event: ClaimEvent,
}

/// Files a claim: computed by [`prepare`] and stored as its first step.
pub async fn submit(s: &AppState, p: &Principal, sub: SubmitClaim) -> Result<ClaimView, ApiError> {
    let Prepared { event } = prepare(s, p, sub).await?;
    append(s, &event).await?;
    Ok(for_reader(s, p, view(&[event])?))
}

/// Computes a claim exactly as [`submit`] would, and stores nothing.
pub async fn preview(
    s: &AppState,
    p: &Principal,
    sub: SubmitClaim,
) -> Result<ClaimPreview, ApiError> {
    let Prepared { event } = prepare(s, p, sub).await?;
    Ok(ClaimPreview {
        film_id: (!event.film_id.is_empty()).then(|| event.film_id.clone()),
        programme: event.programme,
        rebate: event.rebate,
        currency: event.currency,
        result: serde_json::from_str(&event.result).unwrap_or(serde_json::Value::Null),
    })
}

async fn prepare(s: &AppState, p: &Principal, sub: SubmitClaim) -> Result<Prepared, ApiError> {
    require(p, &[Role::Producer])?;
    // Who files: a BIN holder is Kazakh; a foreign applicant's country and registration are
    // the ministry's registry's (`applicants`), whatever the claim says.
    let (party, country, applicant) = match (&p.bin, &p.applicant) {
        (Some(bin), _) => (bin.to_string(), "KZ".to_owned(), None),
        (None, Some(id)) => {
            let a = crate::applicants::load(&s.app, id).await?.ok_or_else(|| {
                ApiError::Conflict(format!(
                    "the applicant {id} of this key is not registered; ask the ministry"
                ))
            })?;
            (id.clone(), a.country.clone(), Some(a))
        }
        (None, None) => return Err(ApiError::NotFound),
    };
    if let Some(f) = &sub.film_id {
        schemas::FilmId::parse(f).map_err(|e| ApiError::bad("film_id", e.to_string()))?;
        // A producer files only for a film it produces or distributes (a foreign applicant:
        // a film the ministry registered it for); another's film is answered as if it did not
        // exist.
        match &applicant {
            Some(a) if a.films.iter().any(|x| x == f) => {}
            Some(_) => return Err(ApiError::NotFound),
            None => super::box_office::film_visible(s, p, f).await?,
        }
    }
    // The claim as decided: filed today (UTC+5), by the registered party. What the applicant
    // wrote is kept beside the result when it differs.
    let mut claim_json = sub.claim.clone();
    let filed = s.today().to_string();
    let mut overrides = serde_json::Map::new();
    if let Some(obj) = claim_json.as_object_mut() {
        let claimed_as_of = obj.get("as_of").cloned().unwrap_or(serde_json::Value::Null);
        if claimed_as_of != serde_json::json!(filed) {
            overrides.insert(
                "as_of".into(),
                serde_json::json!({"claimed": claimed_as_of, "in_force": filed}),
            );
        }
        obj.insert("as_of".into(), serde_json::json!(filed));
        if let Some(prod) = obj.get_mut("production").and_then(|v| v.as_object_mut()) {
            let claimed = prod
                .get("applicant_country")
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            if claimed != serde_json::json!(country) {
                overrides.insert(
                    "applicant_country".into(),
                    serde_json::json!({"claimed": claimed, "registered": country}),
                );
            }
            prod.insert("applicant_country".into(), serde_json::json!(country));
        }
    }
    let sub = SubmitClaim {
        claim: claim_json,
        ..sub
    };
    let claim = Claim::parse_json(&sub.claim.to_string()).map_err(|e| ApiError::Invalid {
        field: format!("claim.{}", e.field),
        reason: e.reason,
    })?;
    let programme = s
        .programmes
        .iter()
        .find(|x| x.id == claim.programme)
        .ok_or_else(|| ApiError::Invalid {
            field: "claim.programme".into(),
            reason: rebate_engine::Reason::UnknownProgramme {
                id: claim.programme.clone(),
            },
        })?;
    // The ministry pays Kazakhstan's programmes; the others are there to compare estimates.
    // A well-formed claim it cannot take: 422, as the rules refusing one are.
    if programme.country != "KZ" {
        return Err(ApiError::Unprocessable {
            field: "claim.programme".into(),
            reason: format!(
                "{} is a programme of {}, not of Kazakhstan: claims are filed here for Kazakhstan's programmes only (compare others with POST /v1/rebates/estimate)",
                programme.id, programme.country
            ),
        });
    }
    let (result, mut stored_result) = official_result(s, programme, &claim).await?;
    if !overrides.is_empty() {
        let mut v: serde_json::Value =
            serde_json::from_str(&stored_result).map_err(|e| ApiError::Internal(e.to_string()))?;
        v["registry_overrides"] = serde_json::Value::Object(overrides);
        stored_result = v.to_string();
    }
    let mut id = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
    let event = ClaimEvent {
        claim_id: format!(
            "CL-{}",
            id.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        seq: 1,
        at: s.now_secs(),
        kind: Status::Submitted.as_str().into(),
        key_id: p.key_id.clone(),
        role: p.role.as_str().into(),
        // The beneficiary (caps count per party): a BIN, or a foreign applicant's id.
        bin: party,
        film_id: sub.film_id.unwrap_or_default(),
        programme: programme.id.clone(),
        pool_year: u16::try_from(chrono::Datelike::year(&claim.as_of)).unwrap_or(0),
        rebate: result.rebate.to_string(),
        currency: result.currency.to_string(),
        reason: String::new(),
        claim: sub.claim.to_string(),
        result: stored_result,
        request_id: String::new(),
    };
    Ok(Prepared { event })
}

pub async fn get(s: &AppState, p: &Principal, id: String) -> Result<ClaimView, ApiError> {
    require(p, &[Role::Producer, Role::Ministry])?;
    let events = load(s, &id).await?;
    let v = view(&events)?;
    if p.role == Role::Producer && !p.owns_party(&v.submitted_by) {
        return Err(ApiError::NotFound);
    }
    Ok(for_reader(s, p, v))
}

/// Names each step's author by its key's label; the ministry's key ids only to the ministry.
fn for_reader(s: &AppState, p: &Principal, mut v: ClaimView) -> ClaimView {
    let now = s.now_secs();
    for step in &mut v.history {
        step.by = s
            .keys
            .by_id(&step.key_id, now)
            .map(|(k, _)| k.label)
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| step.role.clone());
        if p.role != Role::Ministry && step.role == Role::Ministry.as_str() {
            step.key_id.clear();
        }
    }
    v
}

pub async fn decide(
    s: &AppState,
    p: &Principal,
    id: String,
    d: DecisionBody,
) -> Result<ClaimView, ApiError> {
    require(p, &[Role::Ministry])?;
    if d.decision == Decision::Reject && d.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(ApiError::bad("reason", "is required to reject a claim"));
    }
    if let Some(a) = &d.as_of {
        crate::params::date("as_of", a)?;
        if d.decision != Decision::Approve {
            return Err(ApiError::bad("as_of", "is set with an approval only"));
        }
    }
    // A claim that does not exist is answered here, without queueing anything.
    if load(s, &id).await?.is_empty() {
        return Err(ApiError::NotFound);
    }
    let req = crate::decision_queue::DecisionRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        claim_id: id.clone(),
        decision: d.decision,
        reason: d.reason,
        as_of: d.as_of,
        key_id: p.key_id.clone(),
        role: p.role.as_str().into(),
        mac: String::new(),
    };
    match &s.decision_queue {
        // One decision at a time across every API process (see `decider`).
        Some(queue) => {
            let wait = Duration::from_millis(s.settings.decision_timeout_ms);
            crate::decision_queue::submit_and_wait(&s.app, wait, queue, &req).await?
        }
        // No broker: one at a time in this process.
        None => {
            let _serial = s.decisions.lock().await;
            apply_decision(s, &req).await?;
        }
    }
    Ok(for_reader(s, p, view(&load(s, &id).await?)?))
}

/// Applies one decision: the next status, for an approval the result recomputed at the rates
/// in force and the pool and beneficiary cap checked, and the claim's next step appended. The
/// caller serialises (the decider, or the in-process lock): the checks read what earlier
/// decisions committed. A request whose step is already stored (a re-delivery) is a no-op.
pub async fn apply_decision(
    s: &AppState,
    req: &crate::decision_queue::DecisionRequest,
) -> Result<(), ApiError> {
    let events = load(s, &req.claim_id).await?;
    let last = events.last().ok_or(ApiError::NotFound)?.clone();
    if events.iter().any(|e| e.request_id == req.request_id) {
        return Ok(());
    }
    let current = Status::parse(&last.kind)
        .ok_or_else(|| ApiError::Internal(format!("stored status {}", last.kind)))?;
    let status = claims::next(current, req.decision)?;
    let mut approval_year = None;
    let mut recomputed = None;
    let mut claim_text = last.claim.clone();
    if status == Status::Approved {
        if let Some(as_of) = &req.as_of {
            // The ministry's as-of date replaces the filing date in the claim it decides.
            let mut v: serde_json::Value = serde_json::from_str(&claim_text)
                .map_err(|e| ApiError::Internal(format!("stored claim: {e}")))?;
            v["as_of"] = serde_json::json!(as_of);
            claim_text = v.to_string();
        }
        // Decided at the rates in force at the decision, not those of the filing.
        let claim = Claim::parse_json(&claim_text).map_err(|e| ApiError::Invalid {
            field: format!("claim.{}", e.field),
            reason: e.reason,
        })?;
        let programme = s
            .programmes
            .iter()
            .find(|x| x.id == last.programme)
            .ok_or_else(|| ApiError::Internal(format!("stored programme {}", last.programme)))?;
        let (now_result, stored) = official_result(s, programme, &claim).await?;
        if !now_result.eligible {
            return Err(ApiError::Conflict(
                "the claim is not eligible; reject it with the reason instead".into(),
            ));
        }
        let rebate = now_result.rebate;
        // What the filing recorded of the applicant's own words stays with the result.
        let stored = match serde_json::from_str::<serde_json::Value>(&last.result)
            .ok()
            .and_then(|v| v.get("registry_overrides").cloned())
        {
            Some(o) => {
                let mut v: serde_json::Value =
                    serde_json::from_str(&stored).map_err(|e| ApiError::Internal(e.to_string()))?;
                v["registry_overrides"] = o;
                v.to_string()
            }
            None => stored,
        };
        recomputed = Some((rebate.to_string(), stored));
        // The decision's year and the programme's rules in force on the decision's day.
        let today = s.today();
        let year = u16::try_from(chrono::Datelike::year(&today)).unwrap_or(0);
        let rules = programme.version_on(today).map_err(|e| {
            ApiError::Conflict(format!("no rules of {} in force today: {e}", programme.id))
        })?;
        let pool = rules.annual_pool.get(&year.to_string()).copied();
        claims::fits_pool(
            pool,
            claims::committed(&s.app, &last.programme, year, None).await?,
            rebate,
        )?;
        if rules.beneficiary_annual_cap.is_some() {
            let mine = claims::committed(&s.app, &last.programme, year, Some(&last.bin)).await?;
            claims::fits_beneficiary_cap(rules.beneficiary_annual_cap, &last.bin, mine, rebate)?;
        }
        approval_year = Some(year);
    }
    let (rebate, result) = recomputed.unwrap_or((last.rebate.clone(), last.result.clone()));
    let event = ClaimEvent {
        seq: last.seq + 1,
        pool_year: approval_year.unwrap_or(last.pool_year),
        rebate,
        result,
        at: s.now_secs(),
        kind: status.as_str().into(),
        key_id: req.key_id.clone(),
        role: req.role.clone(),
        reason: req.reason.clone().unwrap_or_default(),
        request_id: req.request_id.clone(),
        claim: claim_text,
        ..last
    };
    append(s, &event).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    #[param(value_type = Option<String>, pattern = "^(submitted|approved|rejected|paid)?$")]
    pub status: Option<String>,
    #[serde(default)]
    pub programme: Option<String>,
    #[serde(default)]
    #[param(minimum = 0, maximum = 65535)]
    pub year: Option<u16>,
    #[serde(default)]
    /// From 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[serde(default)]
    /// 1 to `api.max_page_rows` (1,000); default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClaimList {
    pub page: u64,
    pub page_size: u64,
    pub claims: Vec<claims::ClaimSummary>,
}

/// Claims by status, programme and year: the ministry sees all, a producer its own.
pub async fn list(s: &AppState, p: &Principal, q: ListQuery) -> Result<ClaimList, ApiError> {
    require(p, &[Role::Producer, Role::Ministry])?;
    let status = q.status.unwrap_or_default();
    if !status.is_empty() && Status::parse(&status).is_none() {
        return Err(ApiError::bad(
            "status",
            "must be submitted, approved, rejected or paid",
        ));
    }
    let programme = q.programme.unwrap_or_default();
    if !programme.is_empty() && !s.programmes.iter().any(|x| x.id == programme) {
        return Err(ApiError::bad(
            "programme",
            format!("unknown programme {programme}"),
        ));
    }
    let page = crate::params::Page::parse(q.page, q.page_size, s.settings.max_page_rows)?;
    let mine = match p.role {
        Role::Producer => p.party(),
        _ => String::new(),
    };
    let claims = claims::list(
        &s.app,
        &status,
        &programme,
        q.year.unwrap_or(0),
        &mine,
        page.page_size,
        page.offset(),
    )
    .await?;
    Ok(ClaimList {
        page: page.page,
        page_size: page.page_size,
        claims,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PoolsQuery {
    #[param(minimum = 2000, maximum = 2100)]
    pub year: u16,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PoolLeft {
    pub programme: String,
    pub currency: String,
    /// `None`: the programme has no pool that year.
    pub pool: Option<String>,
    pub committed: String,
    pub left: Option<String>,
    pub beneficiary_annual_cap: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PoolsReply {
    pub year: u16,
    pub programmes: Vec<PoolLeft>,
}

/// What each programme's annual pool has left in `year` (approved and paid claims count).
pub async fn pools(s: &AppState, p: &Principal, q: PoolsQuery) -> Result<PoolsReply, ApiError> {
    require(p, &[Role::Ministry, Role::Commission, Role::Producer])?;
    if !(2000..=2100).contains(&q.year) {
        return Err(ApiError::bad(
            "year",
            "must be a year between 2000 and 2100",
        ));
    }
    // The rules in force at the year's end, or today for the current year.
    let year_end = chrono::NaiveDate::from_ymd_opt(i32::from(q.year), 12, 31)
        .ok_or_else(|| ApiError::bad("year", "is not a year"))?;
    let on = year_end.min(s.today());
    let mut programmes = Vec::new();
    for prog in &s.programmes {
        let Ok(rules) = prog.version_on(on) else {
            continue;
        };
        let pool = rules.annual_pool.get(&q.year.to_string()).copied();
        let committed = claims::committed(&s.app, &prog.id, q.year, None).await?;
        programmes.push(PoolLeft {
            programme: prog.id.clone(),
            currency: prog.currency.to_string(),
            pool: pool.map(|x| x.to_string()),
            committed: committed.to_string(),
            left: pool.map(|x| (x - committed).to_string()),
            beneficiary_annual_cap: rules.beneficiary_annual_cap.map(|x| x.to_string()),
        });
    }
    Ok(PoolsReply {
        year: q.year,
        programmes,
    })
}
