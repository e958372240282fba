//! `GET /v1/signals` (the ministry, every cinema) and `GET /v1/cinemas/{bin}/signals` (that
//! cinema, or the ministry): where figures cannot be true, from the stored signals
//! ([`crate::signals`]).

use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::params;
use crate::signals::report::{list, SignalFilter, SignalList};
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
        pattern = "^(over_capacity|seat_sold_twice|undeclared_session|cancelled_session_sold|overlapping_sessions|late_night_full|partner_gap|head_count_gap)$"
    )]
    pub kind: Option<String>,
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
        pattern = "^(over_capacity|seat_sold_twice|undeclared_session|cancelled_session_sold|overlapping_sessions|late_night_full|partner_gap|head_count_gap)$"
    )]
    pub kind: Option<String>,
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

/// Every cinema's signals (the ministry).
pub async fn all(s: &AppState, p: &Principal, q: SignalsQuery) -> Result<SignalList, ApiError> {
    require(p, &[Role::Ministry])?;
    let cinema = match q.cinema.as_deref() {
        Some(c) => Some(bin_field("cinema", c)?.to_string()),
        None => None,
    };
    let f = filter(s, &q, cinema)?;
    Ok(list(&s.ch, &s.app_db, &f).await?)
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
    };
    let f = filter(s, &q, Some(bin.to_string()))?;
    Ok(list(&s.ch, &s.app_db, &f).await?)
}
