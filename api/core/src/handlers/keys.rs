//! `/v1/keys`: the ministry issues, lists and revokes API keys, and lists the foreign
//! applicants it registered (see [`crate::keys`] for what a key carries).

use serde::{Deserialize, Serialize};

use super::{require, ApiError};
use crate::auth::{Principal, Role};
use crate::keys::{IssuedKey, KeyListing, NewKey};
use crate::state::AppState;

use schemas::clock::wall_secs as now;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeysReply {
    /// Oldest first; never a secret.
    pub keys: Vec<KeyListing>,
}

/// `GET /v1/keys`.
pub async fn list(s: &AppState, p: &Principal) -> Result<KeysReply, ApiError> {
    require(p, &[Role::Ministry])?;
    Ok(KeysReply {
        keys: crate::keys::list(&s.app, now()).await?,
    })
}

/// `POST /v1/keys`: the token is in the reply and nowhere else.
pub async fn issue(s: &AppState, p: &Principal, new: NewKey) -> Result<IssuedKey, ApiError> {
    require(p, &[Role::Ministry])?;
    crate::keys::issue(&s.app, new, &p.author(), now()).await
}

/// The body of `POST /v1/keys/{key_id}/revoke`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revoke {
    /// Why (1 to 200 characters): kept with the revocation.
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Revoked {
    pub key_id: String,
    /// RFC 3339 (UTC+5).
    pub revoked_at: String,
    pub revoked_by: String,
    pub reason: String,
}

/// `POST /v1/keys/{key_id}/revoke`. The key making the request cannot revoke itself, so the
/// ministry cannot lock itself out by mistake: another ministry key does it.
pub async fn revoke(
    s: &AppState,
    p: &Principal,
    key_id: String,
    body: Revoke,
) -> Result<Revoked, ApiError> {
    require(p, &[Role::Ministry])?;
    if key_id == p.key_id {
        return Err(ApiError::Unprocessable {
            field: "key_id".into(),
            reason: "is the key making this request: another ministry key must revoke it".into(),
        });
    }
    let row = crate::keys::revoke(&s.app, &key_id, &body.reason, &p.author(), now()).await?;
    Ok(Revoked {
        key_id: row.key_id,
        revoked_at: crate::keys::when(row.revoked_at),
        revoked_by: row.revoked_by,
        reason: row.reason,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicantsReply {
    pub applicants: Vec<crate::applicants::ApplicantRow>,
}

/// `GET /v1/applicants`: every registered foreign applicant.
pub async fn applicants(s: &AppState, p: &Principal) -> Result<ApplicantsReply, ApiError> {
    require(p, &[Role::Ministry])?;
    Ok(ApplicantsReply {
        applicants: crate::applicants::list(&s.app).await?,
    })
}
