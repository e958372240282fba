//! `GET /v1/vendors` (the ministry): how completely each ticketing vendor's cinemas report,
//! ranked against `api.completeness_target_percent` ([`crate::reports::completeness`]).

use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::params;
use crate::reports::completeness::{self, VendorReport};
use crate::state::AppState;

use super::require;

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VendorsQuery {
    #[param(format = Date)]
    pub from: String,
    /// On or after `from`; the range covers at most `api.max_range_days` (366) days.
    #[param(format = Date)]
    pub to: String,
}

/// Every vendor's and every cinema's score over the range.
pub async fn report(
    s: &AppState,
    p: &Principal,
    q: VendorsQuery,
) -> Result<VendorReport, ApiError> {
    require(p, &[Role::Ministry])?;
    let (from, to) = params::range(&q.from, &q.to, s.settings.max_range_days)?;
    let registry = s.registry().await?;
    Ok(completeness::read(
        &s.ch,
        from,
        to,
        s.clock.now(),
        s.settings.completeness_target_percent,
        &registry.cinema_vendors,
        ingest::backfill::BACKFILL_TOPIC,
    )
    .await?)
}
