//! Issuing, listing and revoking API keys: the one implementation behind `ekino keys`, the
//! JSON API (`/v1/keys`) and the ministry's people screen.
//!
//! A key is shown once, when it is issued: only its secret's SHA-256 is stored. Each key
//! carries a label (the person or organisation holding it) and who issued it; a revocation is
//! an append-only record naming who revoked it and why, and a running API refuses the key
//! within `api.keys_refresh_ms` (1 s), ending its web sessions with it.

use std::collections::HashMap;
use std::time::Duration;

use clickhouse::{Client, Row};
use serde::{Deserialize, Serialize};

use crate::auth::{self, KeyRow, KeyStore, RevocationRow, Role};
use crate::error::ApiError;

/// The longest label and revocation reason, in characters.
pub const MAX_TEXT: usize = 200;
/// The longest expiry a key may be issued with, in days (ten years).
pub const MAX_EXPIRY_DAYS: u32 = 3650;

/// What issuing a key needs (`POST /v1/keys`, the people screen, `ekino keys create`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// cinema, producer, ministry or commission.
    pub role: String,
    /// The BIN a cinema or producer key acts for.
    #[serde(default)]
    pub bin: Option<String>,
    /// Instead of a BIN: the registered foreign applicant a producer key acts for.
    #[serde(default)]
    pub applicant_id: Option<String>,
    /// Who holds the key: a person or an organisation (1 to 200 characters).
    #[schema(min_length = 1, max_length = 200)]
    pub label: String,
    /// Days until the key stops working (1 to 3,650); absent: until revoked.
    #[serde(default, deserialize_with = "whole_days")]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

/// A whole number of days, also when JSON writes it `30.0` (as JSON Schema's integer allows).
fn whole_days<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let v: Option<f64> = Option::deserialize(d)?;
    v.map(|x| {
        if x.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&x) {
            Ok(x as u32)
        } else {
            Err(serde::de::Error::custom(
                "must be a whole number of days, 1 to 3650",
            ))
        }
    })
    .transpose()
}

/// A key as issued: the token is in this reply and nowhere else.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedKey {
    pub key_id: String,
    /// The whole key, `ek_<id>_<secret>`: shown once, never stored.
    pub token: String,
    pub role: String,
    pub bin: Option<String>,
    pub applicant_id: Option<String>,
    pub label: String,
    /// RFC 3339 (UTC+5); absent: until revoked.
    pub expires_at: Option<String>,
    pub created_by: String,
    /// A ministry key works only once another ministry key approves this request
    /// (`POST /v1/keys/requests/{request_id}/approve`, within 24 hours).
    pub awaiting_approval: Option<crate::key_requests::KeyRequest>,
}

/// A key as listed: never its secret or its hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyListing {
    pub key_id: String,
    pub label: String,
    pub role: String,
    pub bin: Option<String>,
    pub applicant_id: Option<String>,
    /// RFC 3339 (UTC+5).
    pub created_at: String,
    /// Who issued it (a key's author, or the operating-system user of `ekino keys`); empty
    /// for keys issued before this was kept.
    pub created_by: String,
    /// The last authenticated request in the audit log.
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub revoked_reason: Option<String>,
    /// A ministry key issued by a request that no second ministry key has approved (yet).
    pub awaiting_approval: bool,
    /// Usable now: approved, not revoked and not expired.
    pub active: bool,
}

/// A refusal by a rule between fields or by the stored data (a 422): the request's form was
/// right, what it asks for is not possible.
fn rule(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::Unprocessable {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

pub fn parse_text(field: &str, v: &str, required: bool) -> Result<String, ApiError> {
    let v = v.trim();
    if (required && v.is_empty()) || v.chars().count() > MAX_TEXT || v.chars().any(char::is_control)
    {
        let what = if required { "1 to 200" } else { "at most 200" };
        return Err(ApiError::bad(
            field,
            format!("must be {what} printable characters"),
        ));
    }
    Ok(v.to_owned())
}

/// RFC 3339 in UTC+5 of seconds since the epoch.
pub fn when(secs: u32) -> String {
    schemas::time::rfc3339_of_secs(secs)
}

/// Checks `new` and stores the key; `by` is who issues it. The first field at fault is named.
/// A ministry key lasts at most `ministry_days` (`api.ministry_key_days`), and that long when
/// no expiry is given.
pub async fn issue(
    client: &Client,
    new: NewKey,
    by: &str,
    now: u32,
    ministry_days: u32,
) -> Result<IssuedKey, ApiError> {
    let (token, row) = prepare(client, new, by, now, ministry_days).await?;
    store(client, token, row).await
}

/// The checks of [`issue`]: the token and the row to store, nothing stored yet.
pub async fn prepare(
    client: &Client,
    new: NewKey,
    by: &str,
    now: u32,
    ministry_days: u32,
) -> Result<(String, KeyRow), ApiError> {
    let role = Role::parse(&new.role)
        .ok_or_else(|| ApiError::bad("role", "must be cinema, producer, ministry or commission"))?;
    // Present means checked: an empty BIN or applicant is refused (the people screen sends
    // none for a field left empty).
    let bin = new
        .bin
        .as_deref()
        .map(|b| crate::handlers::bin_field("bin", b))
        .transpose()?;
    let applicant = new.applicant_id.clone();
    if let Some(a) = &applicant {
        if role != Role::Producer {
            return Err(rule(
                "applicant_id",
                "only a producer key acts for a foreign applicant",
            ));
        }
        if bin.is_some() {
            return Err(rule(
                "applicant_id",
                "a key acts for a BIN or for an applicant, not both",
            ));
        }
        crate::applicants::ApplicantId::parse(a).map_err(|e| ApiError::bad("applicant_id", e))?;
        if crate::applicants::load(client, a).await?.is_none() {
            return Err(rule(
                "applicant_id",
                format!("{a} is not registered (PUT /v1/applicants/{a})"),
            ));
        }
    }
    match (role.needs_bin(), &bin, &applicant) {
        (true, None, None) => {
            return Err(rule(
                "bin",
                format!(
                "a {} key acts for one BIN (a producer's: or for a foreign applicant) and needs it",
                role.as_str()
            ),
            ))
        }
        (false, Some(_), _) => {
            return Err(rule(
                "bin",
                format!("a {} key is not scoped to a BIN", role.as_str()),
            ))
        }
        _ => {}
    }
    let label = parse_text("label", &new.label, true)?;
    if let Some(d) = new.expires_in_days {
        if d == 0 || d > MAX_EXPIRY_DAYS {
            return Err(ApiError::bad("expires_in_days", "must be 1 to 3650"));
        }
    }
    let days = match (role, new.expires_in_days) {
        (Role::Ministry, Some(d)) if d > ministry_days => {
            return Err(rule(
                "expires_in_days",
                format!(
                    "a ministry key lasts at most {ministry_days} days (api.ministry_key_days)"
                ),
            ))
        }
        (Role::Ministry, None) => Some(ministry_days),
        (_, d) => d,
    };
    let (token, mut row) = auth::generate(role, bin.as_ref(), now);
    row.label = label;
    row.applicant_id = applicant.unwrap_or_default();
    row.expires_at = days.map_or(0, |d| now.saturating_add(d.saturating_mul(86_400)));
    row.created_by = by.to_owned();
    Ok((token, row))
}

/// Stores a key [`prepare`]d; the token is in the answer and nowhere else.
pub async fn store(client: &Client, token: String, row: KeyRow) -> Result<IssuedKey, ApiError> {
    ingest::clickhouse_store::insert_rows(
        client,
        "api_keys",
        std::slice::from_ref(&row),
        Duration::from_secs(10),
    )
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    tracing::info!(key_id = %row.key_id, role = %row.role, label = %row.label, expires_at = row.expires_at, by = %row.created_by, "api key issued");
    Ok(IssuedKey {
        key_id: row.key_id,
        token,
        role: row.role,
        bin: (!row.bin.is_empty()).then_some(row.bin),
        applicant_id: (!row.applicant_id.is_empty()).then_some(row.applicant_id),
        label: row.label,
        expires_at: (row.expires_at > 0).then(|| when(row.expires_at)),
        created_by: row.created_by,
        awaiting_approval: None,
    })
}

#[derive(Debug, Row, Deserialize)]
struct LastUse {
    key_id: String,
    at: u32,
}

#[derive(Debug, Row, Deserialize)]
struct Revoked {
    key_id: String,
    revoked_at: u32,
    revoked_by: String,
    reason: String,
}

/// Every key, oldest first.
pub async fn list(client: &Client, now: u32) -> Result<Vec<KeyListing>, ApiError> {
    let unavailable = |e: clickhouse::error::Error| ApiError::Unavailable(e.to_string());
    let stored = KeyStore::load(client).await.map_err(unavailable)?;
    let last: HashMap<String, u32> = client
        .query("SELECT key_id, toUInt32(max(at)) AS at FROM api_audit WHERE key_id != '' GROUP BY key_id")
        .fetch_all::<LastUse>()
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(|l| (l.key_id, l.at))
        .collect();
    let revoked: HashMap<String, Revoked> = client
        // Aliases differ from the columns: 18.16 would resolve one inside the other aggregates.
        .query("SELECT key_id, toUInt32(min(revoked_at)) AS first_at, argMin(revoked_by, revoked_at) AS first_by, argMin(reason, revoked_at) AS first_reason FROM api_key_revocations GROUP BY key_id")
        .fetch_all::<Revoked>()
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(|r| (r.key_id.clone(), r))
        .collect();
    let mut rows: Vec<&KeyRow> = stored.rows.iter().collect();
    rows.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then(a.key_id.cmp(&b.key_id))
    });
    Ok(rows
        .into_iter()
        .map(|r| {
            let rev = revoked.get(&r.key_id);
            let expired = r.expires_at > 0 && r.expires_at <= now;
            let unapproved = stored.unapproved.contains(&r.key_id);
            KeyListing {
                key_id: r.key_id.clone(),
                label: r.label.clone(),
                role: r.role.clone(),
                bin: (!r.bin.is_empty()).then(|| r.bin.clone()),
                applicant_id: (!r.applicant_id.is_empty()).then(|| r.applicant_id.clone()),
                created_at: when(r.created_at),
                created_by: r.created_by.clone(),
                last_used_at: last.get(&r.key_id).map(|t| when(*t)),
                expires_at: (r.expires_at > 0).then(|| when(r.expires_at)),
                revoked_at: rev.map(|v| when(v.revoked_at)),
                revoked_by: rev.map(|v| v.revoked_by.clone()),
                revoked_reason: rev.map(|v| v.reason.clone()),
                awaiting_approval: unapproved,
                active: rev.is_none()
                    && r.revoked == 0
                    && !stored.revoked.contains(&r.key_id)
                    && !expired
                    && !unapproved,
            }
        })
        .collect())
}

/// Revokes `key_id` with a reason; `by` is who revokes it. A key already revoked keeps its
/// first revocation (a second is refused, naming when).
pub async fn revoke(
    client: &Client,
    key_id: &str,
    reason: &str,
    by: &str,
    now: u32,
) -> Result<RevocationRow, ApiError> {
    let reason = parse_text("reason", reason, true)?;
    let keys = list(client, now).await?;
    let Some(key) = keys.iter().find(|k| k.key_id == key_id) else {
        return Err(ApiError::NotFound);
    };
    if let Some(at) = &key.revoked_at {
        return Err(ApiError::Conflict(format!(
            "key {key_id} was already revoked at {at}"
        )));
    }
    let row = RevocationRow {
        key_id: key_id.to_owned(),
        revoked_at: now,
        revoked_by: by.to_owned(),
        reason,
    };
    ingest::clickhouse_store::insert_rows(
        client,
        "api_key_revocations",
        std::slice::from_ref(&row),
        Duration::from_secs(10),
    )
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    tracing::info!(key_id, revoked_by = by, "api key revoked");
    Ok(row)
}
