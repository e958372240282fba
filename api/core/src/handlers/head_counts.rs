//! `POST /v1/head-counts` (the ministry) and the inspector's phone page: how many people an
//! inspector counted in a running session. Every count is kept (`head_counts`); the signal
//! `head_count_gap` compares a session's highest count with the admissions stored for it.

use serde::{Deserialize, Serialize};

use super::{bin_field, require};
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::params;
use crate::state::AppState;

/// The most people one count may report (a hall's most seats).
pub const MAX_COUNT: u32 = schemas::registry::MAX_HALL_SEATS;

/// Longest note, in characters.
pub const MAX_NOTE: usize = 200;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeadCountBody {
    /// The cinema's BIN.
    #[schema(pattern = "^[0-9]{12}$", format = "kz-bin")]
    pub cinema_bin: String,
    /// The session's box-office day (UTC+5): yesterday, today or tomorrow (a running session;
    /// another day is 422).
    #[schema(format = Date)]
    pub day: String,
    /// The session, as its tickets name it.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[^\\u0000-\\u001F\\u007F]+$"
    )]
    pub screening_id: String,
    /// People counted in the hall.
    #[schema(minimum = 0, maximum = 5000)]
    #[serde(deserialize_with = "schemas::integral::unsigned")]
    pub count: u32,
    /// What the inspector saw (at most 200 characters).
    #[serde(default)]
    #[schema(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F]*$")]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeadCountSaved {
    pub cinema_bin: String,
    pub day: String,
    pub screening_id: String,
    pub count: u32,
    /// When it was recorded (RFC 3339, UTC+5), and by whom (the key's label).
    pub counted_at: String,
    pub counted_by: String,
}

#[derive(Debug, clickhouse::Row, Serialize)]
struct HeadCountRow {
    cinema_bin: String,
    day: u16,
    screening_id: String,
    counted: u32,
    counted_at: u32,
    counted_by: String,
    note: String,
    version: u64,
}

/// Records one count (the ministry's keys: its inspectors).
pub async fn record(
    s: &AppState,
    p: &Principal,
    b: HeadCountBody,
) -> Result<HeadCountSaved, ApiError> {
    require(p, &[Role::Ministry])?;
    let bin = bin_field("cinema_bin", &b.cinema_bin)?;
    let day = params::date("day", &b.day)?;
    // A count is of a session running now: today's, or one that started the evening before
    // or starts after midnight (box-office days are the local date of a session's start).
    let today = s.today();
    if day < today - chrono::Days::new(1) || day > today + chrono::Days::new(1) {
        return Err(ApiError::Unprocessable {
            field: "day".into(),
            reason: format!(
                "a head count is of a running session: {} to {}",
                today - chrono::Days::new(1),
                today + chrono::Days::new(1)
            ),
        });
    }
    let screening = schemas::ids::bounded_text(&b.screening_id, 64)
        .map_err(|e| ApiError::bad("screening_id", e.to_string()))?;
    if b.count > MAX_COUNT {
        return Err(ApiError::bad(
            "count",
            format!("must be a whole number of people from 0 to {MAX_COUNT}"),
        ));
    }
    let note = b.note.trim();
    if note.chars().count() > MAX_NOTE || note.chars().any(char::is_control) {
        return Err(ApiError::bad(
            "note",
            format!("must be at most {MAX_NOTE} characters, without control characters"),
        ));
    }
    let now = s.clock.now();
    let row = HeadCountRow {
        cinema_bin: bin.to_string(),
        day: schemas::time::days_since_epoch(day),
        screening_id: screening.to_owned(),
        counted: b.count,
        counted_at: schemas::time::secs(now),
        counted_by: p.author(),
        note: note.to_owned(),
        version: ingest::rollup::version_now(),
    };
    ingest::clickhouse_store::insert_rows(
        &s.app,
        "head_counts",
        std::slice::from_ref(&row),
        std::time::Duration::from_millis(s.settings.query_timeout_ms.max(1_000)),
    )
    .await
    .map_err(crate::reports::ReportError::from)?;
    Ok(HeadCountSaved {
        cinema_bin: row.cinema_bin,
        day: day.to_string(),
        screening_id: row.screening_id,
        count: row.counted,
        counted_at: schemas::event::wire::rfc3339_kz(now),
        counted_by: if p.label.is_empty() {
            row.counted_by
        } else {
            p.label.clone()
        },
    })
}
