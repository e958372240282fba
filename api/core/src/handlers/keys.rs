//! `/v1/keys`: the ministry issues, lists and revokes API keys, and lists the foreign
//! applicants it registered (see [`crate::keys`] for what a key carries). A ministry key, and
//! the revocation of a ministry key that would leave fewer than two, wait for a second
//! ministry key's approval (`/v1/keys/requests`, see [`crate::key_requests`]).

use serde::{Deserialize, Serialize};

use super::{require, ApiError};
use crate::auth::{Principal, Role};
use crate::key_requests::{self, Action, KeyRequest};
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

/// `POST /v1/keys`: the token is in the reply and nowhere else. A ministry key is stored with
/// its request (the request first, so it never works unapproved) and works once another
/// ministry key approves it.
pub async fn issue(s: &AppState, p: &Principal, new: NewKey) -> Result<IssuedKey, ApiError> {
    require(p, &[Role::Ministry])?;
    let at = now();
    let days = s.settings.ministry_key_days;
    let (token, row) = crate::keys::prepare(&s.app, new, &p.author(), at, days).await?;
    if row.role != Role::Ministry.as_str() {
        return crate::keys::store(&s.app, token, row).await;
    }
    let request = key_requests::request(&s.app, Action::Issue, &row.key_id, "", p, at).await?;
    let mut issued = crate::keys::store(&s.app, token, row).await?;
    issued.awaiting_approval = Some(key_requests::describe(&s.app, request, at).await?);
    Ok(issued)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RequestsReply {
    /// Newest first: awaiting, approved and lapsed.
    pub requests: Vec<KeyRequest>,
}

/// `GET /v1/keys/requests`.
pub async fn requests(s: &AppState, p: &Principal) -> Result<RequestsReply, ApiError> {
    require(p, &[Role::Ministry])?;
    Ok(RequestsReply {
        requests: key_requests::list(&s.app, now()).await?,
    })
}

/// `POST /v1/keys/requests/{request_id}/approve`: by another ministry key than the requester's.
pub async fn approve(
    s: &AppState,
    p: &Principal,
    request_id: String,
) -> Result<KeyRequest, ApiError> {
    require(p, &[Role::Ministry])?;
    let at = now();
    let approved = key_requests::approve(&s.app, &request_id, p, at).await?;
    if approved.action == Action::Revoke.as_str() {
        let by = key_requests::revoked_by(&approved);
        let key = &approved.key_id;
        match crate::keys::revoke(&s.app, key, &approved.reason, &by, at).await {
            // Revoked meanwhile by another way: the approval stands, nothing more to do.
            Ok(_) | Err(ApiError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(approved)
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
    /// RFC 3339 (UTC+5); absent while the revocation awaits a second ministry key.
    pub revoked_at: Option<String>,
    pub revoked_by: String,
    pub reason: String,
    /// The revocation of a ministry key that would leave fewer than two waits for another
    /// ministry key's approval (the key revoked may give it).
    pub awaiting_approval: Option<KeyRequest>,
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
    let at = now();
    let keys = crate::keys::list(&s.app, at).await?;
    let Some(target) = keys.iter().find(|k| k.key_id == key_id) else {
        return Err(ApiError::NotFound);
    };
    let ministry = Role::Ministry.as_str();
    let left = keys
        .iter()
        .filter(|k| k.active && k.role == ministry && k.key_id != key_id)
        .count();
    if target.active && target.role == ministry && left < 2 {
        let reason = crate::keys::parse_text("reason", &body.reason, true)?;
        let request =
            key_requests::request(&s.app, Action::Revoke, &key_id, &reason, p, at).await?;
        return Ok(Revoked {
            key_id,
            revoked_at: None,
            revoked_by: p.author(),
            awaiting_approval: Some(key_requests::describe(&s.app, request, at).await?),
            reason,
        });
    }
    let row = crate::keys::revoke(&s.app, &key_id, &body.reason, &p.author(), at).await?;
    Ok(Revoked {
        key_id: row.key_id,
        revoked_at: Some(crate::keys::when(row.revoked_at)),
        revoked_by: row.revoked_by,
        reason: row.reason,
        awaiting_approval: None,
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
