//! `GET /v1/signals` (the ministry, every cinema) and `GET /v1/cinemas/{bin}/signals` (that
//! cinema, or the ministry): where figures cannot be true, from the stored signals
//! ([`crate::signals`]); `POST /v1/cinemas/{bin}/signals/explanations`: the cinema explains
//! one of its own signals (every explanation kept, the latest shown beside the signal).

use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::params;
use crate::signals::report::{
    in_force, list, Explanation, ExplanationRow, SignalFilter, SignalList, Window,
};
use crate::signals::rules::Kind;
use crate::state::AppState;

use super::{bin_field, parse_bin, require, require_cinema_scope};

/// The filter of the ministry's list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SignalsQuery {
    #[param(format = Date)]
    pub from: String,
    /// On or after `from`; the range covers at most `api.max_range_days` (366) days.
    #[param(format = Date)]
    pub to: String,
    /// One cinema's BIN.
    #[serde(default)]
    #[param(pattern = "^[0-9]{12}$", format = "kz-bin")]
    pub cinema: Option<String>,
    /// One kind (README, "Signals").
    #[serde(default)]
    #[param(
        pattern = "^(over_capacity|seat_sold_twice|undeclared_session|cancelled_session_sold|overlapping_sessions|late_night_full|partner_gap|head_count_gap|refund_rate_outlier|average_price_outlier|occupancy_outlier)$"
    )]
    pub kind: Option<String>,
    #[serde(default)]
    /// From 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[serde(default)]
    /// 1 to `api.max_page_rows` (1,000); default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<u64>,
}

/// The filter of one cinema's list (the cinema is the path's).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CinemaSignalsQuery {
    #[param(format = Date)]
    pub from: String,
    /// On or after `from`; the range covers at most `api.max_range_days` (366) days.
    #[param(format = Date)]
    pub to: String,
    /// One kind (README, "Signals").
    #[serde(default)]
    #[param(
        pattern = "^(over_capacity|seat_sold_twice|undeclared_session|cancelled_session_sold|overlapping_sessions|late_night_full|partner_gap|head_count_gap|refund_rate_outlier|average_price_outlier|occupancy_outlier)$"
    )]
    pub kind: Option<String>,
    #[serde(default)]
    /// From 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[serde(default)]
    /// 1 to `api.max_page_rows` (1,000); default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<u64>,
}

fn filter(
    s: &AppState,
    q: &SignalsQuery,
    cinema: Option<String>,
) -> Result<SignalFilter, ApiError> {
    let (from, to) = params::range(&q.from, &q.to, s.settings.max_range_days)?;
    // An empty value is no value the schema allows (pages leave "any" out): a 400 too.
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(Kind::parse(k).ok_or_else(|| {
            let known: Vec<&str> = Kind::ALL.iter().map(|k| k.code()).collect();
            ApiError::bad("kind", format!("must be one of {}", known.join(", ")))
        })?),
    };
    Ok(SignalFilter {
        from,
        to,
        cinema,
        kind,
    })
}

/// The asked page (default the first 100).
fn window(s: &AppState, q: &SignalsQuery) -> Result<Window, ApiError> {
    let p = params::Page::parse(q.page, q.page_size, s.settings.max_page_rows)?;
    Ok(Window {
        offset: p.offset(),
        limit: p.page_size,
    })
}

/// A page of a list, from memory when it was read in the last `api.signals_cache_ms` (the
/// watcher stores signals every `api.signals.interval_ms` anyway), refreshed in the background
/// past half of that: a list asked for steadily costs ClickHouse a read a second, whoever
/// asks. Callers that missed together wait for the first one's read.
async fn cached(s: &AppState, f: SignalFilter, w: Window) -> Result<SignalList, ApiError> {
    let (ch, app_db) = (s.ch.clone(), s.app_db.clone());
    let found = crate::reports::cache::get_or_compute(
        &s.signals_cache,
        &s.signals_flight,
        (f, w),
        move |(f, w): (SignalFilter, Window)| {
            let (ch, app_db) = (ch.clone(), app_db.clone());
            async move { list(&ch, &app_db, &f, Some(w)).await }
        },
    )
    .await?;
    Ok((*found).clone())
}

/// Every cinema's signals (the ministry).
pub async fn all(s: &AppState, p: &Principal, q: SignalsQuery) -> Result<SignalList, ApiError> {
    require(p, &[Role::Ministry])?;
    let cinema = match q.cinema.as_deref() {
        Some(c) => Some(bin_field("cinema", c)?.to_string()),
        None => None,
    };
    let f = filter(s, &q, cinema)?;
    cached(s, f, window(s, &q)?).await
}

/// One cinema's signals: that cinema's key, or the ministry's.
pub async fn of_cinema(
    s: &AppState,
    p: &Principal,
    bin: String,
    q: CinemaSignalsQuery,
) -> Result<SignalList, ApiError> {
    let bin = parse_bin(&bin)?;
    require_cinema_scope(p, bin.as_str())?;
    let q = SignalsQuery {
        from: q.from,
        to: q.to,
        cinema: None,
        kind: q.kind,
        page: q.page,
        page_size: q.page_size,
    };
    let f = filter(s, &q, Some(bin.to_string()))?;
    cached(s, f, window(s, &q)?).await
}

/// Longest explanation, in characters.
pub const MAX_EXPLANATION: usize = 4_000;

/// A cinema's explanation of one of its signals in force.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplanationBody {
    #[schema(
        pattern = "^(over_capacity|seat_sold_twice|undeclared_session|cancelled_session_sold|overlapping_sessions|late_night_full|partner_gap|head_count_gap|refund_rate_outlier|average_price_outlier|occupancy_outlier)$"
    )]
    pub kind: String,
    #[schema(format = Date)]
    pub day: String,
    /// The session; empty for a regional kind (`*_outlier`), which has none.
    #[serde(default)]
    #[schema(max_length = 64, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub screening_id: String,
    /// What happened (1 to 4,000 characters, not only spaces; line breaks allowed).
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    pub text: String,
}

/// The cinema explains one of its own signals in force (its key only: the ministry reads).
pub async fn explain(
    s: &AppState,
    p: &Principal,
    bin: String,
    b: ExplanationBody,
) -> Result<Explanation, ApiError> {
    let bin = parse_bin(&bin)?;
    if !(p.role == Role::Cinema && p.owns_bin(bin.as_str())) {
        return Err(ApiError::NotFound);
    }
    let kind = Kind::parse(&b.kind).ok_or_else(|| {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.code()).collect();
        ApiError::bad("kind", format!("must be one of {}", known.join(", ")))
    })?;
    let day = params::date("day", &b.day)?;
    Kind::check_session(&b.screening_id).map_err(|e| ApiError::bad("screening_id", e))?;
    let text = super::cases::letter("text", &b.text, MAX_EXPLANATION, true)?;
    let found = in_force(
        &s.ch,
        &s.app_db,
        &SignalFilter {
            from: day,
            to: day,
            cinema: Some(bin.to_string()),
            kind: Some(kind),
        },
        None,
    )
    .await?
    .into_iter()
    .any(|r| r.screening_id == b.screening_id);
    if !found {
        return Err(ApiError::Unprocessable {
            field: "screening_id".into(),
            reason: format!(
                "no signal {} in force for session {} of {day}",
                kind.code(),
                b.screening_id
            ),
        });
    }
    let now = s.clock.now();
    let row = ExplanationRow {
        cinema_bin: bin.to_string(),
        day: schemas::time::days_since_epoch(day),
        kind: kind.code().into(),
        screening_id: b.screening_id,
        seq: ingest::rollup::version_now(),
        written_at: schemas::time::secs(now),
        written_by: p.author(),
        text: text.clone(),
    };
    ingest::clickhouse_store::insert_rows(
        &s.app,
        "signal_explanations",
        std::slice::from_ref(&row),
        std::time::Duration::from_millis(s.settings.query_timeout_ms.max(1_000)),
    )
    .await
    .map_err(crate::reports::ReportError::from)?;
    // The writer sees its explanation at once; other processes within their cache's second.
    s.signals_cache.clear();
    Ok(Explanation {
        text,
        written_at: schemas::event::wire::rfc3339_kz(now),
    })
}
