//! Handlers: plain async functions from state, caller and parsed input to a reply value or an
//! [`ApiError`]. They know nothing of HTTP; `filters` does the wiring.

pub mod box_office;
pub mod cases;
pub mod cinemas;
pub mod claims;
pub mod halls;
pub mod head_counts;
pub mod keys;
pub mod partner_sales;
pub mod productions;
pub mod rebates;
pub mod records;
pub mod registry;
pub mod roi;
pub mod sessions;
pub mod signals;
pub mod tickets;
pub mod vendors;

use crate::auth::{Principal, Role};
use crate::error::ApiError;

/// Refuses callers without one of `roles`. Refusal is a 404, like data outside one's scope.
pub fn require(p: &Principal, roles: &[Role]) -> Result<(), ApiError> {
    if roles.contains(&p.role) {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// A cinema key sees only its own BIN; the ministry sees all.
pub fn require_cinema_scope(p: &Principal, bin: &str) -> Result<(), ApiError> {
    match p.role {
        Role::Ministry => Ok(()),
        Role::Cinema if p.owns_bin(bin) => Ok(()),
        _ => Err(ApiError::NotFound),
    }
}

/// A ClickHouse failure as the API's 503.
pub(crate) fn unavailable(e: clickhouse::error::Error) -> ApiError {
    ApiError::Unavailable(e.to_string())
}

pub fn parse_bin(s: &str) -> Result<schemas::Bin, ApiError> {
    bin_field("bin", s)
}

/// A BIN in `field`; a refusal carries the stable code `not_bin` (its sentence says which part
/// is wrong), so pages say it in their language.
pub fn bin_field(field: &str, s: &str) -> Result<schemas::Bin, ApiError> {
    schemas::Bin::parse(s).map_err(|e| ApiError::Invalid {
        field: field.to_owned(),
        reason: rebate_engine::Reason::NotBin {
            got: s.to_owned(),
            detail: e.to_string(),
        },
    })
}
