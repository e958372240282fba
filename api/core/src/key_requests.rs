//! Ministry keys by two people. A ministry key can issue keys, revoke them and decide claims, so
//! one such key (stolen, or its holder acting alone) must not be able to make more of them or
//! take the others away:
//! - issuing a **ministry** key through the API is a request: the key is stored with its request
//!   and works only once **another** ministry key approves the request;
//! - revoking a ministry key that would leave **fewer than two** active ministry keys is a
//!   request too; the revocation is stored when another ministry key approves it (the key being
//!   revoked may approve: it consents);
//! - a request is approved within [`APPROVAL_WINDOW_SECS`] (24 h) of being made, or lapses; a
//!   lapsed issue request's key never works. Requests and approvals are append-only records
//!   (`api_key_requests`, `api_key_approvals`) naming who and when, besides the API's audit.
//!
//! `ekino keys create` on the operator's machine stays single-person: it needs ClickHouse's
//! credentials, and the first ministry key has nobody to approve it.

use std::collections::HashMap;
use std::time::Duration;

use clickhouse::{Client, Row};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::auth::Principal;
use crate::error::ApiError;
use schemas::time::rfc3339_of_secs as when;

/// How long a request waits for its approval.
pub const APPROVAL_WINDOW_SECS: u32 = 24 * 3600;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A new ministry key that works once approved.
    Issue,
    /// A revocation stored once approved.
    Revoke,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Issue => "issue",
            Action::Revoke => "revoke",
        }
    }
}

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct RequestRow {
    pub request_id: String,
    pub action: String,
    pub key_id: String,
    pub requested_at: u32,
    pub requested_by: String,
    pub requester_key: String,
    pub reason: String,
}

#[derive(Debug, Clone, Row, Serialize, Deserialize)]
pub struct ApprovalRow {
    pub request_id: String,
    pub approved_at: u32,
    pub approved_by: String,
    pub approver_key: String,
}

/// A request as listed and answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyRequest {
    pub request_id: String,
    /// `issue` (a new ministry key) or `revoke`.
    pub action: String,
    pub key_id: String,
    /// The key's holder.
    pub key_label: String,
    /// RFC 3339 (UTC+5).
    pub requested_at: String,
    pub requested_by: String,
    /// The key that asked (it cannot approve).
    pub requester_key: String,
    /// Why (a revocation's reason; empty for an issue).
    pub reason: String,
    /// The request lapses after this (RFC 3339, UTC+5).
    pub approve_by: String,
    /// `awaiting`, `approved` or `lapsed`.
    pub state: String,
    pub approved_at: Option<String>,
    pub approved_by: Option<String>,
}

fn unavailable(e: clickhouse::error::Error) -> ApiError {
    ApiError::Unavailable(e.to_string())
}

async fn store<T: Row + Serialize + for<'a> clickhouse::RowWrite<Value<'a> = T>>(
    client: &Client,
    table: &str,
    row: &T,
) -> Result<(), ApiError> {
    ingest::clickhouse_store::insert_rows(
        client,
        table,
        std::slice::from_ref(row),
        Duration::from_secs(10),
    )
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))
}

/// Stores a request by `by` for `key_id`; the caller stores what waits on it after this (a
/// ministry key row), so the key is never usable without its request.
pub async fn request(
    client: &Client,
    action: Action,
    key_id: &str,
    reason: &str,
    by: &Principal,
    now: u32,
) -> Result<RequestRow, ApiError> {
    let mut id = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let row = RequestRow {
        request_id: id.iter().map(|b| format!("{b:02x}")).collect(),
        action: action.as_str().into(),
        key_id: key_id.to_owned(),
        requested_at: now,
        requested_by: by.author(),
        requester_key: by.key_id.clone(),
        reason: reason.to_owned(),
    };
    store(client, "api_key_requests", &row).await?;
    tracing::info!(request_id = %row.request_id, action = action.as_str(), key_id, by = %row.requested_by, "key request made; another ministry key must approve it");
    Ok(row)
}

/// The state of `r` at `now`, given its first approval.
fn state(r: &RequestRow, approval: Option<&ApprovalRow>, now: u32) -> &'static str {
    match approval {
        Some(_) => "approved",
        None if now > r.requested_at.saturating_add(APPROVAL_WINDOW_SECS) => "lapsed",
        None => "awaiting",
    }
}

fn listing(
    r: RequestRow,
    approval: Option<&ApprovalRow>,
    labels: &HashMap<String, String>,
    now: u32,
) -> KeyRequest {
    KeyRequest {
        state: state(&r, approval, now).into(),
        approve_by: when(r.requested_at.saturating_add(APPROVAL_WINDOW_SECS)),
        requested_at: when(r.requested_at),
        key_label: labels.get(&r.key_id).cloned().unwrap_or_default(),
        approved_at: approval.map(|a| when(a.approved_at)),
        approved_by: approval.map(|a| a.approved_by.clone()),
        request_id: r.request_id,
        action: r.action,
        key_id: r.key_id,
        requested_by: r.requested_by,
        requester_key: r.requester_key,
        reason: r.reason,
    }
}

async fn load(
    client: &Client,
) -> Result<(Vec<RequestRow>, HashMap<String, ApprovalRow>), ApiError> {
    let requests = client
        .query("SELECT ?fields FROM api_key_requests ORDER BY requested_at DESC, request_id")
        .fetch_all::<RequestRow>()
        .await
        .map_err(unavailable)?;
    let mut approvals: HashMap<String, ApprovalRow> = HashMap::new();
    for a in client
        .query("SELECT ?fields FROM api_key_approvals ORDER BY approved_at")
        .fetch_all::<ApprovalRow>()
        .await
        .map_err(unavailable)?
    {
        // The first approval stands (two approvers racing both store one).
        approvals.entry(a.request_id.clone()).or_insert(a);
    }
    Ok((requests, approvals))
}

async fn labels(client: &Client) -> Result<HashMap<String, String>, ApiError> {
    let stored = crate::auth::KeyStore::load(client)
        .await
        .map_err(unavailable)?;
    Ok(stored
        .rows
        .into_iter()
        .map(|k| (k.key_id, k.label))
        .collect())
}

/// Every request, newest first.
pub async fn list(client: &Client, now: u32) -> Result<Vec<KeyRequest>, ApiError> {
    let (requests, approvals) = load(client).await?;
    let labels = labels(client).await?;
    Ok(requests
        .into_iter()
        .map(|r| {
            let a = approvals.get(&r.request_id);
            listing(r, a, &labels, now)
        })
        .collect())
}

/// The request `r` as listed now.
pub async fn describe(client: &Client, r: RequestRow, now: u32) -> Result<KeyRequest, ApiError> {
    Ok(listing(r, None, &labels(client).await?, now))
}

/// Approves `request_id` by `by`: another ministry key than the one that asked, within the
/// window, once. The caller stores an approved revocation then (with [`revoked_by`]).
pub async fn approve(
    client: &Client,
    request_id: &str,
    by: &Principal,
    now: u32,
) -> Result<KeyRequest, ApiError> {
    let (requests, approvals) = load(client).await?;
    let Some(r) = requests.into_iter().find(|r| r.request_id == request_id) else {
        return Err(ApiError::NotFound);
    };
    let field = |reason: String| ApiError::Unprocessable {
        field: "request_id".into(),
        reason,
    };
    if let Some(a) = approvals.get(request_id) {
        return Err(ApiError::Conflict(format!(
            "request {request_id} was already approved at {} by {}",
            when(a.approved_at),
            a.approved_by
        )));
    }
    if r.requester_key == by.key_id {
        return Err(field(
            "is a request of the key making this one: another ministry key must approve it".into(),
        ));
    }
    if state(&r, None, now) == "lapsed" {
        return Err(field(format!(
            "lapsed at {}: 24 hours passed without an approval; make the request again",
            when(r.requested_at.saturating_add(APPROVAL_WINDOW_SECS))
        )));
    }
    let approval = ApprovalRow {
        request_id: r.request_id.clone(),
        approved_at: now,
        approved_by: by.author(),
        approver_key: by.key_id.clone(),
    };
    store(client, "api_key_approvals", &approval).await?;
    tracing::info!(request_id, action = %r.action, key_id = %r.key_id, by = %approval.approved_by, "key request approved");
    let labels = labels(client).await?;
    Ok(listing(r, Some(&approval), &labels, now))
}

/// Who revoked a key by an approved request: both people.
pub fn revoked_by(r: &KeyRequest) -> String {
    format!(
        "{}, approved by {}",
        r.requested_by,
        r.approved_by.as_deref().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(at: u32) -> RequestRow {
        RequestRow {
            request_id: "r".into(),
            action: "issue".into(),
            key_id: "k".into(),
            requested_at: at,
            requested_by: "A".into(),
            requester_key: "a".into(),
            reason: String::new(),
        }
    }

    #[test]
    fn a_request_lapses_a_second_after_its_24_hours() {
        let r = row(1_000);
        assert_eq!(state(&r, None, 1_000 + 86_400), "awaiting");
        assert_eq!(state(&r, None, 1_000 + 86_401), "lapsed");
        let a = ApprovalRow {
            request_id: "r".into(),
            approved_at: 2_000,
            approved_by: "B".into(),
            approver_key: "b".into(),
        };
        assert_eq!(state(&r, Some(&a), 1_000_000), "approved");
    }
}
